"""Every analysis command over odd variants of the example file: find crashes and silences.

Writes about 35 variants of ``examples/responses.csv`` (blank, constant and collinear items,
blank rows, one group, a group of one, a third or text time point, duplicate and blank ids,
Latin-1 bytes, a BOM with semicolons, CRLF, empty files...) and runs ``reliability``,
``factors efa|cfa|invariance``, ``compare``, ``change``, ``retest``, ``trial``, ``flows``,
``screen``, ``score`` and ``report`` on each through click's runner. Prints one line per run and marks
``TRACEBACK`` (an exception escaped), ``BUG-MSG`` ("probably a bug"), ``NUMPY-NOTICE`` (a raw
numpy warning reached the user) and ``EXIT0-NAN`` (exit 0 with "nan" printed). The exit code
is the number of marked runs. Takes several minutes; run from the repository root::

    python tests/corpus/analysis_sweep.py [command ...]
"""
from __future__ import annotations

import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
NUMPY_NOTICES = ("All-NaN slice", "Mean of empty slice", "Degrees of freedom <= 0",
                 "invalid value encountered", "divide by zero encountered")


def variants(folder: Path) -> dict[str, Path]:
    """The odd files, by name."""
    base = pd.read_csv(ROOT / "examples" / "responses.csv", dtype=str, keep_default_na=False)
    items = [c for c in base.columns if c.startswith("fcs_")]
    out: dict[str, Path] = {}

    def put(name: str, frame: pd.DataFrame | None = None, raw: bytes | None = None) -> None:
        path = folder / f"{name}.csv"
        if raw is not None:
            path.write_bytes(raw)
        else:
            assert frame is not None
            frame.to_csv(path, index=False)
        out[name] = path

    def edit(name: str, change) -> None:  # noqa: ANN001 - a small local callback
        frame = base.copy()
        put(name, change(frame))

    def setcol(col, value):  # noqa: ANN001, ANN202
        return lambda f: f.assign(**{col: value})

    put("clean", base)
    put("header_only", base.iloc[:0])
    put("one_row", base.iloc[:1])
    put("four_rows", base.iloc[:4])
    edit("blank_item_col", setcol(items[0], ""))
    edit("const_item", setcol(items[0], "3"))
    edit("all_const", lambda f: f.assign(**{c: "3" for c in items}))
    edit("all_blank_items", lambda f: f.assign(**{c: "" for c in items}))
    edit("all_const_ceas", lambda f: f.assign(**{c: "5" for c in f.columns if c.startswith("ceas")}))
    def blank_rows(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[[3, 10, 50], items] = ""
        return f

    edit("blank_rows", blank_rows)
    edit("text_cell", lambda f: f.assign(**{items[3]: f[items[3]].where(f.index != 5, "abc")}))
    edit("out_of_range", lambda f: f.assign(**{items[2]: f[items[2]].where(f.index != 7, "9")}))
    edit("one_group", setcol("group", "cft"))
    edit("tiny_group", lambda f: f.assign(group=f["group"].where(f.index != 0, "third")))
    edit("blank_group", setcol("group", ""))
    edit("one_time", setcol("time", "1"))
    edit("dup_pid_time", lambda f: f.assign(time=f["time"].where(f.index != 1, "1")))
    edit("third_time", lambda f: f.assign(time=f["time"].where(f.index != 1, "3")))
    edit("time_text", lambda f: f.assign(time=f["time"].map({"1": "pre", "2": "post"})))
    edit("only_pre", lambda f: f[f["time"] == "1"])
    edit("blank_ids", setcol("pid", ""))
    edit("no_group", lambda f: f.drop(columns=["group"]))
    edit("missing_subscale", lambda f: f.drop(columns=items[:10]))
    edit("collinear", lambda f: f.assign(**{c: f[c].replace("", "3") for c in items}).assign(
        **{items[1]: f[items[0]].replace("", "3")}))
    edit("unbalanced", lambda f: f.assign(group=np.where(np.arange(len(f)) < 290, "cft", "waitlist")))
    edit("group_switch", lambda f: f.assign(group=np.where(f["time"] == "1", "waitlist", "cft")))
    put("bom_semicolon", raw=b"\xef\xbb\xbf" + base.to_csv(index=False, sep=";").encode())
    put("crlf", raw=base.to_csv(index=False).replace("\n", "\r\n").encode())
    put("latin1", raw=base.assign(group=base["group"].str.replace("cft", "caf\u00e9"))
        .to_csv(index=False).encode("latin-1"))
    put("empty", raw=b"")
    put("whitespace", raw=b"\n\n  \n")
    return out


FCS = ["-i", "fcs"]
COMMANDS = {
    "reliability": ["reliability", "{f}", *FCS, "--group", "group"],
    "efa": ["factors", "efa", "{f}", *FCS, "--n-factors", "3"],
    "cfa": ["factors", "cfa", "{f}", *FCS],
    "invariance": ["factors", "invariance", "{f}", *FCS, "--group", "group"],
    "compare": ["compare", "{f}", *FCS, "--group", "group"],
    "change": ["change", "{f}", *FCS, "--id", "pid", "--time", "time", "--occasions", "1", "2"],
    "retest": ["retest", "{f}", *FCS, "--id", "pid", "--time", "time", "--occasions", "1", "2"],
    "trial": ["trial", "{f}", *FCS, "--arm", "group", "--time", "time", "--occasions", "1", "2",
              "--id", "pid"],
    "flows": ["flows", "{f}", "-i", "ceas", "--group", "group", "--time", "time", "--id", "pid"],
    "screen": ["screen", "{f}", *FCS],
    "score": ["score", "{f}", "--id", "pid", "--id", "time"],
    "report": ["report", "{f}", *FCS, "--group", "group", "--time", "time", "--id", "pid",
               "--n-boot", "0", "-o", "{o}"],
}


def mark(result) -> str:  # noqa: ANN001 - click's Result
    out = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return f"TRACEBACK {type(result.exception).__name__}: {str(result.exception)[:150]}"
    if "probably a bug" in out.lower() or "Traceback" in out:
        return "BUG-MSG"
    if any(f"Warning: {n}" in out for n in NUMPY_NOTICES):
        return "NUMPY-NOTICE"
    if result.exit_code == 0 and " nan " in f" {out} ":
        return "EXIT0-NAN"
    return ""


def main(only: list[str]) -> int:
    from click.testing import CliRunner

    from compassion_scales.cli import main as cscore

    marked = 0
    with tempfile.TemporaryDirectory() as d:
        files = variants(Path(d))
        for (name, argv), (variant, path) in itertools.product(COMMANDS.items(), files.items()):
            if only and name not in only:
                continue
            out = Path(d) / f"{name}-{variant}.html"
            result = CliRunner().invoke(cscore, [a.replace("{f}", str(path)).replace("{o}", str(out))
                                                 for a in argv])
            tag = mark(result)
            marked += bool(tag)
            last = result.output.strip().splitlines()[-1][:140] if result.output.strip() else ""
            print(f"{name:12s} {variant:16s} exit={result.exit_code} {tag} :: {last}")
    print(f"{marked} marked run(s)")
    return marked


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
