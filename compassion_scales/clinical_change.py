"""Clinical change for individuals: reliable change and clinical significance.

Jacobson & Truax (1991) asked two questions of each client's pre/post scores:

1. Did the score change by more than measurement error allows? The **Reliable
   Change Index** ``RCI = (post - pre) / SE_diff`` with
   ``SE_diff = SD_pre * sqrt(2) * sqrt(1 - r)``; ``|RCI| > 1.96`` is a reliable
   change (a change this large would happen by measurement error alone less than
   5% of the time).
2. Did the client move from the range of people with difficulties (the clinical
   population) into the range of people without them (the functional,
   non-clinical population)? Cut-offs **a** (two SDs beyond the clinical mean),
   **b** (within two SDs of the functional mean) and **c** (the point between the
   two means weighted by their SDs).

Both questions depend on the direction of the score (``higher_is`` in the
instrument file): a fall in fears of compassion is an improvement, a fall in
self-compassion is not.

References
----------
Jacobson, N. S., & Truax, P. (1991). Clinical significance: A statistical approach
to defining meaningful change in psychotherapy research. *Journal of Consulting and
Clinical Psychology, 59*(1), 12-19. https://doi.org/10.1037/0022-006X.59.1.12
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from compassion_scales.errors import AnalysisError, PsychometricWarning
from compassion_scales.results import ResultMixin
from compassion_scales.stats.change import jt_cutoffs, rc_direction, se_diff
from compassion_scales.stats.change import rci as _rci_kernel

__all__ = [
    "reliable_change",
    "clinical_significance",
    "jacobson_truax_cutoffs",
    "change",
    "ChangeResult",
    "NormsWarning",
]

#: reliability coefficients accepted from instrument files, in order of preference
RELIABILITY_PREFERENCE = ("alpha", "omega", "test_retest", "icc", "split_half")

RC_LABELS = {
    "better": ("reliable_improvement", "reliable_deterioration"),
    "worse": ("reliable_deterioration", "reliable_improvement"),
    "neutral": ("reliable_increase", "reliable_decrease"),
}
NO_RC = "no_reliable_change"
CLINICAL_CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated")

_PLAIN = {
    "reliable_improvement": "reliably improved",
    "reliable_deterioration": "reliably worse",
    "reliable_increase": "reliably higher",
    "reliable_decrease": "reliably lower",
    "no_reliable_change": "no reliable change",
    "recovered": "recovered",
    "improved": "improved",
    "unchanged": "unchanged",
    "deteriorated": "deteriorated",
}


class NormsWarning(PsychometricWarning):
    """Published norms look inconsistent with the score's direction, or are missing."""


# --------------------------------------------------------------------------- helpers


def _direction(higher_is: str | None) -> str:
    if higher_is in (None, "", "neutral"):
        return "neutral"
    if higher_is not in ("better", "worse"):
        raise AnalysisError(
            f"higher_is must be 'better', 'worse' or 'neutral', not {higher_is!r}.")
    return higher_is


def _resolve_higher_is(higher_is: str | None, instrument: Any, score: str | None) -> str:
    """The score direction from the caller, else from the instrument file; never a default."""
    if higher_is is not None:
        return higher_is
    if instrument is not None and score is not None:
        from compassion_scales.instrument import load_instrument

        inst = load_instrument(instrument)
        found = inst.score(score).higher_is
        if found:
            return found
        raise AnalysisError(
            f"The instrument file {inst.id} does not say whether higher {score} scores are better "
            "or worse; give higher_is='better', 'worse' or 'neutral'.")
    raise AnalysisError(
        "Say which direction is better: give higher_is='better' (e.g. self-compassion), "
        "'worse' (e.g. fears of compassion) or 'neutral', or give instrument=... and score=... "
        "so the instrument file says it.")


def _check_parameters(sd: float, reliability: float, what: str = "") -> None:
    where = f" for {what}" if what else ""
    if sd is None or not np.isfinite(sd) or sd <= 0:
        raise AnalysisError(
            f"The standard deviation{where} must be a positive number (got {sd!r}). "
            "Give the SD of the pre-treatment (clinical) population, e.g. --sd 8.5.")
    if reliability is None or not np.isfinite(reliability) or not 0 <= reliability < 1:
        raise AnalysisError(
            f"The reliability{where} must be at least 0 and below 1 (got {reliability!r}). "
            "Give a published coefficient such as Cronbach's alpha, e.g. --reliability 0.85.")


def se_difference(sd: float, reliability: float) -> float:
    """Standard error of a difference score, ``SD * sqrt(2) * sqrt(1 - r)``.

    Examples
    --------
    >>> round(se_difference(10, 0.84), 4)
    5.6569
    """
    _check_parameters(sd, reliability)
    return se_diff(sd, reliability)


def _as_float_array(x: Any, name: str) -> np.ndarray:
    if isinstance(x, np.ndarray) and x.dtype.kind in "fiu":  # fast path: already numbers
        return np.atleast_1d(x.astype(float))
    try:
        arr = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(x, dtype=object))),
                                       errors="raise"), dtype=float)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"The {name} scores must be numbers ({exc}).") from None
    return arr


def _rc_category(rci: np.ndarray, direction: str, criterion: float) -> pd.Series:
    up, down = RC_LABELS[direction]
    sign = rc_direction(rci, criterion)
    out = np.full(rci.shape, None, dtype=object)
    out[sign == 0] = NO_RC
    out[sign == 1] = up
    out[sign == -1] = down
    return pd.Series(out, dtype="string")


# --------------------------------------------------------------------------- RCI


