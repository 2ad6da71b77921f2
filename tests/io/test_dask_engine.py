"""A partitioned Parquet dataset scored with Dask equals the in-memory path (#16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from pandas.testing import assert_frame_equal

import compassion_scales as cs
from compassion_scales.cli import main
from compassion_scales.errors import ResponseValidationError

# one xdist worker imports dask and distributed for all these tests (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("dask")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "responses.csv"
IDS = ["pid", "time"]


def _dask() -> tuple[Any, Any]:
    """``dask`` and ``dask.dataframe``, imported when a test runs (not while pytest collects:
    importing dask.dataframe and distributed costs every xdist worker ~2.5 s of CPU)."""
    import dask
    import dask.dataframe as dd

    return dask, dd


def _dataset(folder: Path, data: pd.DataFrame) -> list[Path]:
    """Three Parquet partitions of unequal size."""
    folder.mkdir()
    cuts = [0, 90, 210, len(data)]
    files = []
    for i in range(3):
        f = folder / f"part-{i}.parquet"
        data.iloc[cuts[i]:cuts[i + 1]].to_parquet(f, index=False)
        files.append(f)
    return files


@pytest.fixture(scope="module")
def client():
    """One real in-process LocalCluster, used by the test that scores through it; the other
    tests use the synchronous scheduler, or the CLI's default (threads) as a user gets it."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


@pytest.fixture()
def responses() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE, dtype=str)


@pytest.mark.slow
def test_score_on_dask_frame_equals_in_memory(tmp_path, responses, client) -> None:
    _, dd = _dask()
    _dataset(tmp_path / "data", responses)
    ddf = dd.read_parquet(str(tmp_path / "data"))
    assert ddf.npartitions == 3
    lazy = cs.score(ddf, ["fcs", "ceas"], id=IDS)
    assert isinstance(lazy, dd.DataFrame)
    got = lazy.compute()
    data = ddf.compute()  # the same rows as one pandas frame
    expected = cs.score(data.reset_index(drop=True), ["fcs", "ceas"], id=IDS).scores
    assert_frame_equal(got.reset_index(drop=True), expected)
    assert list(got["pid"]) == list(responses["pid"])  # row order and identifiers kept
    # without instrument: detected once, same answer
    assert_frame_equal(cs.score(ddf, id=IDS).compute().reset_index(drop=True),
                       cs.score(data.reset_index(drop=True), id=IDS).scores)


def test_options_pass_through(responses) -> None:
    dask, dd = _dask()
    with dask.config.set(scheduler="synchronous"):
        ddf = dd.from_pandas(responses, npartitions=4)
        got = cs.score(ddf, "fcs", id=IDS, prorate=0.8, keep="ids").compute()
    expected = cs.score(responses, "fcs", id=IDS, prorate=0.8, keep="ids").scores
    assert_frame_equal(got.astype(expected.dtypes.to_dict()), expected)
    assert list(got.columns) == ["pid", "time", "fcs_others", "fcs_from_others", "fcs_self"]


def test_repeated_identifier_across_partitions_is_one_error(responses) -> None:
    dask, dd = _dask()
    bad = pd.concat([responses, responses.iloc[[5]]], ignore_index=True)
    with dask.config.set(scheduler="synchronous"):
        ddf = dd.from_pandas(bad, npartitions=3)
        with pytest.raises(ResponseValidationError) as err:
            cs.score(ddf, "fcs", id=IDS)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg == ("1 repeated identifier across the partitions (first: row 302, column pid, "
                   "time: identifier P003 / 2 already used in row 7).")
    cases = err.value.failure_cases
    assert cases[["row", "reason"]].values.tolist() == [[302, "duplicate_id"]]


def test_invalid_answer_row_numbers_count_over_the_dataset(responses) -> None:
    dask, dd = _dask()
    bad = responses.copy()
    bad.loc[250, "fcs_self_1"] = "9"
    with dask.config.set(scheduler="synchronous"):
        lazy = cs.score(dd.from_pandas(bad, npartitions=3), "fcs", id=IDS)
        with pytest.raises(ResponseValidationError) as err:
            lazy.compute()
    with pytest.raises(ResponseValidationError) as mem:
        cs.score(bad, "fcs", id=IDS)
    assert err.value.failure_cases["row"].tolist() == mem.value.failure_cases["row"].tolist() == [252]


