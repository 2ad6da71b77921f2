"""Hand-computed scoring cases (reverse keys, fillers, prorating, labels, recoding)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from testkit import DATA

import compassion_scales as cs
from compassion_scales.errors import ResponseValidationError, ScoringError
from compassion_scales.instrument import load_instrument
from compassion_scales.scoring import check_examples, item_scores, score

TOY = str(DATA / "toy_scale.yaml")


def toy_frame(rows: list[dict]) -> pd.DataFrame:
    cols = [f"toy_{i}" for i in range(1, 9)]
    return pd.DataFrame([{c: r.get(c, np.nan) for c in cols} | {k: v for k, v in r.items() if not k.startswith("toy_")}
                         for r in rows])


def test_toy_examples_pass() -> None:
    assert check_examples(TOY) == []


def test_reverse_filler_and_sum() -> None:
    df = toy_frame([{"pid": "a", "toy_1": 5, "toy_2": 1, "toy_3": 4, "toy_4": 5,
                     "toy_5": 2, "toy_6": 3, "toy_7": 3, "toy_8": 3}])
    res = score(df, TOY, id_cols="pid")
    row = res.scores.iloc[0]
    # toy_2 reversed: 1 + 5 - 1 = 5; filler toy_4 ignored
    assert row["toy_a"] == 5 + 5 + 4
    assert row["toy_a_raw"] == 5 + 1 + 4
    assert row["toy_b"] == 2.5
    # recoded: toy_7 3 -> 100; toy_8 3 -> 100 reversed on 0..100 -> 0
    assert row["toy_c"] == 50
    # mean_of_scores averages the component scores as computed (keyed): (14 + 2.5) / 2
    assert row["toy_total"] == pytest.approx((14 + 2.5) / 2)


def test_prorating_and_minimum_answered() -> None:
    df = toy_frame([
        {"toy_1": 4, "toy_2": 2, "toy_5": 1, "toy_6": 1, "toy_7": 1},   # toy_3 missing -> prorate
        {"toy_1": 4, "toy_5": 1, "toy_6": np.nan, "toy_8": 1},           # only 1 of 3 -> missing
        {},                                                              # nothing answered
    ])
    res = score(df, TOY)
    a = res.scores["toy_a"]
    assert a.iloc[0] == pytest.approx((4 + 4) / 2 * 3)   # (4 + (6-2)) mean 4 x 3 items
    assert np.isnan(a.iloc[1])
    assert np.isnan(a.iloc[2])
    assert np.isnan(res.scores["toy_b"].iloc[1])        # mean needs both items by default
    assert res.scores["toy_c"].iloc[1] == 100            # reversed 0 -> 100, one item allowed
    assert list(res.status["toy_a"]) == ["prorated", "too_few_answered", "no_answers"]
    assert list(res.answered["toy_a"]) == [2, 1, 0]
    assert np.isnan(res.scores["toy_total"].iloc[1])  # a component is missing
    ledger = res.ledger
    assert len(ledger) == 3 * 5
    first = ledger[(ledger.row == 2) & (ledger.score == "toy_a")].iloc[0]  # file row: header = 1
    assert first["status"] == "prorated" and first["n_answered"] == 2 and first["n_items"] == 3
    assert "prorated" in first["rule"]


def test_all_missing_is_missing_never_zero() -> None:
    df = pd.DataFrame({f"fcs_self_{i}": [np.nan, np.nan] for i in range(1, 16)})
    res = score(df, "fcs", prorate=0.5)
    assert res.scores["fcs_self"].isna().all()


def test_labels_synonyms_and_missing_codes() -> None:
    df = toy_frame([{"toy_1": " ALWAYS ", "toy_2": "almost   never", "toy_3": "-99",
                     "toy_5": "N/A", "toy_6": "3", "toy_7": "high", "toy_8": "Low"}]).astype(object)
    res = score(df, TOY)
    row = res.scores.iloc[0]
    assert row["toy_a"] == pytest.approx((5 + 5) / 2 * 3)
    assert np.isnan(row["toy_b"])
    assert row["toy_c"] == 100


def test_invalid_cells_are_all_listed() -> None:
    df = toy_frame([{"toy_1": 7}, {"toy_2": "often-ish"}, {"toy_3": 2.5}, {"toy_5": "x"}]).astype(object)
    with pytest.raises(ResponseValidationError) as info:
        score(df, TOY)
    fc = info.value.failure_cases
    assert list(fc["row"]) == [2, 3, 4, 5]
    assert list(fc["reason"]) == ["out_of_range", "unknown_label", "not_a_whole_number", "unknown_label"]
    assert list(fc["column"]) == ["toy_1", "toy_2", "toy_3", "toy_5"]
    assert info.value.lines()[0] == "row 2, column toy_1: 7 is outside the response range 1-5"


def test_on_invalid_missing_reports() -> None:
    df = toy_frame([{"toy_1": 7, "toy_2": 1, "toy_3": 1}])
    res = score(df, TOY, on_invalid="missing")
    assert len(res.invalid) == 1
    assert res.invalid.iloc[0]["reason"] == "out_of_range"
    assert res.scores["toy_a"].iloc[0] == pytest.approx((5 + 1) / 2 * 3)


def test_duplicate_and_missing_ids() -> None:
    df = toy_frame([{"pid": "a"}, {"pid": "a"}, {"pid": None}])
    with pytest.raises(ResponseValidationError) as info:
        score(df, TOY, id_cols=["pid"])
    reasons = set(info.value.failure_cases["reason"])
    assert reasons == {"duplicate_id", "missing_id"}
    assert "already used in row 2" in " ".join(info.value.failure_cases["message"])


def test_unknown_item_like_column_is_an_error() -> None:
    df = pd.DataFrame({**{f"fcs_self_{i}": [1] for i in range(1, 16)}, "fcs_self_16": [2]})
    with pytest.raises(ResponseValidationError) as info:
        score(df, "fcs")
    assert info.value.failure_cases.iloc[0]["reason"] == "unknown_column"


def test_partial_scale_columns_are_an_error_whole_missing_scale_is_skipped() -> None:
    df = pd.DataFrame({f"fcs_self_{i}": [1] for i in range(1, 15)})
    with pytest.raises(ResponseValidationError) as info:
        score(df, "fcs")
    assert list(info.value.failure_cases["item"]) == ["fcs_self_15"]
    full = pd.DataFrame({f"fcs_self_{i}": [1] for i in range(1, 16)})
    res = score(full, "fcs")
    assert list(res.score_columns) == ["fcs_self"]
    assert set(res.not_scored) == {"fcs:fcs_others", "fcs:fcs_from_others"}


def test_column_map_and_patterns() -> None:
    df = pd.DataFrame({f"Q12_{i}": [2] for i in range(1, 16)})
    res = score(df, "fcs", patterns=["for_self=Q12_{n}"])
    assert res.scores["fcs_self"].iloc[0] == 30
    res2 = score(df, "fcs", column_map={f"Q12_{i}": f"fcs_self_{i}" for i in range(1, 16)})
    assert res2.scores["fcs_self"].iloc[0] == 30
    with pytest.raises(ScoringError, match="ambiguous"):
        score(df, "fcs", patterns=["Q12_{n}"])


def test_case_insensitive_column_names() -> None:
    df = pd.DataFrame({f"FCS_SELF_{i}": [1] for i in range(1, 16)})
    assert score(df, "fcs").scores["fcs_self"].iloc[0] == 15


def test_column_names_with_surrounding_spaces_match_their_items() -> None:
    """``pd.read_csv`` keeps the space after each comma of a header typed as "pid, fcs_self_1,
    ..."; the file reader strips it, and the library now matches such names too."""
    df = pd.DataFrame({" pid": ["a"], **{f" fcs_self_{i} ": [1] for i in range(1, 16)}})
    res = score(df, "fcs", id=" pid")
    assert res.scores["fcs_self"].iloc[0] == 15
    assert list(res.scores.columns) == [" pid", "fcs_self"]
    assert [i.id for i in score(df).instruments] == ["fcs"]
    twins = df.assign(fcs_self_1=[2])
    with pytest.raises(ResponseValidationError, match="ambiguous_column") as err:
        score(twins, "fcs")
    assert "differ only in case or surrounding spaces" in err.value.failure_cases["message"].iloc[0]