def reliable_change(pre: Any, post: Any, *, sd: float, reliability: float,
                    higher_is: str | None = None, instrument: Any = None, score: str | None = None,
                    criterion: float = 1.96) -> pd.DataFrame:
    """Jacobson-Truax Reliable Change Index for paired scores.

    Parameters
    ----------
    pre, post : array-like
        Scores before and after (same length; NaN = missing, kept as missing).
    sd : float
        Standard deviation of pre-treatment scores (published clinical norm, or the
        sample's pre scores).
    reliability : float
        Reliability of the score (Cronbach's alpha or test-retest), ``0 <= r < 1``.
    higher_is : {"better", "worse", "neutral"}, optional
        Direction of the score; decides whether a rise is an improvement. There is
        no default: give it, or give ``instrument`` and ``score`` so the instrument
        file says it (a fall in fears of compassion is an improvement, a fall in
        self-compassion is not).
    instrument : str, Path or Instrument, optional
        Instrument whose score ``score`` supplies ``higher_is`` when it is not given.
    score : str, optional
        Score id in ``instrument``.
    criterion : float
        ``|RCI|`` must be *greater* than this for a reliable change (1.96: p < .05).

    Returns
    -------
    DataFrame
        ``pre``, ``post``, ``diff`` (post - pre), ``se_diff``, ``rci`` and
        ``reliable_change`` (``reliable_improvement`` / ``no_reliable_change`` /
        ``reliable_deterioration``; ``reliable_increase`` / ``reliable_decrease``
        for neutral scores; missing where a score is missing).

    Notes
    -----
    ``SE_diff = SD * sqrt(2) * sqrt(1 - r)`` and ``RCI = (post - pre) / SE_diff``
    (Jacobson & Truax, 1991). A change of exactly ``criterion * SE_diff`` is not
    counted as reliable.

    Examples
    --------
    >>> rc = reliable_change([30, 30], [20, 27], sd=10, reliability=0.84, higher_is="worse")
    >>> rc[["diff", "rci", "reliable_change"]].round(3)
       diff    rci         reliable_change
    0 -10.0 -1.768      no_reliable_change
    1  -3.0 -0.530      no_reliable_change
    >>> reliable_change([30], [18], sd=10, reliability=0.84,
    ...                 instrument="fcs", score="fcs_self")["reliable_change"].iloc[0]
    'reliable_improvement'
    """
    direction = _direction(_resolve_higher_is(higher_is, instrument, score))
    a = _as_float_array(pre, "pre")
    b = _as_float_array(post, "post")
    if a.shape != b.shape:
        raise AnalysisError(f"pre and post must have the same number of scores "
                            f"({a.size} and {b.size} given).")
    se = se_difference(sd, reliability)
    diff = b - a
    rci = _rci_kernel(a, b, se)
    return pd.DataFrame({
        "pre": a, "post": b, "diff": diff, "se_diff": np.full(a.shape, se),
        "rci": rci, "reliable_change": _rc_category(rci, direction, criterion),
    })


# --------------------------------------------------------------------------- cut-offs


def jacobson_truax_cutoffs(*, higher_is: str, clinical: tuple[float, float] | None = None,
                           functional: tuple[float, float] | None = None) -> dict[str, float | None]:
    """Cut-offs a, b and c of Jacobson & Truax (1991).

    Parameters
    ----------
    higher_is : {"better", "worse"}
        Direction of the score.
    clinical, functional : (mean, sd) or None
        Norms of the clinical (dysfunctional) and functional (non-clinical) populations.

    Returns
    -------
    dict
        ``{"a": ..., "b": ..., "c": ...}``; a value is None when the norms it needs
        are missing. For ``higher_is="worse"``: ``a = M_clin - 2 SD_clin``,
        ``b = M_func + 2 SD_func``; for ``"better"`` the signs flip.
        ``c = (SD_clin * M_func + SD_func * M_clin) / (SD_clin + SD_func)``.

    Examples
    --------
    >>> jacobson_truax_cutoffs(higher_is="worse", clinical=(30, 8), functional=(12, 6))
    {'a': 14.0, 'b': 24.0, 'c': 19.714285714285715}
    """
    direction = _direction(higher_is)
    if direction == "neutral":
        raise AnalysisError("Clinical cut-offs need a score direction (higher_is 'better' or "
                            "'worse'); this score is neutral.")
    sign = 1.0 if direction == "better" else -1.0  # towards the functional side
    for name, norm in (("clinical", clinical), ("functional", functional)):
        if norm is not None and (len(norm) != 2 or not np.isfinite(norm[1]) or norm[1] <= 0):
            raise AnalysisError(f"The {name} norm must be (mean, sd) with a positive SD; got {norm!r}.")
    return jt_cutoffs(sign, clinical, functional)


def _auto_criterion(cut: Mapping[str, float | None]) -> str | None:
    if cut.get("c") is not None:
        return "c"
    if cut.get("a") is not None:
        return "a"
    if cut.get("b") is not None:
        return "b"
    return None


def _functional_side(values: np.ndarray, cutoff: float, direction: str) -> np.ndarray:
    """True where a score lies beyond the cut-off on the functional side (NaN stays NaN)."""
    with np.errstate(invalid="ignore"):
        side = values > cutoff if direction == "better" else values < cutoff
    return np.where(np.isnan(values), np.nan, side.astype(float))


def clinical_significance(pre: Any, post: Any, *, sd: float, reliability: float, higher_is: str,
                          clinical: tuple[float, float] | None = None,
                          functional: tuple[float, float] | None = None,
                          criterion: str = "auto", rci_criterion: float = 1.96) -> pd.DataFrame:
    """Jacobson-Truax clinical significance: reliable change plus crossing a cut-off.

    Parameters
    ----------
    pre, post : array-like
        Scores before and after.
    sd, reliability : float
        As in :func:`reliable_change`.
    higher_is : {"better", "worse"}
        Direction of the score.
    clinical, functional : (mean, sd) or None
        Published norms of the clinical and functional (non-clinical) populations.
    criterion : {"auto", "a", "b", "c"}
        Which cut-off to use. ``auto`` takes c when both norms are given (Jacobson &
        Truax's recommendation), otherwise a (clinical norms only) or b (functional only).
    rci_criterion : float
        Threshold for ``|RCI|`` (1.96).

    Returns
    -------
    DataFrame
        The columns of :func:`reliable_change` plus ``criterion``, ``cutoff``,
        ``pre_functional`` and ``post_functional`` (score beyond the cut-off on the
        functional side; a score exactly at the cut-off is not) and
        ``clinical_change``: ``recovered`` (reliable improvement from the clinical
        range into the functional range), ``improved`` (reliable improvement without
        that crossing), ``unchanged`` (no reliable change) or ``deteriorated``
        (reliable deterioration).

    Examples
    --------
    >>> cs = clinical_significance([30, 30, 30, 19], [18, 26, 40, 9], sd=8, reliability=0.84,
    ...                            higher_is="worse", clinical=(30, 8), functional=(12, 6))
    >>> cs[["cutoff", "rci", "clinical_change"]].round(3)
       cutoff    rci clinical_change
    0  19.714 -2.652       recovered
    1  19.714 -0.884       unchanged
    2  19.714  2.210    deteriorated
    3  19.714 -2.210        improved
    """
    direction = _direction(higher_is)
    cut = jacobson_truax_cutoffs(higher_is=direction, clinical=clinical, functional=functional)
    if criterion == "auto":
        chosen = _auto_criterion(cut)
        if chosen is None:
            raise AnalysisError("Clinical significance needs published norms of a clinical or a "
                                "non-clinical population; none were given.")
    elif criterion in ("a", "b", "c"):
        chosen = criterion
        if cut[chosen] is None:
            need = {"a": "clinical norms", "b": "non-clinical (functional) norms",
                    "c": "both clinical and non-clinical norms"}[chosen]
            raise AnalysisError(f"Criterion {chosen} needs {need}, which were not given.")
    else:
        raise AnalysisError(f"criterion must be 'auto', 'a', 'b' or 'c', not {criterion!r}.")
    cutoff = float(cut[chosen])  # type: ignore[arg-type]
    out = reliable_change(pre, post, sd=sd, reliability=reliability, higher_is=direction,
                          criterion=rci_criterion)
    _add_clinical(out, cutoff, chosen, direction)
    return out


