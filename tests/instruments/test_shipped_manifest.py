"""The start-up fast path for shipped instruments (#16) and what keeps it honest.

A shipped file byte for byte as ``instruments/_verified.json`` records it is built from the
manifest's parsed copy, without the YAML parser or the JSON Schema check; every other file
(an edited shipped file, any user file) is read and validated in full.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from testkit import ROOT

import compassion_scales.instrument as ci
from compassion_scales.errors import InstrumentError


@pytest.fixture
def fresh_caches():
    """Clear the loaders' memories before and after (other tests must see the real files)."""
    ci._load_shipped.cache_clear()
    ci._verified_shipped.cache_clear()
    yield
    ci._load_shipped.cache_clear()
    ci._verified_shipped.cache_clear()


@pytest.fixture
def schema_checks(monkeypatch) -> list[str]:
    """The instruments that went through the JSON Schema check."""
    seen: list[str] = []
    real = ci._schema_problems

    def spy(data):
        seen.append(data.get("id") if isinstance(data, dict) else None)
        return real(data)

    monkeypatch.setattr(ci, "_schema_problems", spy)
    return seen


def test_the_manifest_is_up_to_date() -> None:
    """Fails when a shipped file or the schema changed and the manifest was not made again
    (the stale entry would only be ignored at run time, but then the fast path is lost)."""
    on_disk = json.loads(resources.files("compassion_scales.instruments")
                         .joinpath(ci.VERIFIED_MANIFEST).read_text("utf-8"))
    assert on_disk == ci.shipped_manifest(), (
        "instruments/_verified.json is stale: run "
        "python -c \"from compassion_scales.instrument import write_shipped_manifest as w; w()\"")
    assert sorted(on_disk["files"]) == sorted(e.name for e in ci._shipped_files().values())


def test_every_shipped_instrument_equals_its_fully_validated_self(fresh_caches, schema_checks) -> None:
    fast = {stem: ci.load_instrument(stem) for stem in ci.shipped_ids()}
    assert schema_checks == []  # all from the manifest
    for stem, entry in ci._shipped_files().items():
        with resources.as_file(entry) as p:
            data, sha = ci.read_definition_file(Path(p))
        slow = ci._from_data(data, f"instruments/{entry.name}", sha)
        assert fast[stem] == slow
        assert repr(fast[stem].raw) == repr(slow.raw)  # same keys, order and types
    assert len(schema_checks) == len(fast)


def _shipped_copy(tmp_path: Path, monkeypatch, text: str) -> None:
    """Pretend the shipped fcs.yaml now holds ``text`` (an edit after installation)."""
    path = tmp_path / "fcs.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(ci, "_shipped_files", lambda: {"fcs": path})


def _fcs_text() -> str:
    return resources.files("compassion_scales.instruments").joinpath("fcs.yaml").read_text("utf-8")


def test_an_edited_shipped_file_is_validated_in_full(tmp_path, monkeypatch, fresh_caches,
                                                     schema_checks) -> None:
    _shipped_copy(tmp_path, monkeypatch, _fcs_text().replace("\nitems:", "\ncolour: blue\nitems:", 1))
    with pytest.raises(InstrumentError) as info:
        ci.load_instrument("fcs")
    assert any("unknown field(s) not allowed" in p for p in info.value.problems)
    assert schema_checks == ["fcs"]


def test_a_valid_edit_of_a_shipped_file_is_read_from_the_file(tmp_path, monkeypatch, fresh_caches,
                                                              schema_checks) -> None:
    text = _fcs_text()
    name = ci.load_instrument("fcs").name
    ci._load_shipped.cache_clear()
    _shipped_copy(tmp_path, monkeypatch, text.replace(f"name: {name}", f"name: {name} (edited)", 1))
    edited = ci.load_instrument("fcs")
    assert edited.name == name + " (edited)"
    assert schema_checks == ["fcs"]


def test_the_unchanged_shipped_file_skips_the_schema(tmp_path, monkeypatch, fresh_caches,
                                                     schema_checks) -> None:
    _shipped_copy(tmp_path, monkeypatch, _fcs_text())
    assert ci.load_instrument("fcs").sha256 == ci._verified_shipped()["fcs.yaml"]["sha256"]
    assert schema_checks == []


def test_a_user_file_is_always_validated(tmp_path, schema_checks) -> None:
    """Even a byte-for-byte copy of a shipped file: the manifest covers the package's own files."""
    path = tmp_path / "my_fcs.yaml"
    path.write_text(_fcs_text(), encoding="utf-8")
    assert ci.load_instrument(path).path == str(path)
    assert schema_checks == ["fcs"]


def test_a_manifest_made_for_another_schema_is_ignored(monkeypatch, fresh_caches, schema_checks) -> None:
    monkeypatch.setattr(ci, "_schema_sha256", lambda: "0" * 64)
    assert ci._verified_shipped() == {}
    ci.load_instrument("fcs")
    assert schema_checks == ["fcs"]


def test_a_missing_manifest_means_full_validation(monkeypatch, fresh_caches, schema_checks) -> None:
    monkeypatch.setattr(ci, "VERIFIED_MANIFEST", "_absent.json")
    assert ci._verified_shipped() == {}
    ci.load_instrument("fcs")
    assert schema_checks == ["fcs"]


def test_scoring_with_a_shipped_instrument_imports_neither_yaml_nor_jsonschema() -> None:
    code = ("import sys; import compassion_scales as cs\n"
            "cs.score(cs.read_responses('examples/responses.csv'), 'fcs', id=['pid', 'time'])\n"
            "list(cs.instrument.iter_shipped())\n"
            "print(','.join(m for m in ('yaml', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == ""
