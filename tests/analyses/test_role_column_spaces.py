"""A role column (group, id, time, session) named with surrounding spaces or another case.

Item columns match ignoring both; role columns are taken as named. A DataFrame read with
``pd.read_csv`` from a header typed ``pid, group, time, ...`` has ``" group"``: every verb
said only "'group' is not in the data" and listed the columns (all of them, for some verbs),
with nothing to show why. The message now names the near miss and what to do.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from testkit import ROOT

import compassion_scales as cs
from compassion_scales.errors import CompassionScalesError

HINT = ("The column ' {0} ' differs from '{0}' only by surrounding spaces or case: give the name as "
        "it is written, or strip the names (data.columns = data.columns.str.strip()).")


@pytest.fixture(scope="module")
def spaced() -> pd.DataFrame:
    data = pd.read_csv(ROOT / "examples" / "responses.csv", dtype={"pid": str})
    data = data[[c for c in data.columns if not c.startswith("ceas")]]
    return data.rename(columns=lambda c: f" {c} ")


CALLS = {
    "compare": (lambda d: cs.compare(d, "fcs", group="group"), "group"),
    "reliability": (lambda d: cs.reliability(d, "fcs", group="group", n_boot=0), "group"),
    "flows": (lambda d: cs.flows(d, "fcs", group="group"), "group"),
    "change": (lambda d: cs.change(d, "fcs", id="pid", time="time", occasions=(1, 2), sd=10,
                                   reliability=0.8), "time"),
    "retest": (lambda d: cs.retest(d, "fcs", id="pid", time="time", occasions=(1, 2)), "time"),
    "trial": (lambda d: cs.trial(d, "fcs", id="pid", arm="group", time="time", occasions=(1, 2)), "pid"),
    "screen": (lambda d: cs.screen(d, "fcs", id="pid"), "pid"),
    "track": (lambda d: cs.track(d, "fcs", id="pid", session="time", sd=10, reliability=0.8), "pid"),
}


@pytest.mark.parametrize("verb", list(CALLS))
def test_role_column_with_spaces_is_named(spaced: pd.DataFrame, verb: str) -> None:
    call, col = CALLS[verb]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(CompassionScalesError) as err:
            call(spaced)
    assert str(err.value).endswith(HINT.format(col))


def test_score_identifier_with_spaces_is_named(spaced: pd.DataFrame) -> None:
    with pytest.raises(CompassionScalesError) as err:
        cs.score(spaced, "fcs", id="pid")
    assert err.value.lines()[0].endswith(HINT.format("pid").rstrip("."))


def test_long_column_lists_are_cut(spaced: pd.DataFrame) -> None:
    with pytest.raises(CompassionScalesError) as err:
        cs.compare(spaced, "fcs", group="arm")
    assert str(err.value).endswith(" fcs_from_2  and 26 more.")
