"""Burnout, compassion-fatigue and moral-injury instrument files.

For each file: it loads (schema + semantic checks), its structure matches the published key
(item counts, subscale membership, reverse keys, response ranges and recoding), and its golden
examples score as stated. Golden examples are checked twice: by a small independent scorer
written here from the raw YAML (so the expected values do not depend on cscore's scoring
code), and by ``compassion_scales.scoring.check_examples`` once that module exists.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from testkit import ROOT, load_yaml, nonempty

import compassion_scales as cs

INSTRUMENTS = ROOT / "instruments"
TEMPLATE = ROOT / "docs" / "templates" / "licensed_instrument_template.yaml"

FILES = ["cbi", "olbi", "proqol5", "mies", "miss_hp", "mios"]


def _load(stem: str):
    return cs.load_instrument(INSTRUMENTS / f"{stem}.yaml")


def _numbers(inst, item_ids) -> list[int]:
    return sorted(int(inst.item(i).number) for i in item_ids)


def _reversed_numbers(inst, score_id) -> list[int]:
    return sorted(int(inst.item(i).number) for i in inst.score(score_id).items
                  if inst.item(i).reverse)


# --------------------------------------------------------------------------- loading


@pytest.mark.parametrize("stem", FILES)
def test_file_loads_and_id_matches_file_name(stem):
    inst = _load(stem)
    assert inst.id == stem
    assert inst.raw.get("verification"), "every file records what was verified"
    statuses = {v["status"] for v in inst.verification}
    assert statuses <= {"verified", "secondary", "unverified"}
    assert len(inst.examples) >= 3


@pytest.mark.parametrize("stem", FILES)
def test_every_score_states_direction_and_missing_rule(stem):
    inst = _load(stem)
    for s in inst.scores:
        assert s.higher_is in {"better", "worse"}, s.id
        assert s.missing.source, s.id
        assert s.missing.status in {"published", "convention", "derived", "unverified"}, s.id


def test_output_columns_unique_across_these_files():
    cols = [sid for stem in FILES for sid in _load(stem).score_ids]
    assert len(cols) == len(set(cols))


def test_item_text_only_where_licence_allows():
    for stem in FILES:
        inst = _load(stem)
        has_text = any(i.text for i in inst.items)
        assert has_text == (stem == "proqol5"), stem
        assert inst.licence["item_text_included"] == (stem == "proqol5"), stem


# --------------------------------------------------------------------------- CBI


def test_cbi_structure_matches_puma_key():
    inst = _load("cbi")
    assert inst.score_ids == ["cbi_personal", "cbi_work", "cbi_client"]  # no total
    assert _numbers(inst, inst.score("cbi_personal").items) == [1, 2, 3, 4, 5, 6]
    assert _numbers(inst, inst.score("cbi_work").items) == [1, 2, 3, 4, 5, 6, 7]
    assert _numbers(inst, inst.score("cbi_client").items) == [1, 2, 3, 4, 5, 6]
    # the only reversed item: work-related item 7 (energy for family and friends)
    assert [i.id for i in inst.items if i.reverse] == ["cbi_w7"]
    for s in inst.scores:
        assert s.aggregation == "mean"
    assert inst.score("cbi_personal").missing.min_answered == 3
    assert inst.score("cbi_work").missing.min_answered == 4
    assert inst.score("cbi_client").missing.min_answered == 3
    assert inst.score("cbi_personal").missing.status == "published"
    assert inst.score("cbi_work").missing.status == "published"


def test_cbi_response_sets_and_recoding():
    inst = _load("cbi")
    freq, inten = inst.response_sets["cbi_frequency"], inst.response_sets["cbi_intensity"]
    for rs in (freq, inten):
        assert (rs.min, rs.max) == (1, 5)
        assert [o.score for o in rs.options] == [100, 75, 50, 25, 0]
        assert (rs.score_min, rs.score_max) == (0, 100)
    assert freq.label_lookup()["always"] == 1
    assert freq.label_lookup()["never/almost never"] == 5
    assert inten.label_lookup()["to a very high degree"] == 1
    by_set = {i.id: i.response_set for i in inst.items}
    assert all(by_set[f"cbi_p{k}"] == "cbi_frequency" for k in range(1, 7))
    assert [by_set[f"cbi_w{k}"] for k in range(1, 8)] == ["cbi_intensity"] * 3 + ["cbi_frequency"] * 4
    assert [by_set[f"cbi_c{k}"] for k in range(1, 7)] == ["cbi_intensity"] * 4 + ["cbi_frequency"] * 2


def test_cbi_bands_are_conventions_not_published():
    inst = _load("cbi")
    for s in inst.scores:
        assert all(b["status"] == "convention" for b in s.interpretation)
        assert all(c["status"] == "convention" for c in s.cutoffs)


# --------------------------------------------------------------------------- OLBI


def test_olbi_subscales_and_reverse_keys():
    inst = _load("olbi")
    assert _numbers(inst, inst.score("olbi_exhaustion").items) == [2, 4, 5, 8, 10, 12, 14, 16]
    assert _numbers(inst, inst.score("olbi_disengagement").items) == [1, 3, 6, 7, 9, 11, 13, 15]
    # with 1 = strongly agree coding the negatively worded items are reversed
    assert sorted(int(i.number) for i in inst.items if i.reverse) == [2, 3, 4, 6, 8, 9, 11, 12]
    assert _reversed_numbers(inst, "olbi_exhaustion") == [2, 4, 8, 12]
    assert _reversed_numbers(inst, "olbi_disengagement") == [3, 6, 9, 11]
    rs = inst.response_sets["olbi_agree_1_4"]
    assert (rs.min, rs.max) == (1, 4)
    assert rs.label_lookup()["strongly agree"] == 1
    assert rs.label_lookup()["strongly disagree"] == 4
    assert "1 = Strongly agree" in rs.note
    assert all(s.aggregation == "mean" and s.higher_is == "worse" for s in inst.scores)


def test_olbi_double_inversion_trap_documented_and_avoided():
    inst = _load("olbi")
    assert any("TRAP" in n and "reverses twice" in n for n in inst.raw["notes"])
    assert any(v["topic"].startswith("trap:") for v in inst.verification)
    # most burnt-out answers with 1 = strongly agree coding: negative items 1, positive items 4
    negative = {2, 3, 4, 6, 8, 9, 11, 12}
    worst = pd.DataFrame([{f"olbi_{n}": (1 if n in negative else 4) for n in range(1, 17)}])
    res = cs.score(worst, "olbi").scores
    assert res[["olbi_exhaustion", "olbi_disengagement"]].iloc[0].tolist() == [4.0, 4.0]
    # the trap scorer (also reversing the positive items) would give the minimum instead
    trap = worst.copy()
    for n in set(range(1, 17)) - negative:
        trap[f"olbi_{n}"] = 5 - trap[f"olbi_{n}"]  # reverses the positive items on 1 = SA data
    items = [f"olbi_{n}" for n in (2, 4, 5, 8, 10, 12, 14, 16)]
    assert trap[items].mean(axis=1).iloc[0] == 1.0  # inverted: the most burnt-out look least


# --------------------------------------------------------------------------- ProQOL 5


def test_proqol_cs_t_score_norms_are_never_applied_to_raw_sums():
    inst = _load("proqol5")
    (norm,) = inst.score("proqol_cs").norms
    assert (norm["mean"], norm["sd"], norm["metric"]) == (50, 10, "t_score")
    assert norm["reliability"] == [{"type": "alpha", "value": 0.88, "source": "ProQOL 5 form text"}]
    assert not inst.score("proqol_bo").norms and not inst.score("proqol_sts").norms


def test_proqol_scales_and_reverse_keys():
    inst = _load("proqol5")
    assert len(inst.items) == 30
    assert _numbers(inst, inst.score("proqol_cs").items) == [3, 6, 12, 16, 18, 20, 22, 24, 27, 30]
    assert _numbers(inst, inst.score("proqol_bo").items) == [1, 4, 8, 10, 15, 17, 19, 21, 26, 29]
    assert _numbers(inst, inst.score("proqol_sts").items) == [2, 5, 7, 9, 11, 13, 14, 23, 25, 28]
    assert sorted(int(i.number) for i in inst.items if i.reverse) == [1, 4, 15, 17, 29]
    assert inst.score("proqol_cs").higher_is == "better"
    for sid in ("proqol_cs", "proqol_bo", "proqol_sts"):
        assert inst.score(sid).aggregation == "sum"
        assert inst.score_range(sid) == (10.0, 50.0)
        (bands,) = inst.score(sid).interpretation
        assert [(b["min"], b["max"]) for b in bands["bands"]] == [(10, 22), (23, 41), (42, 50)]
    assert inst.item("proqol_1").text == "I am happy."
    assert all("[help" in inst.item(f"proqol_{n}").text for n in (2, 3, 6, 24, 25))


# --------------------------------------------------------------------------- moral injury


def test_mies_total_only():
    inst = _load("mies")
    assert len(inst.items) == 9
    assert inst.score_ids == ["mies_total"]
    assert inst.score_range("mies_total") == (9.0, 54.0)
    assert not any(i.reverse for i in inst.items)


def test_miss_hp_key_cutoff_and_functioning_item():
    inst = _load("miss_hp")
    total = inst.score("miss_hp_total")
    assert _numbers(inst, total.items) == list(range(1, 11))
    assert _reversed_numbers(inst, "miss_hp_total") == [5, 6, 7, 10]
    assert inst.score_range("miss_hp_total") == (10.0, 100.0)
    (cut,) = total.cutoffs
    assert (cut["value"], cut["direction"], cut["status"]) == (36, "at_or_above", "published")
    assert (cut["sensitivity"], cut["specificity"]) == (0.84, 0.93)
    assert total.reliability[0]["value"] == 0.75
    item11 = inst.item("miss_11")
    assert item11.scored is False and "miss_11" not in total.items


MIOS_KEY = {"mios_shame": [1, 3, 7, 8, 12, 13, 14], "mios_trust": [2, 4, 5, 6, 9, 10, 11]}


def test_mios_subscales_pinned_to_item_numbers():
    inst = _load("mios")
    assert len(inst.items) == 14 and _numbers(inst, inst.item_ids) == list(range(1, 15))
    assert inst.score_ids == ["mios_shame", "mios_trust", "mios_total"]
    for sid, numbers in MIOS_KEY.items():
        s = inst.score(sid)
        assert _numbers(inst, s.items) == numbers and s.aggregation == "sum"
        assert inst.score_range(sid) == (0.0, 28.0)
    assert sorted(MIOS_KEY["mios_shame"] + MIOS_KEY["mios_trust"]) == list(range(1, 15))
    assert inst.score_range("mios_total") == (0.0, 56.0)
    assert all(inst.score(s).status == "secondary" and inst.score(s).higher_is == "worse"
               for s in inst.score_ids)
    assert not any(inst.score(s).cutoffs or inst.score(s).interpretation for s in inst.score_ids)
    assert not any(it.reverse for it in inst.items)
    topics = {v["topic"]: v["status"] for v in inst.verification}
    assert topics["cut-off"] == "unverified"
    assert any("0-4" in t and st == "unverified" for t, st in topics.items())  # range stated, not verified
    assert inst.licence["item_text_included"] is False
    # independent computation on random answers
    rng = np.random.default_rng(10)
    data = pd.DataFrame(rng.integers(0, 5, size=(30, 14)), columns=[f"mios_{n}" for n in range(1, 15)])
    res = cs.score(data, "mios").scores
    for sid, numbers in MIOS_KEY.items():
        assert res[sid].tolist() == data[[f"mios_{n}" for n in numbers]].sum(axis=1).astype(float).tolist()


def test_no_mbi_key_shipped():
    ids = {p.stem.lower() for p in INSTRUMENTS.glob("*.y*ml")}
    assert not any("mbi" in i or "maslach" in i for i in ids)
    for p in INSTRUMENTS.glob("*.y*ml"):
        assert "maslach" not in load_yaml(p.read_text("utf-8")).get("name", "").lower()


# --------------------------------------------------------------------------- template


def test_licensed_template_is_valid_and_marked_as_template():
    inst = cs.load_instrument(TEMPLATE)
    assert inst.licence["proprietary"] is True
    assert inst.licence["item_text_included"] is False
    assert "TEMPLATE" in inst.name
    assert all(i.id.startswith("tmpl_") for i in inst.items)


# --------------------------------------------------------------------------- golden examples


def _norm(text) -> str:
    return " ".join(str(text).strip().casefold().split())


def _reference_scores(raw: dict, responses: dict) -> dict:
    """Score one response dict from the raw YAML, independently of cscore's scoring code."""
    rsets = {r["id"]: r for r in raw["response_sets"]}
    items = {i["id"]: i for i in raw["items"]}
    only = next(iter(rsets)) if len(rsets) == 1 else None

    def value(item_id):
        it = items[item_id]
        rs = rsets[it.get("response_set", only)]
        x = responses.get(item_id)
        if x is None or x in rs.get("missing_codes", []):
            return None
        opts = rs.get("options", [])
        if isinstance(x, str):
            lookup = {_norm(t): o["code"] for o in opts
                      for t in ([o["label"]] if "label" in o else []) + o.get("synonyms", [])}
            x = lookup[_norm(x)]
        assert rs["min"] <= x <= rs["max"], (item_id, x)
        scored = {o["code"]: o.get("score", o["code"]) for o in opts}
        v = scored.get(x, x)
        if it.get("reverse"):
            vals = list(scored.values()) if any(o.get("score") is not None for o in opts) \
                else [rs["min"], rs["max"]]
            v = min(vals) + max(vals) - v
        return v

    out = {}
    for s in raw["scores"]:
        vals = [value(i) for i in s["items"]]
        answered = [v for v in vals if v is not None]
        need = s.get("missing", {}).get("min_answered", len(vals))
        if len(answered) < need:
            out[s["id"]] = None
        elif s["aggregation"] == "mean":
            out[s["id"]] = sum(answered) / len(answered)
        else:
            total = sum(answered)
            if len(answered) < len(vals):
                total = total / len(answered) * len(vals)
            out[s["id"]] = total
    return out


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("path", [INSTRUMENTS / f"{s}.yaml" for s in FILES] + [TEMPLATE],
                         ids=FILES + ["template"])
