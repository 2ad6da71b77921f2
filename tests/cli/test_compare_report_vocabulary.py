"""compare and report follow the glossary; their 0.1 names still work (issue #11)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import compassion_scales as cs
from compassion_scales.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAT = ROOT / "tests" / "reference" / "data" / "sat_act.csv"
TOY = pd.DataFrame({"pid": range(8), "arm": ["b"] * 4 + ["a"] * 4,
                    "x": [1.0, 2, 3, 4, 3, 4, 5, 6]})


def test_compare_group_by_position_still_works_with_a_future_warning() -> None:
    with pytest.warns(FutureWarning, match=r"give `group` by name"):
        old = cs.compare(TOY, None, "arm", scores=["x"])
    new = cs.compare(TOY, group="arm", scores=["x"])
    pd.testing.assert_frame_equal(old.tests, new.tests)


def test_compare_id_cols_is_now_id() -> None:
    with pytest.warns(FutureWarning, match=r"`id_cols` is now called `id`"):
        cs.compare(TOY, group="arm", scores=["x"], id_cols="pid")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cs.compare(TOY, group="arm", scores=["x"], id="pid")


def test_compare_group_order_is_sorted_and_first_minus_second() -> None:
    res = cs.compare(TOY, group="arm", scores=["x"])
    assert res.levels == ["a", "b"]
    assert res.tests.loc[0, "mean_diff"] == pytest.approx(4.5 - 2.5)
    cat = TOY.assign(arm=pd.Categorical(TOY["arm"], categories=["b", "a"]))
    assert cs.compare(cat, group="arm", scores=["x"]).levels == ["b", "a"]


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_cli_compare_level_and_hidden_ci() -> None:
    new = _cli("compare", str(SAT), "--group", "gender", "--score", "ACT", "--level", "0.9",
               "--format", "json")
    old = _cli("compare", str(SAT), "--group", "gender", "--score", "ACT", "--ci", "0.9",
               "--format", "json")
    assert new.exit_code == 0 and old.exit_code == 0, old.output
    assert new.stdout == old.stdout
    assert "--ci is now --level" in old.stderr
    help_text = _cli("compare", "--help").output
    assert "--level" in help_text and "--ci" not in help_text
    assert "--id COL" in help_text


def test_cli_compare_prints_every_section_once() -> None:
    r = _cli("compare", str(SAT), "--group", "education", "--score", "ACT")
    assert r.exit_code == 0, r.output
    for title in ("Group comparison", "Group descriptives", "Pairwise comparisons"):
        assert r.stdout.count(title) == 1, title


def test_report_bootstrap_counts_became_n_boot() -> None:
    from compassion_scales.reporting.study import _one_bootstrap_count

    with pytest.warns(FutureWarning, match="`n_boot`"):
        _, kw = _one_bootstrap_count((), {"boot": 200, "omega_boot": 500})
    assert kw == {"n_boot": 500}
    with pytest.warns(FutureWarning):
        _, kw = _one_bootstrap_count((), {"boot": 0})
    assert kw == {"n_boot": 0}
    with pytest.raises(TypeError, match="give `n_boot` only"):
        _one_bootstrap_count((), {"boot": 0, "n_boot": 1})


def test_report_signature_follows_the_glossary() -> None:
    import inspect

    params = inspect.signature(cs.report).parameters
    assert params["n_boot"].default == 1000 and params["seed"].default == 0
    assert "boot" not in params and "omega_boot" not in params


@pytest.mark.parametrize("flag", ["--n-boot", "--boot", "--omega-boot"])
def test_cli_report_n_boot_and_hidden_old_flags(flag: str, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    import compassion_scales.reporting.study as study

    seen: dict[str, Any] = {}

    def fake_report(data: Any, instrument: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return study.StudyReport(html="<html></html>", sections=(), timings={})

    monkeypatch.setattr(study, "report", fake_report)
    r = _cli("report", str(SAT), "-i", "fcs", flag, "7", "-o", str(tmp_path / "r.html"), "-q")
    assert r.exit_code == 0, r.output
    assert seen["n_boot"] == 7 and seen["seed"] == 0
    assert ("is now --n-boot" in r.stderr) == (flag != "--n-boot")
    help_text = _cli("report", "--help").output
    assert "--n-boot" in help_text and "--boot" not in help_text and "--omega-boot" not in help_text


def test_report_stops_on_invalid_answers_or_blanks_them_and_says_so(tmp_path: Path) -> None:
    """No silent 'missing': invalid answers stop the report unless --on-invalid missing."""
    from testkit import EXAMPLES

    df = pd.read_csv(EXAMPLES / "responses.csv", dtype=str, keep_default_na=False)
    df.loc[7, "fcs_oth_3"] = "9"
    src = tmp_path / "bad.csv"
    df.to_csv(src, index=False)
    args = ["report", str(src), "-i", "fcs", "--group", "group", "--n-boot", "0", "-q"]
    res = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "a.html")])
    assert res.exit_code == 1
    assert "row 9, column fcs_oth_3: 9 is outside the response range 0-4" in res.output
    assert not (tmp_path / "a.html").exists()
    res = CliRunner().invoke(main, [*args, "--on-invalid", "missing", "-o", str(tmp_path / "b.html")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "1 invalid answer (out of range, or text that is no answer) was treated as missing" in page
