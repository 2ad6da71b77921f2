"""docs/input-formats.md: every worked example runs and prints what the page shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from testkit import DOCS

from compassion_scales.cli import main

DOC = DOCS / "input-formats.md"
BLOCK = re.compile(r"```(\w+)([^\n]*)\n(.*?)```", re.S)


def test_worked_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = DOC.read_text(encoding="utf-8")
    commands = 0
    for lang, info, body in BLOCK.findall(text):
        if lang == "csv" and "file=" in info:
            name = info.split("file=")[1].strip()
            (tmp_path / name).write_text(body, encoding="utf-8")
        elif lang == "python" and "run" in info:
            exec(compile(body, str(DOC), "exec"), {})  # noqa: S102 - the page's own example
        elif lang == "console":
            lines = body.strip("\n").splitlines()
            cmd = shlex.split(lines[0].removeprefix("$ "))
            assert cmd[0] == "cscore"
            res = CliRunner().invoke(main, cmd[1:])
            assert res.exit_code == 0, (lines[0], res.output)
            assert res.stdout.splitlines() == lines[1:], (lines[0], res.stdout)
            commands += 1
    assert commands == 5
