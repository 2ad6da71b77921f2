"""Session-by-session outcome tracking for clinicians: many sessions, several measures.

For every client and score: the trajectory, the Reliable Change Index (Jacobson &
Truax, 1991) from the first to each later session and from each session to the
next, the first session at which reliable improvement was reached, and, where
clinical and non-clinical norms give a cut-off, whether the score crossed it. The
SD, reliability, direction and cut-off of each score come from
:func:`compassion_scales.analyses.change.change` (run on each client's first and
latest observed session), so the two commands never disagree; the RCI itself is
:func:`compassion_scales.analyses.change.reliable_change`.

Several measures are then combined per client by a stated, configurable rule
(:class:`MultiMeasureRule`), in the way outcome-monitoring services define
"reliable improvement", "reliable recovery" and "reliable deterioration".

Missing data are never filled: a session without a row, or a row without a score,
is listed (``missing``) and skipped; the last observation is never carried forward.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales._format import column_hint
from compassion_scales._inputs import check_padded_people, file_row_numbers, parse_dates
from compassion_scales._typing import InstrumentLike, as_instrument
from compassion_scales.analyses.change import (
    NO_RC,
    change,
    check_change_options,
    check_score_keys,
    per_score,
    reliable_change,
)
from compassion_scales.errors import AnalysisError
from compassion_scales.results import ResultMixin
from compassion_scales.stats.change import functional_side

__all__ = ["track", "TrackResult", "MultiMeasureRule", "OVERALL_CATEGORIES"]

#: client-level outcomes, best first
OVERALL_CATEGORIES = ("reliable_recovery", "reliable_improvement", "no_reliable_change",
                      "reliable_deterioration", "not_assessable")


@dataclass(frozen=True)
class MultiMeasureRule:
    """How several measures combine into one outcome per client.

    Parameters
    ----------
    min_improved : int or "all"
        Reliable improvement needs at least this many measures reliably improved
        (first to latest session); ``"all"``: every assessable measure.
    max_deteriorated : int
        ... and at most this many reliably deteriorated (0: none).
    deteriorated_if : int
        Reliable deterioration: at least this many measures reliably deteriorated.
        It is checked first, so a client who improved on one measure and
        deteriorated on another is counted as deteriorated (with the defaults).
    recovery : bool
        Also call "reliable recovery": reliable improvement, and among the measures
        with a clinical cut-off at least one on the clinical side at the first
        session and none on it at the latest session.

    Examples
    --------
    >>> print(MultiMeasureRule().describe())
    reliable improvement = reliably improved on at least 1 measure(s) and reliably worse on none; reliable deterioration = reliably worse on at least 1 measure(s) (checked first); reliable recovery = reliable improvement, and of the measures with a clinical cut-off, at least one on the clinical side at the first session and none at the latest
    """

    min_improved: int | str = 1
    max_deteriorated: int = 0
    deteriorated_if: int = 1
    recovery: bool = True

    def __post_init__(self) -> None:
        ok_min = self.min_improved == "all" or (isinstance(self.min_improved, int)
                                                and self.min_improved >= 1)
        if not ok_min:
            raise AnalysisError(f"min_improved must be a whole number >= 1 or 'all', not "
                                f"{self.min_improved!r}.")
        if self.max_deteriorated < 0 or self.deteriorated_if < 1:
            raise AnalysisError("max_deteriorated must be >= 0 and deteriorated_if >= 1.")

    def warn_unreachable(self, n_measures: int) -> None:
        """Warn when the rule needs more measures than are tracked: no client could then be
        classified so (``--min-improved 3`` with one measure reported nobody improved)."""
        parts = []
        if isinstance(self.min_improved, int) and self.min_improved > n_measures:
            parts.append(f"reliable improvement needs {self.min_improved} (--min-improved)")
        if self.deteriorated_if > n_measures:
            parts.append(f"reliable deterioration needs {self.deteriorated_if} (--deteriorated-if)")
        if parts:
            warnings.warn(f"Only {n_measures} measure(s) with a better/worse direction are tracked, but "
                          + " and ".join(parts) + ", so no client can be classified so.",
                          UserWarning, stacklevel=3)

    def describe(self) -> str:
        """The rule in words (printed with every result)."""
        need = "every assessable measure" if self.min_improved == "all" else \
            f"at least {self.min_improved} measure(s)"
        worse = "none" if self.max_deteriorated == 0 else f"at most {self.max_deteriorated}"
        text = (f"reliable improvement = reliably improved on {need} and reliably worse on {worse}; "
                f"reliable deterioration = reliably worse on at least {self.deteriorated_if} "
                "measure(s) (checked first)")
        if self.recovery:
            text += ("; reliable recovery = reliable improvement, and of the measures with a clinical "
                     "cut-off, at least one on the clinical side at the first session and none at the "
                     "latest")
        return text

    def classify(self, n_improved: np.ndarray, n_deteriorated: np.ndarray, n_assessable: np.ndarray,
                 case_first: np.ndarray, case_latest: np.ndarray) -> np.ndarray:
        """Overall category per client from per-client counts (arrays of equal length)."""
        need = n_assessable if self.min_improved == "all" else np.full(n_assessable.shape,
                                                                        self.min_improved)
        out = np.full(n_assessable.shape, "no_reliable_change", dtype=object)
        improved = (n_improved >= need) & (n_deteriorated <= self.max_deteriorated) & (n_improved > 0)
        out[improved] = "reliable_improvement"
        if self.recovery:
            out[improved & case_first & ~case_latest] = "reliable_recovery"
        out[n_deteriorated >= self.deteriorated_if] = "reliable_deterioration"
        out[n_assessable == 0] = "not_assessable"
        return out


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, repr=False)
class TrackResult(ResultMixin):
    """Session-by-session change for each client and score, and the service summary.

    Attributes
    ----------
    sessions : DataFrame
        Tidy: one row per client x score x session between the client's first and
        latest session: ``value`` (missing stays missing), ``observed``, ``missing``
        (why a value is absent), ``rci_first`` / ``rc_first`` (from the first
        session), ``rci_previous`` / ``rc_previous`` (from the previous observed
        session), ``functional`` (beyond the cut-off on the non-clinical side) and
        ``days_from_first`` when a date column is given.
    clients : DataFrame
        One row per client x score: first and latest session and score, change,
        RCI, ``reliable_change``, ``clinical_change``, ``first_improvement_session``
        (first session reliably improved from the first), sessions observed / missing.
    outcomes : DataFrame
        One row per client: measures improved / deteriorated / assessable, clinical
        side at first and latest session, and ``outcome`` by the :class:`MultiMeasureRule`.
        Only scores with a direction (higher is better or worse) count; neutral scores
        are tracked but never make a client improved or worse.
    service : DataFrame
        Counts and percentages per measure and overall (``measure`` ``overall``).
    missing : DataFrame
        Every missing session or score (``client``, ``score``, ``session``, ``reason``).
    parameters : DataFrame
        Per score: direction, SD and reliability with sources, SE of the difference,
        points needed for a reliable change, cut-offs (from :func:`change`).
    rule : MultiMeasureRule
    """

    sessions: pd.DataFrame
    clients: pd.DataFrame
    outcomes: pd.DataFrame
    service: pd.DataFrame
    missing: pd.DataFrame
    parameters: pd.DataFrame
    rule: MultiMeasureRule
    id_col: str
    session_col: str
    date_col: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    rci_threshold: float = 1.96
    options: dict[str, Any] = field(default_factory=dict)

    _title = "Session-by-session change (Jacobson & Truax)"

    @property
    def rci_criterion(self) -> float:
        """The ``|RCI|`` threshold (0.1 name of :attr:`rci_threshold`)."""
        return self.rci_threshold

    @property
    def summary(self) -> pd.DataFrame:
        return self.service

    def _notes(self) -> list[str]:
        notes = [f"RCI = (score - first score) / SE_diff, SE_diff = SD * sqrt(2) * sqrt(1 - reliability) "
                 f"(Jacobson & Truax, 1991); |RCI| > {self.rci_threshold:g} is a reliable change. "
                 "Also from each session to the previous observed one (rci_previous).",
                 "Rule: " + self.rule.describe() + "."]
        for r in self.parameters.itertuples(index=False):
            notes.append(f"{r.score}: higher is {r.higher_is}; SD {r.sd:.4g} ({r.sd_source}); "
                         f"reliability {r.reliability:.4g} ({r.reliability_source}); more than "
                         f"{r.rc_threshold:.4g} points is reliable"
                         + (f"; cut-off {r.criterion} = {r.cutoff:.4g}" if isinstance(r.criterion, str)
                            else "; no clinical cut-off (no clinical and non-clinical norms)") + ".")
        if len(self.missing):
            n_rows = int((self.missing["reason"] == "no row for this session").sum())
            notes.append(f"{len(self.missing)} missing session score(s) ({n_rows} without a session row); "
                         "they are listed in 'missing' and never filled from an earlier session.")
        return notes

    def to_table(self, fmt: str = "simple", decimals: int = 3) -> str:
        from compassion_scales._format import render_table

        cols = [self.id_col, "score", "first_session", "latest_session", "first", "latest", "rci",
                "reliable_change", "clinical_change", "first_improvement_session"]
        shown = self.clients[cols].copy()
        for c in ("first_session", "latest_session", "first_improvement_session"):
            shown[c] = [None if pd.isna(v) else str(v) for v in shown[c]]  # session labels, not numbers
        return "\n".join([
            render_table(_display(shown), fmt=fmt, decimals=decimals), "",
            "Clients (all measures)", render_table(_display(self.outcomes), fmt=fmt, decimals=decimals),
            "", "Service summary", render_table(_display(self.service), fmt=fmt, decimals=decimals)])

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        return {"summary": to_jsonable(self.service), "clients": to_jsonable(self.clients),
                "outcomes": to_jsonable(self.outcomes), "sessions": to_jsonable(self.sessions),
                "missing": to_jsonable(self.missing), "parameters": to_jsonable(self.parameters),
                "rule": self.rule.describe(), "notes": self._notes()}

    def chart(self, client: Any) -> Any:
        """A matplotlib Figure of one client's scores by session (see
        :func:`compassion_scales.reporting.tracking_chart.client_chart`)."""
        from compassion_scales.reporting.tracking_chart import client_chart

        return client_chart(self, client)

    def report(self, directory: str | Path) -> list[Path]:
        """One Markdown report per client with its chart (PNG) beside it; returns the paths."""
        from compassion_scales.reporting.tracking_chart import write_client_reports

        return write_client_reports(self, directory)


def _display(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].isna().any():
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


# --------------------------------------------------------------------------- helpers


def _session_order(values: pd.Series) -> pd.Series:
    """Sortable key of session values: numbers as numbers, otherwise text in natural order.

    Labels that are one text with different numbers sort with the numbers compared as
    numbers, so ``week 2`` comes before ``week 10`` and ``S9`` before ``S10`` (plain text
    order would put ``S10`` second). Other labels (``pre``, ``post``, ``follow-up``; REDCap's
    ``intake_arm_1``, ``session_1_arm_1``, ``discharge_arm_1``, whose texts differ) keep the
    order in which they first appear, with a warning: sorting their texts would put
    ``discharge`` first. The key is the label's rank.

    Examples
    --------
    >>> _session_order(pd.Series(["S10", "S2", "S1", "S2"])).tolist()
    [2.0, 1.0, 0.0, 1.0]
    """
    num = pd.to_numeric(values, errors="coerce")
    if num.notna().sum() == values.notna().sum():
        return num.astype(float)
    labels = values.dropna().astype(str).unique()  # in order of first appearance
    texts = {tuple(part for part in _natural_key(v) if part[0] == 1) for v in labels}
    if len(texts) > 1 or not any(len(_natural_key(v)) > 1 for v in labels):
        order = list(labels)
        warnings.warn("Session labels (" + ", ".join(order[:6]) + (", ..." if len(order) > 6 else "")
                      + ") are neither numbers nor one text with different numbers ('week 1', 'week "
                      "2'), so they are taken in the order they first appear in the file; number "
                      "them (1, 2, ... or 'week 1') to make the order explicit.",
                      UserWarning, stacklevel=4)
    else:
        order = sorted(labels, key=_natural_key)
    rank = {v: float(i) for i, v in enumerate(order)}
    return values.map(lambda v: rank.get(str(v), np.nan) if pd.notna(v) else np.nan).astype(float)


def _natural_key(text: str) -> tuple[tuple[int, float | str], ...]:
    """``"week 10"`` -> ((1, "week "), (0, 10.0)): numbers compare as numbers."""
    import re

    parts = re.split(r"(\d+(?:\.\d+)?)", text.strip().lower())
    return tuple((0, float(p)) if i % 2 else (1, p) for i, p in enumerate(parts) if p != "")


def _score_table(data: pd.DataFrame, instruments: Sequence[Any], id_col: str, session_col: str,
                 scores: Sequence[str] | None, options: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Long data -> (id, session, one column per score), and score id -> instrument.

    Each instrument goes through the shared input layer (:func:`_inputs.scored_data`): its
    items are scored once, or its score columns are taken as they are.
    """
    import warnings

    from compassion_scales._inputs import check_role_columns, scored_data
    from compassion_scales.errors import SkippedScoreWarning

    check_role_columns(data, {"--id": id_col, "--session": session_col})
    out = data[[id_col, session_col]].reset_index(drop=True)
    owner: dict[str, Any] = {}
    for inst in instruments:
        cols = set(map(str, data.columns))
        items = {i for s in inst.score_ids for i in inst.score_items(s)}
        mapped = bool(options.column_map and set(options.column_map.values()) & items)
        if not (items & cols) and not mapped and not options.patterns \
                and not any(s in cols for s in inst.score_ids):
            continue
        got = scored_data(data, inst, None, id_cols=[id_col, session_col], options=options,
                          reserved={"--id": id_col, "--session": session_col})
        for note in got.notes():
            warnings.warn(note, SkippedScoreWarning, stacklevel=3)
        frame = got.frame.reset_index(drop=True)
        present = list(got.scores)
        for s in present:
            if scores is not None and s not in scores:
                continue
            out[s] = pd.to_numeric(frame[s], errors="coerce").astype(float).to_numpy()
            owner[s] = inst
    if scores is not None:
        absent = [s for s in scores if s not in owner]
        if absent:
            raise AnalysisError("Score(s) " + ", ".join(absent) + " are not in the data (neither the "
                                "items nor a score column of the instruments given).")
    if not owner:
        raise AnalysisError("The data hold neither the items nor the score columns of "
                            + ", ".join(i.id for i in instruments) + ".")
    return out, owner


