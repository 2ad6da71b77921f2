"""Excel workbooks written byte for byte as real tools write them (round 4 of odd exports)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from testkit import DATA

from compassion_scales.errors import InputFileError
from compassion_scales.io import read_responses
from compassion_scales.scoring import score

TOY = str(DATA / "toy_scale.yaml")
HEADER = ["pid", "toy_1", "toy_2", "toy_3", "toy_5", "toy_6"]


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _with_dimension(path: Path, ref: str | None) -> Path:
    """The workbook with its first sheet's ``<dimension ref=...>`` record replaced (None: left out)."""
    out = path.with_name("stale_" + path.name)
    new = b"" if ref is None else f'<dimension ref="{ref}"/>'.encode()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="[^"]*"/>', new, data)
                assert n == 1
            zout.writestr(info, data)
    return out


@pytest.mark.parametrize("ref", ["A1", "A1:F2", "A1:E3", "A1:B2", None])
def test_a_stale_sheet_dimension_loses_no_row_or_column(tmp_path: Path, ref: str | None) -> None:
    # programs that write .xlsx themselves often leave the sheet's <dimension> record at "A1"
    # (pandas-dev/pandas#39001); openpyxl's read-only reader trusted it, so rows and columns
    # beyond it were dropped without a word ("A1:F2" scored 1 of 3 people, exit 0)
    good = _workbook(tmp_path / "d.xlsx", [HEADER, ["a", 1, 2, 3, 4, 5], ["b", 5, 5, 5, 5, 5],
                                           ["c", 2, 1, None, 3, 3]])
    read = read_responses(_with_dimension(good, ref))
    assert list(read.columns) == HEADER
    assert read["pid"].tolist() == ["a", "b", "c"]
    assert read["toy_6"].tolist() == ["5", "5", "3"]
    scored = score(read, TOY).scores
    assert scored["toy_b"].tolist() == [4.5, 5.0, 3.0]


def test_a_stale_dimension_still_finds_a_formula_without_result(tmp_path: Path) -> None:
    good = _workbook(tmp_path / "f.xlsx", [HEADER, ["a", 1, 2, 3, 4, 5], ["b", 1, 2, "=1+2", 4, 5]])
    with pytest.raises(InputFileError, match="D3 hold a formula with no saved result"):
        read_responses(_with_dimension(good, "A1"))


@pytest.mark.parametrize(("first", "says"), [
    ([None], "row 1 is blank, but it must hold the column names; delete the blank row(s) above the header."),
    (["FCS survey, March 2024"], "row 1 holds only 'FCS survey, March 2024', but it must hold the column names "
                                 "(row 2 has 6 values); a title above the table? Delete the row(s) above the header."),
])
def test_a_blank_or_title_row_above_the_header_is_one_line(tmp_path: Path, first: list[object], says: str) -> None:
    # was one "a value ... in a column with no header" line per column and row (21 lines)
    f = _workbook(tmp_path / "t.xlsx", [first, HEADER, *[[f"p{k}", 1, 2, 3, 4, 5] for k in range(30)]])
    with pytest.raises(InputFileError) as info:
        read_responses(f)
    assert str(info.value) == f"{f}: {says}"


@pytest.mark.parametrize(("first", "says"), [
    ("{s}{s}{s}{s}{s}", "row 1 is blank"),
    ("FCS survey 2024{s}{s}{s}{s}{s}", "row 1 holds only 'FCS survey 2024'"),
    ("FCS survey 2024", "row 1 holds only 'FCS survey 2024'"),
])
@pytest.mark.parametrize("sep", [",", ";"])
def test_a_blank_or_title_line_above_a_csv_header_is_one_line(tmp_path: Path, first: str, says: str,
                                                              sep: str) -> None:
    # Excel saves a blank row as ",,,,," and a title typed above the table as "title,,,,,"
    lines = [first.format(s=sep), sep.join(HEADER), *[sep.join(["p1", "1", "2", "3", "4", "5"])] * 3]
    f = tmp_path / "t.csv"
    for end in ("\r\n", "\r"):  # old Mac Excel ends lines with CR alone
        f.write_bytes((end.join(lines) + end).encode())
        with pytest.raises(InputFileError) as info:
            read_responses(f)
        assert str(info.value).startswith(f"{f}: {says}") and "\n" not in str(info.value)
    sep_line = tmp_path / "s.csv"  # after Excel's sep= line the title is row 2
    sep_line.write_bytes((f"sep={sep}\r\n" + "\r\n".join(lines) + "\r\n").encode())
    with pytest.raises(InputFileError, match=f"{says.replace('row 1', 'row 2')}"):
        read_responses(sep_line)


