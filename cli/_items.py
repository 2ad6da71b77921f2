"""The option family every command that reads item answers shares.

``--map``, ``--pattern``, ``--on-invalid``, ``--prorate`` and ``--value-labels`` mean the
same in ``score`` and in every analysis; the library takes the same choices as keyword
arguments (``column_map``, ``patterns``, ``on_invalid``, ``prorate``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ItemChoices:
    """What the user chose with the shared item options."""

    map_file: str | None = None
    patterns: tuple[str, ...] = ()
    on_invalid: str = "error"
    prorate: float | None = None
    value_labels: bool = False
    exclude_flagged: int | None = None

    @property
    def files(self) -> list[str]:
        """Input files named by these options (never to be overwritten)."""
        return [self.map_file] if self.map_file else []

    def screen(self, data: Any, instrument: Any, id: Any = ()) -> Any:
        """With ``--exclude-flagged N``: drop the rows flagged by N or more careless-responding
        indices (``cs.exclude_flagged``), saying who and why on standard error."""
        if not self.exclude_flagged:
            return data
        if instrument is None:
            raise click.UsageError("--exclude-flagged needs -i INSTRUMENT: screening uses the "
                                   "instrument's subscales, keys and response range.")
        from compassion_scales._inputs import subset_rows
        from compassion_scales.analyses.screen import exclude_flagged, exclusion_notes
        from compassion_scales.cli._options import captured_warnings
        from compassion_scales.errors import AnalysisError

        ids = [id] if isinstance(id, str) else [c for c in (id or ()) if c]
        try:
            with captured_warnings():
                kept, excluded = exclude_flagged(data, instrument, n_agree=self.exclude_flagged,
                                                 id=ids or None,
                                                 **self.library_kwargs(prorate=False))
        except AnalysisError as exc:  # the screen was not asked for by name: say which option ran it
            raise AnalysisError(f"--exclude-flagged {self.exclude_flagged}: {exc}") from None
        for line in exclusion_notes(excluded, self.exclude_flagged, len(data)):
            click.echo(f"Note: {line}", err=True)
        return subset_rows(data, data.index.isin(kept.index))

    def library_kwargs(self, *, prorate: bool = True) -> dict[str, Any]:
        """Keyword arguments for the library verbs."""
        from compassion_scales.io import read_column_map

        out: dict[str, Any] = {
            "column_map": read_column_map(self.map_file) if self.map_file else None,
            "patterns": list(self.patterns) or None,
            "on_invalid": self.on_invalid,
        }
        if prorate:
            out["prorate"] = self.prorate
        return out


def item_options(func: F) -> F:
    """Add ``--map --pattern --on-invalid --prorate --value-labels``; the command receives
    them as one ``items: ItemChoices`` argument."""

    @functools.wraps(func)
    def wrapper(*args: Any, map_file: str | None = None, patterns: tuple[str, ...] = (),
                on_invalid: str = "error", prorate: float | None = None,
                value_labels: bool = False, exclude_flagged: int | None = None,
                **kwargs: Any) -> Any:
        choices = ItemChoices(map_file, tuple(patterns), on_invalid, prorate, value_labels,
                              exclude_flagged)
        return func(*args, items=choices, **kwargs)

    options = [
        click.option("--exclude-flagged", type=click.IntRange(1, None), default=None, metavar="N",
                     help="Leave out people flagged as careless by N or more screening indices "
                          "(see 'cscore screen'); who was excluded and why is listed."),
        click.option("--value-labels", is_flag=True,
                     help="SPSS/Stata: match answers by their value labels instead of their codes."),
        click.option("--prorate", type=click.FloatRange(0, 1, min_open=True), default=None,
                     metavar="P",
                     help="Override the instruments' missing-data rules: score when at least "
                          "proportion P of items is answered (sums prorated)."),
        click.option("--on-invalid", type=click.Choice(["error", "missing"]), default="error",
                     show_default=True,
                     help="Invalid answers stop with a list of every bad cell, or become missing "
                          "(and are reported)."),
        click.option("--pattern", "patterns", multiple=True, metavar="[SECTION=]TEMPLATE",
                     help="Numbered export columns, e.g. 'for_self=Q12_{n}' or 'Q{n:02d}' "
                          "({n} = item number on the form)."),
        click.option("--map", "map_file", type=click.Path(dir_okay=False), metavar="FILE",
                     help="Column map (CSV 'column,item' or YAML column: item) for exports with "
                          "other names."),
    ]
    out: Any = wrapper
    for opt in options:
        out = opt(out)
    return out  # type: ignore[no-any-return]
