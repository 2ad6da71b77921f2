"""Corpus cases for column matching and for the analysis commands (issue #10).

Column maps and patterns (``--map``, ``--pattern``), identifiers, partial instruments, long
data given to commands that need one row per person, role columns (group, arm, time) that
are items or absent, and occasions that do not exist or coincide. Every case id starts
with ``col_``.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import Case, csv_bytes, toy_expected  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CASES: list[Case] = []


def add(case: Case) -> None:
    CASES.append(case)


# --------------------------------------------------------------------------- toy: columns

TOY_ROWS = [[1, 2, 3, 4, 5], [5, 5, 5, 5, 5], [2, 1, 2, 3, 3]]
SCORE = ["score", "--instrument-file", "{toy}", "-o", "{d}/out.csv"]


def toy_table(names: list[str], rows=TOY_ROWS, ids=("P1", "P2", "P3")) -> bytes:
    return csv_bytes([["pid", *names]] + [[i, *r] for i, r in zip(ids, rows, strict=True)])


def map_file(pairs: list[tuple[str, str]]) -> bytes:
    return csv_bytes([["column", "item"], *[list(p) for p in pairs]])


Q = ["Q1", "Q2", "Q3", "Q5", "Q6"]
ITEMS = ["toy_1", "toy_2", "toy_3", "toy_5", "toy_6"]
EXPECTED = toy_expected(TOY_ROWS)

add(Case("col_map_ok", {"d.csv": toy_table(Q), "map.csv": map_file(list(zip(Q, ITEMS, strict=True)))},
         [*SCORE, "{d}/d.csv", "--map", "{d}/map.csv", "--id", "pid"], scores=EXPECTED,
         kept={"pid": ["P1", "P2", "P3"]}))
add(Case("col_map_yaml_ok", {"d.csv": toy_table(Q),
                             "map.yaml": "\n".join(f"{q}: {i}" for q, i in zip(Q, ITEMS, strict=True)).encode()},
         [*SCORE, "{d}/d.csv", "--map", "{d}/map.yaml", "--id", "pid"], scores=EXPECTED))
add(Case("col_map_two_columns_one_item",
         {"d.csv": toy_table(Q), "map.csv": map_file([("Q1", "toy_1"), ("Q2", "toy_1")])},
         [*SCORE, "{d}/d.csv", "--map", "{d}/map.csv"], exit_code=1,
         contains=["'Q1'", "'Q2'", "toy_1"]))
add(Case("col_map_unknown_item",
         {"d.csv": toy_table(Q), "map.csv": map_file([("Q1", "toy_99")])},
         [*SCORE, "{d}/d.csv", "--map", "{d}/map.csv"], exit_code=1, contains=["toy_99", "'Q1'"]))
add(Case("col_map_unknown_column",
         {"d.csv": toy_table(ITEMS), "map.csv": map_file([("Zed", "toy_1")])},
         [*SCORE, "{d}/d.csv", "--map", "{d}/map.csv"], exit_code=1, contains=["Zed", "row 1"]))
add(Case("col_map_file_missing", {"d.csv": toy_table(ITEMS)},
         [*SCORE, "{d}/d.csv", "--map", "{d}/nomap.csv"], exit_code=1, contains=["nomap.csv"]))
add(Case("col_map_one_column", {"d.csv": toy_table(ITEMS), "map.csv": b"column\nQ1\n"},
         [*SCORE, "{d}/d.csv", "--map", "{d}/map.csv"], exit_code=1, contains=["map.csv"]))
add(Case("col_map_yaml_not_mapping", {"d.csv": toy_table(ITEMS), "map.yaml": b"- Q1\n- Q2\n"},
         [*SCORE, "{d}/d.csv", "--map", "{d}/map.yaml"], exit_code=1, contains=["map.yaml"]))
add(Case("col_map_yaml_alias_list", {"d.csv": toy_table(ITEMS),
                                     "map.yaml": b"a: &x [1, 2]\nb: *x\n"},
         [*SCORE, "{d}/d.csv", "--map", "{d}/map.yaml"], exit_code=1, contains=["map.yaml"]))

# patterns
PADDED = [f"S{n:02d}" for n in (1, 2, 3, 5, 6)]
add(Case("col_pattern_zero_padded", {"d.csv": toy_table(PADDED)},
         [*SCORE, "{d}/d.csv", "--pattern", "S{n:02d}", "--id", "pid"], scores=EXPECTED))
OFFSET = [f"Q{n + 10}" for n in (1, 2, 3, 5, 6)]
add(Case("col_pattern_offset", {"d.csv": toy_table(OFFSET)},
         [*SCORE, "{d}/d.csv", "--pattern", "Q{n+10}", "--id", "pid"], scores=EXPECTED))
add(Case("col_pattern_plain", {"d.csv": toy_table(Q)},
         [*SCORE, "{d}/d.csv", "--pattern", "Q{n}", "--id", "pid"], scores=EXPECTED))
add(Case("col_pattern_per_score", {"d.csv": toy_table(["A1", "A2", "A3", "toy_5", "toy_6"])},
         [*SCORE, "{d}/d.csv", "--pattern", "toy_a=A{n}", "--id", "pid"], scores=EXPECTED))
add(Case("col_pattern_unknown_section", {"d.csv": toy_table(Q)},
         [*SCORE, "{d}/d.csv", "--pattern", "nosuch=Q{n}"], exit_code=1,
         contains=["nosuch", "no section or score"]))
add(Case("col_pattern_without_n", {"d.csv": toy_table(Q)},
         [*SCORE, "{d}/d.csv", "--pattern", "Q1"], exit_code=1, contains=["{n}"]))
add(Case("col_pattern_bad_braces", {"d.csv": toy_table(Q)},
         [*SCORE, "{d}/d.csv", "--pattern", "Q{n}_{x}"], exit_code=1, contains=["Q{n}_{x}"]))

# identifiers and columns
add(Case("col_id_missing_column", {"d.csv": toy_table(ITEMS)},
         [*SCORE, "{d}/d.csv", "--id", "person"], exit_code=1, contains=["person", "row 1"]))
add(Case("col_id_duplicate", {"d.csv": toy_table(ITEMS, ids=("P1", "P2", "P1"))},
         [*SCORE, "{d}/d.csv", "--id", "pid"], exit_code=1, contains=["row 4", "P1", "row 2"]))
add(Case("col_id_empty", {"d.csv": toy_table(ITEMS, ids=("P1", "", "P3"))},
         [*SCORE, "{d}/d.csv", "--id", "pid"], exit_code=1, contains=["row 3", "pid", "empty"]))
add(Case("col_id_leading_zeros_kept", {"d.csv": toy_table(ITEMS, ids=("007", "0010", "1e5"))},
         [*SCORE, "{d}/d.csv", "--id", "pid"], scores=EXPECTED,
         kept={"pid": ["007", "0010", "1e5"]}))
add(Case("col_looks_like_item", {"d.csv": toy_table([*ITEMS[:3], "toy_9", *ITEMS[3:]],
                                                     rows=[[1, 2, 3, 1, 4, 5], [5, 5, 5, 1, 5, 5],
                                                           [2, 1, 2, 1, 3, 3]])},
         [*SCORE, "{d}/d.csv"], exit_code=1, contains=["toy_9", "row 1"]))
add(Case("col_partial_score_missing_item", {"d.csv": toy_table(["toy_1", "toy_2", "toy_5", "toy_6"],
                                                                rows=[[1, 2, 4, 5], [5, 5, 5, 5],
                                                                      [2, 1, 3, 3]])},
         [*SCORE, "{d}/d.csv"], exit_code=1, contains=["toy_3", "toy_a"]))
add(Case("col_scale_absent_is_skipped", {"d.csv": toy_table(["toy_5", "toy_6"],
                                                             rows=[[4, 5], [5, 5], [3, 3]])},
         [*SCORE, "{d}/d.csv", "--id", "pid"], scores={"toy_b": [4.5, 5.0, 3.0]},
         contains=["Not scored", "toy_a"]))
add(Case("col_no_items_at_all", {"d.csv": b"pid,x,y\nP1,1,2\nP2,3,4\n"},
         [*SCORE, "{d}/d.csv"], exit_code=1, contains=["none of the items"]))
add(Case("col_case_insensitive_header", {"d.csv": toy_table([c.upper() for c in ITEMS])},
         [*SCORE, "{d}/d.csv", "--id", "pid"], scores=EXPECTED))
add(Case("col_output_column_clash", {"d.csv": csv_bytes([["pid", *ITEMS, "toy_a"]]
                                                         + [["P1", 1, 2, 3, 4, 5, 99]])},
         [*SCORE, "{d}/d.csv"], exit_code=1, contains=["toy_a"]))
add(Case("col_prorate_out_of_range", {"d.csv": toy_table(ITEMS)},
         [*SCORE, "{d}/d.csv", "--prorate", "1.5"], exit_code=2, contains=["--prorate"]))
add(Case("col_unknown_instrument", {"d.csv": toy_table(ITEMS)},
         ["score", "{d}/d.csv", "-i", "nosuch"], exit_code=1, contains=["nosuch"]))
add(Case("col_output_same_as_input", {"d.csv": toy_table(ITEMS)},
         ["score", "--instrument-file", "{toy}", "{d}/d.csv", "-o", "{d}/d.csv"], exit_code=1,
         contains=["refusing to overwrite"]))

# --------------------------------------------------------------------------- FCS: analyses


def _example_subset(n_people: int = 60) -> tuple[list[str], list[list[str]]]:
    text = (ROOT / "examples" / "responses.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    keep = {f"P{k:03d}" for k in range(1, n_people + 1)}
    return header, [r for r in body if r[0] in keep]


HEADER, BODY = _example_subset()


def fcs_bytes(columns: list[str] | None = None, *, time: str | None = None,
              edit=None) -> bytes:
    cols = list(columns or HEADER)
    idx = [HEADER.index(c) for c in cols]
    rows = [r for r in BODY if time is None or r[HEADER.index("time")] == time]
    out = [[r[i] for i in idx] for r in rows]
    if edit is not None:
        edit(cols, out)
    return csv_bytes([cols] + out)


SELF = ["pid", "group", "time"] + [f"fcs_self_{i}" for i in range(1, 16)]
FROM = [f"fcs_from_{i}" for i in range(1, 14)]

ANALYSES = {
    "reliability": ["reliability", "{d}/d.csv", "-i", "fcs", "--boot", "0"],
    "efa": ["factors", "efa", "{d}/d.csv", "-i", "fcs", "-n", "1"],
    "cfa": ["factors", "cfa", "{d}/d.csv", "-i", "fcs"],
    "compare": ["compare", "{d}/d.csv", "-i", "fcs", "--group", "group"],
    "change": ["change", "{d}/d.csv", "-i", "fcs", "--id", "pid", "--time", "time", "--from", "1",
               "--to", "2"],
    "trial": ["trial", "{d}/d.csv", "-i", "fcs", "--arm", "group", "--time", "time",
              "--baseline-time", "1", "--follow-up-time", "2", "--id", "pid"],
    "retest": ["retest", "{d}/d.csv", "-i", "fcs", "--id", "pid", "--time", "time"],
}

for name, argv in ANALYSES.items():
    add(Case(f"col_{name}_partial_instrument", {"d.csv": fcs_bytes(SELF)}, argv,
             contains=["fcs_self", "skipped"]))

    def drop_item(cols: list[str], rows: list[list[str]]) -> None:
        j = cols.index("fcs_self_7")
        del cols[j]
        for r in rows:
            del r[j]

    add(Case(f"col_{name}_score_with_missing_item", {"d.csv": fcs_bytes(SELF, edit=drop_item)},
             argv, exit_code=1, contains=["fcs_self_7"]))

    def bad_cell(cols: list[str], rows: list[list[str]]) -> None:
        rows[3][cols.index("fcs_self_2")] = "9"

    add(Case(f"col_{name}_invalid_answer", {"d.csv": fcs_bytes(SELF, edit=bad_cell)}, argv,
             exit_code=1, contains=["row 5", "fcs_self_2", "9"]))
    add(Case(f"col_{name}_invalid_answer_missing", {"d.csv": fcs_bytes(SELF, edit=bad_cell)},
             [*argv, "--on-invalid", "missing"], contains=["fcs_self"]))
    add(Case(f"col_{name}_no_items", {"d.csv": b"pid,group,time,x\nP1,a,1,1\nP2,b,2,2\n"}, argv,
             exit_code=1, contains=["fcs"]))

PATTERNED = ["pid", "group", "time"] + [f"S{i}" for i in range(1, 16)]


def rename_self(cols: list[str], rows: list[list[str]]) -> None:
    for k, c in enumerate(cols):
        if c.startswith("fcs_self_"):
            cols[k] = "S" + c.rsplit("_", 1)[1]


for name, argv in ANALYSES.items():
    add(Case(f"col_{name}_pattern", {"d.csv": fcs_bytes(SELF, edit=rename_self)},
             [*argv, "--pattern", "for_self=S{n}"], contains=["fcs_self"]))

# roles: group / arm / time columns that are items or absent
add(Case("col_compare_group_is_item", {"d.csv": fcs_bytes(SELF)},
         ["compare", "{d}/d.csv", "-i", "fcs", "--group", "fcs_self_1"], exit_code=1,
         contains=["'fcs_self_1' is an item"]))
add(Case("col_compare_group_absent", {"d.csv": fcs_bytes(SELF)},
         ["compare", "{d}/d.csv", "-i", "fcs", "--group", "arm"], exit_code=1,
         contains=["'arm'", "not in the data"]))
add(Case("col_compare_one_group", {"d.csv": fcs_bytes(SELF)},
         ["compare", "{d}/d.csv", "-i", "fcs", "--group", "time", "--score", "fcs_self"],
         contains=["fcs_self"]))
add(Case("col_reliability_group_is_item", {"d.csv": fcs_bytes(SELF)},
         ["reliability", "{d}/d.csv", "-i", "fcs", "--boot", "0", "--group", "fcs_self_3"],
         exit_code=1, contains=["'fcs_self_3' is an item"]))
add(Case("col_invariance_group_is_item", {"d.csv": fcs_bytes(SELF)},
         ["factors", "invariance", "{d}/d.csv", "-i", "fcs", "--group", "fcs_self_3"],
         exit_code=1, contains=["'fcs_self_3' is an item"]))
add(Case("col_trial_arm_is_item", {"d.csv": fcs_bytes(SELF)},
         ["trial", "{d}/d.csv", "-i", "fcs", "--arm", "fcs_self_1", "--time", "time",
          "--baseline-time", "1", "--follow-up-time", "2", "--id", "pid"], exit_code=1,
         contains=["'fcs_self_1' is an item"]))
add(Case("col_trial_same_occasion", {"d.csv": fcs_bytes(SELF)},
         ["trial", "{d}/d.csv", "-i", "fcs", "--arm", "group", "--time", "time",
          "--baseline-time", "2", "--follow-up-time", "2.0", "--id", "pid"], exit_code=1,
         contains=["the same time"]))
add(Case("col_trial_occasion_absent", {"d.csv": fcs_bytes(SELF)},
         ["trial", "{d}/d.csv", "-i", "fcs", "--arm", "group", "--time", "time",
          "--baseline-time", "1", "--follow-up-time", "9", "--id", "pid"], exit_code=1,
         contains=["9"]))
add(Case("col_change_occasion_absent", {"d.csv": fcs_bytes(SELF)},
         ["change", "{d}/d.csv", "-i", "fcs", "--id", "pid", "--time", "time", "--from", "1",
          "--to", "3"], exit_code=1, contains=["3"]))
add(Case("col_change_time_absent", {"d.csv": fcs_bytes(SELF)},
         ["change", "{d}/d.csv", "-i", "fcs", "--id", "pid", "--time", "wave", "--from", "1",
          "--to", "2"], exit_code=1, contains=["wave"]))
add(Case("col_change_id_absent", {"d.csv": fcs_bytes(SELF)},
         ["change", "{d}/d.csv", "-i", "fcs", "--id", "client", "--time", "time", "--from", "1",
          "--to", "2"], exit_code=1, contains=["client"]))
add(Case("col_change_two_files_text_ids", {
    "pre.csv": fcs_bytes(["pid"] + SELF[3:], time="1"),
    "post.csv": fcs_bytes(["pid"] + SELF[3:], time="2")},
    ["change", "{d}/pre.csv", "{d}/post.csv", "-i", "fcs", "--id", "pid", "--from-sample"],
    contains=["fcs_self"]))
add(Case("col_flows_long_without_time", {"d.csv": fcs_bytes()},
         ["flows", "{d}/d.csv", "-i", "ceas", "--group", "group", "--id", "pid"], exit_code=1,
         contains=["--time", "more than one row"]))
add(Case("col_flows_partial_one_flow", {"d.csv": fcs_bytes(SELF, time="1")},
         ["flows", "{d}/d.csv", "-i", "fcs", "--group", "group"], exit_code=1,
         contains=["two flows"]))
add(Case("col_retest_one_occasion", {"d.csv": fcs_bytes(SELF, time="1")},
         ["retest", "{d}/d.csv", "-i", "fcs", "--id", "pid", "--time", "time"], exit_code=1,
         contains=["time"]))


def flat_item(cols: list[str], rows: list[list[str]]) -> None:
    for r in rows:
        r[cols.index("fcs_self_4")] = "2"


add(Case("col_reliability_zero_variance", {"d.csv": fcs_bytes(SELF, edit=flat_item)},
         ["reliability", "{d}/d.csv", "-i", "fcs", "--boot", "0"], exit_code=0,
         contains=["fcs_self_4", "no variance", "as psych::alpha does"],
         note="left out with a warning, as psych::alpha does; alpha of the other items"))
add(Case("col_efa_zero_variance", {"d.csv": fcs_bytes(SELF, edit=flat_item)},
         ["factors", "efa", "{d}/d.csv", "-i", "fcs", "-n", "1"], exit_code=1,
         contains=["fcs_self_4"]))
add(Case("col_yaml_alias_instrument", {"d.csv": toy_table(ITEMS),
                                       "inst.yaml": b"a: &a [1, 2]\nb: [*a, *a]\n"},
         ["score", "{d}/d.csv", "--instrument-file", "{d}/inst.yaml"], exit_code=1,
         contains=["anchors and aliases"]))
add(Case("col_yaml_key_twice_instrument", {"d.csv": toy_table(ITEMS),
                                           "inst.yaml": b"id: a\nname: b\nid: c\n"},
         ["score", "{d}/d.csv", "--instrument-file", "{d}/inst.yaml"], exit_code=1,
         contains=["line 3: the key 'id' appears twice"]))

# outputs that cannot be written fail before any work, for every command with -o
for name, argv in {**ANALYSES, "score": ["score", "{d}/d.csv", "-i", "fcs"]}.items():
    add(Case(f"col_{name}_output_folder_missing", {"d.csv": fcs_bytes(SELF)},
             [*argv, "-o", "{d}/no/such/folder/out.csv"], exit_code=1,
             contains=["does not exist"]))
    add(Case(f"col_{name}_output_unknown_type", {"d.csv": fcs_bytes(SELF)},
             [*argv, "-o", "{d}/out.xyz"], exit_code=1, contains=["unknown output type"]))
    add(Case(f"col_{name}_output_is_input", {"d.csv": fcs_bytes(SELF)},
             [*argv, "-o", "{d}/d.csv"], exit_code=1, contains=["refusing to overwrite"]))
add(Case("col_compare_group_is_identifier", {"d.csv": fcs_bytes(SELF, time="1")},
         ["compare", "{d}/d.csv", "-i", "fcs", "--group", "pid"], exit_code=1,
         contains=["identifier rather than a grouping column"]))

# text in columns taken as numbers (no instrument): never silently missing
TXT = b"pid,grp,a,b,c\n1,x,1,2,NULL\n2,x,2,3,4\n3,y,3,3,3\n4,y,4,5,5\n5,x,2,2,1\n6,y,5,4,4\n"
for name, argv in {
    "reliability": ["reliability", "{d}/d.csv", "--items", "a,b,c"],
    "efa": ["factors", "efa", "{d}/d.csv", "--items", "a,b,c", "-n", "1"],
    "cfa": ["factors", "cfa", "{d}/d.csv", "--model", "f =~ a + b + c"],
    "compare": ["compare", "{d}/d.csv", "--group", "grp", "--score", "c"],
    "change": ["change", "{d}/d.csv", "{d}/d.csv", "--id", "pid", "--score", "c", "--sd", "1",
               "--reliability", ".8", "--higher-is", "worse"],
    "retest": ["retest", "{d}/d.csv", "{d}/d.csv", "--id", "pid", "--columns", "c"],
}.items():
    add(Case(f"col_{name}_text_in_numeric_column", {"d.csv": TXT}, argv, exit_code=1,
             contains=["row 2, column c: 'NULL' is not a number"]))
add(Case("col_two_columns_differ_only_in_case",
         {"d.csv": b"pid,toy_1,TOY_1,toy_2,toy_3,toy_5,toy_6\nP1,1,1,2,3,4,5\n"},
         [*SCORE, "{d}/d.csv"], exit_code=1,
         contains=["row 1, columns toy_1 and TOY_1: more than one column could be item toy_1"]))


def dup_second_occasion(cols: list[str], rows: list[list[str]]) -> None:
    """The 4th data row (a time-2 row) takes the id of the 2nd (also time 2)."""
    rows[3][0] = rows[1][0]


for name in ("change", "retest"):
    add(Case(f"col_{name}_repeated_id_named_by_row", {"d.csv": fcs_bytes(SELF, edit=dup_second_occasion)},
             ANALYSES[name], exit_code=1,
             contains=["row 5, column pid: identifier P001 already used in row 3"]))
add(Case("col_reliability_unknown_id_column", {"d.csv": fcs_bytes(SELF)},
         ["reliability", "{d}/d.csv", "-i", "fcs", "--boot", "0", "--id", "nope"], exit_code=1,
         contains=["'nope' is not in the data"]))
