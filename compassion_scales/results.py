"""Shared behaviour of cscore's result objects.

Multi-part analyses return frozen dataclasses that mix in :class:`ResultMixin`. The
public protocol every result follows (issue #11):

* ``title``: a short title;
* ``header()``: facts printed under the title (grouping column, confidence level...);
* ``sections()``: the titled tables, in reading order (the first is usually ``summary``);
* ``notes()``: lines printed under the tables (methods, options, caveats);
* ``summary``: the main DataFrame.

Every output is rendered from these by one function,
:func:`compassion_scales.reporting.render.render_result`: ``print_summary()``, the CLI's
table output (``--format table``, any ``--fmt``), ``to_json()`` (the CLI's ``--format
json``), LaTeX and HTML. Subclasses that predate the protocol define ``_title`` and
``_notes()``; the public methods fall back on them, so such a class needs no change.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from compassion_scales._format import render_table, to_jsonable

__all__ = ["ResultMixin", "EXTRA_SECTIONS"]

#: further tables of a result after its summary, for classes that do not define
#: ``sections()``: class name -> (title, attribute) pairs. (A class can instead override
#: ``sections()``; this table lets older classes show every part without an edit.)
EXTRA_SECTIONS: dict[str, list[tuple[str, str]]] = {
    "ChangeResult": [("Parameters", "parameters"), ("Group summary", "group")],
}


class ResultMixin:
    """Mixin for result dataclasses. Subclasses must provide a ``summary`` DataFrame.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Mean(ResultMixin):
    ...     table: pd.DataFrame
    ...     _title = "Means"
    ...     @property
    ...     def summary(self):
    ...         return self.table
    ...     def _notes(self):
    ...         return ["Means of the columns."]
    >>> res = Mean(pd.DataFrame({"score": ["a"], "mean": [1.234]}))
    >>> res.title, res.notes(), [t for t, _ in res.sections()]
    ('Means', ['Means of the columns.'], ['Means'])
    >>> res.print_summary()
    Means
    Score       M
    -------  ----
    a        1.23
    Means of the columns.
    """

    #: a short title printed above the summary (older classes; use ``title``)
    _title: str = "Result"

    @property
    def summary(self) -> pd.DataFrame:  # pragma: no cover - overridden
        raise NotImplementedError

    # ------------------------------------------------------------------ the protocol
    @property
    def title(self) -> str:
        """The result's title, printed first."""
        return str(self._title)

    def header(self) -> dict[str, Any]:
        """Facts printed under the title (name -> value); none by default."""
        return {}

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        """The titled tables in reading order: ``summary`` first, then any further parts."""
        out: list[tuple[str, pd.DataFrame]] = [(self.title, self.summary)]
        for title, attr in EXTRA_SECTIONS.get(type(self).__name__, []):
            frame = getattr(self, attr, None)
            if isinstance(frame, pd.DataFrame) and len(frame):
                out.append((title, frame))
        return out

    def notes(self) -> list[str]:
        """Lines printed under the tables (methods, options, caveats)."""
        return list(self._notes())

    def _notes(self) -> list[str]:
        """Older name of :meth:`notes`, which subclasses may still define."""
        return []

    # ------------------------------------------------------------------ outputs
    def render(self, fmt: str = "text", **options: Any) -> str:
        """The result as ``text``, ``csv``, ``json``, ``latex``, ``html`` or ``markdown``.

        ``options`` go to :func:`compassion_scales.reporting.render.render_result`
        (``table_style``, ``style``, ``columns``, ``decimals``).
        """
        from compassion_scales.reporting.render import render_result

        return render_result(self, fmt, **options)

    def print_summary(self, decimals: int | None = None, fmt: str = "simple",
                      style: str = "apa", columns: str = "compact") -> None:
        """Print the title, header facts, every section and the notes (as the CLI does).

        ``fmt`` is a tabulate style (``simple``, ``github``, ``latex``, ``html``...);
        ``style="plain"`` shows every column with fixed ``decimals`` (default 3).
        """
        print(self.render("text", table_style=fmt, style=style, columns=columns,
                          decimals=decimals))

    def to_table(self, fmt: str = "simple", decimals: int = 3) -> str:
        """Render ``summary`` alone as a plain text table (any tabulate style)."""
        return render_table(self.summary, fmt=fmt, decimals=decimals)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of the result's data: ``summary`` records plus notes."""
        return {"summary": to_jsonable(self.summary), "notes": self.notes()}

    def to_json(self, indent: int | None = 2) -> str:
        """The CLI's ``--format json``: ``to_dict()`` plus title, header, sections and notes."""
        return self.render("json", indent=indent)

    def __repr__(self) -> str:
        return f"{self.title}\n{self.to_table()}"

    def _repr_html_(self) -> str:
        return self.render("html")
