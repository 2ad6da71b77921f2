"""A compiled single pass that validates, recodes, keys and adds item answers (#16).

One contract, two implementations. For every row of an instrument's item block and every
score, compute the score, the number of items (or component scores) answered and the outcome
code. :mod:`compassion_scales.scoring` does it column by column with numpy (``prepare_responses``
then ``_aggregate_items``): that is the reference implementation, and the one small data use,
because a 300-row file must never pay for importing numba. This module is the compiled one: a
numba kernel that reads each cell of the block once (tile of rows by tile of rows, so the
per-tile totals stay in cache), checks it (range, whole number, option code), turns missing
codes into blanks, flips it (``reverse_coded``), recodes it, and adds it, reverse keyed where a
score asks for it, to every score that has the item; then it finishes each score with its
missing-data rule and adds the scores of scores. Most items take one loop per tile for all of
that (:func:`_fusions`); a tile with a cell outside the range is scored again with a value
buffer per item, which turns missing codes into blanks. :func:`worth_compiling` says when
the compiled pass pays for importing numba.

Exactness: each score meets its items in its own order (:func:`item_order`) and adds them
from ``+0.0`` with the same floating-point operations as the numpy path (``k - x`` for a
reversed item, ``total / answered`` for a mean, ``total / answered * n_items`` for a prorated
sum), so the results are bit-for-bit identical (tests/io/test_scoring_kernel.py compares both
paths over every shipped instrument and with hypothesis). Tiles are independent: a large
block is split into runs of tiles scored by Python threads at once (the kernel releases the
GIL), one per core up to :data:`MAX_THREADS`; 10⁶ rows x 232 items, 2 cores: ``score()``
0.33 -> 0.23 s wall quiet, 0.57 -> 0.38 s beside two busy processes, for ~10% more CPU.
Not ``numba.prange``: numba's default threading layer aborts the process when two threads
launch parallel kernels at once (Dask's threaded scheduler does), and prange was slower on
the shared machine (notes of issue #16).

A cell the kernel cannot take as it is (out of range and not a missing code, not whole, not
an option's code) only sets the ``invalid`` flag: the caller then scores with the numpy path,
which lists the cells (or turns them into missing values) with its messages and ledger.

numba is imported by :func:`load_kernel` (called by :func:`score_block`), never by importing
this module; the kernel itself is in :mod:`compassion_scales.stats.score_kernel_numba`.
"""
from __future__ import annotations

import importlib.util
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

__all__ = ["COMPILE_THRESHOLD", "ItemSpec", "ScoreSpec", "item_order", "load_kernel", "score_block",
           "worth_compiling"]

#: Rows x items of one scoring call from which the compiled pass is used. Importing numba and
#: loading the cached kernel costs about 0.4 s of CPU once per process (numba 0.68, the first
#: compiled call of a fresh process, 2026-12-02); the vectorised kernel saves about
#: 4.6 ns per cell on one instrument (FCS: 5.9 -> 1.3 ns) and 6.7 ns on a wide survey (232
#: items: 8.7 -> 2.1 ns; CPU per cell of score() with either path on bench_score_step's
#: data, load 4), so it would pay from about 1e8 cells. The
#: threshold stays higher because the first use after installing compiles the kernel (about
#: 10 s per array layout) before numba's disk cache holds it.
COMPILE_THRESHOLD = 150_000_000
#: Once the kernel is loaded in this process (a long session, Dask workers), calls from this
#: size on use it (FCS, 10,000 rows: 21 ms with numpy, 9 ms compiled).
LOADED_THRESHOLD = 100_000
#: Most rows per tile. Each item is read a tile at a time, so a tile is a run of
#: ``8 x rows`` contiguous bytes of its column: long runs stream from memory at close to a
#: sum's speed, while the tile's score totals (12 bytes per row and score) stay in the
#: cache. The kernel alone on 10^6 rows x 232 items, one thread
#: (``benchmarks/bench_score_kernel.py``, 2026-12-02): 2,048 rows 0.81 ns per cell, 32,768
#: 0.95, 131,072 0.69 (and in an earlier run 262,144 0.76, 524,288 0.97).
TILE_ROWS = 131_072
#: Fewest rows per tile when a block is split between threads.
MIN_TILE_ROWS = 16_384
#: Most bytes of score totals and counts per thread (12 per score and row): an instrument
#: with many scores gets shorter tiles.
SCRATCH_BYTES = 16 * 2**20
#: Most threads one call uses, and the fewest tiles worth a thread of their own.
MAX_THREADS = 4
TILES_PER_THREAD = 1

