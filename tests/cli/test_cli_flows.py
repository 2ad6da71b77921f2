"""`cscore flows` and `cscore compare` (CliRunner): the CLI is a thin layer over the library."""

from __future__ import annotations

import io
import json
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import REFERENCE

from compassion_scales.analyses.compare import compare
from compassion_scales.analyses.flows import flows
from compassion_scales.cli import main

REF = REFERENCE
SAI = str(REF / "data" / "sai_xray.csv")
SAI_INST = str(REF / "data" / "sai_three_flows.yaml")
SAT = str(REF / "data" / "sat_act.csv")


def run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def sai_time1(tmp_path_factory):
    """psychTools::sai XRAY time 1 with a grouping column (odd / even id) for the CLI tests."""
    d = pd.read_csv(SAI)
    d = d[d["time"] == 1].copy()
    d["arm"] = ["odd" if i % 2 else "even" for i in d["id"]]
    path = tmp_path_factory.mktemp("flows") / "sai_t1.csv"
    d.to_csv(path, index=False)
    return str(path), d


def test_flows_table_prints_every_part(sai_time1):
    path, _ = sai_time1
    r = run("flows", path, "-i", SAI_INST, "--group", "arm", "--id", "id")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.startswith("Flows of compassion\n")
    for title in ("Flow scores", "Descriptives", "Mixed ANOVA (Type III sums of squares)",
                  "Sphericity (Mauchly)", "Post hoc comparisons", "Flow inter-correlations",
                  "Correlations compared between groups (Fisher z)"):
        assert f"\n{title}\n" in out
    assert "Missing data: the ANOVA uses complete cases: 179 people, 21 dropped" in out
    assert "Warning: 21 of 200 people were left out of the ANOVA" in r.stderr


def test_flows_csv_equals_library_unrounded(sai_time1):
    path, d = sai_time1
    r = run("flows", path, "-i", SAI_INST, "--group", "arm", "--id", "id", "--anova-type", "1",
            "--format", "csv")
    assert r.exit_code == 0, r.output
    got = pd.read_csv(io.StringIO(r.stdout))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lib = flows(d, SAI_INST, group="arm", id="id", anova_type=1)
    pd.testing.assert_series_equal(got["f"], lib.anova["f"].reset_index(drop=True), check_names=False,
                                   rtol=1e-12)
    assert (got["ss_type"] == 1).all()


def test_flows_old_options_still_work(sai_time1):
    path, _ = sai_time1
    base = ["flows", path, "-i", SAI_INST, "--group", "arm", "--id", "id", "--part", "posthoc",
            "--format", "csv"]
    new = run(*base, "--score", "self=calm_sum", "--score", "to_others=tension_sum",
              "--score", "from_others=worry_sum", "--level", "0.9")
    old = run(*base, "--flow-score", "self=calm_sum,to_others=tension_sum,from_others=worry_sum",
              "--ci", "0.9")
    assert new.exit_code == 0 and old.exit_code == 0, old.output
    assert old.stdout == new.stdout
    assert "Note: --flow-score is now --score" in old.stderr
    assert "Note: --ci is now --level" in old.stderr
    assert "--flow-score" not in run("flows", "--help").output


def test_flows_json_and_part_and_plot(sai_time1, tmp_path):
    path, _ = sai_time1
    png = tmp_path / "profile.png"
    r = run("flows", path, "-i", SAI_INST, "--group", "arm", "--id", "id", "--metric", "pomp",
            "--format", "json", "--plot", str(png))
    assert r.exit_code == 0, r.output
    payload = json.loads(r.stdout)
    assert payload["metric"] == "pomp" and payload["n_dropped"] == 21
    assert {"anova", "posthoc", "correlations", "group_tests", "notes"} <= set(payload)
    assert png.read_bytes()[:4] == b"\x89PNG"
    r = run("flows", path, "-i", SAI_INST, "--group", "arm", "--id", "id", "--part", "posthoc",
            "--format", "csv")
    assert r.exit_code == 0, r.output
    assert pd.read_csv(io.StringIO(r.stdout))["comparison"].nunique() == 2


def test_flows_with_time_uses_mixed_model():
    r = run("flows", SAI, "-i", SAI_INST, "--time", "time", "--id", "id", "--part", "time_tests",
            "--format", "csv")
    assert r.exit_code == 0, r.output
    tt = pd.read_csv(io.StringIO(r.stdout))
    assert len(tt) == 3 and {"z", "p_val", "time_1", "time_2"} <= set(tt.columns)
    r = run("flows", SAI, "-i", SAI_INST, "--time", "time", "--id", "id")
    assert "Linear mixed model: term tests" in r.stdout
    assert "value ~ flow * time + (1 | subject)" in r.stdout