# --------------------------------------------------------------------------- track()


@renamed_arguments(rci_criterion="rci_threshold")
def track(data: pd.DataFrame, instruments: InstrumentLike | Sequence[InstrumentLike], *, id: str,
          session: str, date: str | None = None, scores: Sequence[str] | None = None,
          sd: float | Mapping[str, float] | None = None,
          reliability: float | Mapping[str, float] | None = None,
          higher_is: str | Mapping[str, str] | None = None, norm_sample: str | None = None,
          norms_files: Sequence[Any] = (), rule: MultiMeasureRule | None = None,
          criterion: str = "auto", rci_threshold: float = 1.96, on_invalid: str = "error",
          column_map: Mapping[str, str] | None = None,
          patterns: Mapping[str, str] | Sequence[str] | str | None = None,
          prorate: float | None = None) -> TrackResult:
    """Track reliable change session by session for each client and several measures.

    Parameters
    ----------
    data : DataFrame
        Long data: one row per client and session, holding the items (or the
        score columns) of the instruments.
    instruments : str, path, Instrument or a list of them
        The measures (e.g. ``["fcs", "ceas"]``).
    id, session : str
        Client and session columns; one row per client and session.
    date : str, optional
        Date column, carried into the tables (``days_from_first``).
    scores : list of str, optional
        Scores to track (default: every score present).
    sd, reliability, higher_is, norm_sample, criterion, rci_threshold
        As in :func:`compassion_scales.analyses.change.change` (one value or
        score -> value). ``rci_threshold`` was called ``rci_criterion`` before 0.2 (the
        old name works until 1.0, with a ``FutureWarning``).
    norms_files : list
        Norms files (one per instrument at most) for ``norm_sample`` and cut-offs.
    rule : MultiMeasureRule, optional
        How measures combine per client (default: improvement on at least one
        measure and deterioration on none; deterioration on any; recovery).
    on_invalid, column_map, patterns, prorate
        Passed to :func:`compassion_scales.score`.

    Returns
    -------
    TrackResult

    Notes
    -----
    For each client and score, "first" and "latest" are the first and latest
    sessions with a score. SD, reliability and cut-offs are those of
    :func:`change` run on those two sessions, with the same defaults and sources.
    A missing session is reported and skipped: scores are never carried forward.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"client": ["a"] * 3, "session": [1, 2, 3],
    ...                   "fcs_self": [34.0, 30.0, 22.0]})
    >>> res = track(d, "fcs", id="client", session="session", sd=10, reliability=0.875)
    >>> res.sessions[["session", "value", "rci_first", "rc_first"]]
       session  value  rci_first              rc_first
    0        1   34.0        0.0    no_reliable_change
    1        2   30.0       -0.8    no_reliable_change
    2        3   22.0       -2.4  reliable_improvement
    >>> res.clients["first_improvement_session"].tolist()
    [3]
    """
    from compassion_scales._inputs import InputOptions
    from compassion_scales.instrument import Instrument
    from compassion_scales.norms import load_norms_file

    many = (list(instruments) if isinstance(instruments, Sequence)
            and not isinstance(instruments, (str, Instrument)) else [instruments])
    insts = [as_instrument(i) for i in many]
    rule = rule or MultiMeasureRule()
    check_change_options(criterion, rci_threshold)
    scores = [scores] if isinstance(scores, str) else scores
    _check_sessions(data, id, session, date)
    nfs = [nf if not isinstance(nf, (str, Path)) else load_norms_file(nf) for nf in norms_files]
    ids = {i.id.lower() for i in insts}
    for nf in nfs:  # a norms file of another instrument would be ignored without a word
        if nf.instrument.lower().replace("-", "_") not in ids:
            raise AnalysisError(f"The norms file {nf.path} is for instrument {nf.instrument!r}, not "
                                f"for {', '.join(sorted(i.id for i in insts))}; give the norms file "
                                "of an instrument being tracked.")
    table, owner = _score_table(data, insts, id, session, scores,
                                InputOptions.of(column_map, patterns, on_invalid, prorate))
    check_score_keys(list(dict.fromkeys([*owner, *(s for i in insts for s in i.score_ids)])),
                     sd=sd, reliability=reliability, higher_is=higher_is)
    session_of = _rank_sessions(table, data, session, date)
    if date is not None:
        _check_date_order(table, data, id, session)
    settings = _Settings(id=id, session=session, date=date, sd=sd, reliability=reliability,
                         higher_is=higher_is, norm_sample=norm_sample, criterion=criterion,
                         rci_threshold=rci_threshold, on_invalid=on_invalid, session_of=session_of)
    frames, client_frames, param_rows = [], [], []
    for s, inst in owner.items():
        nf = next((n for n in nfs if n.instrument.lower() == inst.id.lower()), None)
        grid, clients_s, params_s = _track_score(s, inst, nf, table, settings)
        frames.append(grid)
        client_frames.append(clients_s)
        param_rows.append(params_s)
    score_ids = list(owner)
    clients = _clients_frame(client_frames, id, pd.api.types.is_integer_dtype(data[session]))
    directional = [r["score"] for r in param_rows if r["higher_is"] != "neutral"]
    rule.warn_unreachable(len(directional))
    outcomes = _outcomes(clients[clients["score"].isin(directional)], id, rule)
    sessions = _sessions_frame(frames, id, score_ids)
    return TrackResult(sessions=sessions, clients=clients, outcomes=outcomes,
                       service=_service(clients, outcomes, score_ids),
                       missing=_missing_frame(frames, id, session), parameters=pd.DataFrame(param_rows),
                       rule=rule, id_col=id, session_col=session, date_col=date,
                       labels={s: inst.score(s).label for s, inst in owner.items()},
                       rci_threshold=rci_threshold,
                       options={"norm_sample": norm_sample, "criterion": criterion})


