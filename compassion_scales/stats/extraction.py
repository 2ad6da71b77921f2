"""Factor extraction from a correlation matrix: minres (ULS), maximum likelihood, principal axis.

Arrays in, arrays out, following ``psych::fa`` (``fm = "minres"``, ``"ml"``, ``"pa"``). Every
analysis that extracts factors (``efa``, ``omega``, ``parallel_analysis``, the item table's
one-factor loadings) calls :func:`extract` or one of the three fits here. Loadings are returned
unsigned (as the eigen decomposition gives them); callers sign them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compassion_scales.errors import AnalysisError
from compassion_scales.stats.correlation import smc

__all__ = ["FactorFit", "PSI_LOWER", "METHODS", "extract", "fit_minres", "fit_ml", "fit_pa",
           "minres_loadings", "one_factor_uls"]

#: extraction methods (names as in ``psych::fa(fm=)``)
METHODS = ("minres", "ml", "pa")
#: lower bound on uniquenesses used by psych::fa's optimiser (and here)
PSI_LOWER = 0.005


@dataclass(frozen=True)
class FactorFit:
    """An unrotated factor solution.

    Attributes
    ----------
    loadings : ndarray
        Unrotated loadings, items x factors.
    psi : ndarray
        Optimiser's uniquenesses (minres, ml) or ``1 - communality`` (pa).
    converged : bool
    n_iter : int
    message : str
    reduced_values : ndarray or None
        For pa: eigenvalues of the reduced matrix of the last iteration (as psych reports).
    """

    loadings: np.ndarray
    psi: np.ndarray
    converged: bool
    n_iter: int
    message: str
    reduced_values: np.ndarray | None = None


def _top_eigen(a: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    w, v = np.linalg.eigh(a)
    return w[::-1][:k], v[:, ::-1][:, :k]


def minres_loadings(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """Loadings of ``k`` factors given uniquenesses ``psi``: leading eigenvectors of ``r - Psi``.

    Examples
    --------
    >>> r = np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]])
    >>> np.round(np.abs(minres_loadings(np.full(3, .5), r, 1)).ravel(), 4).tolist()
    [0.7071, 0.7071, 0.7071]
    """
    w, v = _top_eigen(r - np.diag(psi), k)
    return v * np.sqrt(np.maximum(w, 0.0))


def fit_minres(r: np.ndarray, k: int, start: np.ndarray | None = None) -> FactorFit:
    """Minimum residual (unweighted least squares) fit of ``k`` factors, as ``psych::fa``.

    L-BFGS-B on the uniquenesses in ``[0.005, 1]``, started at ``1 - SMC``. The whole-matrix
    ULS optimum equals psych's off-diagonal criterion; in Heywood cases (a uniqueness on its
    bound) the solution is polished with psych's criterion itself.

    Examples
    --------
    >>> r = np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]])
    >>> np.round(np.abs(fit_minres(r, 1).loadings).ravel(), 4).tolist()  # psych::fa(r, 1)
    [0.7071, 0.7071, 0.7071]
    """
    from scipy.optimize import minimize

    def fun(psi: np.ndarray) -> tuple[float, np.ndarray]:
        lam = minres_loadings(psi, r, k)
        res = r - lam @ lam.T - np.diag(psi)
        return 0.5 * float(np.sum(res * res)), -np.diag(res).copy()

    x0 = np.diag(r) - smc(r) if start is None else start
    x0 = np.clip(x0, PSI_LOWER, 1.0)
    bounds = [(PSI_LOWER, 1.0)] * len(r)
    opt = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20})
    if np.any(opt.x <= PSI_LOWER * (1 + 1e-6)):
        low = np.tril_indices(len(r), -1)

        def offdiag(psi: np.ndarray) -> float:
            lam = minres_loadings(psi, r, k)
            return float(np.sum((r - lam @ lam.T)[low] ** 2))

        opt2 = minimize(offdiag, opt.x, method="L-BFGS-B", bounds=bounds,
                        options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
        if opt2.fun <= offdiag(opt.x):
            opt = opt2
    return FactorFit(minres_loadings(opt.x, r, k), opt.x, bool(opt.success), int(opt.nit),
                     str(opt.message))


def _ml_loadings(psi: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    sc = 1.0 / np.sqrt(psi)
    w, v = _top_eigen(r * np.outer(sc, sc), k)
    return (v * np.sqrt(np.maximum(w - 1.0, 0.0))) * np.sqrt(psi)[:, None]


def _ml_objective(r: np.ndarray, k: int, psi: np.ndarray) -> tuple[float, np.ndarray]:
    """Joreskog's concentrated ML discrepancy and its gradient in the uniquenesses."""
    p = len(r)
    sc = 1.0 / np.sqrt(psi)
    w, v = np.linalg.eigh(r * np.outer(sc, sc))
    w, v = w[::-1], v[:, ::-1]
    e = w[k:]
    f = -(np.sum(np.log(e) - e) - k + p)
    lam = (v[:, :k] * np.sqrt(np.maximum(w[:k] - 1.0, 0.0))) * np.sqrt(psi)[:, None]
    g = np.sum(lam * lam, axis=1) + psi - np.diag(r)
    return float(f), g / psi**2


