"""The three flows of compassion (self, to others, from others) across groups and time.

:func:`flows` takes an instrument whose scores carry ``flow`` tags (CEAS, FCS, or a
user's own file), puts the flows on a common metric (mean item score or percent of
maximum possible), and reports descriptives per flow x group (x time), a mixed ANOVA
(flow within, group between; Type III sums of squares by default), post hoc tests with
Hedges' g, flow inter-correlations with Fisher z and Steiger tests, and, with a time
factor, a linear mixed model.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales._format import column_hint, name_columns
from compassion_scales._typing import InstrumentLike, as_instrument
from compassion_scales.errors import AnalysisError, MissingDataWarning, SkippedScoreWarning
from compassion_scales.occasions import time_order
from compassion_scales.results import ResultMixin
from compassion_scales.stats.anova import contr_sum, mixed_anova
from compassion_scales.stats.group_tests import (
    adjust_p,
    hedges_g_independent,
    hedges_j,
    t_ci,
    welch_t,
)
from compassion_scales.stats.groups import group_levels

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["flows", "FlowsResult", "mixed_anova", "steiger_test", "fisher_z_test", "METRICS"]

METRICS = ("mean_item", "pomp", "raw")
FLOW_ORDER = ("self", "to_others", "from_others")
_NO_GROUP = "all"


# --------------------------------------------------------------------------- correlation tests


def fisher_z_test(r1: float, n1: int, r2: float, n2: int) -> tuple[float, float]:
    """z test of the difference between two independent correlations (Fisher's z).

    Returns the signed z for r1 − r2 and the two-sided p value; ``psych::r.test(n = n1,
    r12 = r1, r34 = r2, n2 = n2)`` reports the same test with ``|z|``.

    Examples
    --------
    >>> z, p = fisher_z_test(0.5, 103, 0.3, 103)
    >>> round(z, 3), round(p, 3)
    (1.696, 0.09)
    """
    from compassion_scales.stats.distributions import norm

    if not (abs(r1) < 1 and abs(r2) < 1 and n1 > 3 and n2 > 3):
        return float("nan"), float("nan")
    z = (math.atanh(r1) - math.atanh(r2)) / math.sqrt(1 / (n1 - 3) + 1 / (n2 - 3))
    return float(z), float(2 * norm.sf(abs(z)))


def steiger_test(n: int, r12: float, r34: float, r13: float, r14: float, r23: float,
                 r24: float) -> tuple[float, float]:
    """Steiger's (1980) z test of two dependent correlations with no variable in common.

    Variables 1, 2 measured at one time and 3, 4 (the same constructs) at another in the
    same ``n`` people: tests r12 = r34 with the pooled-r asymptotic covariance, exactly as
    ``psych::r.test(n, r12, r34, r13, r14, r23, r24)`` (``pooled = TRUE``).

    Examples
    --------
    >>> z, p = steiger_test(100, 0.5, 0.3, 0.6, 0.3, 0.3, 0.6)
    >>> round(z, 3), round(p, 4)
    (2.043, 0.0411)
    """
    from compassion_scales.stats.distributions import norm

    if not (abs(r12) < 1 and abs(r34) < 1 and n > 3):
        return float("nan"), float("nan")
    pr = (r12 + r34) / 2
    r1234 = 0.5 * ((r13 - pr * r23) * (r24 - r23 * pr) + (r14 - r13 * pr) * (r23 - pr * r13)
                   + (r13 - r14 * pr) * (r24 - pr * r14) + (r14 - pr * r24) * (r23 - r24 * pr))
    z1234 = r1234 / ((1 - pr ** 2) ** 2)
    if not 1 - z1234 > 0:  # the two occasions are (nearly) identical: no test possible
        return float("nan"), float("nan")
    z = (math.atanh(r12) - math.atanh(r34)) * math.sqrt(n - 3) / math.sqrt(2 * (1 - z1234))
    return float(z), float(2 * norm.sf(abs(z)))


def _paired_t(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Paired t-test (t, two-sided p) as R's ``t.test(paired = TRUE)``; NaN when the differences are constant."""
    from compassion_scales.stats.distributions import t as t_dist

    d = x - y
    sd = float(d.std(ddof=1))
    if not sd > 0:
        return float("nan"), float("nan")
    t = float(d.mean()) / (sd / math.sqrt(d.size))
    return t, float(2 * t_dist.sf(abs(t), d.size - 1))


def _cor_row(a: np.ndarray, b: np.ndarray, level: float) -> dict[str, float]:
    from compassion_scales.stats.distributions import norm
    from compassion_scales.stats.distributions import t as t_dist

    n = a.size
    if n < 3 or a.std() == 0 or b.std() == 0:
        return {"n": n, "r": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_val": np.nan}
    r = float(np.corrcoef(a, b)[0, 1])
    if abs(r) >= 1:
        return {"n": n, "r": r, "ci_low": r, "ci_high": r, "p_val": 0.0}
    t = r * math.sqrt((n - 2) / (1 - r * r))
    p = float(2 * t_dist.sf(abs(t), n - 2))
    if n > 3:
        half = float(norm.ppf(1 - (1 - level) / 2)) / math.sqrt(n - 3)
        lo, hi = math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half)
    else:
        lo = hi = np.nan
    return {"n": n, "r": r, "ci_low": lo, "ci_high": hi, "p_val": p}


def paired_g(x: np.ndarray, y: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """Hedges' g for two measurements in the same people (Borenstein et al. 2009, eq. 4.27-4.28).

    d = mean difference / S_within with S_within = S_diff / sqrt(2(1 − r)); var(d) =
    (1/n + d²/(2n)) · 2(1 − r); g = J(n − 1)·d with Hedges' exact J; normal-theory CI.
    """
    from compassion_scales.stats.distributions import norm

    n = x.size
    diff = x - y
    if n < 3:
        return {"g": np.nan, "g_ci_low": np.nan, "g_ci_high": np.nan}
    r = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else 0.0
    s_diff = float(diff.std(ddof=1))
    if s_diff == 0 or r >= 1:
        return {"g": np.nan, "g_ci_low": np.nan, "g_ci_high": np.nan}
    s_within = s_diff / math.sqrt(2 * (1 - r))
    d = float(diff.mean()) / s_within
    v = (1 / n + d * d / (2 * n)) * 2 * (1 - r)
    j = hedges_j(n - 1)
    half = float(norm.ppf(1 - (1 - level) / 2)) * j * math.sqrt(v)
    return {"g": j * d, "g_ci_low": j * d - half, "g_ci_high": j * d + half}


# --------------------------------------------------------------------------- flow scores

#: What ``scores`` may be: flow -> score id (or column), score ids, or a text to match.
FlowScores: TypeAlias = Mapping[str, str] | Sequence[str] | str


def _flow_order(flow: str) -> int:
    return FLOW_ORDER.index(flow) if flow in FLOW_ORDER else len(FLOW_ORDER)


def _score_for_flow(inst: Any, flow: str, ids: list[str], scores: FlowScores | None) -> str:
    """The score standing for ``flow``: chosen by ``scores`` or the first published one."""
    if isinstance(scores, Mapping) and flow in scores:
        sid = scores[flow]
        if sid not in ids:
            raise AnalysisError(f"Score {sid!r} is not tagged with flow {flow!r} in {inst.id!r}; "
                                "choose one of: " + ", ".join(ids) + ".")
        return sid
    if isinstance(scores, str):
        hits = [s for s in ids if scores in s]
        if len(hits) != 1:
            raise AnalysisError(f"scores={scores!r} must match exactly one score of flow {flow!r} "
                                f"in {inst.id!r} (its scores: " + ", ".join(ids) + ").")
        return hits[0]
    if scores is not None and not isinstance(scores, Mapping):
        hits = [s for s in scores if s in ids]
        if len(hits) > 1:
            raise AnalysisError(f"Choose one score for flow {flow!r}, not " + ", ".join(hits) + ".")
        if hits:
            return hits[0]
    published = [s for s in ids if inst.score(s).status != "derived"]
    return (published or ids)[0]


def _pick_flow_scores(inst: Any, scores: FlowScores | None) -> dict[str, str]:
    """Flow -> score id of ``inst`` (see ``scores`` in :func:`flows`)."""
    tags = inst.flows()
    if not tags:
        raise AnalysisError(f"Instrument {inst.id!r} tags no score with a flow (self, to_others, "
                            "from_others), so flows cannot be compared. Add 'flow:' to its scores.")
    if scores is not None and not isinstance(scores, (str, Mapping)):
        tagged = {s for ids in tags.values() for s in ids}
        unknown = [s for s in scores if s not in tagged]
        if unknown:
            raise AnalysisError("Score(s) " + ", ".join(map(repr, unknown)) + f" of {inst.id!r} carry "
                                "no flow tag; choose among: " + ", ".join(sorted(tagged)) + ".")
    return {flow: _score_for_flow(inst, flow, tags[flow], scores)
            for flow in sorted(tags, key=_flow_order)}


def _metric_transform(inst: Any, sid: str, metric: str) -> tuple[float, float, int, str]:
    """(offset, divisor, n_items, description): value_on_metric = (score - offset) / divisor."""
    s = inst.score(sid)
    n_items = len(inst.score_items(sid))
    lo, hi = inst.score_range(sid)
    if metric == "raw":
        return 0.0, 1.0, n_items, "raw score"
    if metric == "pomp":
        return lo, (hi - lo) / 100.0, n_items, f"100 * (score - {lo:g}) / ({hi:g} - {lo:g})"
    if s.aggregation == "sum":
        return 0.0, float(n_items), n_items, f"sum / {n_items} items"
    if s.aggregation == "sum_of_scores":
        return 0.0, float(n_items), n_items, f"sum of component sums / {n_items} items"
    return 0.0, 1.0, n_items, "mean of items (unchanged)"


@dataclass(frozen=True)
class _FlowSource:
    """Where each flow's values come from and how they are put on the common metric."""

    frame: pd.DataFrame
    mapping: dict[str, str]  # flow -> column of frame
    offsets: dict[str, tuple[float, float]]  # flow -> (offset, divisor)
    info: pd.DataFrame
    metric: str
    rule: str | None


def _columns_source(data: pd.DataFrame, columns: Any, metric: str) -> _FlowSource:
    """Without an instrument: ``scores`` maps each flow to a column already on a common metric."""
    from compassion_scales._inputs import numeric_columns

    if not isinstance(columns, Mapping) or not columns:
        raise AnalysisError("Give an instrument whose scores are tagged with flows, or scores="
                            "{flow: column}.")
    miss = [c for c in columns.values() if c not in data.columns]
    if miss:
        raise AnalysisError("Column(s) not in the data: " + ", ".join(miss) + ".")
    frame = numeric_columns(data, list(columns.values()), what="flow column")
    info = pd.DataFrame({"flow": list(columns), "score": list(columns.values()),
                         "n_items": [np.nan] * len(columns), "transform": ["as given"] * len(columns)})
    rule = None
    if metric != "raw":
        rule = (f"No instrument given: the columns are used as they are (metric {metric!r} needs the "
                "instrument to know item counts and ranges).")
    return _FlowSource(frame=frame, mapping=dict(columns), offsets={f: (0.0, 1.0) for f in columns},
                       info=info, metric="raw", rule=rule)


def _instrument_source(data: pd.DataFrame, instrument: InstrumentLike, scores: FlowScores | None, *,
                       metric: str, roles: Mapping[str, str | None], options: Any) -> _FlowSource:
    """Score the instrument's flow-tagged scores (or use their columns) and describe the metric."""
    from compassion_scales.analyses.compare import resolve_scores

    inst = as_instrument(instrument)
    mapping = _pick_flow_scores(inst, scores)
    ids = [c for c in (roles["id"], roles["time"]) if c is not None]
    ready = all(v in data.columns for v in mapping.values())
    frame, _, got, _how = resolve_scores(data, inst, list(mapping.values()) if ready else None, ids,
                                         options=options, reserved={**roles, "subject": roles["id"]})
    lost = [f for f, sid in mapping.items() if sid not in got]
    if lost:
        warnings.warn("Flow(s) " + ", ".join(lost) + " left out: the items of their score(s) "
                      + ", ".join(mapping[f] for f in lost) + " are not in the data.",
                      SkippedScoreWarning, stacklevel=4)
        mapping = {f: sid for f, sid in mapping.items() if sid in got}
    rows, offsets = [], {}
    for flow, sid in mapping.items():
        off, div, n_items, how = _metric_transform(inst, sid, metric)
        offsets[flow] = (off, div)
        rows.append({"flow": flow, "score": sid, "label": inst.score(sid).label,
                     "status": inst.score(sid).status, "n_items": n_items, "transform": how})
    rule = None
    if scores is None:
        rule = ("Flow scores: for each flow the first score tagged with it that is not 'derived' "
                "(choose others with scores / --score).")
    return _FlowSource(frame=frame, mapping=mapping, offsets=offsets, info=pd.DataFrame(rows),
                       metric=metric, rule=rule)


def _check_arguments(data: pd.DataFrame, *, metric: str, anova_type: int, level: float,
                     roles: Mapping[str, str | None]) -> None:
    if metric not in METRICS:
        raise AnalysisError(f"Unknown metric {metric!r}; use one of: {', '.join(METRICS)}.")
    if anova_type not in (1, 3):
        raise AnalysisError(f"anova_type must be 3 (Type III) or 1 (Type I), not {anova_type!r}.")
    if not 0 < level < 1:
        raise AnalysisError(f"The confidence level must be between 0 and 1, not {level}.")
    for name, col in roles.items():
        if col is not None and col not in data.columns:
            raise AnalysisError(f"The {name} column {col!r} is not in the data; columns are: "
                                + name_columns(data.columns) + "." + column_hint(data.columns, col))
    if roles["time"] is not None and roles["id"] is None:
        raise AnalysisError("With a time column, name the person identifier column too (id=..., "
                            "--id) so the same people can be followed over time.")
    if roles["time"] is None and roles["id"] is not None:
        from compassion_scales._inputs import require_one_row_per_person

        require_one_row_per_person(data, roles["id"], source=data.attrs.get("source"))
    if roles["time"] is not None and roles["id"] is not None:  # 007 and 7: one person, not two
        from compassion_scales._inputs import check_padded_people, file_row_numbers

        source = data.attrs.get("source")
        check_padded_people(data, roles["id"], file_row_numbers(data), where=f"{source}: " if source else "")


def _flow_values(src: _FlowSource, roles: Mapping[str, str | None]) -> pd.DataFrame:
    """One row per person (and time): subject, group, [time], one column per flow on the metric."""
    frame, group, time, pid = src.frame, roles["group"], roles["time"], roles["id"]
    vals = pd.DataFrame(index=frame.index)
    vals["subject"] = frame[pid].to_numpy() if pid else np.arange(len(frame))
    vals["group"] = frame[group].to_numpy() if group else _NO_GROUP
    if time:
        vals["time"] = frame[time].to_numpy()
    for f, col in src.mapping.items():
        off, div = src.offsets[f]
        vals[f] = (pd.to_numeric(frame[col], errors="coerce").astype(float) - off) / div
    vals = vals.reset_index(drop=True)
    if time is not None and vals.duplicated(["subject", "time"]).any():
        raise AnalysisError(f"Some people have more than one row at the same time point ({pid!r} x "
                            f"{time!r}); keep one row per person and time.")
    if time is None and pid is not None and vals["subject"].duplicated().any():
        raise AnalysisError(f"Identifier {pid!r} repeats; without a time column each person needs one "
                            "row (or name the time column).")
    return vals


def _warn_ungrouped(vals: pd.DataFrame, frame: pd.DataFrame, group: str | None) -> None:
    """Long data: rows with no group enter no table and not the mixed model; say how many and
    which (file rows)."""
    from compassion_scales._inputs import file_row_numbers

    blank = vals["group"].isna().to_numpy() if group else np.zeros(0, dtype=bool)
    if blank.any():
        shown = ", ".join(str(int(r)) for r in file_row_numbers(frame)[blank][:10])
        more = ", ..." if blank.sum() > 10 else ""
        warnings.warn(f"{int(blank.sum())} of {len(vals)} rows have no group (rows {shown}{more} of "
                      f"{frame.attrs.get('source') or 'the data'}, column {group!r}); they were "
                      "left out of every table and the mixed model.", MissingDataWarning,
                      stacklevel=4)


@dataclass(frozen=True)
class _Design:
    """The flow values with their flows, group levels and time points."""

    vals: pd.DataFrame
    flows: list[str]
    groups: list[Any]
    times: list[Any]
    has_time: bool

    @classmethod
    def of(cls, vals: pd.DataFrame, flows: list[str], group: str | None,
           times: list[Any] | None) -> _Design:
        """``times``: the occasions in time order (``None``: no time factor); rows at other
        occasions are left out."""
        if times is not None:
            vals = vals[vals["time"].isin(times).to_numpy()].reset_index(drop=True)
        return cls(vals=vals, flows=flows,
                   groups=group_levels(vals["group"]) if group else [_NO_GROUP],
                   times=times if times is not None else [None], has_time=times is not None)

    def at(self, tm: Any) -> pd.DataFrame:
        """Rows at time point ``tm`` (every row without a time factor)."""
        return self.vals[self.vals["time"] == tm] if self.has_time else self.vals

    def cells(self) -> Iterator[tuple[Any, Any, pd.DataFrame]]:
        """(time, group, rows) for every time point x group."""
        for tm in self.times:
            at = self.at(tm)
            for gl in self.groups:
                yield tm, gl, at[at["group"] == gl]

    def key(self, tm: Any, **row: Any) -> dict[str, Any]:
        """A result row that starts with its time point when there is a time factor."""
        return {"time": tm, **row} if self.has_time else row


# --------------------------------------------------------------------------- analysis steps


def _descriptives(d: _Design, level: float) -> pd.DataFrame:
    rows = []
    for tm, gl, sub in d.cells():
        for f in d.flows:
            x = sub[f].dropna().to_numpy()
            mean, sd, lo, hi = t_ci(x, level)
            rows.append({"flow": f, "group": gl, **({"time": tm} if d.has_time else {}),
                         "n": int(x.size), "mean": mean, "sd": sd, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def _anova(d: _Design, *, grouped: bool, anova_type: int, group_observed: bool
           ) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Mixed ANOVA on complete cases: (anova, sphericity, n_complete, n_dropped)."""
    complete = d.vals.dropna(subset=d.flows + (["group"] if grouped else []))
    n_dropped = len(d.vals) - len(complete)
    if n_dropped:
        warnings.warn(f"{n_dropped} of {len(d.vals)} people were left out of the ANOVA because a flow "
                      "or the group was missing (complete cases).", MissingDataWarning, stacklevel=4)
    anova, sph = mixed_anova(complete[d.flows].to_numpy(float),
                             complete["group"].to_numpy() if grouped else None,
                             ss_type=anova_type, group_observed=group_observed)
    return anova, sph, len(complete), n_dropped


def _flows_within_groups(d: _Design, tm: Any, level: float) -> list[dict[str, Any]]:
    rows = []
    at = d.at(tm)
    for gl in d.groups:
        sub = at[at["group"] == gl]
        for a, b in itertools.combinations(d.flows, 2):
            pair = sub[[a, b]].dropna()
            x, y = pair[a].to_numpy(), pair[b].to_numpy()
            if x.size < 3:
                continue
            t, p = _paired_t(x, y)
            rows.append({"comparison": "flows within group", "time": tm, "group": gl, "flow": None,
                         "a": a, "b": b, "n_a": x.size, "n_b": y.size, "mean_a": x.mean(),
                         "mean_b": y.mean(), "mean_diff": float((x - y).mean()),
                         "t": t, "df": float(x.size - 1), "p_val": p, **paired_g(x, y, level)})
    return rows


def _groups_within_flows(d: _Design, tm: Any, level: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if len(d.groups) < 2:
        return rows
    sub = d.at(tm)
    for f in d.flows:
        for a, b in itertools.combinations(d.groups, 2):
            x = sub.loc[sub["group"] == a, f].dropna().to_numpy()
            y = sub.loc[sub["group"] == b, f].dropna().to_numpy()
            if x.size < 2 or y.size < 2:
                continue
            t, df, p = welch_t(x, y)
            es = hedges_g_independent(x, y, level)
            rows.append({"comparison": "groups within flow", "time": tm, "group": None, "flow": f,
                         "a": a, "b": b, "n_a": x.size, "n_b": y.size, "mean_a": x.mean(),
                         "mean_b": y.mean(), "mean_diff": float(x.mean() - y.mean()),
                         "t": t, "df": df, "p_val": p, "g": es["g"], "g_ci_low": es["g_ci_low"],
                         "g_ci_high": es["g_ci_high"]})
    return rows


def _posthoc(d: _Design, level: float) -> pd.DataFrame:
    """Paired t-tests of flows within groups and Welch t-tests of groups within flows,
    Holm-adjusted within each family (time point x kind)."""
    families = []
    for tm in d.times:
        for rows in (_flows_within_groups(d, tm, level), _groups_within_flows(d, tm, level)):
            if rows:
                fam = pd.DataFrame(rows)
                fam["p_adj"] = adjust_p(fam["p_val"], "holm")
                families.append(fam)
    posthoc = pd.concat(families, ignore_index=True) if families else pd.DataFrame()
    if not d.has_time and len(posthoc):
        posthoc = posthoc.drop(columns="time")
    return posthoc


def _correlations(d: _Design, level: float) -> pd.DataFrame:
    rows = []
    for tm, gl, sub in d.cells():
        for a, b in itertools.combinations(d.flows, 2):
            pair = sub[[a, b]].dropna()
            rows.append({"group": gl, **({"time": tm} if d.has_time else {}), "flow_a": a, "flow_b": b,
                         **_cor_row(pair[a].to_numpy(), pair[b].to_numpy(), level)})
    return pd.DataFrame(rows)


def _group_tests(d: _Design, correlations: pd.DataFrame) -> pd.DataFrame:
    """Fisher z tests of each flow correlation between each pair of groups."""
    rows: list[dict[str, Any]] = []
    if len(d.groups) < 2:
        return pd.DataFrame(rows)
    for tm in d.times:
        c = correlations[correlations["time"] == tm] if d.has_time else correlations
        for a, b in itertools.combinations(d.flows, 2):
            cc = c[(c["flow_a"] == a) & (c["flow_b"] == b)].set_index("group")
            for g1, g2 in itertools.combinations(d.groups, 2):
                r1, n1, r2, n2 = cc.loc[g1, "r"], cc.loc[g1, "n"], cc.loc[g2, "r"], cc.loc[g2, "n"]
                if not (np.isfinite(r1) and np.isfinite(r2)) or n1 < 4 or n2 < 4:
                    continue
                z, p = fisher_z_test(r1, n1, r2, n2)
                rows.append(d.key(tm, flow_a=a, flow_b=b, group_1=g1, group_2=g2, r_1=r1, n_1=n1,
                                  r_2=r2, n_2=n2, z=z, p_val=p))
    return pd.DataFrame(rows)


def _time_tests(d: _Design) -> pd.DataFrame:
    """Steiger tests of each flow correlation between each pair of time points (same people)."""
    rows: list[dict[str, Any]] = []
    if not d.has_time or len(d.times) < 2:
        return pd.DataFrame(rows)
    for gl in d.groups:
        sub = d.vals[d.vals["group"] == gl]
        for t1, t2 in itertools.combinations(d.times, 2):
            w1 = sub[sub["time"] == t1].set_index("subject")[d.flows]
            w2 = sub[sub["time"] == t2].set_index("subject")[d.flows]
            both = w1.add_suffix("__1").join(w2.add_suffix("__2"), how="inner")
            for a, b in itertools.combinations(d.flows, 2):
                m = both[[f"{a}__1", f"{b}__1", f"{a}__2", f"{b}__2"]].dropna().to_numpy(float)
                if m.shape[0] < 5:
                    continue
                r = np.corrcoef(m, rowvar=False)
                z, p = steiger_test(m.shape[0], r[0, 1], r[2, 3], r[0, 2], r[0, 3], r[1, 2], r[1, 3])
                rows.append({"group": gl, "flow_a": a, "flow_b": b, "time_1": t1, "time_2": t2,
                             "n": m.shape[0], "r_1": r[0, 1], "r_2": r[2, 3], "z": z, "p_val": p})
    return pd.DataFrame(rows)

# --------------------------------------------------------------------------- result


@dataclass(frozen=True, repr=False)
class FlowsResult(ResultMixin):
    """The flows of compassion compared across groups (and time).

    Attributes
    ----------
    flow_scores : DataFrame
        Which score stands for each flow and how it was put on the common metric.
    values : DataFrame
        Flow values on the common metric: subject, group, time, one column per flow.
    descriptives : DataFrame
        ``flow``, ``group``, ``time``, ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high``.
    anova : DataFrame or None
        Mixed ANOVA (flow within, group between); None with a time factor.
    sphericity : DataFrame or None
        Mauchly's test and the GG/HF epsilons.
    posthoc : DataFrame
        Pairwise tests: flows within each group (paired t) and groups within each flow
        (Welch t), Holm-adjusted per family, with Hedges' g and its CI.
    correlations : DataFrame
        Flow inter-correlations per group (and time), with CI and p.
    group_tests : DataFrame
        Fisher z tests of each flow correlation between each pair of groups.
    time_tests : DataFrame
        Steiger tests of each flow correlation between each pair of time points.
    mixed_model : DataFrame or None
        Fixed effects of the linear mixed model (with a time factor).
    mixed_model_terms : DataFrame or None
        Wald chi-square test per model term.
    mixed_model_formula : str or None
    """

    flow_scores: pd.DataFrame
    values: pd.DataFrame
    descriptives: pd.DataFrame
    anova: pd.DataFrame | None
    sphericity: pd.DataFrame | None
    posthoc: pd.DataFrame
    correlations: pd.DataFrame
    group_tests: pd.DataFrame
    time_tests: pd.DataFrame
    mixed_model: pd.DataFrame | None
    mixed_model_terms: pd.DataFrame | None
    mixed_model_formula: str | None
    metric: str
    anova_type: int
    group: str | None
    time: str | None
    subject: str | None
    level: float
    n_complete: int
    n_dropped: int
    options: dict[str, Any] = field(default_factory=dict)

    _title = "Flows of compassion"

    @property
    def summary(self) -> pd.DataFrame:
        """The ANOVA table (or, with a time factor, the mixed model's term tests)."""
        if self.anova is not None:
            return self.anova
        if self.mixed_model_terms is not None:
            return self.mixed_model_terms
        return self.descriptives

    def sections(self) -> list[tuple[str, pd.DataFrame]]:
        """(title, table) pairs in reading order, for printing every part."""
        out = [("Flow scores", self.flow_scores), ("Descriptives", self.descriptives)]
        if self.anova is not None:
            label = "Type III" if self.anova_type == 3 else "Type I (sequential)"
            out.append((f"Mixed ANOVA ({label} sums of squares)", self.anova))
            out.append(("Sphericity (Mauchly)", self.sphericity))
        if self.mixed_model is not None:
            out.append(("Linear mixed model: term tests", self.mixed_model_terms))
            out.append(("Linear mixed model: fixed effects", self.mixed_model))
        out.append(("Post hoc comparisons", self.posthoc))
        out.append(("Flow inter-correlations", self.correlations))
        if len(self.group_tests):
            out.append(("Correlations compared between groups (Fisher z)", self.group_tests))
        if len(self.time_tests):
            out.append(("Correlations compared between time points (Steiger 1980)", self.time_tests))
        return out

    def _notes(self) -> list[str]:
        pct = f"{self.level * 100:g}%"
        fs = self.flow_scores
        notes = ["Flows: " + "; ".join(f"{r.flow} = {r.score} ({r.transform})" for r in fs.itertuples())
                 + f". Metric: {self.metric}" + {"mean_item": " (mean item score; sums divided by their "
                                                               "number of items)",
                                                  "pomp": " (percent of maximum possible)",
                                                  "raw": " (scores as given)"}[self.metric] + "."]
        notes += [self.options[k] for k in ("rule", "occasions") if self.options.get(k)]
        notes.append(f"Descriptives use every available value per flow and cell; {pct} CI = mean ± t * SE.")
        if self.anova is not None:
            if self.anova_type == 3:
                notes.append("Mixed ANOVA with Type III sums of squares (sum-to-zero contrasts), as R "
                             "afex::aov_ez(type = 3) / car::Anova, SPSS and JASP.")
            else:
                notes.append("Mixed ANOVA with Type I (sequential) sums of squares, as R aov() and "
                             "pingouin.mixed_anova; with unequal groups the flow effect differs from Type III.")
            notes.append("pes = partial eta squared; ges = generalised eta squared (Olejnik & Algina 2003; "
                         + ("group treated as observed" if self.options.get("group_observed")
                            else "group treated as manipulated") + "). p_gg / p_hf: Greenhouse-Geisser / "
                         "Huynh-Feldt corrected (HF epsilon capped at 1).")
            notes.append(f"Missing data: the ANOVA uses complete cases: {self.n_complete} people, "
                         f"{self.n_dropped} dropped for a missing flow or group.")
        if self.mixed_model_formula:
            how = "REML" if self.options.get("reml", True) else "ML"
            notes.append(f"Linear mixed model ({how}, random intercept per person, sum-to-zero contrasts; "
                         "likelihood profiled over the variance ratio, as lme4::lmer): "
                         f"{self.mixed_model_formula}; uses every available observation (no listwise "
                         "deletion).")
            attrs = self.mixed_model_terms.attrs if self.mixed_model_terms is not None else {}
            if attrs:
                notes.append(f"Mixed model variances: random intercept {attrs['random_intercept_var']:.4g}, "
                             f"residual {attrs['residual_var']:.4g}; term tests are Wald chi-square tests "
                             "of the sum-coded coefficients.")
        notes.append("Post hoc: flows within each group by paired t-tests (Hedges' g for paired data, "
                     "Borenstein et al. 2009, normal CI); groups within each flow by Welch t-tests (g = J*d, "
                     "pooled-SD d, noncentral-t CI); Holm-adjusted within each family (p_adj, Holm's method); each test "
                     "uses the people with both values.")
        notes.append(f"Correlations: Pearson r on people with both flows, Fisher-z {pct} CI; between groups: "
                     "Fisher z test; between time points in the same people: Steiger (1980) z, as "
                     "psych::r.test.")
        return notes

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        payload: dict[str, Any] = {"summary": self.summary}
        for title, df in self.sections():
            key = {"Flow scores": "flow_scores", "Descriptives": "descriptives",
                   "Post hoc comparisons": "posthoc", "Flow inter-correlations": "correlations",
                   "Sphericity (Mauchly)": "sphericity"}.get(title)
            if key:
                payload[key] = df
        payload.update({"anova": self.anova, "mixed_model": self.mixed_model,
                        "mixed_model_terms": self.mixed_model_terms,
                        "mixed_model_formula": self.mixed_model_formula,
                        "group_tests": self.group_tests, "time_tests": self.time_tests,
                        "metric": self.metric, "anova_type": self.anova_type,
                        "n_complete": self.n_complete, "n_dropped": self.n_dropped,
                        "notes": self._notes()})
        return to_jsonable(payload)

    def plot(self, path: str | None = None, *, title: str | None = None) -> Figure:
        """Profile plot: flows on the x axis, one line per group, CI bars (one panel per time).

        Returns a matplotlib :class:`~matplotlib.figure.Figure` (made without pyplot, so the
        matplotlib backend is left as it is); save it with ``fig.savefig("flows.png")``.
        ``path`` (deprecated: save the returned figure instead) still saves a PNG or SVG.
        """
        from compassion_scales.reporting.flows_plot import flows_profile_figure, save_figure

        fig = flows_profile_figure(self, title=title)
        if path is not None:
            warnings.warn("FlowsResult.plot(path): save the returned figure instead "
                          "(fig.savefig(path)); `path` will stop working in version 1.0.",
                          FutureWarning, stacklevel=2)
            save_figure(fig, path)
        return fig


# --------------------------------------------------------------------------- main


@renamed_arguments(subject="id", flow_score="scores", columns="scores",
                   positional=("group", "time", "id"))
def flows(data: pd.DataFrame, instrument: InstrumentLike | None = None, *, group: str | None = None,
          time: str | None = None, occasions: Sequence[Any] | None = None, id: str | None = None,
          scores: FlowScores | None = None, metric: str = "mean_item", anova_type: int = 3, group_observed: bool = False,
          level: float = 0.95, reml: bool = True, column_map: Mapping[str, str] | None = None,
          patterns: Mapping[str, str] | Sequence[str] | str | None = None,
          on_invalid: str = "error", prorate: float | None = None) -> FlowsResult:
    """Compare the flows of compassion across groups (and time points).

    Parameters
    ----------
    data : DataFrame
        Raw item responses (scored with :func:`compassion_scales.score`) or a table already
        holding the flow score columns; one row per person (per time point with ``time``).
    instrument : str, path or Instrument, optional
        An instrument whose scores carry ``flow`` tags (e.g. ``"ceas"``, ``"fcs"``).
        ``None``: give ``scores`` as a mapping flow -> column instead.
    group : str, optional
        Between-subject grouping column (e.g. trial arm, clinicians vs patients).
    time : str, optional
        Time-point column (long data: one row per person and time). Requires ``id``.
    occasions : sequence, optional
        With ``time``: the occasions to analyse, in time order (``["pre", "mid", "post"]``);
        rows at other occasions are left out. Needed when the time column holds text
        labels; numbers, dates and a categorical column keep their own order (see
        :func:`compassion_scales.occasions.time_order`).
    id : str, optional
        Person identifier column (default: each row is a different person).
    scores : mapping, sequence or str, optional
        Which score stands for each flow. With an instrument: a mapping flow -> score id,
        a list of flow-tagged score ids, or a text every flow has exactly one score
        containing (e.g. ``"action"``); default: the first score tagged with the flow whose
        status is not ``derived``. Without an instrument: a mapping flow -> column, the
        columns already on a common metric.
    metric : {"mean_item", "pomp", "raw"}
        Common metric: mean item score (sums divided by their number of items), percent of
        maximum possible ``100 (x - min) / (max - min)``, or the scores as they are
        (only sensible when the flows share length and range).
    anova_type : {3, 1}
        Sums of squares: Type III (default; afex, car, SPSS, JASP) or Type I (``aov``,
        pingouin).
    group_observed : bool
        Treat the group as observed (measured, e.g. clinicians vs patients) rather than
        manipulated in generalised eta squared.
    level : float
        Confidence level of every interval (descriptives, effect sizes, correlations and
        the mixed model's fixed effects).
    reml : bool
        With ``time``: fit the linear mixed model by restricted maximum likelihood (default, as
        ``lme4::lmer``) or, with ``False``, by maximum likelihood (``lmer(REML = FALSE)``).
    column_map, patterns, on_invalid, prorate
        How raw answers are matched, validated and scored (see :func:`compassion_scales.score`).

    Returns
    -------
    FlowsResult

    Raises
    ------
    AnalysisError
        Missing columns, fewer than two flows, too few people; a time column of text
        labels without ``occasions``, or an occasion not in the data.

    Warns
    -----
    MissingDataWarning
        People dropped from the ANOVA for a missing flow or group.

    Notes
    -----
    The order of the occasions sets the order of every table, the plot's panels, which
    time point is ``time_1`` in the Steiger tests and which level the sum-coded mixed
    model drops (its coefficients). The mixed model's term tests do not depend on it. R
    would not help here: ``factor()``, which ``lme4::lmer`` and ``afex::mixed`` use for a
    text column, sorts labels alphabetically (``mid``, ``post``, ``pre``), so text labels
    need ``occasions`` (as ``factor(wave, levels = c("pre", "mid", "post"))`` in R).

    The 0.1 names still work until 1.0, with a ``FutureWarning``: ``subject`` (now ``id``),
    ``flow_score`` and ``columns`` (now ``scores``), and ``group``, ``time``, ``subject``
    given by position.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": list("aaaaabbbbb"),
    ...     "self": [1.2, 2.0, 2.4, 3.1, 2.8, 3.0, 4.1, 3.3, 4.6, 2.9],
    ...     "others": [3.0, 3.4, 4.1, 3.8, 4.4, 4.2, 5.0, 4.7, 4.9, 3.6],
    ...     "from": [2.1, 2.6, 3.3, 2.9, 2.2, 4.0, 3.8, 4.4, 4.8, 3.1]})
    >>> res = flows(df, group="arm", scores={"self": "self", "to_others": "others",
    ...                                     "from_others": "from"})
    >>> res.anova["term"].tolist()
    ['group', 'flow', 'group:flow']
    """
    from compassion_scales._inputs import InputOptions

    roles = {"group": group, "time": time, "id": id}
    if occasions is not None and time is None:
        raise AnalysisError("occasions orders the values of the time column; name it too "
                            "(time=... / --time COL).")
    _check_arguments(data, metric=metric, anova_type=anova_type, level=level, roles=roles)
    if instrument is None:
        src = _columns_source(data, scores, metric)
    else:
        src = _instrument_source(data, instrument, scores, metric=metric, roles=roles,
                                 options=InputOptions.of(column_map, patterns, on_invalid, prorate))
    if len(src.mapping) < 2:
        raise AnalysisError("At least two flows are needed; the instrument tags only "
                            + ", ".join(src.mapping) + ".")
    vals = _flow_values(src, roles)
    times = None
    if time:
        _warn_ungrouped(vals, data if len(data) == len(vals) else src.frame, group)
        times = time_order(src.frame[time], time=time, occasions=occasions)
        if len(times) < 2:
            raise AnalysisError(f"The time column {time!r} has {len(times)} occasion(s) "
                                + (f"({', '.join(map(str, times))}) " if times else "")
                                + "to analyse; a time factor needs at least two (for one occasion "
                                "leave out time / --time).")
    d = _Design.of(vals, list(src.mapping), group, times)
    anova = sph = None
    n_complete, n_dropped = len(d.vals.dropna(subset=d.flows + (["group"] if group else []))), 0
    if time is None:
        anova, sph, n_complete, n_dropped = _anova(d, grouped=group is not None, anova_type=anova_type,
                                                   group_observed=group_observed)
    n_dropped = len(d.vals) - n_complete
    correlations = _correlations(d, level)
    mm = mm_terms = formula = None
    if time:
        mm, mm_terms, formula = _mixed_model(d.vals, d.flows, d.groups if group and len(d.groups) > 1
                                             else None, d.times, reml=reml, level=level)
    return FlowsResult(flow_scores=src.info, values=d.vals, descriptives=_descriptives(d, level),
                       anova=anova, sphericity=sph, posthoc=_posthoc(d, level), correlations=correlations,
                       group_tests=_group_tests(d, correlations), time_tests=_time_tests(d),
                       mixed_model=mm, mixed_model_terms=mm_terms, mixed_model_formula=formula,
                       metric=src.metric, anova_type=anova_type, group=group, time=time, subject=id,
                       level=level, n_complete=n_complete, n_dropped=n_dropped,
                       options={"rule": src.rule, "group_observed": group_observed, "reml": reml,
                                "occasions": _occasions_note(time, times, occasions, vals)})


def _occasions_note(time: str | None, times: list[Any] | None, occasions: Sequence[Any] | None,
                    vals: pd.DataFrame) -> str | None:
    """The note saying in which order the occasions were taken (and which rows were left out)."""
    if not time or times is None:
        return None
    how = "as listed in occasions" if occasions is not None else "their own order"
    note = f"Occasions of {time!r} in time order ({how}): " + ", ".join(map(str, times)) + "."
    blank = int(vals["time"].isna().sum())
    other = len(vals) - blank - int(vals["time"].isin(times).sum())
    if other:
        note += f" {other} row(s) at occasions not listed were left out."
    if blank:
        note += f" {blank} row(s) with no occasion were left out."
    return note


# --------------------------------------------------------------------------- linear mixed model


def _empty_cells(long: pd.DataFrame, levels: dict[str, list[str]], factors: list[str]) -> list[str]:
    """The combinations of the factors' levels with no observation (the first five, named)."""
    seen = set(map(tuple, long[factors].astype(str).to_numpy().tolist()))
    empty = [", ".join(f"{f} = {v}" for f, v in zip(factors, combo, strict=True))
             for combo in itertools.product(*(levels[f] for f in factors)) if combo not in seen]
    return empty[:5] + ([f"... ({len(empty) - 5} more)"] if len(empty) > 5 else [])


def _sum_coded_design(long: pd.DataFrame, levels: dict[str, list[str]], factors: list[str]
                      ) -> tuple[list[str], np.ndarray, list[frozenset[str]], np.ndarray]:
    """Full-factorial sum-coded design: (column names, X, term of each column, rows kept).

    Sum-to-zero contrasts in the given level order (the last level is dropped), columns
    ordered as R and patsy order them: by term degree, the first factor varying fastest
    within a term. Rows with a missing group or time are left out.
    """
    contrasts: dict[str, tuple[list[str], np.ndarray]] = {}
    keep = np.ones(len(long), dtype=bool)
    for f in factors:
        codes = pd.Categorical(long[f].astype(str), categories=levels[f]).codes
        k = len(levels[f])
        contrasts[f] = ([f"{f}[{lv}]" for lv in levels[f][:-1]], contr_sum(k)[codes])
        keep &= codes >= 0
    names, cols = ["Intercept"], [np.ones(len(long))]
    term_of: list[frozenset[str]] = [frozenset()]
    for r in range(1, len(factors) + 1):
        for combo in itertools.combinations(factors, r):
            t_names, t_cols = contrasts[combo[0]][0], list(contrasts[combo[0]][1].T)
            for f in combo[1:]:
                f_names, f_cols = contrasts[f]
                t_names = [f"{a}:{b}" for b in f_names for a in t_names]
                t_cols = [a * b for b in f_cols.T for a in t_cols]
            names += t_names
            cols += t_cols
            term_of += [frozenset(combo)] * len(t_names)
    return names, np.column_stack(cols)[keep], term_of, keep


def _wald_terms(fit: Any, term_of: list[frozenset[str]], factors: list[str]) -> pd.DataFrame:
    """Wald chi-square per model term (the sum-coded coefficients of that term)."""
    from compassion_scales.stats.distributions import chi2

    terms = []
    for r in range(1, len(factors) + 1):
        for combo in itertools.combinations(factors, r):
            idx = [i for i, s in enumerate(term_of) if s == frozenset(combo)]
            b = fit.beta[idx]
            w = float(b @ np.linalg.solve(fit.cov_beta[np.ix_(idx, idx)], b))
            terms.append({"term": ":".join(combo), "df": len(idx), "chisq": w,
                          "p_val": float(chi2.sf(w, len(idx)))})
    out = pd.DataFrame(terms)
    out.attrs["random_intercept_var"] = fit.tau2
    out.attrs["residual_var"] = fit.sigma2
    return out


def _mixed_model(vals: pd.DataFrame, flow_names: list[str], g_levels: list[Any] | None,
                 t_levels: list[Any], reml: bool = True, level: float = 0.95
                 ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """``value ~ flow * [group *] time + (1 | subject)``: fixed effects with Wald ``level`` CIs
    (as ``confint(fit, method = "Wald", level = level)`` in lme4) and Wald term tests."""
    from compassion_scales.stats.distributions import norm
    from compassion_scales.stats.lmm import random_intercept_lmm

    long = vals.melt(id_vars=["subject", "group", "time"], value_vars=flow_names, var_name="flow",
                     value_name="value").dropna(subset=["value"])
    levels = {"flow": [str(f) for f in flow_names], "time": [str(t) for t in t_levels]}
    factors = ["flow", "time"]
    if g_levels:
        levels["group"] = [str(g) for g in g_levels]
        factors = ["flow", "group", "time"]
    names, X, term_of, keep = _sum_coded_design(long, levels, factors)
    try:
        fit = random_intercept_lmm(long["value"].to_numpy(float)[keep], X,
                                   long["subject"].astype(str).to_numpy()[keep], reml=reml)
    except ValueError as exc:
        empty = _empty_cells(long, levels, factors)
        if "do not vary" in str(exc):
            raise AnalysisError("The linear mixed model cannot be fitted: the flow scores do not "
                                "vary within the flow x group x time cells (every residual is zero), "
                                "so no variance can be estimated.") from None
        if empty:
            raise AnalysisError("The linear mixed model cannot be fitted: no observations for "
                                + "; ".join(empty) + ". Every combination of "
                                + ", ".join(factors) + " needs data; drop or merge the empty "
                                "group or time point.") from None
        raise AnalysisError("The linear mixed model cannot be fitted: some combination of flow, group and "
                            "time has no observations, or there are too few observations. "
                            f"Detail: {exc}") from None
    z = fit.beta / fit.se
    half = norm.ppf(1 - (1 - level) / 2) * fit.se
    fe = pd.DataFrame({"term": names, "estimate": fit.beta, "se": fit.se, "z": z,
                       "p_val": 2 * norm.sf(np.abs(z)), "ci_low": fit.beta - half,
                       "ci_high": fit.beta + half})
    formula = "value ~ " + " * ".join(factors) + " + (1 | subject)"
    return fe, _wald_terms(fit, term_of, factors), formula
