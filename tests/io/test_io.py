"""Reading and writing files: formats, encodings, value labels, atomic writes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from testkit import DATA

from compassion_scales.errors import InputFileError, OutputFileError, ResponseValidationError
from compassion_scales.io import read_column_map, read_responses, write_table
from compassion_scales.scoring import score

TOY = str(DATA / "toy_scale.yaml")


def test_spss_value_labels_are_matched_to_response_labels(tmp_path: Path) -> None:
    import pyreadstat

    # SPSS file coded 10..50 with labels Never..Always (not the instrument's 1-5 codes)
    labels = {10.0: "Never", 20.0: "Rarely", 30.0: "Sometimes", 40.0: "Often", 50.0: "Always"}
    df = pd.DataFrame({"toy_5": [10.0, 50.0], "toy_6": [30.0, np.nan]})
    f = tmp_path / "coded.sav"
    pyreadstat.write_sav(df, str(f), variable_value_labels={"toy_5": labels, "toy_6": labels})
    with pytest.raises(ResponseValidationError) as info:
        score(read_responses(f), TOY)
    # the labels say the codes mean other answers: the column is refused as a whole (its 10s
    # were listed cell by cell as "10 is outside the response range 1-5")
    assert info.value.lines()[0].startswith(
        f"{f}: row 1, column toy_5: the file's value labels give its codes other meanings than the "
        "instrument's (10 = 'Never' in the file, 1 in the instrument; ")
    assert info.value.failure_cases["reason"].tolist() == ["label_code_mismatch"] * 2
    res = score(read_responses(f, value_labels=True), TOY)
    assert res.scores["toy_b"].iloc[0] == 2.0          # Never=1, Sometimes=3
    assert np.isnan(res.scores["toy_b"].iloc[1])
    assert read_responses(f).attrs["first_row"] == 1


def test_options_that_do_not_apply_to_the_file_type_are_named_in_a_note(tmp_path: Path) -> None:
    """--sheet on a CSV file, or --encoding/--delimiter on a workbook, did nothing, silently."""
    frame = pd.DataFrame({"pid": ["a"], "toy_1": ["2"]})
    (tmp_path / "d.csv").write_text("pid,toy_1\na,2\n")
    frame.to_excel(tmp_path / "d.xlsx", index=False)
    csv = read_responses(tmp_path / "d.csv", sheet="data")
    assert csv.attrs["notes"][0].endswith("d.csv: --sheet (Excel workbooks only) ignored for a "
                                          "delimited text file.")
    book = read_responses(tmp_path / "d.xlsx", encoding="latin-1", delimiter=";")
    assert book.attrs["notes"][0].endswith("d.xlsx: --encoding (text files only) and --delimiter "
                                           "(text files only) ignored for an Excel workbook.")
    assert book["toy_1"].tolist() == csv["toy_1"].tolist() == ["2"]
    assert not any("ignored" in n for n in read_responses(tmp_path / "d.csv", delimiter=",").attrs["notes"])


def test_value_labels_and_dictionary_on_other_file_types_are_named_in_a_note(tmp_path: Path) -> None:
    """--value-labels on a CSV file or --dictionary on an SPSS file did nothing, silently."""
    import pyreadstat

    (tmp_path / "d.csv").write_text("pid,toy_1\na,2\n")
    csv = read_responses(tmp_path / "d.csv", value_labels=True)
    assert csv.attrs["notes"][0].endswith("d.csv: --value-labels (SPSS and Stata files only) ignored "
                                          "for a delimited text file.")
    pyreadstat.write_sav(pd.DataFrame({"pid": ["a"], "toy_1": [2.0]}), str(tmp_path / "d.sav"))
    (tmp_path / "dictionary.csv").write_text(
        '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
        '"Choices, Calculations, OR Slider Labels","Field Note"\n'
        'pid,f,,text,"Record ID",,\ntoy_1,f,,radio,"One","1, Never | 5, Always",\n')
    sav = read_responses(tmp_path / "d.sav", dictionary=tmp_path / "dictionary.csv")
    assert sav.attrs["notes"][0].endswith("d.sav: --dictionary (REDCap CSV and Excel exports only) "
                                          "ignored for a .sav file.")
    assert sav["toy_1"].tolist() == [2.0]
    assert not any("ignored" in n for n in read_responses(tmp_path / "d.sav", value_labels=True)
                   .attrs.get("notes", []))


def test_spss_user_missing_codes_are_blank_and_reported(tmp_path: Path) -> None:
    import pyreadstat

    # 9 = "refused" declared missing in SPSS for toy_5, and 8-9 for toy_6: SPSS leaves such cells
    # out of every analysis; so do we, and the note says how many cells that was
    df = pd.DataFrame({"pid": ["a", "b", "c"], "toy_5": [2.0, 9.0, 3.0], "toy_6": [8.0, 9.0, 4.0]})
    f = tmp_path / "refused.sav"
    pyreadstat.write_sav(df, str(f), missing_ranges={"toy_5": [9.0], "toy_6": [{"lo": 8.0, "hi": 9.0}]})
    read = read_responses(f)
    assert read["toy_5"].isna().tolist() == [False, True, False]
    assert read["toy_6"].isna().tolist() == [True, True, False]
    assert read["pid"].tolist() == ["a", "b", "c"]
    assert ("cells holding a code the file declares missing (SPSS user-missing) were read as blank: "
            "toy_5 (9: 1 cell); toy_6 (8, 9: 2 cells).") in read.attrs["notes"][1]
    # 9 is outside toy's 1-5 range, yet nothing is refused: those cells are blank
    res = score(read, TOY, keep="all")
    assert res.scores["pid"].tolist() == ["a", "b", "c"]
    # a file without declared missing codes gets no such note
    pyreadstat.write_sav(df, str(tmp_path / "plain.sav"))
    plain = read_responses(tmp_path / "plain.sav")
    assert plain["toy_5"].tolist() == [2.0, 9.0, 3.0]
    assert not any("user-missing" in n for n in plain.attrs["notes"])


def test_stata_extended_missing_values_are_blank_and_reported(tmp_path: Path) -> None:
    import pyreadstat

    # .a ("refused") and .z in toy_5: Stata leaves them out like ".", and the note says so,
    # column by column, as for SPSS user-missing codes
    df = pd.DataFrame({"pid": ["a", "b", "c"], "toy_5": [2.0, "a", "z"], "toy_6": [3.0, 4.0, np.nan],
                       "note": ["a", "z", "."]})
    f = tmp_path / "refused.dta"
    pyreadstat.write_dta(df, str(f), missing_user_values={"toy_5": ["a", "z"]})
    read = read_responses(f)
    assert read["toy_5"].isna().tolist() == [False, True, True]
    assert read["toy_5"].dtype == np.float64
    assert read["toy_6"].tolist()[:2] == [3.0, 4.0]
    assert read["note"].tolist() == ["a", "z", "."]
    assert ("cells holding a Stata extended missing value were read as blank: "
            "toy_5 (.a, .z: 2 cells).") in read.attrs["notes"][1]
    res = score(read, TOY, keep="all")
    assert res.scores["pid"].tolist() == ["a", "b", "c"]
    # system missing (".") alone gets no such note
    pyreadstat.write_dta(df.assign(toy_5=[2.0, np.nan, 3.0]), str(tmp_path / "plain.dta"))
    plain = read_responses(tmp_path / "plain.dta")
    assert not any("extended missing" in n for n in plain.attrs["notes"])


def test_excel_sheets(tmp_path: Path) -> None:
    f = tmp_path / "x.xlsx"
    with pd.ExcelWriter(f) as w:
        pd.DataFrame({"a": [1]}).to_excel(w, sheet_name="first", index=False)
        pd.DataFrame({"toy_5": [2], "toy_6": [4]}).to_excel(w, sheet_name="data", index=False)
    assert list(read_responses(f, sheet="data").columns) == ["toy_5", "toy_6"]
    assert not any("hidden" in n for n in read_responses(f, sheet="data").attrs["notes"])
    with pytest.raises(InputFileError, match="no sheet 'nope'; the sheets are: first, data"):
        read_responses(f, sheet="nope")


def test_excel_hidden_first_sheet_is_passed_over(tmp_path: Path) -> None:
    # a hidden first sheet (a lookup list, a codebook) is not what Excel shows nor what anyone
    # means; it was read and the file refused with "a header but no data rows"
    import openpyxl

    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "lookup"
    notes.append(["read me"])
    notes.sheet_state = "hidden"
    ws = wb.create_sheet("answers")
    ws.append(["pid", "toy_5", "toy_6"])
    ws.append(["a", 2, 4])
    f = tmp_path / "h.xlsx"
    wb.save(f)
    read = read_responses(f)
    assert list(read.columns) == ["pid", "toy_5", "toy_6"]
    assert (f"{f}: the first sheet, 'lookup', is hidden; read sheet 'answers' (choose another "
            "with --sheet).") in read.attrs["notes"]
    for asked in ("lookup", 0):  # asked for by name or number, the hidden sheet is read
        with pytest.raises(InputFileError, match="a header but no data rows"):
            read_responses(f, sheet=asked)


def test_duplicate_and_empty_header(tmp_path: Path) -> None:
    f = tmp_path / "d.csv"
    f.write_text("a,b,a,\n1,2,3,4\n")
    with pytest.raises(InputFileError) as info:
        read_responses(f)
    msg = str(info.value)
    assert f"{f}: row 1, column 4: the header cell is empty" in msg
    assert f"{f}: row 1, column a: the column name appears more than once." in msg


def test_qualtrics_previews_spam_and_unfinished_rows_are_counted_in_notes(tmp_path: Path) -> None:
    """Every row is still read (none dropped); the notes say which are not real answers."""
    head = ("StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,RecordedDate,"
            "ResponseId,Q1\r\n")
    rows = [f"2024-03-01 10:00:00,2024-03-01 10:07:31,{s},,100,451,{f},2024-03-01 10:07:31,R_{i},2"
             for i, (s, f) in enumerate([("0", "1"), ("1", "1"), ("1", "0"),
                                                                 ("2", "1"), ("0", "0")])]
    numeric = tmp_path / "numeric.csv"
    numeric.write_text(head + "\r\n".join(rows) + "\r\n")
    read = read_responses(numeric)
    assert len(read) == 5 and read["Status"].tolist() == ["0", "1", "1", "2", "0"]
    notes = [n.split(": ", 1)[1] for n in read.attrs["notes"]]
    assert ("3 rows are not ordinary Qualtrics responses (Status: Survey Preview 2, Survey Test 1); they are "
            "read like the others: leave them out if they are not real answers.") in notes
    assert "2 rows did not finish the survey (Finished = 0)." in notes
    words = tmp_path / "words.csv"
    words.write_text(head + "\r\n".join(r.replace(",1,,100", ",Survey Preview,,100", 1)
                                        .replace(",2,,100", ",Spam,,100", 1)
                                        .replace(",0,,100", ",IP Address,,100", 1) for r in rows) + "\r\n")
    assert any("(Status: Survey Preview 2, Spam 1)" in n for n in read_responses(words).attrs["notes"])
    plain = tmp_path / "plain.csv"
    plain.write_text("pid,Status,Finished,Q1\na,1,0,2\n")  # not a Qualtrics export: no note
    assert not any("Qualtrics" in n or "finish" in n for n in read_responses(plain).attrs["notes"])


def test_qualtrics_header_rows(tmp_path: Path) -> None:
    f = tmp_path / "q.csv"
    f.write_text('ResponseId,toy_5,toy_6\nResponse ID,How often...,How often...\n'
                 '{"ImportId":"_recordId"},{"ImportId":"QID1"},{"ImportId":"QID2"}\nR_1,2,4\n')
    df = read_responses(f)
    assert len(df) == 1 and df.attrs["first_row"] == 4
    assert "Qualtrics" in df.attrs["notes"][0]


def test_identifiers_keep_leading_zeros(tmp_path: Path) -> None:
    f = tmp_path / "z.csv"
    f.write_text("pid,toy_5,toy_6\n007,1,2\n")
    assert read_responses(f, string_columns=["pid"])["pid"].iloc[0] == "007"


def test_unknown_suffix(tmp_path: Path) -> None:
    f = tmp_path / "x.docx"
    f.write_text("x")
    with pytest.raises(InputFileError, match="unknown file type '.docx'"):
        read_responses(f)


def test_atomic_write_and_refuse_input(tmp_path: Path) -> None:
    inp = tmp_path / "in.csv"
    inp.write_text("a\n1\n")
    df = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(OutputFileError, match="refusing to overwrite the input file"):
        write_table(df, inp, inputs=[inp])
    out = write_table(df, tmp_path / "out.csv", inputs=[inp])
    assert out.read_text() == "a\n1\n2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]  # no temp files left
    with pytest.raises(OutputFileError, match="unknown output type '.doc'"):
        write_table(df, tmp_path / "out.doc")


def test_xlsx_output_refuses_text_an_excel_cell_cannot_hold(tmp_path: Path) -> None:
    # an open-text answer longer than an Excel cell holds (32,767 characters) was cut short
    # without a word; a control character (a vertical tab from a pasted line break) gave
    # "cannot be written (a)". Both now name the cell and suggest another format; no file left.
    long = "x" * 40_000
    df = pd.DataFrame({"pid": ["P1", "P2"], "note": ["fine", long], "toy_a": [1.0, 2.0]})
    with pytest.raises(OutputFileError) as info:
        write_table(df, tmp_path / "out.xlsx")
    msg = str(info.value)
    assert msg.startswith(f"{tmp_path / 'out.xlsx'}: cell B3 (column note): the text has 40000 characters")
    assert "32,767" in msg and ".csv" in msg and ".tmp" not in msg
    df = pd.DataFrame({"pid": ["P1", "P2"], "note": ["line\x0bbreak", "ok"], "toy_a": [1.0, 2.0]})
    with pytest.raises(OutputFileError) as info:
        write_table(df, tmp_path / "out.xlsx")
    assert str(info.value).startswith(f"{tmp_path / 'out.xlsx'}: cell B2 (column note): the text holds "
                                      "a control character ('\\x0b')")
    assert list(tmp_path.iterdir()) == []
    # the longest text a cell holds is written whole
    df = pd.DataFrame({"pid": ["P1"], "note": ["y" * 32_767]})
    out = write_table(df, tmp_path / "out.xlsx")
    import openpyxl

    assert openpyxl.load_workbook(out).active["B2"].value == "y" * 32_767
    # more columns than a sheet holds (a wide export kept whole) was "Invalid column index 18279"
    # or, up to 18,278 columns, a workbook Excel cannot open
    wide = pd.DataFrame([[1] * 16_385], columns=[f"c{k}" for k in range(16_385)])
    with pytest.raises(OutputFileError, match="16385 columns with its header"):
        write_table(wide, tmp_path / "wide.xlsx")
    with pytest.raises(OutputFileError, match="1048577 rows with its header"):
        write_table(pd.DataFrame({"a": np.zeros(1_048_576)}), tmp_path / "tall.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_column_map_formats(tmp_path: Path) -> None:
    y = tmp_path / "m.yaml"
    y.write_text("Q1: toy_5\nQ2: toy_6\n")
    assert read_column_map(y) == {"Q1": "toy_5", "Q2": "toy_6"}
    y.write_text("Q1: toy_5\nQ2: toy_6\nQ1: toy_7\n")  # a loader would keep Q1: toy_7 silently
    with pytest.raises(InputFileError, match="line 3: the key 'Q1' appears twice"):
        read_column_map(y)
    c = tmp_path / "m.csv"
    c.write_text("column,item\nQ1,toy_5\nQ1,toy_6\n")
    with pytest.raises(InputFileError, match="row 3: column Q1 is mapped twice"):
        read_column_map(c)


def test_a_one_column_csv_keeps_its_empty_cells_as_rows(tmp_path: Path) -> None:
    # pyarrow writes an empty cell of a one-column table as an empty line, which pandas, R
    # and spreadsheets skip: the row would be lost on reading. It is written "" instead.
    from compassion_scales.io import csv_text

    frame = pd.DataFrame({"fcs_self": [15.0, np.nan, 12.0, np.nan]})
    write_table(frame, tmp_path / "one.csv")
    assert (tmp_path / "one.csv").read_bytes() == b'fcs_self\n15\n""\n12\n""\n'
    assert csv_text(frame) == 'fcs_self\n15\n""\n12\n""\n'
    back = pd.read_csv(tmp_path / "one.csv")
    assert len(back) == 4 and back["fcs_self"].isna().tolist() == [False, True, False, True]
    assert read_responses(tmp_path / "one.csv")["fcs_self"].isna().tolist() == [False, True, False, True]
    # text: empty and missing cells alike, text that needs quotes quoted, others as they are
    text = pd.DataFrame({"note": ["a", "", None, 'say "hi", then go', "x\ny"]})
    assert csv_text(text) == 'note\na\n""\n""\n"say ""hi"", then go"\n"x\ny"\n'
    assert pd.read_csv(io.StringIO(csv_text(text)), keep_default_na=False)["note"].tolist() == [
        "a", "", "", 'say "hi", then go', "x\ny"]
    assert csv_text(text, sep="\t").startswith('note\na\n""\n""\n')
    # two columns, or one column without empty cells: pyarrow's own writing
    assert csv_text(pd.DataFrame({"a": [1.0, np.nan], "b": [2, 3]})) == "a,b\n1,2\n,3\n"
    assert csv_text(pd.DataFrame({"a": [1.0, 2.5]})) == "a\n1\n2.5\n"


def test_lines_ending_in_cr_cr_lf_are_one_row_each(tmp_path: Path) -> None:
    # a CRLF file written again in Windows text mode: read literally, every row would be
    # followed by an empty one (scores missing, or "the identifier is empty" with an id)
    from compassion_scales.streaming import stream_blockers

    f = tmp_path / "twice.csv"
    f.write_bytes(b"pid,toy_5,toy_6\r\r\na,2,4\r\r\nb,3,5\r\r\n")
    df = read_responses(f)
    assert df["pid"].tolist() == ["a", "b"] and df["toy_6"].tolist() == ["4", "5"]
    assert any("every line ends in CR CR LF" in n for n in df.attrs["notes"])
    res = score(df, TOY, id="pid")
    assert res.scores["pid"].tolist() == ["a", "b"]
    assert stream_blockers(f)  # read whole, never in batches
    # one such line among CRLF lines is left as it is (a blank line inside is an empty row)
    g = tmp_path / "once.csv"
    g.write_bytes(b"pid,toy_5,toy_6\r\na,2,4\r\r\nb,3,5\r\n")
    assert len(read_responses(g)) == 3


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_stata_name_error_says_what_to_do(tmp_path: Path, suffix: str) -> None:
    # a Qualtrics export's passthrough column: the writer's reason alone left the user stuck
    df = pd.DataFrame({"pid": ["a"], "Duration (in seconds)": [300], "fcs_self": [20.0]})
    out = tmp_path / f"scores{suffix}"
    with pytest.raises(OutputFileError) as err:
        write_table(df, out)
    assert str(err.value).startswith(f"{out}: cannot be written (")
    assert str(err.value).endswith("); SPSS and Stata names are letters, digits and _ only, starting "
                                   "with a letter: rename that column, leave the other columns out "
                                   "(cscore score --keep ids), or write .csv, .xlsx or .parquet.")
    assert not out.exists()