# --------------------------------------------------------------------------- track() steps


@dataclass(frozen=True)
class _Settings:
    """The roles and change parameters shared by every score of a :func:`track` call."""

    id: str
    session: str
    date: str | None
    sd: float | Mapping[str, float] | None
    reliability: float | Mapping[str, float] | None
    higher_is: str | Mapping[str, str] | None
    norm_sample: str | None
    criterion: str
    rci_threshold: float
    on_invalid: str
    session_of: dict[int, Any]


def _check_sessions(data: pd.DataFrame, id: str, session: str, date: str | None) -> None:
    for col, what in ((id, "client (--id)"), (session, "session (--session)")):
        if col not in data.columns:
            raise AnalysisError(f"The {what} column {col!r} is not in the data; columns are: "
                                + ", ".join(map(str, data.columns[:30])) + "." + column_hint(data.columns, col))
    if date is not None and date not in data.columns:
        raise AnalysisError(f"The date column {date!r} is not in the data." + column_hint(data.columns, date))
    rows = file_row_numbers(data)
    source = data.attrs.get("source")
    where = f"{source}: " if source else ""
    if id == session:
        raise AnalysisError(f"The client (--id) and session (--session) columns are both {id!r}; "
                            "name the column that tells the sessions apart.")
    if len(data) == 0:
        raise AnalysisError(f"{where}there are no rows to track." if where else "There are no rows to track.")
    blank_id, blank_session = ((data[c].astype("string").str.strip() == "").fillna(True).to_numpy(dtype=bool)
                               for c in (id, session))
    bad = blank_id | blank_session
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        col = id if blank_id[first] else session
        listed = ", ".join(str(r) for r in rows[bad][:10]) + (", ..." if bad.sum() > 10 else "")
        raise AnalysisError(f"{where}row {int(rows[first])}, column {col}: empty; {int(bad.sum())} row(s) "
                            f"have no {id!r} or {session!r} value (rows {listed}); every row needs a "
                            "client and a session.")
    check_padded_people(data, id, rows, where=where, noun="client", plural="clients",
                        consequence="one client's sessions would be tracked as two clients")
    dup = data.duplicated([id, session], keep=False).to_numpy()
    if dup.any():
        keys = data.loc[dup, [id, session]].astype(str).agg("/".join, axis=1)
        where_rows = pd.Series(rows[dup], index=keys.to_numpy()).groupby(level=0, sort=False).agg(
            lambda r: ", ".join(map(str, r)))
        shown = "; ".join(f"{k} in rows {r}" for k, r in where_rows.head(5).items())
        if len(where_rows) > 5:
            shown += f"; and {len(where_rows) - 5} more"
        raise AnalysisError(f"{where}more than one row for client/session (columns {id}, {session}): "
                            f"{shown}; keep one row per client and session.")