def test_flows_errors_are_one_line(sai_time1):
    path, _ = sai_time1
    r = run("flows", path, "-i", SAI_INST, "--time", "time")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: With a time column, name the person identifier column")
    r = run("flows", path, "-i", SAI_INST, "--group", "arm", "--part", "mixed_model")
    assert r.exit_code == 1 and "There is no mixed_model table" in r.stderr
    r = run("flows", path, "-i", "cbi")
    assert r.exit_code == 1 and "Traceback" not in r.output


def test_compare_csv_equals_library():
    r = run("compare", SAT, "--group", "gender", "--score", "ACT,SATQ", "--format", "csv")
    assert r.exit_code == 0, r.output
    got = pd.read_csv(io.StringIO(r.stdout))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lib = compare(pd.read_csv(SAT), group="gender", scores=["ACT", "SATQ"])
    pd.testing.assert_series_equal(got["g"], lib.tests["g"], check_names=False, rtol=1e-12)
    assert "Warning: Rows with a missing score or group were left out: SATQ: 13." in r.stderr


def test_compare_table_and_output_file(tmp_path):
    out = tmp_path / "cmp.csv"
    r = run("compare", SAT, "--group", "education", "--score", "ACT", "--correction", "bonferroni",
            "-o", str(out))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Group comparison\n")
    assert "\nGroup descriptives\n" in r.stdout
    assert "bonferroni-adjusted across the 1 score(s)" in r.stdout
    assert pd.read_csv(out)["test"].iloc[0] == "welch_anova"


def test_compare_error_is_one_line():
    r = run("compare", SAT, "--group", "arm", "--score", "ACT")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: Grouping column 'arm' is not in the data")


@pytest.fixture(scope="module")
def pre_post(tmp_path_factory):
    """examples/responses.csv with the occasions 1, 2 written as the labels pre, post."""
    from testkit import EXAMPLES

    d = pd.read_csv(EXAMPLES / "responses.csv")
    d["time"] = d["time"].map({1: "pre", 2: "post"})
    path = tmp_path_factory.mktemp("occasions") / "pre_post.csv"
    d.to_csv(path, index=False)
    return str(path)


ORDER_ERROR = ("Error: The time column 'time' holds the text labels 'pre', 'post', which cannot be "
               "put in time order by themselves (alphabetical order is not time order); say which "
               "comes first: list every occasion in time order with occasions=[...] / --occasions "
               "FIRST NEXT ... (e.g. --occasions pre post).\n")


def test_flows_text_occasions_need_occasions_in_time_order(pre_post):
    """--time with pre/post ran every table and plot post first (alphabetical), exit 0."""
    args = ["flows", pre_post, "-i", "ceas", "--group", "group", "--time", "time", "--id", "pid"]
    r = run(*args)
    assert r.exit_code == 1 and r.output == ORDER_ERROR
    r = run(*args, "--occasions", "pre", "--occasions", "post", "--format", "json")
    assert r.exit_code == 0, r.output
    spread = run(*args, "--occasions", "pre", "post", "--format", "json")  # as change/retest/trial
    assert spread.exit_code == 0 and spread.stdout == r.stdout
    out = json.loads(r.stdout)
    assert [row["time"] for row in out["descriptives"]][::6] == ["pre", "post"]
    assert "Occasions of 'time' in time order (as listed in occasions): pre, post." in out["notes"]
    r = run(*args, "--occasions", "pre", "--occasions", "later")
    assert r.exit_code == 1
    assert r.output == ("Error: No rows have time = 'later' (occasions); the values of 'time' are: "
                        "pre, post.\n")


def test_report_text_occasions_need_occasions_in_time_order(pre_post, tmp_path):
    args = ["report", pre_post, "-i", "fcs", "--time", "time", "--id", "pid", "--n-boot", "0", "-q",
            "-o", str(tmp_path / "r.html")]
    r = run(*args)
    assert r.exit_code == 1 and r.output == ORDER_ERROR
    assert not (tmp_path / "r.html").exists()
    r = run(*args, "--occasions", "pre", "post")
    assert r.exit_code == 0, r.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Reliable change from time = pre to post" in page
    prov = json.loads((tmp_path / "r.html.provenance.json").read_text(encoding="utf-8"))
    assert prov["time"] == "time" and prov["occasions"] == ["pre", "post"]


def test_occasions_take_several_labels_and_stop_at_an_existing_file(pre_post, tmp_path, monkeypatch):
    """``--occasions pre post`` reads as in change/retest/trial; a label that names a file in
    the working folder is left as an argument, and the usage error says why."""
    monkeypatch.chdir(tmp_path)
    args = ["flows", "-i", "ceas", "--group", "group", "--time", "time", "--id", "pid",
            "--format", "csv", "--occasions", "pre", "post"]
    before = run(*args, pre_post)  # the input after the labels: an existing file ends them
    assert before.exit_code == 0, before.output
    (tmp_path / "post").write_text("")
    r = run(*args, pre_post)
    assert r.exit_code == 2
    assert "Got unexpected extra argument (" in r.output  # 'post' taken as the input file
    assert ("(a label that is also the name of a file here is read as a file: give it as "
            "--occasions LABEL, once per occasion)") in r.output
