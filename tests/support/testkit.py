"""Paths and guards shared by the test files (importable as ``testkit``).

pytest runs with ``--import-mode=importlib`` and ``pythonpath = ["tests/support"]`` (pyproject), so
a test file in any folder imports this module as ``from testkit import REFERENCE, nonempty``.
(Only this folder is on ``sys.path``: with ``tests`` itself there, ``tests/cli`` would shadow-import
as a top-level ``cli`` package and the packaging guard would rightly fail.)
Fixtures built on it (``reference_dir``, ``data_dir``, loaded goldens) live in ``conftest.py``.
"""

from __future__ import annotations

import ast
from collections.abc import Sized
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
REFERENCE = TESTS / "reference"
DATA = TESTS / "data"
CORPUS = TESTS / "corpus"
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"

#: the folders a test file may live in (tests/project/test_layout.py)
TEST_FOLDERS = ("stats", "analyses", "cli", "instruments", "io", "reporting", "project")

S = TypeVar("S", bound=Sized)


def nonempty(cases: S, what: str) -> S:
    """Return ``cases`` unchanged, or fail if there are none.

    A loop or parametrization over golden cases read from a file passes vacuously when the
    file lists nothing; wrap the cases in this guard so an empty (or truncated) file fails.

    >>> nonempty([1, 2], "cases")
    [1, 2]
    >>> nonempty([], "golden cases in x.json")
    Traceback (most recent call last):
    ...
    AssertionError: no golden cases in x.json: the loop over them would pass vacuously
    """
    if len(cases) == 0:
        raise AssertionError(f"no {what}: the loop over them would pass vacuously")
    return cases


@cache
def parsed(path: Path) -> tuple[str, ast.Module]:
    """The text of a source file and its :mod:`ast` tree, read once per test process.

    The architecture, function-size and vocabulary tests each walk every module of the
    package; parsing them costs ~1.3 s of CPU, paid once per process instead of per test.
    Callers must not modify the tree.

    >>> text, tree = parsed(TESTS / "support" / "testkit.py")
    >>> isinstance(tree, ast.Module) and "def parsed" in text
    True
    """
    text = path.read_text(encoding="utf-8")
    return text, ast.parse(text)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, with libyaml's safe loader when PyYAML was built with it (as
    :mod:`compassion_scales.instrument` reads instrument files): about 8x faster than the
    pure-Python loader on an instrument file, and the same data. A new object on every call.

    >>> load_yaml("{id: x, items: [a, b]}")
    {'id': 'x', 'items': ['a', 'b']}
    """
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
