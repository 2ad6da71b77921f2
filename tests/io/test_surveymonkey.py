"""SurveyMonkey's two-row header is refused with one line that says what to do."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from testkit import CORPUS

from compassion_scales.errors import InputFileError
from compassion_scales.io import check_surveymonkey_header, read_head, read_responses

sys.path.insert(0, str(CORPUS))

import make_corpus  # noqa: E402

ROWS = [[1, 2, 3, 4, 5], [5, 5, 5, 5, 5]]


def expected(path: Path) -> str:
    return (f"{path}: row 2: this looks like a SurveyMonkey export, whose header takes two rows "
            "(row 1 the questions, blank above a matrix or multiple-choice question's later columns; "
            "row 2 'Response', 'Open-Ended Response' or the option texts), but a responses file has "
            "one header row. Make one: name every column in row 1 (each item column after its item, "
            "e.g. fcs_self_1, or so that --map or --pattern can match it) and delete row 2; or export "
            "the responses as SPSS (.sav), which names every column.")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_two_row_header_is_one_line_naming_row_2(tmp_path: Path, suffix: str) -> None:
    f = tmp_path / f"export{suffix}"
    if suffix == ".csv":
        f.write_bytes(make_corpus.surveymonkey_csv(ROWS))
    else:
        make_corpus.surveymonkey_xlsx(ROWS)(f)
    with pytest.raises(InputFileError) as err:
        read_responses(f)
    assert str(err.value) == expected(f)
    if suffix == ".csv":  # the streaming path reads the head with the same reader
        with pytest.raises(InputFileError) as err:
            read_head(f)
        assert str(err.value) == expected(f)


def test_one_header_row_is_read() -> None:
    # the header made into one row (row 2 deleted, columns named): respondents are data
    header = [*make_corpus.SURVEYMONKEY_META, "age", *make_corpus.TOY_ITEMS]
    check_surveymonkey_header([header, ["11410000000", "431245678", "03/01/2024 10:00:12 AM"]], "x.csv")
    check_surveymonkey_header([header], "x.csv")
    check_surveymonkey_header([["pid", "Collector ID"], ["", "1"]], "x.csv")


def test_fixed_export_scores(tmp_path: Path) -> None:
    rows = make_corpus.surveymonkey_rows(ROWS)
    rows[0] = [*make_corpus.SURVEYMONKEY_META, "age", *make_corpus.TOY_ITEMS]
    del rows[1]
    f = tmp_path / "fixed.csv"
    f.write_bytes(make_corpus.csv_bytes(rows, crlf=True))
    data = read_responses(f)
    assert data["Respondent ID"].tolist() == ["11410000000", "11410000001"]
    assert data.attrs["first_row"] == 2
