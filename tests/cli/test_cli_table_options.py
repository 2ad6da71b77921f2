"""Table-only options (--fmt, --decimals, --style, --columns) with --format csv/json are named
in a note: they used to be ignored without a word."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from testkit import ROOT

from compassion_scales.cli import main

EXAMPLE = ROOT / "examples" / "responses.csv"


@pytest.mark.parametrize(("args", "note"), [
    (["instruments", "show", "fcs", "--format", "json", "--fmt", "latex"],
     "Note: --fmt latex (tables only) ignored with --format json; csv and json hold every column, "
     "never rounded.\n"),
    (["norms", "-i", "proqol5", "--format", "csv", "--decimals", "1", "--style", "plain"],
     "Note: --decimals 1 and --style plain (tables only) ignored with --format csv; csv and json "
     "hold every column, never rounded.\n"),
])
def test_table_option_with_csv_or_json_is_noted(args: list[str], note: str) -> None:
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert res.stderr == note


def test_screen_json_with_fmt_is_noted_and_output_unchanged() -> None:
    base = ["screen", str(EXAMPLE), "-i", "fcs", "--id", "pid", "--id", "time", "--format", "json"]
    plain = CliRunner().invoke(main, base)
    styled = CliRunner().invoke(main, [*base, "--fmt", "html", "--decimals", "1"])
    assert plain.exit_code == styled.exit_code == 0, styled.output
    assert json.loads(styled.stdout) == json.loads(plain.stdout)
    assert "Note: --fmt html and --decimals 1 (tables only) ignored with --format json" in styled.stderr
    assert "Note:" not in plain.stderr


def test_table_options_with_table_format_say_nothing() -> None:
    res = CliRunner().invoke(main, ["instruments", "list", "--fmt", "github"])
    assert res.exit_code == 0
    assert res.stderr == ""


def test_output_over_the_input_is_refused_before_any_work(tmp_path) -> None:
    # before: `track` and `retest` printed their tables (exit 1 only when writing), because the
    # early check did not know their arguments' names (SESSIONS, FILE [SECOND_FILE])
    sessions = ROOT / "tests" / "data" / "tracking" / "sessions.csv"
    f = tmp_path / "sessions.csv"
    f.write_bytes(sessions.read_bytes())
    res = CliRunner().invoke(main, ["track", str(f), "-i", "fcs", "--id", "client", "--session",
                                    "session", "--sd", "10", "--reliability", "0.8", "-o", str(f)])
    assert res.exit_code == 1
    assert res.output == f"Error: {f}: refusing to overwrite the input file; choose another output name.\n"
    second = tmp_path / "t2.csv"
    second.write_bytes(EXAMPLE.read_bytes())
    res = CliRunner().invoke(main, ["retest", str(EXAMPLE), str(second), "--id", "pid", "--id", "time",
                                    "-i", "fcs", "-o", str(second)])
    assert res.exit_code == 1
    assert res.output == (f"Error: {second}: refusing to overwrite the input file; choose another "
                          "output name.\n")
