"""Factor rotation: one :func:`rotate` for every analysis (``efa``, ``omega``).

A numpy port of GPArotation's gradient projection algorithm (Bernaards & Jennrich, 2005):
``GPFoblq`` for oblique and ``GPForth`` for orthogonal criteria, with its defaults
(``eps = 1e-5``, ``maxit = 1000``, ``normalize = FALSE``), the oblimin and geomin criteria
(``vgQ.oblimin``, ``vgQ.geomin``); ``varimax`` is R's ``stats::varimax`` (Kaiser normalised)
and ``promax`` psych's (Kaiser-normalised varimax, then a power-4 target; ``psych::Promax``).
These are the rotations ``psych::fa`` and ``psych::omega`` call.

References
----------
Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and software for
arbitrary rotation criteria in factor analysis. *Educational and Psychological Measurement*,
65, 676-696.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from compassion_scales.errors import AnalysisError

__all__ = ["Rotation", "rotate", "ROTATIONS", "OBLIQUE"]

#: rotation names accepted by :func:`rotate`
ROTATIONS = ("none", "varimax", "promax", "oblimin", "geomin_obl", "geomin_ort")
#: the oblique ones (they give factor correlations)
OBLIQUE = frozenset({"promax", "oblimin", "geomin_obl"})
#: methods that Kaiser-normalise rows by default (as R does for them)
_NORMALISED = frozenset({"varimax", "promax"})

Criterion = Callable[[np.ndarray], tuple[np.ndarray, float]]


@dataclass(frozen=True)
class Rotation:
    """A rotated solution.

    Attributes
    ----------
    loadings : ndarray
        Rotated (pattern) loadings, items x factors.
    phi : ndarray or None
        Factor correlations (oblique rotations only).
    converged : bool
        False if the algorithm stopped at ``max_iter``.
    """

    loadings: np.ndarray
    phi: np.ndarray | None
    converged: bool


def _oblimin(gamma: float) -> Criterion:
    """GPArotation ``vgQ.oblimin``: gradient and value of the oblimin criterion."""
    def vgq(lam: np.ndarray) -> tuple[np.ndarray, float]:
        p, k = lam.shape
        x = (lam**2) @ (1.0 - np.eye(k))
        if gamma != 0:
            x = (np.eye(p) - gamma / p) @ x
        return lam * x, float(np.sum(lam**2 * x) / 4)
    return vgq


def _geomin(delta: float) -> Criterion:
    """GPArotation ``vgQ.geomin``."""
    def vgq(lam: np.ndarray) -> tuple[np.ndarray, float]:
        k = lam.shape[1]
        l2 = lam**2 + delta
        pro = np.exp(np.log(l2).sum(axis=1) / k)
        return (2.0 / k) * (lam / l2) * pro[:, None], float(pro.sum())
    return vgq


def _gpf_oblique(a: np.ndarray, vgq: Criterion, eps: float,
                 max_iter: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """GPArotation ``GPFoblq`` from the identity; returns (loadings, T, converged)."""
    t = np.eye(a.shape[1])
    al = 1.0
    lam = a.copy()
    gq, f = vgq(lam)
    g = -(lam.T @ gq).T
    for _ in range(max_iter + 1):
        gp = g - t @ np.diag(np.sum(t * g, axis=0))
        s = float(np.sqrt(np.sum(gp**2)))
        if s < eps:
            return lam, t, True
        al *= 2
        for _ in range(11):
            tt = t - al * gp
            tt = tt / np.sqrt(np.sum(tt**2, axis=0))
            lam_t = a @ np.linalg.inv(tt).T
            gq_t, f_t = vgq(lam_t)
            if f - f_t > 0.5 * s**2 * al:
                break
            al /= 2
        t, f, lam = tt, f_t, lam_t
        g = -(lam.T @ gq_t @ np.linalg.inv(t)).T
    return lam, t, False


def _gpf_orthogonal(a: np.ndarray, vgq: Criterion, eps: float,
                    max_iter: int) -> tuple[np.ndarray, bool]:
    """GPArotation ``GPForth`` from the identity; returns (loadings, converged)."""
    t = np.eye(a.shape[1])
    al = 1.0
    lam = a.copy()
    gq, f = vgq(lam)
    g = a.T @ gq
    for _ in range(max_iter + 1):
        m = t.T @ g
        gp = g - t @ ((m + m.T) / 2)
        s = float(np.sqrt(np.sum(gp**2)))
        if s < eps:
            return lam, True
        al *= 2
        for _ in range(11):
            u, _, vt = np.linalg.svd(t - al * gp)
            tt = u @ vt
            lam_t = a @ tt
            gq_t, f_t = vgq(lam_t)
            if f_t < f - 0.5 * s**2 * al:
                break
            al /= 2
        t, f, lam = tt, f_t, lam_t
        g = a.T @ gq_t
    return lam, False


def _varimax(a: np.ndarray, eps: float, max_iter: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """R's ``stats::varimax`` without normalisation (done by the caller); (loadings, T, converged)."""
    p, k = a.shape
    t = np.eye(k)
    d = 0.0
    for _ in range(max_iter):
        z = a @ t
        b = a.T @ (z**3 - z * (z**2).sum(axis=0) / p)
        u, s, vt = np.linalg.svd(b)
        t = u @ vt
        d_past, d = d, float(s.sum())
        if d < d_past * (1 + eps):
            return a @ t, t, True
    return a @ t, t, False