def _rank_sessions(table: pd.DataFrame, data: pd.DataFrame, session: str, date: str | None
                   ) -> dict[int, Any]:
    """Add ``_rank`` (and ``_date``) to ``table`` in place; return rank -> session value."""
    if date is not None:
        table["_date"] = parse_dates(data, date).reset_index(drop=True)
    table["_order"] = _session_order(table[session])
    levels = np.sort(pd.unique(table["_order"].dropna()))
    rank = {v: i for i, v in enumerate(levels)}
    table["_rank"] = table["_order"].map(rank).astype(int)
    return dict(zip(table["_rank"], table[session], strict=False))


def _check_date_order(table: pd.DataFrame, data: pd.DataFrame, id: str, session: str) -> None:
    """Warn when a client's later session is dated before an earlier one (``2025-12-12`` for
    ``2026-01-12``, a January typo): ``days_from_first`` then went negative without a word."""
    order = table.sort_values([id, "_rank"], kind="stable")
    prev = order.groupby(id, sort=False)["_date"].shift(1)
    back = (order["_date"] < prev).fillna(False).to_numpy(dtype=bool)
    if not back.any():
        return
    rows = file_row_numbers(data)
    pos = order.index.to_numpy()
    at = int(np.flatnonzero(back)[0])
    source = data.attrs.get("source")
    n = int(back.sum())
    warnings.warn(
        f"{source + ': ' if source else ''}client {order[id].iloc[at]}: session "
        f"{order[session].iloc[at]} (row {int(rows[pos[at]])}) is dated "
        f"{order['_date'].iloc[at]:%Y-%m-%d}, before the session before it ({prev.iloc[at]:%Y-%m-%d}); "
        f"{n} session{'s' if n != 1 else ''} dated before the previous one. Check the dates: "
        "days_from_first goes backwards there.", UserWarning, stacklevel=3)


