"""SPSS item columns coded otherwise than the instrument: every command that scores them
refuses the codes and takes --value-labels (screen and report did not)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import DATA

from compassion_scales.cli import main

TOY = str(DATA / "toy_scale.yaml")
ITEMS = ["toy_1", "toy_2", "toy_3", "toy_5", "toy_6"]
NAMES = ["Never", "Rarely", "Sometimes", "Often", "Always"]


@pytest.fixture(scope="module")
def zero_based(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 people, answers coded 0-4 and labelled Never..Always (the toy instrument has 1-5)."""
    import pyreadstat

    rng = np.random.default_rng(3)
    base = rng.integers(0, 5, size=(40, 1))
    answers = np.clip(base + rng.integers(-1, 2, size=(40, len(ITEMS))), 0, 4).astype(float)
    frame = pd.DataFrame(answers, columns=ITEMS)
    frame.insert(0, "pid", [f"p{k:02d}" for k in range(40)])
    path = tmp_path_factory.mktemp("labels") / "zero_based.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels={
        i: {float(k): n for k, n in enumerate(NAMES)} for i in ITEMS})
    return path


@pytest.mark.parametrize("command", [["screen"], ["report", "--n-boot", "100", "-q"]])
def test_screen_and_report_refuse_the_codes_and_take_value_labels(zero_based: Path, tmp_path: Path,
                                                                  command: list[str]) -> None:
    args = [*command, str(zero_based), "-i", TOY]
    if command[0] == "report":
        args += ["-o", str(tmp_path / "r.html")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1, res.output
    assert "(0 = 'Never' in the file, 1 in the instrument; " in res.output and "--value-labels" in res.output
    res = CliRunner().invoke(main, [*args, "--value-labels"])
    assert res.exit_code == 0, res.output