def test_golden_examples_independent_scorer(path):
    raw = load_yaml(path.read_text("utf-8"))
    for ex in nonempty(raw["examples"], f"golden examples in {path.name}"):
        got = _reference_scores(raw, ex["responses"])
        for sid, want in nonempty(ex["expected"], f"expected scores in {path.name}").items():
            assert _same(got[sid], want), (ex["description"], sid, got[sid], want)
        # every item of the instrument is given in every example
        assert set(ex["responses"]) == {i["id"] for i in raw["items"]}, ex["description"]


@pytest.mark.parametrize("path", [INSTRUMENTS / f"{s}.yaml" for s in FILES] + [TEMPLATE],
                         ids=FILES + ["template"])
def test_golden_examples_with_cscore(path):
    scoring = pytest.importorskip("compassion_scales.scoring")
    inst = cs.load_instrument(path)
    assert scoring.check_examples(inst) == []


def test_reference_scorer_catches_a_wrong_reverse_key():
    """The golden examples fail if the CBI reverse key is moved (so the test can fail)."""
    raw = load_yaml((INSTRUMENTS / "cbi.yaml").read_text("utf-8"))
    for it in raw["items"]:
        it["reverse"] = it["id"] == "cbi_w6"
    ex = raw["examples"][0]
    assert not _same(_reference_scores(raw, ex["responses"])["cbi_work"], ex["expected"]["cbi_work"])
