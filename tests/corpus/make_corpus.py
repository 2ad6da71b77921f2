"""Make the bad-input corpus: files written byte for byte the way real tools write them.

Every case is a :class:`Case`: the files it needs (bytes, or a function writing the file),
the ``cscore`` arguments, and what must happen (exit code, words the message must
contain, scores computed by hand, columns that must come out exactly as they went in).
Cases live in the modules ``cases_*.py`` beside this file, each exposing
``CASES: list[Case]``; :func:`all_cases` collects them. ``tests/cli/test_corpus.py`` runs
them; nothing generated is committed.

Writers reproduce what the tools write (as far as their public exports and test
fixtures show):

* **Qualtrics** CSV: UTF-8 with BOM, CRLF, metadata columns ``StartDate..UserLanguage``,
  row 2 question text, row 3 ``{"ImportId":"QID1_1"}`` per column written CSV-quoted
  (``"{""ImportId"":""QID1_1""}"``); the legacy export (``V1..V10`` columns, row 2
  ``ResponseID,ResponseSet,...``, a trailing comma on every line); the 2-row form with
  question text only; the Excel export (same three header rows in cells); the TSV export
  (UTF-16LE with BOM, tab-separated).
* **REDCap**: raw export (field names, coded choices), label export (field labels as
  headers, choice labels as answers, ``Complete?`` status column), the data dictionary CSV.
* **LimeSurvey**: ``id,submitdate,lastpage,startlanguage,seed`` then ``Q1[SQ001]``
  array columns, every field quoted.
* **SPSS** through pyreadstat (value labels), **Excel** through openpyxl (number
  formats, text cells, booleans).

Run ``python tests/corpus/make_corpus.py OUTDIR`` to write every case's files into
``OUTDIR/<case id>/`` for a look by hand.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TOY = str(HERE.parent / "data" / "toy_scale.yaml")

FileSpec = bytes | Callable[[Path], None]


@dataclass
class Case:
    """One corpus case.

    ``args`` are ``cscore`` arguments; ``{d}`` is replaced by the case's folder. On exit 0
    with ``scores``, the output file ``out`` (CSV) is read and compared: ``scores`` maps a
    score column to the expected values (None = missing) and ``kept`` maps a non-item
    column to the exact text expected in the output.
    """

    id: str
    files: dict[str, FileSpec]
    args: list[str]
    exit_code: int = 0
    contains: list[str] = field(default_factory=list)
    scores: dict[str, list[float | None]] | None = None
    kept: dict[str, list[str | None]] | None = None
    out: str = "out.csv"
    stdin: bytes | None = None
    subprocess: bool = False
    absent: list[str] = field(default_factory=list)
    note: str = ""

    def materialise(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, spec in self.files.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(spec, bytes):
                target.write_bytes(spec)
            else:
                spec(target)

    def argv(self, folder: Path) -> list[str]:
        return [a.replace("{d}", str(folder)).replace("{toy}", TOY) for a in self.args]

    def expected_text(self, folder: Path) -> list[str]:
        return [c.replace("{d}", str(folder)) for c in self.contains]


# --------------------------------------------------------------------------- toy answers
# The toy instrument (tests/data/toy_scale.yaml): answers 1-5; toy_a = toy_1 + (6 - toy_2)
# + toy_3 (sum, prorated when 2 of 3 answered); toy_b = mean(toy_5, toy_6), both required;
# toy_a_raw = plain sum; toy_total = mean(toy_a, toy_b).

TOY_ITEMS = ["toy_1", "toy_2", "toy_3", "toy_5", "toy_6"]


def toy_expected(rows: Sequence[Sequence[float | None]]) -> dict[str, list[float | None]]:
    """Scores of toy answer rows (toy_1, toy_2, toy_3, toy_5, toy_6), computed by hand."""
    a: list[float | None] = []
    b: list[float | None] = []
    for r1, r2, r3, r5, r6 in rows:
        keyed = [r1, None if r2 is None else 6 - r2, r3]
        got = [v for v in keyed if v is not None]
        a.append(None if len(got) < 2 else sum(got) / len(got) * 3)
        b.append(None if r5 is None or r6 is None else (r5 + r6) / 2)
    return {"toy_a": a, "toy_b": b}


GOOD_ROWS: list[list[float | None]] = [[1, 2, 3, 4, 5], [5, 5, 5, 5, 5], [2, 1, None, 3, 3]]


def csv_bytes(rows: Sequence[Sequence[Any]], *, sep: str = ",", crlf: bool = False, bom: bool = False,
              encoding: str = "utf-8", quote_all: bool = False) -> bytes:
    """Rows as delimited text (``None`` = empty field)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\r\n" if crlf else "\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    for r in rows:
        writer.writerow(["" if v is None else v for v in r])
    text = buf.getvalue()
    if encoding.lower().replace("-", "") in ("utf16", "utf16le"):
        return b"\xff\xfe" + text.encode("utf-16-le")
    if encoding.lower().replace("-", "") == "utf16be":
        return b"\xfe\xff" + text.encode("utf-16-be")
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def fmt(v: float | None) -> str | None:
    if v is None:
        return None
    return str(int(v)) if float(v).is_integer() else str(v)


