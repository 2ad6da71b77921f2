"""Plots of a careless-responding screen (matplotlib Figures; the backend is never changed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from compassion_scales.analyses.screen import ScreenResult

__all__ = ["plot_screening"]


def plot_screening(result: ScreenResult, n_agree: int = 2) -> Figure:
    """Long-string vs IRV and a Mahalanobis D² quantile plot, flagged respondents marked.

    Parameters
    ----------
    result : ScreenResult
        From :func:`compassion_scales.analyses.screen.screen`.
    n_agree : int
        Respondents flagged by at least this many indices are drawn as red crosses.

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot, so no backend is selected or switched; save it with
        ``fig.savefig("screen.png")``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from compassion_scales.analyses.screen import screen
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(np.clip(np.round(np.linspace(1, 3, 15) + rng.normal(size=(60, 1))
    ...                   + rng.normal(size=(60, 15))), 0, 4),
    ...                   columns=[f"fcs_self_{i}" for i in range(1, 16)])
    >>> fig = plot_screening(screen(df, "fcs"))
    >>> [ax.get_title() for ax in fig.axes]
    ['Long-string vs IRV', 'Mahalanobis D² Q-Q plot']
    """
    from matplotlib.figure import Figure

    from compassion_scales.stats.distributions import chi2

    tab = result.table
    flagged = result.flagged(n_agree).to_numpy()
    fig = Figure(figsize=(10, 4.5), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    x = tab["irv"].to_numpy(dtype=float)
    y = tab["longstring"].to_numpy(dtype=float)
    ax1.scatter(x[~flagged], y[~flagged], s=14, c="0.45", alpha=0.7, label="not flagged")
    ax1.scatter(x[flagged], y[flagged], s=30, c="tab:red", marker="x",
                label=f"flagged by >= {n_agree} indices")
    ax1.set_xlabel("IRV (SD of a person's answers)")
    ax1.set_ylabel("Longest run of identical answers")
    ax1.set_title("Long-string vs IRV")
    ax1.legend(loc="upper right", fontsize="small")
    col = "mahalanobis_robust_d2" if "mahalanobis_robust_d2" in tab else "mahalanobis_d2"
    if col in tab:
        d2 = tab[col].to_numpy(dtype=float)
        ok = np.isfinite(d2)
        order = np.argsort(d2[ok], kind="stable")
        k = len(result.items)
        n = int(ok.sum())
        q = chi2.ppf((np.arange(1, n + 1) - 0.5) / n, df=k)  # R ppoints for n > 10
        d_sorted = d2[ok][order]
        f_sorted = flagged[ok][order]
        ax2.scatter(q[~f_sorted], d_sorted[~f_sorted], s=14, c="0.45", alpha=0.7)
        ax2.scatter(q[f_sorted], d_sorted[f_sorted], s=30, c="tab:red", marker="x")
        lim = [0, float(max(q.max(), 1.0))]
        ax2.plot(lim, lim, color="0.6", lw=1)
        cut = result.thresholds.get("mahalanobis_p")
        if cut:
            ax2.axhline(chi2.isf(cut, df=k), color="tab:red", lw=0.8, ls="--",
                        label=f"p = {cut:g}")
            ax2.legend(loc="upper left", fontsize="small")
        ax2.set_xlabel(f"Quantiles of chi-square ({k} df)")
        ax2.set_ylabel("Robust Mahalanobis D²" if col.startswith("mahalanobis_robust") else "Mahalanobis D²")
    ax2.set_title("Mahalanobis D² Q-Q plot")
    return fig
