"""Norm samples as data: published or service reference samples per score.

A norm sample (schema ``$defs/norm_sample``) names who was measured (``population``
clinical / non_clinical / staff / general / other, ``country``, ``n``), the score's
``mean`` and ``sd`` in that sample, its reliability (``alpha`` and/or
``test_retest``), the ``source`` and a ``status``. Instrument files carry the samples
that have a source; a service adds its own in a separate norms file
(``--norms-file``, schema ``$defs/norms_file``), validated with the same schema.

:func:`apply_norms` turns scores into z, T and percentile columns against one named
sample; :func:`compassion_scales.analyses.change.change` takes the SD and
reliability of a named sample for the Reliable Change Index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales.errors import AnalysisError, InstrumentError
from compassion_scales.results import ResultMixin

if TYPE_CHECKING:
    from compassion_scales.instrument import Instrument, InstrumentLike

__all__ = [
    "NormsFile",
    "NormedScores",
    "load_norms_file",
    "norm_samples",
    "find_norm",
    "norm_reliability",
    "apply_norms",
    "PERCENTILE_NOTE",
]

#: reliability of a norm sample used for reliable change, in order of preference
NORM_RELIABILITY_PREFERENCE = ("test_retest", "alpha")

PERCENTILE_NOTE = (
    "Percentiles use the normal approximation: 100 * Phi(z), as if scores in the norm sample "
    "were normally distributed (questionnaire sums are often skewed, so percentiles far from "
    "50 are rough). z = (score - sample mean) / sample SD; T = 50 + 10 z.")


@dataclass(frozen=True)
class NormsFile:
    """A service's own norm samples for one instrument (see :func:`load_norms_file`)."""

    instrument: str
    norms: Mapping[str, tuple[dict[str, Any], ...]]
    path: str | None = None
    description: str | None = None


# --------------------------------------------------------------------------- files


@lru_cache(maxsize=1)
def _norms_validator() -> Any:
    import jsonschema

    from compassion_scales.instrument import instrument_schema

    schema = instrument_schema()
    root = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/norms_file"}
    return jsonschema.Draft202012Validator(root)


def load_norms_file(path: str | Path) -> NormsFile:
    """Read and validate a norms file (YAML or JSON).

    Parameters
    ----------
    path : str or Path
        A file with ``format_version: 1``, ``instrument: ID`` and ``norms:`` mapping
        score ids to lists of norm samples (the fields of an instrument file's
        ``norms``).

    Returns
    -------
    NormsFile

    Raises
    ------
    InstrumentError
        The file is unreadable or does not match the schema (every problem listed),
        or a sample name is used twice for one score.
    """
    from compassion_scales.instrument import read_definition_file

    p = Path(path)
    data, _sha = read_definition_file(p, kind="Norms")
    where = str(p)
    if not isinstance(data, dict):
        raise InstrumentError(f"Norms file {where}: expected a mapping of fields at the top level.",
                              problems=["(top level): not a mapping"], source=where)
    problems = []
    for err in sorted(_norms_validator().iter_errors(data), key=lambda e: list(map(str, e.path))):
        loc = "/".join(str(x) for x in err.path) or "(top level)"
        msg = err.message.replace("Additional properties are not allowed", "unknown field(s) not allowed")
        problems.append(f"{loc}: {msg}")
    if not problems:
        for score_id, samples in data["norms"].items():
            names = [s.get("name") for s in samples if s.get("name")]
            for nme in sorted({x for x in names if names.count(x) > 1}):
                problems.append(f"norms/{score_id}: sample name {nme!r} is used twice")
            for i, s in enumerate(samples):
                if not s.get("name"):
                    problems.append(f"norms/{score_id}/{i}: a sample in a norms file needs a 'name' "
                                    "(used to choose it with --norms NAME)")
    if problems:
        raise InstrumentError(
            f"Norms file {where} is not valid ({len(problems)} problem"
            f"{'s' if len(problems) != 1 else ''}):\n  - " + "\n  - ".join(problems),
            problems=problems, source=where)
    norms = {k: tuple(dict(s, origin=f"norms file {p.name}") for s in v) for k, v in data["norms"].items()}
    return NormsFile(instrument=str(data["instrument"]), norms=norms, path=where,
                     description=data.get("description"))


def _as_norms_file(norms_file: NormsFile | str | Path | None) -> NormsFile | None:
    if norms_file is None or isinstance(norms_file, NormsFile):
        return norms_file
    return load_norms_file(norms_file)


