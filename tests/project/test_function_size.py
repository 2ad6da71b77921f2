"""Functions stay short (issue #11): at most 60 code lines each.

Code lines exclude the docstring, blank lines and comment-only lines. Cyclomatic
complexity is checked by ruff (C901, ``max-complexity = 15`` in pyproject.toml). Functions
still over the limit are listed below (issue #11 debts, grouped by owning module); the test
fails on a new long function and on a listed one that has become short.
"""

from __future__ import annotations

import ast

import pytest
from testkit import ROOT, parsed

# parses every module: on the xdist worker of the other such tests (testkit.parsed, once per process)
pytestmark = pytest.mark.xdist_group("ast")

MAX_LINES = 60

KNOWN_LONG_FUNCTIONS: set[tuple[str, str]] = set()  # all paid (issue #11)


def code_lines(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of ``node`` that are not its docstring, blank or a comment."""
    skip: set[int] = set()
    first = node.body[0]
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        skip = set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    count = 0
    for number in range(node.lineno, (node.end_lineno or node.lineno) + 1):
        text = lines[number - 1].strip()
        if number not in skip and text and not text.startswith("#"):
            count += 1
    return count


def long_functions() -> dict[tuple[str, str], int]:
    """(file, function) -> code lines, for every function over MAX_LINES."""
    files = sorted((ROOT / "compassion_scales").rglob("*.py")) + sorted((ROOT / "cli").rglob("*.py"))
    out: dict[tuple[str, str], int] = {}
    for path in files:
        text, tree = parsed(path)
        lines = text.splitlines()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = code_lines(lines, node)
                if n > MAX_LINES:
                    out[(path.relative_to(ROOT).as_posix(), node.name)] = n
    return out


def test_functions_are_short() -> None:
    found = long_functions()
    new = {k: v for k, v in found.items() if k not in KNOWN_LONG_FUNCTIONS}
    assert not new, (f"functions over {MAX_LINES} code lines (split them into named steps): "
                     + "; ".join(f"{f}::{n} ({v})" for (f, n), v in sorted(new.items())))
    paid = KNOWN_LONG_FUNCTIONS - found.keys()
    assert not paid, f"now short, delete from KNOWN_LONG_FUNCTIONS: {sorted(paid)}"


def test_code_lines_counts_what_it_should() -> None:
    text = 'def f():\n    """Doc.\n\n    More.\n    """\n    # note\n\n    x = 1\n    return x\n'
    node = ast.parse(text).body[0]
    assert isinstance(node, ast.FunctionDef)
    assert code_lines(text.splitlines(), node) == 3
