"""Shared fixtures: the reference (R golden) and test-data folders, once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from testkit import DATA, REFERENCE, ROOT

__all__ = ["ROOT", "REFERENCE", "DATA"]


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``tests/reference``: R scripts and the golden values they wrote."""
    return REFERENCE


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``tests/data``: hand-made test data (instruments, norms, responses)."""
    return DATA
