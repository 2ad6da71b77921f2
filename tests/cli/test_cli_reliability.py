"""`cscore reliability` and `cscore retest` (CliRunner)."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import ROOT

from compassion_scales.cli import main
from compassion_scales.internal_consistency import reliability
from compassion_scales.retest_reliability import retest

REF = ROOT / "tests" / "reference"
BFI = str(REF / "data" / "bfi.csv")
EXAMPLE = str(ROOT / "examples" / "responses.csv")
ALPHA = json.loads((REF / "reliability_alpha_psych.json").read_text())


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_reliability_table_shows_summary_items_and_methods():
    r = run("reliability", BFI, "--items", "A1,A2,A3,A4,A5", "--reverse", "A1", "--boot", "200",
            "--seed", "5", "--style", "plain")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.startswith("Reliability (internal consistency)\n")
    assert "0.703" in out and "0.685" in out and "0.720" in out   # psych alpha and Feldt CI
    assert "Missing answers: pairwise" in out
    assert "200 resamples of people, seed 5." in out
    assert "\nItems\n" in out and "alpha_if_dropped" in out


def test_reliability_csv_matches_psych_unrounded():
    r = run("reliability", BFI, "--items", "A1,A2,A3,A4,A5", "--reverse", "A1", "--boot", "0",
            "--format", "csv")
    assert r.exit_code == 0, r.output
    df = pd.read_csv(io.StringIO(r.stdout))
    c = ALPHA["bfi_agreeableness"]
    assert df["alpha"].iloc[0] == pytest.approx(c["total"]["raw_alpha"], abs=1e-9)
    assert df["ci_low"].iloc[0] == pytest.approx(c["feldt"]["lower"], abs=1e-9)
    assert "boot_ci_low" not in df.columns


def test_reliability_json_equals_library_with_instrument():
    r = run("reliability", EXAMPLE, "-i", "fcs", "--seed", "3", "--boot", "100", "--group",
            "group", "--format", "json")
    assert r.exit_code == 0, r.output
    from compassion_scales.io import read_responses

    lib = reliability(read_responses(EXAMPLE), "fcs", boot=100, seed=3, group="group")
    assert json.loads(r.stdout) == json.loads(lib.to_json())
    payload = json.loads(r.stdout)
    assert payload["settings"]["instrument"] == "fcs" and payload["settings"]["seed"] == 3
    assert {row["group"] for row in payload["summary"]} >= {"all"}


def test_reliability_keying_warning_goes_to_stderr():
    r = run("reliability", BFI, "--items", "A1,A2,A3,A4,A5", "--boot", "0", "--format", "csv")
    assert r.exit_code == 0
    assert "Warning: Possible keying or coding error: item(s) items:A1" in r.stderr
    assert "Warning" not in r.stdout


def test_reliability_errors_are_one_line():
    r = run("reliability", BFI, "--items", "A1,A2,Z9")
    assert r.exit_code == 1
    assert r.output == ("Error: Item column(s) not in the data: Z9. Check the names "
                        "(they are case-sensitive).\n")
    r = run("reliability", BFI, "--items", "A1", "--boot", "0")
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
    r = run("retest", str(sai1), str(sai2), "--id", "id", "--columns", "tense,calm_missing")
    assert r.exit_code == 1
    assert r.output == ("Error: Score column(s) calm_missing are not present at both time "
                        "points.\n")
    out = tmp_path / "retest.csv"
    r = run("retest", str(sai1), str(sai2), "--id", "id", "--columns", "tense", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "Test-retest reliability" in r.stdout and "Intraclass correlations" in r.stdout
    assert pd.read_csv(out)["score"].tolist() == ["tense"]


def test_retest_needs_a_second_file_or_time_column():
    r = run("retest", EXAMPLE, "--id", "pid")
    assert r.exit_code == 2
    assert "Give a second file (TIME2), or --time COL for one long file." in r.output
