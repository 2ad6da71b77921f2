"""The README's Python example runs from the repository root (issue #10)."""

from __future__ import annotations

import re
import subprocess
import sys

from testkit import ROOT


def readme_python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_has_a_python_example() -> None:
    assert readme_python_blocks()


def test_readme_python_example_runs_from_repo_root() -> None:
    code = "\n".join(readme_python_blocks())
    # bare expressions at the end of lines are fine in a script; make them visible
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
