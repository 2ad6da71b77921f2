"""Random-intercept linear mixed model fitted by profiling the (RE)ML likelihood.

The model is ``y = X beta + Z u + e`` with one random intercept per cluster,
``u ~ N(0, tau2)`` and ``e ~ N(0, sigma2)``. Given the variance ratio
``gamma = tau2 / sigma2`` everything else is closed form (generalised least squares), so the
(restricted) likelihood is profiled over ``theta = sqrt(gamma)`` alone and maximised with a
one-dimensional bounded search: the same parameterisation and criterion as ``lme4::lmer``
(``theta`` is lmer's relative covariance factor).

Per evaluation the cost depends only on the number of predictors and of distinct cluster sizes,
never on the number of people: the cluster sums of ``X`` and ``y`` are reduced once to
within-cluster cross-products and one between-cluster cross-product per cluster size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["RandomInterceptFit", "random_intercept_lmm"]

_LOG_2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class RandomInterceptFit:
    """Estimates of a random-intercept linear mixed model.

    Attributes
    ----------
    beta : ndarray
        Fixed effects.
    cov_beta : ndarray
        Their covariance matrix ``sigma2 (X' V^-1 X)^-1`` (as ``vcov()`` in lme4).
    se : ndarray
        Standard errors of ``beta``.
    sigma2 : float
        Residual variance (REML: RSS / (n - p); ML: RSS / n, as lme4's ``sigma()^2``).
    tau2 : float
        Random-intercept variance.
    theta : float
        Relative standard deviation ``sqrt(tau2 / sigma2)`` (lme4's ``getME(fit, "theta")``).
    loglik : float
        Maximised log-likelihood (REML: the restricted one, as ``logLik()`` in lme4).
    criterion : float
        ``-2 * loglik`` (lme4's ``REMLcrit()`` or ``deviance()``).
    reml : bool
    n_obs, n_groups : int
    """

    beta: np.ndarray
    cov_beta: np.ndarray
    se: np.ndarray
    sigma2: float
    tau2: float
    theta: float
    loglik: float
    criterion: float
    reml: bool
    n_obs: int
    n_groups: int


def _cluster_sums(values: np.ndarray, codes: np.ndarray, m: int) -> np.ndarray:
    """Column sums per cluster (m x k) without a loop over clusters."""
    out = np.empty((m, values.shape[1]))
    for j in range(values.shape[1]):  # loop over predictors, not people
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=m)
    return out


def _checked_inputs(y: Any, X: Any, groups: Any) -> tuple[np.ndarray, np.ndarray]:
    """``y`` and ``X`` as float arrays of matching rows, complete, with more rows than columns."""
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0] or len(groups) != y.shape[0]:
        raise ValueError("y, X and groups must have the same number of rows.")
    if not (np.isfinite(y).all() and np.isfinite(X).all()):
        raise ValueError("y and X must not contain missing values.")
    if X.shape[0] <= X.shape[1]:
        raise ValueError("More observations than fixed effects are needed.")
    return y, X


def random_intercept_lmm(y: np.ndarray, X: np.ndarray, groups: np.ndarray, *,
                         reml: bool = True, xatol: float = 1e-10) -> RandomInterceptFit:
    """Fit ``y ~ X + (1 | groups)`` by REML or ML.

    Parameters
    ----------
    y : array (n,)
        Outcome, no missing values.
    X : array (n, p)
        Fixed-effects design matrix of full column rank (include the intercept column).
    groups : array (n,)
        Cluster labels (any hashable values; e.g. person ids).
    reml : bool
        Restricted maximum likelihood (default, as lmer) or maximum likelihood.
    xatol : float
        Tolerance of the bounded search on ``theta / (1 + theta)``.

    Returns
    -------
    RandomInterceptFit

    Raises
    ------
    ValueError
        Mismatched shapes, missing values, fewer observations than predictors or a
        rank-deficient design.

    Notes
    -----
    With ``V_i = I + gamma 1 1'`` for cluster ``i`` of size ``n_i``,
    ``X' V^-1 X = W_xx + sum_i s_i s_i' / (n_i (1 + n_i gamma))`` where ``W_xx`` is the
    within-cluster cross-product and ``s_i`` the cluster sum of ``X``; likewise for
    ``X' V^-1 y`` and ``y' V^-1 y``; ``log |V| = sum_i log(1 + n_i gamma)``. Profiling out
    ``sigma2`` gives the criteria

    * ML: ``log|V| + n (1 + log(2 pi RSS / n))``
    * REML: ``log|V| + log|X' V^-1 X| + (n - p) (1 + log(2 pi RSS / (n - p)))``

    with ``RSS = y' V^-1 y - b' (X' V^-1 X)^-1 b``, ``b = X' V^-1 y``: the same criteria lme4
    minimises (Bates et al. 2015, eq. 34 and 41).

    References
    ----------
    Bates, D., Maechler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
    models using lme4. *Journal of Statistical Software*, 67(1), 1-48.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(50), 4)
    >>> x = np.tile([0.0, 1.0, 0.0, 1.0], 50)
    >>> y = 1 + 0.5 * x + rng.normal(0, 0.7, 50)[g] + rng.normal(0, 1, 200)
    >>> fit = random_intercept_lmm(y, np.column_stack([np.ones(200), x]), g)
    >>> fit.beta.round(3).tolist(), fit.n_groups
    ([0.827, 0.568], 50)
    """
    from scipy.optimize import minimize_scalar

    y, X = _checked_inputs(y, X, groups)
    n, p = X.shape
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    codes = codes.ravel()
    m = int(codes.max()) + 1
    sizes = np.bincount(codes, minlength=m).astype(float)

    Xy = np.column_stack([X, y])
    S = _cluster_sums(Xy, codes, m)
    centred = Xy - (S / sizes[:, None])[codes]
    W = centred.T @ centred  # within-cluster cross-products of [X y]
    ks, kinv = np.unique(sizes, return_inverse=True)
    kinv = kinv.ravel()
    counts = np.bincount(kinv).astype(float)
    # between-cluster cross-products, one block per distinct cluster size
    B = np.stack([S[kinv == j].T @ S[kinv == j] for j in range(ks.size)])
    dof = n - p if reml else n

    def pieces(theta: float) -> tuple[np.ndarray, np.ndarray, float, float, float]:
        gamma = theta * theta
        wts = 1.0 / (ks * (1.0 + ks * gamma))
        M = W + np.tensordot(wts, B, axes=1)
        A, b, c = M[:p, :p], M[:p, p], M[p, p]
        chol = np.linalg.cholesky(A)
        z = np.linalg.solve(chol, b)
        rss = c - z @ z
        logdet_v = float(counts @ np.log1p(ks * gamma))
        logdet_a = 2.0 * float(np.log(np.diag(chol)).sum())
        return A, b, max(rss, 0.0), logdet_v, logdet_a

    def crit(theta: float) -> float:
        _, _, rss, logdet_v, logdet_a = pieces(theta)
        out = logdet_v + dof * (1.0 + _LOG_2PI + np.log(rss / dof))
        return out + logdet_a if reml else out

    try:
        _, _, rss0, _, _ = pieces(0.0)
    except np.linalg.LinAlgError:
        raise ValueError("The fixed-effects design is rank deficient.") from None
    if rss0 <= 1e-12 * max(float(y @ y), 1e-300):
        raise ValueError("The values do not vary around the fixed effects (every residual is "
                         "zero), so no variance can be estimated.")
    # search on t = theta / (1 + theta) in [0, 1): theta from 0 (no cluster variance) upwards
    res = minimize_scalar(lambda t: crit(t / (1.0 - t)), bounds=(0.0, 1.0 - 1e-9), method="bounded",
                          options={"xatol": xatol, "maxiter": 500})
    t_best = float(res.x)
    theta = t_best / (1.0 - t_best)
    if crit(0.0) <= crit(theta):  # the boundary is never evaluated by the bounded search
        theta = 0.0
    A, b, rss, _, _ = pieces(theta)
    beta = np.linalg.solve(A, b)
    sigma2 = rss / dof
    cov = sigma2 * np.linalg.inv(A)
    cov = (cov + cov.T) / 2
    value = crit(theta)
    return RandomInterceptFit(beta=beta, cov_beta=cov, se=np.sqrt(np.diag(cov)), sigma2=float(sigma2),
                              tau2=float(sigma2 * theta * theta), theta=float(theta), loglik=-value / 2,
                              criterion=float(value), reml=reml, n_obs=n, n_groups=m)
