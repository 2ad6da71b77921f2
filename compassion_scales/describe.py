"""Plain-text descriptions of instruments and validation reports (used by the CLI and docs)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from compassion_scales._format import render_table
from compassion_scales.errors import InstrumentError
from compassion_scales.instrument import Instrument, Score, load_instrument

__all__ = ["describe_instrument", "validate_files"]


def describe_instrument(inst: Instrument, table_style: str = "simple") -> str:
    """Everything a user needs to know about an instrument, as text."""
    raw = inst.raw
    lines = [f"{inst.name} ({inst.id}, version {inst.version})"]
    if raw.get("base_instrument"):
        lines.append(f"Variant of: {raw['base_instrument']}. {raw.get('variant_note', '')}".rstrip())
    if raw.get("description"):
        lines.append(" ".join(str(raw["description"]).split()))
    lines.append("")
    lines.append("Citation: " + " ".join(inst.citation.split()))
    if raw.get("doi"):
        lines.append(f"DOI: https://doi.org/{raw['doi']}")
    lic = inst.licence
    lines.append("Licence: " + " ".join(str(lic.get("summary", "")).split()))
    lines.append("Item text shipped: " + ("yes" if lic.get("item_text_included") else "no (ids and numbers only)"))
    lines.append("")
    lines.append("Response sets:")
    for r in inst.response_sets.values():
        miss = f"; missing codes: {', '.join(map(str, r.missing_codes))}" if r.missing_codes else ""
        lines.append(f"  {r.id}: {r.describe()}{miss}")
        if r.note:
            lines.append(f"    note: {' '.join(r.note.split())}")
    lines.append("")
    lines.append("Scores:")
    lines.append(render_table(inst.scores_table().drop(columns=["label"]), fmt=table_style, decimals=2))
    fillers = [i.id for i in inst.items if not i.scored]
    rev = [i.id for i in inst.items if i.reverse]
    lines.append("")
    lines.append("Reverse-keyed items: " + (", ".join(rev) if rev else "none"))
    lines.append("Filler items (never scored): " + (", ".join(fillers) if fillers else "none"))
    for s in inst.scores:
        for bs in s.interpretation:
            bands = "; ".join(f"{b['label']} {b['min']:g}-{b['max']:g}" for b in bs["bands"])
            lines.append(f"Bands for {s.id} ({bs['name']}, {bs['status']}): {bands}. "
                         f"Source: {bs.get('source', 'not given')}")
        for c in s.cutoffs:
            op = ">=" if c["direction"] == "at_or_above" else "<="
            lines.append(f"Cut-off for {s.id}: {op} {c['value']:g} = {c['label']} ({c['status']}). "
                         f"Source: {c.get('source', 'not given')}")
        for nrm in s.norms:
            lines.append(f"Norms for {s.id}: {_norm_label(nrm)}: mean {nrm['mean']:g}, SD {nrm['sd']:g}"
                         + (f", n = {nrm['n']}" if nrm.get("n") else "") + f". Source: {nrm['source']}")
        for rel in s.reliability:
            lines.append(f"Reliability of {s.id}: {rel['coefficient']} = {rel['value']:g}"
                         + (f" ({rel['sample']})" if rel.get("sample") else "") + f". Source: {rel['source']}")
    lines.append("")
    lines.append("Items:")
    lines.append(render_table(inst.items_table(), fmt=table_style))
    if inst.verification:
        lines.append("")
        lines.append("Verification of the key against sources:")
        for v in inst.verification:
            src = f" [{v['source']}]" if v.get("source") else ""
            note = f" {v['note']}" if v.get("note") else ""
            lines.append(f"  {v['status'].upper():10} {v['topic']}{src}{note}")
    return "\n".join(lines)


def validate_files(files: Iterable[str]) -> list[dict[str, Any]]:
    """Validate instrument files; one report entry per file (problems collected, not raised)."""
    from compassion_scales.scoring import check_examples

    report = []
    for f in files:
        entry: dict[str, Any] = {"file": f, "valid": False, "problems": []}
        try:
            inst = load_instrument(f) if f.lower().endswith((".yaml", ".yml", ".json")) else load_instrument(f)
        except InstrumentError as exc:
            entry["problems"] = exc.problems or [str(exc)]
            report.append(entry)
            continue
        problems = check_examples(inst)
        entry.update({"id": inst.id, "n_items": len(inst.items), "n_scores": len(inst.scores),
                      "n_examples": len(inst.examples), "problems": problems, "valid": not problems})
        report.append(entry)
    return report


def instrument_markdown(inst: Instrument) -> str:
    """A Markdown page for one instrument, generated from its file (docs/instruments/ID.md)."""
    raw = inst.raw
    out = [f"# {inst.name} (`{inst.id}`)", "",
           "<!-- Generated from instruments/" + f"{inst.id}.yaml by docs/generate.py; do not edit. -->", ""]
    if raw.get("description"):
        out += [" ".join(str(raw["description"]).split()), ""]
    if raw.get("base_instrument"):
        out += [f"Variant of `{raw['base_instrument']}`. " + " ".join(str(raw.get("variant_note", "")).split()), ""]
    out += ["## Source", "", " ".join(inst.citation.split())]
    if raw.get("doi"):
        out[-1] += f" <https://doi.org/{raw['doi']}>"
    out += ["", f"- Definition version: {inst.version} (format {raw['format_version']})",
            f"- Language: {raw.get('language', 'en')}",
            "- Licence: " + " ".join(str(inst.licence.get("summary", "")).split()),
            "- Item text shipped: " + ("yes" if inst.licence.get("item_text_included") else "no (ids and numbers only)"),
            ""]
    out += ["## Response sets", ""]
    for r in inst.response_sets.values():
        miss = f"; missing codes {', '.join(map(str, r.missing_codes))}" if r.missing_codes else ""
        out.append(f"- `{r.id}`: {r.describe()}{miss}")
        if r.note:
            out.append(f"  - {' '.join(r.note.split())}")
    out += ["", "## Scores", ""]
    table = inst.scores_table()
    out.append(render_table(table, fmt="github", decimals=2))
    rev = [i.id for i in inst.items if i.reverse]
    fill = [i.id for i in inst.items if not i.scored]
    out += ["", "- Reverse-keyed items (scored as min + max - answer): " + (", ".join(rev) if rev else "none"),
            "- Filler items (never scored): " + (", ".join(fill) if fill else "none"), ""]
    extras = [line for s in inst.scores for line in _score_extras(s)]
    if extras:
        out += ["## Rules, interpretation, norms and reliability", ""] + extras + [""]
    out += ["## Items", "", render_table(inst.items_table(), fmt="github"), ""]
    if inst.verification:
        out += ["## Verification", "", "| status | topic | source | note |", "|---|---|---|---|"]
        for v in inst.verification:
            cells = [v["status"], v["topic"], v.get("source", ""), v.get("note", "")]
            out.append("| " + " | ".join(" ".join(str(c).replace("|", "/").split()) for c in cells) + " |")
        out.append("")
    for note in raw.get("notes", []):
        out.append("> " + " ".join(str(note).split()))
    return "\n".join(out).rstrip() + "\n"


def _score_extras(s: Score) -> list[str]:
    """Markdown lines for one score: description, rule source, bands, cut-offs, norms, reliability."""
    extras = []
    if s.description:
        extras.append(f"- `{s.id}`: {' '.join(s.description.split())}")
    if s.missing.source:
        extras.append(f"- `{s.id}` missing-data rule source: {s.missing.source}"
                      + (f" ({s.missing.status})" if s.missing.status else ""))
    for bs in s.interpretation:
        bands = "; ".join(f"{b['label']} {b['min']:g}-{b['max']:g}" for b in bs["bands"])
        extras.append(f"- `{s.id}` bands ({bs['name']}, **{bs['status']}**): {bands}. Source: {bs.get('source', 'not given')}")
    for c in s.cutoffs:
        op = ">=" if c["direction"] == "at_or_above" else "<="
        extras.append(f"- `{s.id}` cut-off {op} {c['value']:g}: {c['label']} (**{c['status']}**). Source: {c.get('source', 'not given')}")
    for nrm in s.norms:
        extras.append(f"- `{s.id}` norms, {_norm_label(nrm)}: mean {nrm['mean']:g}, SD {nrm['sd']:g}"
                      + (f", n = {nrm['n']}" if nrm.get("n") else "") + f". Source: {nrm['source']}")
    for rel in s.reliability:
        extras.append(f"- `{s.id}` {rel['coefficient']} = {rel['value']:g}"
                      + (f" ({rel['sample']})" if rel.get("sample") else "") + f". Source: {rel['source']}")
    return extras


def _norm_label(nrm: dict) -> str:
    """Name, sample, population and metric of a norm sample (issue 15)."""
    head = f"`{nrm['name']}` " if nrm.get("name") else ""
    tail = [str(nrm[k]) for k in ("population", "country") if nrm.get(k)]
    if nrm.get("metric", "raw") != "raw":
        tail.append(f"{nrm['metric']} metric, not applied to raw scores")
    return head + str(nrm["sample"]) + (f" ({'; '.join(tail)})" if tail else "")
