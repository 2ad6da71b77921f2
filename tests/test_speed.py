"""Speed work (#16): thread guards and lazy imports that keep results identical but faster."""
import numpy as np
import pandas as pd


def test_bootstrap_alpha_runs_blas_on_one_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    import compassion_scales.internal_consistency as ic

    seen = []
    real = ic._boot_alpha

    def spy(*args, **kwargs):
        seen.append({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
        return real(*args, **kwargs)

    monkeypatch.setattr(ic, "_boot_alpha", spy)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.integers(1, 6, (200, 5)), columns=list("abcde"))
    with_guard = ic.cronbach_alpha(X, boot=200, seed=3)
    assert seen == [{1}]
    # same resamples, same interval as without the guard (up to the last bits of a sum)
    boots = real(X.to_numpy(float), 200, 3)
    p = 0.025
    np.testing.assert_allclose(with_guard.loc[0, ["boot_ci_low", "boot_ci_high"]].to_numpy(float),
                               np.quantile(boots, [p, 1 - p]), rtol=1e-12)
