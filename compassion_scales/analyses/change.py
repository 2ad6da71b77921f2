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

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales._typing import InstrumentLike, as_instrument
from compassion_scales.errors import AnalysisError, PsychometricWarning
from compassion_scales.occasions import second_table_positional, select_occasion, two_occasions
from compassion_scales.results import ResultMixin
from compassion_scales.stats.change import (
    CLINICAL_CATEGORIES,
    NO_RC,
    RC_LABELS,
    clinical_categories,
    functional_side,
    jt_cutoffs,
    rc_direction,
    se_diff,
)
from compassion_scales.stats.change import rci as _rci_kernel

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "reliable_change",
    "clinical_significance",
    "jacobson_truax_cutoffs",
    "change",
    "ChangeResult",
    "NormsWarning",
    "per_score",
    "select_occasion",
    "two_occasions",
    "jacobson_truax_plot",
    "write_reports",
    "unique_stems",
    "RC_LABELS",
    "NO_RC",
    "CLINICAL_CATEGORIES",
]

#: reliability coefficients accepted from instrument files, in order of preference
RELIABILITY_PREFERENCE = ("alpha", "omega", "test_retest", "icc", "split_half")

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


def _number(value: Any) -> float:
    """``value`` as a float, NaN when it is not a number (``"ten"``, ``None``)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _check_parameters(sd: float, reliability: float, what: str = "") -> None:
    where = f" for {what}" if what else ""
    if not _number(sd) > 0 or not np.isfinite(_number(sd)):
        raise AnalysisError(
            f"The standard deviation{where} must be a positive number (got {sd!r}). "
            "Give the SD of the pre-treatment (clinical) population, e.g. --sd 8.5.")
    if not 0 <= _number(reliability) < 1:
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


def _rc_category(rci: np.ndarray, direction: str, rci_threshold: float) -> pd.Series:
    up, down = RC_LABELS[direction]
    sign = rc_direction(rci, rci_threshold)
    out = np.full(rci.shape, None, dtype=object)
    out[sign == 0] = NO_RC
    out[sign == 1] = up
    out[sign == -1] = down
    return pd.Series(out, dtype="string")


# --------------------------------------------------------------------------- RCI


@renamed_arguments(criterion="rci_threshold")
def reliable_change(pre: Any, post: Any, *, sd: float, reliability: float,
                    higher_is: str | None = None, instrument: InstrumentLike | None = None,
                    score: str | None = None, rci_threshold: float = 1.96) -> pd.DataFrame:
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
    rci_threshold : float
        ``|RCI|`` must be *greater* than this for a reliable change (1.96: p < .05).
        (Called ``criterion`` before 0.2; the old name works until 1.0 with a warning.)

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
    (Jacobson & Truax, 1991). A change of exactly ``rci_threshold * SE_diff`` is not
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
    check_change_options("auto", rci_threshold)
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
        "rci": rci, "reliable_change": _rc_category(rci, direction, rci_threshold),
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


@renamed_arguments(rci_criterion="rci_threshold")
def clinical_significance(pre: Any, post: Any, *, sd: float, reliability: float, higher_is: str,
                          clinical: tuple[float, float] | None = None,
                          functional: tuple[float, float] | None = None,
                          criterion: str = "auto", rci_threshold: float = 1.96) -> pd.DataFrame:
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
    rci_threshold : float
        Threshold for ``|RCI|`` (1.96; called ``rci_criterion`` before 0.2).

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
                          rci_threshold=rci_threshold)
    _add_clinical(out, cutoff, chosen, direction)
    return out


def _add_clinical(out: pd.DataFrame, cutoff: float, chosen: str, direction: str) -> None:
    """Add criterion, cutoff, pre/post_functional and clinical_change columns in place."""
    better = direction == "better"
    pre_f = functional_side(out["pre"].to_numpy(dtype=float), cutoff, better)
    post_f = functional_side(out["post"].to_numpy(dtype=float), cutoff, better)
    rc = out["reliable_change"]

    def where(label: str) -> np.ndarray:
        return (rc == label).fillna(False).to_numpy(dtype=bool)

    cat = clinical_categories(where("reliable_improvement"), where("reliable_deterioration"),
                              where(NO_RC), pre_f, post_f)
    out["criterion"] = pd.Series(chosen, dtype="string", index=out.index)
    out["cutoff"] = cutoff
    out["pre_functional"] = pd.arrays.BooleanArray(pre_f == 1.0, np.isnan(pre_f))
    out["post_functional"] = pd.arrays.BooleanArray(post_f == 1.0, np.isnan(post_f))
    out["clinical_change"] = pd.Series(cat, dtype="string", index=out.index)


# --------------------------------------------------------------------------- data handling


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


def per_score(value: Any, score_id: str) -> Any:
    """``value[score_id]`` for a mapping (None when absent), else ``value`` itself.

    Examples
    --------
    >>> per_score({"a": 0.8}, "a"), per_score({"a": 0.8}, "b"), per_score(0.9, "a")
    (0.8, None, 0.9)
    """
    if isinstance(value, Mapping):
        return value.get(score_id)
    return value


def check_change_options(criterion: str, rci_threshold: float) -> None:
    """The Jacobson-Truax criterion is one of auto/a/b/c and the RCI threshold a positive
    number. Before, ``criterion="z"`` was accepted whenever a score had no norms, and
    ``rci_threshold=-1`` counted every change as reliable, exit 0.

    Examples
    --------
    >>> check_change_options("auto", 1.96)
    >>> check_change_options("auto", 0)
    Traceback (most recent call last):
    ...
    compassion_scales.errors.AnalysisError: rci_threshold (--rci-threshold) must be a positive number, not 0.
    """
    if criterion not in ("auto", "a", "b", "c"):
        raise AnalysisError(f"criterion must be 'auto', 'a', 'b' or 'c', not {criterion!r}.")
    if not _number(rci_threshold) > 0 or not np.isfinite(_number(rci_threshold)):
        raise AnalysisError(f"rci_threshold (--rci-threshold) must be a positive number, not {rci_threshold!r}.")


def check_score_keys(known: Sequence[str], **values: Any) -> None:
    """Per-score values (``sd={"fcs_self": 9}``) must name scores this call knows.

    A misspelt score id was ignored without a word: the published or sample value was used
    instead, exit 0. ``known`` holds the scores analysed and the instruments' other scores
    (a value for a score whose items are absent is not a typo).

    Examples
    --------
    >>> check_score_keys(["a"], sd={"a": 1}, reliability=0.8)
    >>> check_score_keys(["a"], sd={"b": 1})
    Traceback (most recent call last):
    ...
    compassion_scales.errors.AnalysisError: sd (--sd SCORE=VALUE) names score(s) b, which are not scores here; the scores are: a.
    """
    for name, value in values.items():
        if not isinstance(value, Mapping):
            continue
        unknown = [str(k) for k in value if k not in known]
        if unknown:
            option = "--" + name.replace("_", "-")
            raise AnalysisError(f"{name} ({option} SCORE=VALUE) names score(s) {', '.join(unknown)}, which "
                                f"are not scores here; the scores are: {', '.join(map(str, known))}.")


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
    rci_threshold: float = 1.96
    options: dict[str, Any] = field(default_factory=dict)

    _title = "Clinical change (Jacobson & Truax)"

    @property
    def rci_criterion(self) -> float:
        """The ``|RCI|`` threshold (0.1 name of :attr:`rci_threshold`)."""
        return self.rci_threshold

    @property
    def summary(self) -> pd.DataFrame:
        return self.persons

    def _notes(self) -> list[str]:
        notes = [
            f"RCI = (post - pre) / SE_diff, SE_diff = SD * sqrt(2) * sqrt(1 - reliability) "
            f"(Jacobson & Truax, 1991); |RCI| > {self.rci_threshold:g} is a reliable change.",
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
    @overload
    def plot(self, path: None = None, score: str | None = None) -> Figure: ...

    @overload
    def plot(self, path: str | Path, score: str | None = None) -> Path: ...

    def plot(self, path: str | Path | None = None, score: str | None = None) -> Figure | Path:
        """Jacobson-Truax plot (pre vs post, RCI band, cut-off), one panel per score or ``score``.

        Returns a matplotlib :class:`~matplotlib.figure.Figure` (made without pyplot: the
        backend is left alone); save it with ``fig.savefig("jt.png", bbox_inches="tight")``.
        The 0.1 form ``plot(path)`` still writes a PNG or SVG and returns its path, with a
        ``FutureWarning`` (it will stop working in 1.0).
        """
        from compassion_scales.reporting.change_plot import jacobson_truax_figure

        if path is None:
            return jacobson_truax_figure(self, score=score)
        warnings.warn("ChangeResult.plot(path): save the returned figure instead "
                      "(fig = result.plot(); fig.savefig(path)); `path` will stop working in "
                      "version 1.0.", FutureWarning, stacklevel=2)
        _check_plot_path(path)
        return _save(jacobson_truax_figure(self, score=score), path)

    def report(self, directory: str | Path, formats: Sequence[str] = ("html", "md")) -> list[Path]:
        """Write one printable report per client (HTML and/or Markdown); returns the paths."""
        from compassion_scales.reporting.change_report import write_reports as write

        return write(self, directory, formats=formats)


def _display(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for text tables: missing values shown as blanks, not <NA> or nan."""
    out = df.copy()
    for col in out.columns:
        if out[col].isna().any():
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


