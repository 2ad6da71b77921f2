"""The shared input layer (issue #10): one way to read, match, validate and pair answers.

Every test here failed (crash, wrong numbers, silent loss or an unclear message) before
``compassion_scales._inputs`` existed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from testkit import DATA, ROOT

import compassion_scales as cs
from compassion_scales._inputs import as_key, item_set, pair_people
from compassion_scales.cli import main
from compassion_scales.errors import (
    AnalysisError,
    InstrumentError,
    ScoringError,
    SkippedScoreWarning,
)
from compassion_scales.instrument import read_definition_file

EXAMPLE = ROOT / "examples" / "responses.csv"


def run(args: list[str]):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE, dtype={"pid": str})


@pytest.fixture(scope="module")
def self_only(tmp_path_factory, example) -> Path:
    """Only the 15-item FCS self scale (plus ids, group, time), one row per person and time."""
    cols = ["pid", "group", "time"] + [f"fcs_self_{i}" for i in range(1, 16)]
    path = tmp_path_factory.mktemp("partial") / "fcs_self_only.csv"
    example[cols].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def self_only_t1(tmp_path_factory, example) -> Path:
    cols = ["pid", "group"] + [f"fcs_self_{i}" for i in range(1, 16)]
    path = tmp_path_factory.mktemp("partial1") / "fcs_self_t1.csv"
    example.loc[example["time"] == 1, cols].to_csv(path, index=False)
    return path


# ------------------------------------------------------------------ partial instruments

PARTIAL_COMMANDS = {
    "reliability": ["reliability", "{f}", "-i", "fcs", "--n-boot", "0", "--format", "csv"],
    "efa": ["factors", "efa", "{f}", "-i", "fcs", "-n", "1", "--format", "csv"],
    "cfa": ["factors", "cfa", "{f}", "-i", "fcs", "--table", "loadings", "--format", "csv"],
    "compare": ["compare", "{f}", "-i", "fcs", "--group", "group", "--format", "csv"],
    "change": ["change", "{f}", "-i", "fcs", "--id", "pid", "--time", "time", "--from", "1",
               "--to", "2", "--format", "csv"],
    "trial": ["trial", "{f}", "-i", "fcs", "--arm", "group", "--time", "time", "--baseline-time",
              "1", "--follow-up-time", "2", "--id", "pid", "--format", "csv"],
    "retest": ["retest", "{f}", "-i", "fcs", "--id", "pid", "--time", "time", "--format", "csv"],
}


@pytest.mark.parametrize("command", list(PARTIAL_COMMANDS))
def test_partial_instrument_works_everywhere(command, self_only):
    args = [str(self_only) if a == "{f}" else a for a in PARTIAL_COMMANDS[command]]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "fcs_self" in res.stdout
    assert "fcs_others" not in res.stdout
    assert "skipped" in res.stderr and "fcs_others" in res.stderr


def test_partial_instrument_reliability_numbers_equal_full(example, self_only):
    full = cs.reliability(example, "fcs", n_boot=0, scores=["fcs_self"]).summary
    with pytest.warns(SkippedScoreWarning):
        part = cs.reliability(pd.read_csv(self_only), "fcs", n_boot=0).summary
    assert part["score"].tolist() == ["fcs_self"]
    assert part.loc[0, "alpha"] == pytest.approx(full.loc[0, "alpha"], rel=1e-12)


def test_partial_cfa_model_restricted_to_scores_present(self_only):
    data = pd.read_csv(self_only)
    with pytest.warns(SkippedScoreWarning, match="fcs_others"):
        res = cs.cfa(data, "fcs")
    assert list(res.model.factors) == ["fcs_self"]


def test_score_with_only_some_items_is_an_error(example):
    data = example.drop(columns=["fcs_self_3"])
    with pytest.raises(cs.ResponseValidationError) as err:
        cs.reliability(data, "fcs", n_boot=0)
    assert "fcs_self_3" in err.value.failure_cases["item"].tolist()


def test_explicit_score_without_items_is_an_error(self_only):
    with pytest.raises(AnalysisError, match="none of its items"):
        cs.reliability(pd.read_csv(self_only), "fcs", n_boot=0, scores=["fcs_others"])


def test_no_items_at_all_is_one_clear_error():
    with pytest.raises(AnalysisError, match="None of the items of 'fcs'"):
        item_set(pd.DataFrame({"a": [1, 2, 3]}), "fcs")


def test_validation_runs_once_per_call(monkeypatch, example):
    from compassion_scales import scoring

    calls = []
    real = scoring.prepare_responses

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring, "prepare_responses", counting)
    cs.reliability(example, "fcs", n_boot=0)
    assert len(calls) == 1


# ------------------------------------------------------------------ long data, roles


def test_long_data_without_time_gets_one_message():
    res = run(["flows", EXAMPLE, "-i", "ceas", "--group", "group", "--id", "pid"])
    assert res.exit_code == 1
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    assert "--time" in lines[0] and "150 people" in lines[0]
    assert "Traceback" not in res.output


def test_group_naming_an_item_column_is_a_clear_error():
    res = run(["compare", EXAMPLE, "-i", "fcs", "--group", "fcs_oth_2", "--id", "pid", "--id", "time"])
    assert res.exit_code == 1
    assert res.output == ("Error: The group column 'fcs_oth_2' is an item of the instrument, not a "
                          "group column; name the column that holds the group.\n")


def test_unknown_group_column():
    res = run(["reliability", EXAMPLE, "-i", "fcs", "--n-boot", "0", "--group", "nope"])
    assert res.exit_code == 1
    assert "nope" in res.output and "probably a bug" not in res.output


def test_trial_refuses_same_occasion_twice():
    res = run(["trial", EXAMPLE, "-i", "fcs", "--arm", "group", "--time", "time",
               "--baseline-time", "1", "--follow-up-time", "1.0", "--id", "pid"])
    assert res.exit_code == 1
    assert "Baseline and follow-up are the same time" in res.output


def test_zero_variance_item_is_left_out_with_a_warning_as_psych_does(tmp_path, example):
    data = example.copy()
    data["fcs_oth_3"] = 2
    f = tmp_path / "flat.csv"
    data.to_csv(f, index=False)
    res = run(["reliability", f, "-i", "fcs", "--n-boot", "0", "--score", "fcs_others", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "fcs_oth_3: the same answer from everyone who answered (no variance); left out" in res.output
    assert "LinAlgError" not in res.output and "probably a bug" not in res.output


# ------------------------------------------------------------------ occasions and ids


def test_as_key_rules():
    assert as_key(pd.Series([1, 2.0, np.nan])).tolist()[:2] == ["1", "2"]
    assert as_key(pd.Series(["1", " 2 ", "1.0", "007", "a"])).tolist() == ["1", "2", "1", "007", "a"]
    assert as_key(pd.Series(["12345678901234567890"])).tolist() == ["12345678901234567890"]
    assert as_key(pd.Series(["2.50", "+1"])).tolist() == ["2.5", "+1"]


def test_pair_people_is_by_text():
    pre = pd.DataFrame({"id": [1, 2, 3]})
    post = pd.DataFrame({"id": ["a7", "2", "3.0"]})
    ia, ib, only_a, only_b = pair_people(pre, post, "id")
    assert ia.tolist() == [1, 2] and ib.tolist() == [1, 2]
    assert only_a == ["1"] and only_b == ["a7"]
    # '001' is not 1 either; ids that differ only so are refused, not left unpaired
    with pytest.raises(AnalysisError, match=r"1 id value differs between the two occasions only by "
                                            r"leading zeros \(e.g. '1' before and '001' after\)"):
        pair_people(pre, pd.DataFrame({"id": ["001", "2", "3.0"]}), "id")


def test_change_long_and_two_files_give_the_same_people(tmp_path, example):
    long = cs.change(example, None, "fcs", id="pid", time="time", pre_time=1, post_time="2",
                     scores=["fcs_others"], higher_is="worse", from_sample=True)
    a = example[example["time"] == 1]
    b = example[example["time"] == 2]
    two = cs.change(a, b, "fcs", id="pid", scores=["fcs_others"], higher_is="worse",
                    from_sample=True)
    assert long.persons["pid"].tolist() == two.persons["pid"].tolist()
    assert np.allclose(long.persons["rci"], two.persons["rci"], equal_nan=True)


# ------------------------------------------------------------------ shared options


def test_every_item_command_takes_the_shared_options():
    from compassion_scales.cli import COMMANDS

    shared = {"--map", "--pattern", "--on-invalid", "--prorate", "--value-labels", "--sheet",
              "--encoding", "--delimiter"}
    runner = CliRunner()
    for name in ("score", "reliability", "retest", "flows", "compare", "change", "trial", "track"):
        out = runner.invoke(main, [name, "--help"]).output
        missing = [o for o in shared if o not in out]
        assert not missing, (name, missing)
    for sub in ("efa", "cfa", "invariance"):
        out = runner.invoke(main, ["factors", sub, "--help"]).output
        missing = [o for o in shared if o not in out]
        assert not missing, (sub, missing)
    assert "score" in COMMANDS


def test_pattern_zero_padded_and_offset(example):
    cols = {f"fcs_self_{i}": f"Q12_{i:02d}" for i in range(1, 16)}
    padded = example[["pid", "time", *cols]].rename(columns=cols)
    ref = cs.score(example, "fcs", id_cols=["pid", "time"]).scores["fcs_self"]
    got = cs.score(padded, "fcs", id_cols=["pid", "time"], patterns=["fcs_self=Q12_{n:02d}"])
    pd.testing.assert_series_equal(got.scores["fcs_self"], ref)
    cols = {f"fcs_self_{i}": f"Q{i + 23}" for i in range(1, 16)}
    shifted = example[["pid", "time", *cols]].rename(columns=cols)
    got = cs.score(shifted, "fcs", id_cols=["pid", "time"], patterns=["for_self=Q{n+23}"])
    pd.testing.assert_series_equal(got.scores["fcs_self"], ref)


def test_pattern_with_unknown_section_is_an_error(example):
    with pytest.raises(ScoringError, match="no section or score 'for_me'"):
        cs.score(example, "fcs", patterns=["for_me=Q12_{n}"])


def test_map_two_columns_to_one_item_is_an_error(example):
    with pytest.raises(ScoringError, match="both mapped to item 'fcs_self_1'"):
        cs.score(example, "fcs", column_map={"fcs_oth_1": "fcs_self_1", "fcs_oth_2": "fcs_self_1"})


def test_map_to_unknown_item_is_an_error(example):
    with pytest.raises(ScoringError, match="not an item of fcs"):
        cs.score(example, "fcs", column_map={"fcs_oth_1": "fcs_self_99"})


def test_analysis_takes_map_and_pattern(example):
    cols = {f"fcs_self_{i}": f"S{i}" for i in range(1, 16)}
    renamed = example[["pid", "time", *cols]].rename(columns=cols)
    a = cs.reliability(renamed, "fcs", n_boot=0, patterns=["for_self=S{n}"]).summary
    b = cs.reliability(example, "fcs", n_boot=0, scores=["fcs_self"]).summary
    assert a.loc[0, "alpha"] == pytest.approx(b.loc[0, "alpha"], rel=1e-12)


def test_on_invalid_missing_reaches_analyses(example):
    bad = example.copy()
    bad["fcs_self_1"] = bad["fcs_self_1"].astype(object)
    bad.loc[0, "fcs_self_1"] = 9
    with pytest.raises(cs.ResponseValidationError):
        cs.reliability(bad, "fcs", n_boot=0)
    res = cs.reliability(bad, "fcs", n_boot=0, on_invalid="missing")
    assert "fcs_self" in res.summary["score"].tolist()


# ------------------------------------------------------------------ the score summary


def test_score_summary_says_how_many_missing_and_why():
    res = run(["score", EXAMPLE, "-i", "fcs", "--id", "pid", "--id", "time", "--format", "csv"])
    assert res.exit_code == 0
    assert ("Missing: fcs_self: 78 of 300 missing (78 answered fewer items than the rule requires "
            "(all 15 items required)); see --ledger for each row, or --prorate P to score people "
            "who skipped items.") in res.stderr


# ------------------------------------------------------------------ crashes -> messages


def test_numpy_array_gives_a_clear_error():
    with pytest.raises(ScoringError, match="must be a pandas DataFrame"):
        cs.score(np.zeros((3, 15)), "fcs")


def test_yaml_aliases_are_refused(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb.write_text("\n".join(lines) + "\n")
    with pytest.raises(InstrumentError, match="anchors and aliases"):
        cs.load_instrument(bomb)
    res = run(["score", EXAMPLE, "--instrument-file", bomb])
    assert res.exit_code == 1 and "anchors and aliases" in res.output


def test_a_key_given_twice_in_a_definition_file_is_refused(tmp_path):
    """YAML and JSON loaders keep the last of two equal keys without a word: a second
    ``scores:`` block or ``reverse: true, reverse: false`` silently replaced the first."""
    src = (DATA / "toy_scale.yaml").read_text()
    twice = tmp_path / "twice.yaml"
    twice.write_text(src.replace("  - {id: toy_2, number: 2, reverse: true,",
                                 "  - {id: toy_2, number: 2, reverse: true, reverse: false,"))
    with pytest.raises(InstrumentError, match=r"line \d+: the key 'reverse' appears twice"):
        cs.load_instrument(twice)
    nested = tmp_path / "nested.yaml"  # the same key in two different mappings is fine
    nested.write_text("a: {id: 1}\nb: {id: 2}\nc: [{id: 3}, {id: 4}]\n")
    assert read_definition_file(nested)[0] == {"a": {"id": 1}, "b": {"id": 2}, "c": [{"id": 3}, {"id": 4}]}
    top = tmp_path / "top.yaml"
    top.write_text(src + "id: other\n")
    res = run(["instruments", "validate", top])
    assert res.exit_code == 1 and "the key 'id' appears twice" in res.output
    res = run(["score", EXAMPLE, "--instrument-file", top])
    assert res.exit_code == 1 and "the key 'id' appears twice" in res.output
    js = tmp_path / "twice.json"
    js.write_text('{"id": "a", "scores": [], "id": "b"}')
    with pytest.raises(InstrumentError, match="the key 'id' appears twice in the same object"):
        read_definition_file(js)


def test_exclude_flagged_reaches_analyses(tmp_path, example):
    """--exclude-flagged N (issue #14) drops the flagged rows in any analysis and says who."""
    data = example[example["time"] == 1].copy()
    items = [f"fcs_self_{i}" for i in range(1, 16)]
    data.loc[data.index[:6], items] = 4  # straight-liners
    data.loc[data.index[6:12], items] = [0, 4] * 7 + [0]  # alternating
    f = tmp_path / "careless.csv"
    data.to_csv(f, index=False)
    res = run(["reliability", f, "-i", "fcs", "--n-boot", "0", "--score", "fcs_self",
               "--exclude-flagged", "2", "--id", "pid", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "Excluded" in res.stderr and "alternation" in res.stderr
    n_obs = int(res.stdout.splitlines()[1].split(",")[1])
    full = run(["reliability", f, "-i", "fcs", "--n-boot", "0", "--score", "fcs_self",
                "--format", "csv"])
    assert n_obs < int(full.stdout.splitlines()[1].split(",")[1])
    noinst = run(["reliability", f, "--items", ",".join(items), "--exclude-flagged", "1"])
    assert noinst.exit_code == 2 and "needs -i" in noinst.output


def test_read_responses_text_counts_as_numbers_in_library_verbs():
    """read_responses returns text (exact round trips); analyses without an instrument and the
    kernels take text that holds numbers as numbers, and give the same results as pd.read_csv."""
    ref = ROOT / "tests" / "reference" / "data" / "bfi.csv"
    text = cs.read_responses(ref)
    nums = pd.read_csv(ref)
    items = ["A1", "A2", "A3", "A4", "A5"]
    assert not pd.api.types.is_numeric_dtype(text["A1"])
    a = cs.reliability(text, items=items, n_boot=0).summary["alpha"].iloc[0]
    b = cs.reliability(nums, items=items, n_boot=0).summary["alpha"].iloc[0]
    assert a == pytest.approx(b, rel=1e-12)
    assert cs.cronbach_alpha(text[items])["alpha"].iloc[0] == pytest.approx(b, rel=1e-12)
    la = cs.efa(text, n_factors=1, items=items).loadings.to_numpy()
    lb = cs.efa(nums, n_factors=1, items=items).loadings.to_numpy()
    assert np.allclose(la, lb, atol=1e-10)
    with pytest.warns(Warning):
        fa = cs.cfa(text, "f =~ A1 + A2 + A3 + A4 + A5").fit["chisq"]
    with pytest.warns(Warning):
        fb = cs.cfa(nums, "f =~ A1 + A2 + A3 + A4 + A5").fit["chisq"]
    assert fa == pytest.approx(fb, rel=1e-10)
    bad = text.copy()
    bad.loc[3, "A2"] = "x"
    with pytest.raises(AnalysisError, match="row 5, column A2: 'x' is not a number"):
        cs.reliability(bad, items=items, n_boot=0)


def test_score_columns_outside_the_possible_range_are_refused() -> None:
    """A pre-scored total of 999 on fcs_self (0-60) is named, never analysed as a score."""
    import pandas as pd

    from compassion_scales import compare
    from compassion_scales.errors import AnalysisError

    df = pd.DataFrame({"g": ["a", "a", "a", "b", "b", "b"],
                       "fcs_self": [10.0, 20, 999, 30, 40, 50]})
    df.attrs["source"] = "pre.csv"
    with pytest.raises(AnalysisError, match=r"pre.csv: row 4, column fcs_self: 999 is outside the "
                                            r"possible range of fcs_self \(0-60\)"):
        compare(df, "fcs", group="g", scores=["fcs_self"])
    df.loc[2, "fcs_self"] = 60.0  # the top of the range is a valid score
    assert compare(df, "fcs", group="g", scores=["fcs_self"]).tests.loc[0, "n"] == 6


def test_row_numbers_of_a_subset_are_shared_not_copied_by_pandas() -> None:
    """pandas deep-copies attrs into every derived frame and column: the row numbers of a
    subset must not be copied number by number (60 ms per column at 100,000 rows)."""
    import copy

    import numpy as np
    import pandas as pd

    from compassion_scales._inputs import file_row_numbers, subset_rows

    data = pd.DataFrame({"x": np.arange(10.0), "t": [1, 2] * 5})
    data.attrs = {"source": "f.csv", "first_row": 3}
    second = subset_rows(data, data["t"] == 2)
    numbers = second.attrs["row_numbers"]
    assert list(file_row_numbers(second)) == [4, 6, 8, 10, 12]
    assert second["x"].attrs["row_numbers"] is numbers  # shared by the derived column
    assert copy.deepcopy(second.attrs)["row_numbers"] is numbers
    assert numbers == (4, 6, 8, 10, 12)  # still a tuple: pandas compares attrs with ==
    both = pd.concat([second, second])
    assert both.attrs["row_numbers"] == numbers
    assert list(file_row_numbers(subset_rows(second, second["x"] > 5))) == [10, 12]


def _as_key_reference(values: pd.Series) -> pd.Series:
    """as_key's text branch as it was before only decimal-looking cells were parsed."""
    text = values.astype("string").str.strip()
    parsed = pd.to_numeric(text, errors="coerce")
    plain = text.str.fullmatch(r"[+-]?(0|[1-9]\d{0,14})\.\d+").fillna(False)
    conv = plain & parsed.notna()
    if conv.any():
        text = text.copy()
        text[conv] = as_key(parsed[conv].astype("float64")).to_numpy()
    return text.where(text != "", pd.NA)


@settings(max_examples=200)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "1", "1.0", " 2.50 ", "-0.0", "+3.10", "007",
                                                      "007.5", "1e3", "a", "1.5x", "99999999999999999.5"]),
                          st.floats(allow_nan=False, allow_infinity=False).map(repr),
                          st.text(alphabet="0123456789.+- ab", max_size=6)), min_size=1, max_size=12),
       st.booleans())
def test_as_key_parses_only_decimals_as_before(cells: list[str | None], duplicate_index: bool) -> None:
    s = pd.Series(cells, dtype="str", index=[0] * len(cells) if duplicate_index else None)
    pd.testing.assert_series_equal(as_key(s), _as_key_reference(s))
