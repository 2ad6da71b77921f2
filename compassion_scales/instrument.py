"""Instrument definitions: the data model, loading, listing and the semantic checks.

An instrument is a YAML (or JSON) file checked against the JSON Schema shipped as
``compassion_scales/instrument.schema.json`` plus semantic checks the schema cannot
express (every referenced item exists, every item is scored or marked as a filler,
output column names are unique and valid SPSS/Stata/R names...). That the golden
examples score as stated is checked by :mod:`compassion_scales.validate`, which sits
above scoring. Shipped instruments live in the ``compassion_scales.instruments``
package; users can pass a path to their own file anywhere an instrument id is
accepted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from compassion_scales.errors import InstrumentError

__all__ = [
    "Instrument",
    "Item",
    "ResponseSet",
    "ResponseOption",
    "Score",
    "MissingRule",
    "AttentionCheck",
    "load_instrument",
    "list_instruments",
    "instrument_schema",
    "InstrumentLike",
    "read_definition_file",
    "FLOWS",
]

#: The three flows of compassion (Compassion Focused Therapy).
FLOWS = ("self", "to_others", "from_others")

_VARNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_SUFFIXES = (".yaml", ".yml", ".json")


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class ResponseOption:
    """One response option: the code stored in data, its scored value and label."""

    code: float
    score: float
    label: str | None = None
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResponseSet:
    """A response scale shared by one or more items."""

    id: str
    min: float
    max: float
    integer: bool = True
    options: tuple[ResponseOption, ...] = ()
    missing_codes: tuple[Any, ...] = ()
    note: str | None = None

    @property
    def recodes(self) -> bool:
        """True when some option's scored value differs from its code (e.g. CBI's 0-100)."""
        return any(o.score != o.code for o in self.options)

    @property
    def score_min(self) -> float:
        """Smallest scored value (after any recoding)."""
        return min(o.score for o in self.options) if self.recodes else self.min

    @property
    def score_max(self) -> float:
        """Largest scored value (after any recoding)."""
        return max(o.score for o in self.options) if self.recodes else self.max

    def label_lookup(self) -> dict[str, float]:
        """Normalised label/synonym text -> code (case- and space-insensitive); a new dict."""
        return dict(self._label_codes)

    @cached_property
    def _label_codes(self) -> dict[str, float]:
        # normalised once per response set (the set is frozen); scoring asks for every column
        out: dict[str, float] = {}
        for o in self.options:
            for text in ((o.label,) if o.label else ()) + o.synonyms:
                out[normalise_label(text)] = o.code
        return out

    def describe(self) -> str:
        """e.g. ``0-4 (0 = Don't agree at all ... 4 = Completely agree)``."""
        rng = f"{_num(self.min)}-{_num(self.max)}"
        labelled = [o for o in self.options if o.label]
        if labelled:
            first, last = labelled[0], labelled[-1]
            rng += f" ({_num(first.code)} = {first.label} ... {_num(last.code)} = {last.label})"
        if self.recodes:
            rng += " recoded to " + "/".join(_num(o.score) for o in self.options)
        return rng


@dataclass(frozen=True)
class Item:
    """One questionnaire item."""

    id: str
    number: str
    response_set: str
    section: str | None = None
    reverse: bool = False
    scored: bool = True
    text: str | None = None
    gist: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class MissingRule:
    """How many answered items a score needs, and whether a sum is prorated."""

    min_answered: int
    prorate: bool = False
    source: str | None = None
    status: str | None = None

    def describe(self, n_items: int, aggregation: str) -> str:
        """A plain-language statement of the rule."""
        if aggregation in ("mean_of_scores", "sum_of_scores"):
            if self.min_answered >= n_items:
                return f"all {n_items} component scores required"
            return f">= {self.min_answered} of {n_items} component scores"
        if self.min_answered >= n_items:
            return f"all {n_items} items required"
        if aggregation == "sum" and self.prorate:
            return f">= {self.min_answered} of {n_items} items answered, sum prorated"
        return f">= {self.min_answered} of {n_items} items answered, mean of answered items"


@dataclass(frozen=True)
class Score:
    """One output score (a subscale or total)."""

    id: str
    label: str
    aggregation: str
    items: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    keying: str = "keyed"
    status: str = "published"
    flow: str | None = None
    higher_is: str | None = None
    missing: MissingRule = field(default_factory=lambda: MissingRule(min_answered=1))
    description: str | None = None
    interpretation: tuple[dict[str, Any], ...] = ()
    cutoffs: tuple[dict[str, Any], ...] = ()
    norms: tuple[dict[str, Any], ...] = ()
    reliability: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class AttentionCheck:
    """An attention-check or infrequency item and the answers that pass it."""

    item: str
    expected: tuple[float, ...]
    kind: str = "attention"
    note: str | None = None


@dataclass(frozen=True)
class Instrument:
    """A validated instrument definition.

    Use :func:`load_instrument` to obtain one. ``raw`` holds the parsed file as
    written; ``sha256`` is the hash of the file's bytes (recorded in provenance).
    """

    id: str
    version: str
    name: str
    citation: str
    response_sets: Mapping[str, ResponseSet]
    items: tuple[Item, ...]
    scores: tuple[Score, ...]
    raw: Mapping[str, Any]
    path: str | None = None
    sha256: str | None = None
    attention_checks: tuple[AttentionCheck, ...] = ()

    # ---- lookups
    @property
    def item_ids(self) -> list[str]:
        """All item ids, in file order (fillers included)."""
        return [i.id for i in self.items]

    @property
    def score_ids(self) -> list[str]:
        """All output score ids (column names), in file order."""
        return [s.id for s in self.scores]

    def item(self, item_id: str) -> Item:
        """The item with id ``item_id``."""
        for it in self.items:
            if it.id == item_id:
                return it
        raise InstrumentError(f"Instrument {self.id!r} has no item {item_id!r}.")

    def score(self, score_id: str) -> Score:
        """The score with id ``score_id``."""
        for s in self.scores:
            if s.id == score_id:
                return s
        raise InstrumentError(
            f"Instrument {self.id!r} has no score {score_id!r}; its scores are: "
            + ", ".join(self.score_ids) + ".")

    def score_items(self, score_id: str) -> list[str]:
        """The item ids a score is built from, resolving component scores."""
        s = self.score(score_id)
        if s.items:
            return list(s.items)
        out: list[str] = []
        for c in s.components:
            for i in self.score_items(c):
                if i not in out:
                    out.append(i)
        return out

    def score_range(self, score_id: str) -> tuple[float, float]:
        """The smallest and largest possible value of a score."""
        s = self.score(score_id)
        if s.aggregation in ("mean_of_scores", "sum_of_scores"):
            rngs = [self.score_range(c) for c in s.components]
            lo, hi = sum(r[0] for r in rngs), sum(r[1] for r in rngs)
            if s.aggregation == "mean_of_scores":
                lo, hi = lo / len(rngs), hi / len(rngs)
            return lo, hi
        sets = [self.response_sets[self.item(i).response_set] for i in s.items]
        lows = [r.score_min for r in sets]
        highs = [r.score_max for r in sets]
        if s.aggregation == "sum":
            return float(sum(lows)), float(sum(highs))
        return float(min(lows)), float(max(highs))

    def flows(self) -> dict[str, list[str]]:
        """Flow tag -> score ids carrying it (``self``, ``to_others``, ``from_others``)."""
        out: dict[str, list[str]] = {}
        for s in self.scores:
            if s.flow:
                out.setdefault(s.flow, []).append(s.id)
        return out

    @property
    def licence(self) -> Mapping[str, Any]:
        return self.raw.get("licence", {})

    @property
    def verification(self) -> list[Mapping[str, Any]]:
        return list(self.raw.get("verification", []))

    @property
    def examples(self) -> list[Mapping[str, Any]]:
        return list(self.raw.get("examples", []))

    # ---- tables
    def items_table(self) -> pd.DataFrame:
        """One row per item: id, number, section, response set, reverse, scored, scores."""
        member: dict[str, list[str]] = {}
        for s in self.scores:
            if s.items:
                for i in s.items:
                    member.setdefault(i, []).append(s.id)
        return pd.DataFrame({
            "item": [i.id for i in self.items],
            "number": [i.number for i in self.items],
            "section": [i.section or "" for i in self.items],
            "response_set": [i.response_set for i in self.items],
            "reverse": [i.reverse for i in self.items],
            "scored": [i.scored for i in self.items],
            "scores": [", ".join(member.get(i.id, [])) for i in self.items],
        })

    def scores_table(self) -> pd.DataFrame:
        """One row per score: id, label, aggregation, items, reverse items, range, rule, flow."""
        rows = []
        for s in self.scores:
            items = self.score_items(s.id)
            lo, hi = self.score_range(s.id)
            reversed_ = [i for i in items if self.item(i).reverse] if s.keying == "keyed" else []
            n = len(s.components) if s.components else len(items)
            rows.append({
                "score": s.id,
                "label": s.label,
                "aggregation": s.aggregation,
                "n_items": len(items),
                "components": ", ".join(s.components) if s.components else "",
                "reverse_items": ", ".join(reversed_),
                "min": lo,
                "max": hi,
                "missing_rule": s.missing.describe(n, s.aggregation),
                "flow": s.flow or "",
                "higher_is": s.higher_is or "",
                "status": s.status,
            })
        return pd.DataFrame(rows)

    def summary_dict(self) -> dict[str, Any]:
        """Everything ``cscore instruments show`` prints, as JSON-able data."""
        from compassion_scales._format import to_jsonable

        return to_jsonable({
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "abbreviation": self.raw.get("abbreviation"),
            "language": self.raw.get("language", "en"),
            "base_instrument": self.raw.get("base_instrument"),
            "citation": self.citation,
            "doi": self.raw.get("doi"),
            "licence": dict(self.licence),
            "path": self.path,
            "sha256": self.sha256,
            "response_sets": [
                {"id": r.id, "min": r.min, "max": r.max, "description": r.describe(),
                 "missing_codes": list(r.missing_codes)} for r in self.response_sets.values()],
            "scores": self.scores_table(),
            "items": self.items_table(),
            "fillers": [i.id for i in self.items if not i.scored],
            "interpretation": {s.id: list(s.interpretation) for s in self.scores if s.interpretation},
            "cutoffs": {s.id: list(s.cutoffs) for s in self.scores if s.cutoffs},
            "norms": {s.id: list(s.norms) for s in self.scores if s.norms},
            "reliability": {s.id: list(s.reliability) for s in self.scores if s.reliability},
            "verification": self.verification,
        })


#: What an ``instrument`` argument accepts everywhere: a shipped id, the path to a
#: YAML/JSON instrument file, or an :class:`Instrument` (docs/development.md, "Glossary").
InstrumentLike = str | os.PathLike[str] | Instrument


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


_TYPOGRAPHIC = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u02bc": "'",
    "\u0060": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\ufe58": "-", "\ufe63": "-", "\uff0d": "-",
    "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
    "\u00ad": None,
})


