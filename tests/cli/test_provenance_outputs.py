"""Every command that writes a file writes its provenance sidecar.

(The sidecar and the sections of the `change --report-summary` page are checked in
tests/cli/test_cli_change.py, on the same run that checks its plots.)
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from testkit import DATA, EXAMPLES

from compassion_scales.cli import main


def test_change_output_has_provenance(tmp_path):
    out = tmp_path / "change.csv"
    r = CliRunner().invoke(main, ["change", str(DATA / "change_pre.csv"), str(DATA / "change_post.csv"),
                                  "-i", str(DATA / "change_test_norms.yaml"), "--id", "client",
                                  "-o", str(out)])
    assert r.exit_code == 0, r.output
    prov = json.loads(out.with_name("change.csv.provenance.json").read_text())
    assert prov["command"] == "cscore change"
    assert prov["options"]["id"] == "client"
    assert [Path(i["path"]).name for i in prov["inputs"]] == ["change_pre.csv", "change_post.csv"]
    assert all(len(i["sha256"]) == 64 for i in prov["inputs"])
    assert prov["output_sha256"] and "versions" in prov


def test_compare_output_has_provenance(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("g,x\na,1\na,2\na,3\nb,3\nb,4\nb,6\n")
    out = tmp_path / "cmp.xlsx"
    r = CliRunner().invoke(main, ["compare", str(data), "--group", "g", "--score", "x", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.exists()
    assert json.loads(out.with_name("cmp.xlsx.provenance.json").read_text())["inputs"][0]["sha256"]


def test_client_reports_hide_empty_overall_and_explain_criteria(tmp_path):
    import pandas as pd

    import compassion_scales as cs

    pre = pd.read_csv(DATA / "change_pre.csv")
    post = pd.read_csv(DATA / "change_post.csv")
    inst = str(DATA / "change_test_norms.yaml")
    res = cs.change(pre, post, inst, id="client")
    paths = res.report(tmp_path / "with", formats=("md", "html"))
    texts = [p.read_text(encoding="utf-8") for p in paths]
    assert any("Overall" in t for t in texts)           # the test instrument has clinical norms
    assert not any("criterion a" in t or "criterion c" in t for t in texts)
    assert any("halfway between" in t or "two standard deviations" in t for t in texts)
    # without norms (FCS ships none) the Overall column is left out
    d = cs.read_responses("examples/responses.csv")
    res2 = cs.change(d, None, "fcs", id="pid", time="time", pre_time=1, post_time=2,
                     scores=["fcs_self"])
    one = res2.report(tmp_path / "without", formats=("md", "html"))[:2]
    for p in one:
        assert "Overall" not in p.read_text(encoding="utf-8")


def test_score_provenance_names_the_person_id(tmp_path):
    """The provenance's options use the glossary's words: the person is `id` (was `id_cols`)."""
    out = tmp_path / "s.csv"
    res = CliRunner().invoke(main, ["score", str(EXAMPLES / "responses.csv"), "--id", "pid", "--id", "time",
                                    "-o", str(out)])
    assert res.exit_code == 0, res.output
    prov = json.loads((tmp_path / "s.csv.provenance.json").read_text())
    assert prov["options"]["id"] == ["pid", "time"] and "id_cols" not in prov["options"]
