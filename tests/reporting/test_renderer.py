"""One renderer (issue #11): print_summary, the CLI's table output and JSON show the same
sections and notes for every exported result class."""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import compassion_scales as cs
from compassion_scales.results import ResultMixin

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "reference" / "data"
TRACKING = ROOT / "tests" / "data" / "tracking"
HS = "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"


def _fcs_first() -> pd.DataFrame:
    d = pd.read_csv(ROOT / "examples" / "responses.csv")
    return d[d["time"] == 1]


def _two_occasions() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    return (pd.DataFrame({"id": range(30), "x": x}),
            pd.DataFrame({"id": range(30), "x": x + rng.normal(scale=0.5, size=30)}))


#: one small, fast instance of every exported result class
BUILDERS: dict[str, Callable[[], Any]] = {
    "ScoreResult": lambda: cs.score(_fcs_first(), "fcs"),
    "ComparisonResult": lambda: cs.compare(pd.read_csv(DATA / "sat_act.csv"), group="education",
                                           scores=["ACT"]),
    "ReliabilityResult": lambda: cs.reliability(_fcs_first(), "fcs", boot=0),
    "KMOResult": lambda: cs.kmo(_fcs_first(), instrument="fcs"),
    "BartlettResult": lambda: cs.bartlett(_fcs_first(), instrument="fcs"),
    "ParallelAnalysisResult": lambda: cs.parallel_analysis(_fcs_first(), instrument="fcs", n_iter=5),
    "EFAResult": lambda: cs.efa(_fcs_first(), 3, instrument="fcs"),
    "CFAResult": lambda: cs.cfa(pd.read_csv(DATA / "HolzingerSwineford1939.csv"), HS),
    "OrdinalCFAResult": lambda: cs.cfa(pd.read_csv(DATA / "hs_ordinal.csv"), HS, estimator="WLSMV"),
    "InvarianceResult": lambda: cs.invariance(pd.read_csv(DATA / "HolzingerSwineford1939.csv"), HS,
                                              group="school", configural_rmsea=0.10),
    "FlowsResult": lambda: cs.flows(_fcs_first(), "fcs", group="group"),
    "ChangeResult": lambda: cs.change(pd.read_csv(ROOT / "examples" / "responses.csv"), None, "fcs",
                                      id="pid", time="time", pre_time=1, post_time=2),
    "TrialResult": lambda: cs.trial(pd.read_csv(DATA / "anorexia_long.csv"), arm="arm", time="time",
                                    baseline="pre", follow_up="post", id="id", scores=["weight"],
                                    reference="Cont"),
    "RetestResult": lambda: cs.retest(*_two_occasions(), id="id", columns=["x"]),
    "TrackResult": lambda: cs.track(pd.read_csv(TRACKING / "sessions.csv", dtype={"client": str}),
                                    ["fcs", "ceas"], id="client", session="session", date="date",
                                    norm_sample="example_clinic",
                                    norms_files=[str(TRACKING / "fcs_example_norms.yaml"),
                                                 str(TRACKING / "ceas_example_norms.yaml")]),
    "NormedScores": lambda: cs.apply_norms(
        pd.DataFrame({"client": [1, 2, 3, 4, 5], "ct_fear": [18.0, 10.0, 6.0, 11.0, None]}),
        str(ROOT / "tests" / "data" / "change_test_norms.yaml"), "clinic_a",
        norms_file=str(ROOT / "tests" / "data" / "change_test_service_norms.yaml")),
    "ScreenResult": lambda: cs.screen(_fcs_first(), "fcs"),
}


def _exported_result_classes() -> set[str]:
    return {name for name in cs._EXPORTS
            if inspect.isclass(obj := getattr(cs, name)) and issubclass(obj, ResultMixin)}


def test_every_exported_result_class_is_checked() -> None:
    exported = _exported_result_classes()
    assert len(exported) >= 15
    assert exported == set(BUILDERS), "add a builder for each new result class"


def _cli_output(result: Any, out_format: str) -> str:
    from compassion_scales.cli._options import emit_result, output_options

    @click.command()
    @output_options
    def cmd(out_format: str, table_style: str, decimals: int | None) -> None:
        emit_result(result, out_format, table_style, decimals)

    got = CliRunner().invoke(cmd, ["--format", out_format])
    assert got.exit_code == 0, got.output
    return got.output


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def result(request: pytest.FixtureRequest) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = BUILDERS[request.param]()
    assert type(res).__name__ == request.param
    return res


def test_three_outputs_have_the_same_sections_and_notes(result: Any) -> None:
    sections = result.sections()
    notes = result.notes()
    assert sections and all(isinstance(f, pd.DataFrame) for _, f in sections)
    assert isinstance(result.title, str) and result.title
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result.print_summary()
    text = printed.getvalue()
    cli_text = _cli_output(result, "table")
    assert cli_text == text, "print_summary and the CLI table output differ"
    assert text.startswith(result.title + "\n")
    for title, _ in sections:
        assert title in text
    for note in notes:
        assert note in text
    payload = json.loads(_cli_output(result, "json"))
    assert payload == json.loads(result.to_json())
    assert payload["title"] == result.title
    assert [s["title"] for s in payload["sections"]] == [t for t, _ in sections]
    assert [len(s["rows"]) for s in payload["sections"]] == [len(f) for _, f in sections]
    assert payload["notes"] == notes
    assert payload["header"] == json.loads(json.dumps(result.header(), default=str))


def test_text_shows_tables_in_section_order(result: Any) -> None:
    text = result.render("text")
    positions = [text.find(t) for t, _ in result.sections()]
    assert positions == sorted(positions)


def test_latex_and_html_hold_every_section(result: Any) -> None:
    latex = result.render("latex")
    html = result.render("html")
    assert latex.count(r"\begin{table}") == len(result.sections())
    assert html.count("<table") == len(result.sections())


def test_comparison_header_facts_are_printed() -> None:
    df = pd.DataFrame({"arm": ["b"] * 4 + ["a"] * 4, "x": [1.0, 2, 3, 4, 3, 4, 5, 6]})
    res = cs.compare(df, group="arm", scores=["x"], level=0.9)
    assert res.header() == {"group": "arm", "groups": ["a", "b"], "correction": "holm",
                            "level": 0.9}
    assert res.render("text").splitlines()[1] == ("group: arm · groups: a, b · correction: holm · "
                                                  "level: 0.9")


def test_cli_uses_only_the_public_result_protocol() -> None:
    """The CLI calls ``title``/``notes()``, never the private ``_title``/``_notes()``."""
    import re

    offenders = [f"{path.name}:{i}" for path in sorted((ROOT / "cli").glob("*.py"))
                 for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\._notes\(|\._title\b", line)]
    assert len(list((ROOT / "cli").glob("*.py"))) > 10
    assert offenders == [], f"use result.title / result.notes(): {offenders}"
