"""`cscore --help` must not import the heavy statistics libraries; every command has help."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from compassion_scales.cli import COMMANDS, main

HEAVY = ("pingouin", "factor_analyzer", "matplotlib", "statsmodels", "sklearn", "dask")


def test_help_does_not_import_heavy_libraries() -> None:
    code = ("import sys; from click.testing import CliRunner; from compassion_scales.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _walk(cmd: click.Command, ctx: click.Context, path: list[str]):
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            yield from _walk(sub, click.Context(sub, parent=ctx, info_name=name), path + [name])


def all_commands():
    ctx = click.Context(main, info_name="cscore")
    return [(" ".join(p), c) for p, c in _walk(main, ctx, [])]


@pytest.mark.parametrize("name, cmd", all_commands(), ids=[n or "cscore" for n, _ in all_commands()])
def test_every_command_documented(name: str, cmd: click.Command) -> None:
    assert cmd.help and "Example:" in cmd.help, f"'cscore {name}' needs a docstring with an Example: block"
    res = CliRunner().invoke(main, name.split() + ["--help"] if name else ["--help"])
    assert res.exit_code == 0


def test_registered_commands() -> None:
    assert {"score", "instruments", "reliability", "factors", "flows", "compare", "change", "trial",
            "retest"} <= set(COMMANDS)
