"""Saving figures: one place that checks the file type (the analyses return Figures)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from compassion_scales.errors import AnalysisError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["save_figure"]


def save_figure(fig: Figure, path: str | Path, *, suffixes: tuple[str, ...] = (".png", ".svg"),
                **savefig: Any) -> Path:
    """Save ``fig`` as PNG or SVG (chosen by the file extension) and return the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
    suffixes : tuple of str
        Accepted extensions.
    **savefig
        Passed to :meth:`matplotlib.figure.Figure.savefig` (default ``dpi=150``).

    Raises
    ------
    AnalysisError
        The extension is not one of ``suffixes``.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> save_figure(Figure(), "plot.pdf")
    Traceback (most recent call last):
    ...
    compassion_scales.errors.AnalysisError: The plot file must end in .png or .svg, not '.pdf'.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in suffixes:
        raise AnalysisError(f"The plot file must end in {' or '.join(suffixes)}, not "
                            f"{suffix or '(none)'!r}.")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, **{"dpi": 150, **savefig})
    return out
