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