def _session_grid(table: pd.DataFrame, sub: pd.DataFrame, st: _Settings) -> pd.DataFrame:
    """Every session from each client's first to latest row (any measure), with why a value is missing."""
    id = st.id
    span = table.groupby(id, sort=False)["_rank"].agg(lo="min", hi="max")
    n_per = (span["hi"] - span["lo"] + 1).to_numpy()
    grid = pd.DataFrame({id: np.repeat(span.index.to_numpy(), n_per),
                         "_rank": np.concatenate([np.arange(lo, hi + 1) for lo, hi in
                                                  zip(span["lo"], span["hi"], strict=True)])
                         if len(span) else np.array([], dtype=int)})
    grid = grid.merge(sub.drop(columns=[st.session]).assign(_row=True), on=[id, "_rank"], how="left")
    grid[st.session] = grid["_rank"].map(st.session_of)
    has_row = grid["_row"].notna().to_numpy()
    reason = np.full(len(grid), None, dtype=object)
    reason[grid["value"].isna().to_numpy()] = "score missing"
    reason[~has_row] = "no row for this session"
    grid["observed"] = grid["value"].notna()
    grid["missing"] = pd.Series(reason, dtype="string")
    return grid


def _first_to_latest(s: str, inst: Any, nf: Any, first: pd.DataFrame, latest: pd.DataFrame,
                     st: _Settings) -> Any:
    """:func:`change` from each client's first to latest scored session (its parameters too)."""
    id = st.id
    two = first.index.to_series()[first["_rank"].to_numpy() != latest.loc[first.index, "_rank"].to_numpy()]
    pre = first.loc[two.index].reset_index()[[id, "value"]].rename(columns={"value": s})
    post = latest.loc[two.index].reset_index()[[id, "value"]].rename(columns={"value": s})
    if pre.empty:
        raise AnalysisError(f"No client has {s} at two or more sessions; nothing to track.")
    if (st.reliability is None or per_score(st.reliability, s) is None) and st.norm_sample is None \
            and not inst.score(s).reliability:
        raise AnalysisError(f"No published reliability for {s} in the instrument file; give one "
                            f"(--reliability {s}=R) or a norm sample with a reliability (--norms).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=FutureWarning)
        return change(pre, inst, second_data=post, id=id, scores=[s], sd=st.sd,
                      reliability=st.reliability, higher_is=st.higher_is, criterion=st.criterion,
                      rci_threshold=st.rci_threshold, norm_sample=st.norm_sample, norms_file=nf,
                      on_invalid=st.on_invalid)


def _session_rci(grid: pd.DataFrame, obs: pd.DataFrame, first: pd.DataFrame, p: pd.Series,
                 st: _Settings) -> pd.DataFrame:
    """RCI of each session from the first and from the previous observed session; cut-off side."""
    id = st.id
    direction = str(p["higher_is"])
    sdv, relv = float(p["sd"]), float(p["reliability"])
    grid["first_value"] = grid[id].map(first["value"]).to_numpy(float)
    rc1 = reliable_change(grid["first_value"], grid["value"], sd=sdv, reliability=relv,
                          higher_is=direction, rci_threshold=st.rci_threshold)
    grid["rci_first"] = rc1["rci"].to_numpy()
    grid["rc_first"] = rc1["reliable_change"].to_numpy()
    prev = obs.groupby(id, sort=False)["value"].shift(1)
    grid = grid.merge(obs[[id, "_rank"]].assign(previous=prev.to_numpy()), on=[id, "_rank"], how="left")
    rcp = reliable_change(grid["previous"], grid["value"], sd=sdv, reliability=relv,
                          higher_is=direction, rci_threshold=st.rci_threshold)
    grid["rci_previous"] = rcp["rci"].to_numpy()
    grid["rc_previous"] = rcp["reliable_change"].to_numpy()
    cutoff = float(p["cutoff"])
    if np.isfinite(cutoff):
        side = functional_side(grid["value"].to_numpy(float), cutoff, direction == "better")
        grid["functional"] = pd.arrays.BooleanArray(side == 1.0, np.isnan(side))
    else:
        grid["functional"] = pd.array([None] * len(grid), dtype="boolean")
    if st.date:
        grid["days_from_first"] = (grid["_date"] - grid[id].map(first["_date"])).dt.days
    return grid


def _client_rows(s: str, grid: pd.DataFrame, first: pd.DataFrame, latest: pd.DataFrame,
                 persons: pd.DataFrame, st: _Settings) -> pd.DataFrame:
    """One row per client: first and latest session and score, and the change between them."""
    id = st.id
    clients = pd.Index(pd.unique(grid[id]), name=id)
    counts = grid.groupby(id, sort=False).agg(n_observed=("observed", "sum"),
                                              n_missing=("missing", "count")).reindex(clients)
    out = pd.DataFrame({id: clients, "score": s}).set_index(id, drop=False)
    out["n_observed"] = counts["n_observed"].astype(int)
    out["n_missing"] = counts["n_missing"].astype(int)
    has = clients.isin(first.index)
    fr = first.reindex(clients)
    la = latest.reindex(clients)
    out["first_session"] = fr["_rank"].map(st.session_of)
    out["latest_session"] = la["_rank"].map(st.session_of)
    out["first"] = fr["value"].astype(float)
    out["latest"] = la["value"].astype(float)
    # change() may key ids as text (e.g. 007 kept as '007'): look clients up by their text
    per = persons.set_index(persons[id].astype(str)).reindex(clients.astype(str))
    per.index = clients
    out["diff"] = per["diff"].astype(float)
    out["rci"] = per["rci"].astype(float)
    out["reliable_change"] = per["reliable_change"]
    out["clinical_change"] = per["clinical_change"]
    out["first_functional"] = per["pre_functional"]
    out["latest_functional"] = per["post_functional"]
    one = has & (fr["_rank"] == la["_rank"]).to_numpy()
    note = np.full(len(out), None, dtype=object)
    note[one] = "one session only: change cannot be judged"
    note[~has] = "no score at any session: change cannot be judged"
    out["note"] = note
    improved = grid[(grid["rc_first"] == "reliable_improvement").fillna(False).to_numpy(bool)]
    out["first_improvement_session"] = (improved.groupby(id, sort=False)["_rank"].min()
                                        .map(st.session_of).reindex(clients))
    out.loc[~has, ["n_observed"]] = 0
    return out.reset_index(drop=True)


def _track_score(s: str, inst: Any, nf: Any, table: pd.DataFrame, st: _Settings
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """One score: (session grid, client rows, parameters row)."""
    id, date = st.id, st.date
    sub = table[[id, st.session, "_rank", *(["_date"] if date else []), s]].rename(columns={s: "value"})
    obs = sub[sub["value"].notna()].sort_values([id, "_rank"])
    first = obs.groupby(id, sort=False).head(1).set_index(id)
    latest = obs.groupby(id, sort=False).tail(1).set_index(id)
    grid = _session_grid(table, sub, st)
    ch = _first_to_latest(s, inst, nf, first, latest, st)
    p = ch.parameters.iloc[0]
    grid = _session_rci(grid, obs, first, p, st)
    grid.insert(1, "score", pd.Series([s] * len(grid), dtype="string"))
    keep = [id, "score", st.session, *(["_date"] if date else []), "value", "observed", "missing",
            "rci_first", "rc_first", "rci_previous", "rc_previous", "functional",
            *(["days_from_first"] if date else []), "_rank"]
    grid = grid[keep].rename(columns={"_date": date} if date else {})
    return grid, _client_rows(s, grid, first, latest, ch.persons, st), p.to_dict()


def _sessions_frame(frames: list[pd.DataFrame], id: str, score_ids: list[str]) -> pd.DataFrame:
    sessions = pd.concat(frames, ignore_index=True).sort_values(["score", id, "_rank"], kind="stable")
    sessions = sessions.drop(columns="_rank").reset_index(drop=True)
    order = {sc: i for i, sc in enumerate(score_ids)}
    return sessions.sort_values([id, "score"], key=lambda c: c.map(order) if c.name == "score" else c,
                                kind="stable").reset_index(drop=True)


def _clients_frame(frames: list[pd.DataFrame], id: str, integer_sessions: bool) -> pd.DataFrame:
    cols = [id, "score", "first_session", "latest_session", "first", "latest", "n_observed",
            "n_missing", "diff", "rci", "reliable_change", "clinical_change", "first_functional",
            "latest_functional", "first_improvement_session", "note"]
    clients = pd.concat(frames, ignore_index=True).reindex(columns=cols)
    for c in ("reliable_change", "clinical_change", "note"):
        clients[c] = clients[c].astype("string")
    for c in ("first_functional", "latest_functional"):
        clients[c] = clients[c].astype("boolean")
    if integer_sessions:
        for c in ("first_session", "latest_session", "first_improvement_session"):
            clients[c] = pd.array(clients[c].tolist(), dtype="Int64")
    return clients


def _missing_frame(frames: list[pd.DataFrame], id: str, session: str) -> pd.DataFrame:
    """Every missing session score, score by score: ``id``, ``score``, ``session``, ``reason``."""
    gap = pd.concat(frames, ignore_index=True)
    gap = gap[gap["missing"].notna()]
    rows = [{"client": c, "score": s, "session": v, "reason": r}
            for c, s, v, r in zip(gap[id], gap["score"], gap[session], gap["missing"], strict=True)]
    return pd.DataFrame(rows, columns=["client", "score", "session", "reason"]).rename(
        columns={"client": id})


def _outcomes(clients: pd.DataFrame, id_col: str, rule: MultiMeasureRule) -> pd.DataFrame:
    """Per client counts over the measures with a direction (neutral scores never count)."""
    c = clients.assign(
        _imp=(clients["reliable_change"] == "reliable_improvement").fillna(False).astype(int),
        _det=(clients["reliable_change"] == "reliable_deterioration").fillna(False).astype(int),
        _ass=clients["reliable_change"].notna().astype(int),
        _case_first=(clients["first_functional"] == False).fillna(False).astype(int),  # noqa: E712
        _case_latest=(clients["latest_functional"] == False).fillna(False).astype(int),  # noqa: E712
        _has_cut=clients["latest_functional"].notna().astype(int))
    g = c.groupby(id_col, sort=False).agg(
        n_measures=("score", "size"), n_assessable=("_ass", "sum"), n_improved=("_imp", "sum"),
        n_deteriorated=("_det", "sum"), n_with_cutoff=("_has_cut", "sum"),
        n_clinical_first=("_case_first", "sum"), n_clinical_latest=("_case_latest", "sum"))
    outcome = rule.classify(g["n_improved"].to_numpy(), g["n_deteriorated"].to_numpy(),
                            g["n_assessable"].to_numpy(), g["n_clinical_first"].to_numpy() > 0,
                            g["n_clinical_latest"].to_numpy() > 0)
    g["outcome"] = pd.Series(outcome, index=g.index, dtype="string")
    return g.reset_index()


def _service(clients: pd.DataFrame, outcomes: pd.DataFrame, score_ids: Sequence[str]) -> pd.DataFrame:
    rows = []
    for s in score_ids:
        c = clients[clients["score"] == s]
        n_ass = int(c["reliable_change"].notna().sum())
        for kind, cats in (("reliable_change", ("reliable_improvement", NO_RC, "reliable_deterioration",
                                                "reliable_increase", "reliable_decrease")),
                           ("clinical_change", ("recovered", "improved", "unchanged", "deteriorated"))):
            if kind == "clinical_change" and c[kind].isna().all():
                continue
            for cat in cats:
                n = int((c[kind] == cat).fillna(False).sum())
                if cat in ("reliable_increase", "reliable_decrease") and n == 0:
                    continue  # categories of neutral scores only
                rows.append({"measure": s, "classification": kind, "category": cat, "n": n,
                             "percent": 100.0 * n / n_ass if n_ass else np.nan})
        rows.append({"measure": s, "classification": "reliable_change", "category": "not_assessable",
                     "n": len(c) - n_ass, "percent": np.nan})
    n_ass = int((outcomes["outcome"] != "not_assessable").sum())
    for cat in OVERALL_CATEGORIES:
        n = int((outcomes["outcome"] == cat).sum())
        rows.append({"measure": "overall", "classification": "multi_measure_rule", "category": cat,
                     "n": n, "percent": (100.0 * n / n_ass if n_ass else np.nan)
                     if cat != "not_assessable" else np.nan})
    out = pd.DataFrame(rows)
    for col in ("measure", "classification", "category"):
        out[col] = out[col].astype("string")
    return out
