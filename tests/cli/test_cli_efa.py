"""`cscore factors efa` through click's runner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import REFERENCE, ROOT

from compassion_scales.analyses.efa import efa
from compassion_scales.cli import main

REF = REFERENCE
EXAMPLE = ROOT / "examples" / "responses.csv"
ITEMS = [f"{t}{i}" for t in "ACENO" for i in range(1, 6)]


def run(args: list[str]):
    return CliRunner().invoke(main, ["factors", "efa", *args])


@pytest.fixture(scope="module")
def bfi_file(tmp_path_factory) -> Path:
    # all 28 psych::bfi columns; the tests pick the 25 items with --items
    path = tmp_path_factory.mktemp("efa") / "bfi.csv"
    pd.read_csv(REF / "data" / "bfi.csv").to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def bfi_items() -> pd.DataFrame:
    return pd.read_csv(REF / "data" / "bfi.csv")[ITEMS]


def items_args() -> list[str]:
    return ["--items", ",".join(ITEMS[:10]), "--items", ",".join(ITEMS[10:])]


def test_json_equals_library(bfi_file, bfi_items):
    res = run([str(bfi_file), *items_args(), "-n", "5", "--method", "ml", "--rotation", "varimax",
               "--format", "json"])
    assert res.exit_code == 0, res.output
    lib = efa(bfi_items, n_factors=5, method="ml", rotation="varimax")
    assert json.loads(res.stdout) == json.loads(lib.to_json())


def test_csv_is_the_summary(bfi_file, bfi_items):
    res = run([str(bfi_file), *items_args(), "-n", "3", "--format", "csv"])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(pd.io.common.StringIO(res.stdout))
    lib = efa(bfi_items, n_factors=3).summary
    assert list(out.columns) == list(lib.columns)
    np.testing.assert_allclose(out[lib.columns[1:]].to_numpy(), lib[lib.columns[1:]].to_numpy(),
                               atol=1e-12)
    # golden: psych::fa(bfi[1:25], 3) (minres, oblimin)
    g = pd.read_csv(REF / "loadings_minres_oblimin_3_bfi.csv", comment="#")
    np.testing.assert_allclose(out[["factor_1", "factor_2", "factor_3"]].to_numpy(),
                               g[["factor_1", "factor_2", "factor_3"]].to_numpy(), atol=1e-4)


def test_table_output_states_methods_and_missing(bfi_file):
    res = run([str(bfi_file), *items_args(), "-n", "5", "--missing", "listwise"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert out.startswith("Exploratory factor analysis\n")
    assert "rotation: oblimin (oblique)" in out
    assert "listwise deletion, 2436 of 2800 cases used (364 dropped)" in out
    assert "Variance explained\n" in out and "Factor correlations\n" in out


def test_parallel_analysis_when_n_factors_omitted(bfi_file, tmp_path):
    plot = tmp_path / "scree.svg"
    res = run([str(bfi_file), *items_args(), "--n-iter", "5", "--seed", "1", "--plot", str(plot),
               "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["n_factors"] == 6
    assert d["parallel_analysis"]["n_iter"] == 5 and d["parallel_analysis"]["seed"] == 1
    assert plot.read_text().lstrip().startswith("<?xml")


def test_png_plot_and_output_file(bfi_file, tmp_path):
    plot, out = tmp_path / "scree.png", tmp_path / "loadings.csv"
    res = run([str(bfi_file), *items_args(), "-n", "2", "--plot", str(plot), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(pd.read_csv(out).columns[:3]) == ["item", "factor_1", "factor_2"]


def test_unknown_item_is_one_line_error(bfi_file):
    res = run([str(bfi_file), "--items", "A1,A2,nope", "-n", "1"])
    assert res.exit_code == 1
    assert res.output.startswith("Error: Item(s) not found in the data: nope. Available columns: A1,")
    assert res.output.endswith("Check the spelling of --items.\n")


def test_text_columns_error(bfi_file, tmp_path):
    path = tmp_path / "text.csv"
    pd.DataFrame({"a": ["x", "y", "z", "w"], "b": [1, 2, 3, 4], "c": [2, 1, 4, 3]}).to_csv(path, index=False)
    res = run([str(path), "-n", "1"])
    assert res.exit_code == 1
    assert res.output.startswith(f"Error: {path}: row 2, column a: 'x' is not a number\n")
    assert "4 text cell(s) in item columns" in res.output


def test_too_many_factors_error(bfi_file):
    res = run([str(bfi_file), "--items", "A1,A2,A3,A4,A5", "-n", "3"])
    assert res.exit_code == 1
    assert res.output == ("Error: 3 factors cannot be estimated from 5 items: at most 2 (the model "
                          "must have no more parameters than correlations). Ask for fewer factors.\n")


def test_bad_plot_extension(bfi_file, tmp_path):
    res = run([str(bfi_file), "--items", "A1,A2,A3,A4,A5", "-n", "1", "--plot",
               str(tmp_path / "x.pdf")])
    assert res.exit_code == 1
    assert "use a file name ending in .png or .svg" in res.output


def test_instrument_items(tmp_path):
    res = run([str(EXAMPLE), "-i", "fcs", "--score", "fcs_self", "-n", "1", "--format", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert [row["item"] for row in d["summary"]] == [f"fcs_self_{i}" for i in range(1, 16)]


def test_heywood_warning_printed(tmp_path):
    # exact sample correlations r12 = r13 = .8, r23 = .6: one factor needs a loading > 1 on "a"
    r = np.array([[1.0, 0.8, 0.8, 0.5], [0.8, 1.0, 0.6, 0.4], [0.8, 0.6, 1.0, 0.4],
                  [0.5, 0.4, 0.4, 1.0]])
    z = np.random.default_rng(0).normal(size=(300, 4))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True)).T)
    x = z @ np.linalg.cholesky(r).T
    path = tmp_path / "h.csv"
    pd.DataFrame(x, columns=["a", "b", "c", "d"]).to_csv(path, index=False)
    res = run([str(path), "-n", "1", "--method", "pa"])
    assert res.exit_code == 0
    assert "Warning: Heywood case: a has communality" in res.stderr


def test_help_has_example():
    res = run(["--help"])
    assert res.exit_code == 0
    assert "Example:" in res.output and "--n-factors" in res.output


def test_module_import_is_light():
    code = ("import sys; import compassion_scales.cli.factors_efa; "
            "print([m for m in ('factor_analyzer', 'matplotlib', 'scipy.stats', 'sklearn') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