def toy_table(rows: Sequence[Sequence[Any]], ids: Sequence[str] | None = None,
              extra: dict[str, Sequence[Any]] | None = None) -> list[list[Any]]:
    """Header + rows: ``pid`` (ids), extra columns, then the toy items."""
    ids = list(ids) if ids is not None else [f"P{k:03d}" for k in range(1, len(rows) + 1)]
    extra = extra or {}
    header = ["pid", *extra, *TOY_ITEMS]
    body = []
    for k, r in enumerate(rows):
        body.append([ids[k], *[extra[c][k] for c in extra],
                     *[v if isinstance(v, str) else fmt(v) for v in r]])
    return [header, *body]


# --------------------------------------------------------------------------- Qualtrics

QUALTRICS_META = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
                  "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
                  "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
                  "DistributionChannel", "UserLanguage"]
QUALTRICS_META_TEXT = ["Start Date", "End Date", "Response Type", "IP Address", "Progress",
                       "Duration (in seconds)", "Finished", "Recorded Date", "Response ID",
                       "Recipient Last Name", "Recipient First Name", "Recipient Email",
                       "External Data Reference", "Location Latitude", "Location Longitude",
                       "Distribution Channel", "User Language"]
QUALTRICS_META_IDS = ["startDate", "endDate", "status", "ipAddress", "progress", "duration",
                      "finished", "recordedDate", "_recordId", "recipientLastName",
                      "recipientFirstName", "recipientEmail", "externalDataReference",
                      "locationLatitude", "locationLongitude", "distributionChannel", "userLanguage"]
QUALTRICS_ITEMS = ["Q1_1", "Q1_2", "Q1_3", "Q1_5", "Q1_6"]
QUALTRICS_QTEXT = "How often do you... (1 = Never, 5 = Always) - "
ITEM_TEXT = ["I am kind to myself.", "I am hard on myself, even \"harshly\".",
             "Item three, with a comma", "Item five", "Item\nsix (two lines)"]


def qualtrics_meta(k: int) -> list[Any]:
    return [f"2024-03-0{k % 9 + 1} 10:00:00", f"2024-03-0{k % 9 + 1} 10:07:31", 0,
            f"192.0.2.{k + 1}", 100, 451, 1, f"2024-03-0{k % 9 + 1} 10:07:32",
            f"R_{k + 1:02d}aBcDeFgHiJkLm", None, None, None, None, "52.3759", "4.8975",
            "anonymous", "EN"]


def qualtrics_rows(rows: Sequence[Sequence[Any]], form: str = "current") -> list[list[Any]]:
    """The records of a Qualtrics CSV export (``current``: 3 header rows; ``two``: 2)."""
    header = QUALTRICS_META + QUALTRICS_ITEMS
    qtext = QUALTRICS_META_TEXT + [QUALTRICS_QTEXT + t for t in ITEM_TEXT]
    ids = QUALTRICS_META_IDS + [f"QID1_{c.split('_')[1]}" for c in QUALTRICS_ITEMS]
    out: list[list[Any]] = [header, qtext]
    if form == "current":
        out.append([json.dumps({"ImportId": i}, separators=(",", ":")) for i in ids])
    for k, r in enumerate(rows):
        out.append(qualtrics_meta(k) + [v if isinstance(v, str) else fmt(v) for v in r])
    return out


