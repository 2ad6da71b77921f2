"""cs.screen, exclude_flagged, coding_direction and `cscore screen`, with simulated careless respondents.

Simulation helpers live here (tests run with --import-mode=importlib, so a helper module
could not be imported); the recall / false-positive numbers are printed with ``-s``.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import compassion_scales as cs
from compassion_scales import load_instrument
from compassion_scales.analyses.screen import coding_direction, exclude_flagged, screen
from compassion_scales.cli import main
from compassion_scales.errors import AnalysisError, CodingDirectionWarning, InstrumentError
from compassion_scales.scoring import item_scores

# ---------------------------------------------------------------- simulation


def _genuine(rng: np.random.Generator, n: int, groups: list[list[str]], corr: np.ndarray,
             lo: int, hi: int, centre: float, spread: float, loading: float = 0.75) -> pd.DataFrame:
    """Graded answers from correlated factors: y = item mean + spread * (loading f + noise)."""
    g = len(groups)
    F = rng.multivariate_normal(np.zeros(g), corr, size=n)
    cols = {}
    for j, items in enumerate(groups):
        means = rng.uniform(centre - spread * 0.5, centre + spread * 0.5, size=len(items))
        for it, m in zip(items, means, strict=True):
            y = m + spread * (loading * F[:, j] + np.sqrt(1 - loading ** 2) * rng.normal(size=n))
            cols[it] = np.clip(np.round(y), lo, hi)
    return pd.DataFrame(cols)


def _inject(rng: np.random.Generator, df: pd.DataFrame, items: list[str], lo: int, hi: int,
            share: float) -> np.ndarray:
    n = len(df)
    k = len(items)
    careless = np.zeros(n, dtype=bool)
    idx = rng.choice(n, size=int(round(share * n)), replace=False)
    careless[idx] = True
    kinds = np.array(["straight", "random", "alternating"])[np.arange(len(idx)) % 3]
    X = df[items].to_numpy(dtype=float, copy=True)
    for r, kind in zip(idx, kinds, strict=True):
        if kind == "straight":
            X[r] = rng.integers(lo, hi + 1)
        elif kind == "random":
            X[r] = rng.integers(lo, hi + 1, size=k)
        else:
            # swing across at least half the response range: a, b, a, b, ...
            gap = int(np.ceil((hi - lo) / 2))
            a = rng.integers(lo, hi - gap + 1)
            b = rng.integers(a + gap, hi + 1)
            X[r] = np.where(np.arange(k) % 2 == 0, a, b) if rng.random() < 0.5 else \
                np.where(np.arange(k) % 2 == 0, b, a)
    df[items] = X
    return careless


def fcs_sample(seed: int, n: int = 300, share: float = 0.10) -> tuple[pd.DataFrame, np.ndarray]:
    """FCS-shaped data (3 correlated scales, 0-4, floor-heavy) with ``share`` careless rows."""
    rng = np.random.default_rng(seed)
    inst = load_instrument("fcs")
    groups = [list(s.items) for s in inst.scores]
    corr = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
    df = _genuine(rng, n, groups, corr, 0, 4, centre=1.3, spread=1.0)
    items = [i for i in inst.item_ids if i in df.columns]
    df = df[items].copy()
    return df, _inject(rng, df, items, 0, 4, share)


def ceas_sample(seed: int, n: int = 300, share: float = 0.10) -> tuple[pd.DataFrame, np.ndarray]:
    """CEAS-shaped data (6 correlated section scales, 1-10, fillers answered reversed)."""
    rng = np.random.default_rng(seed)
    inst = load_instrument("ceas")
    sections: dict[str, list[str]] = {}
    for it in inst.items:
        sections.setdefault(it.section or "", []).append(it.id)
    groups = list(sections.values())
    g = len(groups)
    corr = np.full((g, g), 0.3)
    for a in range(0, g, 2):
        corr[a:a + 2, a:a + 2] = 0.6
    np.fill_diagonal(corr, 1.0)
    df = _genuine(rng, n, groups, corr, 1, 10, centre=6.5, spread=1.8)
    for it in inst.items:
        if not it.scored:  # reverse-worded fillers: answered the other way
            df[it.id] = 11 - df[it.id]
    items = [i for i in inst.item_ids if i in df.columns]
    df = df[items].copy()
    scored = [i.id for i in inst.items if i.scored]
    return df, _inject(rng, df, scored, 1, 10, share)


def keyed_sample(instrument: str, seed: int, n: int = 250, loading: float = 0.7) -> pd.DataFrame:
    """Correctly coded answers to ``instrument`` (one factor per score, reverse keys respected).

    Each score's keyed answers come from one factor; reverse-keyed items are then written
    the way the form is answered (``min + max - keyed``), so the file's keys recover them.
    """
    rng = np.random.default_rng(seed)
    inst = load_instrument(instrument)
    cols: dict[str, np.ndarray] = {}
    item_scores = [s for s in inst.scores if s.items]
    g = len(item_scores)
    corr = np.full((g, g), 0.5) + 0.5 * np.eye(g)
    F = rng.multivariate_normal(np.zeros(g), corr, size=n)
    for j, s in enumerate(item_scores):
        for it_id in s.items:
            if it_id in cols:
                continue
            it = inst.item(it_id)
            rs = inst.response_sets[it.response_set]
            lo, hi = rs.min, rs.max
            centre = lo + (hi - lo) * rng.uniform(0.35, 0.65)
            y = centre + (hi - lo) / 4 * (loading * F[:, j] + np.sqrt(1 - loading ** 2) * rng.normal(size=n))
            keyed = np.clip(np.round(y), lo, hi)
            # CBI-style recoding runs high codes to low scores: keyed codes are reversed codes
            if rs.recodes and rs.options[0].score > rs.options[-1].score:
                keyed = lo + hi - keyed
            cols[it_id] = lo + hi - keyed if it.reverse else keyed
    return pd.DataFrame({i: cols[i] for i in inst.item_ids if i in cols})


def flip_items(df: pd.DataFrame, instrument: str, items: list[str]) -> pd.DataFrame:
    inst = load_instrument(instrument)
    out = df.copy()
    for c in items:
        rs = inst.response_sets[inst.item(c).response_set]
        out[c] = rs.min + rs.max - out[c]
    return out


def reverse_items(instrument: str) -> list[str]:
    return [i.id for i in load_instrument(instrument).items if i.reverse]


def run(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


# ---------------------------------------------------------------- the table


@pytest.fixture(scope="module")
def fcs_data() -> tuple[pd.DataFrame, np.ndarray]:
    df, truth = fcs_sample(11, n=300)
    df.insert(0, "pid", [f"p{i:03d}" for i in range(len(df))])
    return df, truth


def test_table_keeps_ids_and_every_row_in_order(fcs_data) -> None:
    df, _ = fcs_data
    shuffled = df.sample(frac=1.0, random_state=1)
    res = screen(shuffled, "fcs", id_cols="pid")
    assert res.table["pid"].tolist() == shuffled["pid"].tolist()
    assert res.table["row"].tolist() == list(range(2, len(df) + 2))
    assert len(res.table) == len(df)
    assert res.items == [i for i in load_instrument("fcs").item_ids]
    flagged_by = res.table["flagged_by"].str.split(", ")
    assert (res.table["n_flags"] == flagged_by.map(lambda x: len([v for v in x if v]))).all()


def test_repeated_identifiers_are_named_in_a_note_and_every_row_kept(fcs_data) -> None:
    """Screening runs on raw exports, where a person who submitted twice has two rows: both
    are screened and kept, and a note names them (it said nothing)."""
    df, _ = fcs_data
    twice = df.copy()
    twice.loc[[5, 40, 41], "pid"] = ["p001", "p002", "p002"]
    twice.loc[7, "pid"] = " "  # a blank-looking id is no identifier, not a repeat
    twice.loc[8, "pid"] = " "
    res = screen(twice, "fcs", id="pid")
    assert res.table["pid"].tolist() == twice["pid"].tolist()
    note = [m for m in res.messages if m.startswith("Identifiers on more than one row")]
    assert note == ["Identifiers on more than one row (pid): p001 (rows 3, 7); p002 (rows 4, 42, 43). "
                    "Duplicate submissions? Each row was screened on its own; nothing was removed."]
    assert not any(m.startswith("Identifiers on more") for m in screen(df, "fcs", id="pid").messages)


def test_summary_counts_match_table(fcs_data) -> None:
    df, _ = fcs_data
    res = screen(df, "fcs", id_cols="pid")
    summ = res.summary.set_index("index")
    for col in res.flag_columns:
        assert summ.loc[col[5:], "n_flagged"] == int(res.table[col].fillna(False).sum())
    assert summ.loc["any index", "n_flagged"] == int((res.table["n_flags"] >= 1).sum())
    assert summ.loc["2 or more indices", "n_flagged"] == int(res.flagged(2).sum())
    assert "evenodd" in res.table  # computed for FCS's 3 subscales but not flagged (< 4)
    assert "flag_evenodd" not in res.table
    assert any("Even-odd index not flagged" in m for m in res.messages)


def test_thresholds_override_and_unknown(fcs_data) -> None:
    df, _ = fcs_data
    loose = screen(df, "fcs", thresholds={"mahalanobis_p": 0.5, "irv_z": None})
    strict = screen(df, "fcs")
    assert "flag_irv" not in loose.table and "flag_irv" in strict.table
    assert loose.table["flag_mahalanobis_robust"].sum() > strict.table["flag_mahalanobis_robust"].sum()
    with pytest.raises(AnalysisError, match="Unknown screening threshold 'irv'"):
        screen(df, "fcs", thresholds={"irv": 1})


@pytest.mark.parametrize(("name", "value", "what"), [
    ("longstring", -1, "a share of the items answered, above 0 and at most 1"),
    ("longstring", 0, "a share of the items answered, above 0 and at most 1"),
    ("mahalanobis_p", 1.5, "a p-value above 0 and below 1"),
    ("psychsyn", float("nan"), "a correlation from -1 to 1"),
    ("attention", 0.5, "a whole number of failed checks, 1 or more"),
    ("duration", -2, "seconds per item, above 0"),
])
def test_threshold_out_of_range_refused(fcs_data, name: str, value: float, what: str) -> None:
    # longstring=-1 flagged every respondent (and longstring=0 too), exit 0
    df, _ = fcs_data
    with pytest.raises(AnalysisError) as err:
        screen(df, "fcs", thresholds={name: value})
    assert str(err.value) == f"Screening threshold {name}={value} is out of range: it must be {what}."


def test_cli_screen_threshold_out_of_range(fcs_csv: Path) -> None:
    res = CliRunner().invoke(main, ["screen", str(fcs_csv), "-i", "fcs", "--threshold", "longstring=-1"])
    assert res.exit_code == 1
    assert res.output == ("Error: Screening threshold longstring=-1.0 is out of range: it must be a "
                          "share of the items answered, above 0 and at most 1.\n")


def test_straight_liner_flags_and_fillers_excluded() -> None:
    df, _ = ceas_sample(4, share=0.0)
    df.iloc[0] = 10  # every item 10, fillers included
    res = screen(df, "ceas")
    row = res.table.iloc[0]
    assert row["longstring"] == 30  # 30 scored items; the 9 fillers are not screened
    assert {"longstring", "irv"} <= set(row["flagged_by"].split(", "))
    assert "flag_evenodd" in res.table  # 6 subscales: the even-odd index is flagged


def test_keyed_antonym_and_antonyms_on_olbi() -> None:
    df = keyed_sample("olbi", 6, n=300)
    df.iloc[0] = 1.0  # agrees ("strongly agree" = 1) with every item, both wordings
    # hand: exhaustion keyed = 4 x (5 - 1 = 4) reversed and 4 x 1 forward -> |mean rev - mean fwd|
    # on the 0-1 unit range = |1 - 0| = 1; the same for disengagement
    row1 = [1.0, 2, 1, 3, 2, 2, 1, 3, 4, 1, 2, 2, 1, 2, 1, 2]
    df.iloc[1] = row1
    res = screen(df, "olbi")
    assert res.table.loc[0, "keyed_antonym"] == 1.0
    assert res.table.loc[0, "flag_keyed_antonym"]
    inst = load_instrument("olbi")
    unit = {}
    for s in inst.scores:
        k = np.array([(5 - row1[int(i.split("_")[1]) - 1]) if inst.item(i).reverse
                      else row1[int(i.split("_")[1]) - 1] for i in s.items])
        rev = np.array([inst.item(i).reverse for i in s.items])
        unit[s.id] = abs(((k[rev] - 1) / 3).mean() - ((k[~rev] - 1) / 3).mean())
    assert res.table.loc[1, "keyed_antonym"] == pytest.approx(np.mean(list(unit.values())))
    # reverse-keyed items correlate negatively in the raw answers: psychometric antonyms exist
    assert "psychant" not in res.table  # none below -.60 here (loadings .7, 4 categories)
    anto = screen(df, "olbi", thresholds={"psychsyn_critval": 0.3}).table
    assert anto["psychant_pairs"].max() > 10 and anto["psychant"].median() < 0
    assert (res.table["keyed_antonym"].iloc[2:] >= 0.5).mean() < 0.05


def test_person_total_not_flagged_when_item_means_do_not_differ() -> None:
    rng = np.random.default_rng(5)
    f = rng.normal(size=(400, 1))
    cols = load_instrument("fcs").item_ids
    df = pd.DataFrame(np.clip(np.round(1.5 + f + rng.normal(size=(400, 38))), 0, 4), columns=cols)
    res = screen(df, "fcs")
    assert "flag_person_total" not in res.table
    assert any(m.startswith("Person-total correlation not flagged") for m in res.messages)
    assert res.flagged(2).mean() < 0.05


def test_duration_flag(fcs_data) -> None:
    df, _ = fcs_data
    d = df.assign(secs=np.r_[[30.0, 200.0], np.full(len(df) - 2, 400.0)])
    res = screen(d, "fcs", id_cols="pid", duration="secs")
    assert res.table.loc[0, "seconds_per_item"] == pytest.approx(30 / 38)
    assert res.table["flag_duration"].tolist()[:3] == [True, False, False]
    with pytest.raises(AnalysisError, match="Column\\(s\\) nope are not in the data"):
        screen(d, "fcs", duration="nope")


# ---------------------------------------------------------------- attention checks (schema field)


def _olbi_with_check(tmp_path: Path, extra: dict | None = None) -> Path:
    raw = dict(load_instrument("olbi").raw)
    raw["id"] = "olbi_check"
    raw["items"] = list(raw["items"]) + [{"id": "olbi_att", "number": 17, "scored": False,
                                          "gist": "answer 'strongly disagree' here"}]
    raw["attention_checks"] = [{"item": "olbi_att", "expected": [4], "kind": "attention"}]
    raw.update(extra or {})
    path = tmp_path / "olbi_check.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_attention_checks_parsed_and_screened(tmp_path: Path) -> None:
    inst = load_instrument(_olbi_with_check(tmp_path))
    assert inst.attention_checks[0].item == "olbi_att"
    assert inst.attention_checks[0].expected == (4.0,)
    df = keyed_sample("olbi", 3, n=120)
    df["olbi_att"] = 4.0
    df.loc[:4, "olbi_att"] = [1, 2, 3, np.nan, 4]
    res = screen(df, inst)
    assert res.table["attention_failed"].tolist()[:5] == [1, 1, 1, 0, 0]
    assert res.table["flag_attention"].tolist()[:5] == [True, True, True, pd.NA, False]
    assert "olbi_att" not in res.items


def test_attention_checks_invalid_in_file(tmp_path: Path) -> None:
    bad = _olbi_with_check(tmp_path, {"attention_checks": [
        {"item": "olbi_1", "expected": [9]}, {"item": "nope", "expected": [1]}]})
    with pytest.raises(InstrumentError) as exc:
        load_instrument(bad)
    text = str(exc.value)
    assert "unknown item 'nope'" in text
    assert "item 'olbi_1' counts in a score" in text
    assert "expected answer 9 of item 'olbi_1' is outside its response range 1-4" in text


# ---------------------------------------------------------------- simulation: recall and FPR


@pytest.mark.parametrize(("name", "sampler"), [("fcs", fcs_sample), ("ceas", ceas_sample)])
def test_simulated_careless_recall_and_false_positives(name: str, sampler) -> None:
    """10% injected careless respondents (straight-lining, random, alternating), 5 samples of 300.

    Flagged = flagged by >= 2 indices (the default of exclude_flagged / --n-agree).
    """
    recalls, fprs = [], []
    for seed in range(5):
        df, truth = sampler(seed)
        flagged = screen(df, name, check_coding=False).flagged(2).to_numpy()
        recalls.append(flagged[truth].mean())
        fprs.append(flagged[~truth].mean())
    print(f"\n{name}: recall per sample {np.round(recalls, 3).tolist()} (mean {np.mean(recalls):.3f}), "
          f"false-positive rate {np.round(fprs, 4).tolist()} (mean {np.mean(fprs):.4f})")
    assert min(recalls) >= 0.8
    assert max(fprs) <= 0.05


@pytest.mark.parametrize("name", list(cs.list_instruments()["id"]))
def test_attentive_respondents_rarely_flagged_on_every_shipped_instrument(name: str) -> None:
    df = keyed_sample(name, 21, n=300)
    assert screen(df, name, check_coding=False).flagged(2).mean() <= 0.05


def test_exclude_flagged_lists_who_and_why(fcs_data) -> None:
    df, truth = fcs_data
    kept, excluded = exclude_flagged(df, "fcs", 2, id_cols="pid")
    assert list(excluded.columns) == ["pid", "row", "n_flags", "flagged_by"]
    assert len(kept) + len(excluded) == len(df)
    assert not set(kept["pid"]) & set(excluded["pid"])
    assert (excluded["n_flags"] >= 2).all()
    assert kept.index.equals(df.index[~df["pid"].isin(excluded["pid"])])
    kept3, excluded3 = exclude_flagged(df, "fcs", 3, id_cols="pid")
    assert len(excluded3) <= len(excluded)
    with pytest.raises(AnalysisError, match="n_agree must be at least 1"):
        exclude_flagged(df, "fcs", 0)


# ---------------------------------------------------------------- coding direction


@pytest.mark.parametrize("name", ["olbi", "cbi"])
def test_partly_reversed_export_is_detected(name: str) -> None:
    """The export already reversed the reverse-keyed items (CBI 'reversed score for last question')."""
    df = flip_items(keyed_sample(name, 5), name, reverse_items(name))
    with pytest.warns(CodingDirectionWarning, match="correlate negatively with the other items") as rec:
        ev = coding_direction(df, name)
    msg = str(rec[0].message)
    for item in reverse_items(name):
        assert item in msg
    assert "Nothing was flipped" in msg
    assert ev.loc[ev["check"] == "reverse_items", "opposite"].all()
    # the screen reports the same evidence
    with pytest.warns(CodingDirectionWarning):
        res = screen(df, name)
    assert any("Coding direction" in n for n in res._notes())


@pytest.mark.parametrize("name", ["olbi", "cbi"])
def test_whole_scale_reversal_detected_through_an_attention_check(name: str, tmp_path: Path) -> None:
    """Flipping every item leaves all correlations unchanged; a declared check item anchors it."""
    raw = dict(load_instrument(name).raw)
    first_set = raw["response_sets"][0]["id"]
    lo, hi = raw["response_sets"][0]["min"], raw["response_sets"][0]["max"]
    raw["id"] = f"{name}_chk"
    raw["items"] = list(raw["items"]) + [{"id": f"{name}_chk1", "number": 99, "scored": False,
                                          "response_set": first_set, "gist": "instructed answer"}]
    raw["attention_checks"] = [{"item": f"{name}_chk1", "expected": [lo], "kind": "attention"}]
    path = tmp_path / f"{name}_chk.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    df = keyed_sample(name, 8)
    df[f"{name}_chk1"] = float(lo)
    flipped = flip_items(df, name, list(df.columns[:-1])).assign(**{f"{name}_chk1": float(hi)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        coding_direction(df, path)  # correctly coded: silent
    with pytest.warns(CodingDirectionWarning, match="--reverse-coded") as rec:
        coding_direction(flipped, path)
    assert "0% pass as coded, 100% would pass flipped" in str(rec[0].message)
    # the fix: reverse_coded=True gives back the correct scores, and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fixed = cs.score(flipped, path, reverse_coded=True).scores
        screen(flipped, path, reverse_coded=True)
    pd.testing.assert_frame_equal(fixed, cs.score(df, path).scores)


def test_whole_scale_reversal_detected_through_norms(tmp_path: Path) -> None:
    raw = dict(load_instrument("olbi").raw)
    raw["id"] = "olbi_normed"
    scores = [dict(s) for s in raw["scores"]]
    for s in scores:  # fictitious norms for the test: mean 1.8, SD 0.4 on the 1-4 scale
        s["norms"] = [{"sample": "test", "mean": 1.8, "sd": 0.4, "source": "test fixture"}]
    raw["scores"] = scores
    path = tmp_path / "olbi_normed.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    df = keyed_sample("olbi", 9)
    keyed = item_scores(df, "olbi")
    low = (keyed - 1).clip(lower=1)  # keyed answers shifted down: sample near the low norm
    data = flip_items(low, "olbi", reverse_items("olbi"))  # as answered on the form
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        coding_direction(data, path)
    with pytest.warns(CodingDirectionWarning, match="norm SD from the nearest norm"):
        coding_direction(flip_items(data, "olbi", list(data.columns)), path)


@pytest.mark.slow
def test_correctly_coded_data_give_no_warning_over_100_samples() -> None:
    for name in ("olbi", "cbi"):
        for seed in range(100):
            with warnings.catch_warnings():
                warnings.simplefilter("error", CodingDirectionWarning)
                ev = coding_direction(keyed_sample(name, 1000 + seed, n=200), name)
            assert not ev["opposite"].any()


def test_whole_scale_flip_without_anchor_is_invisible() -> None:
    """Documents the limit: every correlation is unchanged by flipping every item."""
    df = keyed_sample("olbi", 4)
    flipped = flip_items(df, "olbi", list(df.columns))
    a = coding_direction(df, "olbi", warn=False)
    b = coding_direction(flipped, "olbi", warn=False)
    np.testing.assert_allclose(a["value"], b["value"])
    assert not b["opposite"].any()


def test_reverse_coded_flips_codes_before_recoding() -> None:
    df = pd.DataFrame({f"cbi_p{i}": [1, 2, 5] for i in range(1, 7)})
    plain = cs.score(df, "cbi").scores["cbi_personal"].tolist()
    flipped = cs.score(df, "cbi", reverse_coded=True)
    assert plain == [100.0, 75.0, 0.0]
    assert flipped.scores["cbi_personal"].tolist() == [0.0, 25.0, 100.0]
    assert any("--reverse-coded" in n for n in flipped._notes())
    prep = cs.prepare_responses(pd.DataFrame({"olbi_1": [1, 4, np.nan]}), "olbi", reverse_coded=True)
    np.testing.assert_array_equal(prep.values[:, 0], [4, 1, np.nan])


# ---------------------------------------------------------------- plot


def test_plot_returns_figure_without_switching_backend(fcs_data) -> None:
    from matplotlib.figure import Figure

    before = mpl.get_backend()
    fig = cs.plot_screening(screen(fcs_data[0], "fcs", id_cols="pid"))
    assert isinstance(fig, Figure)
    assert mpl.get_backend() == before
    ax1, ax2 = fig.axes
    n_red = sum(len(c.get_offsets()) for c in ax1.collections if c.get_label().startswith("flagged"))
    assert n_red == int(screen(fcs_data[0], "fcs").flagged(2).sum())


# ---------------------------------------------------------------- CLI


@pytest.fixture()
def fcs_csv(tmp_path: Path, fcs_data) -> Path:
    path = tmp_path / "fcs.csv"
    fcs_data[0].to_csv(path, index=False)
    return path


def test_cli_screen_json_equals_library(fcs_csv: Path) -> None:
    res = run(["screen", str(fcs_csv), "-i", "fcs", "--id", "pid", "--format", "json"])
    assert res.exit_code == 0, res.output
    lib = screen(cs.read_responses(fcs_csv, string_columns=["pid"]), "fcs", id_cols="pid")
    assert json.loads(res.stdout) == json.loads(lib.to_json())


def test_cli_screen_outputs(fcs_csv: Path, tmp_path: Path) -> None:
    out, png = tmp_path / "flags.csv", tmp_path / "screen.png"
    res = run(["screen", str(fcs_csv), "-i", "fcs", "--id", "pid", "-o", str(out), "--plot", str(png),
               "--threshold", "mahalanobis_p=0.01", "--threshold", "psychsyn=off"])
    assert res.exit_code == 0, res.output
    assert "Careless-responding screen" in res.stdout and "2 or more indices" in res.stdout
    assert png.stat().st_size > 1000
    table = pd.read_csv(out, dtype={"pid": str})
    assert table["pid"].tolist() == pd.read_csv(fcs_csv, dtype={"pid": str})["pid"].tolist()
    assert "flag_psychsyn" not in table
    assert "Screened 300 rows with fcs" in res.stderr


def test_cli_screen_bad_threshold(fcs_csv: Path) -> None:
    res = CliRunner().invoke(main, ["screen", str(fcs_csv), "-i", "fcs", "--threshold", "irv_z"])
    assert res.exit_code == 2
    assert "'irv_z': write NAME=VALUE" in res.output
    res = CliRunner().invoke(main, ["screen", str(fcs_csv), "-i", "fcs", "--threshold", "bogus=1"])
    assert res.exit_code == 1
    assert res.output.startswith("Error: Unknown screening threshold 'bogus'")


def test_cli_exclude_flagged_error_names_the_option(tmp_path: Path) -> None:
    # before: "Error: fcs: screening needs at least 3 scored items in the data (0 found)." from
    # `cscore track` on score columns, which never asked for a screen by name
    f = tmp_path / "sessions.csv"
    f.write_text("client,session,fcs_self\nA,1,34\nA,2,30\nB,1,20\nB,2,25\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["track", str(f), "-i", "fcs", "--id", "client", "--session", "session",
                                    "--sd", "10", "--reliability", "0.8", "--exclude-flagged", "2"])
    assert res.exit_code == 1
    assert res.output == ("Error: --exclude-flagged 2: fcs: screening needs at least 3 scored items in "
                          "the data (0 found).\n")


def test_cli_screen_plot_type_checked_first_and_folder_made(fcs_csv: Path, tmp_path: Path) -> None:
    # before: "Unexpected ValueError: Format 'txt' is not supported ... This is probably a bug
    # in cscore" after the whole screen, and FileNotFoundError for a folder not yet made
    res = CliRunner().invoke(main, ["screen", str(fcs_csv), "-i", "fcs", "--plot", str(tmp_path / "p.txt")])
    assert res.exit_code == 2
    assert "Invalid value for --plot: use a .png, .pdf or .svg file name" in res.output
    assert "Screened" not in res.output
    png = tmp_path / "new" / "screen.png"
    res = CliRunner().invoke(main, ["screen", str(fcs_csv), "-i", "fcs", "--plot", str(png)])
    assert res.exit_code == 0, res.output
    assert png.stat().st_size > 1000


def test_n_agree_above_the_indices_computed_is_said(fcs_csv: Path, fcs_data) -> None:
    # before: "0 flagged by >= 9 indices" / "Excluded 0 of 300 rows", without saying that nobody
    # could be flagged by 9 of the 6 indices computed for these FCS data
    res = CliRunner().invoke(main, ["screen", str(fcs_csv), "-i", "fcs", "--n-agree", "9"])
    assert res.exit_code == 0, res.output
    assert ("Note: --n-agree 9: 9 agreeing indices asked for, but only 6 indices can flag a respondent "
            "of fcs here (") in res.stderr
    df, _ = fcs_data
    with pytest.warns(RuntimeWarning, match="so nobody can be counted as flagged"):
        kept, excluded = exclude_flagged(df, "fcs", n_agree=9)
    assert len(kept) == len(df) and excluded.empty


def test_cli_score_screen_adds_flag_columns(fcs_csv: Path) -> None:
    res = run(["score", str(fcs_csv), "-i", "fcs", "--id", "pid", "--screen", "--format", "csv"])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(pd.io.common.StringIO(res.stdout), dtype={"pid": str})
    assert {"scr_fcs_n_flags", "scr_fcs_flagged_by", "scr_fcs_longstring"} <= set(out.columns)
    lib = screen(pd.read_csv(fcs_csv, dtype={"pid": str}), "fcs")
    assert out["scr_fcs_n_flags"].tolist() == lib.table["n_flags"].tolist()
    assert "Added careless-responding flags" in res.stderr
    plain = run(["score", str(fcs_csv), "-i", "fcs", "--id", "pid", "--format", "csv"])
    assert "scr_fcs" not in plain.stdout


def test_cli_reverse_coded_warns_and_fixes(tmp_path: Path) -> None:
    df = keyed_sample("cbi", 3)
    pre = flip_items(df, "cbi", ["cbi_w7"])
    path = tmp_path / "cbi.csv"
    pre.to_csv(path, index=False)
    res = run(["screen", str(path), "-i", "cbi"])
    assert res.exit_code == 0
    assert "Warning: cbi: the reverse-keyed item(s) cbi_w7" in res.stderr
    flipped = tmp_path / "cbi_flipped.csv"
    flip_items(df, "cbi", list(df.columns)).to_csv(flipped, index=False)
    ok = tmp_path / "ok.csv"
    df.to_csv(ok, index=False)
    a = run(["score", str(flipped), "-i", "cbi", "--reverse-coded", "--format", "csv"])
    b = run(["score", str(ok), "-i", "cbi", "--format", "csv"])
    assert a.exit_code == 0 and a.stdout == b.stdout
    assert "Note: Answers were flipped on input (--reverse-coded)" in a.stderr


def test_cli_screen_classical_and_n_agree(fcs_csv: Path) -> None:
    res = run(["screen", str(fcs_csv), "-i", "fcs", "--classical", "--n-agree", "1", "--format", "csv"])
    assert res.exit_code == 0, res.output
    summ = pd.read_csv(pd.io.common.StringIO(res.stdout))
    assert "mahalanobis" in set(summ["index"]) and "mahalanobis_robust" not in set(summ["index"])
    lib = screen(pd.read_csv(fcs_csv), "fcs", robust=False)
    assert f"{int(lib.flagged(1).sum())} flagged by >= 1 indices" in res.stderr


def test_exclusion_notes_from_exclude_flagged(fcs_data) -> None:
    from compassion_scales.analyses.screen import exclusion_notes

    df, _ = fcs_data
    kept, excluded = exclude_flagged(df, "fcs", 2, id_cols="pid")
    lines = exclusion_notes(excluded, 2, len(df))
    assert lines[0] == f"Excluded {len(excluded)} of {len(df)} rows flagged by >= 2 careless-responding indices:"
    assert len(lines) == len(excluded) + 1
    first = excluded.iloc[0]
    assert lines[1] == f"  row {first['row']} (pid {first['pid']}): {first['flagged_by']}"


def test_rows_and_items_without_answers_raise_no_numpy_notices() -> None:
    """Blank rows and a blank item are 'not computed', without numpy's all-NaN notices."""
    import warnings

    from testkit import EXAMPLES

    from compassion_scales.analyses.screen import screen

    df = pd.read_csv(EXAMPLES / "responses.csv")
    items = [c for c in df.columns if c.startswith("fcs_")]
    df.loc[[3, 10, 50], items] = None
    df["fcs_oth_1"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = screen(df, "fcs")
    assert len(res.table) == len(df)
    df[items] = None
    with pytest.raises(AnalysisError, match="none of the 300 rows has an answer to the 38 scored items"):
        screen(df, "fcs")


def test_text_in_the_duration_column_is_named() -> None:
    from testkit import EXAMPLES

    from compassion_scales.analyses.screen import screen

    df = pd.read_csv(EXAMPLES / "responses.csv")
    df["secs"] = pd.Series([300.0] * len(df), dtype=object)
    df.loc[4, "secs"] = "5 min"
    df.attrs["source"] = "x.csv"
    with pytest.raises(AnalysisError, match=r"x.csv: row 6, column secs: '5 min' is not a number"):
        screen(df, "fcs", duration="secs")
