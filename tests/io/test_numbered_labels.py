"""Answer labels written with their numbers ("1 = Never"), as Qualtrics choice texts and SPSS
value labels often are."""

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


@pytest.mark.parametrize("written", [
    ["1 = Never", "2 = Rarely", "3 = Sometimes", "4 = Often", "5 = Always"],
    ["1 - Never", "2. Rarely", "(3) Sometimes", "4) Often", "5=Always"],
    ["Never (1)", "Rarely (2)", "Sometimes = 3", "Often - 4", "Always \u2013 5"],
])
def test_a_label_with_its_own_code_scores_as_that_code(written: list[str]) -> None:
    # a Qualtrics choice-text export whose choices were typed "1 = Never": every cell was
    # "not a number nor a response label of this item"
    data = pd.DataFrame([written, ["5 = Always"] * 5], columns=["toy_1", "toy_2", "toy_3", "toy_5", "toy_6"])
    got = score(data, TOY).scores
    assert got["toy_a"].tolist() == [1 + (6 - 2) + 3, 5 + 1 + 5]
    assert got["toy_b"].tolist() == [4.5, 5.0]


def test_a_label_numbered_otherwise_than_the_instrument_is_refused_saying_so() -> None:
    data = pd.DataFrame({"toy_5": ["0 = Never", "4 = Always"], "toy_6": ["1 = Rarely", "2 = Sometimes"]})
    with pytest.raises(ResponseValidationError) as info:
        score(data, TOY)
    assert info.value.lines()[0] == (
        "row 2, column toy_5: '0 = Never' is not a number nor a response label of this item (labels: "
        "Never, Rarely, Sometimes, Often, Always) - the label's number, 0, is not the instrument's code "
        "for it (1): the file numbers the answers otherwise; recode them")
    assert len(info.value.failure_cases) == 4


def test_spss_value_labels_written_with_other_numbers_are_a_mismatch(tmp_path: Path) -> None:
    import pyreadstat

    labels = {0.0: "0 = Never", 1.0: "1 = Rarely", 2.0: "2 = Sometimes", 3.0: "3 = Often", 4.0: "4 = Always"}
    f = tmp_path / "d.sav"
    frame = pd.DataFrame({"toy_5": [0.0, 4.0, np.nan], "toy_6": [1.0, 2.0, 3.0]})
    pyreadstat.write_sav(frame, str(f), variable_value_labels={"toy_5": labels, "toy_6": labels})
    with pytest.raises(ResponseValidationError) as info:
        score(read_responses(f), TOY)
    assert set(info.value.failure_cases["reason"]) == {"label_code_mismatch"}
    assert "(0 = '0 = Never' in the file, 1 in the instrument; " in info.value.lines()[0]