_KERNEL: Any = None


def worth_compiling(n_cells: int) -> bool:
    """Whether a block of ``n_cells`` (rows x items) goes through the compiled kernel.

    Below :data:`COMPILE_THRESHOLD` numba is not imported (a 300-row file never pays for it);
    once the kernel is loaded, blocks of :data:`LOADED_THRESHOLD` cells and more use it.
    Either way the numbers are the same. False when numba is not installed.

    Examples
    --------
    >>> worth_compiling(300 * 15)
    False
    """
    limit = LOADED_THRESHOLD if _KERNEL is not None else COMPILE_THRESHOLD
    return n_cells >= limit and _numba_installed()


@lru_cache(maxsize=1)
def _numba_installed() -> bool:
    """numba can be found (without importing it); without it every call uses numpy."""
    return importlib.util.find_spec("numba") is not None


class ItemSpec(NamedTuple):
    """Per-item arrays (length ``n_items``) describing how each block column is read.

    ``column``: the block column holding the item; ``lo``/``hi``: valid code range;
    ``whole``: codes must be whole numbers; ``flip``: ``lo + hi`` to flip the code
    (``reverse_coded``), NaN for none; ``key``: ``score_min + score_max`` of a reverse-keyed
    item, NaN otherwise; ``miss_ptr``/``miss``: missing codes of item ``j`` are
    ``miss[miss_ptr[j]:miss_ptr[j + 1]]``; ``code_ptr``/``codes``/``scores``: option codes and
    their scored values (recoded items; empty range: the code is the value).
    """

    column: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    whole: np.ndarray
    flip: np.ndarray
    key: np.ndarray
    miss_ptr: np.ndarray
    miss: np.ndarray
    table_ptr: np.ndarray
    is_code: np.ndarray
    table: np.ndarray


class ScoreSpec(NamedTuple):
    """Per-score arrays (length ``n_scores``); score ``s`` adds ``item[ptr[s]:ptr[s + 1]]``,
    in that order: positions into :class:`ItemSpec`, or, for a score of scores
    (``of_scores[s]``), the scores (rows of the result) it adds.

    ``keyed``: reverse keys apply; ``mean``: a mean (else a sum); ``min_answered``: items
    (scores) needed for a score; ``prorate``: a sum with fewer answered is prorated. Scores
    of scores are computed after all the others, and add scores that are not themselves
    scores of scores, without keys.
    """

    ptr: np.ndarray
    item: np.ndarray
    keyed: np.ndarray
    mean: np.ndarray
    min_answered: np.ndarray
    prorate: np.ndarray
    of_scores: np.ndarray


def load_kernel() -> Any:
    """Import numba and compile (or load from its on-disk cache) the kernel; returns it."""
    global _KERNEL
    if _KERNEL is None:
        from compassion_scales.stats.score_kernel_numba import score_tiles

        _KERNEL = score_tiles
    return _KERNEL


