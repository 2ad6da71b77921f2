"""REDCap exports with repeating instruments: identifiers of several columns may be partly empty.

A record's base row (its non-repeating forms) has empty ``redcap_repeat_instrument`` and
``redcap_repeat_instance``; its repeating rows have them filled. Scored with ``--id record_id
--id redcap_repeat_instance``, a row is identified by its filled parts plus "empty" in the
others, the same on every path that checks identifiers: in memory, streamed, with Dask, and in
the long-data analyses' input layer. A row whose parts are all empty, and an empty
single-column identifier, are still errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from testkit import CORPUS, ROOT

from compassion_scales._inputs import check_unique_ids, require_one_row_per_person
from compassion_scales.errors import AnalysisError, ResponseValidationError, repeat_hint
from compassion_scales.io import read_responses
from compassion_scales.scoring import score
from compassion_scales.streaming import score_stream

sys.path.insert(0, str(CORPUS))

import make_corpus  # noqa: E402

TOY = str(ROOT / "tests" / "data" / "toy_scale.yaml")
IDS = ["record_id", "redcap_repeat_instance"]
REPEAT_IDS = ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
#: the toy scores of REDCAP_REPEATS (base rows have no answers)
TOY_A = [None, 8.0, 11.0, None, 10.5]


def _raw(tmp_path: Path, records=None, name: str = "raw.csv") -> Path:
    f = tmp_path / name
    f.write_bytes(make_corpus.redcap_repeating_raw(records or make_corpus.REDCAP_REPEATS))
    return f


def _values(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series]


@pytest.mark.parametrize("ids", [IDS, REPEAT_IDS])
def test_partly_empty_identifier_scores_in_memory(tmp_path: Path, ids: list[str]) -> None:
    data = read_responses(_raw(tmp_path))
    res = score(data, TOY, id=ids)
    out = res.scores
    assert _values(out["toy_a"]) == TOY_A
    # the id cells come out as they went in: the base rows' empty cells stay empty
    assert _values(out["record_id"]) == ["1", "1", "1", "2", "2"]
    assert _values(out["redcap_repeat_instance"]) == [None, "1", "2", None, "1"]
    assert _values(out["redcap_repeat_instrument"]) == [None, "toy_survey", "toy_survey", None, "toy_survey"]


def test_label_export_with_dictionary(tmp_path: Path) -> None:
    f, d = tmp_path / "labels.csv", tmp_path / "dict.csv"
    f.write_bytes(make_corpus.redcap_repeating_labels())
    d.write_bytes(make_corpus.redcap_dictionary())
    out = score(read_responses(f, dictionary=d), TOY, id=REPEAT_IDS).scores
    assert _values(out["toy_a"]) == TOY_A
    assert _values(out["redcap_repeat_instrument"]) == [None, "Toy Survey", "Toy Survey", None, "Toy Survey"]
    assert _values(out["redcap_repeat_instance"]) == [None, "1", "2", None, "1"]


def test_two_base_rows_of_one_record_are_duplicates(tmp_path: Path) -> None:
    # the same record_id and both instances empty: empty counts as a value, so they repeat
    records = [*make_corpus.REDCAP_REPEATS, ("1", None, None, None)]
    with pytest.raises(ResponseValidationError) as err:
        score(read_responses(_raw(tmp_path, records)), TOY, id=IDS)
    cases = err.value.failure_cases
    assert cases["message"].tolist() == [
        "row 7, column record_id, redcap_repeat_instance: identifier 1 / (empty) already used in row 2"]
    assert cases["reason"].tolist() == ["duplicate_id"]


def test_all_parts_empty_and_single_empty_identifier_stay_errors(tmp_path: Path) -> None:
    records = [*make_corpus.REDCAP_REPEATS, ("", None, None, [3, 3, 3, 3, 3])]
    data = read_responses(_raw(tmp_path, records))
    with pytest.raises(ResponseValidationError) as err:
        score(data, TOY, id=IDS)
    assert err.value.failure_cases["message"].tolist() == ["row 7, column record_id: the identifier is empty"]
    with pytest.raises(ResponseValidationError) as err:
        score(data, TOY, id="redcap_repeat_instance")
    assert err.value.failure_cases["message"].tolist()[:2] == [
        "row 2, column redcap_repeat_instance: the identifier is empty",
        "row 5, column redcap_repeat_instance: the identifier is empty"]


def test_record_id_alone_suggests_the_repeat_columns(tmp_path: Path) -> None:
    with pytest.raises(ResponseValidationError) as err:
        score(read_responses(_raw(tmp_path)), TOY, id="record_id")
    assert str(err.value) == (
        "3 problems in the data (3 duplicate_id). A REDCap export with repeating instruments or "
        "events: name the columns that tell a record's rows apart as further identifiers (--id "
        "record_id --id redcap_repeat_instrument --id redcap_repeat_instance); a base row has "
        "them empty, which is allowed.")


def test_repeat_hint() -> None:
    cols = ["record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]
    assert "(--id record_id --id redcap_event_name --id redcap_repeat_instrument --id " \
           "redcap_repeat_instance)" in repeat_hint(["record_id"], cols)
    # the event column already given: only the repeat columns are added
    assert "(--id record_id --id redcap_event_name --id redcap_repeat_instrument --id " \
           "redcap_repeat_instance)" in repeat_hint(["record_id", "redcap_event_name"], cols)
    # a longitudinal export without repeats keeps the event hint; long data without REDCap none
    assert "--id record_id --id redcap_event_name" in repeat_hint(["record_id"], cols[:2])
    assert repeat_hint(["pid", "time"], ["pid", "time"]) == ""
    assert "(--id Record ID --id Repeat Instrument --id Repeat Instance)" in repeat_hint(
        ["Record ID"], ["Record ID", "Repeat Instrument", "Repeat Instance"])


def test_stream_partly_empty_identifier(tmp_path: Path) -> None:
    # many records: several CSV batches, with repeats of a partly empty id across batches
    records = [(str(r), form, inst, ans) for r in range(1, 400)
               for form, inst, ans in ((None, None, None), ("toy_survey", 1, [1, 2, 3, 4, 5]))]
    src = _raw(tmp_path, records)
    out = tmp_path / "out.csv"
    res = score_stream(src, TOY, id=IDS, output=out, block_size=1 << 12)
    assert res.summary_table is not None
    mem = score(read_responses(src), TOY, id=IDS).scores
    streamed = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert streamed["redcap_repeat_instance"].tolist() == ["", "1"] * 399
    assert streamed["toy_a"].tolist() == ["" if pd.isna(v) else f"{v:g}" for v in mem["toy_a"]]
    bad = _raw(tmp_path, [*records, ("3", None, None, None)], name="bad.csv")
    with pytest.raises(ResponseValidationError) as err:
        score_stream(bad, TOY, id=IDS, output=tmp_path / "o2.csv", block_size=1 << 12)
    assert err.value.failure_cases["message"].tolist() == [
        "row 800, column record_id, redcap_repeat_instance: identifier 3 / (empty) already used in row 6"]
    assert not (tmp_path / "o2.csv").exists()


def test_input_layer_checks_follow_the_same_rule() -> None:
    data = pd.DataFrame({"record_id": ["1", "1", "2"], "redcap_repeat_instance": [None, "1", " "]})
    check_unique_ids(data, IDS)  # partly empty (blank counts as empty) is an identifier
    require_one_row_per_person(data, IDS)
    twice = pd.concat([data, data.iloc[[0]]], ignore_index=True)
    with pytest.raises(AnalysisError, match=r"^row 5, column record_id, redcap_repeat_instance: "
                                            r"identifier 1 / \(empty\) already used in row 2\n"):
        check_unique_ids(twice, IDS)
    with pytest.raises(AnalysisError, match="1 person has more than one row"):
        require_one_row_per_person(twice, IDS)
    with pytest.raises(AnalysisError, match="row 4, column record_id, redcap_repeat_instance: the "
                                            "identifier is empty"):
        check_unique_ids(data.assign(record_id=["1", "1", None]), IDS)
