"""Ordinary least squares with classical (homoscedastic) standard errors."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["OLSFit", "ols"]


@dataclass(frozen=True)
class OLSFit:
    """Coefficients of ``y ~ X`` with their inference (as R ``summary(lm())``).

    Attributes
    ----------
    params, bse, tvalues, pvalues : ndarray
        Coefficients, standard errors, t statistics and two-sided p values.
    conf_int : ndarray (p, 2)
        Confidence limits at ``level``.
    df_resid : float
    nobs : int
    rsquared : float
        ``1 - RSS / TSS`` with TSS about the mean (the design is taken to hold a constant).
    sigma2 : float
        Residual variance ``RSS / df_resid``.
    """

    params: np.ndarray
    bse: np.ndarray
    tvalues: np.ndarray
    pvalues: np.ndarray
    conf_int: np.ndarray
    df_resid: float
    nobs: int
    rsquared: float
    sigma2: float


def ols(y: np.ndarray, X: np.ndarray, level: float = 0.95) -> OLSFit:
    """Fit ``y = X b + e`` by least squares (pseudo-inverse, as statsmodels ``OLS``).

    Parameters
    ----------
    y : array (n,)
    X : array (n, p)
        Design matrix including the constant column.
    level : float
        Confidence level of ``conf_int``.

    Returns
    -------
    OLSFit

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2, 3, 4, 5])
    >>> fit = ols(np.array([2.1, 3.9, 6.2, 7.8, 10.1]), np.column_stack([np.ones(5), x]))
    >>> fit.params.round(3).tolist(), round(fit.rsquared, 4)
    ([0.05, 1.99], 0.9973)
    """
    from compassion_scales.stats.distributions import t as t_dist

    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    pinv = np.linalg.pinv(X)
    params = pinv @ y
    resid = y - X @ params
    n, rank = X.shape[0], np.linalg.matrix_rank(X)
    df = float(n - rank)
    sigma2 = float(resid @ resid) / df
    bse = np.sqrt(np.diag(sigma2 * (pinv @ pinv.T)))
    tvalues = params / bse
    pvalues = 2 * t_dist.sf(np.abs(tvalues), df)
    q = t_dist.ppf(1 - (1 - level) / 2, df)
    centred = y - y.mean()
    rsq = 1.0 - float(resid @ resid) / float(centred @ centred)
    return OLSFit(params=params, bse=bse, tvalues=tvalues, pvalues=pvalues,
                  conf_int=np.column_stack([params - q * bse, params + q * bse]), df_resid=df, nobs=n,
                  rsquared=rsq, sigma2=sigma2)
