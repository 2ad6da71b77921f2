"""`cscore score` and `cscore instruments` through click's runner and a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from testkit import DATA, ROOT

import compassion_scales as cs
from compassion_scales.cli import main

EXAMPLE = ROOT / "examples" / "responses.csv"
TOY = str(DATA / "toy_scale.yaml")


def run(args: list[str]) -> CliRunner.invoke:
    return CliRunner().invoke(main, args, catch_exceptions=False)


def write_fcs_self(path: Path, rows: list[list[object]], ids: list[str] | None = None) -> Path:
    cols = [f"fcs_self_{i}" for i in range(1, 16)]
    df = pd.DataFrame(rows, columns=cols)
    if ids is not None:
        df.insert(0, "pid", ids)
    df.to_csv(path, index=False)
    return path


def test_score_example_file_csv_stdout() -> None:
    res = run(["score", str(EXAMPLE), "--id", "pid", "--id", "time", "--format", "csv"])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(pd.io.common.StringIO(res.stdout))
    src = pd.read_csv(EXAMPLE)
    assert len(out) == len(src)
    assert list(out["pid"]) == list(src["pid"])
    assert "fcs_self" in out.columns


def test_json_output_equals_library_result() -> None:
    res = run(["score", str(EXAMPLE), "-i", "fcs", "--id", "pid", "--id", "time", "--format", "json"])
    assert res.exit_code == 0
    data = cs.read_responses(EXAMPLE, string_columns=["pid", "time"])
    lib = cs.score(data, "fcs", id_cols=["pid", "time"])
    assert json.loads(res.stdout) == json.loads(lib.to_json())


def test_output_file_and_provenance(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    res = run(["score", str(EXAMPLE), "-i", "fcs", "--id", "pid", "--id", "time", "-o", str(out)])
    assert res.exit_code == 0, res.output
    scores = pd.read_csv(out)
    assert len(scores) == 300
    prov = json.loads(Path(str(out) + ".provenance.json").read_text())
    assert prov["rows_read"] == 300 and prov["rows_out"] == 300
    assert prov["instruments"][0]["id"] == "fcs"
    assert len(prov["input"]["sha256"]) == 64
    assert prov["versions"]["pandas"] == pd.__version__
    assert set(prov["scores"]) == {"fcs_others", "fcs_from_others", "fcs_self"}


@pytest.fixture(scope="module")
def example_scores_csv() -> pd.DataFrame:
    """The FCS scores of the example file as printed with --format csv (run once: every format of
    test_round_trip_formats is compared with it)."""
    res = run(["score", str(EXAMPLE), "-i", "fcs", "--id", "pid", "--id", "time", "--format", "csv"])
    assert res.exit_code == 0, res.output
    return pd.read_csv(pd.io.common.StringIO(res.stdout))


@pytest.mark.parametrize("suffix", [".xlsx", ".sav", ".dta", ".parquet", ".tsv"])
def test_round_trip_formats(tmp_path: Path, suffix: str, example_scores_csv: pd.DataFrame) -> None:
    out = tmp_path / f"scores{suffix}"
    res = run(["score", str(EXAMPLE), "-i", "fcs", "--id", "pid", "--id", "time", "-o", str(out)])
    assert res.exit_code == 0, res.output
    back = cs.read_responses(out)
    assert len(back) == 300
    expected = example_scores_csv
    pd.testing.assert_series_equal(back["fcs_self"].astype(float).reset_index(drop=True),
                                   expected["fcs_self"].astype(float), check_names=False)
    assert list(back["pid"].astype(str)) == list(expected["pid"].astype(str))


def test_refuses_to_overwrite_input(tmp_path: Path) -> None:
    f = write_fcs_self(tmp_path / "in.csv", [[1] * 15])
    before = f.read_bytes()
    res = run(["score", str(f), "-o", str(f)])
    assert res.exit_code == 1
    assert res.output == f"Error: {f}: refusing to overwrite the input file; choose another output name.\n"
    assert f.read_bytes() == before


def test_out_of_range_message_pinned(tmp_path: Path) -> None:
    f = write_fcs_self(tmp_path / "bad.csv", [[1] * 15, [1] * 14 + [9]])
    res = run(["score", str(f), "-i", "fcs"])
    assert res.exit_code == 1
    assert res.output == (
        f"Error: {f}: row 3, column fcs_self_15: 9 is outside the response range 0-4\n"
        "1 problem in the data (1 out_of_range). Fix them, or use --on-invalid missing to treat "
        "invalid answers as missing.\n")


def test_text_in_numeric_item(tmp_path: Path) -> None:
    f = write_fcs_self(tmp_path / "bad.csv", [[1] * 14 + ["lots"]])
    res = run(["score", str(f), "-i", "fcs"])
    assert res.exit_code == 1
    assert res.output.startswith(f"Error: {f}: row 2, column fcs_self_15: 'lots' is not a number nor a "
                                 "response label of this item")


def test_on_invalid_missing(tmp_path: Path) -> None:
    f = write_fcs_self(tmp_path / "bad.csv", [[1] * 15, [1] * 14 + [9]])
    res = run(["score", str(f), "-i", "fcs", "--on-invalid", "missing", "--format", "csv"])
    assert res.exit_code == 0
    assert "1 invalid answer(s) were treated as missing" in res.stderr
    out = pd.read_csv(pd.io.common.StringIO(res.stdout))
    assert out["fcs_self"].iloc[0] == 15 and pd.isna(out["fcs_self"].iloc[1])


def test_duplicate_ids(tmp_path: Path) -> None:
    f = write_fcs_self(tmp_path / "dup.csv", [[1] * 15, [2] * 15], ids=["p1", "p1"])
    res = run(["score", str(f), "--id", "pid"])
    assert res.exit_code == 1
    assert res.output.startswith(f"Error: {f}: row 3, column pid: identifier p1 already used in row 2\n")


def test_unknown_id_column(tmp_path: Path) -> None:
    f = write_fcs_self(tmp_path / "x.csv", [[1] * 15])
    res = run(["score", str(f), "--id", "participant"])
    assert res.exit_code == 1
    assert "row 1, column participant: the identifier column is not in the data" in res.output


def test_empty_file(tmp_path: Path) -> None:
    f = tmp_path / "empty.csv"
    f.write_text("")
    res = run(["score", str(f)])
    assert res.exit_code == 1
    assert res.output == f"Error: {f}: the file is empty (no header row and no data).\n"


def test_header_only(tmp_path: Path) -> None:
    f = tmp_path / "h.csv"
    f.write_text("pid,fcs_self_1\n")
    res = run(["score", str(f)])
    assert res.output == f"Error: {f}: the file has a header but no data rows.\n"


def test_wrong_encoding(tmp_path: Path) -> None:
    f = tmp_path / "latin.csv"
    f.write_bytes(("pid," + ",".join(f"fcs_self_{i}" for i in range(1, 16)) + "\n"
                   "Jos\xe9," + ",".join(["1"] * 15) + "\n").encode("latin-1"))
    res = run(["score", str(f)])
    assert res.exit_code == 1
    assert res.output == (f"Error: {f}: row 2: the file is not valid UTF-8 text (byte 0xe9). It was "
                          "probably saved in another encoding; try --encoding latin-1 (or cp1252 for "
                          "Windows Excel exports).\n")
    ok = run(["score", str(f), "--encoding", "latin-1", "--format", "csv"])
    assert ok.exit_code == 0
    assert "José" in ok.stdout


def test_bom_and_semicolon(tmp_path: Path) -> None:
    f = tmp_path / "bom.csv"
    header = ";".join(["pid"] + [f"fcs_self_{i}" for i in range(1, 16)])
    f.write_bytes(b"\xef\xbb\xbf" + (header + "\n" + ";".join(["a"] + ["2"] * 15) + "\n").encode())
    res = run(["score", str(f), "--id", "pid", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[1] == "a,30"  # as -o scores.csv writes it


def test_unknown_instrument() -> None:
    res = run(["score", str(EXAMPLE), "-i", "nope"])
    assert res.exit_code == 1
    assert res.output.startswith("Error: Unknown instrument 'nope'. Shipped instruments: ")


def test_missing_file() -> None:
    res = run(["score", "does-not-exist.csv"])
    assert res.exit_code == 1
    assert res.output == "Error: does-not-exist.csv: no such file.\n"


def test_user_instrument_file(tmp_path: Path) -> None:
    f = tmp_path / "toy.csv"
    pd.DataFrame({"toy_1": [5], "toy_2": [1], "toy_3": [4], "toy_4": [1], "toy_5": [2], "toy_6": [3],
                  "toy_7": [3], "toy_8": [3]}).to_csv(f, index=False)
    res = run(["score", str(f), "--instrument-file", TOY, "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert "toy_a" in res.stdout


def test_map_file(tmp_path: Path) -> None:
    f = tmp_path / "q.csv"
    pd.DataFrame({f"Q{i}": [3] for i in range(1, 16)}).to_csv(f, index=False)
    m = tmp_path / "map.csv"
    pd.DataFrame({"column": [f"Q{i}" for i in range(1, 16)],
                  "item": [f"fcs_self_{i}" for i in range(1, 16)]}).to_csv(m, index=False)
    res = run(["score", str(f), "-i", "fcs", "--map", str(m), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[1] == "45"  # as -o scores.csv writes it


def test_summary_table_styles() -> None:
    for style in ("github", "latex", "html"):
        res = run(["score", str(EXAMPLE), "-i", "fcs", "--summary", "--format", "table", "--fmt", style])
        assert res.exit_code == 0
        assert "fcs" in res.stdout and "possible" in res.stdout


def test_ledger_file(tmp_path: Path) -> None:
    out = tmp_path / "ledger.csv"
    res = run(["score", str(EXAMPLE), "-i", "fcs", "--id", "pid", "--id", "time", "--ledger", str(out),
               "--format", "csv"])
    assert res.exit_code == 0
    ledger = pd.read_csv(out)
    assert len(ledger) == 300 * 3
    assert set(ledger["status"]) <= {"complete", "prorated", "mean_of_answered", "too_few_answered", "no_answers"}


def test_instruments_list_show_validate() -> None:
    res = run(["instruments", "list", "--format", "json"])
    assert res.exit_code == 0
    assert "fcs" in {r["id"] for r in json.loads(res.stdout)}
    show = run(["instruments", "show", "fcs"])
    assert "Fears of Compassion Scales" in show.stdout and "Verification" in show.stdout
    js = json.loads(run(["instruments", "show", "fcs", "--format", "json"]).stdout)
    assert js["id"] == "fcs" and len(js["items"]) == 38
    val = run(["instruments", "validate", str(ROOT / "instruments" / "fcs.yaml"), TOY])
    assert val.exit_code == 0, val.output


def test_validate_reports_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = Path(TOY).read_text().replace("items: [toy_5, toy_6]", "items: [toy_5, toy_99]")
    text = text.replace("id: toy_b\n", "id: toy b\n")
    bad.write_text(text)
    res = run(["instruments", "validate", str(bad)])
    assert res.exit_code == 1
    assert "INVALID" in res.output
    assert res.output.rstrip().endswith("Error: 1 of 1 instrument file(s) are not valid.")


def test_debug_shows_traceback() -> None:
    res = CliRunner().invoke(main, ["--debug", "score", "nope.csv"])
    assert res.exit_code == 1
    assert res.exception is not None and type(res.exception).__name__ == "InputFileError"


def test_real_subprocess(tmp_path: Path) -> None:
    """The error path in a real process: exit status 1, one line on stderr, no traceback.

    The success path of ``score`` in a real process (``-o`` written, status 0) is run by the
    corpus's subprocess cases and the piped-to-head tests (tests/cli/test_corpus.py); here
    it goes through click's runner."""
    out = tmp_path / "s.csv"
    res = run(["score", str(EXAMPLE), "--id", "pid", "--id", "time", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(out)) == 300
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    bad = subprocess.run([sys.executable, "-m", "compassion_scales", "score", str(tmp_path / "none.csv")],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert bad.returncode == 1
    assert bad.stderr == f"Error: {tmp_path / 'none.csv'}: no such file.\n"
    assert "Traceback" not in bad.stderr


def test_many_kept_columns_named_briefly_and_all_written(tmp_path: Path) -> None:
    """A wide survey scored for one instrument: standard error names the first kept columns
    and counts the rest; the output file has every one of them, as they went in."""
    import numpy as np

    inst = cs.load_instrument("scs_sf")
    rng = np.random.default_rng(1)
    data = pd.DataFrame(rng.integers(1, 6, (30, 12)), columns=inst.item_ids)
    for k in range(40):
        data[f"q{k}"] = rng.integers(0, 9, 30)
    data.insert(0, "pid", range(30))
    src, out = tmp_path / "wide.csv", tmp_path / "scores.csv"
    data.to_csv(src, index=False)
    res = CliRunner().invoke(main, ["score", str(src), "-i", "scs_sf", "--id", "pid", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "Kept (not items): pid, q0, q1, q2, q3, q4, q5, q6, q7, q8, q9, q10 and 29 more (41 columns)." \
        in res.stderr
    written = pd.read_csv(out)
    pd.testing.assert_frame_equal(written.drop(columns="scs_sf_total"), data.drop(columns=inst.item_ids))


def test_spss_date_time_columns_in_json_output(tmp_path: Path) -> None:
    # a date of birth (DATE11) and a time (TIME8) beside the items: --format json said "probably
    # a bug in cscore" and -o out.json "cannot be written (Object of type date ...)"
    import datetime as dt
    import decimal

    import pyreadstat

    items = {c: [1.0, 5.0] for c in ("toy_1", "toy_2", "toy_3", "toy_5", "toy_6")}
    frame = pd.DataFrame({"pid": ["001", "002"], "dob": [dt.date(1990, 1, 2), dt.date(1985, 12, 31)],
                          "t": [dt.time(10, 0, 5), dt.time(23, 59, 59)], **items})
    sav = tmp_path / "dates.sav"
    pyreadstat.write_sav(frame, str(sav))
    res = run(["score", str(sav), "--instrument-file", TOY, "--id", "pid", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["scores"]
    assert [(r["pid"], r["dob"], r["t"]) for r in rows] == [("001", "1990-01-02", "10:00:05"),
                                                             ("002", "1985-12-31", "23:59:59")]
    res = run(["score", str(sav), "--instrument-file", TOY, "--id", "pid", "-o", str(tmp_path / "o.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "o.json").read_text())[0]["dob"] == "1990-01-02"
    # a Parquet decimal column keeps its digits, as in CSV output
    pq = tmp_path / "dec.parquet"
    frame.drop(columns=["dob", "t"]).assign(w=[decimal.Decimal("1.10"), None]).to_parquet(pq, index=False)
    res = run(["score", str(pq), "--instrument-file", TOY, "--id", "pid", "-o", str(tmp_path / "d.json")])
    assert res.exit_code == 0, res.output
    assert [r["w"] for r in json.loads((tmp_path / "d.json").read_text())] == ["1.10", None]


def test_many_unused_columns_named_briefly(tmp_path: Path) -> None:
    """--keep ids on a wide export: the note names the first columns left out and counts the
    rest (it listed all of them, a line of 200 kB for 20,000 columns); the provenance file
    still lists every one."""
    import numpy as np

    rng = np.random.default_rng(1)
    data = pd.DataFrame(rng.integers(1, 6, (5, 5)), columns=["toy_1", "toy_2", "toy_3", "toy_5", "toy_6"])
    for k in range(40):
        data[f"q{k}"] = k
    data.insert(0, "pid", range(5))
    src, out = tmp_path / "wide.csv", tmp_path / "scores.csv"
    data.to_csv(src, index=False)
    for extra in ([], ["--stream"]):
        res = CliRunner().invoke(main, ["score", str(src), "--instrument-file", TOY, "--id", "pid",
                                        "--keep", "ids", "-o", str(out), *extra])
        assert res.exit_code == 0, res.output
        assert ("Note: Columns not used: q0, q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11 and 28 more "
                "(40 columns).\n") in res.stderr
        prov = json.loads(Path(f"{out}.provenance.json").read_text())
        assert next(v for k, v in _walk(prov) if k == "unused_columns") == [f"q{k}" for k in range(40)]


def _walk(obj: object):  # (key, value) pairs of a nested JSON object
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k, v
            yield from _walk(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk(v)


@pytest.mark.parametrize("stream", [False, True])
def test_ledger_rows_are_the_file_rows_that_errors_name(tmp_path: Path, stream: bool) -> None:
    """The ledger's ``row`` was the 0-based position (1 for the person the --errors file and
    the messages call row 3): two files of one run, one word, two meanings."""
    src = tmp_path / "in.csv"
    src.write_bytes(b"pid,toy_1,toy_2,toy_3,toy_4\r\na,1,2,3,4\r\nb,9,2,3,4\r\nc,1,2,,4\r\n")
    args = ["score", str(src), "-i", TOY, "--id", "pid", "--on-invalid", "missing", "-o",
            str(tmp_path / "o.csv"), "--ledger", str(tmp_path / "l.csv")]
    # --errors is not a streaming option; the in-memory run shows which row it names
    extra = ["--stream"] if stream else ["--errors", str(tmp_path / "e.csv")]
    res = CliRunner().invoke(main, args + extra)
    assert res.exit_code == 0, res.output
    if not stream:
        assert pd.read_csv(tmp_path / "e.csv")["row"].tolist() == [3]
    ledger = pd.read_csv(tmp_path / "l.csv", dtype={"pid": str})
    assert ledger.drop_duplicates("pid")[["row", "pid"]].values.tolist() == [[2, "a"], [3, "b"], [4, "c"]]