def qualtrics_csv(rows: Sequence[Sequence[Any]], form: str = "current") -> bytes:
    """Qualtrics' "CSV" download: UTF-8 with BOM, CRLF line ends, minimal quoting."""
    return csv_bytes(qualtrics_rows(rows, form), crlf=True, bom=True)


def qualtrics_tsv(rows: Sequence[Sequence[Any]]) -> bytes:
    """Qualtrics' "TSV" download: UTF-16LE with BOM, tab-separated, CRLF."""
    return csv_bytes(qualtrics_rows(rows), sep="\t", crlf=True, encoding="utf-16-le")


def qualtrics_legacy_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    """The legacy export: V1..V10, question ids; row 2 ResponseID,...; a comma ending every line."""
    header = [f"V{k}" for k in range(1, 11)] + QUALTRICS_ITEMS + ["LocationLatitude",
                                                                   "LocationLongitude",
                                                                   "LocationAccuracy", ""]
    row2 = ["ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress",
            "IPAddress", "Status", "StartDate", "EndDate", "Finished"] + \
        [QUALTRICS_QTEXT + t for t in ITEM_TEXT] + ["LocationLatitude", "LocationLongitude",
                                                    "LocationAccuracy", ""]
    out = [header, row2]
    for k, r in enumerate(rows):
        out.append([f"R_{k + 1:02d}xYz", "Default Response Set", "Anonymous", None, None,
                    f"192.0.2.{k + 1}", 0, "2016-05-02 10:00:00", "2016-05-02 10:05:00", 1]
                   + [v if isinstance(v, str) else fmt(v) for v in r] + ["52.37", "4.89", -1, None])
    return csv_bytes(out, crlf=True)


def qualtrics_xlsx(rows: Sequence[Sequence[Any]]) -> Callable[[Path], None]:
    """Qualtrics' Excel export: the three header rows in cells, answers as numbers."""

    def write(path: Path) -> None:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Sheet0"
        recs = qualtrics_rows([[None] * 5] * 0)
        for rec in recs:
            ws.append(rec)
        for k, r in enumerate(rows):
            ws.append(qualtrics_meta(k) + [v for v in r])
        wb.save(path)

    return write


# --------------------------------------------------------------------------- REDCap

DICTIONARY_COLUMNS = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation")
REDCAP_CHOICES = "1, Not at all | 2, A little | 3, Moderately | 4, Quite a bit | 5, Extremely"
REDCAP_LABELS = {1: "Not at all", 2: "A little", 3: "Moderately", 4: "Quite a bit", 5: "Extremely"}
REDCAP_FIELD_LABELS = ["How kind were you to yourself?", "How hard were you on yourself?",
                       "Item three", "Item five", "Item six"]


def redcap_dictionary() -> bytes:
    """The data dictionary CSV REDCap downloads (UTF-8 BOM, every field quoted when needed)."""
    rows: list[list[Any]] = [list(DICTIONARY_COLUMNS)]
    rows.append(["record_id", "toy_survey", None, "text", "Record ID"] + [None] * 13)
    rows.append(["age", "toy_survey", None, "text", "Age (years)", None, None, "integer", "18", "99"]
                + [None] * 8)
    rows.append(["sex", "toy_survey", None, "radio", "Sex", "1, Female | 2, Male | 3, Other"]
                + [None] * 12)
    for item, label in zip(TOY_ITEMS, REDCAP_FIELD_LABELS, strict=True):
        rows.append([item, "toy_survey", "Section <b>A</b>" if item == "toy_1" else None, "radio",
                     label, REDCAP_CHOICES] + [None] * 9 + ["toy_matrix", None, None])
    return csv_bytes(rows, bom=True)


def redcap_raw(rows: Sequence[Sequence[Any]], *, sexes: Sequence[int] | None = None) -> bytes:
    """Raw export: field names, coded answers, ``toy_survey_complete`` 0/1/2."""
    header = ["record_id", "redcap_survey_identifier", "age", "sex", *TOY_ITEMS, "toy_survey_complete"]
    out: list[list[Any]] = [header]
    for k, r in enumerate(rows):
        out.append([str(k + 1), None, str(30 + k), str((sexes or [1, 2, 3])[k % 3]),
                    *[fmt(v) for v in r], "2"])
    return csv_bytes(out, bom=True)