def _add_clinical(out: pd.DataFrame, cutoff: float, chosen: str, direction: str) -> None:
    """Add criterion, cutoff, pre/post_functional and clinical_change columns in place."""
    pre_f = _functional_side(out["pre"].to_numpy(dtype=float), cutoff, direction)
    post_f = _functional_side(out["post"].to_numpy(dtype=float), cutoff, direction)
    rc = out["reliable_change"]
    cat = np.full(len(out), None, dtype=object)
    improved = (rc == "reliable_improvement").fillna(False).to_numpy(dtype=bool)
    worse = (rc == "reliable_deterioration").fillna(False).to_numpy(dtype=bool)
    same = (rc == NO_RC).fillna(False).to_numpy(dtype=bool)
    crossed = (pre_f == 0.0) & (post_f == 1.0)
    cat[same] = "unchanged"
    cat[worse] = "deteriorated"
    cat[improved] = "improved"
    cat[improved & crossed] = "recovered"
    out["criterion"] = pd.Series(chosen, dtype="string", index=out.index)
    out["cutoff"] = cutoff
    out["pre_functional"] = pd.arrays.BooleanArray(pre_f == 1.0, np.isnan(pre_f))
    out["post_functional"] = pd.arrays.BooleanArray(post_f == 1.0, np.isnan(post_f))
    out["clinical_change"] = pd.Series(cat, dtype="string", index=out.index)


# --------------------------------------------------------------------------- data handling


def _select_time(df: pd.DataFrame, col: str, value: Any) -> pd.DataFrame:
    """Rows of ``df`` whose ``col`` equals ``value`` (numbers compared as numbers)."""
    if col not in df.columns:
        raise AnalysisError(f"The time column {col!r} is not in the data; columns are: "
                            + ", ".join(map(str, df.columns[:30])) + ".")
    from compassion_scales._inputs import as_key, subset_rows

    mask = as_key(df[col]) == as_key(pd.Series([value])).iloc[0]
    return subset_rows(df, mask.fillna(False).to_numpy(dtype=bool))


def _check_ids(df: pd.DataFrame, id_col: str, where: str) -> None:
    if id_col not in df.columns:
        raise AnalysisError(f"The id column {id_col!r} is not in the {where} data; columns are: "
                            + ", ".join(map(str, df.columns[:30])) + ". Use --id to name it.")
    from compassion_scales._inputs import check_unique_ids

    check_unique_ids(df, [id_col], where=where)