def score_block(X: np.ndarray, items: ItemSpec, scores: ScoreSpec, *, tile: int | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool] | None:
    """Every score of an item block in one compiled pass.

    Each item is read once per tile of rows and added to every score that has it, so the
    items are visited in one order that keeps each score's own order (see
    :func:`item_order`); None when the scores' orders conflict and a value may have a
    fraction (then the order of the additions could change the last bit of a sum).

    Parameters
    ----------
    X : ndarray of float64, shape (n_rows, n_columns)
        The answers (NaN = blank); any strides (a DataFrame's column-major block is read in
        place).
    items : ItemSpec
        How to read, check, recode and key each item's column.
    scores : ScoreSpec
        Which items each score adds, and its missing-data rule.
    tile : int, optional
        Rows per tile; by default :func:`tile_rows` of the number of rows.

    Returns
    -------
    None, or a tuple of
    values : ndarray, shape (n_scores, n_rows)
        Scores (NaN = missing).
    answered : ndarray of int32, shape (n_scores, n_rows)
        Items answered.
    status : ndarray of int8, shape (n_scores, n_rows)
        0 complete, 1 prorated, 2 mean of answered, 3 too few answered, 4 no answers.
    invalid : bool
        Some cell was out of range, not whole or not an option's code: the results are not
        to be used (score the block with the numpy path, which reports the cells).

    Examples
    --------
    A 3-item sum with the second item reverse keyed on a 1-5 scale, and the mean of items
    1 and 3 (scored when at least one is answered):

    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0, 5.0], [np.nan, 4.0, 3.0]])
    >>> none = np.array([np.nan] * 3)
    >>> items = ItemSpec(column=np.arange(3), lo=np.ones(3), hi=np.full(3, 5.0),
    ...                  whole=np.ones(3, bool), flip=none, key=np.array([np.nan, 6.0, np.nan]),
    ...                  miss_ptr=np.zeros(4, np.int64), miss=np.empty(0),
    ...                  table_ptr=np.zeros(4, np.int64), is_code=np.empty(0, bool),
    ...                  table=np.empty(0))
    >>> scores = ScoreSpec(ptr=np.array([0, 3, 5]), item=np.array([0, 1, 2, 0, 2]),
    ...                    keyed=np.array([True, True]), mean=np.array([False, True]),
    ...                    min_answered=np.array([3, 1]), prorate=np.array([False, False]),
    ...                    of_scores=np.array([False, False]))
    >>> values, answered, status, invalid = score_block(X, items, scores)
    >>> values.tolist(), answered.tolist(), status.tolist(), invalid
    ([[10.0, nan], [3.0, 3.0]], [[3, 2], [2, 1]], [[0, 3], [0, 2]], False)
    """
    order = item_order(items, scores)
    if order is None:
        return None
    kernel = load_kernel()
    n_scores = len(scores.ptr) - 1
    n = X.shape[0]
    tile = tile or tile_rows(n, n_scores)
    values = np.empty((n_scores, n))
    answered = np.empty((n_scores, n), dtype=np.int32)
    status = np.empty((n_scores, n), dtype=np.int8)
    n_tiles = -(-n // tile)
    bad = np.zeros(max(1, n_tiles), dtype=np.bool_)
    if n:
        it = (items.lo, items.hi, items.whole, items.flip, items.miss_ptr, items.miss,
              items.table_ptr, items.is_code, items.table)
        member = (order, *_memberships(items, scores))
        fz = _fusions(items, member[1], member[3])

        m = min(tile, n)

        def run(t_first: int, t_last: int) -> None:
            kernel(X, items.column, it, member, fz, tuple(scores), tile, t_first, t_last,
                   values, answered, status, bad, _scratch(n_scores, m))

        _in_threads(run, n_tiles, _threads(n_tiles))
    return values, answered, status, bool(bad.any())


def _scratch(n_scores: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One thread's buffers for tiles of ``m`` rows: totals (float64) and counts (int32) of
    ``n_scores x m``, and a value buffer of ``m``, as views of one allocation (numpy backs
    an allocation of 4 MiB and more with huge pages: a few page faults instead of
    thousands)."""
    cells = n_scores * m
    buf = np.empty(cells * 12 + m * 8, dtype=np.uint8)
    return (buf[:cells * 8].view(np.float64), buf[cells * 8:cells * 12].view(np.int32),
            buf[cells * 12:].view(np.float64))


def tile_rows(n: int, n_scores: int = 1) -> int:
    """Rows per tile for a block of ``n`` rows and ``n_scores`` scores: at most
    :data:`TILE_ROWS` (and :data:`SCRATCH_BYTES` of totals), as many tiles for each thread
    (one per core, at most :data:`MAX_THREADS`), and at least :data:`MIN_TILE_ROWS` rows.

    Examples
    --------
    >>> tile_rows(1_000) == MIN_TILE_ROWS
    True
    >>> tile_rows(10**7, n_scores=40) <= SCRATCH_BYTES // (12 * 40)
    True
    """
    longest = max(MIN_TILE_ROWS, min(TILE_ROWS, SCRATCH_BYTES // (12 * max(1, n_scores))))
    per_core = -(-n // min(_cores(), MAX_THREADS))
    tiles_per_core = -(-per_core // longest)
    return max(MIN_TILE_ROWS, -(-per_core // max(1, tiles_per_core)))


def _cores() -> int:
    """Cores this process may use."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _threads(n_tiles: int) -> int:
    """Threads for ``n_tiles`` tiles: one per core this process may use (at most
    :data:`MAX_THREADS`), and one for fewer than :data:`TILES_PER_THREAD` tiles a thread."""
    return max(1, min(_cores(), MAX_THREADS, n_tiles // TILES_PER_THREAD))


def _in_threads(run: Any, n_tiles: int, n_threads: int) -> None:
    """``run(t_first, t_last)`` over ``n_tiles`` tiles split into ``n_threads`` equal runs, one
    per thread (the calling thread takes the last). Python threads, not ``numba.prange``:
    numba's default threading layer aborts the process when two threads launch parallel
    kernels at once, which Dask's threaded scheduler does."""
    bounds = [n_tiles * k // n_threads for k in range(n_threads + 1)]
    if n_threads == 1:
        run(0, n_tiles)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(n_threads - 1) as pool:
        futures = [pool.submit(run, bounds[k], bounds[k + 1]) for k in range(n_threads - 1)]
        run(bounds[-2], bounds[-1])
        for f in futures:
            f.result()


def _memberships(items: ItemSpec, scores: ScoreSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each item, the scores (not of scores) that add it and the key they add it with:
    ``score[ptr[j]:ptr[j + 1]]`` and ``key[...]`` (NaN: not reversed)."""
    k = len(items.lo)
    per_item: list[list[tuple[int, float]]] = [[] for _ in range(k)]
    for s in range(len(scores.ptr) - 1):
        if scores.of_scores[s]:
            continue
        for p in range(scores.ptr[s], scores.ptr[s + 1]):
            j = int(scores.item[p])
            per_item[j].append((s, float(items.key[j]) if scores.keyed[s] else np.nan))
    ptr = np.cumsum([0] + [len(m) for m in per_item]).astype(np.int64)
    return (ptr, np.array([s for m in per_item for s, _ in m], dtype=np.int64),
            np.array([key for m in per_item for _, key in m], dtype=np.float64))


def _fusions(items: ItemSpec, mem_ptr: np.ndarray, mem_key: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How the kernel reads each item in one pass: ``fuse[j]`` (the item can be), ``aff[j] =
    (s, f, a, b)`` and, per membership, ``gk[p] = (g, k)``; the value added for an answer
    ``x`` is ``g * (a * (s * x + f) + b) + k``.

    ``s * x + f`` is the flip (``s = -1``, ``f = lo + hi``; else ``1, 0``), ``a * u + b`` the
    recoding (else ``1, 0``) and ``g * v + k`` the reverse key (``-1``, the key; else
    ``1, 0``). Multiplying by 1 and adding 0 change no value that a total could show
    (``-0.0`` becomes ``+0.0``, and totals start at ``+0.0``); ``-x + f`` is ``f - x`` in
    IEEE arithmetic. So each value is the one the numpy path adds, bit for bit, provided a
    recoding is affine and exact: every code of the range is an option with a score equal to
    ``a * code + b``, with ``a * code`` and the sum exact in float64 (so a fused multiply-add
    gives it too). Items with a recoding that is not, or that more than two scores add, are
    read as before (a value buffer per item).

    Examples
    --------
    >>> items = ItemSpec(column=np.arange(1), lo=np.ones(1), hi=np.full(1, 5.0),
    ...                  whole=np.ones(1, bool), flip=np.array([6.0]), key=np.array([np.nan]),
    ...                  miss_ptr=np.zeros(2, np.int64), miss=np.empty(0),
    ...                  table_ptr=np.array([0, 5]), is_code=np.ones(5, bool),
    ...                  table=np.array([100.0, 75.0, 50.0, 25.0, 0.0]))
    >>> fuse, aff, gk = _fusions(items, np.array([0, 1]), np.array([np.nan]))
    >>> fuse.tolist(), aff.tolist(), gk.tolist()
    ([True], [[-1.0, 6.0, -25.0, 125.0]], [[1.0, 0.0]])
    """
    k = len(items.lo)
    fuse = np.diff(mem_ptr) <= 2
    aff = np.tile(np.array([1.0, 0.0, 1.0, 0.0]), (k, 1))
    flipped = ~np.isnan(items.flip)
    aff[flipped, 0], aff[flipped, 1] = -1.0, items.flip[flipped]
    for j in range(k):
        t0, t1 = int(items.table_ptr[j]), int(items.table_ptr[j + 1])
        if t1 > t0:
            ab = _affine(items.table[t0:t1], items.is_code[t0:t1], float(items.lo[j]))
            fuse[j] = fuse[j] and ab is not None
            aff[j, 2:] = ab if ab is not None else (1.0, 0.0)
    keyed = ~np.isnan(mem_key)
    gk = np.column_stack([np.where(keyed, -1.0, 1.0), np.where(keyed, mem_key, 0.0)])
    return fuse, aff, np.ascontiguousarray(gk)


def _affine(table: np.ndarray, is_code: np.ndarray, lo: float) -> tuple[float, float] | None:
    """``(a, b)`` with ``table[i] == a * (lo + i) + b`` exactly, each step exact in float64
    (see :func:`_fusions`), for a table whose every code is an option with a score; else
    None."""
    from fractions import Fraction

    if not (np.all(is_code) and np.all(np.isfinite(table))):
        return None
    a = float(table[1] - table[0]) if len(table) > 1 else 0.0
    b = float(table[0] - a * lo)
    for i, want in enumerate(table.tolist()):
        u = lo + i
        prod = a * u
        total = prod + b
        if (Fraction(prod) != Fraction(a) * Fraction(u) or Fraction(total) != Fraction(prod) + Fraction(b)
                or total != want):
            return None
    return a, b


def item_order(items: ItemSpec, scores: ScoreSpec) -> np.ndarray | None:
    """An order of the items in which every score meets its items in its own order.

    The first such order in item position (a topological sort of "item a before item b"
    for each score's neighbours). When the scores' orders conflict, any order gives the
    same sums if every scored value is a whole number (then the item positions); otherwise
    None.

    Examples
    --------
    >>> ptr, item = np.array([0, 2, 4]), np.array([2, 0, 0, 1])
    >>> scores = ScoreSpec(ptr, item, *([np.zeros(2, bool)] * 4), of_scores=np.zeros(2, bool))
    >>> items = ItemSpec(*([np.zeros(3)] * 11))
    >>> item_order(items, scores).tolist()
    [2, 0, 1]
    """
    import heapq

    k = len(items.lo)
    after: list[set[int]] = [set() for _ in range(k)]
    for s in range(len(scores.ptr) - 1):
        members = scores.item[scores.ptr[s]:scores.ptr[s + 1]]
        if not scores.of_scores[s]:
            for a, b in zip(members[:-1], members[1:], strict=True):
                if a != b:
                    after[int(a)].add(int(b))
    waiting = np.zeros(k, dtype=np.int64)
    for nxt in after:
        for b in nxt:
            waiting[b] += 1
    ready = [j for j in range(k) if waiting[j] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        j = heapq.heappop(ready)
        order.append(j)
        for b in after[j]:
            waiting[b] -= 1
            if waiting[b] == 0:
                heapq.heappush(ready, b)
    if len(order) == k:
        return np.array(order, dtype=np.int64)
    return np.arange(k, dtype=np.int64) if _all_whole(items) else None


def _all_whole(items: ItemSpec) -> bool:
    """Every value an item can add (answer, flipped, recoded, reversed) is a whole number."""
    def whole(a: np.ndarray) -> bool:
        a = a[~np.isnan(a)]
        return bool(np.all(a == np.floor(a)))

    return (bool(np.all(items.whole)) and whole(items.lo) and whole(items.flip)
            and whole(items.key) and whole(items.table))
