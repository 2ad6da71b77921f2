"""Corpus cases for reading files, converting cells and writing outputs (issue #10).

Each bad cell is tried in each input format; structural problems (field counts, blank
lines, encodings, headers), real exports (Qualtrics, REDCap, LimeSurvey, SPSS, Excel) and
output failures each get their own cases. Good-but-odd inputs carry hand-computed scores
and the exact text every non-item column must keep.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import (  # noqa: E402
    GOOD_ROWS,
    REDCAP_REPEATS,
    TOY_ITEMS,
    Case,
    csv_bytes,
    excel,
    limesurvey_csv,
    parquet,
    qualtrics_csv,
    qualtrics_legacy_csv,
    qualtrics_tsv,
    qualtrics_xlsx,
    redcap_dictionary,
    redcap_labels,
    redcap_raw,
    redcap_repeating_labels,
    redcap_repeating_raw,
    spss_sav,
    surveymonkey_csv,
    surveymonkey_xlsx,
    toy_expected,
    toy_table,
)

SCORE = ["score", "--instrument-file", "{toy}"]
CASES: list[Case] = []


def add(case: Case) -> None:
    CASES.append(case)


# --------------------------------------------------------------------------- bad cells x formats
# the bad value goes into toy_3 of the second respondent

BAD_CELLS: list[tuple[str, str, str]] = [
    # (slug, cell text, words the message must show)
    ("null", "NULL", "'NULL'"),
    ("none", "None", "'None'"),
    ("nan", "nan", "'nan'"),
    ("pd_na", "<NA>", "'<NA>'"),
    ("excel_na", "#N/A", "'#N/A'"),
    ("na", "NA", "'NA'"),
    ("dash", "-", "'-'"),
    ("dot", ".", "'.'"),
    ("word", "abc", "'abc'"),
    ("too_high", "7", "7 is outside the response range 1-5"),
    ("zero", "0", "0 is outside the response range 1-5"),
    ("negative", "-1", "-1 is outside the response range 1-5"),
    ("half", "2.5", "2.5 is not a whole number"),
    ("arabic_digit", "\u0663", "'\u0663'"),
    ("fullwidth_digit", "\uff13", "'\uff13'"),
    ("inf", "inf", "'inf'"),
]


def bad_rows(value: str) -> list[list[Any]]:
    return [[1, 2, 3, 4, 5], [2, 2, value, 2, 2], [3, 3, 3, 3, 3]]


def _xlsx_value(v: Any) -> Any:
    if isinstance(v, str) and v.isascii():
        try:
            f = float(v)
        except ValueError:
            return v
        if v.strip() in ("nan", "inf", "NaN"):
            return v
        return int(f) if f.is_integer() else f
    return v


for slug, cell, shown in BAD_CELLS:
    table = toy_table(bad_rows(cell))
    formats: dict[str, tuple[str, Any, str, list[str]]] = {
        # fmt -> (file name, file spec, row of the bad cell, extra args)
        "csv": ("data.csv", csv_bytes(table), "row 3", []),
        "tsv": ("data.tsv", csv_bytes(table, sep="\t"), "row 3", []),
        "semicolon": ("data.csv", csv_bytes(table, sep=";", crlf=True), "row 3", []),
        "utf16": ("data.txt", csv_bytes(table, sep="\t", crlf=True, encoding="utf-16-le"), "row 3", []),
        "xlsx": ("data.xlsx", excel([[_xlsx_value(v) for v in r] for r in table]), "row 3", []),
        "parquet": ("data.parquet", parquet(table), "row 2", []),
        "stdin": ("data.csv", csv_bytes(table), "row 3", []),
    }
    for fmt_name, (fname, spec, row, extra) in formats.items():
        if fmt_name == "stdin":
            add(Case(id=f"bad_{slug}_{fmt_name}", files={}, stdin=spec,  # type: ignore[arg-type]
                     args=[*SCORE, "-", "-o", "{d}/out.csv", *extra], exit_code=1,
                     contains=["<stdin>", row, "column toy_3", shown], absent=["out.csv"]))
            continue
        add(Case(id=f"bad_{slug}_{fmt_name}", files={fname: spec},
                 args=[*SCORE, f"{{d}}/{fname}", "-o", "{d}/out.csv", *extra], exit_code=1,
                 contains=[f"{{d}}/{fname}", row, "column toy_3", shown], absent=["out.csv"]))

# the same cells, declared by the instrument as missing codes, are missing (toy declares "N/A")
add(Case(id="declared_missing_code_text", files={"data.csv": csv_bytes(toy_table(
    [[1, 2, 3, 4, 5], [2, 2, "N/A", 2, 2]]))},
    args=[*SCORE, "{d}/data.csv", "-o", "{d}/out.csv"],
    scores=toy_expected([[1, 2, 3, 4, 5], [2, 2, None, 2, 2]])))
add(Case(id="declared_missing_code_number", files={"data.csv": csv_bytes(toy_table(
    [[1, 2, 3, 4, 5], [2, 2, "-99", 2, 2]]))},
    args=[*SCORE, "{d}/data.csv", "-o", "{d}/out.csv"],
    scores=toy_expected([[1, 2, 3, 4, 5], [2, 2, None, 2, 2]])))
add(Case(id="invalid_as_missing_reported", files={"data.csv": csv_bytes(toy_table(bad_rows("NULL")))},
         args=[*SCORE, "{d}/data.csv", "--on-invalid", "missing", "-o", "{d}/out.csv"],
         contains=["1 invalid answer(s) were treated as missing"],
         scores=toy_expected([[1, 2, 3, 4, 5], [2, 2, None, 2, 2], [3, 3, 3, 3, 3]])))
add(Case(id="decimal_comma_hint", files={"data.csv": csv_bytes(toy_table(bad_rows("2,5")), sep=";")},
         args=[*SCORE, "{d}/data.csv", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/data.csv", "row 3", "column toy_3", "'2,5'", "decimal comma"]))

# booleans named as items
for fmt_name, spec, fname in [
    ("csv", csv_bytes([["pid", "toy_1", "toy_2", "toy_3", "toy_5", "toy_6"],
                       ["a", "1", "2", "True", "4", "5"], ["b", "2", "2", "False", "4", "5"]]), "data.csv"),
    ("xlsx", excel([["pid", "toy_1", "toy_2", "toy_3", "toy_5", "toy_6"],
                    ["a", 1, 2, True, 4, 5], ["b", 2, 2, False, 4, 5]]), "data.xlsx"),
    ("parquet", None, "data.parquet"),
]:
    if spec is None:
        def _bool_parquet(path: Path) -> None:
            import pandas as pd

            pd.DataFrame({"pid": ["a", "b"], "toy_1": [1, 2], "toy_2": [2, 2], "toy_3": [True, False],
                          "toy_5": [4, 4], "toy_6": [5, 5]}).to_parquet(path, index=False)
        spec = _bool_parquet
    add(Case(id=f"boolean_item_{fmt_name}", files={fname: spec},
             args=[*SCORE, f"{{d}}/{fname}", "-o", "{d}/out.csv"], exit_code=1,
             contains=[f"{{d}}/{fname}", "column toy_3", "true/false values", "item toy_3"]))

# --------------------------------------------------------------------------- structure of text files

GOOD = toy_table(GOOD_ROWS)
GOOD_CSV = csv_bytes(GOOD)


def structural(case_id: str, data: bytes, contains: list[str], *, args: list[str] | None = None,
               fname: str = "data.csv") -> None:
    add(Case(id=case_id, files={fname: data},
             args=[*SCORE, f"{{d}}/{fname}", "-o", "{d}/out.csv", *(args or [])], exit_code=1,
             contains=[f"{{d}}/{fname}", *contains], absent=["out.csv"]))


lines = GOOD_CSV.decode().splitlines()
structural("trailing_comma_data_rows",
           ("\n".join([lines[0]] + [ln + "," for ln in lines[1:]]) + "\n").encode(),
           ["row 2: 7 fields but the header (row 1) has 6", "row 4: 7 fields"])
structural("trailing_comma_one_row",
           ("\n".join(lines[:2] + [lines[2] + ","] + lines[3:]) + "\n").encode(),
           ["row 3: 7 fields but the header (row 1) has 6"])
structural("short_row", ("\n".join(lines[:3] + ["P003,2,1"]) + "\n").encode(),
           ["row 4: 3 fields but the header (row 1) has 6"])
structural("unquoted_comma_in_text",
           b"pid,note,toy_1,toy_2,toy_3,toy_5,toy_6\nP1,fine,1,2,3,4,5\nP2,tired, sad,1,2,3,4,5\n",
           ["row 3: 8 fields but the header (row 1) has 7"])
structural("semicolon_row_in_comma_file", ("\n".join(lines[:2] + [lines[2].replace(",", ";")]) + "\n").encode(),
           ["row 3: 1 fields but the header (row 1) has 6"])
structural("many_bad_rows", ("\n".join([lines[0]] + [lines[1] + ","] * 30) + "\n").encode(),
           ["row 2:", "row 21:", "and 10 more rows"])
structural("blank_line_middle_with_id", ("\n".join(lines[:2] + [""] + lines[2:]) + "\n").encode(),
           ["row 3, column pid", "the identifier is empty"], args=["--id", "pid"])
structural("empty_file", b"", ["the file is empty"])
# a blank line above the header (the message said "the header (row 1) has 0" fields)
structural("blank_line_before_header", b"\n" + ("\n".join(lines) + "\n").encode(),
           ["row 1 is blank, but it must hold the column names"])
structural("blank_line_before_header_stream", b"\r\n" + ("\n".join(lines) + "\n").encode(),
           ["row 1 is blank, but it must hold the column names"], args=["--stream"])
structural("whitespace_file", b"\n\n  \r\n", ["the file is empty"])
structural("header_only", b"pid,toy_1,toy_2\n", ["a header but no data rows"])
# Google Sheets' CSV download ends without a line break: a form with no answers yet
structural("header_only_no_final_newline", b"pid,toy_1,toy_2", ["a header but no data rows"])
structural("header_only_no_final_newline_stream", b"pid,toy_1,toy_2", ["a header but no data rows"],
           args=["--stream"])
structural("header_only_quoted_no_final_newline", b'"pid","toy_1","toy_2"', ["a header but no data rows"])
structural("qualtrics_header_rows_only_no_final_newline", qualtrics_csv([]).rstrip(b"\r\n"),
           ["a header but no data rows"])
structural("duplicate_header", b"pid,toy_1,toy_1,toy_2\n1,2,3,4\n",
           ["row 1, column toy_1: the column name appears more than once"])
structural("empty_header_cell", b"pid,,toy_1\n1,2,3\n", ["row 1, column 2: the header cell is empty"])
structural("trailing_header_delimiter_with_data", b"pid,toy_1,\n1,2,3\n",
           ["row 1, column 3: the header cell is empty but row 2 has a value"])
structural("latin1_without_encoding",
           "pid,name,toy_1,toy_2,toy_3,toy_5,toy_6\nP1,Jos\xe9,1,2,3,4,5\n".encode("latin-1"),
           ["row 2", "not valid UTF-8", "--encoding latin-1"])
structural("unknown_encoding", GOOD_CSV, ["unknown encoding 'klingon'"], args=["--encoding", "klingon"])
structural("bad_delimiter_option", GOOD_CSV, ["the delimiter must be one character"],
           args=["--delimiter", "::"])
structural("unknown_suffix", GOOD_CSV, ["unknown file type '.docx'"], fname="data.docx")
structural("xlsx_not_a_workbook", b"this is not a zip file", ["cannot be read as an Excel workbook"],
           fname="data.xlsx")
structural("sav_garbage", b"$FL2garbage", ["cannot be read"], fname="data.sav")
add(Case(id="no_such_file", files={}, args=[*SCORE, "{d}/missing.csv", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/missing.csv", "no such file"]))
structural("unterminated_quote", b'pid,toy_1,toy_2,toy_3,toy_5,toy_6\nP1,1,2,3,4,5\n"P2,1,2,3,4,5\n',
           ["fields but the header (row 1) has 6"])


def good(case_id: str, files: dict[str, Any], target: str, rows: list[list[Any]] | None = None,
         *, args: list[str] | None = None, kept: dict[str, list[str | None]] | None = None,
         contains: list[str] | None = None, out: str = "out.csv", stdin: bytes | None = None,
         subprocess: bool = False, scores: dict[str, list[float | None]] | None = None) -> None:
    add(Case(id=case_id, files=files, stdin=stdin, subprocess=subprocess,
             args=[*SCORE, target, "-o", f"{{d}}/{out}", *(args or [])], out=out,
             scores=scores if scores is not None else toy_expected(rows or GOOD_ROWS),
             kept=kept, contains=contains or []))


IDS = ["P001", "P002", "P003"]
good("plain_csv", {"data.csv": GOOD_CSV}, "{d}/data.csv", kept={"pid": IDS}, subprocess=True)
good("bom_crlf", {"data.csv": csv_bytes(GOOD, bom=True, crlf=True)}, "{d}/data.csv", kept={"pid": IDS})
good("no_final_newline", {"data.csv": GOOD_CSV.rstrip(b"\n")}, "{d}/data.csv", kept={"pid": IDS})
good("trailing_blank_lines", {"data.csv": GOOD_CSV + b"\n\n\r\n"}, "{d}/data.csv", kept={"pid": IDS})
good("cr_only_line_ends", {"data.csv": GOOD_CSV.replace(b"\n", b"\r")}, "{d}/data.csv", kept={"pid": IDS})
# blank lines at the end are ignored whatever ends the lines (they came out as empty rows)
good("trailing_blank_lines_cr_only", {"data.csv": GOOD_CSV.replace(b"\n", b"\r") + b"\r\r"}, "{d}/data.csv",
     kept={"pid": IDS})
good("trailing_blank_lines_cr_crlf", {"data.csv": csv_bytes(GOOD, crlf=True) + b"\r\r\n"}, "{d}/data.csv",
     kept={"pid": IDS})
# CRLF lines written again in Windows text mode: every line ends in \r\r\n (an empty row
# followed every respondent)
good("cr_cr_lf_every_line", {"data.csv": csv_bytes(GOOD, crlf=True).replace(b"\r\n", b"\r\r\n")},
     "{d}/data.csv", kept={"pid": IDS}, contains=["every line ends in CR CR LF"])
# old DOS programs end a file with Ctrl-Z (0x1A): it was read as a row of one field
good("dos_ctrl_z_at_end", {"data.csv": csv_bytes(GOOD, crlf=True) + b"\x1a"}, "{d}/data.csv",
     kept={"pid": IDS}, contains=["ends with a Ctrl-Z"])
good("trailing_delimiter_every_line",
     {"data.csv": ("\n".join(ln + "," for ln in lines) + "\n").encode()}, "{d}/data.csv",
     kept={"pid": IDS}, contains=["every line ends with a delimiter"])
good("utf16le_tab", {"data.txt": csv_bytes(GOOD, sep="\t", crlf=True, encoding="utf-16-le")},
     "{d}/data.txt", kept={"pid": IDS}, contains=["UTF-16"])
good("utf16be_tab", {"data.txt": csv_bytes(GOOD, sep="\t", encoding="utf-16-be")}, "{d}/data.txt",
     kept={"pid": IDS})
good("latin1_with_encoding",
     {"data.csv": csv_bytes(toy_table(GOOD_ROWS, extra={"name": ["Jos\xe9", "Zo\xeb", "M\xfcller"]}),
                            encoding="latin-1")},
     "{d}/data.csv", args=["--encoding", "latin-1"], kept={"name": ["Jos\xe9", "Zo\xeb", "M\xfcller"]})
good("cp1252_quotes_with_encoding",
     {"data.csv": csv_bytes(toy_table(GOOD_ROWS, extra={"note": ["\u201cok\u201d", "it\u2019s", "\u2013"]}),
                            encoding="cp1252")},
     "{d}/data.csv", args=["--encoding", "cp1252"], kept={"note": ["\u201cok\u201d", "it\u2019s", "\u2013"]})
good("semicolon_decimal_comma_passthrough",
     {"data.csv": csv_bytes(toy_table(GOOD_ROWS, extra={"weight": ["1,5", "0,75", "2"]}), sep=";")},
     "{d}/data.csv", kept={"weight": ["1,5", "0,75", "2"]})
good("pipe_delimited", {"data.txt": csv_bytes(GOOD, sep="|")}, "{d}/data.txt", kept={"pid": IDS})
good("delimiter_option_tab_in_csv", {"data.csv": csv_bytes(GOOD, sep="\t")}, "{d}/data.csv",
     args=["--delimiter", "\t"], kept={"pid": IDS})
good("stdin_csv", {}, "-", stdin=GOOD_CSV, kept={"pid": IDS})
good("stdin_csv_subprocess", {}, "-", stdin=csv_bytes(GOOD, bom=True, crlf=True), kept={"pid": IDS},
     subprocess=True)
good("blank_line_middle_kept_as_row",
     {"data.csv": ("\n".join(lines[:2] + [""] + lines[2:]) + "\n").encode()}, "{d}/data.csv",
     rows=[GOOD_ROWS[0], [None] * 5, *GOOD_ROWS[1:]], kept={"pid": ["P001", None, "P002", "P003"]})
good("spaces_around_numbers", {"data.csv": csv_bytes(toy_table([[" 1", "2 ", " 3 ", "4", "5"]]))},
     "{d}/data.csv", rows=[[1, 2, 3, 4, 5]])
good("numbers_written_as_floats", {"data.csv": csv_bytes(toy_table([["1.0", "2.0", "3.00", "4", "5.0"]]))},
     "{d}/data.csv", rows=[[1, 2, 3, 4, 5]])
good("quoted_numbers", {"data.csv": csv_bytes(GOOD, quote_all=True)}, "{d}/data.csv", kept={"pid": IDS})

# non-item columns come out exactly as they went in
ODD = {"pid": ["00001", "00002", "00003"], "zip": ["02100", "10001", "00501"],
       "big_id": ["12345678901234567890", "98765432109876543210", "00000000000000000001"],
       "version": ["1.10", "1.2", "2.000"], "flag": ["NULL", "NA", "None"],
       "na_text": ["nan", "<NA>", "#N/A"], "name": ["Jos\xe9", "\u00c5sa \U0001F600", " padded "],
       "date": ["2024-01-02", "02/01/2024", "2024-01-02T10:00:00+01:00"]}


def odd_table() -> list[list[Any]]:
    extra = {k: v for k, v in ODD.items() if k != "pid"}
    return toy_table(GOOD_ROWS, ids=ODD["pid"], extra=extra)


for fmt_name, fname, spec in [
    ("csv", "data.csv", csv_bytes(odd_table())),
    ("tsv", "data.tsv", csv_bytes(odd_table(), sep="\t")),
    ("xlsx", "data.xlsx", excel(odd_table())),
    ("parquet", "data.parquet", parquet(odd_table())),
    ("utf16", "data.txt", csv_bytes(odd_table(), sep="\t", encoding="utf-16-le")),
]:
    for out in ("out.csv", "out.tsv", "out.xlsx", "out.parquet"):
        good(f"passthrough_{fmt_name}_to_{out.split('.')[1]}", {fname: spec}, f"{{d}}/{fname}",
             kept=ODD, out=out)

good("passthrough_stdin", {}, "-", stdin=csv_bytes(odd_table()), kept=ODD)
good("passthrough_with_id", {"data.csv": csv_bytes(odd_table())}, "{d}/data.csv", kept=ODD,
     args=["--id", "pid"])
good("excel_zero_padded_number_format",
     {"data.xlsx": excel([["pid", *TOY_ITEMS], [1, 1, 2, 3, 4, 5], [2, 5, 5, 5, 5, 5], [3, 2, 1, None, 3, 3]],
                         formats={0: "00000"})},
     "{d}/data.xlsx", kept={"pid": ["00001", "00002", "00003"]})
good("excel_text_ids_and_numbers",
     {"data.xlsx": excel([["pid", *TOY_ITEMS], ["007", 1, 2, 3, 4, 5], ["008", "5", "5", "5", "5", "5"],
                          ["009", 2, 1, None, 3, 3]])},
     "{d}/data.xlsx", kept={"pid": ["007", "008", "009"]})
good("excel_trailing_empty_rows",
     {"data.xlsx": excel([["pid", *TOY_ITEMS], ["a", 1, 2, 3, 4, 5], ["b", 5, 5, 5, 5, 5],
                          ["c", 2, 1, None, 3, 3], [None] * 6, [None] * 6])},
     "{d}/data.xlsx", kept={"pid": ["a", "b", "c"]})
add(Case(id="excel_value_without_header",
         files={"data.xlsx": excel([["pid", *TOY_ITEMS], ["a", 1, 2, 3, 4, 5, "stray"]])},
         args=[*SCORE, "{d}/data.xlsx", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/data.xlsx", "row 2, column 7", "'stray'", "no header"], absent=["out.csv"]))
add(Case(id="excel_no_such_sheet", files={"data.xlsx": excel(GOOD)},
         args=[*SCORE, "{d}/data.xlsx", "--sheet", "Answers", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/data.xlsx", "no sheet 'Answers'", "Sheet"], absent=["out.csv"]))

# labels: typography, Unicode forms, case and spacing
LABEL_ROWS = [["Never", "Rarely", "Sometimes", "Often", "Always"]]
for slug, variants in [
    ("plain", ["Never", "Rarely", "Sometimes", "Often", "Always"]),
    ("case_spacing", ["  NEVER ", "rarely", "SomeTimes", "often\u00a0", " always"]),
    ("fullwidth_nfkc", ["\uff2e\uff45\uff56\uff45\uff52", "Rarely", "Sometimes", "Often", "Always"]),
    ("synonym_nbsp_dash", ["almost\u00a0never", "Rarely", "Some\u00adtimes", "Often\u200b", "Always"]),
]:
    good(f"labels_{slug}", {"data.csv": csv_bytes(toy_table([variants]))}, "{d}/data.csv",
         rows=[[1, 2, 3, 4, 5]])

# --------------------------------------------------------------------------- Qualtrics

Q_ROWS: list[list[Any]] = [[1, 2, 3, 4, 5], [5, 5, 5, 5, 5], [2, 1, None, 3, 3]]
QPAT = ["--pattern", "Q1_{n}"]
good("qualtrics_current_csv", {"export.csv": qualtrics_csv(Q_ROWS)}, "{d}/export.csv", rows=Q_ROWS,
     args=QPAT, kept={"ResponseId": ["R_01aBcDeFgHiJkLm", "R_02aBcDeFgHiJkLm", "R_03aBcDeFgHiJkLm"],
                      "LocationLatitude": ["52.3759"] * 3},
     contains=["Qualtrics export detected"], subprocess=True)
good("qualtrics_current_csv_on_invalid_missing", {"export.csv": qualtrics_csv(Q_ROWS)}, "{d}/export.csv",
     rows=Q_ROWS, args=[*QPAT, "--on-invalid", "missing"])
good("qualtrics_two_row_form", {"export.csv": qualtrics_csv(Q_ROWS, form="two")}, "{d}/export.csv",
     rows=Q_ROWS, args=QPAT, contains=["Qualtrics export detected"])
good("qualtrics_two_row_form_on_invalid_missing", {"export.csv": qualtrics_csv(Q_ROWS, form="two")},
     "{d}/export.csv", rows=Q_ROWS, args=[*QPAT, "--on-invalid", "missing"])
good("qualtrics_legacy_v_columns", {"export.csv": qualtrics_legacy_csv(Q_ROWS)}, "{d}/export.csv",
     rows=Q_ROWS, args=QPAT, kept={"V1": ["R_01xYz", "R_02xYz", "R_03xYz"]},
     contains=["Qualtrics export detected"])
good("qualtrics_xlsx", {"export.xlsx": qualtrics_xlsx(Q_ROWS)}, "{d}/export.xlsx", rows=Q_ROWS,
     args=[*QPAT, "--on-invalid", "missing"], contains=["Qualtrics export detected"])
good("qualtrics_tsv_utf16", {"export.tsv": qualtrics_tsv(Q_ROWS)}, "{d}/export.tsv", rows=Q_ROWS,
     args=QPAT, contains=["Qualtrics export detected", "UTF-16"])
add(Case(id="qualtrics_bad_cell_row_number", files={"export.csv": qualtrics_csv(
    [[1, 2, 3, 4, 5], [2, 2, "8", 2, 2]])},
    args=[*SCORE, "{d}/export.csv", *QPAT, "-o", "{d}/out.csv"], exit_code=1,
    contains=["{d}/export.csv", "row 5, column Q1_3", "8 is outside"], absent=["out.csv"]))
add(Case(id="qualtrics_trailing_comma_row", files={"export.csv": qualtrics_csv(Q_ROWS).replace(
    b"EN,5,5,5,5,5\r\n", b"EN,5,5,5,5,5,\r\n")},
    args=[*SCORE, "{d}/export.csv", *QPAT, "-o", "{d}/out.csv"], exit_code=1,
    contains=["{d}/export.csv", "row 5: 23 fields but the header (row 1) has 22"], absent=["out.csv"]))

# --------------------------------------------------------------------------- REDCap

R_ROWS: list[list[Any]] = [[1, 2, 3, 4, 5], [5, 5, 5, 5, 5], [2, 1, None, 3, 3]]
good("redcap_raw", {"raw.csv": redcap_raw(R_ROWS)}, "{d}/raw.csv", rows=R_ROWS,
     kept={"record_id": ["1", "2", "3"], "sex": ["1", "2", "3"]})
good("redcap_raw_with_dictionary", {"raw.csv": redcap_raw(R_ROWS), "dict.csv": redcap_dictionary()},
     "{d}/raw.csv", rows=R_ROWS, args=["--dictionary", "{d}/dict.csv"],
     kept={"record_id": ["1", "2", "3"], "age": ["30", "31", "32"]})
good("redcap_labels_with_dictionary", {"labels.csv": redcap_labels(R_ROWS), "dict.csv": redcap_dictionary()},
     "{d}/labels.csv", rows=R_ROWS, args=["--dictionary", "{d}/dict.csv"],
     kept={"record_id": ["1", "2", "3"], "sex": ["1", "2", "3"], "toy_survey_complete": ["2", "2", "2"]},
     contains=["REDCap label export"], subprocess=True)
add(Case(id="redcap_labels_without_dictionary", files={"labels.csv": redcap_labels(R_ROWS)},
         args=[*SCORE, "{d}/labels.csv", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/labels.csv", "toy"], absent=["out.csv"]))
add(Case(id="redcap_labels_unknown_choice", files={"labels.csv": redcap_labels(
    [[1, 2, 3, 4, 5], [2, 2, "Hardly ever", 2, 2]]), "dict.csv": redcap_dictionary()},
    args=[*SCORE, "{d}/labels.csv", "--dictionary", "{d}/dict.csv", "-o", "{d}/out.csv"], exit_code=1,
    contains=["{d}/labels.csv", "row 3, column toy_3", "'Hardly ever'"], absent=["out.csv"]))
add(Case(id="redcap_dictionary_not_a_dictionary", files={"raw.csv": redcap_raw(R_ROWS), "dict.csv": GOOD_CSV},
         args=[*SCORE, "{d}/raw.csv", "--dictionary", "{d}/dict.csv", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/dict.csv", "not a REDCap data dictionary"], absent=["out.csv"]))
add(Case(id="redcap_dictionary_missing", files={"raw.csv": redcap_raw(R_ROWS)},
         args=[*SCORE, "{d}/raw.csv", "--dictionary", "{d}/nope.csv", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/nope.csv", "no such file"], absent=["out.csv"]))

# repeating instruments: the base row of each record has empty redcap_repeat_instrument and
# redcap_repeat_instance; a partly empty identifier of several columns is allowed
RR_ROWS: list[list[Any]] = [[None] * 5 if a is None else list(a) for _, _, _, a in REDCAP_REPEATS]
RR_KEPT: dict[str, list[str | None]] = {"record_id": ["1", "1", "1", "2", "2"],
                                        "redcap_repeat_instance": [None, "1", "2", None, "1"]}
good("redcap_repeating_raw", {"raw.csv": redcap_repeating_raw()}, "{d}/raw.csv", rows=RR_ROWS,
     args=["--id", "record_id", "--id", "redcap_repeat_instance"],
     kept={**RR_KEPT, "redcap_repeat_instrument": [None, "toy_survey", "toy_survey", None, "toy_survey"]})
good("redcap_repeating_raw_stream", {"raw.csv": redcap_repeating_raw()}, "{d}/raw.csv", rows=RR_ROWS,
     args=["--id", "record_id", "--id", "redcap_repeat_instrument", "--id", "redcap_repeat_instance",
           "--stream"], kept=RR_KEPT)
good("redcap_repeating_longitudinal", {"raw.csv": redcap_repeating_raw(event=True)}, "{d}/raw.csv",
     rows=RR_ROWS, args=["--id", "record_id", "--id", "redcap_event_name", "--id", "redcap_repeat_instrument",
                         "--id", "redcap_repeat_instance"], kept=RR_KEPT)
good("redcap_repeating_labels_with_dictionary", {"labels.csv": redcap_repeating_labels(),
                                                 "dict.csv": redcap_dictionary()},
     "{d}/labels.csv", rows=RR_ROWS, args=["--dictionary", "{d}/dict.csv", "--id", "record_id", "--id",
                                           "redcap_repeat_instrument", "--id", "redcap_repeat_instance"],
     kept={**RR_KEPT, "redcap_repeat_instrument": [None, "Toy Survey", "Toy Survey", None, "Toy Survey"]},
     subprocess=True)
add(Case(id="redcap_repeating_record_id_only", files={"raw.csv": redcap_repeating_raw(event=True)},
         args=[*SCORE, "{d}/raw.csv", "--id", "record_id", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/raw.csv", "row 3, column record_id: identifier 1 already used in row 2",
                   "--id record_id --id redcap_event_name --id redcap_repeat_instrument --id "
                   "redcap_repeat_instance"], absent=["out.csv"]))

# --------------------------------------------------------------------------- LimeSurvey

good("limesurvey_brackets", {"survey.csv": limesurvey_csv(R_ROWS)}, "{d}/survey.csv", rows=R_ROWS,
     args=["--pattern", "Q1[SQ00{n}]"], kept={"id": ["1", "2", "3"], "seed": ["123456", "123457", "123458"]},
     contains=["LimeSurvey export detected"])
good("limesurvey_underscores", {"survey.csv": limesurvey_csv(R_ROWS, underscore=True)}, "{d}/survey.csv",
     rows=R_ROWS, args=["--pattern", "Q1_SQ00{n}"], contains=["LimeSurvey export detected"])
good("limesurvey_full_answers", {"survey.csv": limesurvey_csv(
    [["Never", "Rarely", "Sometimes", "Often", "Always"]])}, "{d}/survey.csv", rows=[[1, 2, 3, 4, 5]],
    args=["--pattern", "Q1[SQ00{n}]"])

# --------------------------------------------------------------------------- SurveyMonkey
# a two-row header (row 1 questions with blanks, row 2 "Response"/option texts): refused with
# one line naming the file and row 2 and saying what to do

SM_SAYS = ["row 2: this looks like a SurveyMonkey export", "delete row 2"]
add(Case(id="surveymonkey_two_row_header_csv", files={"export.csv": surveymonkey_csv(R_ROWS)},
         args=[*SCORE, "{d}/export.csv", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/export.csv", *SM_SAYS], absent=["out.csv"]))
add(Case(id="surveymonkey_two_row_header_stream", files={"export.csv": surveymonkey_csv(R_ROWS)},
         args=[*SCORE, "{d}/export.csv", "--stream", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/export.csv", *SM_SAYS], absent=["out.csv"]))
add(Case(id="surveymonkey_two_row_header_xlsx", files={"export.xlsx": surveymonkey_xlsx(R_ROWS)},
         args=[*SCORE, "{d}/export.xlsx", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/export.xlsx", *SM_SAYS], absent=["out.csv"], subprocess=True))

# --------------------------------------------------------------------------- SPSS

NAMED = {1.0: "Never", 2.0: "Rarely", 3.0: "Sometimes", 4.0: "Often", 5.0: "Always"}
good("spss_codes", {"data.sav": spss_sav(R_ROWS)}, "{d}/data.sav", rows=R_ROWS, kept={"pid": IDS})
good("spss_full_labels_value_labels", {"data.sav": spss_sav([[10, 20, 30, 40, 50]], labels={
    10.0: "Never", 20.0: "Rarely", 30.0: "Sometimes", 40.0: "Often", 50.0: "Always"})},
    "{d}/data.sav", rows=[[1, 2, 3, 4, 5]], args=["--value-labels"])
good("spss_labels_ignored_without_option", {"data.sav": spss_sav(R_ROWS, labels=NAMED)}, "{d}/data.sav",
     rows=R_ROWS)
add(Case(id="spss_partial_labels_value_labels", files={"data.sav": spss_sav(
    [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1]], labels={1.0: "Never", 3.0: "Sometimes", 5.0: "Always"})},
    args=[*SCORE, "{d}/data.sav", "--value-labels", "-o", "{d}/out.csv"], exit_code=1,
    contains=["{d}/data.sav", "column toy_2", "code(s) 2, 4 have no value label", "--value-labels"],
    absent=["out.csv"]))
add(Case(id="spss_partial_labels_on_invalid_missing", files={"data.sav": spss_sav(
    [[1, 2, 3, 4, 5], [5, 4, 3, 2, 1]], labels={1.0: "Never", 3.0: "Sometimes", 5.0: "Always"})},
    args=[*SCORE, "{d}/data.sav", "--value-labels", "--on-invalid", "missing", "-o", "{d}/out.csv"],
    exit_code=1, contains=["{d}/data.sav", "column toy_2", "have no value label"], absent=["out.csv"]))
good("spss_partial_labels_all_codes_labelled", {"data.sav": spss_sav(
    [[1, 1, 3, 5, 5]], labels={1.0: "Never", 3.0: "Sometimes", 5.0: "Always"})}, "{d}/data.sav",
    rows=[[1, 1, 3, 5, 5]], args=["--value-labels"])

# --------------------------------------------------------------------------- outputs and transactions

add(Case(id="output_folder_missing", files={"data.csv": GOOD_CSV},
         args=[*SCORE, "{d}/data.csv", "-o", "{d}/no/such/out.csv"], exit_code=1,
         contains=["{d}/no/such/out.csv", "does not exist"]))
add(Case(id="ledger_folder_missing_writes_nothing", files={"data.csv": GOOD_CSV},
         args=[*SCORE, "{d}/data.csv", "-o", "{d}/out.csv", "--ledger", "{d}/no/ledger.csv"], exit_code=1,
         contains=["{d}/no/ledger.csv", "does not exist"], absent=["out.csv", "out.csv.provenance.json"]))
add(Case(id="output_parent_is_a_file", files={"data.csv": GOOD_CSV, "blocker": b"x"},
         args=[*SCORE, "{d}/data.csv", "-o", "{d}/blocker/out.csv"], exit_code=1,
         contains=["{d}/blocker/out.csv", "not a folder"]))
add(Case(id="ledger_is_a_folder", files={"data.csv": GOOD_CSV, "ledger.csv/keep": b""},
         args=[*SCORE, "{d}/data.csv", "-o", "{d}/out.csv", "--ledger", "{d}/ledger.csv"], exit_code=2,
         contains=["{d}/ledger.csv", "is a directory"], absent=["out.csv"]))
add(Case(id="output_is_the_input", files={"data.csv": GOOD_CSV},
         args=[*SCORE, "{d}/data.csv", "-o", "{d}/data.csv"], exit_code=1,
         contains=["{d}/data.csv", "refusing to overwrite the input file"]))
add(Case(id="output_unknown_type", files={"data.csv": GOOD_CSV},
         args=[*SCORE, "{d}/data.csv", "-o", "{d}/out.doc"], exit_code=1,
         contains=["{d}/out.doc", "unknown output type '.doc'"]))
add(Case(id="output_and_ledger_same_file", files={"data.csv": GOOD_CSV},
         args=[*SCORE, "{d}/data.csv", "-o", "{d}/out.csv", "--ledger", "{d}/out.csv"], exit_code=1,
         contains=["{d}/out.csv", "named twice"], absent=["out.csv"]))
add(Case(id="errors_file_on_failure", files={"data.csv": csv_bytes(toy_table(
    [[1, 2, 9, 4, 5], [2, "x", 3, 2, 2]]))},
    args=[*SCORE, "{d}/data.csv", "-o", "{d}/out.csv", "--errors", "{d}/errors.csv", "--format", "json"],
    exit_code=1, contains=["row 2, column toy_3", "row 3, column toy_2", "Wrote 2 problem(s) to {d}/errors.csv"],
    absent=["out.csv"]))

add(Case(id="output_xlsx_text_longer_than_a_cell",
         files={"data.csv": csv_bytes(toy_table(GOOD_ROWS, extra={"essay": ["short", "x" * 40_000, ""]}))},
         args=[*SCORE, "{d}/data.csv", "-o", "{d}/out.xlsx"], exit_code=1,
         contains=["{d}/out.xlsx: cell B3 (column essay)", "40000 characters", "32,767"],
         absent=["out.xlsx", "out.xlsx.provenance.json"]))
add(Case(id="output_xlsx_control_character",
         files={"data.csv": csv_bytes(toy_table(GOOD_ROWS, extra={"note": ["a\x0bb", "", ""]}))},
         args=[*SCORE, "{d}/data.csv", "-o", "{d}/out.xlsx"], exit_code=1,
         contains=["{d}/out.xlsx: cell B2 (column note)", "control character ('\\x0b')"],
         absent=["out.xlsx"]))

# --------------------------------------------------------------------------- more odd files


def _formula_sheet(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["pid", *TOY_ITEMS])
    ws.append(["a", 1, 2, 3, 4, 5])
    ws.append(["b", 1, 2, "=1+2", 4, 5])  # written by a program: no saved result
    wb.save(path)


add(Case(id="excel_formula_without_result", files={"data.xlsx": _formula_sheet},
         args=[*SCORE, "{d}/data.xlsx", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/data.xlsx", "D3", "formula with no saved result"], absent=["out.csv"]))
good("excel_sep_line", {"data.csv": b"sep=;\r\n" + csv_bytes(GOOD, sep=";", crlf=True)}, "{d}/data.csv",
     kept={"pid": IDS}, contains=["names the delimiter"])
add(Case(id="excel_sep_line_bad_row_number",
         files={"data.csv": b"sep=;\r\n" + csv_bytes(toy_table(bad_rows("x")), sep=";", crlf=True)},
         args=[*SCORE, "{d}/data.csv", "-o", "{d}/out.csv"], exit_code=1,
         contains=["{d}/data.csv", "row 4, column toy_3", "'x'"], absent=["out.csv"]))
good("utf16le_without_bom", {"data.csv": csv_bytes(GOOD).decode().encode("utf-16-le")}, "{d}/data.csv",
     kept={"pid": IDS}, contains=["UTF-16 (little-endian"])
good("utf16be_without_bom", {"data.csv": csv_bytes(GOOD).decode().encode("utf-16-be")}, "{d}/data.csv",
     kept={"pid": IDS}, contains=["UTF-16 (big-endian"])
structural("binary_with_nul_bytes", b"pid,toy_1\n\x00\x01\x02\x03garbage\xff,1\n", ["NUL bytes"])
structural("gzip_file", b"\x1f\x8b\x08\x00compressed", ["unknown file type '.gz'"], fname="data.csv.gz")
good("qualtrics_question_text_with_newlines_and_quotes", {"export.csv": qualtrics_csv(Q_ROWS)},
     "{d}/export.csv", rows=Q_ROWS, args=[*QPAT, "--keep", "ids", "--id", "ResponseId"],
     kept={"ResponseId": ["R_01aBcDeFgHiJkLm", "R_02aBcDeFgHiJkLm", "R_03aBcDeFgHiJkLm"]})
