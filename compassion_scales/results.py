"""Shared behaviour of cscore's result objects.

Multi-part analyses return frozen dataclasses that mix in :class:`ResultMixin`:
a ``summary`` DataFrame, ``print_summary()``, ``to_table()``, ``to_dict()``, a
readable ``repr`` and ``_repr_html_`` for notebooks.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from compassion_scales._format import dumps_json, render_table, to_jsonable

__all__ = ["ResultMixin"]


class ResultMixin:
    """Mixin for result dataclasses. Subclasses must provide a ``summary`` DataFrame."""

    #: a short title printed above the summary
    _title: str = "Result"

    @property
    def summary(self) -> pd.DataFrame:  # pragma: no cover - overridden
        raise NotImplementedError

    def _notes(self) -> list[str]:
        """Lines printed under the summary (methods, options, caveats)."""
        return []

    def to_table(self, fmt: str = "simple", decimals: int = 3) -> str:
        """Render ``summary`` as a text table (any tabulate style: github, latex, html...)."""
        return render_table(self.summary, fmt=fmt, decimals=decimals)

    def print_summary(self, decimals: int = 3, fmt: str = "simple") -> None:
        """Print a title, the summary table and explanatory notes."""
        print(self._title)
        print(self.to_table(fmt=fmt, decimals=decimals))
        for line in self._notes():
            print(line)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict: ``summary`` records plus notes (the CLI's ``--format json``)."""
        return {"summary": to_jsonable(self.summary), "notes": self._notes()}

    def to_json(self, indent: int | None = 2) -> str:
        """``to_dict()`` as JSON text."""
        return dumps_json(self.to_dict(), indent=indent)

    def __repr__(self) -> str:
        return f"{self._title}\n{self.to_table()}"

    def _repr_html_(self) -> str:
        return f"<h4>{self._title}</h4>" + self.summary.to_html(index=False)
