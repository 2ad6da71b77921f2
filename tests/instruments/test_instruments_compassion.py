"""Compassion-side instrument files: published keys, golden examples and scoring behaviour.

Every key asserted here was checked against the source named in the file's
``verification`` list (FCS, CEAS, SCS, SCS-SF, CS, FSCRS, SOCS-S, SOCS-O). The item sets are
spelled out literally so that a wrong edit of an instrument file fails a test.
Expected values in the scoring tests are computed here with numpy, independently of
``compassion_scales.scoring``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from testkit import EXAMPLES, ROOT, load_yaml

import compassion_scales as cs
from compassion_scales.errors import InstrumentError
from compassion_scales.scoring import check_examples

INSTRUMENT_DIR = ROOT / "instruments"
FILES = ["fcs", "ceas", "scs", "scs_sf", "cs", "fscrs", "socs_s", "socs_o"]
FLOWS = {"self", "to_others", "from_others"}


def load(name: str):
    return cs.load_instrument(INSTRUMENT_DIR / f"{name}.yaml")


def ids(prefix: str, numbers) -> list[str]:
    return [f"{prefix}{n}" for n in numbers]


def reverse_items(inst) -> set[str]:
    return {i.id for i in inst.items if i.reverse}


def fillers(inst) -> set[str]:
    return {i.id for i in inst.items if not i.scored}


# --------------------------------------------------------------------------- every file


@pytest.mark.parametrize("name", FILES)
def test_file_loads_and_golden_examples_pass(name):
    inst = load(name)  # schema + semantic checks
    assert inst.id == name
    assert check_examples(inst) == []
    assert len(inst.examples) >= 3


@pytest.mark.parametrize("name", FILES)
def test_shipped_id_is_the_same_file(name):
    assert cs.load_instrument(name).sha256 == load(name).sha256


@pytest.mark.parametrize("name", FILES)
def test_metadata_is_complete(name):
    inst = load(name)
    raw = inst.raw
    assert raw["doi"].startswith("10.")
    assert raw["licence"]["summary"].strip()
    statuses = {v["status"] for v in inst.verification}
    assert statuses <= {"verified", "secondary", "unverified"}
    assert all(v.get("source") for v in inst.verification)
    for s in inst.scores:
        assert s.higher_is in {"better", "worse"}, s.id
        assert s.missing.source and s.missing.status, s.id
        assert s.flow is None or s.flow in FLOWS
        for bandset in s.interpretation:
            assert bandset["status"] in {"published", "convention"} and bandset.get("source")
        for rel in s.reliability:
            assert rel["source"]
    # item text only where the licence allows it
    if not raw["licence"]["item_text_included"]:
        assert not any(i.text for i in inst.items)


@pytest.mark.parametrize("name", FILES)
def test_at_least_one_example_has_a_missing_answer(name):
    inst = load(name)
    assert any(v is None for ex in inst.examples for v in ex["responses"].values())
    assert any(v is None for ex in inst.examples for v in ex["expected"].values())


def test_output_columns_unique_across_these_files():
    cols = [s for name in FILES for s in load(name).score_ids]
    assert len(cols) == len(set(cols))


def test_a_wrong_key_makes_golden_examples_fail(tmp_path):
    """Counting a CEAS filler (a plausible wrong edit) must break the golden examples."""
    data = load_yaml((INSTRUMENT_DIR / "ceas.yaml").read_text("utf-8"))
    for it in data["items"]:
        if it["id"] == "ceas_self_e3":
            it.pop("scored")
    for s in data["scores"]:
        if s["id"] == "ceas_self_engagement":
            s["items"].append("ceas_self_e3")
    bad = tmp_path / "ceas_bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    problems = check_examples(cs.load_instrument(bad))
    assert any("ceas_self_engagement" in p for p in problems)


def test_a_filler_may_not_be_scored(tmp_path):
    data = load_yaml((INSTRUMENT_DIR / "ceas.yaml").read_text("utf-8"))
    for s in data["scores"]:
        if s["id"] == "ceas_oth_action":
            s["items"].append("ceas_oth_a3")
    bad = tmp_path / "ceas_bad2.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(InstrumentError, match="filler"):
        cs.load_instrument(bad)


# --------------------------------------------------------------------------- FCS


def test_fcs_key():
    inst = load("fcs")
    assert inst.score("fcs_others").items == tuple(ids("fcs_oth_", range(1, 11)))
    assert inst.score("fcs_from_others").items == tuple(ids("fcs_from_", range(1, 14)))
    assert inst.score("fcs_self").items == tuple(ids("fcs_self_", range(1, 16)))
    assert len(inst.items) == 38
    assert reverse_items(inst) == set() and fillers(inst) == set()
    assert {s.aggregation for s in inst.scores} == {"sum"}
    assert [inst.score_range(s) for s in inst.score_ids] == [(0, 40), (0, 52), (0, 60)]
    assert inst.flows() == {"to_others": ["fcs_others"], "from_others": ["fcs_from_others"],
                            "self": ["fcs_self"]}
    assert {s.higher_is for s in inst.scores} == {"worse"}
    rs = inst.response_sets["agree_0_4"]
    assert (rs.min, rs.max) == (0, 4)


# --------------------------------------------------------------------------- CEAS

CEAS_FLOWS = {"self": "self", "oth": "to_others", "from": "from_others"}


def test_ceas_key():
    inst = load("ceas")
    assert len(inst.items) == 39
    assert reverse_items(inst) == set()  # fillers are excluded, never reversed
    expected_fillers = {f"ceas_{p}_{k}" for p in CEAS_FLOWS for k in ("e3", "e7", "a3")}
    assert fillers(inst) == expected_fillers
    for p, flow in CEAS_FLOWS.items():
        eng, act, tot = (inst.score(f"ceas_{p}_{x}") for x in ("engagement", "action", "total"))
        assert eng.items == tuple(ids(f"ceas_{p}_e", [1, 2, 4, 5, 6, 8]))
        assert act.items == tuple(ids(f"ceas_{p}_a", [1, 2, 4, 5]))
        assert (eng.aggregation, act.aggregation) == ("sum", "sum")
        assert inst.score_range(eng.id) == (6, 60)
        assert inst.score_range(act.id) == (4, 40)
        assert tot.components == (eng.id, act.id) and tot.aggregation == "sum_of_scores"
        assert tot.status == "derived" and inst.score_range(tot.id) == (10, 100)
        assert {eng.flow, act.flow, tot.flow} == {flow}
        numbers = [inst.item(i).number for i in ids(f"ceas_{p}_a", range(1, 6))]
        assert numbers == ["2.1", "2.2", "2.3", "2.4", "2.5"]
    rs = inst.response_sets["never_always_1_10"]
    assert (rs.min, rs.max) == (1, 10)


def test_ceas_item_text_is_the_published_table_1_wording_only():
    inst = load("ceas")
    with_text = {i.id: i.text for i in inst.items if i.text}
    assert set(with_text) == set(ids("ceas_oth_", ["e1", "e2", "e4", "e5", "e6", "e8",
                                                    "a1", "a2", "a4", "a5"]))
    assert with_text["ceas_oth_e2"] == "I notice and am sensitive to distress in others when it arises."
    assert with_text["ceas_oth_a1"] == "I direct attention to what is likely to be helpful to others."
    assert inst.licence["item_text_included"] is True


def test_ceas_fillers_never_change_scores():
    inst = load("ceas")
    rng = np.random.default_rng(7)
    items = inst.item_ids
    data = pd.DataFrame(rng.integers(1, 11, size=(40, len(items))), columns=items)
    base = cs.score(data, inst).scores
    changed = data.copy()
    filler_cols = sorted(fillers(inst))
    changed[filler_cols] = rng.integers(1, 11, size=(40, len(filler_cols)))
    changed.loc[::3, filler_cols[0]] = np.nan
    pd.testing.assert_frame_equal(cs.score(changed, inst).scores, base)
    # independent check of one flow
    expect = data[ids("ceas_from_e", [1, 2, 4, 5, 6, 8])].sum(axis=1) \
        + data[ids("ceas_from_a", [1, 2, 4, 5])].sum(axis=1)
    np.testing.assert_allclose(base["ceas_from_total"], expect)


# --------------------------------------------------------------------------- SCS

SCS_KEY = {
    "scs_self_kindness": [5, 12, 19, 23, 26],
    "scs_self_judgment": [1, 8, 11, 16, 21],
    "scs_common_humanity": [3, 7, 10, 15],
    "scs_isolation": [4, 13, 18, 25],
    "scs_mindfulness": [9, 14, 17, 22],
    "scs_over_identification": [2, 6, 20, 24],
}
SCS_NEGATIVE = ("scs_self_judgment", "scs_isolation", "scs_over_identification")


def test_scs_key():
    inst = load("scs")
    assert len(inst.items) == 26
    for sid, numbers in SCS_KEY.items():
        s = inst.score(sid)
        assert s.items == tuple(ids("scs_", numbers)) and s.aggregation == "mean"
        assert s.keying == ("raw" if sid in SCS_NEGATIVE else "keyed")
        assert s.higher_is == ("worse" if sid in SCS_NEGATIVE else "better")
    assert reverse_items(inst) == {f"scs_{n}" for sid in SCS_NEGATIVE for n in SCS_KEY[sid]}
    total = inst.score("scs_total")
    assert total.aggregation == "mean_of_scores" and total.components == tuple(SCS_KEY)
    assert total.flow == "self" and inst.score_range("scs_total") == (1, 5)
    item_mean = inst.score("scs_total_item_mean")
    assert item_mean.aggregation == "mean" and item_mean.items == tuple(ids("scs_", range(1, 27)))
    s2003 = inst.score("scs_total_sum_2003")
    assert s2003.aggregation == "sum_of_scores" and s2003.components == tuple(SCS_KEY)
    assert inst.score_range("scs_total_sum_2003") == (6, 30)
    bands = total.interpretation[0]
    assert bands["status"] == "convention"
    assert [(b["min"], b["max"]) for b in bands["bands"]] == [(1.0, 2.5), (2.5, 3.5), (3.5, 5.0)]


def test_scs_totals_match_independent_computation():
    inst = load("scs")
    rng = np.random.default_rng(11)
    data = pd.DataFrame(rng.integers(1, 6, size=(60, 26)), columns=ids("scs_", range(1, 27)))
    data.iloc[5, 17] = np.nan  # item 18 (isolation) unanswered in row 5
    got = cs.score(data, inst).scores
    keyed = data.copy()
    neg_cols = [f"scs_{n}" for sid in SCS_NEGATIVE for n in SCS_KEY[sid]]
    keyed[neg_cols] = 6 - keyed[neg_cols]
    sub_keyed = pd.DataFrame({sid: keyed[ids("scs_", n)].mean(axis=1, skipna=False)
                              for sid, n in SCS_KEY.items()})
    sub_raw = pd.DataFrame({sid: data[ids("scs_", n)].mean(axis=1, skipna=False)
                            for sid, n in SCS_KEY.items()})
    for sid in SCS_KEY:  # negative subscales reported raw, positive ones keyed (= raw)
        np.testing.assert_allclose(got[sid], sub_raw[sid])
    np.testing.assert_allclose(got["scs_total"], sub_keyed.mean(axis=1, skipna=False))
    np.testing.assert_allclose(got["scs_total_sum_2003"], sub_keyed.sum(axis=1, skipna=False))
    np.testing.assert_allclose(got["scs_total_item_mean"], keyed.mean(axis=1, skipna=False))
    assert np.isnan(got.loc[5, "scs_total"]) and np.isnan(got.loc[5, "scs_isolation"])
    assert not np.isnan(got.loc[5, "scs_self_kindness"])
    # the two mean-based totals are different published methods: they must not coincide
    assert not np.allclose(got["scs_total"].dropna(), got["scs_total_item_mean"].dropna())


# --------------------------------------------------------------------------- SCS-SF


def test_scs_sf_key():
    inst = load("scs_sf")
    assert len(inst.items) == 12
    assert reverse_items(inst) == set(ids("scs_sf_", [1, 4, 8, 9, 11, 12]))
    assert inst.score_ids == ["scs_sf_total"]  # subscales not recommended: not shipped
    total = inst.score("scs_sf_total")
    assert total.aggregation == "mean" and total.items == tuple(ids("scs_sf_", range(1, 13)))
    assert total.flow == "self" and inst.score_range("scs_sf_total") == (1, 5)
    assert inst.raw["base_instrument"] == "scs"


def test_scs_sf_gists_match_the_long_form_items_they_come_from():
    """Short-form items are long-form items; the gists must agree with the mapping."""
    sf, lf = load("scs_sf"), load("scs")
    mapping = {1: 6, 2: 26, 3: 14, 4: 13, 5: 15, 6: 12, 7: 9, 8: 25, 9: 2, 10: 10, 11: 1, 12: 11}
    for s_num, l_num in mapping.items():
        assert sf.item(f"scs_sf_{s_num}").reverse == lf.item(f"scs_{l_num}").reverse
    same_gist = [s for s, lng in mapping.items()
                 if sf.item(f"scs_sf_{s}").gist == lf.item(f"scs_{lng}").gist]
    assert len(same_gist) >= 10


# --------------------------------------------------------------------------- CS (16 items)

CS_KEY = {"cs_kindness": [2, 6, 10, 14], "cs_common_humanity": [4, 8, 12, 16],
          "cs_mindfulness": [1, 5, 9, 13], "cs_indifference": [3, 7, 11, 15]}


def test_cs16_key():
    inst = load("cs")
    assert len(inst.items) == 16 and inst.version == "2020"
    assert reverse_items(inst) == set(ids("cs_", [3, 7, 11, 15]))
    for sid, numbers in CS_KEY.items():
        s = inst.score(sid)
        assert s.items == tuple(ids("cs_", numbers)) and s.aggregation == "mean"
    assert inst.score("cs_indifference").keying == "raw"
    total = inst.score("cs_total")
    assert total.aggregation == "mean" and total.items == tuple(ids("cs_", range(1, 17)))
    assert total.flow == "to_others" and inst.score_range("cs_total") == (1, 5)


def test_cs_total_matches_independent_computation():
    inst = load("cs")
    rng = np.random.default_rng(3)
    data = pd.DataFrame(rng.integers(1, 6, size=(30, 16)), columns=ids("cs_", range(1, 17)))
    got = cs.score(data, inst).scores
    keyed = data.copy()
    rev = ids("cs_", [3, 7, 11, 15])
    keyed[rev] = 6 - keyed[rev]
    np.testing.assert_allclose(got["cs_total"], keyed.mean(axis=1))
    np.testing.assert_allclose(got["cs_indifference"], data[rev].mean(axis=1))


# --------------------------------------------------------------------------- FSCRS


def test_fscrs_unsourced_normative_data_not_shipped():
    inst = load("fscrs")
    assert all(not s.norms for s in inst.scores)
    assert any("TRAP" in n and "18.6" in n and "must not be used" in n for n in inst.raw["notes"])
    assert any("normative data" in v["topic"] and v["status"] == "unverified" for v in inst.verification)


def test_ceas_adult_response_scale_1_10():
    inst = load("ceas")
    (rs,) = inst.response_sets.values()
    assert (rs.min, rs.max) == (1, 10)
    labels = {o.code: o.label for o in rs.options}
    assert labels == {1: "Never", 10: "Always"}
    v = next(v for v in inst.verification if v["topic"].startswith("response scale 1-10"))
    assert v["status"] == "secondary" and "adult form" in v["topic"]


def test_fscrs_key():
    inst = load("fscrs")
    assert len(inst.items) == 22
    assert reverse_items(inst) == set() and fillers(inst) == set()
    expected = {"fscrs_inadequate_self": [1, 2, 4, 6, 7, 14, 17, 18, 20],
                "fscrs_hated_self": [9, 10, 12, 15, 22],
                "fscrs_reassured_self": [3, 5, 8, 11, 13, 16, 19, 21]}
    for sid, numbers in expected.items():
        s = inst.score(sid)
        assert s.items == tuple(ids("fscrs_", numbers)) and s.aggregation == "sum"
    assert [inst.score_range(s) for s in expected] == [(0, 36), (0, 20), (0, 32)]
    crit = inst.score("fscrs_self_criticism")
    assert crit.status == "derived" and crit.components == ("fscrs_inadequate_self", "fscrs_hated_self")
    assert inst.flows() == {}


# --------------------------------------------------------------------------- SOCS


SOCS_ELEMENTS = {  # Gu et al. 2020 five elements; key as in the German validation's lavaan models
    "recognising": [1, 6, 11, 16],
    "universality": [2, 7, 12, 17],
    "feeling": [3, 8, 13, 18],
    "tolerating": [4, 9, 14, 19],
    "acting": [5, 10, 15, 20],
}


@pytest.mark.parametrize("name,flow", [("socs_s", "self"), ("socs_o", "to_others")])
def test_socs_total_stays_unverified_elements_secondary(name, flow):
    inst = load(name)
    assert len(inst.items) == 20 and reverse_items(inst) == set()
    assert inst.score_ids == [f"{name}_total"] + [f"{name}_{e}" for e in SOCS_ELEMENTS]
    total = inst.score(f"{name}_total")
    assert total.status == "unverified" and total.flow == flow
    assert total.aggregation == "sum" and inst.score_range(total.id) == (20, 100)
    for element, numbers in SOCS_ELEMENTS.items():
        s = inst.score(f"{name}_{element}")
        assert s.items == tuple(ids(f"{name}_", numbers)), element
        assert s.status == "secondary" and s.aggregation == "sum" and s.higher_is == "better"
        assert inst.score_range(s.id) == (4, 20)
    assert any(v["status"] == "secondary" and "element key" in v["topic"] for v in inst.verification)
    assert any("consecutive blocks" in n for n in inst.raw["notes"])  # the trap is documented


@pytest.mark.parametrize("name", ["socs_s", "socs_o"])
def test_socs_elements_match_independent_sums(name):
    rng = np.random.default_rng(15)
    data = pd.DataFrame(rng.integers(1, 6, size=(40, 20)), columns=ids(f"{name}_", range(1, 21)))
    with pytest.warns(cs.UnverifiedKeyWarning):
        res = cs.score(data, name).scores
    for element, numbers in SOCS_ELEMENTS.items():
        expected = data[[f"{name}_{n}" for n in numbers]].sum(axis=1)
        assert res[f"{name}_{element}"].tolist() == expected.astype(float).tolist()
    assert (res[[f"{name}_{e}" for e in SOCS_ELEMENTS]].sum(axis=1) == res[f"{name}_total"]).all()


SCS_SF_TO_LONG = {1: 6, 2: 26, 3: 14, 4: 13, 5: 15, 6: 12, 7: 9, 8: 25, 9: 2, 10: 10, 11: 1, 12: 11}


def test_scs_sf_long_form_mapping_all_12_items():
    """Short-form items scored from a 26-item administration through the shipped column map."""
    sf, long_ = load("scs_sf"), load("scs")
    assert "1=6, 2=26, 3=14, 4=13, 5=15, 6=12, 7=9, 8=25, 9=2, 10=10, 11=1, 12=11" in sf.raw["variant_note"]
    assert any(v["status"] == "secondary" and "all 12 items" in v["topic"] for v in sf.verification)
    # every pair lies in the same subscale and has the same reverse key in both forms
    sf_sub = {"scs_sf_1": "over", "scs_sf_9": "over", "scs_sf_2": "kind", "scs_sf_6": "kind",
              "scs_sf_11": "judg", "scs_sf_12": "judg", "scs_sf_5": "comm", "scs_sf_10": "comm",
              "scs_sf_4": "isol", "scs_sf_8": "isol", "scs_sf_3": "mind", "scs_sf_7": "mind"}
    short_names = {"scs_self_kindness": "kind", "scs_self_judgment": "judg",
                   "scs_common_humanity": "comm", "scs_isolation": "isol",
                   "scs_mindfulness": "mind", "scs_over_identification": "over"}
    long_sub = {f"scs_{n}": short_names[k] for k, ns in SCS_KEY.items() for n in ns}
    for short, lng in SCS_SF_TO_LONG.items():
        assert sf_sub[f"scs_sf_{short}"] == long_sub[f"scs_{lng}"], short
        assert sf.item(f"scs_sf_{short}").reverse == long_.item(f"scs_{lng}").reverse, short
    # the map file scores the short form from long-form columns, equal to an independent mean
    map_file = EXAMPLES / "scs26_to_scs_sf_map.csv"
    cmap = pd.read_csv(map_file)
    assert dict(zip(cmap["item"], cmap["column"], strict=True)) == {
        f"scs_sf_{s}": f"scs_{lng}" for s, lng in SCS_SF_TO_LONG.items()}
    rng = np.random.default_rng(12)
    data = pd.DataFrame(rng.integers(1, 6, size=(25, 26)), columns=ids("scs_", range(1, 27)))
    from compassion_scales.io import read_column_map

    res = cs.score(data, "scs_sf", column_map=read_column_map(map_file)).scores
    rev = {1, 4, 8, 9, 11, 12}
    keyed = pd.DataFrame({s: (6 - data[f"scs_{lng}"]) if s in rev else data[f"scs_{lng}"]
                          for s, lng in SCS_SF_TO_LONG.items()})
    assert res["scs_sf_total"].to_numpy() == pytest.approx(keyed.mean(axis=1).to_numpy())
