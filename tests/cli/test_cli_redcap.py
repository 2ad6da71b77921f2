"""`cscore score` on REDCap exports with repeating instruments (partly empty identifiers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from testkit import CORPUS, ROOT

from compassion_scales.cli import main

sys.path.insert(0, str(CORPUS))

import make_corpus  # noqa: E402

TOY = str(ROOT / "tests" / "data" / "toy_scale.yaml")

#: the scores file of make_corpus.REDCAP_REPEATS, byte for byte: the base rows' empty
#: instrument and instance cells stay empty
EXPECTED = (
    "record_id,redcap_repeat_instrument,redcap_repeat_instance,age,sex,demographics_complete,"
    "toy_survey_complete,toy_a,toy_b,toy_a_raw,toy_total\n"
    "1,,,30,Female,2,,,,,\n"
    "1,toy_survey,1,,,,2,8,4.5,6,6.25\n"
    "1,toy_survey,2,,,,2,11,5,15,8\n"
    "2,,,30,Female,2,,,,,\n"
    "2,toy_survey,1,,,,2,10.5,3,,6.75\n")


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    f = tmp_path / "export.csv"
    f.write_bytes(make_corpus.redcap_repeating_raw())
    return f


@pytest.mark.parametrize("stream", [False, True], ids=["memory", "stream"])
@pytest.mark.parametrize("ids", [["record_id", "redcap_repeat_instance"],
                                 ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]],
                         ids=["instance", "instrument_instance"])
def test_repeating_instrument_export_scores(export: Path, tmp_path: Path, stream: bool,
                                            ids: list[str]) -> None:
    out = tmp_path / "out.csv"
    args = ["score", str(export), "--instrument-file", TOY, "-o", str(out)]
    args += [a for c in ids for a in ("--id", c)] + (["--stream"] if stream else [])
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8") == EXPECTED


@pytest.mark.parametrize("stream", [False, True], ids=["memory", "stream"])
def test_record_id_alone_suggests_the_repeat_columns(export: Path, tmp_path: Path, stream: bool) -> None:
    out = tmp_path / "out.csv"
    args = ["score", str(export), "--instrument-file", TOY, "-o", str(out), "--id", "record_id"]
    res = CliRunner().invoke(main, args + (["--stream"] if stream else []))
    assert res.exit_code == 1
    assert f"{export}: row 3, column record_id: identifier 1 already used in row 2\n" in res.output
    assert res.output.endswith(
        "3 problems in the data (3 duplicate_id). A REDCap export with repeating instruments or "
        "events: name the columns that tell a record's rows apart as further identifiers (--id "
        "record_id --id redcap_repeat_instrument --id redcap_repeat_instance); a base row has "
        "them empty, which is allowed.\n")
    assert not out.exists()


@pytest.mark.parametrize("stream", [False, True], ids=["memory", "stream"])
def test_second_base_row_of_a_record_is_a_repeat(tmp_path: Path, stream: bool) -> None:
    f = tmp_path / "export.csv"
    f.write_bytes(make_corpus.redcap_repeating_raw([*make_corpus.REDCAP_REPEATS, ("2", None, None, None)]))
    args = ["score", str(f), "--instrument-file", TOY, "--id", "record_id", "--id", "redcap_repeat_instance",
            "-o", str(tmp_path / "out.csv")]
    res = CliRunner().invoke(main, args + (["--stream"] if stream else []))
    assert res.exit_code == 1
    assert res.output.startswith(f"Error: {f}: row 7, column record_id, redcap_repeat_instance: "
                                 "identifier 2 / (empty) already used in row 5\n")


def test_real_cscore_process(export: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("cscore")
    if not exe.exists():
        pytest.skip("no cscore script beside this Python")
    out = tmp_path / "out.csv"
    proc = subprocess.run([str(exe), "score", str(export), "--instrument-file", TOY, "--id", "record_id",
                           "--id", "redcap_repeat_instance", "-o", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8") == EXPECTED
