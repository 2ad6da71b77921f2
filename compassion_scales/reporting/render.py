"""One renderer for result objects (issue #11).

Every output of a result is built here from its public protocol (``title``,
``header()``, ``sections()``, ``notes()``; see :mod:`compassion_scales.results`):
``print_summary()``, the CLI's ``--format table`` (any ``--fmt``), ``--format csv``,
``--format json`` (``to_json()``), LaTeX, HTML and Markdown. So what the terminal shows,
what a notebook shows and what the JSON holds have the same sections and notes.

This module and the table helpers it uses (:mod:`.tables`, :mod:`.apa`) import no
analysis module, so the result classes may render through it.

Examples
--------
>>> import pandas as pd
>>> from compassion_scales.results import ResultMixin
>>> class Tiny(ResultMixin):
...     title = "Tiny"
...     summary = pd.DataFrame({"score": ["a"], "p_val": [0.0004]})
...     def notes(self):
...         return ["One test."]
>>> print(render_result(Tiny()))
Tiny
Score    p
-------  ------
a        < .001
One test.
>>> import json
>>> json.loads(render_result(Tiny(), "json"))["sections"][0]["title"]
'Tiny'
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from compassion_scales._format import dumps_json, to_jsonable
from compassion_scales.reporting.tables import Table, make_table, tables_to_html, tables_to_latex

__all__ = ["FORMATS", "render_result", "render_tables", "result_tables", "result_payload", "header_line"]

#: what :func:`render_result` can produce.
FORMATS = ("text", "csv", "json", "latex", "html", "markdown")
_LATEX_STYLES = ("latex", "latex_booktabs", "latex_raw")


def ci_label(result: Any) -> str:
    """``"95% CI"`` from the result's ``level`` (or older ``ci``) attribute, else ``"CI"``."""
    level = getattr(result, "level", None)
    if not isinstance(level, float):
        level = getattr(result, "ci", None)
    return f"{float(level) * 100:g}% CI" if isinstance(level, float) else "CI"


def header_line(result: Any) -> str:
    """The header facts as one line: ``group: arm · levels: a, b · level: 0.95``."""
    facts = result.header()
    parts = []
    for key, value in facts.items():
        shown = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        parts.append(f"{key}: {shown}")
    return " · ".join(parts)


def result_tables(result: Any, *, style: str = "apa", columns: str = "compact",
                  decimals: int | None = None) -> list[Table]:
    """The result's sections as formatted tables; the header facts and notes go under the first.

    The compact column set of a section (``style="apa"``) is looked up by the result's
    class name for ``summary`` and by the section title for the others.
    """
    label = ci_label(result)
    summary = result.summary
    facts = header_line(result)
    first_notes = ([f"{facts}."] if facts else []) + result.notes()
    out = []
    for i, (title, frame) in enumerate(result.sections()):
        key = type(result).__name__ if frame is summary else title
        out.append(make_table(frame, title, table=key, style=style, columns=columns,
                              decimals=decimals, ci_label=label,
                              notes=first_notes if i == 0 else ()))
    return out


def result_payload(result: Any) -> dict[str, Any]:
    """The JSON body: the result's ``to_dict()`` data plus title, header, sections, notes.

    ``sections`` is a list of ``{"title", "rows"}`` in reading order (the tables the text
    output prints, unrounded).
    """
    payload = dict(to_jsonable(result.to_dict()))
    payload["title"] = result.title
    payload["header"] = to_jsonable(result.header())
    payload["sections"] = [{"title": t, "rows": to_jsonable(f)} for t, f in result.sections()]
    payload["notes"] = result.notes()
    return payload


def _text(result: Any, tables: list[Table], table_style: str) -> str:
    """Title, header facts, the tables (blank lines between) and the notes."""
    head = [result.title]
    facts = header_line(result)
    if facts:
        head.append(facts)
    texts = [t.to_text(table_style, title=i > 0 or t.title != result.title)
             for i, t in enumerate(tables)]
    if tables and tables[0].title and tables[0].title != result.title:
        head.append("")
    return "\n".join([*head, "\n\n".join(texts), *result.notes()])


def _html(result: Any, tables: list[Table]) -> str:
    """An HTML fragment: the title as a heading, the header facts, then the APA tables."""
    import html

    facts = header_line(result)
    return (f"<h4>{html.escape(result.title)}</h4>"
            + (f"<p>{html.escape(facts)}</p>" if facts else "") + tables_to_html(tables))


def render_result(result: Any, fmt: str = "text", *, table_style: str = "simple",
                  style: str = "apa", columns: str = "compact", decimals: int | None = None,
                  indent: int | None = 2) -> str:
    """Render a result object (a ``ResultMixin``).

    Parameters
    ----------
    result : ResultMixin
        Any result of cscore.
    fmt : {"text", "csv", "json", "latex", "html", "markdown"}
        ``text``: title, header facts, every section as a table and the notes (the CLI's
        ``--format table``; with ``table_style`` latex or html, the same as ``latex`` or
        ``html`` without the heading); ``csv``: the ``summary`` table; ``json``:
        :func:`result_payload`; ``latex`` (booktabs), ``html`` (a fragment with the title
        as a heading, for notebooks) and ``markdown``: every section as a document table
        with the notes under the first.
    table_style : str
        tabulate style of the text tables (``simple``, ``github``, ``grid``...).
    style : {"apa", "plain"}
        APA number formatting and compact columns, or every column with fixed decimals.
    columns : {"compact", "all"}
        With ``style="apa"``: the usual columns or all of them.
    decimals : int, optional
        Decimals shown (default: APA rules; 3 with ``style="plain"``).
    indent : int or None
        JSON indentation.

    Returns
    -------
    str
    """
    if fmt == "json":
        return dumps_json(result_payload(result), indent=indent)
    if fmt == "csv":
        frame: pd.DataFrame = result.summary
        return frame.to_csv(index=False)
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    tables = result_tables(result, style=style, columns=columns, decimals=decimals)
    return render_tables(result, tables, fmt, table_style=table_style)


def render_tables(result: Any, tables: list[Table], fmt: str = "text", *,
                  table_style: str = "simple") -> str:
    """Render a result whose tables :func:`result_tables` already made (as
    :func:`render_result` does with ``fmt`` text, latex, html or markdown), so that a caller
    who keeps the tables (the CLI, for ``-o report.docx``) formats them once.

    Examples
    --------
    >>> import pandas as pd
    >>> from compassion_scales.results import ResultMixin
    >>> class Tiny(ResultMixin):
    ...     title = "Tiny"
    ...     summary = pd.DataFrame({"score": ["a"], "p_val": [0.0004]})
    >>> tables = result_tables(Tiny())
    >>> render_tables(Tiny(), tables, "markdown") == render_result(Tiny(), "markdown")
    True
    """
    if fmt == "latex":
        return tables_to_latex(tables)
    if fmt == "html":
        return _html(result, tables)
    if fmt == "markdown":
        return _text(result, tables, "github")
    if table_style in _LATEX_STYLES:  # a LaTeX or HTML table style prints the document form
        return tables_to_latex(tables)
    if table_style == "html":
        return tables_to_html(tables)
    return _text(result, tables, table_style)