def normalise_label(text: str) -> str:
    """Case-, space- and typography-insensitive form of a response label.

    Unicode compatibility normalisation (NFKC: composed and decomposed accents, full-width
    forms and non-breaking spaces compare equal), typographic quotes and dashes as their
    plain forms, invisible characters (zero-width spaces, soft hyphens, BOM) removed,
    case folded and runs of spaces collapsed.

    Examples
    --------
    >>> normalise_label("Don\u2019t\u00a0agree at all") == normalise_label("don't agree  at all")
    True
    >>> normalise_label("Tr\u00e8s") == normalise_label("Tre\u0300s")
    True
    """
    import unicodedata

    t = unicodedata.normalize("NFKC", str(text)).translate(_TYPOGRAPHIC)
    return " ".join(t.casefold().split())


# --------------------------------------------------------------------------- schema


@lru_cache(maxsize=1)
def instrument_schema() -> dict[str, Any]:
    """The JSON Schema for instrument files (a dict)."""
    text = resources.files("compassion_scales").joinpath("instrument.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(instrument_schema())


def _schema_problems(data: Any) -> list[str]:
    validator = _validator()
    problems = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        where = "/".join(str(p) for p in err.path) or "(top level)"
        msg = err.message
        if err.validator == "additionalProperties":
            msg = msg.replace("Additional properties are not allowed", "unknown field(s) not allowed")
        problems.append(f"{where}: {msg}")
    return problems


# --------------------------------------------------------------------------- parsing


def _parse_response_set(r: Mapping[str, Any], problems: list[str]) -> ResponseSet:
    """One response set, with the checks that concern it alone."""
    opts = tuple(
        ResponseOption(code=float(o["code"]), score=float(o.get("score", o["code"])),
                       label=o.get("label"), synonyms=tuple(o.get("synonyms", ())))
        for o in r.get("options", ()))
    rs = ResponseSet(id=r["id"], min=float(r["min"]), max=float(r["max"]),
                     integer=bool(r.get("integer", True)), options=opts,
                     missing_codes=tuple(r.get("missing_codes", ())), note=r.get("note"))
    if rs.min >= rs.max:
        problems.append(f"response set {rs.id!r}: min ({_num(rs.min)}) must be below max ({_num(rs.max)})")
    codes = [o.code for o in opts]
    if len(set(codes)) != len(codes):
        problems.append(f"response set {rs.id!r}: an option code is listed twice")
    for o in opts:
        if not rs.min <= o.code <= rs.max:
            problems.append(f"response set {rs.id!r}: option code {_num(o.code)} is outside "
                            f"min-max {_num(rs.min)}-{_num(rs.max)}")
    if rs.recodes and rs.integer:
        expected = {float(c) for c in range(int(rs.min), int(rs.max) + 1)}
        if set(codes) != expected:
            problems.append(f"response set {rs.id!r}: when options recode scores, every code from "
                            f"{_num(rs.min)} to {_num(rs.max)} needs an option")
    labels = [normalise_label(t) for o in opts for t in ((o.label,) if o.label else ()) + o.synonyms]
    dup = sorted({t for t in labels if labels.count(t) > 1})
    if dup:
        problems.append(f"response set {rs.id!r}: label(s) {dup} map to more than one code")
    for mc in rs.missing_codes:
        if isinstance(mc, (int, float)) and rs.min <= mc <= rs.max:
            problems.append(f"response set {rs.id!r}: missing code {mc} lies inside the valid range")
    return rs


def _parse_response_sets(data: Mapping[str, Any], problems: list[str]) -> dict[str, ResponseSet]:
    """The file's response sets by id."""
    rsets: dict[str, ResponseSet] = {}
    for r in data["response_sets"]:
        if r["id"] in rsets:
            problems.append(f"response_sets: id {r['id']!r} is used twice")
        rs = _parse_response_set(r, problems)
        rsets[rs.id] = rs
    return rsets


def _item_response_set(it: Mapping[str, Any], data: Mapping[str, Any],
                       rsets: Mapping[str, ResponseSet], problems: list[str]) -> str:
    """The id of an item's response set (its own, the default, or the only one)."""
    rs_id = it.get("response_set", data.get("default_response_set"))
    if rs_id is None:
        if len(rsets) != 1:
            problems.append(f"item {it['id']!r}: no response_set given, the file defines several "
                            "and no default_response_set")
        return next(iter(rsets))
    if rs_id not in rsets:
        problems.append(f"item {it['id']!r}: unknown response set {rs_id!r}")
        return next(iter(rsets))
    return rs_id  # type: ignore[no-any-return]


def _parse_items(data: Mapping[str, Any], rsets: Mapping[str, ResponseSet],
                 problems: list[str]) -> list[Item]:
    """The items, in file order."""
    section_ids = {s["id"] for s in data.get("sections", [])}
    items: list[Item] = []
    seen: set[str] = set()
    for it in data["items"]:
        rs_id = _item_response_set(it, data, rsets, problems)
        if it["id"] in seen:
            problems.append(f"items: id {it['id']!r} is used twice")
        seen.add(it["id"])
        if it.get("section") and section_ids and it["section"] not in section_ids:
            problems.append(f"item {it['id']!r}: unknown section {it['section']!r}")
        if it.get("text") and not data["licence"]["item_text_included"]:
            problems.append(f"item {it['id']!r}: has text but licence.item_text_included is false")
        items.append(Item(id=it["id"], number=str(it["number"]), response_set=rs_id,
                          section=it.get("section"), reverse=bool(it.get("reverse", False)),
                          scored=bool(it.get("scored", True)), text=it.get("text"),
                          gist=it.get("gist"), aliases=tuple(it.get("aliases", ()))))
    _check_item_numbers(items, problems)
    return items


def _check_item_numbers(items: Sequence[Item], problems: list[str]) -> None:
    """An item number (the number printed on the form) is used once per section.

    Column patterns such as ``Q12_{n}`` find an item by its number (within its section):
    two items with one number could not be told apart.
    """
    first: dict[tuple[str, str], str] = {}
    for it in items:
        key = (it.section or "", it.number)
        if key in first:
            where = f" in section {it.section!r}" if it.section else ""
            problems.append(f"items: number {it.number} is used by both {first[key]!r} and "
                            f"{it.id!r}{where}; number the items as printed on the form")
        first.setdefault(key, it.id)


def _check_score_parts(s: Mapping[str, Any], item_map: Mapping[str, Item],
                       score_defs: Mapping[str, Mapping[str, Any]], problems: list[str]) -> None:
    """A score's items or component scores exist and fit its aggregation."""
    sid, agg = s["id"], s["aggregation"]
    its = tuple(s.get("items", ()))
    comps = tuple(s.get("scores", ()))
    if agg in ("sum", "mean"):
        if not its or comps:
            problems.append(f"score {sid!r}: aggregation {agg!r} needs 'items' (and no 'scores')")
    elif not comps or its:
        problems.append(f"score {sid!r}: aggregation {agg!r} needs 'scores' (and no 'items')")
    for i in its:
        if i not in item_map:
            problems.append(f"score {sid!r}: unknown item {i!r}")
        elif not item_map[i].scored:
            problems.append(f"score {sid!r}: item {i!r} is a filler (scored: false) and cannot count")
    if len(set(its)) != len(its):
        problems.append(f"score {sid!r}: an item is listed twice")
    for c in comps:
        if c not in score_defs:
            problems.append(f"score {sid!r}: unknown component score {c!r}")
        elif c == sid:
            problems.append(f"score {sid!r}: a score cannot contain itself")
        elif "scores" in score_defs[c]:
            problems.append(f"score {sid!r}: component {c!r} must itself be built from items")


def _missing_rule(s: Mapping[str, Any], n: int, problems: list[str]) -> MissingRule:
    """A score's missing-data rule: how many of its ``n`` parts must be answered."""
    sid, agg = s["id"], s["aggregation"]
    m = s.get("missing", {})
    if "min_answered" in m and "min_answered_proportion" in m:
        problems.append(f"score {sid!r}: give min_answered or min_answered_proportion, not both")
    if "min_answered" in m:
        need = int(m["min_answered"])
    elif "min_answered_proportion" in m:
        need = max(1, int(-(-float(m["min_answered_proportion"]) * n // 1)))  # ceil
    else:
        need = n
    if n and need > n:
        problems.append(f"score {sid!r}: min_answered ({need}) is larger than its {n} items")
    prorate = bool(m.get("prorate", False))
    if agg == "sum" and need < n and not prorate:
        problems.append(f"score {sid!r}: a sum that allows unanswered items must set prorate: true "
                        "(otherwise sums of different numbers of items would be compared)")
    if prorate and agg != "sum":
        problems.append(f"score {sid!r}: prorate applies only to aggregation 'sum'")
    return MissingRule(min_answered=need, prorate=prorate, source=m.get("source"),
                       status=m.get("status"))


def _parse_scores(data: Mapping[str, Any], item_map: Mapping[str, Item],
                  problems: list[str]) -> list[Score]:
    """The scores, in file order."""
    scores: list[Score] = []
    score_defs = {s["id"]: s for s in data["scores"]}
    for s in data["scores"]:
        _check_score_parts(s, item_map, score_defs, problems)
        its = tuple(s.get("items", ()))
        comps = tuple(s.get("scores", ()))
        missing = _missing_rule(s, len(comps) if comps else len(its), problems)
        scores.append(Score(
            id=s["id"], label=s["label"], aggregation=s["aggregation"], items=its, components=comps,
            keying=s.get("keying", "keyed"), status=s.get("status", "published"),
            flow=s.get("flow"), higher_is=s.get("higher_is"), missing=missing,
            description=s.get("description"),
            interpretation=tuple(s.get("interpretation", ())), cutoffs=tuple(s.get("cutoffs", ())),
            norms=tuple(s.get("norms", ())), reliability=tuple(s.get("reliability", ()))))
    return scores


def _check_score_names(scores: Sequence[Score], item_map: Mapping[str, Item],
                       problems: list[str]) -> None:
    """Norm-sample names unique within a score; output columns unique, valid, not items."""
    for s in scores:
        named = [str(n["name"]) for n in s.norms if n.get("name")]
        for nme in sorted({x for x in named if named.count(x) > 1}):
            problems.append(f"score {s.id!r}: norm sample name {nme!r} is used twice")
    names = [s.id for s in scores]
    for nme in sorted({x for x in names if names.count(x) > 1}):
        problems.append(f"scores: output column {nme!r} is used twice")
    for nme in names:
        if not _VARNAME.match(nme):
            problems.append(f"score {nme!r}: not a valid SPSS/Stata/R variable name "
                            "(letters, digits and _, starting with a letter, at most 32 characters)")
        if nme in item_map:
            problems.append(f"score {nme!r}: has the same name as an item")


def _check_item_use(items: Sequence[Item], scores: Sequence[Score],
                    rsets: Mapping[str, ResponseSet], problems: list[str]) -> None:
    """Every scored item belongs to a score; reverse-keyed items have a range to reverse in."""
    used_items = {i for s in scores for i in s.items}
    for it in items:
        if it.scored and it.id not in used_items:
            problems.append(f"item {it.id!r}: is scored but belongs to no score "
                            "(add it to a score or mark it 'scored: false' as a filler)")
    item_map = {i.id: i for i in items}
    for s in scores:
        for i in s.items:
            if i in item_map and item_map[i].reverse:
                rs = rsets[item_map[i].response_set]
                if rs.score_min >= rs.score_max:
                    problems.append(f"item {i!r}: reverse-keyed but its response range is empty")


def _parse_attention_checks(data: Mapping[str, Any], item_map: Mapping[str, Item],
                            rsets: Mapping[str, ResponseSet],
                            problems: list[str]) -> list[AttentionCheck]:
    """The attention-check and infrequency items (fillers, expected answers in range)."""
    checks: list[AttentionCheck] = []
    for ac in data.get("attention_checks", ()):
        it_id = ac["item"]
        if it_id not in item_map:
            problems.append(f"attention_checks: unknown item {it_id!r}")
            continue
        if item_map[it_id].scored:
            problems.append(f"attention_checks: item {it_id!r} counts in a score; attention-check and "
                            "infrequency items must be fillers (scored: false)")
        rs = rsets[item_map[it_id].response_set]
        for v in ac["expected"]:
            if not rs.min <= float(v) <= rs.max:
                problems.append(f"attention_checks: expected answer {_num(float(v))} of item {it_id!r} "
                                f"is outside its response range {_num(rs.min)}-{_num(rs.max)}")
        checks.append(AttentionCheck(item=it_id, expected=tuple(float(v) for v in ac["expected"]),
                                     kind=ac.get("kind", "attention"), note=ac.get("note")))
    return checks


def _check_bands(inst: Instrument, problems: list[str]) -> None:
    """Interpretation bands lie within their score's range."""
    for s in inst.scores:
        lo, hi = inst.score_range(s.id)
        for bandset in s.interpretation:
            for b in bandset["bands"]:
                if b["min"] > b["max"] or b["min"] < lo - 1e-9 or b["max"] > hi + 1e-9:
                    problems.append(f"score {s.id!r}: band {b['label']!r} ({b['min']}-{b['max']}) "
                                    f"lies outside the score's range {_num(lo)}-{_num(hi)}")


def _parse(data: Mapping[str, Any], path: str | None, sha: str | None) -> Instrument:
    """Build the model from schema-valid data and run the semantic checks."""
    problems: list[str] = []
    rsets = _parse_response_sets(data, problems)
    items = _parse_items(data, rsets, problems)
    item_map = {i.id: i for i in items}
    scores = _parse_scores(data, item_map, problems)
    _check_score_names(scores, item_map, problems)
    _check_item_use(items, scores, rsets, problems)
    checks = _parse_attention_checks(data, item_map, rsets, problems)
    inst = Instrument(id=data["id"], version=str(data["version"]), name=data["name"],
                      citation=data["citation"], response_sets=rsets, items=tuple(items),
                      scores=tuple(scores), raw=data, path=path, sha256=sha,
                      attention_checks=tuple(checks))
    if not problems:
        _check_bands(inst, problems)
    if problems:
        where = path or data.get("id", "instrument")
        raise InstrumentError(
            f"Instrument file {where} is not valid ({len(problems)} problem"
            f"{'s' if len(problems) != 1 else ''}):\n  - " + "\n  - ".join(problems),
            problems=problems, source=where)
    return inst


def read_definition_file(path: Path, kind: str = "Instrument") -> tuple[Any, str]:
    """Read a YAML/JSON definition file (an instrument or a norms file) safely.

    The bytes are hashed, decoded as UTF-8 (a BOM is allowed) and parsed with a safe
    loader; YAML anchors and aliases are refused before anything is built.

    Parameters
    ----------
    path : Path
        The file; ``.json`` is read as JSON, anything else as YAML.
    kind : str
        What the file is, for messages (``"Instrument"``, ``"Norms"``).

    Returns
    -------
    tuple
        ``(data, sha256)``: the parsed content and the hex SHA-256 of the file's bytes.

    Raises
    ------
    InstrumentError
        The file is missing, unreadable, not UTF-8 or not valid YAML/JSON.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "x.json"
    ...     _ = p.write_text('{"a": 1}', encoding="utf-8")
    ...     read_definition_file(p)[0]
    {'a': 1}
    """
    raw, sha = _file_bytes(path, kind)
    return _parse_definition(raw, path, kind), sha


def _file_bytes(path: Path, kind: str = "Instrument") -> tuple[bytes, str]:
    """The file's bytes and their hex SHA-256, or a one-line InstrumentError."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InstrumentError(f"{kind} file {path} does not exist.", source=str(path)) from None
    except OSError as exc:
        raise InstrumentError(f"{kind} file {path} cannot be read: {exc.strerror}.",
                              source=str(path)) from None
    return raw, hashlib.sha256(raw).hexdigest()


def _parse_definition(raw: bytes, path: Path, kind: str = "Instrument") -> Any:
    """Decode and parse a definition file's bytes (see :func:`read_definition_file`)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InstrumentError(f"{kind} file {path} is not UTF-8 text; save it as UTF-8.",
                              source=str(path)) from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text, object_pairs_hook=lambda pairs: _unique_keys(pairs, path, kind))
        else:
            import yaml

            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available
            problem = _yaml_event_problem(yaml, text, loader)
            if problem:
                raise InstrumentError(f"{kind} file {path}: {problem}", source=str(path))
            data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except InstrumentError:
        raise
    except Exception as exc:  # yaml.YAMLError / json.JSONDecodeError
        first = str(exc).strip().splitlines()
        detail = " ".join(first[:3]) + _tab_hint(text, getattr(exc, "problem_mark", None))
        raise InstrumentError(f"{kind} file {path} is not valid YAML/JSON: {detail}",
                              source=str(path)) from None
    return data


def _tab_hint(text: str, mark: Any) -> str:
    """What to do when YAML stops at a tab (an editor's indentation): its own message ("found
    character that cannot start any token") does not say the character is a tab."""
    if mark is None:
        return ""
    lines = text.splitlines()
    line = int(getattr(mark, "line", -1))
    if not 0 <= line < len(lines) or "\t" not in lines[line][: int(getattr(mark, "column", 0)) + 1]:
        return ""
    return f" (line {line + 1} is indented with a tab: YAML indents with spaces only)"


def _unique_keys(pairs: list[tuple[str, Any]], path: Path, kind: str) -> dict[str, Any]:
    """A JSON object's pairs as a dict, or an InstrumentError naming a key given twice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InstrumentError(f"{kind} file {path}: the key {key!r} appears twice in the same "
                                  "object; keep one (the second would silently replace the first).",
                                  source=str(path))
        out[key] = value
    return out


def _yaml_event_problem(yaml: Any, text: str, loader: Any) -> str | None:
    """What makes a YAML text unsafe or ambiguous to load, read from its events, or None.

    Anchors and aliases (``&a`` / ``*a``) are refused before anything is built: nested
    aliases can expand a few hundred bytes into gigabytes ("billion laughs"). A key given
    twice in one mapping is refused too: YAML loaders keep the last value without a word,
    so a second ``scores:`` block or ``reverse: true, reverse: false`` would silently
    replace the first.
    """
    stack: list[list[Any]] = []  # per open collection: [is_mapping, expecting_key, keys]
    for event in yaml.parse(text, Loader=loader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return (f"line {line}: YAML anchors and aliases (&name / *name) are not allowed in "
                    "definition files; write each value out in full.")
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
            continue
        if not isinstance(event, (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            continue
        if stack and stack[-1][0]:  # a node inside a mapping: a key or a value, in turn
            parent = stack[-1]
            if parent[1] and isinstance(event, yaml.ScalarEvent):
                if event.value in parent[2]:
                    return (f"line {line}: the key {event.value!r} appears twice in the same "
                            "mapping; keep one (the second would silently replace the first).")
                parent[2].add(event.value)
            parent[1] = not parent[1]
        if isinstance(event, yaml.MappingStartEvent):
            stack.append([True, True, set()])
        elif isinstance(event, yaml.SequenceStartEvent):
            stack.append([False, False, None])
    return None


def _from_data(data: Any, path: str | None, sha: str | None) -> Instrument:
    if not isinstance(data, dict):
        raise InstrumentError(f"Instrument file {path}: expected a mapping of fields at the top level.",
                              problems=["(top level): not a mapping"], source=path)
    problems = _schema_problems(data)
    if problems:
        where = path or data.get("id", "instrument")
        raise InstrumentError(
            f"Instrument file {where} does not match the instrument schema ({len(problems)} problem"
            f"{'s' if len(problems) != 1 else ''}):\n  - " + "\n  - ".join(problems),
            problems=problems, source=where)
    return _parse(data, path, sha)


_FILE_CACHE: OrderedDict[tuple[str, str], Instrument] = OrderedDict()


def _load_file(path: Path) -> Instrument:
    """A user's instrument file, remembered by path and content hash.

    The file is read and hashed on every call, so an edited file is parsed and validated
    again; the same bytes at the same path give the same frozen Instrument without
    parsing them again. Invalid files are never remembered.
    """
    raw, sha = _file_bytes(path)
    key = (str(path), sha)
    if key in _FILE_CACHE:
        _FILE_CACHE.move_to_end(key)
        return _FILE_CACHE[key]
    inst = _from_data(_parse_definition(raw, path), str(path), sha)
    _FILE_CACHE[key] = inst
    if len(_FILE_CACHE) > 64:
        _FILE_CACHE.popitem(last=False)
    return inst


@lru_cache(maxsize=1)
def _shipped_folder() -> Any:
    """The shipped instruments' folder (found once: ``resources.files`` costs ~0.2 ms)."""
    return resources.files("compassion_scales.instruments")


#: the last listing of the shipped folder: (folder modification time, stem -> file)
_SHIPPED_LISTING: list[tuple[int, dict[str, Any]]] = []


def _shipped_files() -> Mapping[str, Any]:
    """Stem -> file of each shipped instrument file.

    Listed again only when the folder's modification time changes (a file added, removed or
    renamed); a folder without one (inside a zip) is listed on every call.
    """
    base = _shipped_folder()
    try:
        stamp = os.stat(base).st_mtime_ns
    except (TypeError, OSError):
        stamp = None
    if stamp is not None and _SHIPPED_LISTING and _SHIPPED_LISTING[0][0] == stamp:
        return _SHIPPED_LISTING[0][1]
    out = {}
    for entry in base.iterdir():
        name = entry.name
        if entry.is_file() and name.lower().endswith(_SUFFIXES) and not name.startswith("_"):
            out[name.rsplit(".", 1)[0]] = entry
    if stamp is not None:
        _SHIPPED_LISTING[:] = [(stamp, out)]
    return out


#: The shipped files as the test suite validated them: ``instruments/_verified.json``.
VERIFIED_MANIFEST = "_verified.json"


def _schema_sha256() -> str:
    raw = resources.files("compassion_scales").joinpath("instrument.schema.json").read_bytes()
    return hashlib.sha256(raw).hexdigest()


@lru_cache(maxsize=1)
def _verified_shipped() -> dict[str, Any]:
    """File name -> ``{"sha256", "data"}`` of the shipped files known to be valid, or ``{}``.

    The manifest counts only while it was made against the schema in use; a missing or
    unreadable manifest just means every shipped file is checked in full.
    """
    try:
        text = resources.files("compassion_scales.instruments").joinpath(VERIFIED_MANIFEST).read_text("utf-8")
        manifest = json.loads(text)
    except (OSError, ValueError):
        return {}
    if manifest.get("format") != 1 or manifest.get("schema_sha256") != _schema_sha256():
        return {}
    return dict(manifest.get("files", {}))


@lru_cache(maxsize=64)
def _load_shipped(stem: str) -> Instrument:
    """A shipped instrument. A file byte for byte as the test suite validated it (its
    SHA-256 is in the manifest, made against the same schema) is built from the manifest's
    parsed copy, which spares the YAML parser and the JSON Schema check (~50 ms of start-up,
    #16); any other file, e.g. one edited after installation, is read and validated in full.
    The semantic checks of :func:`_parse` run either way."""
    entry = _shipped_files()[stem]
    where = f"instruments/{entry.name}"
    with resources.as_file(entry) as p:
        raw, sha = _file_bytes(Path(p))
        known = _verified_shipped().get(entry.name)
        if known is not None and known.get("sha256") == sha:
            return _parse(known["data"], where, sha)
        return _from_data(_parse_definition(raw, Path(p)), where, sha)


def shipped_manifest() -> dict[str, Any]:
    """The manifest of the shipped instrument files, made from the files themselves.

    Every shipped file is read and validated in full (safe YAML, JSON Schema, semantic
    checks); the manifest records the schema's SHA-256 and, per file, the SHA-256 of its
    bytes and its parsed content. ``tests/instruments/test_shipped_manifest.py`` checks that
    ``instruments/_verified.json`` equals it; after editing a shipped file or the schema, run
    ``python -c "from compassion_scales.instrument import write_shipped_manifest as w; w()"``.

    Raises
    ------
    InstrumentError
        A shipped file is invalid, or its content does not survive a JSON round trip.
    """
    files: dict[str, Any] = {}
    for stem, entry in sorted(_shipped_files().items()):
        with resources.as_file(entry) as p:
            data, sha = read_definition_file(Path(p))
        _from_data(data, f"instruments/{entry.name}", sha)
        if repr(json.loads(json.dumps(data))) != repr(data):
            raise InstrumentError(f"instruments/{entry.name}: its content changes in a JSON round "
                                  "trip (a date, a non-text key...); write it as plain text.",
                                  source=stem)
        files[entry.name] = {"sha256": sha, "data": data}
    return {"format": 1, "schema_sha256": _schema_sha256(), "files": files}


def write_shipped_manifest() -> Path:
    """Write :func:`shipped_manifest` to ``instruments/_verified.json`` (a source checkout)."""
    target = Path(str(resources.files("compassion_scales.instruments").joinpath(VERIFIED_MANIFEST)))
    text = json.dumps(shipped_manifest(), indent=1, ensure_ascii=False) + "\n"
    target.write_text(text, encoding="utf-8")
    return target


def load_instrument(id_or_path: InstrumentLike) -> Instrument:
    """Load and validate an instrument by shipped id or from a file path.

    Parameters
    ----------
    id_or_path : str, Path or Instrument
        A shipped instrument id (see :func:`list_instruments`), or the path to a
        YAML/JSON instrument file. An :class:`Instrument` is returned unchanged.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        The id is unknown, or the file is unreadable or invalid (all problems are listed).

    Examples
    --------
    >>> fcs = load_instrument("fcs")
    >>> fcs.score_ids
    ['fcs_others', 'fcs_from_others', 'fcs_self']
    """
    if isinstance(id_or_path, Instrument):
        return id_or_path
    text = str(id_or_path)
    p = Path(text)
    if p.suffix.lower() in _SUFFIXES or p.exists():
        return _load_file(p)
    shipped = _shipped_files()
    if text in shipped:
        return _load_shipped(text)
    # allow case-insensitive and hyphen/underscore-insensitive ids
    key = text.lower().replace("-", "_")
    for stem in shipped:
        if stem.lower().replace("-", "_") == key:
            return _load_shipped(stem)
    raise InstrumentError(
        f"Unknown instrument {text!r}. Shipped instruments: {', '.join(sorted(shipped))}. "
        "To use your own definition, give the path to its YAML file.", source=text)


def shipped_ids() -> list[str]:
    """The stems of the shipped instrument files, sorted (no file is read)."""
    return sorted(_shipped_files())


def iter_shipped() -> Iterable[Instrument]:
    """Every shipped instrument, loaded and validated, sorted by id."""
    for stem in sorted(_shipped_files()):
        yield _load_shipped(stem)


def list_instruments() -> pd.DataFrame:
    """A table of the shipped instruments.

    Returns
    -------
    DataFrame
        One row per instrument: ``id``, ``name``, ``version``, ``n_items``,
        ``scores`` (output columns), ``flows`` and ``item_text`` (whether item
        wording ships).

    Examples
    --------
    >>> "fcs" in set(list_instruments()["id"])
    True
    """
    rows = []
    for inst in iter_shipped():
        rows.append({
            "id": inst.id,
            "name": inst.name,
            "version": inst.version,
            "n_items": len(inst.items),
            "scores": ", ".join(inst.score_ids),
            "flows": ", ".join(sorted(inst.flows())),
            "item_text": bool(inst.licence.get("item_text_included", False)),
        })
    return pd.DataFrame(rows, columns=["id", "name", "version", "n_items", "scores", "flows", "item_text"])
