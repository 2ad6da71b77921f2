"""`cscore factors cfa --ordered / --estimator WLSMV|ULSMV` (CliRunner)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import REFERENCE

from compassion_scales.analyses.cfa import cfa
from compassion_scales.cli import main

REF = REFERENCE
HS_ORD = str(REF / "data" / "hs_ordinal.csv")
HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"


def run(*args):
    return CliRunner().invoke(main, ["factors", *args])


@pytest.fixture(scope="module")
def wlsmv_json():
    r = run("cfa", HS_ORD, "--model", HS_MODEL, "--ordered", "--format", "json", "--table", "estimates")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_ordered_table_output():
    r = run("cfa", HS_ORD, "--model", HS_MODEL, "--ordered", "--style", "plain")
    assert r.exit_code == 0, r.output
    out = r.output
    assert out.startswith("Confirmatory factor analysis of ordinal items (WLSMV)\n")
    # lavaan: chisq 44.653, chisq.scaled 65.432, scaling factor 0.735
    assert "44.653" in out and "65.432" in out and "0.735" in out
    assert "delta parameterisation" in out
    assert "Categorical omega (Green & Yang, 2009): visual = 0.620, textual = 0.854, speed = 0.606." in out
    assert "Consider the ordinal estimator" not in out


def test_json_equals_library(wlsmv_json):
    lib = cfa(pd.read_csv(HS_ORD), HS_MODEL, ordered=True)
    assert wlsmv_json["fit"] == pytest.approx(lib.fit)
    assert wlsmv_json["notes"] == lib._notes()


def test_ulsmv_and_theta():
    r = run("cfa", HS_ORD, "--model", HS_MODEL, "--estimator", "ulsmv", "--parameterization", "theta",
            "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    ref = json.loads((REF / "cfa_ordinal_ulsmv_marker_hs.json").read_text())
    assert d["fit"]["chisq_scaled"] == pytest.approx(ref["fit"]["chisq.scaled"], rel=1e-6)
    assert any("theta parameterisation" in n for n in d["notes"])


def test_threshold_and_omega_tables():
    r = run("cfa", HS_ORD, "--model", HS_MODEL, "--ordered", "--table", "thresholds", "--format", "csv")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == "item,threshold,est"
    assert len(r.output.splitlines()) == 1 + 23
    r = run("cfa", HS_ORD, "--model", HS_MODEL, "--ordered", "--table", "omega", "--format", "csv")
    assert r.output.splitlines()[0] == "factor,omega"


def test_ml_output_suggests_ordinal_estimator():
    r = run("cfa", HS_ORD, "--model", HS_MODEL)
    assert r.exit_code == 0, r.output
    assert r.output.rstrip().endswith(
        "The items have at most 4 answer categories; ML treats them as continuous. Consider the ordinal "
        "estimator (--ordered --estimator WLSMV; cfa(..., ordered=True) in Python).")
    cont = str(REF / "data" / "HolzingerSwineford1939.csv")
    r = run("cfa", cont, "--model", HS_MODEL)
    assert "Consider the ordinal estimator" not in r.output


def test_cli_errors():
    r = run("cfa", HS_ORD, "--model", HS_MODEL, "--ordered", "--estimator", "ML")
    assert r.exit_code == 1
    assert r.output == ("Error: --ordered needs an ordinal estimator: use --estimator WLSMV or ULSMV "
                        "(or drop --ordered).\n")
    r = run("cfa", HS_ORD, "--model", HS_MODEL, "--table", "omega")
    assert r.exit_code == 1
    assert r.output.startswith("Error: --table omega is only available for ordinal models")
