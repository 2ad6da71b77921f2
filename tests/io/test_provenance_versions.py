"""The package versions a provenance record lists: read from ``.dist-info`` folder names,
the same as :func:`importlib.metadata.version` gives."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version

import pytest

from compassion_scales import io as csio


def _metadata_versions() -> dict[str, str]:
    out = {}
    for pkg in csio.PROVENANCE_PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def test_versions_equal_importlib_metadata() -> None:
    versions = dict(csio._package_versions())
    assert versions.pop("python") == ".".join(map(str, sys.version_info[:3]))
    assert versions == _metadata_versions()
    assert {"cscore", "numpy", "pandas", "click"} <= set(versions)


def test_first_folder_on_the_path_wins_and_egg_info_falls_back(tmp_path, monkeypatch) -> None:
    (tmp_path / "numpy-0.0.1.dist-info").mkdir()
    (tmp_path / "PyYAML-9.9.egg-info").mkdir()  # settled by importlib.metadata instead
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(tmp_path), *sys.path])
    found, other = csio._dist_info_versions(["numpy", "pyyaml", "no_such_package"])
    assert found["numpy"] == "0.0.1"
    assert "pyyaml" not in found
    assert other == ["pyyaml", "no_such_package"]


def test_versions_are_cached_per_process() -> None:
    assert csio._package_versions() is csio._package_versions()


@pytest.mark.parametrize("folder", ["cscore-0.1.0.dist-info", "Cs.Core-0.1.0.dist-info"])
def test_names_compare_canonical(tmp_path, monkeypatch, folder) -> None:
    (tmp_path / folder).mkdir()
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    found, _ = csio._dist_info_versions(["cscore", "cs-core"])
    assert set(found.values()) == {"0.1.0"}