def _promax(a: np.ndarray, eps: float, max_iter: int,
            power: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """Varimax, then the least-squares fit to the ``power`` target (``psych::Promax``)."""
    x, _, converged = _varimax(a, eps, max_iter)
    y = x * np.abs(x) ** (power - 1)
    coef = np.linalg.solve(x.T @ x, x.T @ y)
    try:
        d = np.diag(np.linalg.inv(coef.T @ coef))
    except np.linalg.LinAlgError:
        d = np.diag(np.linalg.pinv(coef.T @ coef))
    coef = coef * np.sqrt(d)
    inv = np.linalg.inv(coef)
    return x @ coef, inv @ inv.T, converged


def rotate(loadings: np.ndarray, method: str = "oblimin", *, normalize: bool | None = None,
           eps: float = 1e-5, max_iter: int = 1000, gamma: float = 0.0, delta: float = 0.01,
           power: int = 4) -> Rotation:
    """Rotate a loading matrix as GPArotation / psych do.

    Parameters
    ----------
    loadings : ndarray
        Unrotated loadings, items x factors.
    method : {"none", "varimax", "promax", "oblimin", "geomin_obl", "geomin_ort"}
        ``geomin_obl``/``geomin_ort`` are GPArotation's ``geominQ``/``geominT``.
    normalize : bool, optional
        Kaiser row normalisation before rotating. Default as R: on for varimax and
        promax (``stats::varimax``, ``psych::Promax``), off for the GPA rotations
        (GPArotation's default, which ``psych::fa`` uses).
    eps, max_iter : float, int
        Convergence tolerance and iteration limit (GPArotation's ``eps``, ``maxit``).
    gamma : float
        Oblimin's gamma (0 = quartimin, GPArotation's default).
    delta : float
        Geomin's delta (GPArotation's default 0.01).
    power : int
        Promax's power (psych's default 4).

    Returns
    -------
    Rotation
        Loadings, factor correlations (oblique rotations) and whether it converged. One
        factor (or ``"none"``) is returned unchanged.

    Examples
    --------
    >>> lam = np.array([[.8, .3], [.7, .35], [.75, .25], [.3, -.6], [.35, -.7], [.2, -.65]])
    >>> rot = rotate(lam, "oblimin")   # GPArotation::oblimin(lam)
    >>> np.round(np.abs(rot.loadings).max(axis=1), 2).tolist()
    [0.85, 0.78, 0.79, 0.67, 0.78, 0.68]
    >>> round(float(rot.phi[0, 1]), 4), rot.converged
    (-0.0398, True)
    """
    a = np.asarray(loadings, dtype=float)
    if method not in ROTATIONS:
        raise AnalysisError(f"Unknown rotation {method!r}. Choose one of: {', '.join(ROTATIONS)}.")
    if method == "none" or a.ndim != 2 or a.shape[1] < 2:
        return Rotation(a.copy(), None, True)
    norm = method in _NORMALISED if normalize is None else bool(normalize)
    w = np.sqrt((a**2).sum(axis=1)) if norm else np.ones(a.shape[0])
    x = a / w[:, None]
    phi: np.ndarray | None = None
    if method == "varimax":
        out, _, converged = _varimax(x, eps, max_iter)
    elif method == "promax":
        out, phi, converged = _promax(x, eps, max_iter, power)
    elif method == "geomin_ort":
        out, converged = _gpf_orthogonal(x, _geomin(delta), eps, max_iter)
    else:
        vgq = _oblimin(gamma) if method == "oblimin" else _geomin(delta)
        out, t, converged = _gpf_oblique(x, vgq, eps, max_iter)
        phi = t.T @ t
    return Rotation(out * w[:, None], phi, converged)
