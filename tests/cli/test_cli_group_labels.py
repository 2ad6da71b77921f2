"""Group labels that differ only by capitals or surrounding spaces ("CFT" vs "cft ")."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import ROOT

from compassion_scales.cli import main

EXAMPLE = ROOT / "examples" / "responses.csv"

COMMANDS = {
    "reliability": ["reliability", "{f}", "-i", "fcs", "--group", "group", "--n-boot", "0"],
    "compare": ["compare", "{f}", "-i", "fcs", "--group", "group"],
    "flows": ["flows", "{f}", "-i", "ceas", "--group", "group", "--time", "time", "--id", "pid"],
    "trial": ["trial", "{f}", "-i", "fcs", "--arm", "group", "--time", "time", "--occasions", "1",
              "2", "--id", "pid"],
    "invariance": ["factors", "invariance", "{f}", "-i", "fcs", "--group", "group"],
}


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory):
    """The example file typed by hand: 'cft' also written 'CFT ' (file rows 4 and 5)."""
    data = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    data.loc[[2, 3], "group"] = "CFT "
    assert (data.loc[[2, 3], "pid"] == "P002").all()
    path = tmp_path_factory.mktemp("groups") / "messy.csv"
    data.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_group_labels_differing_only_by_case_or_spaces_are_an_error(messy, command):
    args = [a.replace("{f}", str(messy)) for a in COMMANDS[command]]
    r = CliRunner().invoke(main, args)
    assert r.exit_code != 0, r.output
    assert "Traceback" not in r.output and "probably a bug" not in r.output
    assert "'CFT '" in r.output and "'cft'" in r.output and "row 4" in r.output, r.output
    assert str(messy) in r.output