# --------------------------------------------------------------------------- change()


@renamed_arguments(pre_data="data", post_data="second_data", rci_criterion="rci_threshold",
                   pairs={"occasions": ("pre_time", "post_time")},
                   adapt=second_table_positional("change", "post_data"))
def change(data: pd.DataFrame, instrument: InstrumentLike | None = None, *,
           second_data: pd.DataFrame | None = None, id: str, time: str | None = None,
           occasions: tuple[Any, Any] | None = None, scores: Sequence[str] | None = None,
           reliability: float | Mapping[str, float] | None = None,
           sd: float | Mapping[str, float] | None = None, from_sample: bool = False,
           higher_is: str | Mapping[str, str] | None = None,
           norms: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
           norm_sample: str | None = None, norms_file: Any = None,
           criterion: str = "auto", rci_threshold: float = 1.96,
           on_invalid: str = "error", column_map: Mapping[str, str] | None = None,
           patterns: Mapping[str, str] | Sequence[str] | str | None = None,
           prorate: float | None = None) -> ChangeResult:
    """Reliable and clinically significant change for each person and score.

    Parameters
    ----------
    data : DataFrame
        Answers (or scores) before treatment; or, with ``time``, one long table
        holding both occasions.
    instrument : str, path or Instrument, optional
        The instrument whose items are scored. Without it, ``scores`` names columns
        that already hold scores.
    second_data : DataFrame, optional
        Answers (or scores) after treatment (omit with ``time``).
    id : str
        Column identifying the person in both tables.
    time : str, optional
        For a long table: the time column.
    occasions : (first, second), optional
        For a long table: the values of ``time`` before and after.
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
    rci_threshold : float
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

    The 0.1 call styles still work until 1.0, with a ``FutureWarning``:
    ``change(pre, post, instrument)``, ``pre_data``/``post_data``,
    ``pre_time``/``post_time`` (now ``occasions``) and ``rci_criterion`` (now
    ``rci_threshold``).

    Examples
    --------
    >>> import pandas as pd
    >>> pre = pd.DataFrame({"client": ["a", "b", "c"], "fear": [30.0, 25.0, 28.0]})
    >>> post = pd.DataFrame({"client": ["a", "b", "d"], "fear": [15.0, 24.0, 10.0]})
    >>> res = change(pre, second_data=post, id="client", scores=["fear"], sd=8, reliability=0.8,
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
    inst = as_instrument(instrument) if instrument is not None else None
    check_change_options(criterion, rci_threshold)
    scores = [scores] if isinstance(scores, str) else scores
    pre_df, post_df = two_occasions(data, second_data, time=time, occasions=occasions)
    _check_ids(pre_df, id, "before (pre)")
    _check_ids(post_df, id, "after (post)")
    opts = {"on_invalid": on_invalid, "column_map": column_map, "patterns": patterns,
            "prorate": prorate}
    pre_df, pre_scores, post_scores, score_ids = _score_occasions(pre_df, post_df, inst, scores, id, opts)
    check_score_keys(list(dict.fromkeys([*score_ids, *(inst.score_ids if inst is not None else [])])),
                     sd=sd, reliability=reliability, higher_is=higher_is)
    merged, unmatched = _match_people(pre_scores, post_scores, id)
    pool = _norm_pool(inst, score_ids, norms=norms, norms_file=norms_file, norm_sample=norm_sample)
    source = _Sources(sd=sd, reliability=reliability, from_sample=from_sample, norm_sample=norm_sample,
                      pre_df=pre_df, inst=inst, id=id, on_invalid=on_invalid, column_map=column_map)
    frames, params, groups = [], [], []
    for s in score_ids:
        sc = inst.score(s) if inst is not None else None
        direction = _direction(per_score(higher_is, s) if higher_is is not None
                               else (sc.higher_is if sc is not None else None))
        rc, row = _score_change(s, merged, pool.get(s, []), source, direction=direction,
                                criterion=criterion, rci_threshold=rci_threshold)
        frames.append(rc)
        params.append(row)
        groups.append(_group_counts(s, rc, direction, row["criterion"] is not None))
    _require_some_change(frames, score_ids)
    return ChangeResult(
        persons=pd.concat(frames, ignore_index=True), parameters=_parameters_frame(params),
        group=pd.concat(groups, ignore_index=True), unmatched=unmatched, id_col=id,
        instrument=inst.id if inst is not None else None,
        instrument_name=inst.name if inst is not None else None,
        labels={s: inst.score(s).label if inst is not None else s for s in score_ids},
        bands={s: [dict(b) for b in inst.score(s).interpretation] if inst is not None else []
               for s in score_ids},
        rci_threshold=rci_threshold,
        options={"from_sample": from_sample, "criterion": criterion, "norm_sample": norm_sample})


# --------------------------------------------------------------------------- change() steps


def _require_some_change(frames: Sequence[pd.DataFrame], score_ids: Sequence[str]) -> None:
    """Refuse a result with no change at all: every client lacks a before or an after score
    (e.g. the instrument's items are blank in the file)."""
    if any(f["diff"].notna().any() for f in frames):
        return
    raise AnalysisError(f"No client has both a before and an after score for any score "
                        f"({', '.join(score_ids)}), so no change can be computed; check that the "
                        "item columns hold answers at both occasions and the missing-value codes.")


def _score_occasions(pre_df: pd.DataFrame, post_df: pd.DataFrame, inst: Any,
                     scores: Sequence[str] | None, id: str, opts: Mapping[str, Any]
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """(pre answers, pre scores, post scores, score ids): id + numeric score columns."""
    if inst is not None:
        pre_scores, post_scores, score_ids = _scored_occasions(pre_df, post_df, inst, scores, id, opts)
        return pre_df, pre_scores, post_scores, score_ids
    from compassion_scales._inputs import numeric_columns

    if not scores:
        raise AnalysisError("Without an instrument, name the score columns to compare "
                            "(scores=[...]).")
    score_ids = list(scores)
    for where, df in (("before (pre)", pre_df), ("after (post)", post_df)):
        missing = [s for s in score_ids if s not in df.columns]
        if missing:
            raise AnalysisError(f"Score column(s) {', '.join(missing)} not in the {where} data.")
    pre_df = numeric_columns(pre_df, score_ids, what="score column")
    post_df = numeric_columns(post_df, score_ids, what="score column")
    return (pre_df, pre_df[[id, *score_ids]].reset_index(drop=True),
            post_df[[id, *score_ids]].reset_index(drop=True), score_ids)


def _scored_occasions(pre_df: pd.DataFrame, post_df: pd.DataFrame, inst: Any,
                      scores: Sequence[str] | None, id: str, opts: Mapping[str, Any]
                      ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Score the instrument at both occasions; keep the scores present at both."""
    import warnings

    from compassion_scales._inputs import InputOptions, scored_data
    from compassion_scales.errors import SkippedScoreWarning

    options = InputOptions.of(opts["column_map"], opts["patterns"], opts["on_invalid"], opts["prorate"])
    got = [scored_data(df, inst, scores, id_cols=[id], options=options) for df in (pre_df, post_df)]
    score_ids = [s for s in got[0].scores if s in got[1].scores]
    lost = [s for s in got[0].scores + got[1].scores if s not in score_ids]
    if not score_ids:
        raise AnalysisError(f"No score of {inst.id!r} can be computed at both occasions.")
    for msg in got[0].notes() + ([f"score(s) {', '.join(dict.fromkeys(lost))} are present at one "
                                  "occasion only and were skipped."] if lost else []):
        warnings.warn(msg, SkippedScoreWarning, stacklevel=5)
    pre_scores, post_scores = (g.frame[[id, *score_ids]].reset_index(drop=True) for g in got)
    for frame_ in (pre_scores, post_scores):
        for s in score_ids:
            frame_[s] = pd.to_numeric(frame_[s], errors="coerce").astype(float)
    return pre_scores, post_scores, score_ids


def _match_people(pre_scores: pd.DataFrame, post_scores: pd.DataFrame, id: str
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People present at both occasions (``score__pre``, ``score__post``) and the unmatched ids."""
    from compassion_scales._inputs import check_padded_ids

    a_id, b_id = _harmonise_ids(pre_scores[id], post_scores[id])
    pre_scores = pre_scores.assign(**{id: a_id})
    post_scores = post_scores.assign(**{id: b_id})
    # membership through one factorisation of both id columns (iterating Arrow-backed ids in
    # Python, directly or through Series.isin, was most of the run time)
    codes, _ = pd.factorize(pd.concat([a_id, b_id], ignore_index=True))
    ca, cb = codes[:len(a_id)], codes[len(a_id):]
    pre_only = a_id[~np.isin(ca, cb)].tolist()
    post_only = b_id[~np.isin(cb, ca)].tolist()
    check_padded_ids([str(x) for x in pre_only], [str(x) for x in post_only], id)
    unmatched = pd.DataFrame({"id": pre_only + post_only,
                              "found_in": ["pre only"] * len(pre_only) + ["post only"] * len(post_only)})
    unmatched["found_in"] = unmatched["found_in"].astype("string")
    merged = pre_scores.merge(post_scores, on=id, how="inner", suffixes=("__pre", "__post"), sort=False)
    if merged.empty:
        raise AnalysisError(f"No id in column {id!r} appears both before and after; check the id "
                            "column and the files (unmatched ids: "
                            + ", ".join(map(str, unmatched['id'][:10])) + ").")
    return merged, unmatched


def _norm_pool(inst: Any, score_ids: Sequence[str], *, norms: Mapping[str, Sequence[Mapping[str, Any]]] | None,
               norms_file: Any, norm_sample: str | None) -> dict[str, list[dict[str, Any]]]:
    """Score -> raw-metric norm entries (given, or the instrument file's plus a norms file's)."""
    merged_entries: dict[str, list[dict[str, Any]]] = {}
    if inst is not None and norms is None:
        from compassion_scales.norms import merged_norms

        merged_entries = merged_norms(inst, norms_file)
    elif norms_file is not None:
        raise AnalysisError("A norms file needs the instrument it belongs to (instrument=...).")
    pool = (merged_entries if norms is None
            else {k: [dict(e) for e in v] for k, v in norms.items()})
    # published t-score norms (metric t_score) never meet raw scores
    raw = {k: [dict(e) for e in v if e.get("metric", "raw") == "raw"] for k, v in pool.items()}
    if norm_sample is not None and not any(e.get("name") == norm_sample
                                           for k in score_ids for e in raw.get(k, [])):
        names = sorted({str(e["name"]) for k in score_ids for e in pool.get(k, []) if e.get("name")})
        raise AnalysisError(
            f"No score analysed has a usable norm sample named {norm_sample!r} (samples in the "
            "raw-score metric: " + (", ".join(names) or "none") + "). Add one with a norms "
            "file (--norms-file) or leave --norms out.")
    return raw


@dataclass(frozen=True)
class _Sources:
    """What the SD and reliability of each score may come from."""

    sd: float | Mapping[str, float] | None
    reliability: float | Mapping[str, float] | None
    from_sample: bool
    norm_sample: str | None
    pre_df: pd.DataFrame
    inst: Any
    id: str
    on_invalid: str
    column_map: Mapping[str, str] | None


def _sd_for(s: str, src: _Sources, named: Mapping[str, Any] | None, entries: list[dict[str, Any]],
            pre_v: np.ndarray, complete: np.ndarray) -> tuple[float, str]:
    """(SD, where it comes from): given, the named norm sample, published norms, or the sample."""
    given = per_score(src.sd, s)
    if given is not None:
        return given, "given"
    if named is not None:
        return float(named["sd"]), f"norm sample {src.norm_sample}: {_describe_source(named)}"
    if not src.from_sample and (n := _pick_norm(entries, ("clinical", "general"))) is not None:
        return float(n["sd"]), f"published {n.get('population')} norms: {_describe_source(n)}"
    n_pairs = int(complete.sum())
    if n_pairs < 2:
        raise AnalysisError(
            f"No SD is available for {s}: the instrument has no published norms and fewer "
            "than 2 people have both scores. Give the SD of a clinical sample (--sd).")
    if not src.from_sample:
        import warnings

        warnings.warn(f"{s}: no published SD (clinical norms) in the instrument file; "
                      f"using the SD of these {n_pairs} people's pre scores. "
                      "Give --sd (sd=...) to use a published value.", NormsWarning, stacklevel=5)
    return (float(np.std(pre_v[complete], ddof=1)), f"sample: SD of pre scores (n = {n_pairs})"
            + ("" if src.from_sample else "; no published norms in the instrument file"))


def _reliability_for(s: str, src: _Sources, named: Mapping[str, Any] | None, ids_used: pd.Series
                     ) -> tuple[float, str, str]:
    """(reliability, coefficient, source): given, norm sample, published, or sample alpha."""
    given = per_score(src.reliability, s)
    if given is not None:
        return given, "given", "given"
    if named is not None:
        from compassion_scales.norms import norm_reliability

        named_rel = norm_reliability(named)
        if named_rel is not None:
            value, coef = named_rel
            has_both = {r.get("type") for r in named.get("reliability", [])} >= {"alpha", "test_retest"}
            return value, coef, (f"norm sample {src.norm_sample} ({coef.replace('_', '-')}"
                                 + ("; test-retest preferred over alpha" if has_both else "") + ")")
    sc = src.inst.score(s) if src.inst is not None else None
    if not src.from_sample and sc is not None and (e := _pick_reliability(sc.reliability)) is not None:
        return float(e["value"]), str(e["coefficient"]), f"published: {_describe_source(e)}"
    if src.inst is None:
        raise AnalysisError(f"No reliability is available for {s}; give one (reliability=... "
                            "or --reliability) or an instrument with published values.")
    value, n_alpha = _sample_alpha(src.pre_df, src.inst, s, src.id, ids_used, src.on_invalid,
                                   src.column_map)
    if not np.isfinite(value):
        raise AnalysisError(f"Cronbach's alpha of {s} cannot be computed from the sample (n = {n_alpha}); "
                            "give the reliability (--reliability).")
    return value, "alpha", f"sample: Cronbach's alpha of pre answers (n = {n_alpha}, pairwise)"


def _cutoffs_for(s: str, entries: list[dict[str, Any]], direction: str, criterion: str
                 ) -> tuple[dict[str, float | None], str | None, str]:
    """(cut-offs a/b/c, criterion used or None, where the norms come from)."""
    import warnings

    none: dict[str, float | None] = {"a": None, "b": None, "c": None}
    clin = _pick_norm(entries, ("clinical",))
    func = _pick_norm(entries, ("non_clinical",))
    func_note = ""
    if func is None and (g := _pick_norm(entries, ("general",))) is not None:
        func, func_note = g, " (general-population norms used as the functional population)"
    if direction == "neutral" or (clin is None and func is None):
        why = ("score has no better/worse direction; clinical significance not assessed."
               if direction == "neutral" else f"no published clinical or non-clinical norms for {s}; "
               "clinical cut-offs (criteria a, b, c) not computed.")
        if criterion != "auto":  # asked for by name: say it cannot be done, not only in a note
            raise AnalysisError(f"Criterion {criterion} cannot be computed for {s}: {why.split(';')[0]} "
                                "(give norms with --norms-file, choose scores with --score, or use "
                                "criterion 'auto').")
        return none, None, why
    cut = jacobson_truax_cutoffs(
        higher_is=direction, clinical=(float(clin["mean"]), float(clin["sd"])) if clin else None,
        functional=(float(func["mean"]), float(func["sd"])) if func else None)
    if clin and func and ((direction == "worse") != (float(clin["mean"]) > float(func["mean"]))):
        warnings.warn(f"{s}: the clinical norm mean ({clin['mean']}) is not on the "
                      f"{'higher' if direction == 'worse' else 'lower'} side of the "
                      f"non-clinical mean ({func['mean']}) although higher is {direction}; "
                      "check the norms.", NormsWarning, stacklevel=5)
    if criterion == "auto":
        chosen = _auto_criterion(cut)
    elif cut.get(criterion) is not None:
        chosen = criterion
    else:
        raise AnalysisError(f"Criterion {criterion} cannot be computed for {s} from the "
                            "available norms; use criterion 'auto'.")
    srcs = ([f"clinical: {_describe_source(clin)}"] if clin else []) + (
        [f"non-clinical: {_describe_source(func)}{func_note}"] if func else [])
    return cut, chosen, "; ".join(srcs)


def _no_clinical(rc: pd.DataFrame) -> None:
    """Empty clinical-significance columns (no norms or no direction), in place."""
    missing = pd.arrays.BooleanArray(np.zeros(len(rc), bool), np.ones(len(rc), bool))
    rc["criterion"] = pd.Series(None, index=rc.index, dtype="string")
    rc["cutoff"] = np.nan
    rc["pre_functional"] = missing
    rc["post_functional"] = missing.copy()
    rc["clinical_change"] = pd.Series(None, index=rc.index, dtype="string")


def _missing_note(pre_v: np.ndarray, post_v: np.ndarray) -> pd.Series:
    note = np.full(len(pre_v), None, dtype=object)
    note[np.isnan(post_v)] = "post score missing"
    note[np.isnan(pre_v)] = "pre score missing"
    note[np.isnan(pre_v) & np.isnan(post_v)] = "pre and post score missing"
    return pd.Series(note, dtype="string")


def _score_change(s: str, merged: pd.DataFrame, entries: list[dict[str, Any]], src: _Sources, *,
                  direction: str, criterion: str, rci_threshold: float
                  ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One score: the per-person rows and the parameters row."""
    pre_v = merged[f"{s}__pre"].to_numpy(dtype=float)
    post_v = merged[f"{s}__post"].to_numpy(dtype=float)
    complete = ~np.isnan(pre_v) & ~np.isnan(post_v)
    named = (next((e for e in entries if e.get("name") == src.norm_sample), None)
             if src.norm_sample is not None else None)
    sd_val, sd_source = _sd_for(s, src, named, entries, pre_v, complete)
    rel_val, rel_coef, rel_source = _reliability_for(s, src, named, merged.loc[complete, src.id])
    _check_parameters(sd_val, rel_val, s)
    if src.norm_sample is not None and named is None:
        sd_source += f" (no norm sample {src.norm_sample!r} for {s})"
    rc = reliable_change(pre_v, post_v, sd=sd_val, reliability=rel_val, higher_is=direction,
                         rci_threshold=rci_threshold)
    cut, chosen, norms_source = _cutoffs_for(s, entries, direction, criterion)
    if chosen is not None:
        _add_clinical(rc, float(cut[chosen]), chosen, direction)  # type: ignore[arg-type]
    else:
        _no_clinical(rc)
    rc["note"] = _missing_note(pre_v, post_v)
    rc.insert(0, "score", pd.Series(s, index=rc.index, dtype="string"))
    rc.insert(0, src.id, merged[src.id].to_numpy())
    se = float(rc["se_diff"].iloc[0]) if len(rc) else se_difference(sd_val, rel_val)
    row = {"score": s, "higher_is": direction, "n_pairs": int(complete.sum()),
           "sd": sd_val, "sd_source": sd_source, "reliability": rel_val,
           "reliability_coefficient": rel_coef, "reliability_source": rel_source,
           "se_diff": se, "rc_threshold": rci_threshold * se,
           "cutoff_a": cut["a"], "cutoff_b": cut["b"], "cutoff_c": cut["c"],
           "criterion": chosen, "cutoff": float(cut[chosen]) if chosen else np.nan,  # type: ignore[arg-type]
           "norms_source": norms_source}
    return rc.drop(columns=["se_diff"]), row


def _parameters_frame(params: list[dict[str, Any]]) -> pd.DataFrame:
    parameters = pd.DataFrame(params)
    for col in ("cutoff_a", "cutoff_b", "cutoff_c", "cutoff"):
        parameters[col] = parameters[col].astype(float)
    parameters["criterion"] = parameters["criterion"].astype("string")
    return parameters


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


# --------------------------------------------------------------------------- outputs (0.1 names)


def _check_plot_path(path: str | Path) -> None:
    if Path(path).suffix.lower() not in (".png", ".svg"):
        raise AnalysisError(f"Plot file {Path(path).name}: use a .png or .svg name.")


def _save(fig: Figure, path: str | Path) -> Path:
    out = Path(path)
    _check_plot_path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=150, bbox_inches="tight")
    return out


def jacobson_truax_plot(result: ChangeResult, path: str | Path, score: str | None = None) -> Path:
    """Write the Jacobson-Truax plot of ``result`` to ``path`` (PNG or SVG); deprecated.

    Use ``result.plot(score=...)``, which returns the Figure, and save that.
    """
    from compassion_scales.reporting.change_plot import jacobson_truax_figure

    warnings.warn("jacobson_truax_plot(result, path) will be removed in version 1.0; use "
                  "result.plot() and save the returned figure.", FutureWarning, stacklevel=2)
    _check_plot_path(path)
    return _save(jacobson_truax_figure(result, score=score), path)


def write_reports(result: ChangeResult, directory: str | Path,
                  formats: Sequence[str] = ("html", "md")) -> list[Path]:
    """Write one report per matched client into ``directory``; returns the file paths.

    Same as ``result.report(directory, formats)`` (see
    :func:`compassion_scales.reporting.change_report.write_reports`).
    """
    from compassion_scales.reporting.change_report import write_reports as write

    return write(result, directory, formats=formats)


def unique_stems(ids: Sequence[Any], prefix: str = "client_") -> list[str]:
    """One file stem per id, distinct even on case-insensitive disks (see
    :func:`compassion_scales.reporting.change_report.unique_stems`).

    Examples
    --------
    >>> unique_stems(["a/b", "a_b"])
    ['client_a_b', 'client_a_b_2']
    """
    from compassion_scales.reporting.change_report import unique_stems as stems

    return stems(ids, prefix)
