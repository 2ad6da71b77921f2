"""SPSS and Stata files as SPSS and Stata write them: date-time columns kept as they went in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import DATA

from compassion_scales.cli import main
from compassion_scales.io import csv_text

TOY = str(DATA / "toy_scale.yaml")


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
@pytest.mark.parametrize("out", ["out.csv", "out.tsv"])
def test_a_kept_datetime_column_is_written_without_microseconds(tmp_path: Path, suffix: str, out: str) -> None:
    # an SPSS DATETIME20 / Stata %tc column came out "2024-01-02 10:00:00.000000"
    import pyreadstat

    frame = pd.DataFrame({"pid": ["a", "b"], "started": [dt.datetime(2024, 1, 2, 10, 0, 5), dt.datetime(2024, 1, 3)],
                          "toy_5": [1.0, 2.0], "toy_6": [3.0, 4.0]})
    f = tmp_path / f"d{suffix}"
    (pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta)(frame, str(f))
    res = CliRunner().invoke(main, ["score", str(f), "--instrument-file", TOY, "--keep", "all",
                                    "-o", str(tmp_path / out)])
    assert res.exit_code == 0, res.output
    text = (tmp_path / out).read_text()
    sep = "," if out.endswith("csv") else "\t"
    assert f"a{sep}2024-01-02 10:00:05{sep}" in text and f"b{sep}2024-01-03 00:00:00{sep}" in text


def test_fractions_of_a_second_are_kept() -> None:
    frame = pd.DataFrame({"at": pd.to_datetime(["2024-01-02 10:00:00.250", "2024-01-02 10:00:01"], format="ISO8601")})
    assert csv_text(frame).splitlines()[1:] == ["2024-01-02 10:00:00.250000", "2024-01-02 10:00:01.000000"]


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_a_repeated_number_identifier_is_shown_as_the_file_shows_it(tmp_path: Path, suffix: str) -> None:
    # SPSS and Stata store a numeric id as a float: "identifier 1.0 already used in row 1"
    import pyreadstat

    frame = pd.DataFrame({"pid": [1.0, 1.0, 123456789012.0], "toy_5": [1.0, 2.0, 3.0], "toy_6": [3.0, 4.0, 5.0]})
    f = tmp_path / f"d{suffix}"
    (pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta)(frame, str(f))
    res = CliRunner().invoke(main, ["score", str(f), "--instrument-file", TOY, "--id", "pid"])
    assert res.exit_code == 1
    assert f"{f}: row 2, column pid: identifier 1 already used in row 1" in res.output


@pytest.mark.parametrize("suffix", [".sav", ".zsav", ".dta", ".parquet", ".xlsx", ".xls"])
def test_an_empty_binary_file_says_it_is_empty(tmp_path: Path, suffix: str) -> None:
    # a download that failed (0 bytes) gave "cannot be read as a .sav file (Unable to read
    # from file)" or pandas' "Excel file format cannot be determined, ..."
    from compassion_scales.errors import InputFileError
    from compassion_scales.io import read_responses

    f = tmp_path / f"d{suffix}"
    f.write_bytes(b"")
    with pytest.raises(InputFileError) as info:
        read_responses(f)
    assert str(info.value) == f"{f}: the file is empty (0 bytes)."


@pytest.mark.parametrize(("suffix", "column"), [(".dta", "comment_about_the_survey_experience_x"),
                                                 (".sav", "c" * 65), (".dta", "Record ID")])
def test_a_name_spss_or_stata_refuses_is_named(tmp_path: Path, suffix: str, column: str) -> None:
    # "cannot be written (A provided name is too long for the file format)" named no column
    src = tmp_path / "d.csv"
    src.write_text(f"pid,{column},toy_5,toy_6\na,x,1,2\n")
    out = tmp_path / f"out{suffix}"
    res = CliRunner().invoke(main, ["score", str(src), "--instrument-file", TOY, "--keep", "all", "-o", str(out)])
    assert res.exit_code == 1
    assert f"; column(s) '{column}'); SPSS and Stata names are" in res.output
    assert not out.exists()
