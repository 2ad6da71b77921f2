"""Speed work must not change a result: score odd survey files with two checkouts and compare.

Writes ``--files`` CSV/TSV files the way exports look when they go wrong (blank, padded, ``4.0``,
``x``, ``NA``, ``05``, ``+1``, out-of-range and non-ASCII cells; repeated, empty, long and
accented ids; ``;``/tab delimiters, Excel's ``sep=`` line, CRLF, a BOM, Latin-1, trailing
blank lines, a ragged row; 2 to 60,000 rows) and a Parquet copy of each (items as numbers,
fractions included). Each file is scored by this checkout and by ``--baseline DIR`` (an older
checkout put first on ``PYTHONPATH``, e.g. ``git worktree add --detach /tmp/old COMMIT``) with
``on_invalid="error"`` and ``"missing"``. Every frame of the result (scores, answered, status,
invalid, ledger, summary and its printed table) or the error with its failure cases must be
the same. Usage::

    python benchmarks/check_same_scores.py --baseline /tmp/old [--files 300] [--seed 1] [--kernel]

Exit code 1 and the first differences when some case differs.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

INSTRUMENTS = ["fcs", "ceas", "scs_sf", "proqol5"]
ODD = ["", " 3", "4.0", "x", "NA", "05", "-1", "10", "1e0", "3.5", " ", "2 ", "0", "-0", "+1",
       "nan", "\u0661"]

# run in a fresh interpreter (this checkout's or the baseline's package): one digest per case
SCORER = r"""
import hashlib, json, os, sys, warnings
warnings.simplefilter("ignore")
from compassion_scales._format import render_table
from compassion_scales.io import read_responses
from compassion_scales.scoring import score
folder = sys.argv[1]
if sys.argv[2:] == ["kernel"]:  # every block through the compiled kernel, in small tiles
    from compassion_scales.stats import score_kernel
    score_kernel.COMPILE_THRESHOLD = score_kernel.LOADED_THRESHOLD = 0
    score_kernel.TILE_ROWS, score_kernel.MIN_TILE_ROWS = 512, 64
meta = json.load(open(os.path.join(folder, "meta.json")))
out = {}
for name, m in sorted(meta.items()):
    for on_invalid in ("error", "missing"):
        try:
            df = read_responses(os.path.join(folder, name), encoding=m["encoding"])
            r = score(df, m["instrument"], id="pid", on_invalid=on_invalid)
            parts = [r.scores.to_csv(), r.answered.to_csv(), r.status.to_csv(), r.invalid.to_csv(),
                     r.ledger.to_csv(), r.summary.to_csv(), render_table(r.summary),
                     str(r.scores.dtypes.to_dict())]
            out[f"{name}:{on_invalid}"] = hashlib.sha256("\n#\n".join(parts).encode()).hexdigest()
        except Exception as exc:  # the error is part of the result
            cases = getattr(exc, "failure_cases", None)
            text = str(exc) + ("\n" + cases.to_csv() if cases is not None else "")
            out[f"{name}:{on_invalid}"] = f"{type(exc).__name__}: {text[:3000]}"
