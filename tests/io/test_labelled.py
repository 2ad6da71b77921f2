"""Labelled .sav/.dta/.parquet outputs (read back with pyreadstat / pyarrow) and score bands."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from compassion_scales.cli import main
from compassion_scales.instrument import load_instrument
from compassion_scales.reporting.labelled import read_metadata
from compassion_scales.score_bands import add_bands


@pytest.fixture(scope="module")
def proqol_csv(tmp_path_factory):
    inst = load_instrument("proqol5")
    rng = np.random.default_rng(7)
    data = pd.DataFrame(rng.integers(1, 6, size=(40, len(inst.item_ids))), columns=inst.item_ids)
    # one person at each end so that every band occurs
    data.iloc[0] = 1
    data.iloc[1] = 5
    data.insert(0, "pid", [f"P{i:03d}" for i in range(40)])
    path = tmp_path_factory.mktemp("proqol") / "proqol.csv"
    data.to_csv(path, index=False)
    return path


def _score(path, out, *extra):
    r = CliRunner().invoke(main, ["score", str(path), "-i", "proqol5", "--id", "pid", "-o", str(out),
                                  *extra])
    assert r.exit_code == 0, r.output
    return r


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_stata_round_trip_labels(tmp_path, proqol_csv, suffix):
    import pyreadstat

    out = tmp_path / f"scores{suffix}"
    _score(proqol_csv, out, "--bands")
    reader = pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta
    df, meta = reader(str(out))
    labels = meta.column_names_to_labels
    assert labels["proqol_cs"] == "Compassion satisfaction (ProQOL 5)"
    assert labels["proqol_cs_band"] == "Compassion satisfaction (ProQOL 5): self-score raw-sum bands"
    assert labels["pid"] == "Identifier"
    vl = meta.variable_value_labels["proqol_bo_band"]
    assert {int(k): v for k, v in vl.items()} == {1: "low", 2: "moderate", 3: "high"}
    # codes agree with the scores: <= 22 low, 23-41 moderate, >= 42 high
    cs, band = df["proqol_cs"], df["proqol_cs_band"]
    assert ((cs <= 22) == (band == 1)).all() and ((cs >= 42) == (band == 3)).all()
    assert set(band.dropna()) == {1.0, 2.0, 3.0}
    if suffix == ".sav":
        assert meta.variable_measure["proqol_cs"] == "scale"
        assert meta.variable_measure["proqol_cs_band"] == "ordinal"
        assert meta.variable_measure["pid"] == "nominal"
    assert "ProQOL 5" in meta.file_label
    prov = json.loads(out.with_name(out.name + ".provenance.json").read_text())
    assert prov["bands"][0]["column"] == "proqol_cs_band"
    assert "jotform" in prov["bands"][0]["source"]
    assert read_metadata(out).value_labels["proqol_cs_band"][2] == "moderate"


def test_parquet_keeps_labels_in_schema(tmp_path, proqol_csv):
    import pyarrow.parquet as pq

    out = tmp_path / "scores.parquet"
    _score(proqol_csv, out, "--bands")
    schema = pq.read_schema(str(out))
    assert schema.field("proqol_sts").metadata[b"description"] == \
        b"Secondary traumatic stress (ProQOL 5)"
    meta = read_metadata(out)
    assert meta.measure["proqol_sts_band"] == "ordinal"
    assert meta.value_labels["proqol_sts_band"] == {1: "low", 2: "moderate", 3: "high"}
    back = pd.read_parquet(out)
    assert set(back["proqol_cs_band"].dropna()) <= {"low", "moderate", "high"}


def test_labels_without_bands(tmp_path, proqol_csv):
    out = tmp_path / "scores.sav"
    _score(proqol_csv, out)
    meta = read_metadata(out)
    assert "proqol_cs_band" not in meta.variable_labels
    assert meta.variable_labels["proqol_bo"] == "Burnout (ProQOL 5)"


def test_band_assignment_edges():
    df = pd.DataFrame({"proqol_cs": [9.0, 10, 22, 22.5, 23, 41.9, 42, 50, 51, np.nan],
                       "miss_hp_total": [35.9, 36, 60, 10, 0, 1, 2, 3, 4, np.nan]})
    out, used = add_bands(df, ["proqol5", "miss_hp"])
    assert out["proqol_cs_band"].tolist() == [None, "low", "low", "low", "moderate", "moderate",
                                              "high", "high", None, None]
    assert out["miss_hp_total_band"].iloc[:2].tolist() == [
        "below cut-off (< 36)", "clinically significant moral injury symptoms (screen positive)"]
    assert [b.column for b in used] == ["proqol_cs_band", "miss_hp_total_band"]
    assert list(out.columns) == ["proqol_cs", "proqol_cs_band", "miss_hp_total", "miss_hp_total_band"]


def test_bands_on_stdout(proqol_csv):
    r = CliRunner().invoke(main, ["score", str(proqol_csv), "-i", "proqol5", "--id", "pid", "--bands",
                                  "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert "proqol_cs_band" in r.stdout.splitlines()[0]
