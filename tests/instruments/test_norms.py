"""Norm samples: z/T/percentiles, norms files, RCI from a named sample (values by hand).

tests/data/change_test_service_norms.yaml (TEST DATA) adds to tests/data/change_test_norms.yaml:
  ct_fear  clinic_a  clinical, mean 10, SD 4, alpha .84 and test-retest .75
           staff_b   staff, mean 6, SD 2, alpha .90
  ct_kind  community non-clinical, mean 14, SD 2 (the instrument file has clinical 6, SD 2.5)
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from testkit import DATA, REFERENCE

from compassion_scales.analyses.change import change
from compassion_scales.cli import main
from compassion_scales.errors import AnalysisError, InstrumentError
from compassion_scales.norms import apply_norms, load_norms_file, norm_reliability, norm_samples

INST = str(DATA / "change_test_norms.yaml")
NORMS = str(DATA / "change_test_service_norms.yaml")
pytestmark = pytest.mark.filterwarnings("ignore::compassion_scales.analyses.change.NormsWarning")


def test_z_t_percentile_by_hand():
    # clinic_a: mean 10, SD 4. 18 -> z 2, T 70, Phi(2) = .977250; 10 -> 0, 50, 50;
    # 6 -> z -1, T 40, Phi(-1) = .158655; 11 -> z .25, T 52.5, Phi(.25) = .598706
    scores = pd.DataFrame({"client": [1, 2, 3, 4, 5], "ct_fear": [18.0, 10.0, 6.0, 11.0, None]})
    res = apply_norms(scores, INST, "clinic_a", norms_file=NORMS)
    out = res.scores
    assert list(out.columns) == ["client", "ct_fear", "ct_fear_z", "ct_fear_t", "ct_fear_pct"]
    assert out["ct_fear_z"].tolist()[:4] == pytest.approx([2.0, 0.0, -1.0, 0.25])
    assert out["ct_fear_t"].tolist()[:4] == pytest.approx([70.0, 50.0, 40.0, 52.5])
    assert out["ct_fear_pct"].tolist()[:4] == pytest.approx([97.724987, 50.0, 15.865525, 59.870633])
    assert out.iloc[4, 2:].isna().all()  # a missing score stays missing
    assert any("normal approximation" in n for n in res._notes())
    assert res.applied["population"].tolist() == ["clinical"]


def test_scores_without_the_sample_are_listed_not_invented():
    scores = pd.DataFrame({"ct_fear": [18.0], "ct_kind": [10.0]})
    res = apply_norms(scores, INST, "clinic_a", norms_file=NORMS)
    assert "ct_kind_z" not in res.scores.columns
    assert res.not_applied.to_dict("list") == {"score": ["ct_kind"],
                                                "reason": ["no norm sample named 'clinic_a'"]}


def test_unknown_name_lists_the_names():
    with pytest.raises(AnalysisError, match="Named samples available: clinic_a, community, staff_b"):
        apply_norms(pd.DataFrame({"ct_fear": [1.0], "ct_kind": [1.0]}), INST, "nope", norms_file=NORMS)


def test_t_score_norms_never_applied_to_raw_sums():
    # ProQOL CS: the form's mean 50 / SD 10 are t-scores; cscore computes raw sums (10-50)
    with pytest.raises(AnalysisError, match="describes published t_score values"):
        apply_norms(pd.DataFrame({"proqol_cs": [40.0]}), "proqol5", "stamm_2010_t")
    t = norm_samples("proqol5")
    row = t.set_index("name").loc["stamm_2010_t"]
    assert (row["mean"], row["sd"], row["alpha"], row["metric"]) == (50.0, 10.0, 0.88, "t_score")


def test_norms_file_validated_by_the_schema(tmp_path):
    bad = yaml.safe_load(Path(NORMS).read_text())
    bad["norms"]["ct_fear"][0]["population"] = "patients"
    del bad["norms"]["ct_fear"][1]["sd"]
    bad["norms"]["ct_fear"][1]["reliability"][0]["type"] = "omega"
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(bad))
    with pytest.raises(InstrumentError, match="3 problems") as exc:
        load_norms_file(p)
    text = str(exc.value)
    assert "'patients' is not one of" in text and "'sd' is a required property" in text


def test_norms_file_must_match_instrument():
    with pytest.raises(AnalysisError, match="is for instrument 'change_test', not 'fcs'"):
        norm_samples("fcs", NORMS)


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("mean", 100, "norms/ct_fear/clinic_a: mean 100 is outside the possible range of ct_fear (0-16)"),
    ("sd", 40, "norms/ct_fear/clinic_a: SD 40 is larger than the whole range of ct_fear (0-16)"),
])
def test_norm_sample_outside_the_score_range_is_refused(tmp_path, field, value, problem):
    # before: a mean of 100 for a 0-16 score was used as given: every z, T and percentile
    # (and the RCI's clinical cut-offs) were nonsense, exit 0
    bad = yaml.safe_load(Path(NORMS).read_text())
    bad["norms"]["ct_fear"][0][field] = value
    p = tmp_path / "typo.yaml"
    p.write_text(yaml.safe_dump(bad))
    with pytest.raises(AnalysisError) as exc:
        norm_samples(INST, p)
    assert str(exc.value) == (f"The norms file {p} does not fit change_test's scores: {problem}. Check "
                              "the numbers, and that the sample used the same scoring (sum or mean of "
                              "items) as change_test.")
    res = CliRunner().invoke(main, ["norms", "-i", INST, "--norms-file", str(p)])
    assert res.exit_code == 1
    assert res.output == f"Error: {exc.value}\n"


def test_reliability_preference():
    assert norm_reliability(load_norms_file(NORMS).norms["ct_fear"][0]) == (0.75, "test_retest")
    assert norm_reliability(load_norms_file(NORMS).norms["ct_fear"][1]) == (0.9, "alpha")


def test_rci_from_named_norm_sample():
    pre = pd.read_csv(DATA / "change_pre.csv")
    post = pd.read_csv(DATA / "change_post.csv")
    res = change(pre, INST, second_data=post, id="client", norm_sample="clinic_a", norms_file=NORMS)
    p = res.parameters.set_index("score")
    # SD 4, test-retest .75 (preferred over alpha .84): SE = 4 * sqrt(2) * sqrt(.25) = 2.828427
    assert p.loc["ct_fear", "sd"] == 4
    assert p.loc["ct_fear", "reliability"] == 0.75
    assert p.loc["ct_fear", "reliability_coefficient"] == "test_retest"
    assert "test-retest preferred over alpha" in p.loc["ct_fear", "reliability_source"]
    assert p.loc["ct_fear", "se_diff"] == pytest.approx(4 * math.sqrt(2) * 0.5)
    # fear 12 -> 5: RCI = -7 / 2.828427 = -2.474874 (reliable); 12 -> 8: -1.414214 (not)
    fear = res.persons[res.persons["score"] == "ct_fear"]
    assert fear["rci"].tolist()[:2] == pytest.approx([-2.474874, -1.414214])
    assert fear["reliable_change"].tolist()[:2] == ["reliable_improvement", "no_reliable_change"]
    # ct_kind has no sample called clinic_a: published defaults, and the source says so
    assert "no norm sample 'clinic_a' for ct_kind" in p.loc["ct_kind", "sd_source"]


def test_criteria_abc_with_clinical_and_non_clinical_samples():
    # ct_kind, higher is better: clinical 6 (SD 2.5) from the instrument, non-clinical 14 (SD 2)
    # from the norms file. a = 6 + 2*2.5 = 11; b = 14 - 2*2 = 10; c = (2.5*14 + 2*6)/4.5 = 10.444444
    pre = pd.read_csv(DATA / "change_pre.csv")
    post = pd.read_csv(DATA / "change_post.csv")
    res = change(pre, INST, second_data=post, id="client", scores=["ct_kind"], norms_file=NORMS)
    p = res.parameters.iloc[0]
    assert [p["cutoff_a"], p["cutoff_b"], p["cutoff_c"]] == pytest.approx([11, 10, 47 / 4.5])
    assert p["criterion"] == "c"
    # kind 5 -> 12: reliable (7 / 1.767767 = 3.96) and crosses c -> recovered
    # 4 -> 9: RCI 2.83 but 9 < c -> improved; 11 -> 15 (pre already above c) -> improved
    assert res.persons["clinical_change"].tolist() == ["recovered", "unchanged", "deteriorated",
                                                       "improved", "improved"]
    only_a = change(pre, INST, second_data=post, id="client", scores=["ct_kind"], criterion="a")
    assert only_a.parameters.iloc[0]["cutoff_b"] != only_a.parameters.iloc[0]["cutoff_b"]  # NaN


def test_named_sample_missing_everywhere_is_an_error():
    pre = pd.read_csv(DATA / "change_pre.csv")
    post = pd.read_csv(DATA / "change_post.csv")
    with pytest.raises(AnalysisError, match="No score analysed has a usable norm sample named 'x'"):
        change(pre, INST, second_data=post, id="client", norm_sample="x", norms_file=NORMS)


# --------------------------------------------------------------------------- CLI


def test_cli_score_norms(tmp_path):
    res = CliRunner().invoke(main, ["score", str(DATA / "change_pre.csv"), "-i", INST, "--id", "client",
                                    "--norms", "clinic_a", "--norms-file", NORMS, "--format", "csv"])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(pd.io.common.StringIO(res.stdout))
    # fear sums 12, 12, 9, 6, 6, 8 against mean 10, SD 4
    assert out["ct_fear_z"].tolist() == pytest.approx([0.5, 0.5, -0.25, -1, -1, -0.5])
    assert out["ct_fear_t"].tolist() == pytest.approx([55, 55, 47.5, 40, 40, 45])
    assert "ct_kind_z" not in out.columns
    assert "normal approximation" in res.stderr
    assert "ct_kind: no norm columns (no norm sample named 'clinic_a')" in res.stderr


def test_cli_change_norms_and_norms_listing():
    res = CliRunner().invoke(main, ["change", str(DATA / "change_pre.csv"), str(DATA / "change_post.csv"),
                                    "-i", INST, "--id", "client", "--norms", "clinic_a",
                                    "--norms-file", NORMS, "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "test-retest preferred over alpha" in res.stdout
    lst = CliRunner().invoke(main, ["norms", "-i", INST, "--norms-file", NORMS, "--format", "csv"])
    assert lst.exit_code == 0, lst.output
    table = pd.read_csv(pd.io.common.StringIO(lst.stdout))
    named = table.dropna(subset=["name"])
    assert named[["score", "name", "origin"]].values.tolist() == [
        ["ct_fear", "clinic_a", "norms file change_test_service_norms.yaml"],
        ["ct_fear", "staff_b", "norms file change_test_service_norms.yaml"],
        ["ct_kind", "community", "norms file change_test_service_norms.yaml"]]
    bad = CliRunner().invoke(main, ["score", str(DATA / "change_pre.csv"), "-i", INST, "--id", "client",
                                    "--norms", "nope", "--format", "csv"])
    assert bad.exit_code == 1
    assert bad.output.splitlines()[-1].startswith(
        "Error: No score of change_test has a norm sample named 'nope'. Named samples available: none.")


def test_against_r_pnorm():
    """tests/reference/norms_tracking.R (base R pnorm): worst difference below 1e-12."""
    import json

    ref = json.loads((REFERENCE / "norms_tracking.json").read_text())
    scores = pd.DataFrame({"ct_fear": [18.0, 10.0, 6.0, 11.0]})
    out = apply_norms(scores, INST, "clinic_a", norms_file=NORMS).scores
    for col, key in (("ct_fear_z", "z"), ("ct_fear_t", "t"), ("ct_fear_pct", "pct")):
        assert max(abs(a - b) for a, b in zip(out[col], ref[key], strict=True)) < 1e-12, key
