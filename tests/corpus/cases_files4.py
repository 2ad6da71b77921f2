"""Corpus cases of the fourth round of odd exports: workbooks, SPSS files and text files
written byte for byte as the programs that make them write them."""

from __future__ import annotations

import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import (  # noqa: E402
    GOOD_ROWS,
    Case,
    csv_bytes,
    excel,
    limesurvey_csv,
    spss_sav,
    toy_expected,
    toy_table,
)

SCORE = ["score", "--instrument-file", "{toy}"]
CASES: list[Case] = []
GOOD = toy_table(GOOD_ROWS)
IDS = ["P001", "P002", "P003"]


def excel_with_dimension(table: list[list[Any]], ref: str) -> Callable[[Path], None]:
    """An .xlsx whose sheet declares the size ``ref`` in its ``<dimension>`` record, as
    programs that write workbooks themselves leave it (often ``A1``)."""

    def write(path: Path) -> None:
        plain = path.with_name("plain_" + path.name)
        excel(table)(plain)
        with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == "xl/worksheets/sheet1.xml":
                    data = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), data)
                zout.writestr(info, data)
        plain.unlink()

    return write


def excel_value(v: Any) -> Any:
    return int(v) if isinstance(v, str) and v.isdigit() else v


XLSX_GOOD = [[excel_value(v) for v in r] for r in GOOD]

# a stale <dimension> record: rows and columns beyond it were dropped without a word
for ref in ("A1", "A1:F2", "A1:E4"):
    slug = ref.replace(":", "_").lower()
    CASES.append(Case(id=f"excel_stale_dimension_{slug}", files={"data.xlsx": excel_with_dimension(XLSX_GOOD, ref)},
                      args=[*SCORE, "{d}/data.xlsx", "-o", "{d}/out.csv", "--id", "pid"],
                      scores=toy_expected(GOOD_ROWS), kept={"pid": IDS}))

# SPSS item columns labelled the other way round (1 = Always ... 5 = Never): scored as codes,
# every answer was reversed with exit 0
REVERSED = {1.0: "Always", 2.0: "Often", 3.0: "Sometimes", 4.0: "Rarely", 5.0: "Never"}
CASES.append(Case(id="spss_labels_reversed_codes", files={"data.sav": spss_sav(GOOD_ROWS, labels=REVERSED)},
                  args=[*SCORE, "{d}/data.sav", "-o", "{d}/out.csv", "--id", "pid"], exit_code=1,
                  contains=["{d}/data.sav", "row 1, column toy_1", "(1 = 'Always' in the file, 5 in the instrument",
                            "--value-labels"], absent=["out.csv"]))
CASES.append(Case(id="spss_labels_reversed_codes_value_labels",
                  files={"data.sav": spss_sav(GOOD_ROWS, labels=REVERSED)},
                  args=[*SCORE, "{d}/data.sav", "-o", "{d}/out.csv", "--id", "pid", "--value-labels"],
                  scores=toy_expected([[None if v is None else 6 - v for v in r] for r in GOOD_ROWS]),
                  kept={"pid": IDS}))

# a title typed above the table, or a blank row there, as Excel saves them (",,,,," in a CSV):
# one line per column ("header cell is empty", "a value in a column with no header") before
TITLE = ["Fears of Compassion, March 2024"]
for case_id, fname, spec, says in [
    ("excel_title_row_above_header", "data.xlsx", excel([TITLE, *XLSX_GOOD]),
     "row 1 holds only 'Fears of Compassion, March 2024'"),
    ("excel_blank_row_above_header", "data.xlsx", excel([[None], *XLSX_GOOD]), "row 1 is blank"),
    ("csv_title_line_from_excel", "data.csv",
     b'"Fears of Compassion, March 2024";;;;;\r\n' + csv_bytes(GOOD, sep=";", crlf=True),
     "row 1 holds only 'Fears of Compassion, March 2024'"),
    ("csv_blank_line_from_excel", "data.csv", b",,,,,\r\n" + csv_bytes(GOOD, crlf=True), "row 1 is blank"),
]:
    CASES.append(Case(id=case_id, files={fname: spec}, args=[*SCORE, f"{{d}}/{fname}", "-o", "{d}/out.csv"],
                      exit_code=1, contains=[f"{{d}}/{fname}: {says}", "above the header"],
                      absent=["out.csv"]))

# LimeSurvey's "Answer codes" export of an array question with its own answer codes (A1..A5)
CASES.append(Case(id="limesurvey_answer_codes", files={"survey.csv": limesurvey_csv(
    [["A1", "A2", "A3", "A4", "A5"], ["A5", "A5", "A5", "A5", "A5"]])},
    args=[*SCORE, "{d}/survey.csv", "--pattern", "Q1[SQ00{n}]", "-o", "{d}/out.csv"], exit_code=1,
    contains=["{d}/survey.csv: row 2, column Q1[SQ001]: 'A1'", "LimeSurvey answer code", "'Full answers'"],
    absent=["out.csv"]))
