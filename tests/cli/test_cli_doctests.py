"""The examples in the CLI modules' docstrings run (pytest's --doctest-modules collects the
library only: ``cli/`` is installed as ``compassion_scales.cli``, outside ``testpaths``)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest
from testkit import nonempty

import compassion_scales.cli as cli_package

MODULES = sorted(m.name for m in pkgutil.iter_modules(cli_package.__path__, "compassion_scales.cli."))


def _with_examples(names: list[str]) -> list[str]:
    finder = doctest.DocTestFinder()
    return [n for n in names
            if any(t.examples for t in finder.find(importlib.import_module(n)))]


@pytest.mark.parametrize("module", nonempty(_with_examples(MODULES), "CLI modules with docstring examples"))
def test_cli_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, f"{result.failed} example(s) failed in {module}"
