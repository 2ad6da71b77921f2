"""SPSS/Stata item columns whose value labels give the codes other meanings than the instrument's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from testkit import DATA

from compassion_scales.errors import ResponseValidationError
from compassion_scales.io import read_responses
from compassion_scales.scoring import score

TOY = str(DATA / "toy_scale.yaml")
ITEMS = ["toy_1", "toy_2", "toy_3", "toy_5", "toy_6"]
NAMES = ["Never", "Rarely", "Sometimes", "Often", "Always"]


def _write(path: Path, labels: dict[float, str]) -> Path:
    import pyreadstat

    df = pd.DataFrame({"pid": ["a", "b", "c"], "toy_1": [1.0, 2, 3], "toy_2": [2.0, 2, 2],
                       "toy_3": [3.0, np.nan, 4], "toy_5": [4.0, 4, 4], "toy_6": [5.0, 5, 4]})
    if path.suffix == ".dta":
        pyreadstat.write_dta(df, str(path), variable_value_labels={
            i: {int(k): v for k, v in labels.items()} for i in ITEMS})
    else:
        pyreadstat.write_sav(df, str(path), variable_value_labels={i: labels for i in ITEMS})
    return path


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_codes_labelled_the_other_way_round_are_refused(tmp_path: Path, suffix: str) -> None:
    # 1 = "Always" ... 5 = "Never" in the file, 1 = Never ... 5 = Always in the instrument: the
    # codes were scored as they stand, every answer reversed, exit 0
    f = _write(tmp_path / f"reversed{suffix}", dict(zip([1.0, 2, 3, 4, 5], NAMES[::-1], strict=True)))
    with pytest.raises(ResponseValidationError) as info:
        score(read_responses(f), TOY)
    lines = info.value.lines()
    assert lines[0] == (f"{f}: row 1, column toy_1: the file's value labels give its codes other meanings "
                        "than the instrument's (1 = 'Always' in the file, 5 in the instrument; 2 = 'Often' "
                        "in the file, 4 in the instrument; 4 = 'Rarely' in the file, 2 in the instrument); "
                        "scored as codes the answers would mean something else. Use --value-labels to "
                        "score the labels, or recode the column")
    assert set(info.value.failure_cases["reason"]) == {"label_code_mismatch"}
    with pytest.raises(ResponseValidationError):  # not a cell to blank: the whole column
        score(read_responses(f), TOY, on_invalid="missing")
    by_label = score(read_responses(f, value_labels=True), TOY).scores
    flipped = score(read_responses(f), TOY, reverse_coded=True).scores
    assert by_label["toy_b"].tolist() == flipped["toy_b"].tolist() == [1.5, 1.5, 2.0]


def test_codes_shifted_from_the_instrument_say_to_use_value_labels(tmp_path: Path) -> None:
    f = _write(tmp_path / "shifted.sav", dict(zip([0.0, 1, 2, 3, 4], NAMES, strict=True)))
    with pytest.raises(ResponseValidationError) as info:
        score(read_responses(f), TOY)
    assert "(0 = 'Never' in the file, 1 in the instrument; " in info.value.lines()[-1]
    assert "label_code_mismatch" in set(info.value.failure_cases["reason"])


def test_labels_that_agree_or_name_other_things_change_nothing(tmp_path: Path) -> None:
    same = _write(tmp_path / "same.sav", dict(zip([1.0, 2, 3, 4, 5], NAMES, strict=True)))
    other = _write(tmp_path / "other.sav", dict(zip([1.0, 2, 3, 4, 5], ["Strongly disagree", "Disagree",
                                                                        "Neutral", "Agree", "Strongly agree"],
                                                    strict=True)))
    for f in (same, other):
        got = score(read_responses(f), TOY).scores
        assert got["toy_b"].tolist() == [4.5, 4.5, 4.0]
        assert got["toy_a"].tolist() == [8.0, 9.0, 11.0]


def test_labels_applied_with_value_labels_are_not_compared_again(tmp_path: Path) -> None:
    # with --value-labels a column whose labels are all numbers ("1", "3") is read back as
    # numbers by the analyses; its codes must not then be compared with the labels
    import pyreadstat

    from compassion_scales.io import infer_numeric_columns

    labels = {1.0: "Don't agree at all", 2.0: "1", 3.0: "Somewhat agree", 4.0: "3", 5.0: "Completely agree"}
    items = {f"fcs_oth_{i}": [2.0, 4.0] for i in range(1, 11)}
    f = tmp_path / "fcs.sav"
    pyreadstat.write_sav(pd.DataFrame(items), str(f), variable_value_labels={c: labels for c in items})
    data = infer_numeric_columns(read_responses(f, value_labels=True))
    assert pd.api.types.is_numeric_dtype(data["fcs_oth_1"])
    assert score(data, "fcs").scores["fcs_others"].tolist() == [10.0, 30.0]
