"""`cscore change` and `cscore trial` through click's runner."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import DATA, REFERENCE, nonempty

from compassion_scales.analyses.change import change
from compassion_scales.cli import main
from compassion_scales.io import read_responses

REF = REFERENCE
INST = str(DATA / "change_test_norms.yaml")
PRE, POST, LONG = (str(DATA / f"change_{n}.csv") for n in ("pre", "post", "long"))


def run(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.fixture
def score_files(tmp_path: Path) -> tuple[str, str]:
    """Pre/post files holding score columns only (hand-checked in tests/analyses/test_change.py)."""
    pre = pd.DataFrame({"client": [1, 2, 3, 4, 5, 6], "ct_fear": [12, 12, 9, 6, 6, 8]})
    post = pd.DataFrame({"client": [1, 2, 3, 4, 5, 7], "ct_fear": [5, 8, 7, 11, 2, 4]})
    a, b = tmp_path / "pre.csv", tmp_path / "post.csv"
    pre.to_csv(a, index=False)
    post.to_csv(b, index=False)
    return str(a), str(b)


def test_json_equals_library(score_files):
    pre, post = score_files
    res = run(["change", pre, post, "-i", INST, "--id", "client", "--score", "ct_fear",
               "--format", "json"])
    assert res.exit_code == 0, res.output
    lib = change(read_responses(pre, string_columns=["client"]), INST,
                 second_data=read_responses(post, string_columns=["client"]), id="client",
                 scores=["ct_fear"])
    assert json.loads(res.stdout) == json.loads(lib.to_json())
    out = json.loads(res.stdout)
    # hand-computed: SE_diff = 3*sqrt(2)*0.4; client 1: 12 -> 5
    assert out["summary"][0]["rci"] == pytest.approx(-7 / (3 * math.sqrt(2) * 0.4))
    assert [r["clinical_change"] for r in out["summary"]] == [
        "recovered", "improved", "unchanged", "deteriorated", "improved"]
    assert out["unmatched"] == [{"id": "6", "found_in": "pre only"},
                                {"id": "7", "found_in": "post only"}]


def test_table_output_states_sources_and_unmatched(score_files):
    pre, post = score_files
    res = run(["change", pre, post, "-i", INST, "--id", "client", "--score", "ct_fear"])
    assert res.exit_code == 0, res.output
    assert "reliability 0.84 [alpha] (published: test data" in res.stdout
    assert "clinical cut-off (criterion c) = 6.4" in res.stdout
    assert "Unmatched ids (before only, no change computed): 6" in res.stdout
    assert "Group summary" in res.stdout


def test_explicit_reliability_and_sd(score_files):
    pre, post = score_files
    res = run(["change", pre, post, "-i", INST, "--id", "client", "--score", "ct_fear",
               "--reliability", "ct_fear=0.9", "--sd", "4", "--format", "json"])
    assert res.exit_code == 0, res.output
    p = json.loads(res.stdout)["parameters"][0]
    assert p["reliability"] == 0.9 and p["sd"] == 4.0 and p["sd_source"] == "given"
    assert p["se_diff"] == pytest.approx(4 * math.sqrt(2) * math.sqrt(0.1))


def test_bad_reliability_value(score_files):
    pre, post = score_files
    res = run(["change", pre, post, "-i", INST, "--id", "client", "--reliability", "high"])
    assert res.exit_code == 2
    assert "'high' is not a number or SCORE=NUMBER" in res.output


def test_no_norms_message_for_fcs(tmp_path):
    items = [f"fcs_oth_{i}" for i in range(1, 11)]
    pd.DataFrame({"client": ["a", "b"], **{c: [3, 2] for c in items}}).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame({"client": ["a", "b"], **{c: [1, 2] for c in items}}).to_csv(tmp_path / "b.csv", index=False)
    res = run(["change", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "-i", "fcs",
               "--id", "client", "--score", "fcs_others", "--sd", "6"])
    assert res.exit_code == 0, res.output
    assert ("no published clinical or non-clinical norms for fcs_others; clinical cut-offs "
            "(criteria a, b, c) not computed.") in res.stdout
    assert "reliability 0.72 [alpha] (published: Gilbert et al. 2011" in res.stdout


def test_long_form_items_plot_report_output(tmp_path):
    out = tmp_path / "change.csv"
    res = run(["change", LONG, "-i", INST, "--id", "client", "--time", "session", "--occasions", "1",
               "12", "--plot", str(tmp_path / "jt.svg"), "--report", str(tmp_path / "rep"),
               "--report-format", "md", "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out)
    assert len(table) == 15  # 5 matched clients x 3 scores
    assert table.loc[table["score"] == "ct_kind", "clinical_change"].tolist() == [
        "recovered", "unchanged", "deteriorated", "improved", "recovered"]
    assert (tmp_path / "jt.svg").read_text().lstrip().startswith("<?xml")
    assert sorted(p.name for p in (tmp_path / "rep").iterdir()) == [f"client_{i}.md" for i in range(1, 6)]
    two = run(["change", PRE, POST, "-i", INST, "--id", "client", "--format", "csv"])
    assert two.exit_code == 0, two.output
    assert two.stdout == res.stdout
    old = run(["change", LONG, "-i", INST, "--id", "client", "--time", "session", "--from", "1",
               "--to", "12", "--format", "csv"])
    assert old.exit_code == 0, old.output
    assert old.stdout == res.stdout
    assert "Note: --from/--to are now --occasions FIRST SECOND" in old.stderr
    summary = tmp_path / "summary.html"
    res = run(["change", PRE, POST, "-i", INST, "--id", "client", "--report-summary", str(summary)])
    assert res.exit_code == 0, res.output
    page = summary.read_text(encoding="utf-8")
    assert page.count("<figure><svg") == 3  # one Jacobson-Truax plot per score
    assert "Reliable change (Jacobson-Truax RCI)" in page and "What the classification used" in page
    assert summary.with_name("summary.html.provenance.json").exists()
    assert "FutureWarning" not in res.stderr and "plot(path)" not in res.stderr
    half = run(["change", LONG, "-i", INST, "--id", "client", "--time", "session", "--from", "1"])
    assert half.exit_code == 2 and "Give both --from and --to" in half.output


def test_usage_errors(score_files):
    pre, post = score_files
    res = run(["change", pre, "-i", INST, "--id", "client"])
    assert res.exit_code == 2 and "With one file, give --time COL --occasions BEFORE AFTER" in res.output
    res = run(["change", pre, post, "--id", "client"])
    assert res.exit_code == 2 and "Give -i INSTRUMENT, or name score columns" in res.output
    res = run(["change", pre, post, "-i", INST, "--id", "client", "--plot", "x.pdf"])
    assert res.exit_code == 2 and "use a .png or .svg file name" in res.output


def test_library_error_is_one_line(score_files):
    pre, post = score_files
    res = run(["change", pre, post, "-i", INST, "--id", "pid"])
    assert res.exit_code == 1
    assert res.output.startswith("Error: The id column 'pid' is not in the before (pre) data")
    assert res.output.count("\n") == 1


def test_trial_cli_matches_r(tmp_path):
    out = tmp_path / "trial.csv"
    res = run(["trial", str(REF / "data" / "anorexia_long.csv"), "--score", "weight", "--arm", "arm",
               "--time", "time", "--occasions", "pre", "post", "--id", "id",
               "--reference", "Cont", "--format", "json", "-o", str(out)])
    assert res.exit_code == 0, res.output
    old = run(["trial", str(REF / "data" / "anorexia_long.csv"), "--score", "weight", "--arm", "arm",
               "--time", "time", "--baseline-time", "pre", "--follow-up-time", "post", "--id", "id",
               "--reference", "Cont", "--format", "json"])
    assert old.exit_code == 0 and old.stdout == res.stdout
    assert "Note: --baseline-time/--follow-up-time are now --occasions" in old.stderr
    missing = run(["trial", str(REF / "data" / "anorexia_long.csv"), "--score", "weight", "--arm",
                   "arm", "--time", "time", "--id", "id"])
    assert missing.exit_code == 2 and "Missing option '--occasions'" in missing.output
    got = {r["arm"]: r for r in json.loads(res.stdout)["ancova"]}
    gold = pd.read_csv(REF / "trial_ancova_anorexia.csv")
    for row in nonempty(gold, "rows in trial_ancova_anorexia.csv").itertuples(index=False):
        assert got[row.arm]["diff"] == pytest.approx(row.diff, rel=1e-9)
        assert got[row.arm]["ci_low"] == pytest.approx(row.ci_low, rel=1e-9)
    assert list(pd.read_csv(out)["arm"]) == ["CBT", "FT"]


def test_trial_cli_reports_missing(tmp_path):
    # R writes missing values as NA; cscore never reads text as missing silently (issue 10)
    src = (REF / "data" / "baumann_long.csv").read_text()
    refused = tmp_path / "baumann_na.csv"
    refused.write_text(src)
    res = run(["trial", str(refused), "--score", "test1", "--arm", "group", "--time", "time",
               "--occasions", "T0", "T1", "--id", "id"])
    assert res.exit_code == 1 and "column test1: 'NA' is not a number" in res.output
    assert 'write.csv(..., na = "")' in res.output
    blank = tmp_path / "baumann.csv"
    blank.write_text(src.replace(",NA", ","))
    res = run(["trial", str(blank), "--score", "test1", "--arm", "group",
               "--time", "time", "--occasions", "T0", "T1", "--id", "id"])
    assert res.exit_code == 0, res.output
    assert "Warning: test1: 3 participant(s) with a baseline score have no follow-up score" in res.stderr
    assert "test1, arm Basal: 1 of 22 with a baseline score have no follow-up score (4.5%)." in res.stdout
    assert "complete-case analysis" in res.stdout


def test_help_has_example():
    for cmd in ("change", "trial"):
        res = run([cmd, "--help"])
        assert res.exit_code == 0 and "Example:" in res.output


def test_report_count_equals_files_written(tmp_path):
    # issue 10: "a/b", "a_b", "a b" and "JD"/"jd" overwrote each other's reports
    ids = ["a/b", "a_b", "a b", "JD", "jd"]
    pd.DataFrame({"client": ids, "s": [10, 11, 12, 13, 14]}).to_csv(tmp_path / "pre.csv", index=False)
    pd.DataFrame({"client": ids, "s": [1, 2, 3, 4, 5]}).to_csv(tmp_path / "post.csv", index=False)
    rep = tmp_path / "rep"
    res = CliRunner().invoke(main, ["change", str(tmp_path / "pre.csv"), str(tmp_path / "post.csv"),
                                    "--id", "client", "--score", "s", "--sd", "3",
                                    "--reliability", "0.8", "--higher-is", "worse",
                                    "--report", str(rep), "--format", "csv"])
    assert res.exit_code == 0, res.output
    written = list(rep.iterdir())
    assert len(written) == 10 and len({p.name.casefold() for p in written}) == 10
    assert f"Wrote 10 report file(s) to {rep}" in res.stderr


@pytest.fixture
def padded_ids(tmp_path: Path) -> tuple[str, str]:
    """Before: ids '001'...'150' as text; after: the same ids saved as numbers (1...150), as
    when one export went through Excel, which drops the leading zeros."""
    data = pd.read_csv(Path(__file__).parents[2] / "examples" / "responses.csv", dtype=str,
                       keep_default_na=False)
    cols = ["pid", *[c for c in data.columns if c.startswith("fcs_")]]
    pre = data.loc[data["time"] == "1", cols].assign(pid=lambda f: f["pid"].str[1:])
    post = data.loc[data["time"] == "2", cols].assign(pid=lambda f: f["pid"].str[1:].astype(int))
    pre.to_csv(tmp_path / "pre.csv", index=False)
    post.to_csv(tmp_path / "post.csv", index=False)
    return str(tmp_path / "pre.csv"), str(tmp_path / "post.csv")


@pytest.mark.parametrize("command", ["change", "retest"])
def test_ids_differing_only_by_leading_zeros_between_files_are_an_error(padded_ids, command):
    # only 51 of 150 people would pair (100...150): ids pair as text ('007' is not 7, pinned in
    # tests/analyses/test_change.py). This was a warning with exit 0 and a third of the sample;
    # it is now one line and exit 1, before any result is written
    r = CliRunner().invoke(main, [command, *padded_ids, "-i", "fcs", "--id", "pid"])
    assert r.exit_code == 1, r.output
    assert r.stderr == ("Error: 99 pid values differ between the two occasions only by leading zeros "
                        "(e.g. '001' before and '1' after), so those people cannot be paired: one file "
                        "probably stores the ids as numbers (Excel drops leading zeros). Write the ids "
                        "the same way in both files.\n")


def test_change_with_no_client_measured_at_both_occasions_is_an_error(tmp_path: Path):
    # every CEAS item blank (the survey skipped the instrument): with --sd/--reliability given
    # this printed 1350 rows of "post score missing" and exited 0 with no change at all
    data = pd.read_csv(Path(__file__).parents[2] / "examples" / "responses.csv", dtype=str,
                       keep_default_na=False)
    data = data.assign(**{c: "" for c in data.columns if c.startswith("ceas_")})
    path = tmp_path / "no_ceas.csv"
    data.to_csv(path, index=False)
    r = CliRunner().invoke(main, ["change", str(path), "-i", "ceas", "--id", "pid", "--time", "time",
                                  "--occasions", "1", "2", "--sd", "1", "--reliability", "0.8"])
    assert r.exit_code == 1, r.output
    assert "No client has both a before and an after score" in r.output, r.output
