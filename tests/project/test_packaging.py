"""Packaging guard (STYLE.md §5.3): runs against editable and wheel installs."""

from __future__ import annotations

import importlib.util

from click.testing import CliRunner


def test_no_top_level_cli_package() -> None:
    assert importlib.util.find_spec("cli") is None


def test_shipped_instruments_are_listed() -> None:
    import compassion_scales

    table = compassion_scales.list_instruments()
    assert len(table) > 0
    assert "fcs" in set(table["id"])


def test_help_runs() -> None:
    from compassion_scales.cli import main

    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    assert "score" in result.output


def test_version() -> None:
    import compassion_scales
    from compassion_scales.cli import main

    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"cscore, version {compassion_scales.__version__}"
