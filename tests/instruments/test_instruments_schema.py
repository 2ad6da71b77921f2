"""Every shipped instrument: schema-valid, semantically valid, golden examples pass."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from importlib import resources

import jsonschema
import pytest
from testkit import load_yaml, nonempty

from compassion_scales.errors import InstrumentError
from compassion_scales.instrument import (
    _from_data,
    instrument_schema,
    iter_shipped,
    load_instrument,
)
from compassion_scales.scoring import check_examples

# a leading underscore marks a file that is not an instrument (the manifest _verified.json)
SHIPPED = nonempty(sorted(e.name for e in resources.files("compassion_scales.instruments").iterdir()
                 if e.name.endswith((".yaml", ".yml", ".json")) and not e.name.startswith("_")),
                   "shipped instrument files")


@cache
def schema_validator() -> jsonschema.protocols.Validator:
    """What ``jsonschema.validate(instance, schema)`` builds (and checks the schema against its
    metaschema) on every call, built once: the shipped files are each checked with it."""
    schema = instrument_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(instrument_schema())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_file_is_valid(name: str) -> None:
    inst = load_instrument(name.rsplit(".", 1)[0])
    raw = load_yaml(resources.files("compassion_scales.instruments").joinpath(name).read_text("utf-8"))
    error = jsonschema.exceptions.best_match(schema_validator().iter_errors(raw))
    assert error is None, error  # as jsonschema.validate(raw, instrument_schema()) raises it
    assert inst.id == name.rsplit(".", 1)[0], "file name must equal the instrument id"
    assert check_examples(inst) == []
    assert len(inst.examples) >= 3
    # every scored item counts somewhere; fillers nowhere
    used = {i for s in inst.scores for i in s.items}
    for it in inst.items:
        assert (it.id in used) == it.scored
    # item text only where the licence allows it
    if not inst.licence["item_text_included"]:
        assert all(i.text is None for i in inst.items)
    assert inst.raw.get("verification"), "record what was verified and where"


@pytest.mark.parametrize("name", SHIPPED)
def test_round_trip_through_json(name: str) -> None:
    inst = load_instrument(name.rsplit(".", 1)[0])
    again = _from_data(json.loads(json.dumps(inst.raw)), None, None)
    assert again.scores_table().equals(inst.scores_table())
    assert again.items_table().equals(inst.items_table())


def test_output_columns_unique_across_library() -> None:
    seen: dict[str, str] = {}
    for inst in nonempty(list(iter_shipped()), "shipped instruments"):
        for sid in inst.score_ids:
            assert sid not in seen, f"{sid} is produced by {seen.get(sid)} and {inst.id}"
            seen[sid] = inst.id
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", sid)


def _fcs_raw() -> dict:
    return copy.deepcopy(dict(load_instrument("fcs").raw))


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["scores"][0]["items"].append("nope_1"), "unknown item 'nope_1'"),
    (lambda d: d["items"].append({"id": "extra_1", "number": 99}), "belongs to no score"),
    (lambda d: d["scores"][1].update(id=d["scores"][0]["id"]), "is used twice"),
    (lambda d: d["scores"][0].update(id="a" * 40), "does not match"),
    (lambda d: d["scores"][0].update(missing={"min_answered": 5}), "must set prorate: true"),
    (lambda d: d["items"][0].update(scored=False), "is a filler"),
    (lambda d: d["response_sets"][0].update(min=5), "must be below max"),
    (lambda d: d["items"][0].update(text="wording"), "item_text_included is false"),
    (lambda d: d.update(colour="blue"), "unknown field(s) not allowed"),
    (lambda d: d["scores"][0].update(aggregation="median"), "is not one of"),
    (lambda d: d["items"][1].update(number=d["items"][0]["number"]),
     "number 1 is used by both 'fcs_oth_1' and 'fcs_oth_2' in section 'for_others'"),
])
def test_semantic_and_schema_errors(mutate, expected: str) -> None:
    data = _fcs_raw()
    mutate(data)
    with pytest.raises(InstrumentError) as info:
        _from_data(data, "mutated.yaml", None)
    assert any(expected in p for p in info.value.problems), info.value.problems


def test_golden_example_mismatch_is_reported() -> None:
    data = _fcs_raw()
    data["examples"][0]["expected"]["fcs_self"] = 1
    inst = _from_data(data, "mutated.yaml", None)
    problems = check_examples(inst)
    assert problems == ["example 1 (every answer 0 gives the minimum of each scale): fcs_self expected 1, got 0"]


def test_a_user_file_is_parsed_again_only_when_its_bytes_change(tmp_path) -> None:
    """load_instrument remembers a user's file by path and content hash, never stale."""
    from testkit import DATA

    from compassion_scales.instrument import load_instrument

    path = tmp_path / "toy.yaml"
    text = (DATA / "toy_scale.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = load_instrument(path)
    assert load_instrument(str(path)) is first  # same bytes, same path: the remembered object
    assert load_instrument(path).path == first.path == str(path)
    path.write_text(text.replace(first.name, first.name + " (edited)", 1), encoding="utf-8")
    edited = load_instrument(path)
    assert edited is not first and edited.name == first.name + " (edited)"
    path.write_text(text.replace("items:", "itemz:", 1), encoding="utf-8")
    with pytest.raises(InstrumentError):  # an invalid edit is reported, not served from memory
        load_instrument(path)
    copy_path = tmp_path / "copy.yaml"
    copy_path.write_text(text, encoding="utf-8")
    assert load_instrument(copy_path).path == str(copy_path)  # another path: its own object


def test_shipped_listing_follows_the_folder(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The listing of the shipped folder is kept, and redone when a file is added or removed."""
    import os

    from compassion_scales import instrument as inst_mod

    folder = tmp_path / "instruments"
    folder.mkdir()
    (folder / "aaa.yaml").write_text("id: aaa\n")
    monkeypatch.setattr(inst_mod, "_shipped_folder", lambda: folder)
    monkeypatch.setattr(inst_mod, "_SHIPPED_LISTING", [])
    first = inst_mod._shipped_files()
    assert sorted(first) == ["aaa"]
    assert inst_mod._shipped_files() is first  # kept while the folder is unchanged
    (folder / "bbb.yml").write_text("id: bbb\n")
    os.utime(folder, ns=(0, os.stat(folder).st_mtime_ns + 1_000_000))  # a coarse clock
    assert sorted(inst_mod._shipped_files()) == ["aaa", "bbb"]
    (folder / "aaa.yaml").unlink()
    os.utime(folder, ns=(0, os.stat(folder).st_mtime_ns + 1_000_000))
    assert inst_mod.shipped_ids() == ["bbb"]