def test_a_one_column_header_with_one_column_below_is_still_read(tmp_path: Path) -> None:
    f = tmp_path / "one.csv"
    f.write_text("pid\na\nb\n")
    assert read_responses(f)["pid"].tolist() == ["a", "b"]


def _two_sheets(path: Path, first: list[list[object]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Readme"
    for r in first:
        ws.append(r)
    wb.create_sheet("Sheet3")  # an empty default sheet is not worth naming
    data = wb.create_sheet("Answers")
    for r in [HEADER, ["a", 1, 2, 3, 4, 5]]:
        data.append(r)
    wb.save(path)
    return path


@pytest.mark.parametrize(("first", "says"), [
    ([], "sheet 'Readme' is empty (no header row and no data)"),
    ([["Exported by the survey tool"]], "sheet 'Readme' has a header but no data rows"),
])
def test_an_empty_first_sheet_names_the_sheets_with_data(tmp_path: Path, first: list[list[object]],
                                                         says: str) -> None:
    # was "the file has a header but no data rows" with no word of the sheet holding the answers
    f = _two_sheets(tmp_path / "w.xlsx", first)
    with pytest.raises(InputFileError) as info:
        read_responses(f)
    assert str(info.value) == (f"{f}: {says}; the workbook's other sheets: 'Answers' (choose one with --sheet).")
    assert read_responses(f, sheet="Answers")["pid"].tolist() == ["a"]


def test_reading_the_first_of_several_sheets_is_noted(tmp_path: Path) -> None:
    f = _two_sheets(tmp_path / "w.xlsx", [["what", "who"], ["codebook", "me"]])
    notes = read_responses(f).attrs["notes"]
    assert (f"{f}: read the first sheet, 'Readme'; the workbook has other sheets: 'Answers' (choose one "
            "with --sheet).") in notes
    one = _workbook(tmp_path / "one.xlsx", [HEADER, ["a", 1, 2, 3, 4, 5]])
    assert read_responses(one).attrs["notes"] == []


@pytest.mark.parametrize("suffix", [".csv", ".xls", ".txt"])
def test_an_xlsx_workbook_under_another_name_is_read_as_one(tmp_path: Path, suffix: str) -> None:
    # an .xlsx saved as "data.csv": "holds NUL bytes and is not text"; as .xls: pandas' reader,
    # without cscore's checks (dates as "2024-01-02 00:00:00", a stale size trusted)
    book = _workbook(tmp_path / "d.xlsx", [HEADER, ["007", 1, 2, 3, 4, 5]])
    f = book.rename(tmp_path / f"d{suffix}")
    read = read_responses(f)
    assert read["pid"].tolist() == ["007"] and read["toy_6"].tolist() == ["5"]
    assert f"{f}: the file is an .xlsx workbook despite its name; read as one." in read.attrs["notes"]


@pytest.mark.parametrize(("fname", "data", "says"), [
    ("d.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
     "is not an .xlsx workbook but an old-style .xls workbook or a password-protected one"),
    ("d.xls", b"<html><body><table><tr><td>pid</td></tr></table></body></html>",
     "is a web page (HTML) or XML file named .xls, not an Excel workbook"),
    ("d.xls", b'\xef\xbb\xbf<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
     "is a web page (HTML) or XML file named .xls"),
])
def test_a_file_that_is_not_the_workbook_its_name_says_is_one_line(tmp_path: Path, fname: str, data: bytes,
                                                                   says: str) -> None:
    # were "File is not a zip file" and pandas' "Excel file format cannot be determined, you must
    # specify an engine manually"
    f = tmp_path / fname
    f.write_bytes(data)
    with pytest.raises(InputFileError) as info:
        read_responses(f)
    assert str(info.value).startswith(f"{f}: {says}") and "\n" not in str(info.value)


def _shared_strings(path: Path) -> Path:
    """``path`` rewritten as Excel writes text: every text cell a shared string (``t="s"``)
    in ``xl/sharedStrings.xml``, a carriage return escaped as ``_x000D_``."""
    out = path.with_name("excel_" + path.name)
    strings: list[str] = []

    def to_shared(m: re.Match[bytes]) -> bytes:
        text = m.group(2).decode().replace("&#13;", "_x000D_")
        strings.append(text)
        return m.group(1) + b' t="s"><v>' + str(len(strings) - 1).encode() + b"</v></c>"

    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'(<c r="[A-Z]+\d+") t="inlineStr"><is><t>(.*?)</t></is></c>', to_shared, data,
                              flags=re.S)
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                                    b'application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings'
                                    b'+xml"/></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSS" Type="http://schemas.'
                                    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                    b'Target="sharedStrings.xml"/></Relationships>')
            zout.writestr(info, data)
        sst = "".join(f'<si><t xml:space="preserve">{t}</t></si>' for t in strings)
        zout.writestr("xl/sharedStrings.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                      f'count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>')
    return out


def test_a_line_break_pasted_from_windows_comes_out_as_it_went_in(tmp_path: Path) -> None:
    # Excel stores the CR of a CRLF inside a cell as "_x000D_"; openpyxl leaves the escape in,
    # so a kept free-text answer came out "first_x000D_\nsecond"
    plain = _workbook(tmp_path / "n.xlsx", [["pid", "comment", "toy_5", "toy_6"],
                                            ["a", "first\r\nsecond", 1, 2], ["b", "tab\there", 3, 4]])
    f = _shared_strings(plain)
    with zipfile.ZipFile(f) as z:
        assert b"first_x000D_\nsecond" in z.read("xl/sharedStrings.xml")
    read = read_responses(f)
    assert read["comment"].tolist() == ["first\r\nsecond", "tab\there"]
    assert read["pid"].tolist() == ["a", "b"]


def test_a_header_naming_one_column_above_data_is_not_taken_for_a_title(tmp_path: Path) -> None:
    # "pid,,,," over numbers: the names are missing, not a title above the table
    f = tmp_path / "names.csv"
    f.write_text("pid,,,,\n1,2,3,4,5\n")
    with pytest.raises(InputFileError) as info:
        read_responses(f)
    assert f"{f}: row 1, column 2: the header cell is empty" in str(info.value)
    assert "title" not in str(info.value)


def test_a_sheet_named_with_digits_is_chosen_by_its_name(tmp_path: Path) -> None:
    # sheets named by year: "--sheet 2024" was read as position 2024 ("no sheet 2024; the sheets
    # are: 2023, 2024")
    import openpyxl
    from click.testing import CliRunner

    from compassion_scales.cli import main

    wb = openpyxl.Workbook()
    old = wb.active
    old.title = "2023"
    for r in [HEADER, ["old", 1, 1, 1, 1, 1]]:
        old.append(r)
    new = wb.create_sheet("2024")
    for r in [HEADER, ["new", 5, 5, 5, 5, 5]]:
        new.append(r)
    f = tmp_path / "years.xlsx"
    wb.save(f)
    assert read_responses(f, sheet="2024")["pid"].tolist() == ["new"]
    assert read_responses(f, sheet="1")["pid"].tolist() == ["new"]  # no sheet "1": the position
    assert read_responses(f, sheet=0)["pid"].tolist() == ["old"]
    for sheet, pid in (("2024", "new"), ("0", "old")):
        res = CliRunner().invoke(main, ["score", str(f), "--instrument-file", TOY, "--sheet", sheet,
                                        "--keep", "ids", "--id", "pid", "--format", "csv"])
        assert res.exit_code == 0, res.output
        assert res.stdout.splitlines()[1].startswith(f"{pid},")