def _harmonise_ids(a: pd.Series, b: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Two id columns as comparable text keys, the same way in the library and the CLI.

    See :func:`compassion_scales._inputs.as_key`: ``007`` stays ``007`` (and does not match
    ``7``); numbers ``1`` and ``1.0`` are the key ``1``.
    """
    from compassion_scales._inputs import as_key

    return as_key(a), as_key(b)


def _pick_reliability(entries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for coef in RELIABILITY_PREFERENCE:
        for e in entries:
            if e.get("coefficient") == coef and e.get("value") is not None:
                return e
    return None


def _pick_norm(entries: Sequence[Mapping[str, Any]], populations: Sequence[str]) -> Mapping[str, Any] | None:
    for pop in populations:
        for e in entries:
            if e.get("population") == pop:
                return e
    return None


def _describe_source(e: Mapping[str, Any]) -> str:
    parts = [str(e.get("source", "source not given"))]
    if e.get("sample"):
        parts.append(str(e["sample"]) + (f", {e['country']}" if e.get("country") else ""))
    if e.get("n"):
        parts.append(f"n = {e['n']}")
    if e.get("status") and e.get("status") != "published":
        parts.append(f"status: {e['status']}")
    return "; ".join(parts)


def _per_score(value: Any, score_id: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(score_id)
    return value


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, repr=False)
class ChangeResult(ResultMixin):
    """Pre/post change for each person and score.

    Attributes
    ----------
    persons : DataFrame
        One row per person x score: id, ``score``, ``pre``, ``post``, ``diff``,
        ``rci``, ``reliable_change``, ``cutoff``, ``pre_functional``,
        ``post_functional``, ``clinical_change`` and ``note``.
    parameters : DataFrame
        One row per score: direction, SD and reliability used with their sources,
        ``se_diff``, ``rc_threshold`` (points needed for a reliable change), the
        cut-offs a/b/c, the criterion used and the norms' sources.
    group : DataFrame
        Counts and percentages per score and category.
    unmatched : DataFrame
        Ids found only before or only after (``id``, ``found_in``).
    id_col : str
        Name of the id column.
    instrument : str or None
        Instrument id.
    labels : dict
        Score id -> label.
    bands : dict
        Score id -> list of interpretation entries from the instrument file.
    """

    persons: pd.DataFrame
    parameters: pd.DataFrame
    group: pd.DataFrame
    unmatched: pd.DataFrame
    id_col: str
    instrument: str | None = None
    instrument_name: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    bands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rci_criterion: float = 1.96
    options: dict[str, Any] = field(default_factory=dict)

    _title = "Clinical change (Jacobson & Truax)"

    @property
    def summary(self) -> pd.DataFrame:
        return self.persons

    def _notes(self) -> list[str]:
        notes = [
            f"RCI = (post - pre) / SE_diff, SE_diff = SD * sqrt(2) * sqrt(1 - reliability) "
            f"(Jacobson & Truax, 1991); |RCI| > {self.rci_criterion:g} is a reliable change.",
        ]
        for row in self.parameters.itertuples(index=False):
            direction = ("no better/worse direction" if row.higher_is == "neutral"
                         else f"higher is {row.higher_is}")
            notes.append(
                f"{row.score}: {direction}; SD {row.sd:.4g} ({row.sd_source}); "
                f"reliability {row.reliability:.4g} [{row.reliability_coefficient}] "
                f"({row.reliability_source}); a change of more than {row.rc_threshold:.4g} points "
                "is reliable.")
            if isinstance(row.criterion, str) and row.criterion:
                notes.append(f"{row.score}: clinical cut-off (criterion {row.criterion}) = "
                             f"{row.cutoff:.4g}; norms: {row.norms_source}.")
            else:
                notes.append(f"{row.score}: {row.norms_source}")
        if len(self.unmatched):
            pre_only = self.unmatched.loc[self.unmatched["found_in"] == "pre only", "id"]
            post_only = self.unmatched.loc[self.unmatched["found_in"] == "post only", "id"]
            if len(pre_only):
                notes.append("Unmatched ids (before only, no change computed): "
                             + ", ".join(map(str, pre_only)))
            if len(post_only):
                notes.append("Unmatched ids (after only, no change computed): "
                             + ", ".join(map(str, post_only)))
        n_missing = int(self.persons["note"].notna().sum())
        if n_missing:
            notes.append(f"{n_missing} person x score row(s) have a missing pre or post score; "
                         "they are listed with no classification (see the note column).")
        if self.parameters["criterion"].notna().any():
            notes.append("'recovered' = reliable improvement from the clinical into the functional "
                         "range; 'improved' = reliable improvement without that crossing.")
        return notes

    def to_table(self, fmt: str = "simple", decimals: int = 3) -> str:
        from compassion_scales._format import render_table

        parts = [render_table(_display(self.persons), fmt=fmt, decimals=decimals), "",
                 "Parameters", render_table(_display(self.parameters), fmt=fmt, decimals=decimals),
                 "", "Group summary", render_table(_display(self.group), fmt=fmt, decimals=decimals)]
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        from compassion_scales._format import to_jsonable

        return {
            "summary": to_jsonable(self.persons),
            "parameters": to_jsonable(self.parameters),
            "group": to_jsonable(self.group),
            "unmatched": to_jsonable(self.unmatched),
            "instrument": self.instrument,
            "notes": self._notes(),
        }

    # ---- outputs
    def plot(self, path: str | Path, score: str | None = None) -> Path:
        """Write a Jacobson-Truax plot (pre vs post, RCI band, cut-off) as PNG or SVG."""
        return jacobson_truax_plot(self, path, score=score)

    def report(self, directory: str | Path, formats: Sequence[str] = ("html", "md")) -> list[Path]:
        """Write one printable report per client (HTML and/or Markdown); returns the paths."""
        return write_reports(self, directory, formats=formats)


def _display(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for text tables: missing values shown as blanks, not <NA> or nan."""
    out = df.copy()
    for col in out.columns:
        if out[col].isna().any():
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


# --------------------------------------------------------------------------- change()


def change(pre_data: pd.DataFrame, post_data: pd.DataFrame | None = None, instrument: Any = None, *,
           id: str, time: str | None = None, pre_time: Any = None, post_time: Any = None,
           scores: Sequence[str] | None = None, reliability: float | Mapping[str, float] | None = None,
           sd: float | Mapping[str, float] | None = None, from_sample: bool = False,
           higher_is: str | Mapping[str, str] | None = None,
           norms: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
           norm_sample: str | None = None, norms_file: Any = None,
           criterion: str = "auto", rci_criterion: float = 1.96,
           on_invalid: str = "error", column_map: Mapping[str, str] | None = None,
           patterns: Mapping[str, str] | Sequence[str] | str | None = None,
           prorate: float | None = None) -> ChangeResult:
    """Reliable and clinically significant change for each person and score.

    Parameters
    ----------
    pre_data : DataFrame
        Answers (or scores) before treatment; or, with ``time``, one long table
        holding both occasions.
    post_data : DataFrame, optional
        Answers (or scores) after treatment (omit with ``time``).
    instrument : str, Path or Instrument, optional
        The instrument whose items are scored. Without it, ``scores`` names columns
        that already hold scores.
    id : str
        Column identifying the person in both tables.
    time, pre_time, post_time : optional
        For a long table: the time column and its values before and after.
    scores : list of str, optional
        Scores to analyse (default: every score of the instrument).
    reliability, sd : float or dict, optional
        Values to use instead of the published ones (one number, or score -> number).
    from_sample : bool
        Take the SD from the sample's pre scores and the reliability from
        Cronbach's alpha of the sample's pre answers instead of published values.
    higher_is : str or dict, optional
        Direction per score; defaults to the instrument's ``higher_is``.
    norms : dict, optional
        Score -> list of norm entries (``population`` clinical/non_clinical/general,
        ``mean``, ``sd``, ``source``) replacing the instrument's ``norms``.
    norm_sample : str, optional
        Name of a norm sample (instrument file or ``norms_file``) whose SD and
        reliability the RCI uses: test-retest preferred over alpha when the sample
        has both (the parameters table says which). Values given in ``sd`` /
        ``reliability`` still win.
    norms_file : NormsFile or path, optional
        A service's own norm samples (see :func:`compassion_scales.norms.load_norms_file`),
        added to the instrument file's; its clinical and non-clinical samples also
        feed the cut-offs a, b and c.
    criterion : {"auto", "a", "b", "c"}
        Clinical cut-off (auto: c when both populations have norms, else a, else b).
    rci_criterion : float
        ``|RCI|`` threshold (1.96).
    on_invalid, column_map, patterns, prorate
        How raw answers are matched, validated and scored (see :func:`compassion_scales.score`).
        Scores whose items are absent from both occasions are skipped (with a warning)
        unless named in ``scores``.

    Returns
    -------
    ChangeResult

    Notes
    -----
    Default sources, per score: reliability = the first published coefficient in
    the order alpha, omega, test-retest, ICC, split-half; SD = the SD of the
    published clinical norms, else general-population norms, else the sample's
    pre scores (said so in ``sd_source``). Without published norms no clinical
    cut-off is invented: the clinical columns stay empty and the notes say so.
    Persons present at one time only are listed in ``unmatched``; a missing score
    keeps its row with a note.

    Examples
    --------
    >>> import pandas as pd
    >>> pre = pd.DataFrame({"client": ["a", "b", "c"], "fear": [30.0, 25.0, 28.0]})
    >>> post = pd.DataFrame({"client": ["a", "b", "d"], "fear": [15.0, 24.0, 10.0]})
    >>> res = change(pre, post, id="client", scores=["fear"], sd=8, reliability=0.8,
    ...              higher_is="worse")
    >>> res.persons[["client", "rci", "reliable_change"]].round(3)
      client    rci       reliable_change
    0      a -2.965  reliable_improvement
    1      b -0.198    no_reliable_change
    >>> res.unmatched
      id  found_in
    0  c  pre only
    1  d post only
    """
    inst = None
    if instrument is not None:
        from compassion_scales.instrument import load_instrument

        inst = load_instrument(instrument)

    # ---- split the data into the two occasions
    if post_data is None:
        if time is None or pre_time is None or post_time is None:
            raise AnalysisError("Give either two tables (before and after) or one long table with "
                                "time=..., pre_time=... and post_time=....")
        long = pre_data
        pre_df = _select_time(long, time, pre_time)
        post_df = _select_time(long, time, post_time)
        if pre_df.empty:
            raise AnalysisError(f"No rows have {time} = {pre_time!r}; values present: "
                                + ", ".join(map(str, pd.unique(long[time].dropna())[:20])) + ".")
        if post_df.empty:
            raise AnalysisError(f"No rows have {time} = {post_time!r}; values present: "
                                + ", ".join(map(str, pd.unique(long[time].dropna())[:20])) + ".")
    else:
        pre_df, post_df = pre_data, post_data
    _check_ids(pre_df, id, "before (pre)")
    _check_ids(post_df, id, "after (post)")

    # ---- scores
    if inst is not None:
        from compassion_scales._inputs import InputOptions, scored_data

        opts = InputOptions.of(column_map, patterns, on_invalid, prorate)
        got = [scored_data(df, inst, scores, id_cols=[id], options=opts) for df in (pre_df, post_df)]
        score_ids = [s for s in got[0].scores if s in got[1].scores]
        lost = [s for s in got[0].scores + got[1].scores if s not in score_ids]
        if not score_ids:
            raise AnalysisError(f"No score of {inst.id!r} can be computed at both occasions.")
        for msg in got[0].notes() + ([f"score(s) {', '.join(dict.fromkeys(lost))} are present at one "
                                       "occasion only and were skipped."] if lost else []):
            import warnings

            from compassion_scales.errors import SkippedScoreWarning

            warnings.warn(msg, SkippedScoreWarning, stacklevel=2)
        pre_scores, post_scores = (g.frame[[id, *score_ids]].reset_index(drop=True) for g in got)
        for frame_ in (pre_scores, post_scores):
            for s in score_ids:
                frame_[s] = pd.to_numeric(frame_[s], errors="coerce").astype(float)
    else:
        if not scores:
            raise AnalysisError("Without an instrument, name the score columns to compare "
                                "(scores=[...]).")
        score_ids = list(scores)
        from compassion_scales._inputs import numeric_columns

        for where, df in (("before (pre)", pre_df), ("after (post)", post_df)):
            missing = [s for s in score_ids if s not in df.columns]
            if missing:
                raise AnalysisError(f"Score column(s) {', '.join(missing)} not in the {where} data.")
        pre_df = numeric_columns(pre_df, score_ids, what="score column")
        post_df = numeric_columns(post_df, score_ids, what="score column")
        pre_scores = pre_df[[id, *score_ids]].reset_index(drop=True)
        post_scores = post_df[[id, *score_ids]].reset_index(drop=True)

    a_id, b_id = _harmonise_ids(pre_scores[id], post_scores[id])
    pre_scores = pre_scores.assign(**{id: a_id})
    post_scores = post_scores.assign(**{id: b_id})
    # membership through one factorisation of both id columns (iterating Arrow-backed ids in
    # Python, directly or through Series.isin, was most of the run time)
    codes, _ = pd.factorize(pd.concat([a_id, b_id], ignore_index=True))
    ca, cb = codes[:len(a_id)], codes[len(a_id):]
    pre_only = a_id[~np.isin(ca, cb)].tolist()
    post_only = b_id[~np.isin(cb, ca)].tolist()
    unmatched = pd.DataFrame({"id": pre_only + post_only,
                              "found_in": ["pre only"] * len(pre_only) + ["post only"] * len(post_only)})
    unmatched["found_in"] = unmatched["found_in"].astype("string")
    merged = pre_scores.merge(post_scores, on=id, how="inner", suffixes=("__pre", "__post"), sort=False)
    if merged.empty:
        raise AnalysisError(f"No id in column {id!r} appears both before and after; check the id "
                            "column and the files (unmatched ids: "
                            + ", ".join(map(str, unmatched['id'][:10])) + ").")

    merged_entries: dict[str, list[dict[str, Any]]] = {}
    if inst is not None and norms is None:
        from compassion_scales.norms import merged_norms

        merged_entries = merged_norms(inst, norms_file)
    elif norms_file is not None:
        raise AnalysisError("A norms file needs the instrument it belongs to (instrument=...).")
    if norm_sample is not None:
        pool = (merged_entries if norms is None
                else {k: [dict(e) for e in v] for k, v in norms.items()})
        usable = [k for k in score_ids for e in pool.get(k, [])
                  if e.get("name") == norm_sample and e.get("metric", "raw") == "raw"]
        if not usable:
            names = sorted({str(e["name"]) for k in score_ids for e in pool.get(k, []) if e.get("name")})
            raise AnalysisError(
                f"No score analysed has a usable norm sample named {norm_sample!r} (samples in the "
                "raw-score metric: " + (", ".join(names) or "none") + "). Add one with a norms "
                "file (--norms-file) or leave --norms out.")

    frames, params, groups = [], [], []
    labels: dict[str, str] = {}
    bands: dict[str, list[dict[str, Any]]] = {}
    for s in score_ids:
        sc = inst.score(s) if inst is not None else None
        labels[s] = sc.label if sc is not None else s
        bands[s] = [dict(b) for b in sc.interpretation] if sc is not None else []
        direction = _direction(_per_score(higher_is, s) if higher_is is not None
                               else (sc.higher_is if sc is not None else None))
        pre_v = merged[f"{s}__pre"].to_numpy(dtype=float)
        post_v = merged[f"{s}__post"].to_numpy(dtype=float)
        complete = ~np.isnan(pre_v) & ~np.isnan(post_v)

        # -- SD
        sd_val = _per_score(sd, s)
        norm_entries = (list(norms.get(s, [])) if norms is not None
                        else list(merged_entries.get(s, [])))
        # published t-score norms (metric t_score) never meet raw scores
        norm_entries = [e for e in norm_entries if e.get("metric", "raw") == "raw"]
        named = (next((e for e in norm_entries if e.get("name") == norm_sample), None)
                 if norm_sample is not None else None)
        if sd_val is not None:
            sd_source = "given"
        elif named is not None:
            sd_val = float(named["sd"])
            sd_source = f"norm sample {norm_sample}: {_describe_source(named)}"
        elif not from_sample and (n := _pick_norm(norm_entries, ("clinical", "general"))) is not None:
            sd_val = float(n["sd"])
            sd_source = f"published {n.get('population')} norms: {_describe_source(n)}"
        else:
            if complete.sum() < 2:
                raise AnalysisError(
                    f"No SD is available for {s}: the instrument has no published norms and fewer "
                    "than 2 people have both scores. Give the SD of a clinical sample (--sd).")
            sd_val = float(np.std(pre_v[complete], ddof=1))
            sd_source = (f"sample: SD of pre scores (n = {int(complete.sum())})"
                         + ("" if from_sample else "; no published norms in the instrument file"))
            if not from_sample:
                import warnings

                warnings.warn(f"{s}: no published SD (clinical norms) in the instrument file; "
                              f"using the SD of these {int(complete.sum())} people's pre scores. "
                              "Give --sd (sd=...) to use a published value.",
                              NormsWarning, stacklevel=2)
        # -- reliability
        rel_val = _per_score(reliability, s)
        rel_coef = ""
        named_rel = None
        if named is not None:
            from compassion_scales.norms import norm_reliability

            named_rel = norm_reliability(named)
        if rel_val is not None:
            rel_source, rel_coef = "given", "given"
        elif named_rel is not None:
            rel_val, rel_coef = named_rel
            has_both = {r.get("type") for r in named.get("reliability", [])} >= {"alpha", "test_retest"}  # type: ignore[union-attr]
            rel_source = (f"norm sample {norm_sample} ({rel_coef.replace('_', '-')}"
                          + ("; test-retest preferred over alpha" if has_both else "") + ")")
        elif not from_sample and sc is not None and (e := _pick_reliability(sc.reliability)) is not None:
            rel_val = float(e["value"])
            rel_coef = str(e["coefficient"])
            rel_source = f"published: {_describe_source(e)}"
        elif inst is not None:
            ids_used = merged.loc[complete, id]
            rel_val, n_alpha = _sample_alpha(pre_df, inst, s, id, ids_used, on_invalid, column_map)
            rel_coef = "alpha"
            rel_source = f"sample: Cronbach's alpha of pre answers (n = {n_alpha}, pairwise)"
            if not np.isfinite(rel_val):
                raise AnalysisError(
                    f"Cronbach's alpha of {s} cannot be computed from the sample (n = {n_alpha}); "
                    "give the reliability (--reliability).")
        else:
            raise AnalysisError(f"No reliability is available for {s}; give one (reliability=... "
                                "or --reliability) or an instrument with published values.")
        _check_parameters(sd_val, rel_val, s)
        if norm_sample is not None and named is None:
            sd_source += f" (no norm sample {norm_sample!r} for {s})"
        rc = reliable_change(pre_v, post_v, sd=sd_val, reliability=rel_val,
                             higher_is=direction, criterion=rci_criterion)

        # -- norms and cut-offs
        cut: dict[str, float | None] = {"a": None, "b": None, "c": None}
        chosen: str | None = None
        norms_source = ""
        clin = _pick_norm(norm_entries, ("clinical",))
        func = _pick_norm(norm_entries, ("non_clinical",))
        func_note = ""
        if func is None and (g := _pick_norm(norm_entries, ("general",))) is not None:
            func, func_note = g, " (general-population norms used as the functional population)"
        if direction == "neutral":
            norms_source = "score has no better/worse direction; clinical significance not assessed."
        elif clin is None and func is None:
            norms_source = (f"no published clinical or non-clinical norms for {s}; clinical cut-offs "
                            "(criteria a, b, c) not computed.")
        else:
            cut = jacobson_truax_cutoffs(
                higher_is=direction,
                clinical=(float(clin["mean"]), float(clin["sd"])) if clin else None,
                functional=(float(func["mean"]), float(func["sd"])) if func else None)
            if clin and func and ((direction == "worse") != (float(clin["mean"]) > float(func["mean"]))):
                import warnings

                warnings.warn(f"{s}: the clinical norm mean ({clin['mean']}) is not on the "
                              f"{'higher' if direction == 'worse' else 'lower'} side of the "
                              f"non-clinical mean ({func['mean']}) although higher is {direction}; "
                              "check the norms.", NormsWarning, stacklevel=2)
            if criterion == "auto":
                chosen = _auto_criterion(cut)
            elif cut.get(criterion) is not None:
                chosen = criterion
            else:
                raise AnalysisError(f"Criterion {criterion} cannot be computed for {s} from the "
                                    "available norms; use criterion 'auto'.")
            srcs = []
            if clin:
                srcs.append(f"clinical: {_describe_source(clin)}")
            if func:
                srcs.append(f"non-clinical: {_describe_source(func)}{func_note}")
            norms_source = "; ".join(srcs)
        if chosen is not None:
            _add_clinical(rc, float(cut[chosen]), chosen, direction)  # type: ignore[arg-type]
        else:
            rc["criterion"] = pd.Series(None, index=rc.index, dtype="string")
            rc["cutoff"] = np.nan
            rc["pre_functional"] = pd.arrays.BooleanArray(np.zeros(len(rc), bool), np.ones(len(rc), bool))
            rc["post_functional"] = pd.arrays.BooleanArray(np.zeros(len(rc), bool), np.ones(len(rc), bool))
            rc["clinical_change"] = pd.Series(None, index=rc.index, dtype="string")
        note = np.full(len(pre_v), None, dtype=object)
        note[np.isnan(post_v)] = "post score missing"
        note[np.isnan(pre_v)] = "pre score missing"
        note[np.isnan(pre_v) & np.isnan(post_v)] = "pre and post score missing"
        rc["note"] = pd.Series(note, dtype="string")
        rc.insert(0, "score", pd.Series(s, index=rc.index, dtype="string"))
        rc.insert(0, id, merged[id].to_numpy())
        frames.append(rc.drop(columns=["se_diff"]))

        se = float(rc["se_diff"].iloc[0]) if len(rc) else se_difference(sd_val, rel_val)
        params.append({
            "score": s, "higher_is": direction, "n_pairs": int(complete.sum()),
            "sd": sd_val, "sd_source": sd_source, "reliability": rel_val,
            "reliability_coefficient": rel_coef, "reliability_source": rel_source,
            "se_diff": se, "rc_threshold": rci_criterion * se,
            "cutoff_a": cut["a"], "cutoff_b": cut["b"], "cutoff_c": cut["c"],
            "criterion": chosen, "cutoff": float(cut[chosen]) if chosen else np.nan,  # type: ignore[arg-type]
            "norms_source": norms_source,
        })
        groups.append(_group_counts(s, rc, direction, chosen is not None))

    persons = pd.concat(frames, ignore_index=True)
    parameters = pd.DataFrame(params)
    for col in ("cutoff_a", "cutoff_b", "cutoff_c", "cutoff"):
        parameters[col] = parameters[col].astype(float)
    parameters["criterion"] = parameters["criterion"].astype("string")
    group = pd.concat(groups, ignore_index=True)
    return ChangeResult(
        persons=persons, parameters=parameters, group=group, unmatched=unmatched, id_col=id,
        instrument=inst.id if inst is not None else None,
        instrument_name=inst.name if inst is not None else None,
        labels=labels, bands=bands, rci_criterion=rci_criterion,
        options={"from_sample": from_sample, "criterion": criterion, "norm_sample": norm_sample})


def _group_counts(s: str, rc: pd.DataFrame, direction: str, clinical: bool) -> pd.DataFrame:
    n_total = len(rc)
    rows = []
    first, last = (("reliable_increase", "reliable_decrease") if direction == "neutral"
                   else ("reliable_improvement", "reliable_deterioration"))
    cats: list[tuple[str, str]] = [("reliable_change", c) for c in (first, NO_RC, last)]
    if clinical:
        cats += [("clinical_change", c) for c in CLINICAL_CATEGORIES]
    n_assessable = int(rc["reliable_change"].notna().sum())
    for kind, c in cats:
        n = int((rc[kind] == c).fillna(False).sum())
        rows.append({"score": s, "classification": kind, "category": c, "n": n,
                     "percent": 100.0 * n / n_assessable if n_assessable else np.nan})
    rows.append({"score": s, "classification": "reliable_change", "category": "not_assessable",
                 "n": n_total - n_assessable, "percent": np.nan})
    out = pd.DataFrame(rows)
    for col in ("score", "classification", "category"):
        out[col] = out[col].astype("string")
    return out


def _sample_alpha(pre_df: pd.DataFrame, inst: Any, score_id: str, id_col: str, ids: pd.Series,
                  on_invalid: str, column_map: Mapping[str, str] | None) -> tuple[float, int]:
    from compassion_scales._inputs import as_key
    from compassion_scales.scoring import item_scores
    from compassion_scales.stats.alpha import item_alpha

    items = item_scores(pre_df, inst, score_id, keyed=True, on_invalid=on_invalid,
                        column_map=column_map)
    keep = as_key(pre_df[id_col]).isin(set(ids)).fillna(False).to_numpy()
    sample = items.loc[keep] if len(items) == len(pre_df) else items
    return item_alpha(sample.to_numpy(dtype=float, na_value=np.nan))  # psych::alpha's rule


# --------------------------------------------------------------------------- plot

_COLOURS = {
    "recovered": "#1b7837", "improved": "#7fbf7b", "unchanged": "#999999",
    "deteriorated": "#c51b7d", "reliable_improvement": "#1b7837",
    "reliable_deterioration": "#c51b7d", "no_reliable_change": "#999999",
    "reliable_increase": "#2166ac", "reliable_decrease": "#b2182b",
}


def jacobson_truax_plot(result: ChangeResult, path: str | Path, score: str | None = None) -> Path:
    """Pre vs post scatter with the no-change line, the RCI band and the clinical cut-off.

    One panel per score (or only ``score``). The file type follows the extension
    (``.png`` or ``.svg``).
    """
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise AnalysisError(f"Plot file {path.name}: use a .png or .svg name.")
    # a bare Figure (no pyplot): renders with Agg/SVG and leaves the user's backend alone
    from matplotlib.figure import Figure

    params = result.parameters.set_index("score")
    score_ids = [score] if score else list(params.index)
    for s in score_ids:
        if s not in params.index:
            raise AnalysisError(f"No score {s!r} in this result; scores: {', '.join(params.index)}.")
    n = len(score_ids)
    fig = Figure(figsize=(5.0 * n, 5.0))
    axes = fig.subplots(1, n, squeeze=False)
    for ax, s in zip(axes[0], score_ids, strict=True):
        p = params.loc[s]
        d = result.persons[result.persons["score"] == s]
        d = d[d["pre"].notna() & d["post"].notna()]
        vals = np.concatenate([d["pre"].to_numpy(float), d["post"].to_numpy(float)])
        cutoff = p["cutoff"]
        extra = [cutoff] if np.isfinite(cutoff) else []
        lo = float(np.nanmin(np.concatenate([vals, extra]))) if len(vals) else 0.0
        hi = float(np.nanmax(np.concatenate([vals, extra]))) if len(vals) else 1.0
        pad = max((hi - lo) * 0.08, float(p["rc_threshold"]) * 0.5, 1e-9)
        lo, hi = lo - pad, hi + pad
        xs = np.array([lo, hi])
        thr = float(p["rc_threshold"])
        ax.fill_between(xs, xs - thr, xs + thr, color="#dddddd", alpha=0.6,
                        label=f"no reliable change (\u00b1{thr:.3g})")
        ax.plot(xs, xs, color="#555555", lw=1, label="no change")
        if np.isfinite(cutoff):
            ax.axhline(cutoff, color="#2166ac", ls="--", lw=1,
                       label=f"cut-off {p['criterion']} = {cutoff:.3g}")
            ax.axvline(cutoff, color="#2166ac", ls=":", lw=1)
        kind = "clinical_change" if d["clinical_change"].notna().any() else "reliable_change"
        order = list(CLINICAL_CATEGORIES) if kind == "clinical_change" else [
            RC_LABELS[p["higher_is"]][0], NO_RC, RC_LABELS[p["higher_is"]][1]]
        for cat in order:
            grp = d[(d[kind] == cat).fillna(False).to_numpy(dtype=bool)]
            if grp.empty:
                continue
            label = _PLAIN.get(str(cat), str(cat))
            ax.scatter(grp["pre"], grp["post"], s=28, color=_COLOURS.get(str(cat), "#333333"),
                       edgecolor="white", lw=0.5, label=f"{label} ({len(grp)})", zorder=3)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal")
        ax.set_xlabel("before (pre)")
        ax.set_ylabel("after (post)")
        better = {"worse": "lower is better", "better": "higher is better"}.get(p["higher_is"], "")
        ax.set_title(f"{result.labels.get(s, s)}" + (f"\n({better})" if better else ""), fontsize=10)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2,
                  frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path


# --------------------------------------------------------------------------- reports


def _band(bands: list[dict[str, Any]], value: float) -> str | None:
    if not bands or value is None or not np.isfinite(value):
        return None
    first = bands[0]
    for b in first.get("bands", []):
        if float(b["min"]) <= value <= float(b["max"]):
            return str(b["label"])
    return None


def _fmt(x: Any, digits: int = 1) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "-"
    if not np.isfinite(f):
        return "-"
    return f"{f:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{f:.0f}"


def _client_text(result: ChangeResult, pid: Any, rows: pd.DataFrame | None = None) -> dict[str, Any]:
    """Plain-language content of one client's report."""
    if rows is None:
        rows = result.persons[result.persons[result.id_col] == pid]
    params = result.parameters.set_index("score")
    entries = []
    for r in rows.itertuples(index=False):
        s = r.score
        p = params.loc[s]
        direction = p["higher_is"]
        better_word = {"worse": "Lower scores are better.", "better": "Higher scores are better.",
                       "neutral": "Higher or lower is neither better nor worse."}[direction]
        rc = r.reliable_change
        if pd.isna(rc):
            meaning = "Change cannot be judged: " + (r.note if isinstance(r.note, str) else "a score is missing") + "."
        elif rc == NO_RC:
            meaning = (f"The change of {_fmt(r.diff)} points is within what measurement error alone "
                       f"could produce (a change of more than {_fmt(p['rc_threshold'])} points is "
                       "needed), so it is not a reliable change.")
        else:
            meaning = (f"The change of {_fmt(r.diff)} points is larger than measurement error alone "
                       f"would produce (more than {_fmt(p['rc_threshold'])} points): "
                       f"{_PLAIN[str(rc)]}.")
        clinical = None
        if isinstance(r.clinical_change, str):
            side = "the range of people without these difficulties" if r.post_functional else \
                "the range typical of people seeking help"
            clinical = (f"After treatment the score is in {side} (cut-off {_fmt(p['cutoff'])}: "
                        f"{_CRITERION_PLAIN.get(str(p['criterion']), 'the published cut-off')}). "
                        f"Overall: {r.clinical_change}.")
        elif direction != "neutral":
            clinical = ("No published norms for people with and without difficulties are available "
                        "for this score, so no clinical cut-off is used.")
        entries.append({
            "label": result.labels.get(s, s), "score": s, "pre": r.pre, "post": r.post,
            "diff": r.diff, "rci": r.rci, "better": better_word, "meaning": meaning,
            "clinical": clinical,
            "rc_plain": _PLAIN.get(str(rc), "cannot be judged") if not pd.isna(rc) else "cannot be judged",
            "overall": str(r.clinical_change) if isinstance(r.clinical_change, str) else "-",
            "band_pre": _band(result.bands.get(s, []), r.pre),
            "band_post": _band(result.bands.get(s, []), r.post),
            "sources": f"Reliability {_fmt(p['reliability'], 2)} ({p['reliability_source']}); "
                       f"SD {_fmt(p['sd'], 2)} ({p['sd_source']}); norms: {p['norms_source'] or '-'}",
        })
    return {"id": pid, "entries": entries}


#: Jacobson-Truax cut-off criteria in plain words (instead of "criterion a/b/c")
_CRITERION_PLAIN = {
    "a": "two standard deviations better than the average of people seeking help",
    "b": "within two standard deviations of the average of people without these difficulties",
    "c": "the point halfway between people seeking help and people without these difficulties",
}

_EXPLAIN = (
    "Every questionnaire score contains some measurement error: answering the same questions "
    "twice gives slightly different numbers even when nothing has changed. The Reliable Change "
    "Index (RCI; Jacobson & Truax, 1991) divides the change by the size of change that "
    "measurement error can produce. A change is called reliable when it is larger than "
    "1.96 times this error, which measurement error alone would produce less than 5 times "
    "in 100. Where published norms exist, the report also says whether the score moved from "
    "the range typical of people seeking help into the range of people without these "
    "difficulties (the clinical cut-off): 'recovered' means a reliable improvement that "
    "crosses the cut-off; 'improved' a reliable improvement that does not; 'unchanged' no "
    "reliable change; 'deteriorated' a reliable change for the worse. These numbers support, "
    "and do not replace, clinical judgement.")


def _report_markdown(result: ChangeResult, pid: Any, rows: pd.DataFrame | None = None) -> str:
    c = _client_text(result, pid, rows)
    title = result.instrument_name or result.instrument or "Questionnaire scores"
    lines = [f"# Change report: {title}", "", f"**Client:** {pid}", ""]
    overall = any(e["overall"] != "-" for e in c["entries"])   # the column only when it has content
    lines += ["| Scale | Before | After | Change | Reliable change? |" + (" Overall |" if overall else ""),
              "|---|---|---|---|---|" + ("---|" if overall else "")]
    for e in c["entries"]:
        lines.append(f"| {e['label']} | {_fmt(e['pre'])}"
                     + (f" ({e['band_pre']})" if e["band_pre"] else "")
                     + f" | {_fmt(e['post'])}" + (f" ({e['band_post']})" if e["band_post"] else "")
                     + f" | {_fmt(e['diff'])} | {e['rc_plain']} (RCI {_fmt(e['rci'], 2)})"
                     + (f" | {e['overall']} |" if overall else " |"))
    lines.append("")
    for e in c["entries"]:
        lines += [f"## {e['label']}", "", e["better"], "", e["meaning"], ""]
        if e["clinical"]:
            lines += [e["clinical"], ""]
        lines += [f"*Sources:* {e['sources']}", ""]
    lines += ["## What these numbers mean", "", _EXPLAIN, ""]
    return "\n".join(lines)


def _report_html(result: ChangeResult, pid: Any, rows: pd.DataFrame | None = None) -> str:
    c = _client_text(result, pid, rows)
    esc = html.escape
    title = esc(result.instrument_name or result.instrument or "Questionnaire scores")
    rows = []
    overall = any(e["overall"] != "-" for e in c["entries"])   # the column only when it has content
    for e in c["entries"]:
        pre = esc(_fmt(e["pre"]) + (f" ({e['band_pre']})" if e["band_pre"] else ""))
        post = esc(_fmt(e["post"]) + (f" ({e['band_post']})" if e["band_post"] else ""))
        rows.append(f"<tr><td>{esc(e['label'])}</td><td>{pre}</td><td>{post}</td>"
                    f"<td>{esc(_fmt(e['diff']))}</td>"
                    f"<td>{esc(e['rc_plain'])} (RCI {esc(_fmt(e['rci'], 2))})</td>"
                    + (f"<td>{esc(e['overall'])}</td>" if overall else "") + "</tr>")
    sections = []
    for e in c["entries"]:
        body = f"<p>{esc(e['better'])}</p><p>{esc(e['meaning'])}</p>"
        if e["clinical"]:
            body += f"<p>{esc(e['clinical'])}</p>"
        body += f"<p class='src'>Sources: {esc(e['sources'])}</p>"
        sections.append(f"<h2>{esc(e['label'])}</h2>{body}")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>Change report: {title}, client {esc(str(pid))}</title>"
        "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto;font-size:11pt}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px}"
        ".src{font-size:9pt;color:#444}@media print{body{margin:0}}</style></head><body>"
        f"<h1>Change report: {title}</h1><p><strong>Client:</strong> {esc(str(pid))}</p>"
        "<table><thead><tr><th>Scale</th><th>Before</th><th>After</th><th>Change</th>"
        "<th>Reliable change?</th>" + ("<th>Overall</th>" if overall else "") + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>"
        + "".join(sections)
        + f"<h2>What these numbers mean</h2><p>{esc(_EXPLAIN)}</p></body></html>\n")


