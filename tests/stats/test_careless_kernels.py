"""Careless-responding kernels against hand-computed cases and R golden values.

Golden values: tests/reference/careless_indices_bfi400.csv, made by
tests/reference/screening.R (psych::outlier for Mahalanobis D2; the other indices with
base R following the formulas of R's careless 1.2, which is not installable here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from testkit import REFERENCE

from compassion_scales.stats import careless

REF = REFERENCE
KEYS = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]


@pytest.fixture(scope="module")
def bfi() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    data = pd.read_csv(REF / "data" / "bfi.csv").iloc[:400, :25]
    keyed = data.copy()
    keyed[KEYS] = 7 - keyed[KEYS]
    gold = pd.read_csv(REF / "careless_indices_bfi400.csv", comment="#")
    return data.to_numpy(dtype=float), keyed.to_numpy(dtype=float), gold


# ---------------------------------------------------------------- hand-computed cases


def test_longstring_hand() -> None:
    # rle(c(2,2,2,5,1,1)) lengths 3,1,2: max 3, mean 2; rle(c(1,2,1,2,1,2)): six runs of 1
    X = np.array([[2., 2, 2, 5, 1, 1], [1, 2, 1, 2, 1, 2], [3, 3, 3, 3, 3, 3]])
    longest, avg = careless.longstring(X)
    assert longest.tolist() == [3, 1, 6]
    assert avg.tolist() == [2, 1, 6]


def test_longstring_missing_breaks_runs() -> None:
    longest, avg = careless.longstring(np.array([[4., 4, np.nan, 4, 4, 4], [np.nan] * 6]))
    assert longest[0] == 3 and avg[0] == 2.5  # runs 2 and 3; the NA is no run
    assert np.isnan(longest[1]) and np.isnan(avg[1])


def test_irv_hand() -> None:
    # sd(c(1, 3, 5, 7)) = sqrt(20/3)
    out = careless.irv(np.array([[1., 3, 5, 7], [2, np.nan, 2, 4], [1, np.nan, np.nan, np.nan]]))
    assert out[0] == pytest.approx(np.sqrt(20 / 3))
    assert out[1] == pytest.approx(np.sqrt(4 / 3 / 2 * 2))  # sd(c(2, 2, 4)) = 1.1547
    assert np.isnan(out[2])


def test_evenodd_hand() -> None:
    # subscales of 3 items: odd = items 1 and 3, even = item 2
    # person: (1,2,3) (4,4,4) (2,5,2) -> odd means 2,4,2; even means 2,4,5
    # cor(c(2,4,5), c(2,4,2)) = 0.2773501; SB: 2r/(1+r) = 0.4342; index = -0.4342
    X = np.array([[1., 2, 3, 4, 4, 4, 2, 5, 2]])
    eo, n = careless.evenodd(X, [range(0, 3), range(3, 6), range(6, 9)])
    r = np.corrcoef([2, 4, 5], [2, 4, 2])[0, 1]
    assert eo[0] == pytest.approx(-(2 * r / (1 + r)))
    assert n[0] == 3


def test_evenodd_bounded_at_minus_one() -> None:
    # r = -1 -> SB = -inf... careless bounds r_sb below at -1, so the index is at most 1
    X = np.array([[1., 5, 3, 3, 5, 1]])
    eo, _ = careless.evenodd(X, [range(0, 2), range(2, 4), range(4, 6)])
    assert eo[0] == 1.0


def test_psychsyn_hand() -> None:
    # three synonym pairs (0,1), (2,3), (4,5); the last respondent answers them crosswise
    base = np.array([[1., 1, 3, 3, 5, 5], [2, 2, 4, 4, 1, 1], [5, 5, 1, 1, 3, 3],
                     [3, 3, 2, 2, 4, 4], [4, 4, 5, 5, 2, 2]])
    X = np.vstack([base, [[1., 5, 5, 1, 3, 3]]])
    R = np.corrcoef(base.T)  # pairs found in the attentive sample (the R argument)
    s, n, pairs = careless.psychsyn(X, 0.6, R=R)
    assert {tuple(p) for p in pairs.tolist()} == {(1, 0), (3, 2), (5, 4)}
    assert np.allclose(s[:5], 1.0)
    # last row: pairs (5,1), (1,5), (3,3) -> cor(c(1,5,3), c(5,1,3)) = -1
    assert s[5] == pytest.approx(-1.0) and n[5] == 3


def test_person_total_hand() -> None:
    X = np.array([[1., 2, 5], [1, 3, 4], [2, 2, 5], [5, 4, 1]])
    loo = (X.sum(axis=0) - X[3]) / 3  # others' means for the last row: 4/3, 7/3, 14/3
    assert careless.person_total(X)[3] == pytest.approx(np.corrcoef(X[3], loo)[0, 1])


def test_alternation_hand() -> None:
    # c(1,5,1,5): squared successive differences 16*3 = 48; sum of squared deviations 16
    assert careless.alternation(np.array([[1., 5, 1, 5]]))[0] == pytest.approx(3.0)


# ---------------------------------------------------------------- R golden values


def test_longstring_vs_r(bfi) -> None:
    X, _, gold = bfi
    longest, avg = careless.longstring(X)
    np.testing.assert_array_equal(longest, gold["longstr"].to_numpy())
    complete = gold["complete"].to_numpy()  # careless counts each NA as a run in avgstr
    np.testing.assert_allclose(avg[complete], gold["avgstr"].to_numpy()[complete], rtol=1e-12)


def test_irv_vs_r(bfi) -> None:
    X, _, gold = bfi
    np.testing.assert_allclose(careless.irv(X), gold["irv"], rtol=1e-12)


def test_evenodd_vs_r(bfi) -> None:
    _, Xk, gold = bfi
    eo, _ = careless.evenodd(Xk, [range(5 * j, 5 * j + 5) for j in range(5)])
    np.testing.assert_allclose(eo, gold["evenodd"], rtol=1e-10, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize(("col", "crit", "anto"), [("psychsyn", 0.5, False), ("psychant", 0.4, True)])
def test_psychsyn_vs_r(bfi, col: str, crit: float, anto: bool) -> None:
    X, _, gold = bfi
    s, _, pairs = careless.psychsyn(X, crit, anto=anto)
    assert len(pairs) > 0
    np.testing.assert_allclose(s, gold[col], rtol=1e-10, atol=1e-12, equal_nan=True)


def test_mahalanobis_vs_psych_outlier(bfi) -> None:
    X, _, gold = bfi
    d2, p = careless.mahalanobis(X)
    np.testing.assert_allclose(d2, gold["mahad"], rtol=1e-9)
    np.testing.assert_allclose(p, gold["mahad_p"], rtol=1e-8, atol=1e-300)


def test_person_total_vs_r(bfi) -> None:
    X, _, gold = bfi
    np.testing.assert_allclose(careless.person_total(X), gold["person_total"], rtol=1e-10,
                               equal_nan=True)


def test_robust_mahalanobis_unmasks_shared_pattern() -> None:
    rng = np.random.default_rng(7)
    f = rng.normal(size=(300, 1))
    X = np.round(3 + f + rng.normal(scale=0.6, size=(300, 12)))
    X[:15] = [1, 5] * 6  # 5% give one alternating pattern
    _, p = careless.mahalanobis(X)
    _, pr = careless.robust_mahalanobis(X)
    assert np.median(p[:15]) > 0.001  # masked
    assert (pr[:15] < 0.001).all()
    assert (pr[15:] < 0.001).mean() < 0.05