json.dump(out, sys.stdout)
"""


def _column(rng: np.random.Generator, lo: int, hi: int, n: int, p_odd: float, p_blank: float) -> np.ndarray:
    v = rng.integers(lo, hi + 1, n).astype(str).astype(object)
    v[rng.random(n) < p_blank] = ""
    odd = rng.random(n) < p_odd
    v[odd] = rng.choice(np.array(ODD, dtype=object), int(odd.sum()))
    if rng.random() < 0.1:  # a column written as d.0
        v = np.array([s + ".0" if s.isdigit() else s for s in v], dtype=object)
    return v


def _ids(rng: np.random.Generator, n: int) -> np.ndarray:
    kind = int(rng.integers(0, 6))
    make = [lambda i: f"p{i}", lambda i: str(i + 1), lambda i: f"R_{rng.integers(0, 10**15):015d}",
            lambda i: f"id-{rng.integers(0, max(2, n // 2)):05d}",  # repeats
            lambda i: "x" * 30 + f"{i:04d}",  # longer than the packed ids
            lambda i: f"\u00e9{i}" if i % 7 == 0 else f"P{i:03d}"][kind]
    ids = np.array([make(i) for i in range(n)], dtype=object)
    if n > 3 and rng.random() < 0.1:
        ids[2] = ""
    if n > 3 and rng.random() < 0.1:
        ids[3] = ids[1]
    return ids


def write_files(folder: str, count: int, seed: int) -> None:
    """``count`` odd CSV/TSV files and their Parquet copies, with ``meta.json``."""
    import pandas as pd

    from compassion_scales.instrument import load_instrument

    rng = np.random.default_rng(seed)
    meta: dict[str, dict[str, str | None]] = {}
    for k in range(count):
        inst = load_instrument(INSTRUMENTS[k % len(INSTRUMENTS)])
        n = int(rng.choice([1, 2, 5, 40, 300, 2000])) if k % 50 else 60_000
        p_odd, p_blank = float(rng.choice([0, 0, 0.001, 0.02, 0.2])), float(rng.choice([0, 0.02, 0.3]))
        cols = [_column(rng, int(inst.response_sets[it.response_set].min),
                        int(inst.response_sets[it.response_set].max), n, p_odd, p_blank)
                for it in inst.items]
        ids = _ids(rng, n)
        sep, nl = str(rng.choice([",", ",", ";", "\t"])), "\r\n" if rng.random() < 0.2 else "\n"
        note = rng.random() < 0.3
        lines = [sep.join(["pid", *inst.item_ids, *(["note"] if note else [])])]
        lines += [sep.join([ids[i], *(c[i] for c in cols), *(["a note"] if note else [])]) for i in range(n)]
        if n > 2 and rng.random() < 0.05:
            lines[n // 2 + 1] += sep + "9"  # a ragged row
        text = (f"sep={sep}{nl}" if sep != "\t" and rng.random() < 0.1 else "") + nl.join(lines) + nl
        text += nl + nl if rng.random() < 0.05 else ""
        data, encoding = text.encode("utf-8"), None
        if rng.random() < 0.1:
            data = b"\xef\xbb\xbf" + data
        elif rng.random() < 0.1:
            try:
                data, encoding = text.encode("latin-1"), "latin-1"
            except UnicodeEncodeError:
                pass
        name = f"f{k:03d}.{'tsv' if sep == chr(9) else 'csv'}"
        with open(os.path.join(folder, name), "wb") as fh:
            fh.write(data)
        meta[name] = {"instrument": inst.id, "encoding": encoding}
        frame = pd.DataFrame({"pid": ids, **{i: pd.to_numeric(pd.Series(c).str.strip(), errors="coerce")
                                             for i, c in zip(inst.item_ids, cols, strict=True)}})
        frame.to_parquet(os.path.join(folder, f"f{k:03d}.parquet"), index=False)
        meta[f"f{k:03d}.parquet"] = {"instrument": inst.id, "encoding": None}
    with open(os.path.join(folder, "meta.json"), "w") as fh:
        json.dump(meta, fh)


def digests(folder: str, pythonpath: str | None, kernel: bool) -> dict[str, str]:
    env = {**os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {})}
    out = subprocess.run([sys.executable, "-c", SCORER, folder, *(["kernel"] if kernel else [])],
                         capture_output=True, text=True,
                         env=env, cwd=folder, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", required=True, metavar="DIR")
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kernel", action="store_true",
                    help="score every block with the compiled kernel (this checkout: tiles of 64-512 "
                         "rows, so that files span many tiles and threads)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        write_files(folder, a.files, a.seed)
        new, old = digests(folder, None, a.kernel), digests(folder, a.baseline, a.kernel)
    differ = [k for k in sorted(old) if old[k] != new.get(k)]
    errors = sum(not (len(v) == 64 and " " not in v) for v in old.values())
    print(f"{len(old)} cases ({errors} ending in an error), {len(differ)} differ "
          f"(baseline {a.baseline}, seed {a.seed})")
    for k in differ[:5]:
        print(f"{k}\n  baseline: {old[k][:300]}\n  this:     {new.get(k, '')[:300]}")
    h = hashlib.sha256(json.dumps(new, sort_keys=True).encode()).hexdigest()[:12]
    print(f"digest of this checkout's results: {h}")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