def fit_ml(r: np.ndarray, k: int) -> FactorFit:
    """Maximum-likelihood fit of ``k`` factors (``factanal``/``psych::fa(fm = "ml")``).

    In Heywood cases the likelihood has several local minima on the bounds: the optimiser
    starts from ``1 - SMC`` and from psych's start ``(1 - k/2p) / diag(R^-1)``, in psych's
    scale (``parscale = 0.01``), and keeps the lower minimum.

    Raises
    ------
    AnalysisError
        If ``r`` is not positive definite.

    Examples
    --------
    >>> r = np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]])
    >>> np.round(np.abs(fit_ml(r, 1).loadings).ravel(), 4).tolist()  # factanal(covmat = r, 1)
    [0.7071, 0.7071, 0.7071]
    """
    from scipy.optimize import minimize

    p = len(r)
    if np.linalg.eigvalsh(r)[0] <= 1e-10:
        raise AnalysisError(
            "Maximum likelihood needs a positive-definite correlation matrix, and this one is not "
            "(an item is a combination of others, or pairwise deletion made the correlations "
            "inconsistent). Use method='minres', --missing listwise, or drop redundant items.")
    scale = 0.01

    def fun_scaled(z: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = _ml_objective(r, k, z * scale)
        return f, g * scale

    best = None
    nit = 0
    for x0 in (np.diag(r) - smc(r), (1.0 - 0.5 * k / p) / np.diag(np.linalg.inv(r))):
        x0 = np.clip(x0, PSI_LOWER, 1.0)
        opt = minimize(fun_scaled, x0 / scale, jac=True, method="L-BFGS-B",
                       bounds=[(PSI_LOWER / scale, 1.0 / scale)] * p,
                       options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-12, "maxcor": 20})
        nit += int(opt.nit)
        if best is None or opt.fun < best.fun - 1e-12:
            best = opt
    assert best is not None
    psi = np.clip(best.x * scale, PSI_LOWER, 1.0)
    # converged: the gradient vanishes except where it pushes a uniqueness against a bound
    # (L-BFGS-B's own flag often reports a failed line search at this tolerance)
    g = _ml_objective(r, k, psi)[1]
    at_low = (psi <= PSI_LOWER * (1 + 1e-6)) & (g > 0)
    at_high = (psi >= 1.0 - 1e-9) & (g < 0)
    pg = float(np.abs(np.where(at_low | at_high, 0.0, g)).max())
    converged = bool(best.success) or pg < 1e-5
    msg = str(best.message) if best.success else f"projected gradient {pg:.1e} ({best.message})"
    return FactorFit(_ml_loadings(psi, r, k), psi, converged, nit, msg)


