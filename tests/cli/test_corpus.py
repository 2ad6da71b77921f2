"""Run the bad-input corpus (tests/corpus/) through the CLI.

Every case: the exit code; the message names the file/row/column/value it lists; no
traceback and no "probably a bug"; on failure no output and no temporary file left
behind; on success the scores equal the hand computation and the non-item columns come
out exactly as they went in. A few cases also run in a real subprocess.
"""

from __future__ import annotations

import csv
import io
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from testkit import CORPUS, ROOT, nonempty

from compassion_scales.cli import main

sys.path.insert(0, str(CORPUS))

import make_corpus  # noqa: E402

CASES = nonempty(make_corpus.all_cases(), "corpus cases (tests/corpus/cases_*.py)")


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def read_output(path: Path) -> tuple[list[str], list[list[str | None]]]:
    """The output as text cells (None = empty), whatever its format."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        text = path.read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter="," if suffix == ".csv" else "\t"))
        return rows[0], [[c if c != "" else None for c in r] for r in rows[1:]]
    from compassion_scales.io import read_responses

    frame = read_responses(path)
    cells = frame.astype(object).where(frame.notna(), None).values.tolist()
    return [str(c) for c in frame.columns], [[None if v is None else str(v) for v in r] for r in cells]


def run_case(case: make_corpus.Case, folder: Path) -> tuple[int, str]:
    argv = case.argv(folder)
    if case.subprocess:
        proc = subprocess.run([sys.executable, "-m", "compassion_scales", *argv], input=case.stdin,
                              capture_output=True, cwd=folder, timeout=300)
        return proc.returncode, proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
    res = CliRunner().invoke(main, argv, input=case.stdin)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.output


def test_corpus_size() -> None:
    reading = make_corpus.cases_of(CORPUS / "cases_read.py")
    assert len(reading) >= 150, len(reading)
    assert sum(c.exit_code != 0 for c in reading) >= 100
    assert sum(c.subprocess for c in CASES) >= 4


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: make_corpus.Case, tmp_path: Path) -> None:
    folder = tmp_path / "case"
    case.materialise(folder)
    before = files_under(folder)
    code, output = run_case(case, folder)
    assert code == case.exit_code, output
    assert "Traceback" not in output and "probably a bug" not in output, output
    for text in case.expected_text(folder):
        assert text in output, f"{text!r} not in:\n{output}"
    created = files_under(folder) - before
    assert not [f for f in created if Path(f).name.startswith(".")], created  # no temp files
    for name in case.absent:
        assert name not in created, created
    if case.exit_code != 0:
        allowed = {"errors.csv"}
        assert created <= allowed, created
        return
    if case.scores is None and case.kept is None:
        return
    header, rows = read_output(folder / case.out)
    for col, expected in (case.scores or {}).items():
        got = [r[header.index(col)] for r in rows]
        assert len(got) == len(expected), (col, got, expected)
        for g, e in zip(got, expected, strict=True):
            if e is None:
                assert g is None, (col, got, expected)
            else:
                assert g is not None and math.isclose(float(g), e, rel_tol=1e-12), (col, got, expected)
    for col, expected_text in (case.kept or {}).items():
        got_text = [r[header.index(col)] for r in rows]
        assert got_text == expected_text, (col, got_text, expected_text)


def test_errors_file_lists_every_problem(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "errors_file_on_failure")
    folder = tmp_path / "case"
    case.materialise(folder)
    code, output = run_case(case, folder)
    assert code == 1
    text = (folder / "errors.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["row"], r["column"], r["value"], r["reason"]) for r in rows] == [
        ("2", "toy_3", "9", "out_of_range"), ("3", "toy_2", "x", "unknown_label")]
    assert list(rows[0]) == ["row", "column", "item", "value", "reason", "message"]


def test_make_corpus_script_writes_every_case(tmp_path: Path) -> None:
    assert make_corpus.main([str(tmp_path)]) == 0
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == len(CASES)


def test_head_closes_the_pipe_quietly(tmp_path: Path) -> None:
    """`cscore score ... | head -1` ends quietly: no traceback, status 0 or 141."""
    src = tmp_path / "big.csv"
    rows = [["pid", *make_corpus.TOY_ITEMS]] + [[f"P{k}", 1, 2, 3, 4, 5] for k in range(60000)]
    src.write_bytes(make_corpus.csv_bytes(rows))
    cmd = (f"{sys.executable} -m compassion_scales score {src} --instrument-file {make_corpus.TOY} "
           "--format csv | head -1; echo \"status=${PIPESTATUS[0]}\"")
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, timeout=300,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert out.splitlines()[0].startswith("pid,")
    status = out.strip().splitlines()[-1]
    assert status in ("status=0", "status=141"), (out, err)
    assert "Traceback" not in err and "Error" not in err and "BrokenPipe" not in err, err


def test_examples_file_piped_to_head(tmp_path: Path) -> None:
    root = ROOT
    cmd = (f"{sys.executable} -m compassion_scales score {root / 'examples' / 'responses.csv'} "
           "--id pid --id time --format csv | head -1")
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, timeout=300)
    assert proc.stdout.decode().startswith("pid,")
    assert "Traceback" not in proc.stderr.decode() and "Error" not in proc.stderr.decode()


def test_broken_pipe_is_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader going away while we print is not an error (deterministic, without a real pipe)."""
    import compassion_scales.cli.score as score_cmd

    def closed(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(score_cmd, "_emit", closed)
    src = tmp_path / "in.csv"
    src.write_bytes(make_corpus.csv_bytes(make_corpus.toy_table(make_corpus.GOOD_ROWS)))
    res = CliRunner().invoke(main, ["score", str(src), "--instrument-file", make_corpus.TOY,
                                    "--format", "csv"])
    assert res.exit_code == 141
    assert "Error" not in res.output and "bug" not in res.output
