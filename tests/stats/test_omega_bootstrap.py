"""The fast omega kernel (stats/omega_bootstrap.py) equals the general omega() on the same data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import compassion_scales as cs
from compassion_scales.stats.correlation import pairwise_cor, pairwise_cor_stack
from compassion_scales.stats.omega_bootstrap import (
    _batched_omega,
    bootstrap_omega_total,
    omega_total_1f,
    one_factor_uls,
)


@pytest.fixture(scope="module")
def fcs_items():
    d = cs.read_responses("examples/responses.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prep = cs.prepare_responses(d[d["time"] == "1"], "fcs")
    return pd.DataFrame(prep.values, columns=prep.item_ids)


def test_pairwise_corr_equals_pandas(fcs_items):
    x = fcs_items.iloc[:, :12]
    assert np.allclose(pairwise_cor(x.to_numpy()), x.corr().to_numpy(), atol=1e-12)


@pytest.mark.parametrize("score", ["fcs_others", "fcs_from_others", "fcs_self"])
def test_omega_total_matches_library_omega(fcs_items, score):
    items = list(cs.load_instrument("fcs").score(score).items)
    x = fcs_items[items]
    ref = float(cs.omega(x).loc[0, "omega_total"])          # psych::omega-checked path
    assert omega_total_1f(pairwise_cor(x.to_numpy())) == pytest.approx(ref, abs=1e-8)
    r = pairwise_cor(x.to_numpy())
    batched = _batched_omega(r[None], one_factor_uls(r) ** 2 * 0.9)
    assert batched[0] == pytest.approx(ref, abs=1e-6)


def test_batched_corr_equals_single(fcs_items):
    x = fcs_items.iloc[:, :10].to_numpy()
    rng = np.random.default_rng(3)
    idx = rng.integers(0, len(x), (4, len(x)))
    many = pairwise_cor_stack(x[idx])
    for b in range(4):
        assert np.allclose(many[b], pairwise_cor(x[idx[b]]), atol=1e-12)


def test_bootstrap_interval_is_seeded_and_brackets_estimate(fcs_items):
    x = fcs_items[list(cs.load_instrument("fcs").score("fcs_self").items)].to_numpy()
    a = bootstrap_omega_total(x, n_boot=300, seed=5)
    assert a == bootstrap_omega_total(x, n_boot=300, seed=5)
    est = omega_total_1f(pairwise_cor(x))
    assert a[0] < est < a[1] and a[2] == 300