def fit_pa(r: np.ndarray, k: int, *, min_err: float = 0.001, max_iter: int = 50,
           smc_start: bool = True) -> FactorFit:
    """Iterated principal axis exactly as ``psych::fa(fm = "pa")``.

    Starts from squared multiple correlations on the diagonal (ones when ``smc_start`` is
    False) and stops when the sum of communalities changes by less than ``min_err`` or after
    ``max_iter`` iterations.

    Raises
    ------
    AnalysisError
        If the reduced matrix has a negative leading eigenvalue (too many factors).

    Examples
    --------
    >>> r = np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]])
    >>> np.round(np.abs(fit_pa(r, 1).loadings).ravel(), 3).tolist()  # psych::fa(r, 1, fm = "pa")
    [0.707, 0.707, 0.707]
    """
    rm = r.copy()
    if smc_start:
        np.fill_diagonal(rm, smc(r))
    comm = float(np.trace(rm))
    err = comm
    i = 1
    converged = True
    lam = np.zeros((len(r), k))
    values = np.linalg.eigvalsh(rm)[::-1]
    while err > min_err:
        values = np.linalg.eigvalsh(rm)[::-1]
        w, v = _top_eigen(rm, k)
        if np.any(w < 0):
            raise AnalysisError(
                "Principal axis factoring met a negative eigenvalue (too many factors for these "
                "data). Ask for fewer factors or use method='minres'.")
        lam = v * np.sqrt(w)
        new = np.sum(lam * lam, axis=1)
        comm1 = float(new.sum())
        np.fill_diagonal(rm, new)
        err = abs(comm - comm1)
        comm = comm1
        i += 1
        if i > max_iter:
            converged = err <= min_err
            break
    h2 = np.sum(lam * lam, axis=1)
    return FactorFit(lam, 1.0 - h2, converged, i - 1,
                     "converged" if converged else f"stopped after {max_iter} iterations", values)


def one_factor_uls(r: np.ndarray, tol: float = 1e-9, max_iter: int = 1000,
                   start: np.ndarray | None = None) -> np.ndarray:
    """One-factor ULS (minres) loadings by iterated principal axes, signed to a positive sum.

    The fast one-factor case of :func:`fit_minres` (the fixed point of principal axes is the
    ULS solution; communalities capped at ``1 - PSI_LOWER``), used by the omega bootstrap.
    ``start``: initial communalities (default: squared multiple correlations).

    Examples
    --------
    >>> r = np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]])
    >>> np.round(one_factor_uls(r), 4).tolist()
    [0.7071, 0.7071, 0.7071]
    """
    h = smc(r) if start is None else np.asarray(start, dtype=float).copy()
    lam = np.zeros(r.shape[0])
    for _ in range(max_iter):
        rr = r.copy()
        np.fill_diagonal(rr, h)
        w, v = np.linalg.eigh(rr)
        lam = v[:, -1] * np.sqrt(max(w[-1], 0.0))
        h_new = np.minimum(lam * lam, 1.0 - PSI_LOWER)
        if np.max(np.abs(h_new - h)) < tol:
            h = h_new
            break
        h = h_new
    return lam if lam.sum() >= 0 else -lam


def extract(r: np.ndarray, k: int, method: str = "minres") -> FactorFit:
    """Extract ``k`` factors from correlation matrix ``r`` with ``method`` (see :data:`METHODS`).

    Examples
    --------
    >>> r = np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]])
    >>> extract(r, 1, "ml").loadings.shape
    (3, 1)
    """
    if method == "minres":
        return fit_minres(r, k)
    if method == "ml":
        return fit_ml(r, k)
    if method == "pa":
        return fit_pa(r, k)
    raise AnalysisError(f"Unknown extraction method {method!r}. Choose one of: "
                        f"{', '.join(METHODS)}.")
