"""The batched saturated observed information (FIML h1 information) equals the per-pattern loop."""
from __future__ import annotations

import numpy as np
import pytest

from compassion_scales.stats import robust as rb


def _pair_trace(X, Y, r, c, f):
    k, q = r[:, None], c[:, None]
    m, n = r[None, :], c[None, :]
    return np.outer(f, f) * (X[n, k] * Y[q, m] + X[n, q] * Y[k, m] + X[m, k] * Y[q, n] + X[m, q] * Y[k, n])


def _loop_information(Y, mu, Sigma, meanstructure=True):
    """The former per-pattern loop of ``saturated_observed_information``, kept as the reference."""
    n_all, p = Y.shape
    R, C = rb.vech_index(p)
    pos = {(int(i), int(j)): t for t, (i, j) in enumerate(zip(R, C, strict=True))}
    off = p if meanstructure else 0
    A = np.zeros((off + R.size, off + R.size))
    keys, inv = np.unique(~np.isnan(Y), axis=0, return_inverse=True)
    inv = inv.ravel()
    for kk, key in enumerate(keys):
        o = np.flatnonzero(key)
        if o.size == 0:
            continue
        Xk = Y[np.ix_(inv == kk, o)]
        nk = Xk.shape[0]
        yb = Xk.mean(axis=0)
        Sk = (Xk - yb).T @ (Xk - yb) / nk
        P = np.linalg.inv(Sigma[np.ix_(o, o)])
        d = yb - mu[o]
        W = P @ (Sk + np.outer(d, d)) @ P
        r, c = rb.vech_index(o.size)
        f = np.where(r == c, 0.5, 1.0)
        g = off + np.array([pos[(int(o[i]), int(o[j]))] for i, j in zip(r, c, strict=True)])
        Tss = _pair_trace(P, W, r, c, f)
        A[np.ix_(g, g)] += 0.5 * nk * (-_pair_trace(P, P, r, c, f) + Tss + Tss.T)
        if meanstructure:
            A[np.ix_(o, o)] += nk * P
            Pd = P @ d
            cross = nk * f[None, :] * (P[:, r] * Pd[c][None, :] + P[:, c] * Pd[r][None, :])
            A[np.ix_(o, g)] += cross
            A[np.ix_(g, o)] += cross.T
    return A / n_all


def _data(seed, n, p, rate):
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(n, p)) @ (np.eye(p) + 0.3 * rng.random((p, p))) + rng.normal(size=p)
    Y[rng.random(Y.shape) < rate] = np.nan
    Y[0] = np.nan                      # an all-missing case: counted in n, contributes nothing
    Y[1:40, :2] = np.nan               # a pattern with many cases
    mu = np.nanmean(Y, axis=0) + 0.05
    Sig = np.cov(np.nan_to_num(Y - mu), rowvar=False) + 0.2 * np.eye(p)
    return Y, mu, Sig


@pytest.mark.parametrize("meanstructure", [True, False])
@pytest.mark.parametrize(("seed", "n", "p", "rate"), [(1, 300, 6, 0.15), (2, 120, 9, 0.3), (3, 50, 4, 0.0)])
def test_batched_equals_loop(seed, n, p, rate, meanstructure):
    Y, mu, Sig = _data(seed, n, p, rate)
    assert len(np.unique(np.isnan(Y), axis=0)) >= (3 if rate else 2)
    A = rb.saturated_observed_information(Y, mu, Sig, meanstructure=meanstructure)
    ref = _loop_information(Y, mu, Sig, meanstructure)
    assert A.shape == ref.shape
    np.testing.assert_allclose(A, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("chunk", [1, 3])
def test_batched_equals_loop_across_chunks(monkeypatch, chunk):
    """Patterns split over several chunks (or one pattern per chunk) sum to the same."""
    import compassion_scales.stats.sem.patterns as pt

    Y, mu, Sig = _data(4, 400, 7, 0.2)
    ref = _loop_information(Y, mu, Sig)
    monkeypatch.setattr(pt, "CHUNK", chunk)
    np.testing.assert_allclose(rb.saturated_observed_information(Y, mu, Sig), ref,
                               rtol=1e-12, atol=1e-12 * np.abs(ref).max())