def _check_file_matches(inst: Any, nf: NormsFile | None) -> None:
    if nf is None:
        return
    if nf.instrument.lower().replace("-", "_") != inst.id.lower():
        raise AnalysisError(f"The norms file {nf.path} is for instrument {nf.instrument!r}, not "
                            f"{inst.id!r}; give the norms file of the instrument being scored.")
    unknown = [s for s in nf.norms if s not in inst.score_ids]
    if unknown:
        raise AnalysisError(f"The norms file {nf.path} names score(s) {', '.join(unknown)} that "
                            f"{inst.id} does not have; its scores are: {', '.join(inst.score_ids)}.")
    _check_sample_ranges(inst, nf)


def _check_sample_ranges(inst: Any, nf: NormsFile) -> None:
    """A raw-score sample's mean inside the score's possible range, and its SD below the
    range's width: a mean of 300 for a 0-60 score (a typo, or another scoring) turned every
    z, T and percentile into nonsense with exit 0."""
    problems = []
    for score_id, samples in nf.norms.items():
        lo, hi = inst.score_range(score_id)
        for e in samples:
            if e.get("metric", "raw") != "raw":
                continue
            where = f"norms/{score_id}/{e.get('name')}"
            if not lo <= float(e["mean"]) <= hi:
                problems.append(f"{where}: mean {e['mean']:g} is outside the possible range of "
                                f"{score_id} ({lo:g}-{hi:g})")
            if float(e["sd"]) > hi - lo:
                problems.append(f"{where}: SD {e['sd']:g} is larger than the whole range of {score_id} "
                                f"({lo:g}-{hi:g})")
    if problems:
        raise AnalysisError(f"The norms file {nf.path} does not fit {inst.id}'s scores: "
                            + "; ".join(problems) + ". Check the numbers, and that the sample used "
                            f"the same scoring (sum or mean of items) as {inst.id}.")


def _entries(inst: Any, score_id: str, nf: NormsFile | None) -> list[dict[str, Any]]:
    own = [dict(e, origin=e.get("origin", "instrument file")) for e in inst.score(score_id).norms]
    extra = list(nf.norms.get(score_id, ())) if nf is not None else []
    return own + [dict(e) for e in extra]


def merged_norms(instrument: InstrumentLike, norms_file: NormsFile | str | Path | None = None
                 ) -> dict[str, list[dict[str, Any]]]:
    """Score id -> norm samples of the instrument file followed by those of the norms file."""
    from compassion_scales.instrument import load_instrument

    inst = load_instrument(instrument)
    nf = _as_norms_file(norms_file)
    _check_file_matches(inst, nf)
    return {s: _entries(inst, s, nf) for s in inst.score_ids}


def norm_reliability(sample: Mapping[str, Any]) -> tuple[float, str] | None:
    """The sample's reliability for reliable change: test-retest preferred over alpha.

    Examples
    --------
    >>> norm_reliability({"reliability": [{"type": "alpha", "value": 0.9},
    ...                                   {"type": "test_retest", "value": 0.8}]})
    (0.8, 'test_retest')
    >>> norm_reliability({"mean": 1, "sd": 1}) is None
    True
    """
    rels = list(sample.get("reliability") or ())
    for kind in NORM_RELIABILITY_PREFERENCE:
        for r in rels:
            if r.get("type") == kind and r.get("value") is not None:
                return float(r["value"]), kind
    return None


def norm_samples(instrument: InstrumentLike, norms_file: NormsFile | str | Path | None = None) -> pd.DataFrame:
    """A table of every norm sample of an instrument (and of a norms file).

    Returns
    -------
    DataFrame
        One row per score x sample: ``score``, ``name``, ``sample``, ``population``,
        ``country``, ``n``, ``mean``, ``sd``, ``metric``, ``alpha``, ``test_retest``,
        ``source``, ``status``, ``origin`` (instrument file or norms file).

    Examples
    --------
    >>> t = norm_samples("proqol5")
    >>> t[["score", "name", "mean", "sd", "metric", "alpha"]].to_string(index=False)
        ' score          name  mean   sd  metric  alpha\\nproqol_cs stamm_2010_t  50.0 10.0 t_score   0.88'
    """
    rows = []
    for score_id, entries in merged_norms(instrument, norms_file).items():
        for e in entries:
            rel = {r.get("type"): float(r["value"]) for r in (e.get("reliability") or ())}
            rows.append({
                "score": score_id, "name": e.get("name"), "sample": e.get("sample"),
                "population": e.get("population"), "country": e.get("country"), "n": e.get("n"),
                "mean": float(e["mean"]), "sd": float(e["sd"]), "metric": e.get("metric", "raw"),
                "alpha": rel.get("alpha", np.nan), "test_retest": rel.get("test_retest", np.nan),
                "source": e.get("source"), "status": e.get("status"), "origin": e.get("origin"),
            })
    cols = ["score", "name", "sample", "population", "country", "n", "mean", "sd", "metric",
            "alpha", "test_retest", "source", "status", "origin"]
    out = pd.DataFrame(rows, columns=cols)
    out["n"] = out["n"].astype("Int64")
    for c in ("score", "name", "sample", "population", "country", "metric", "source", "status", "origin"):
        out[c] = out[c].astype("string")
    return out