def redcap_labels(rows: Sequence[Sequence[Any]]) -> bytes:
    """Label export: field labels as headers, choice labels as answers, every field quoted."""
    header = ["Record ID", "Survey Identifier", "Age (years)", "Sex", *REDCAP_FIELD_LABELS, "Complete?"]
    out: list[list[Any]] = [header]
    sexes = ["Female", "Male", "Other"]
    for k, r in enumerate(rows):
        out.append([str(k + 1), None, str(30 + k), sexes[k % 3],
                    *[None if v is None else (v if isinstance(v, str) else REDCAP_LABELS[int(v)])
                      for v in r], "Complete"])
    return csv_bytes(out, bom=True, quote_all=True)


def redcap_cell(value: Any) -> str:
    """One cell of REDCap's raw CSV export: quoted (quotes doubled) when it holds a space, a
    comma, a quote or a line break, as in exported ``"AMC Javelin",sale,1,...`` rows; bare
    otherwise; empty for None."""
    if value is None:
        return ""
    text = str(value)
    if any(ch in text for ch in ' ,"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


#: a project with a repeating survey: (record, instrument, instance, toy answers); the base row
#: of each record (demographics, not repeating) has instrument and instance empty
REDCAP_REPEATS: list[tuple[str, str | None, int | None, list[float | None] | None]] = [
    ("1", None, None, None), ("1", "toy_survey", 1, [1, 2, 3, 4, 5]),
    ("1", "toy_survey", 2, [5, 5, 5, 5, 5]), ("2", None, None, None),
    ("2", "toy_survey", 1, [2, 1, None, 3, 3])]


def redcap_repeating_raw(records: Sequence[tuple[str, str | None, int | None, Any]] = tuple(REDCAP_REPEATS),
                         *, event: bool = False) -> bytes:
    """Raw export of a project with a repeating instrument (UTF-8 BOM, LF line ends, a cell
    quoted only when it needs it): ``record_id, [redcap_event_name,] redcap_repeat_instrument,
    redcap_repeat_instance`` then the base row's fields and the repeating survey's."""
    header = ["record_id", *(["redcap_event_name"] if event else []), "redcap_repeat_instrument",
              "redcap_repeat_instance", "age", "sex", "demographics_complete", *TOY_ITEMS,
              "toy_survey_complete"]
    lines = [",".join(header)]
    for rec, form, inst, answers in records:
        base = answers is None
        cells = [rec, *(["baseline_arm_1"] if event else []), form, inst,
                 "30" if base else None, "Female" if base else None, "2" if base else None,
                 *([None] * 5 if base else [fmt(v) for v in answers]), None if base else "2"]
        lines.append(",".join(redcap_cell(c) for c in cells))
    return b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode("utf-8")


def redcap_repeating_labels(records: Sequence[tuple[str, str | None, int | None, Any]] = tuple(REDCAP_REPEATS)
                            ) -> bytes:
    """The label export of :func:`redcap_repeating_raw`: field labels as headers (``Repeat
    Instrument``, ``Repeat Instance``), the instrument's label, choice labels; every field quoted."""
    header = ["Record ID", "Repeat Instrument", "Repeat Instance", "Age (years)", "Sex",
              "Complete?", *REDCAP_FIELD_LABELS, "Complete?"]
    out: list[list[Any]] = [header]
    for rec, form, inst, answers in records:
        base = answers is None
        out.append([rec, None if form is None else "Toy Survey", inst, "30" if base else None,
                    "Female" if base else None, "Complete" if base else None,
                    *([None] * 5 if base else [None if v is None else REDCAP_LABELS[int(v)] for v in answers]),
                    None if base else "Complete"])
    return csv_bytes(out, bom=True, quote_all=True)


# --------------------------------------------------------------------------- LimeSurvey

LIME_ITEMS = ["Q1[SQ001]", "Q1[SQ002]", "Q1[SQ003]", "Q1[SQ005]", "Q1[SQ006]"]


def limesurvey_csv(rows: Sequence[Sequence[Any]], underscore: bool = False) -> bytes:
    """LimeSurvey's CSV export with question-code headings; every field quoted."""
    items = [c.replace("[", "_").replace("]", "") for c in LIME_ITEMS] if underscore else LIME_ITEMS
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", *items]
    out: list[list[Any]] = [header]
    for k, r in enumerate(rows):
        out.append([str(k + 1), f"2024-05-0{k + 1} 09:1{k}:00", "2", "en", str(123456 + k),
                    *[v if isinstance(v, str) else fmt(v) for v in r]])
    return csv_bytes(out, quote_all=True)


# --------------------------------------------------------------------------- SurveyMonkey

SURVEYMONKEY_META = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
                     "Email Address", "First Name", "Last Name", "Custom Data 1"]
