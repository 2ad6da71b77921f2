"""Every Python code block of the tutorials (docs/tutorials/*.md) runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from testkit import ROOT, nonempty

TUTORIALS = nonempty(sorted((ROOT / "docs" / "tutorials").glob("*.md")), "tutorials in docs/tutorials")


def _blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_tutorials_have_code():
    assert TUTORIALS and all(_blocks(p) for p in TUTORIALS)


@pytest.mark.slow
@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_code_runs(path, tmp_path, monkeypatch):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for code in _blocks(path):   # blocks share one namespace, in order, like a reader's session
        exec(compile(code, str(path), "exec"), namespace)
    made = {"researcher": ["reliability.docx", "report.html"], "trial-statistician": ["ancova.docx"],
            "clinician": ["service_summary.html", "client_reports"]}[path.stem]
    assert all((tmp_path / name).exists() for name in made)