@pytest.mark.slow
def test_cli_engine_dask_equals_in_memory(tmp_path, responses) -> None:
    files = _dataset(tmp_path / "data", responses)
    whole = tmp_path / "all.parquet"
    responses.to_parquet(whole, index=False)
    runner = CliRunner()
    out_dask, out_mem = tmp_path / "dask.csv", tmp_path / "mem.csv"
    res = runner.invoke(main, ["score", *map(str, files), "--engine", "dask", "--id", "pid",
                               "--id", "time", "-o", str(out_dask)])
    assert res.exit_code == 0, res.output
    assert "Scored 300 rows from 3 file(s) with Dask." in res.output
    res = runner.invoke(main, ["score", str(whole), "--id", "pid", "--id", "time", "-o", str(out_mem)])
    assert res.exit_code == 0, res.output
    assert out_dask.read_bytes() == out_mem.read_bytes()
    # a folder works too, printed as CSV
    res = runner.invoke(main, ["score", str(tmp_path / "data"), "--engine", "dask", "--id", "pid",
                               "--id", "time", "--format", "csv"])
    assert res.exit_code == 0, res.output
    mem = runner.invoke(main, ["score", str(whole), "--id", "pid", "--id", "time", "--format", "csv"])
    assert mem.exit_code == 0, mem.output
    assert res.stdout == mem.stdout


def test_cli_dask_errors_are_one_line(tmp_path, responses) -> None:
    bad = pd.concat([responses, responses.iloc[[0]]], ignore_index=True)
    files = _dataset(tmp_path / "data", bad)
    runner = CliRunner()
    res = runner.invoke(main, ["score", *map(str, files), "--engine", "dask", "--id", "pid",
                               "--id", "time"])
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    # Parquet rows are record numbers (first record = row 1), as in the in-memory path
    assert "row 301, column pid, time: identifier P001 / 1 already used in row 1" in res.output
    res = runner.invoke(main, ["score", *map(str, files)])
    assert res.exit_code == 2
    assert "several files or a folder of Parquet files need --engine dask" in res.output
    res = runner.invoke(main, ["score", str(files[0]), "--engine", "dask", "--ledger", "l.csv"])
    assert res.exit_code == 2
    assert "--ledger cannot be used with --engine dask" in res.output


def test_empty_partitions(responses) -> None:
    dask, dd = _dask()
    with dask.config.set(scheduler="synchronous"):
        ddf = dd.from_pandas(responses, npartitions=3)
        kept = ddf[ddf["pid"] > "P060"]  # the first partition is emptied
        got = cs.score(kept, "fcs", id=IDS).compute()
        expected = cs.score(kept.compute(), "fcs", id=IDS).scores
        assert_frame_equal(got, expected)
        with pytest.raises(cs.ScoringError, match="no rows to score"):
            cs.score(ddf[ddf["pid"] == "nobody"], "fcs", id=IDS)


def test_partly_empty_identifier_of_several_columns(responses) -> None:
    # REDCap repeating instruments: a record's base row has an empty instance; empty counts as
    # a value (the same rule as in memory), so a second base row of one record repeats
    dask, dd = _dask()
    data = responses.iloc[:12].copy()
    data["pid"] = [f"R{k // 3}" for k in range(12)]
    data["time"] = [None, "1", "2"] * 4
    with dask.config.set(scheduler="synchronous"):
        got = cs.score(dd.from_pandas(data, npartitions=3), "fcs", id=IDS).compute()
        expected = cs.score(data, "fcs", id=IDS).scores
        assert_frame_equal(got.astype(expected.dtypes.to_dict()), expected)
        assert got["time"].isna().tolist() == [True, False, False] * 4
        bad = pd.concat([data, data.iloc[[3]]], ignore_index=True)
        with pytest.raises(ResponseValidationError) as err:
            cs.score(dd.from_pandas(bad, npartitions=3), "fcs", id=IDS)
    assert err.value.failure_cases["message"].tolist() == [
        "row 14, column pid, time: identifier R1 / (empty) already used in row 5"]
