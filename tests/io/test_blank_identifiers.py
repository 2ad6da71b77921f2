"""An identifier cell holding only spaces is empty, on every path that checks identifiers.

Excel and hand-edited CSV files leave ``" "`` in cells that look empty. Scoring used to take
``" "`` and ``"  "`` as two different people while change/retest called them empty.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import ROOT

from compassion_scales._inputs import check_unique_ids
from compassion_scales.cli import main
from compassion_scales.errors import AnalysisError, ResponseValidationError
from compassion_scales.io import read_responses
from compassion_scales.scoring import score
from compassion_scales.streaming import score_stream

TOY = str(ROOT / "tests" / "data" / "toy_scale.yaml")
EMPTY = ["row 3, column pid: the identifier is empty", "row 4, column pid: the identifier is empty",
         "row 6, column pid: the identifier is empty"]


def _file(tmp_path: Path) -> Path:
    src = tmp_path / "blank.csv"
    lines = ["pid,toy_1,toy_2,toy_3,toy_4", "a1,1,2,3,4", " ,1,2,3,4", "\t ,1,2,3,4", " a1,1,2,3,4",
             ",1,2,3,4"]
    src.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return src


def test_blank_identifier_is_empty_in_memory_and_streamed(tmp_path: Path) -> None:
    src = _file(tmp_path)
    with pytest.raises(ResponseValidationError) as err:
        score(read_responses(src), TOY, id="pid")
    assert err.value.failure_cases["message"].tolist() == EMPTY
    with pytest.raises(ResponseValidationError) as err:
        score_stream(src, TOY, id="pid", output=tmp_path / "out.csv")
    assert err.value.failure_cases["message"].tolist() == EMPTY
    assert not (tmp_path / "out.csv").exists()


def test_input_layer_says_the_same_rows(tmp_path: Path) -> None:
    data = read_responses(_file(tmp_path))
    with pytest.raises(AnalysisError) as err:
        check_unique_ids(data, ["pid"])
    assert [line.split("blank.csv: ")[-1] for line in str(err.value).splitlines()[:3]] == EMPTY


def test_spaces_around_an_identifier_are_kept_and_not_empty(tmp_path: Path) -> None:
    frame = pd.DataFrame({"pid": ["a1", " a1"], "toy_1": [1, 2], "toy_2": [1, 2], "toy_3": [1, 2],
                          "toy_4": [1, 2]})
    assert score(frame, TOY, id="pid").scores["pid"].tolist() == ["a1", " a1"]


def test_cli_blank_identifier_exits_non_zero(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["score", str(_file(tmp_path)), "-i", TOY, "--id", "pid",
                                   "-o", str(tmp_path / "o.csv")])
    assert res.exit_code != 0 and isinstance(res.exception, SystemExit), res.output
    assert "row 3, column pid: the identifier is empty" in res.output
    assert not (tmp_path / "o.csv").exists()
