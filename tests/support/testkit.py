"""Paths and guards shared by the test files (importable as ``testkit``).

pytest runs with ``--import-mode=importlib`` and ``pythonpath = ["tests/support"]`` (pyproject), so
a test file in any folder imports this module as ``from testkit import REFERENCE, nonempty``.
(Only this folder is on ``sys.path``: with ``tests`` itself there, ``tests/cli`` would shadow-import
as a top-level ``cli`` package and the packaging guard would rightly fail.)
Fixtures built on it (``reference_dir``, ``data_dir``, loaded goldens) live in ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import Sized
from pathlib import Path
from typing import TypeVar

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
