"""`cscore factors cfa` and `cscore factors invariance` (CliRunner)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import EXAMPLES, REFERENCE

from compassion_scales.analyses.cfa import cfa
from compassion_scales.analyses.invariance import invariance
from compassion_scales.cli import main

REF = REFERENCE
HS = str(REF / "data" / "HolzingerSwineford1939.csv")
HS_MODEL = "visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9"


def run(*args):
    return CliRunner().invoke(main, ["factors", *args])


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("m") / "hs_model.txt"
    p.write_text(HS_MODEL.replace("; ", "\n") + "\n")
    return str(p)


def test_cfa_table_output(model_file):
    r = run("cfa", HS, "--model", model_file, "--mi", "3", "--style", "plain")
    assert r.exit_code == 0, r.output
    out = r.output
    assert out.startswith("Confirmatory factor analysis (ML)\n")
    assert "85.306" in out and "Standardised loadings (std.all)" in out
    assert "Largest modification indices (top 3)" in out and "36.411" in out
    assert "Identification: marker variable (first loading of each factor fixed to 1)." in out
    assert "Missing data: listwise deletion; 301 complete cases used, 0 dropped." in out


def test_cfa_json_equals_library():
    r = run("cfa", HS, "--model", HS_MODEL, "--std-lv", "--format", "json")
    assert r.exit_code == 0, r.output
    lib = cfa(pd.read_csv(HS), HS_MODEL, std_lv=True)
    assert json.loads(r.output) == json.loads(lib.to_json())


def test_cfa_csv_tables_and_output_file(tmp_path):
    r = run("cfa", HS, "--model", HS_MODEL, "--table", "loadings", "--format", "csv")
    assert r.exit_code == 0
    df = pd.read_csv(__import__("io").StringIO(r.output))
    assert list(df.columns) == ["factor", "item", "est", "se", "std_all", "std_se", "p_val"]
    assert len(df) == 9
    out = tmp_path / "mi.csv"
    r = run("cfa", HS, "--model", HS_MODEL, "--table", "mi", "--format", "csv", "-o", str(out))
    assert r.exit_code == 0
    mi = pd.read_csv(out)
    assert (mi.iloc[0]["lhs"], mi.iloc[0]["op"], mi.iloc[0]["rhs"]) == ("visual", "=~", "x9")


def test_cfa_usage_errors():
    r = run("cfa", HS)
    assert r.exit_code == 1
    assert r.output == "Error: Give either -i/--instrument ID or --model FILE_OR_TEXT (exactly one of them).\n"
    r = run("cfa", HS, "--model", "nofile.txt")
    assert r.exit_code == 1
    assert r.output == ("Error: --model 'nofile.txt' is neither a file nor model text such as "
                        "'factor =~ item1 + item2 + item3'.\n")
    r = run("cfa", HS, "--model", "visual =~ x1 + x2 + xx")
    assert r.exit_code == 1
    assert r.output == ("Error: The model names item(s) xx that are not columns of the data. "
                        "Check the spelling in the model against the column headers.\n")


def test_invariance_table_and_json(model_file):
    r = run("invariance", HS, "--model", model_file, "--group", "school", "--configural-rmsea", ".10")
    assert r.exit_code == 0, r.output
    assert "Conclusion: highest level of invariance supported: metric; scalar invariance fails." in r.output
    assert "Partial invariance candidates for the scalar step" in r.output
    r = run("invariance", HS, "--model", HS_MODEL, "--group", "school", "--configural-rmsea", ".1", "--all-steps",
            "--delta-cfi", ".05",
            "--delta-rmsea", ".05", "--format", "json")
    assert r.exit_code == 0
    lib = invariance(pd.read_csv(HS), HS_MODEL, group="school", configural_rmsea=.1, stop_at_failure=False,
                     delta_cfi=.05,
                     delta_rmsea=.05)
    assert json.loads(r.output) == json.loads(lib.to_json())
    assert json.loads(r.output)["highest_level"] == "strict"


def test_invariance_csv_partial():
    r = run("invariance", HS, "--model", HS_MODEL, "--group", "school", "--configural-rmsea", ".1", "--table",
            "partial", "--format", "csv")
    assert r.exit_code == 0
    df = pd.read_csv(__import__("io").StringIO(r.output))
    assert df.iloc[0]["parameter"] == "x3 ~1" and len(df) == 9


def test_invariance_requires_group():
    r = run("invariance", HS, "--model", HS_MODEL)
    assert r.exit_code == 2 and "Missing option '--group'" in r.output
    r = run("invariance", HS, "--model", HS_MODEL, "--group", "nope")
    assert r.exit_code == 1
    assert r.output == "Error: The group column 'nope' is not in the data; choose one of its columns.\n"


def _fcs_like_data(n: int = 300, seed: int = 5) -> pd.DataFrame:
    import numpy as np

    from compassion_scales.instrument import load_instrument

    inst = load_instrument("fcs")
    rng = np.random.default_rng(seed)
    eta = rng.multivariate_normal(np.zeros(3), [[1, .5, .4], [.5, 1, .6], [.4, .6, 1]], size=n)
    cols = {}
    for k, s in enumerate(["fcs_others", "fcs_from_others", "fcs_self"]):
        for it in inst.score_items(s):
            cols[it] = np.clip(np.round(.8 * eta[:, k] + rng.normal(scale=.7, size=n) + 2), 0, 4).astype(int)
    return pd.DataFrame(cols)


def test_cfa_with_instrument(tmp_path):
    pytest.importorskip("compassion_scales.scoring")
    p = tmp_path / "fcs.csv"
    _fcs_like_data().to_csv(p, index=False)
    r = run("cfa", str(p), "-i", "fcs", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["model"].splitlines()[0].startswith("fcs_others =~ fcs_oth_1 + ")
    assert len(d["model"].splitlines()) == 3
    r = run("cfa", str(p), "-i", "fcs", "--score", "fcs_self", "--table", "loadings", "--format", "csv")
    assert r.exit_code == 0
    df = pd.read_csv(__import__("io").StringIO(r.output))
    assert len(df) == 15 and set(df["factor"]) == {"fcs_self"}


def test_cli_module_imports_no_heavy_libraries():
    import subprocess
    import sys

    code = ("import sys, compassion_scales.cli.factors_cfa; "
            "print(sorted(m for m in ('scipy', 'pandas', 'numpy', 'matplotlib', 'factor_analyzer') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cfa_fiml_option():
    bfi = str(REF / "data" / "bfi.csv")
    model = "agree =~ A1 + A2 + A3 + A4 + A5; neuro =~ N1 + N2 + N3 + N4 + N5"
    r = run("cfa", bfi, "--model", model, "--missing", "fiml", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    fit = {row["measure"]: row["value"] for row in d["summary"]}
    assert fit["n_obs"] == 2800
    assert any("full-information ML" in line for line in d["notes"])
    r = run("cfa", bfi, "--model", model, "--missing", "pairwise")
    assert r.exit_code == 2


@pytest.mark.slow
def test_invariance_says_when_the_configural_model_does_not_fit():
    example = str(EXAMPLES / "responses.csv")
    r = run("invariance", example, "-i", "fcs", "--group", "group")
    assert r.exit_code == 0, r.output
    assert ("Conclusion: highest level of invariance supported: none; the configural model does not fit "
            "the data (CFI = 0.885 < 0.9)") in r.output
    assert "strict" not in r.output.split("Conclusion:")[1].split("\n")[0]