def _safe_name(pid: Any) -> str:
    text = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(pid))
    return text.strip("._") or "client"


def unique_stems(ids: Sequence[Any], prefix: str = "client_") -> list[str]:
    """One file stem per id, distinct even on case-insensitive disks.

    Ids that clean to the same name (``a/b``, ``a_b``, ``a b``; ``JD`` and ``jd``)
    get ``_2``, ``_3``... in the order they come.

    Examples
    --------
    >>> unique_stems(["a/b", "a_b", "a b", "JD", "jd"])
    ['client_a_b', 'client_a_b_2', 'client_a_b_3', 'client_JD', 'client_jd_2']
    """
    used: set[str] = set()
    out = []
    for pid in ids:
        base = f"{prefix}{_safe_name(pid)}"
        stem, k = base, 1
        while stem.casefold() in used:
            k += 1
            stem = f"{base}_{k}"
        used.add(stem.casefold())
        out.append(stem)
    return out


def write_reports(result: ChangeResult, directory: str | Path,
                  formats: Sequence[str] = ("html", "md")) -> list[Path]:
    """Write one report per matched client into ``directory``; returns the file paths."""
    bad = [f for f in formats if f not in ("html", "md")]
    if bad:
        raise AnalysisError(f"Report formats are 'html' and 'md', not {', '.join(bad)}.")
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    groups = list(result.persons.groupby(result.id_col, sort=False))
    stems = unique_stems([pid for pid, _ in groups])
    for (pid, rows), stem in zip(groups, stems, strict=True):
        if "md" in formats:
            p = out_dir / f"{stem}.md"
            p.write_text(_report_markdown(result, pid, rows), encoding="utf-8")
            paths.append(p)
        if "html" in formats:
            p = out_dir / f"{stem}.html"
            p.write_text(_report_html(result, pid, rows), encoding="utf-8")
            paths.append(p)
    return paths
