"""Reliable-change kernels (Jacobson & Truax, 1991): arrays in, arrays out.

Shared by :mod:`compassion_scales.analyses.change` (two occasions) and
:mod:`compassion_scales.analyses.track` (many sessions). No instruments, files or wording
for users here; callers check their parameters and phrase their errors.

References
----------
Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical approach
to defining meaningful change in psychotherapy research. *Journal of Consulting and
Clinical Psychology, 59*(1), 12-19. https://doi.org/10.1037/0022-006X.59.1.12
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["se_diff", "rci", "rc_direction", "jt_cutoffs", "normal_scores", "RC_LABELS", "NO_RC",
           "CLINICAL_CATEGORIES", "functional_side", "clinical_categories"]

#: reliable-change category codes (rise, fall) for each score direction
RC_LABELS = {
    "better": ("reliable_improvement", "reliable_deterioration"),
    "worse": ("reliable_deterioration", "reliable_improvement"),
    "neutral": ("reliable_increase", "reliable_decrease"),
}
#: the code of a change within measurement error
NO_RC = "no_reliable_change"
#: Jacobson-Truax clinical-significance category codes
CLINICAL_CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated")


def se_diff(sd: float, reliability: float) -> float:
    """Standard error of a difference score, ``SD * sqrt(2) * sqrt(1 - r)``.

    Examples
    --------
    >>> round(se_diff(10, 0.84), 4)
    5.6569
    """
    return float(sd) * math.sqrt(2.0) * math.sqrt(1.0 - float(reliability))


def rci(pre: np.ndarray, post: np.ndarray, se: float) -> np.ndarray:
    """Reliable Change Index ``(post - pre) / SE_diff`` (NaN where a score is NaN).

    Examples
    --------
    >>> rci(np.array([30.0, 30.0]), np.array([18.0, np.nan]), 5.0).tolist()
    [-2.4, nan]
    """
    return (np.asarray(post, dtype=float) - np.asarray(pre, dtype=float)) / float(se)


def rc_direction(rci_values: np.ndarray, criterion: float = 1.96) -> np.ndarray:
    """+1 where ``RCI > criterion``, -1 where ``RCI < -criterion``, 0 otherwise, NaN where NaN.

    A change of exactly ``criterion`` is not reliable.

    Examples
    --------
    >>> rc_direction(np.array([2.0, -1.96, -2.5, np.nan])).tolist()
    [1.0, 0.0, -1.0, nan]
    """
    r = np.asarray(rci_values, dtype=float)
    out = np.zeros(r.shape, dtype=float)
    filled = np.nan_to_num(r)
    out[filled > criterion] = 1.0
    out[filled < -criterion] = -1.0
    out[np.isnan(r)] = np.nan
    return out


def jt_cutoffs(sign: float, clinical: tuple[float, float] | None,
               functional: tuple[float, float] | None) -> dict[str, float | None]:
    """Cut-offs a, b, c; ``sign`` is +1 when higher is better, -1 when higher is worse.

    ``a = M_clin + sign * 2 SD_clin``, ``b = M_func - sign * 2 SD_func``,
    ``c = (SD_clin * M_func + SD_func * M_clin) / (SD_clin + SD_func)``.

    Examples
    --------
    >>> jt_cutoffs(-1.0, (30.0, 8.0), (12.0, 6.0))
    {'a': 14.0, 'b': 24.0, 'c': 19.714285714285715}
    """
    out: dict[str, float | None] = {"a": None, "b": None, "c": None}
    if clinical is not None:
        out["a"] = float(clinical[0]) + sign * 2.0 * float(clinical[1])
    if functional is not None:
        out["b"] = float(functional[0]) - sign * 2.0 * float(functional[1])
    if clinical is not None and functional is not None:
        mc, sc = float(clinical[0]), float(clinical[1])
        mf, sf = float(functional[0]), float(functional[1])
        out["c"] = (sc * mf + sf * mc) / (sc + sf)
    return out


def normal_scores(x: np.ndarray, mean: float, sd: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z, T (``50 + 10 z``) and percentile (``100 * Phi(z)``, normal approximation).

    Examples
    --------
    >>> z, t, p = normal_scores(np.array([60.0, 50.0]), 50.0, 10.0)
    >>> z.tolist(), t.tolist(), p.round(2).tolist()
    ([1.0, 0.0], [60.0, 50.0], [84.13, 50.0])
    """
    from scipy.special import ndtr

    z = (np.asarray(x, dtype=float) - float(mean)) / float(sd)
    return z, 50.0 + 10.0 * z, 100.0 * ndtr(z)


def functional_side(values: np.ndarray, cutoff: float, higher_is_better: bool) -> np.ndarray:
    """1.0 where a score lies beyond ``cutoff`` on the functional side, 0.0 where not, NaN where NaN.

    A score exactly at the cut-off is not beyond it.

    Examples
    --------
    >>> functional_side(np.array([10.0, 20.0, np.nan]), 19.7, higher_is_better=False).tolist()
    [1.0, 0.0, nan]
    """
    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        side = v > cutoff if higher_is_better else v < cutoff
    return np.where(np.isnan(v), np.nan, side.astype(float))


def clinical_categories(improved: np.ndarray, deteriorated: np.ndarray, unchanged: np.ndarray,
                        pre_functional: np.ndarray, post_functional: np.ndarray) -> np.ndarray:
    """Jacobson-Truax categories: recovered (reliable improvement crossing from the clinical
    into the functional range), improved, unchanged, deteriorated; None where not assessable.

    Examples
    --------
    >>> clinical_categories(np.array([True, True, False]), np.array([False, False, True]),
    ...                     np.array([False, False, False]), np.array([0.0, 1.0, 0.0]),
    ...                     np.array([1.0, 1.0, 0.0])).tolist()
    ['recovered', 'improved', 'deteriorated']
    """
    cat = np.full(np.shape(improved), None, dtype=object)
    crossed = (np.asarray(pre_functional) == 0.0) & (np.asarray(post_functional) == 1.0)
    cat[unchanged] = "unchanged"
    cat[deteriorated] = "deteriorated"
    cat[improved] = "improved"
    cat[improved & crossed] = "recovered"
    return cat
