"""Formatted tables: text (any tabulate style), HTML, LaTeX (booktabs) and Word.

Result objects are rendered through :mod:`compassion_scales.reporting.render`, which
turns their sections into these tables.

A :class:`Table` holds a title, the APA-formatted cells (strings) and notes; the same
object renders to every output, so what the terminal shows is what goes into the paper.

Examples
--------
>>> import pandas as pd
>>> t = make_table(pd.DataFrame({"score": ["a"], "alpha": [0.8953], "p_val": [0.0004]}),
...                title="Reliability")
>>> print(t.to_text())
Reliability
Score      α  p
-------  ---  ------
a        .90  < .001
"""

from __future__ import annotations

import html as _html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales._format import DOCUMENT_SUFFIXES, plain_table
from compassion_scales.reporting.apa import apa_frame, numeric_columns

__all__ = ["Table", "make_table", "tables_to_html", "tables_to_latex", "write_tables",
           "DOCUMENT_SUFFIXES", "cfa_factor_correlations"]


@dataclass
class Table:
    """A rendered-ready table: ``cells`` are strings (APA or plain formatted)."""

    title: str
    cells: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    numeric: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.numeric:
            self.numeric = numeric_columns(self.cells)

    def to_text(self, fmt: str = "simple", title: bool = True) -> str:
        """Tabulate text (``simple``, ``github``, ``grid``...; ``latex*``/``html`` use ours)."""
        if fmt in ("latex", "latex_booktabs", "latex_raw"):
            return tables_to_latex([self])
        if fmt == "html":
            return tables_to_html([self])
        align = ["right" if n else "left" for n in self.numeric]
        rows = self.cells.values.tolist()
        headers = [str(c) for c in self.cells.columns]
        body = plain_table(rows, headers, align, fmt)
        if body is None:
            from tabulate import tabulate

            body = tabulate(rows, headers=headers, tablefmt=fmt, disable_numparse=True,
                            colalign=align if align else None)
        return f"{self.title}\n{body}" if title and self.title else body


def make_table(df: pd.DataFrame, title: str = "", *, table: str | None = None,
               style: str = "apa", columns: str = "compact", decimals: int | None = None,
               ci_label: str = "CI", notes: Sequence[str] = ()) -> Table:
    """Format ``df`` for display.

    ``style="apa"`` applies :func:`compassion_scales.reporting.apa.apa_frame` (compact
    columns unless ``columns="all"``); ``style="plain"`` keeps every column with
    ``decimals`` (default 3) decimals, as older cscore versions printed.
    """
    if style == "apa":
        cells = apa_frame(df, table=table or title, columns=columns, decimals=decimals,
                          ci_label=ci_label)
    else:
        d = 3 if decimals is None else decimals

        def plain(v: Any) -> str:
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                return ""
            if isinstance(v, (float, np.floating)):
                return f"{float(v):.{d}f}"
            return str(v)

        cells = pd.DataFrame({str(c): [plain(v) for v in df[c]] for c in df.columns})
    return Table(title=title, cells=cells, notes=list(notes))


def _esc_latex(text: str) -> str:
    repl = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
            "<": r"$<$", ">": r"$>$", "α": r"$\alpha$", "ω": r"$\omega$", "η": r"$\eta$",
            "χ": r"$\chi$", "λ": r"$\lambda$", "β": r"$\beta$", "Δ": r"$\Delta$", "²": r"$^2$",
            "−": "-", "∞": r"$\infty$",
            **{chr(0x2080 + d): r"\textsubscript{" + str(d) + "}" for d in range(10)}}
    return "".join(repl.get(ch, ch) for ch in str(text))


def tables_to_latex(tables: Sequence[Table]) -> str:
    r"""LaTeX ``table`` environments with booktabs rules (``\usepackage{booktabs}``)."""
    parts = []
    for t in tables:
        spec = "".join("r" if n else "l" for n in t.numeric) or "l"
        lines = [r"\begin{table}[htbp]", r"\centering"]
        if t.title:
            lines.append(r"\caption{" + _esc_latex(t.title) + "}")
        lines += [r"\begin{tabular}{" + spec + "}", r"\toprule",
                  " & ".join(_esc_latex(c) for c in t.cells.columns) + r" \\", r"\midrule"]
        for row in t.cells.itertuples(index=False, name=None):
            lines.append(" & ".join(_esc_latex(v) for v in row) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}"]
        if t.notes:
            lines.append(r"\par\smallskip\footnotesize\emph{Note.} "
                         + _esc_latex(" ".join(t.notes)))
        lines.append(r"\end{table}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def table_html(t: Table, number: int | None = None) -> str:
    """One table as an APA-styled HTML fragment (class ``apa``)."""
    head = "".join(f"<th class=\"{'num' if n else 'txt'}\">{_html.escape(str(c))}</th>"
                   for c, n in zip(t.cells.columns, t.numeric, strict=True))
    rows = []
    for row in t.cells.itertuples(index=False, name=None):
        rows.append("<tr>" + "".join(f"<td class=\"{'num' if n else 'txt'}\">{_html.escape(str(v))}</td>"
                                     for v, n in zip(row, t.numeric, strict=True)) + "</tr>")
    label = f"<span class=\"tnum\">Table {number}</span><br>" if number is not None else ""
    cap = (f"<p class=\"tcap\">{label}<em>{_html.escape(t.title)}</em></p>"
           if t.title or label else "")
    notes = ("<p class=\"tnote\"><em>Note.</em> " + _html.escape(" ".join(t.notes)) + "</p>"
             if t.notes else "")
    return (f"<div class=\"apa-table\">{cap}<table class=\"apa\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{notes}</div>")


APA_TABLE_CSS = """
table.apa{border-collapse:collapse;margin:0 0 0.2em;font-variant-numeric:tabular-nums}
div.apa-table{margin:1em 0;break-inside:avoid}
p.tcap{margin:0 0 0.3em}p.tcap .tnum{font-weight:bold;font-style:normal}
table.apa thead tr{border-top:1.5px solid #000;border-bottom:1px solid #000}
table.apa tbody tr:last-child{border-bottom:1.5px solid #000}
table.apa th,table.apa td{padding:0.2em 0.7em;font-weight:normal}
table.apa .num{text-align:right;white-space:nowrap}
table.apa .txt{text-align:left}
p.tnote{font-size:0.9em;margin-top:0.2em}
"""


def tables_to_html(tables: Sequence[Table], standalone: bool = False, title: str = "cscore tables") -> str:
    """HTML for the tables (a complete page with ``standalone=True``)."""
    body = "\n".join(table_html(t, i + 1) for i, t in enumerate(tables))
    if not standalone:
        return body + "\n"
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_html.escape(title)}"
            f"</title><style>body{{font-family:'Times New Roman',serif}}{APA_TABLE_CSS}</style></head>"
            f"<body>{body}</body></html>\n")


