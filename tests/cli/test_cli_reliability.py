"""`cscore reliability` and `cscore retest` (CliRunner)."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import ROOT

from compassion_scales.analyses.reliability import reliability
from compassion_scales.analyses.retest import retest
from compassion_scales.cli import main

REF = ROOT / "tests" / "reference"
BFI = str(REF / "data" / "bfi.csv")
EXAMPLE = str(ROOT / "examples" / "responses.csv")
ALPHA = json.loads((REF / "reliability_alpha_psych.json").read_text())


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_reliability_table_shows_summary_items_and_methods():
    r = run("reliability", BFI, "--items", "A1,A2,A3,A4,A5", "--reverse", "A1", "--n-boot", "200",
            "--seed", "5", "--style", "plain")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.startswith("Reliability (internal consistency)\n")
    assert "0.703" in out and "0.685" in out and "0.720" in out   # psych alpha and Feldt CI
    assert "Missing answers: pairwise" in out
    assert "200 resamples of people, seed 5." in out
    assert "\nItems\n" in out and "alpha_if_dropped" in out


def test_reliability_csv_matches_psych_unrounded():
    r = run("reliability", BFI, "--items", "A1,A2,A3,A4,A5", "--reverse", "A1", "--n-boot", "0",
            "--format", "csv")
    assert r.exit_code == 0, r.output
    df = pd.read_csv(io.StringIO(r.stdout))
    c = ALPHA["bfi_agreeableness"]
    assert df["alpha"].iloc[0] == pytest.approx(c["total"]["raw_alpha"], abs=1e-9)
    assert df["ci_low"].iloc[0] == pytest.approx(c["feldt"]["lower"], abs=1e-9)
    assert "boot_ci_low" not in df.columns


def test_reliability_json_equals_library_with_instrument():
    r = run("reliability", EXAMPLE, "-i", "fcs", "--seed", "3", "--n-boot", "100", "--group",
            "group", "--format", "json")
    assert r.exit_code == 0, r.output
    from compassion_scales.io import read_responses

    lib = reliability(read_responses(EXAMPLE), "fcs", n_boot=100, seed=3, group="group")
    assert json.loads(r.stdout) == json.loads(lib.to_json())
    payload = json.loads(r.stdout)
    assert payload["settings"]["instrument"] == "fcs" and payload["settings"]["seed"] == 3
    assert {row["group"] for row in payload["summary"]} >= {"all"}


def test_reliability_keying_warning_goes_to_stderr():
    r = run("reliability", BFI, "--items", "A1,A2,A3,A4,A5", "--n-boot", "0", "--format", "csv")
    assert r.exit_code == 0
    assert "Warning: Possible keying or coding error: item(s) items:A1" in r.stderr
    assert "Warning" not in r.stdout


def test_reliability_errors_are_one_line():
    r = run("reliability", BFI, "--items", "A1,A2,Z9")
    assert r.exit_code == 1
    assert r.output == ("Error: Item column(s) not in the data: Z9. Check the names "
                        "(they are case-sensitive).\n")
    r = run("reliability", BFI, "--items", "A1", "--n-boot", "0")
    assert r.exit_code == 1
    assert r.output == ("Error: Score 'items': Internal consistency needs at least 2 items, "
                        "but 1 was given (A1).\n")


def test_retest_cli_long_file_json_equals_library():
    r = run("retest", EXAMPLE, "--id", "pid", "--time", "time", "-i", "fcs", "--format", "json")
    assert r.exit_code == 0, r.output
    from compassion_scales.io import read_responses

    lib = retest(read_responses(EXAMPLE), instrument="fcs", id="pid", time="time")
    assert json.loads(r.stdout) == json.loads(lib.to_json())
    assert len(json.loads(r.stdout)["icc"]) == 6 * len(lib.summary)


def test_retest_cli_two_files_table(tmp_path):
    sai1 = REF / "data" / "sai_xray_time1.csv"
    sai2 = REF / "data" / "sai_xray_time2.csv"
    r = run("retest", str(sai1), str(sai2), "--id", "id", "--score", "tense,calm_missing")
    assert r.exit_code == 1
    assert r.output == ("Error: Score column(s) calm_missing are not present at both time "
                        "points.\n")
    out = tmp_path / "retest.csv"
    r = run("retest", str(sai1), str(sai2), "--id", "id", "--score", "tense", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "Test-retest reliability" in r.stdout and "Intraclass correlations" in r.stdout
    assert pd.read_csv(out)["score"].tolist() == ["tense"]


def test_retest_old_options_still_work():
    new = run("retest", EXAMPLE, "--id", "pid", "--time", "time", "--occasions", "1", "2", "-i",
              "fcs", "--level", "0.9", "--format", "json")
    old = run("retest", EXAMPLE, "--id", "pid", "--time", "time", "--times", "1", "2", "-i", "fcs",
              "--ci", "0.9", "--format", "json")
    assert new.exit_code == 0 and old.exit_code == 0, old.output
    assert old.stdout == new.stdout
    assert "Note: --times is now --occasions" in old.stderr and "Note: --ci is now --level" in old.stderr
    sai1, sai2 = REF / "data" / "sai_xray_time1.csv", REF / "data" / "sai_xray_time2.csv"
    old = run("retest", str(sai1), str(sai2), "--id", "id", "--columns", "tense", "--format", "csv")
    new = run("retest", str(sai1), str(sai2), "--id", "id", "--score", "tense", "--format", "csv")
    assert old.exit_code == 0 and old.stdout == new.stdout
    assert "Note: --columns is now --score" in old.stderr


def test_retest_needs_a_second_file_or_time_column():
    r = run("retest", EXAMPLE, "--id", "pid")
    assert r.exit_code == 2
    assert "Give a second file (SECOND_FILE), or --time COL for one long file." in r.output


def test_reliability_old_option_names_still_work_with_a_note():
    """0.1 options --boot, --ci and --nfactors are hidden aliases (#11): same numbers, a note."""
    new = run("reliability", BFI, "--items", "A1,A2,A3,A4,A5", "--reverse", "A1",
              "--n-boot", "200", "--level", "0.9", "--n-factors", "1", "--format", "csv")
    old = run("reliability", BFI, "--items", "A1,A2,A3,A4,A5", "--reverse", "A1",
              "--boot", "200", "--ci", "0.9", "--nfactors", "1", "--format", "csv")
    assert new.exit_code == 0 and old.exit_code == 0, old.output
    assert old.stdout == new.stdout
    for flag, repl in (("--boot", "--n-boot"), ("--ci", "--level"), ("--nfactors", "--n-factors")):
        assert f"Note: {flag} is now {repl}" in old.stderr
    helptext = run("reliability", "--help").output
    assert "--n-boot" in helptext and "--boot" not in helptext.replace("--n-boot", "")
    assert "--ci" not in helptext and "--nfactors" not in helptext


def test_reliability_by_group_skips_a_tiny_group_whose_pairwise_correlations_are_undefined(tmp_path):
    # three people in one arm: some item pairs answered by the same two people, one of whom
    # gave the same answer both times; the group is skipped with a reason, not a LinAlgError
    data = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    few = data["pid"].isin(data["pid"].unique()[:3])
    data["group"] = data["group"].where(~few, "pilot").where(few, "main")
    path = tmp_path / "unequal.csv"
    data.to_csv(path, index=False)
    r = run("reliability", str(path), "-i", "fcs", "--group", "group", "--n-boot", "0")
    assert r.exit_code == 0, r.output
    assert "probably a bug" not in r.output and "LinAlgError" not in r.output
    assert "Group 'pilot' of score 'fcs_self' skipped" in r.output
