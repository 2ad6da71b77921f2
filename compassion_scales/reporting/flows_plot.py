"""Profile plot of a :class:`~compassion_scales.analyses.flows.FlowsResult`.

The figure is built with :class:`matplotlib.figure.Figure` directly, never through
``pyplot``, so drawing it neither switches the user's matplotlib backend nor opens a
window; saving it is the caller's job (:func:`save_figure` checks the file type).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compassion_scales.reporting.figures import save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["flows_profile_figure", "save_figure"]  # save_figure: from reporting.figures

_AXIS_LABEL = {"mean_item": "mean item score", "pomp": "POMP (0-100)", "raw": "score"}


def _panel(ax: Any, sub: pd.DataFrame, flows: list[str], groups: list[Any]) -> None:
    xs = np.arange(len(flows))
    for i, gname in enumerate(groups):
        s = sub[sub["group"] == gname].set_index("flow").reindex(flows)
        off = (i - (len(groups) - 1) / 2) * 0.06
        yerr = np.vstack([s["mean"] - s["ci_low"], s["ci_high"] - s["mean"]])
        ax.errorbar(xs + off, s["mean"], yerr=yerr, marker="o", capsize=4, label=str(gname))
    ax.set_xticks(xs, [f.replace("_", " ") for f in flows])
    ax.set_xlabel("flow")


def flows_profile_figure(result: Any, *, title: str | None = None) -> Figure:
    """Flows on the x axis, one line per group, CI bars; one panel per time point.

    Parameters
    ----------
    result : FlowsResult
    title : str, optional
        Figure title (default "Flows of compassion").

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from compassion_scales import flows
    >>> df = pd.DataFrame({"self": [1.0, 2, 3, 2, 4], "others": [2.0, 3, 3, 4, 5]})
    >>> fig = flows_profile_figure(flows(df, scores={"self": "self", "to_others": "others"}))
    >>> type(fig).__name__, len(fig.axes)
    ('Figure', 1)
    """
    from matplotlib.figure import Figure

    d = result.descriptives
    flows = list(result.flow_scores["flow"])
    times = list(pd.unique(d["time"])) if "time" in d.columns else [None]
    groups = list(pd.unique(d["group"]))
    fig = Figure(figsize=(4.5 * len(times) + 1, 4))
    axes = fig.subplots(1, len(times), squeeze=False, sharey=True)
    for ax, tm in zip(axes[0], times, strict=True):
        _panel(ax, d if tm is None else d[d["time"] == tm], flows, groups)
        if tm is not None:
            ax.set_title(f"{result.time} = {tm}")
    axes[0][0].set_ylabel(_AXIS_LABEL[result.metric] + f" (mean, {result.level * 100:g}% CI)")
    if len(groups) > 1:
        axes[0][-1].legend(title=result.group)
    fig.suptitle(title or "Flows of compassion")
    fig.tight_layout()
    return fig