def test_multiindex_columns_are_refused_in_words() -> None:
    df = pd.DataFrame({("block_a", f"fcs_self_{i}"): [1] for i in range(1, 16)})
    with pytest.raises(ScoringError, match=r"2 levels \(a pandas MultiIndex.*Flatten them"):
        score(df, "fcs")
    df.columns = [c[-1] for c in df.columns]
    assert score(df, "fcs").scores["fcs_self"].iloc[0] == 15


def test_detection_without_instrument() -> None:
    df = pd.DataFrame({"pid": [1], **{f"fcs_self_{i}": [1] for i in range(1, 16)}, "age": [30]})
    res = score(df)
    assert [i.id for i in res.instruments] == ["fcs"]
    assert list(res.scores.columns) == ["pid", "age", "fcs_self"]
    with pytest.raises(ScoringError, match="no instrument"):
        score(pd.DataFrame({"a": [1]}))


def test_rows_order_index_and_ids_preserved() -> None:
    df = pd.DataFrame({"pid": ["z", "y", "x"], **{f"fcs_self_{i}": [0, 1, 2] for i in range(1, 16)}},
                      index=[10, 5, 7])
    res = score(df, "fcs", id_cols="pid")
    assert list(res.scores.index) == [10, 5, 7]
    assert list(res.scores["pid"]) == ["z", "y", "x"]
    assert list(res.scores["fcs_self"]) == [0, 15, 30]