SURVEYMONKEY_MATRIX = "How often do you... (1 = Never, 5 = Always)"


def surveymonkey_rows(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """The records of a SurveyMonkey response export: a two-row header. Row 1: the metadata
    columns, then each question's text, blank above a matrix question's later rows; row 2:
    the metadata cells empty, then ``Open-Ended Response`` (a text question), or each matrix
    row's text. Then one row per respondent (long respondent ids, US-style dates)."""
    head1 = [*SURVEYMONKEY_META, "What is your age?", SURVEYMONKEY_MATRIX, *[None] * (len(ITEM_TEXT) - 1)]
    head2 = [*[None] * len(SURVEYMONKEY_META), "Open-Ended Response", *ITEM_TEXT]
    out: list[list[Any]] = [head1, head2]
    for k, r in enumerate(rows):
        out.append([str(114_100_000_00 + k), "431245678", f"03/0{k % 9 + 1}/2024 10:00:12 AM",
                    f"03/0{k % 9 + 1}/2024 10:07:31 AM", f"192.0.2.{k + 1}", None, None, None, None,
                    str(30 + k), *[v if isinstance(v, str) else fmt(v) for v in r]])
    return out


def surveymonkey_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    """SurveyMonkey's CSV download: a cell quoted only when it needs it (as in exports seen in
    public repositories); CRLF line ends and no BOM are assumed."""
    return csv_bytes(surveymonkey_rows(rows), crlf=True)


def surveymonkey_xlsx(rows: Sequence[Sequence[Any]]) -> Callable[[Path], None]:
    """SurveyMonkey's Excel download: the same two header rows in cells."""
    return excel(surveymonkey_rows(rows))


# --------------------------------------------------------------------------- SPSS, Excel


def spss_sav(rows: Sequence[Sequence[Any]], *, labels: dict[float, str] | None = None,
             ids: Sequence[str] | None = None) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import pandas as pd
        import pyreadstat

        data = {"pid": list(ids or [f"P{k:03d}" for k in range(1, len(rows) + 1)])}
        for j, item in enumerate(TOY_ITEMS):
            data[item] = [float("nan") if r[j] is None else float(r[j]) for r in rows]
        frame = pd.DataFrame(data)
        vl = {item: labels for item in TOY_ITEMS} if labels else None
        pyreadstat.write_sav(frame, str(path), variable_value_labels=vl)

    return write


def excel(table: Sequence[Sequence[Any]], *, formats: dict[int, str] | None = None) -> Callable[[Path], None]:
    """An .xlsx with ``table`` (header first); ``formats`` gives number formats by column index."""

    def write(path: Path) -> None:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        for r in table:
            ws.append(list(r))
        for col, number_format in (formats or {}).items():
            for row in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
                for cell in row:
                    cell.number_format = number_format
        wb.save(path)

    return write


def parquet(table: Sequence[Sequence[Any]]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import pandas as pd

        frame = pd.DataFrame([list(r) for r in table[1:]], columns=list(table[0]), dtype="object")
        frame.to_parquet(path, index=False)

    return write


# --------------------------------------------------------------------------- registry


def cases_of(module_path: Path) -> list[Case]:
    """The ``CASES`` of one ``cases_*.py`` module."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    spec = importlib.util.spec_from_file_location(f"corpus_{module_path.stem}", module_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.CASES)


def all_cases() -> list[Case]:
    """Every case of every ``cases_*.py`` module beside this file (ids must be unique)."""
    cases: list[Case] = []
    for path in sorted(HERE.glob("cases_*.py")):
        cases.extend(cases_of(path))
    ids = [c.id for c in cases]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"duplicate corpus case ids: {dup}")
    return cases


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python tests/corpus/make_corpus.py OUTDIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    cases = all_cases()
    for case in cases:
        case.materialise(out / case.id)
    print(f"wrote the files of {len(cases)} cases under {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
