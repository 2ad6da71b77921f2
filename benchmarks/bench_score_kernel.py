"""The compiled scoring kernel alone, by tile size, against an older checkout's (issue #16).

bench_score_step's wide survey (10⁶ rows x 232 items, ten instruments), each instrument's
block scored by ``score_tiles`` on one thread with preallocated outputs (no page faults, no
pandas): the kernel's own cost per cell. Every variant runs once per round, rounds
alternate the variants, and the line per variant sums each instrument's fastest and median
time over the rounds. ``--baseline DIR`` adds the kernel of an older checkout (``git
worktree add --detach DIR COMMIT``), loaded from its file beside this one, at its own
default tile (2,048 rows before this version). That load breaks the old checkout's numba
cache for later runs of that checkout: delete ``DIR/compassion_scales/stats/__pycache__/*.nb*``
afterwards. Usage::

    python benchmarks/bench_score_kernel.py [--tiles 32768 131072] [--baseline /tmp/old]
        [--rows 1000000] [--rounds 7]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import warnings
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _common import load  # noqa: E402
from bench_score_step import INSTRUMENTS, make_wide  # noqa: E402


def _old_kernel(folder: str) -> Any:
    path = os.path.join(folder, "compassion_scales", "stats", "score_kernel_numba.py")
    spec = importlib.util.spec_from_file_location("baseline_score_kernel_numba", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.score_tiles


def _calls(X: np.ndarray, cols: list[str], tiles: list[int], old: Any) -> dict[str, list[Any]]:
    """Per variant, one call per instrument (closures over its prepared arguments)."""
    from compassion_scales import scoring
    from compassion_scales.instrument import load_instrument
    from compassion_scales.stats import score_kernel as sk

    new = sk.load_kernel()
    n = X.shape[0]
    pos = {c: i for i, c in enumerate(cols)}
    calls: dict[str, list[Any]] = {}
    for iid in INSTRUMENTS:
        inst = load_instrument(iid)
        present = list(inst.item_ids)
        items = scoring._kernel_items(inst, present, False)._replace(
            column=np.array([pos[i] for i in present]))
        spec, _ = scoring._kernel_scores(inst, present, None)
        member = (sk.item_order(items, spec), *sk._memberships(items, spec))
        it = (items.lo, items.hi, items.whole, items.flip, items.miss_ptr, items.miss,
              items.table_ptr, items.is_code, items.table)
        ns = len(spec.ptr) - 1
        outs = (np.zeros((ns, n)), np.zeros((ns, n), np.int32), np.zeros((ns, n), np.int8))
        if old is not None:
            calls.setdefault("baseline, 2048", []).append(
                lambda it=it, items=items, member=member, spec=spec, outs=outs: old(
                    X, items.column, it, member, tuple(spec), 2048, 0, -(-n // 2048), *outs,
                    np.zeros(-(-n // 2048), bool)))
        fz = sk._fusions(items, member[1], member[3])
        for t in tiles:
            calls.setdefault(f"this, {t}", []).append(
                lambda t=t, it=it, items=items, member=member, spec=spec, outs=outs, fz=fz, ns=ns: new(
                    X, items.column, it, member, fz, tuple(spec), t, 0, -(-n // t), *outs,
                    np.zeros(-(-n // t), bool), sk._scratch(ns, min(t, n))))
    return calls


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiles", type=int, nargs="+", default=[2048, 32768, 131072])
    ap.add_argument("--baseline", metavar="DIR")
    ap.add_argument("--rows", type=float, default=1e6)
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    n = int(a.rows)
    frame, cols = make_wide(n)
    X = np.asfortranarray(frame[cols].to_numpy())
    calls = _calls(X, cols, a.tiles, _old_kernel(a.baseline) if a.baseline else None)
    times: dict[str, list[list[float]]] = {k: [[] for _ in v] for k, v in calls.items()}
    for fns in calls.values():  # compile or load, and warm up
        for f in fns:
            f()
    for _ in range(a.rounds):
        for name, fns in calls.items():
            for j, f in enumerate(fns):
                t0 = time.perf_counter()
                f()
                times[name][j].append(time.perf_counter() - t0)
    print(f"# scoring kernel alone, one thread, {n:,} rows x {len(cols)} items, {a.rounds} rounds; {load()}")
    for name, per in times.items():
        fastest = sum(min(t) for t in per)
        median = sum(sorted(t)[len(t) // 2] for t in per)
        print(f"{name:>16}: {fastest * 1e3:6.1f} ms fastest ({fastest / (n * len(cols)) * 1e9:.2f} ns "
              f"per cell), {median * 1e3:6.1f} ms median")


if __name__ == "__main__":
    main()
