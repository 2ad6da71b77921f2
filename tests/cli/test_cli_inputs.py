"""Every command that reads a responses file takes --sheet, --encoding and --delimiter."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import ROOT

from compassion_scales.cli import main

EXAMPLE = ROOT / "examples" / "responses.csv"


def run(args: list[str]) -> CliRunner.invoke:
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/responses.csv on a sheet named "data", after a dummy first sheet: every row, and
    the columns the commands below use (every command reads the whole sheet, and reading
    Excel costs time in proportion to its cells: the CEAS items would double it)."""
    path = tmp_path_factory.mktemp("xlsx") / "responses.xlsx"
    data = pd.read_csv(EXAMPLE, dtype={"pid": str})
    data = data[[c for c in data.columns if c in ("pid", "group", "time") or c.startswith("fcs_")]]
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["not the data"]}).to_excel(writer, sheet_name="readme", index=False)
        data.to_excel(writer, sheet_name="data", index=False)
    return path


COMMANDS = {
    "score": ["score", "{file}", "-i", "fcs", "--id", "pid", "--id", "time", "--format", "csv"],
    "reliability": ["reliability", "{file}", "-i", "fcs", "--n-boot", "0"],
    "factors efa": ["factors", "efa", "{file}", "-i", "fcs", "--n-factors", "3"],
    "factors cfa": ["factors", "cfa", "{file}", "-i", "fcs"],
    "flows": ["flows", "{file}", "-i", "fcs", "--group", "group"],
    "compare": ["compare", "{file}", "-i", "fcs", "--group", "group", "--id", "pid", "--id", "time"],
    "change": ["change", "{file}", "-i", "fcs", "--id", "pid", "--time", "time",
               "--from", "1", "--to", "2"],
    "trial": ["trial", "{file}", "-i", "fcs", "--arm", "group", "--time", "time",
              "--baseline-time", "1", "--follow-up-time", "2", "--id", "pid"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_excel_sheet_option(command: str, workbook: Path) -> None:
    args = [str(workbook) if a == "{file}" else a for a in COMMANDS[command]] + ["--sheet", "data"]
    res = run(args)
    assert res.exit_code == 0, res.output


def test_reliability_encoding(tmp_path: Path) -> None:
    f = tmp_path / "latin.csv"
    data = pd.read_csv(EXAMPLE, nrows=40)
    data["pid"] = ["Jos\xe9"] + list(data["pid"][1:])
    f.write_bytes(data.to_csv(index=False).encode("latin-1"))
    res = run(["reliability", str(f), "-i", "fcs", "--n-boot", "0"])
    assert res.exit_code == 1
    assert res.output == (f"Error: {f}: row 2: the file is not valid UTF-8 text (byte 0xe9). It was "
                          "probably saved in another encoding; try --encoding latin-1 (or cp1252 for "
                          "Windows Excel exports).\n")
    ok = run(["reliability", str(f), "-i", "fcs", "--n-boot", "0", "--encoding", "latin-1",
              "--format", "csv"])
    assert ok.exit_code == 0, ok.output
    assert "fcs_self" in ok.stdout


@pytest.mark.parametrize("stream", [False, True])
def test_repeated_person_in_a_longitudinal_redcap_export_suggests_the_event_column(
        tmp_path: Path, stream: bool) -> None:
    # REDCap's longitudinal export: one row per record and event, so record_id repeats
    items = [f"toy_{i}" for i in range(1, 9)]
    lines = ["record_id,redcap_event_name," + ",".join(items)]
    for rid in ("1", "2"):
        for event in ("baseline_arm_1", "week_8_arm_1"):
            lines.append(f"{rid},{event}," + ",".join(["2"] * len(items)))
    f = tmp_path / "redcap.csv"
    f.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    toy = str(ROOT / "tests" / "data" / "toy_scale.yaml")
    args = ["score", str(f), "--instrument-file", toy, "-o", str(tmp_path / "out.csv")]
    args += ["--stream"] if stream else []
    res = CliRunner().invoke(main, [*args, "--id", "record_id"])
    assert res.exit_code == 1
    assert f"{f}: row 3, column record_id: identifier 1 already used in row 2" in res.output
    assert ("2 problems in the data (2 duplicate_id). Several rows per person (one per occasion or "
            "REDCap event)? Name the column that tells them apart as another identifier "
            "(e.g. --id record_id --id redcap_event_name).") in res.output
    assert not (tmp_path / "out.csv").exists()
    res = CliRunner().invoke(main, [*args, "--id", "record_id", "--id", "redcap_event_name"])
    assert res.exit_code == 0, res.output
    assert pd.read_csv(tmp_path / "out.csv")["record_id"].tolist() == [1, 1, 2, 2]


@pytest.mark.parametrize("stream", [False, True])
def test_surveymonkey_two_row_header_is_one_line(tmp_path: Path, stream: bool) -> None:
    # SurveyMonkey: row 1 question texts (blank over a matrix's later rows), row 2 the rows' texts
    meta = "Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,Last Name,Custom Data 1"
    lines = [meta + ',"How often do you... (1 = Never, 5 = Always)",,',
             ",,,,,,,,,I am kind to myself.,I am hard on myself.,Item three",
             "11410000000,431245678,03/01/2024 10:00:12 AM,03/01/2024 10:07:31 AM,192.0.2.1,,,,,1,2,3"]
    f = tmp_path / "export.csv"
    f.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    args = ["score", str(f), "-i", "fcs", "-o", str(tmp_path / "out.csv")] + (["--stream"] if stream else [])
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1
    assert res.output.count("\n") == 1
    assert res.output.startswith(f"Error: {f}: row 2: this looks like a SurveyMonkey export, whose "
                                 "header takes two rows")
    assert "name every column in row 1" in res.output and "delete row 2" in res.output