def find_norm(instrument: InstrumentLike, score_id: str, name: str,
              norms_file: NormsFile | str | Path | None = None) -> dict[str, Any] | None:
    """The norm sample called ``name`` for one score (None when that score has none)."""
    for e in merged_norms(instrument, norms_file).get(score_id, []):
        if e.get("name") == name:
            return e
    return None


def describe_sample(e: Mapping[str, Any]) -> str:
    """One line: name, who, where, n and source of a norm sample."""
    who = ", ".join(str(x) for x in (e.get("sample"), e.get("country")) if x)
    parts = [f"{e.get('name') or 'unnamed sample'} ({who})" if who else str(e.get("name"))]
    if e.get("n"):
        parts.append(f"n = {e['n']}")
    parts.append(f"mean {float(e['mean']):g}, SD {float(e['sd']):g}")
    parts.append(f"source: {e.get('source')}")
    if e.get("status"):
        parts.append(f"status: {e['status']}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- apply


@dataclass(frozen=True, repr=False)
class NormedScores(ResultMixin):
    """Scores with z, T and percentile columns against one named norm sample.

    Attributes
    ----------
    scores : DataFrame
        The input scores with ``<score>_z``, ``<score>_t`` and ``<score>_pct`` added
        after each normed score.
    applied : DataFrame
        One row per normed score: the sample's name, population, mean, SD, n, source.
    not_applied : DataFrame
        Scores left without norm columns and why (``score``, ``reason``).
    name : str
        The norm sample's name.
    """

    scores: pd.DataFrame
    applied: pd.DataFrame
    not_applied: pd.DataFrame
    name: str
    options: dict[str, Any] = field(default_factory=dict)

    _title = "Scores against a norm sample"

    @property
    def summary(self) -> pd.DataFrame:
        return self.applied

    def _notes(self) -> list[str]:
        notes = [PERCENTILE_NOTE]
        for r in self.applied.itertuples(index=False):
            notes.append(f"{r.score}: norm sample {r.description}.")
        for r in self.not_applied.itertuples(index=False):
            notes.append(f"{r.score}: no norm columns ({r.reason}).")
        return notes


@renamed_arguments(positional=("name",))
def apply_norms(scores: pd.DataFrame, instrument: InstrumentLike | Sequence[InstrumentLike], *,
                name: str, norms_file: NormsFile | str | Path | None = None,
                score_ids: Sequence[str] | None = None) -> NormedScores:
    """z, T and percentile of each score against the norm sample called ``name``.

    Parameters
    ----------
    scores : DataFrame
        Score columns named by score id (e.g. ``cs.score(...).scores``); other
        columns are kept.
    instrument : str, Path, Instrument or a list of them
        The instrument(s) whose norm samples are searched.
    name : str
        The norm sample's ``name`` (see :func:`norm_samples`); keyword-only (giving it by
        position still works, with a ``FutureWarning``).
    norms_file : NormsFile or path, optional
        A service's own samples, added to the instrument file's.
    score_ids : list of str, optional
        Scores to norm (default: every score of the instrument(s) present in ``scores``).

    Returns
    -------
    NormedScores
        ``scores`` gains ``<score>_z``, ``<score>_t`` (50 + 10 z) and ``<score>_pct``
        (normal approximation) after each score that has the sample; scores without
        it are listed in ``not_applied`` and their columns are not invented.

    Raises
    ------
    AnalysisError
        No score has a usable sample of that name (the message lists the names that
        exist), or the sample describes t-scores while cscore's score is raw.

    Notes
    -----
    ``z = (x - M) / SD``, ``T = 50 + 10 z``, percentile ``= 100 * Phi(z)``. A
    sample whose ``metric`` is ``t_score`` (e.g. the ProQOL manual's t-score
    norms) is never applied to raw sums.

    Examples
    --------
    >>> import pandas as pd
    >>> from compassion_scales.instrument import load_instrument
    >>> nf = NormsFile("fcs", {"fcs_self": ({"name": "clinic", "sample": "made-up example",
    ...                                      "mean": 20.0, "sd": 10.0, "source": "example"},)})
    >>> res = apply_norms(pd.DataFrame({"fcs_self": [30.0, 20.0]}), "fcs", name="clinic",
    ...                   norms_file=nf)
    >>> res.scores.round(2)
       fcs_self  fcs_self_z  fcs_self_t  fcs_self_pct
    0      30.0         1.0        60.0         84.13
    1      20.0         0.0        50.0         50.00
    """
    from compassion_scales.instrument import Instrument, load_instrument

    many = (list(instrument) if isinstance(instrument, Sequence)
            and not isinstance(instrument, (str, Instrument)) else [instrument])
    insts = [load_instrument(i) for i in many]
    nf = _as_norms_file(norms_file)
    if nf is not None:
        match = [i for i in insts if _is_for(nf, i)]
        if not match:
            raise AnalysisError(f"The norms file {nf.path} is for instrument {nf.instrument!r}, which "
                                "is not among the instruments scored: "
                                + ", ".join(i.id for i in insts) + ".")
        _check_file_matches(match[0], nf)
    out = scores.copy()
    applied: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    available: set[str] = set()
    for inst in insts:
        file_for = nf if nf is not None and _is_for(nf, inst) else None
        for s in inst.score_ids:
            if (score_ids is not None and s not in score_ids) or s not in out.columns:
                continue
            entries = _entries(inst, s, file_for)
            available.update(str(e["name"]) for e in entries if e.get("name"))
            e = next((x for x in entries if x.get("name") == name), None)
            why_not = _why_not_applicable(e, name)
            if e is None or why_not is not None:
                skipped.append({"score": s, "reason": why_not or ""})
                continue
            _insert_normed(out, s, e)
            applied.append({"score": s, "name": name, "population": e.get("population"),
                            "country": e.get("country"), "n": e.get("n"), "mean": float(e["mean"]),
                            "sd": float(e["sd"]), "source": e.get("source"),
                            "status": e.get("status"), "origin": e.get("origin"),
                            "description": describe_sample(e)})
    if not applied:
        _raise_none_applied(insts, name, skipped, available)
    cols = ["score", "name", "population", "country", "n", "mean", "sd", "source", "status",
            "origin", "description"]
    return NormedScores(scores=out, applied=pd.DataFrame(applied, columns=cols),
                        not_applied=pd.DataFrame(skipped, columns=["score", "reason"]), name=name,
                        options={"norms_file": nf.path if nf is not None else None})


def _is_for(nf: NormsFile, inst: Instrument) -> bool:
    """Whether a norms file is for this instrument (ids compared loosely)."""
    return nf.instrument.lower().replace("-", "_") == inst.id.lower()


def _why_not_applicable(e: Mapping[str, Any] | None, name: str) -> str | None:
    """Why a score's norm sample ``e`` (``None``: none of that name) cannot be applied."""
    if e is None:
        return f"no norm sample named {name!r}"
    if e.get("metric", "raw") != "raw":
        return (f"norm sample {name!r} describes published {e.get('metric')} values "
                f"(mean {float(e['mean']):g}, SD {float(e['sd']):g}), not the raw scores cscore "
                "computes; it is not applied")
    return None


def _insert_normed(out: pd.DataFrame, s: str, e: Mapping[str, Any]) -> None:
    """Insert ``<s>_z``, ``<s>_t`` and ``<s>_pct`` right after score column ``s``."""
    from compassion_scales.stats.change import normal_scores

    x = pd.to_numeric(out[s], errors="coerce").to_numpy(dtype=float)
    z, t, pct = normal_scores(x, float(e["mean"]), float(e["sd"]))
    pos = out.columns.get_loc(s) + 1
    for suffix, values in (("_z", z), ("_t", t), ("_pct", pct)):
        col = f"{s}{suffix}"
        if col in out.columns:
            raise AnalysisError(f"The scores already have a column {col!r}; rename it first.")
        out.insert(pos, col, values)
        pos += 1


def _raise_none_applied(insts: Sequence[Instrument], name: str, skipped: list[dict[str, Any]],
                        available: set[str]) -> None:
    """The error when no score has a usable sample of that name."""
    ids = ", ".join(i.id for i in insts)
    why = "; ".join(f"{r['score']}: {r['reason']}" for r in skipped
                    if "describes published" in r["reason"])
    if why:
        raise AnalysisError(f"Norm sample {name!r} cannot be applied to {ids}: {why}.")
    names = ", ".join(sorted(available)) or "none"
    raise AnalysisError(
        f"No score of {ids} has a norm sample named {name!r}. Named samples available: {names}. "
        "'cscore norms -i ID' lists them; add your own with --norms-file.")


def add_norms_to_result(result: Any, name: str, norms_file: NormsFile | str | Path | None = None
                        ) -> tuple[Any, list[str]]:
    """A :class:`~compassion_scales.scoring.ScoreResult` whose scores carry the norm columns.

    Returns the new result and the notes that say which sample was used for which
    score, and which scores have none.
    """
    import dataclasses

    normed = apply_norms(result.scores, list(result.instruments), name=name, norms_file=norms_file,
                         score_ids=result.score_columns)
    return dataclasses.replace(result, scores=normed.scores), normed._notes()
