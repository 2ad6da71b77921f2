"""Generated docs are up to date (run `python docs/generate.py` to refresh)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from testkit import DOCS, nonempty

spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)  # type: ignore[union-attr]

# the pages on disk; what docs/generate.py would write is built when a test here first runs
# (a session fixture), not while every xdist worker collects (~2 s of CPU each)
ON_DISK = nonempty(sorted([*(DOCS / "instruments").glob("*.md"), DOCS / "cli.md"]), "generated doc pages")


@pytest.fixture(scope="session")
def pages() -> dict[Path, str]:
    """The pages ``docs/generate.py`` writes: path -> text."""
    return nonempty(generate.all_pages(), "generated doc pages")


def test_every_generated_page_exists(pages: dict[Path, str]) -> None:
    missing = sorted(str(p.relative_to(DOCS)) for p in pages if not p.exists())
    assert not missing, f"{missing} missing: run python docs/generate.py"
    assert set(pages) <= set(ON_DISK)


@pytest.mark.parametrize("path", ON_DISK, ids=lambda p: str(p.relative_to(DOCS)))
def test_generated_page_is_current(path: Path, pages: dict[Path, str]) -> None:
    assert path in pages, f"{path} is not written by docs/generate.py any more: delete it"
    assert path.read_text(encoding="utf-8") == pages[path], f"{path} is stale: run python docs/generate.py"


def test_every_shipped_instrument_has_a_page() -> None:
    from compassion_scales import list_instruments

    for iid in list_instruments()["id"]:
        assert (DOCS / "instruments" / f"{iid}.md").exists()


def test_instrument_format_example_is_valid(tmp_path: Path) -> None:
    import re

    from compassion_scales.instrument import load_instrument
    from compassion_scales.scoring import check_examples

    text = (DOCS / "instrument-format.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    f = tmp_path / "my_scale.yaml"
    f.write_text(block, encoding="utf-8")
    inst = load_instrument(f)
    assert inst.id == "my_scale"
    assert check_examples(inst) == []


def test_cli_reference_names_the_program_cscore():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert "Usage: main" not in text
    assert "Usage: cscore reliability [OPTIONS] RESPONSES" in text