def _docx_borders(cell: Any, **edges: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, size in edges.items():
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), size)
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)


def write_docx(tables: Sequence[Table], path: str | Path) -> Path:
    """Word document with one APA table per result (bold number, italic title, three rules)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"  # type: ignore[attr-defined]
    style.font.size = Pt(12)  # type: ignore[attr-defined]
    for i, t in enumerate(tables, start=1):
        p = doc.add_paragraph()
        p.add_run(f"Table {i}").bold = True
        p = doc.add_paragraph()
        p.add_run(t.title).italic = True
        n_rows, n_cols = len(t.cells) + 1, max(1, len(t.cells.columns))
        table = doc.add_table(rows=n_rows, cols=n_cols)
        for j, (col, num) in enumerate(zip(t.cells.columns, t.numeric, strict=True)):
            cell = table.cell(0, j)
            cell.text = str(col)
            _docx_borders(cell, top="12", bottom="6")
            if num:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for r, row in enumerate(t.cells.itertuples(index=False, name=None), start=1):
            for j, (v, num) in enumerate(zip(row, t.numeric, strict=True)):
                cell = table.cell(r, j)
                cell.text = str(v)
                if num:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
                if r == n_rows - 1:
                    _docx_borders(cell, bottom="12")
        if t.notes:
            p = doc.add_paragraph()
            p.add_run("Note. ").italic = True
            p.add_run(" ".join(t.notes))
        doc.add_paragraph()
    out = Path(path)
    doc.save(str(out))
    return out


def write_tables(tables: Sequence[Table], path: str | Path) -> Path:
    """Write the tables as a document chosen by the extension (.docx, .tex, .html, .md)."""
    from compassion_scales.errors import OutputFileError

    out = Path(path)
    suffix = out.suffix.lower()
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.exists():
        raise OutputFileError(f"{out}: the folder {folder} does not exist.")
    try:
        if suffix == ".docx":
            return write_docx(tables, out)
        if suffix == ".tex":
            out.write_text(tables_to_latex(tables), encoding="utf-8")
        elif suffix in (".html", ".htm"):
            out.write_text(tables_to_html(tables, standalone=True), encoding="utf-8")
        elif suffix == ".md":
            out.write_text("\n\n".join(f"**{t.title}**\n\n" + t.to_text("github", title=False)
                                       + ("\n\n*Note.* " + " ".join(t.notes) if t.notes else "")
                                       for t in tables) + "\n", encoding="utf-8")
        else:
            raise OutputFileError(f"{out}: unknown document type {suffix!r}; use one of "
                                  + ", ".join(DOCUMENT_SUFFIXES) + ".")
    except PermissionError:
        raise OutputFileError(f"{out}: permission denied.") from None
    return out


def cfa_factor_correlations(result: Any) -> pd.DataFrame:
    """Standardised factor correlations of a CFA result (``factor_a``, ``factor_b``, ``r``, ``se_r``, ``p_val``).

    Read from the ``~~`` rows between two different factors of ``result.estimates``
    (lavaan's ``std.all`` of the latent covariances).
    """
    est = result.estimates
    factors = set(result.loadings.columns) if hasattr(result, "loadings") else set()
    mask = (est["op"] == "~~") & (est["lhs"] != est["rhs"]) & est["lhs"].isin(factors) \
        & est["rhs"].isin(factors)
    sub = est[mask]
    cols = {"lhs": "factor_a", "rhs": "factor_b", "std_all": "r", "std_se": "se_r", "p_val": "p_val"}
    if "group" in sub.columns:
        cols = {"group": "group", **cols}
    keep = [c for c in cols if c in sub.columns]
    return sub[keep].rename(columns=cols).reset_index(drop=True)