def test_item_scores_keyed() -> None:
    df = toy_frame([{"toy_1": 5, "toy_2": 1, "toy_3": 4}])
    keyed = item_scores(df, TOY, "toy_a")
    raw = item_scores(df, TOY, "toy_a", keyed=False)
    assert list(keyed.iloc[0]) == [5, 5, 4]
    assert list(raw.iloc[0]) == [5, 1, 4]
    assert list(item_scores(df, TOY).columns) == ["toy_1", "toy_2", "toy_3", "toy_5", "toy_6", "toy_7", "toy_8"]


def test_existing_score_column_clash() -> None:
    df = pd.DataFrame({"fcs_self": [1], **{f"fcs_self_{i}": [1] for i in range(1, 16)}})
    with pytest.raises(ScoringError, match="already have column"):
        score(df, "fcs")


def test_public_api_exports() -> None:
    assert cs.score is score
    assert callable(cs.load_instrument)
    assert "score" in dir(cs)


def test_unverified_key_warns() -> None:
    from compassion_scales.errors import UnverifiedKeyWarning

    df = pd.DataFrame({f"socs_s_{i}": [3] for i in range(1, 21)})
    with pytest.warns(UnverifiedKeyWarning, match="socs_s_total use a key that the instrument file marks"):
        res = score(df, "socs_s")
    assert res.scores["socs_s_total"].iloc[0] == 60


@pytest.mark.parametrize("copy_on_write", [True, False])
def test_other_columns_are_the_results_own(monkeypatch: pytest.MonkeyPatch, copy_on_write: bool) -> None:
    """Columns that are not items come out as they went in, and changing them in the result
    never changes the data (nor the other way round), whether pandas shares them until a
    change (copy-on-write) or they are copied."""
    from compassion_scales import scoring as scoring_module

    monkeypatch.setattr(scoring_module, "_copy_on_write", lambda: copy_on_write)
    inst = load_instrument("scs_sf")
    rng = np.random.default_rng(0)
    data = pd.DataFrame(rng.integers(1, 6, (20, 12)).astype(float), columns=inst.item_ids)
    data.insert(0, "pid", np.arange(20))
    data.insert(5, "age", rng.normal(40, 9, 20))
    data["site"] = pd.array(["a", "b"] * 10, dtype="string")
    before = data.copy()
    r = score(data, inst, id="pid")
    assert list(r.scores.columns) == ["pid", "age", "site", "scs_sf_total"]
    pd.testing.assert_frame_equal(r.scores[["pid", "age", "site"]], before[["pid", "age", "site"]])
    r.scores.loc[0, "age"] = -1.0
    r.scores.loc[1, "site"] = "z"
    pd.testing.assert_frame_equal(data, before)
    data.loc[2, "age"] = -2.0
    assert r.scores.loc[2, "age"] == before.loc[2, "age"]


def test_kept_columns_keep_their_order() -> None:
    """Kept columns come out in the data's order; with ``keep="ids"`` the identifiers come
    out in the order asked for (as before the kept columns were shared with the input)."""
    inst = load_instrument("scs_sf")
    data = pd.DataFrame(np.full((4, 12), 3.0), columns=inst.item_ids)
    data.insert(0, "pid", ["a", "a", "b", "b"])
    data.insert(1, "time", [1, 2, 1, 2])
    data["site"] = ["x", "y", "x", "y"]
    r = score(data, inst, id=["time", "pid"])
    assert list(r.scores.columns) == ["pid", "time", "site", "scs_sf_total"]
    r = score(data, inst, id=["time", "pid"], keep="ids")
    assert list(r.scores.columns) == ["time", "pid", "scs_sf_total"]


@pytest.mark.parametrize("verb", ["prepare_responses", "reliability", "screen", "efa"])
def test_an_item_column_named_twice_is_refused_in_words(verb: str) -> None:
    # before: AttributeError: 'DataFrame' object has no attribute 'dtype' (data[name] is a table)
    rng = np.random.default_rng(3)
    items = load_instrument("fcs").item_ids
    df = pd.DataFrame(rng.integers(0, 5, size=(40, len(items))), columns=items)
    twice = pd.concat([df, df[["fcs_oth_1"]]], axis=1)
    call = {"prepare_responses": lambda: cs.prepare_responses(twice, "fcs"),
            "reliability": lambda: cs.reliability(twice, "fcs", n_boot=0),
            "screen": lambda: cs.screen(twice, "fcs"),
            "efa": lambda: cs.efa(twice, "fcs", n_factors=3)}[verb]
    with pytest.raises(ScoringError) as err:
        call()
    assert str(err.value) == "data: column name(s) fcs_oth_1 appear more than once; keep one column per item."


def test_instrument_file_indented_with_a_tab_says_so(tmp_path) -> None:
    # before: "found character that cannot start any token", without saying it was a tab
    from compassion_scales.errors import InstrumentError

    text = (DATA / "toy_scale.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    n = next(i for i, line in enumerate(lines) if line.startswith("  "))
    lines[n] = "\t" + lines[n][2:]
    bad = tmp_path / "tab.yaml"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InstrumentError) as err:
        load_instrument(bad)
    assert str(err.value).endswith(f"(line {n + 1} is indented with a tab: YAML indents with spaces only)")
