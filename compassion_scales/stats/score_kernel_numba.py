"""The numba kernel of :mod:`compassion_scales.stats.score_kernel` (importing this imports numba).

Compiled on first use and cached on disk (``cache=True``); see ``score_kernel`` for the
contract and :func:`compassion_scales.stats.score_kernel.score_block` for the entry point.
``error_model="numpy"``: a float division by zero gives inf/NaN (as numpy), no check in the
loops, so that they vectorise; no result depends on it (rows with nothing answered are NaN).

Every inner loop indexes a 1-d view (``X[r0:r0 + m, c]``, ``total[s]``) with the loop
counter alone. An index such as ``X[r0 + r, c]`` may be negative as far as numba knows, so it
gets a wraparound branch per cell and the loop does not vectorise: the kernel was about three
times slower that way (issue #16).
"""
from __future__ import annotations

from typing import Any

import numba
import numpy as np

__all__ = ["score_tiles"]

#: numba.njit with the kernel's options (cached to disk, no GIL, numpy's error model)
_jit: Any = numba.njit(cache=True, nogil=True, error_model="numpy")
#: the same, inlined at numba's level into each caller's loop (which then still vectorises)
_inline: Any = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")


@_inline
def _outside(x: float, lo: float, hi: float, whole: bool) -> bool:
    """``x`` is outside ``lo..hi``, or not a whole number where one is needed (NaN is not)."""
    return (x < lo) | (x > hi) | (whole & (x == x) & (x != np.floor(x)))


@_jit
def _plain_item(X: np.ndarray, r0: int, m: int, c: int, lo: float, hi: float, whole: bool,
                w: np.ndarray) -> bool:
    """Copy rows ``r0:r0 + m`` of block column ``c`` to ``w``; True when some cell is outside
    the range or not whole (a missing code, or invalid: :func:`_general_item` then reads the
    column again)."""
    col = X[r0:r0 + m, c]
    nbad = 0
    for r in range(m):
        x = col[r]
        w[r] = x
        nbad += _outside(x, lo, hi, whole)
    return nbad > 0


@_jit
def _code_item(w: np.ndarray, m: int, lo: float, flip: float, t0: int, t1: int,
               is_code: np.ndarray, table: np.ndarray) -> bool:
    """Valid codes in ``w`` -> scored values: option check, flip, recoding. True when a code
    is not an option's."""
    recoded = t1 > t0
    nbad = 0
    for r in range(m):
        v = w[r]
        if v == v:
            if recoded:
                nbad += not is_code[t0 + int(v - lo)]
            if flip == flip:
                v = flip - v
            if recoded:  # the last option with this code, as numpy's successive masked writes
                p = t0 + int(v - lo)
                v = table[p] if is_code[p] else np.nan
            w[r] = v
    return nbad > 0


@_jit
def _general_item(X: np.ndarray, r0: int, m: int, c: int, j: int, it: Any, w: np.ndarray) -> bool:
    """Rows ``r0:r0 + m`` of block column ``c`` (item ``j``) -> scored values in ``w`` (NaN =
    missing) when some cell is outside the range: missing codes become blanks, other such
    cells are invalid (True)."""
    lo, hi, whole, flip, miss_ptr, miss, table_ptr, is_code, table = it
    col = X[r0:r0 + m, c]
    bad = False
    for r in range(m):
        x = col[r]
        if x == x and (x < lo[j] or x > hi[j] or (whole[j] and x != np.floor(x))):
            known = False  # a missing code (all lie outside the range) is a blank
            for p in range(miss_ptr[j], miss_ptr[j + 1]):
                known = known or x == miss[p]
            bad = bad or not known
            x = np.nan
        w[r] = x
    t0, t1 = table_ptr[j], table_ptr[j + 1]
    if t1 > t0 or flip[j] == flip[j]:
        bad = _code_item(w, m, lo[j], flip[j], t0, t1, is_code, table) or bad
    return bad


@_jit
def _add(src: np.ndarray, m: int, key: float, total: np.ndarray, count: np.ndarray,
         s: int) -> None:
    """Add ``src[:m]`` (reversed as ``key - x`` unless ``key`` is NaN) to the totals of
    score ``s`` (row ``s`` of ``total`` and ``count``).

    A blank adds +0.0, which changes no total: totals start at +0.0 and so are never -0.0.
    """
    tot = total[s]
    cnt = count[s]
    if key == key:
        for r in range(m):
            v = src[r]
            ok = v == v
            tot[r] += (key - v) if ok else 0.0
            cnt[r] += ok
    else:
        for r in range(m):
            v = src[r]
            ok = v == v
            tot[r] += v if ok else 0.0
            cnt[r] += ok


@_jit
def _add_score(values: np.ndarray, q: int, r0: int, m: int, total: np.ndarray,
               count: np.ndarray, s: int) -> None:
    """Add score ``q`` (a row of ``values``, NaN = missing) to the totals of score ``s``."""
    src = values[q, r0:r0 + m]
    tot = total[s]
    cnt = count[s]
    for r in range(m):
        v = src[r]
        ok = v == v
        tot[r] += v if ok else 0.0
        cnt[r] += ok


@_jit
def _finish(total: np.ndarray, count: np.ndarray, s: int, m: int, r0: int, sc: Any,
            values: np.ndarray, answered: np.ndarray, status: np.ndarray) -> None:
    """Scores and outcome codes (those of scoring.STATUS_CODES) of score ``s`` on a tile."""
    ptr, mean, need, prorate = sc[0], sc[3][s], sc[4][s], sc[5][s]
    n_items = ptr[s + 1] - ptr[s]
    fn = float(n_items)
    cnt = count[s]
    tot = total[s]
    val = values[s, r0:r0 + m]
    ans = answered[s, r0:r0 + m]
    sta = status[s, r0:r0 + m]
    for r in range(m):
        a = cnt[r]
        t = tot[r]
        complete = a == n_items
        partial = (a >= need) & (a != n_items) & (a > 0)
        q = t / a
        if mean:
            res = q if (complete | partial) else np.nan
            st = 2 if partial else 3
        else:
            res = t if complete else (q * fn if (prorate & partial) else np.nan)
            st = 1 if (prorate & partial) else 3
        st = 0 if complete else st
        val[r] = np.nan if a == 0 else res
        ans[r] = a
        sta[r] = 4 if a == 0 else st


@_jit
def _finish_tile(total: np.ndarray, count: np.ndarray, r0: int, m: int, sc: Any,
                 values: np.ndarray, answered: np.ndarray, status: np.ndarray) -> None:
    """Finish the scores of a tile, then add and finish the scores of scores."""
    ptr, item, of_scores = sc[0], sc[1], sc[6]
    ns = ptr.shape[0] - 1
    for s in range(ns):
        if not of_scores[s]:
            _finish(total, count, s, m, r0, sc, values, answered, status)
    for s in range(ns):  # scores of scores, in the order of their scores
        if of_scores[s]:
            for p in range(ptr[s], ptr[s + 1]):
                _add_score(values, item[p], r0, m, total, count, s)
            _finish(total, count, s, m, r0, sc, values, answered, status)


@_jit
def _tile(X: np.ndarray, r0: int, r1: int, column: np.ndarray, it: Any, member: Any, sc: Any,
          values: np.ndarray, answered: np.ndarray, status: np.ndarray, scratch: Any) -> bool:
    """Rows ``r0:r1``: read each item once, in ``order``, adding it to every score that has
    it; then finish the scores, then the scores of scores. True if a cell is invalid."""
    order, mem_ptr, mem_score, mem_key = member
    lo, hi, whole, flip, table_ptr, is_code, table = it[0], it[1], it[2], it[3], it[6], it[7], it[8]
    m = r1 - r0
    total, count, w = _cleared(scratch, m)
    bad = False
    for q in range(order.shape[0]):
        j = order[q]
        c = column[j]
        if _plain_item(X, r0, m, c, lo[j], hi[j], whole[j], w):
            bad = _general_item(X, r0, m, c, j, it, w) or bad
        elif table_ptr[j + 1] > table_ptr[j] or flip[j] == flip[j]:
            bad = _code_item(w, m, lo[j], flip[j], table_ptr[j], table_ptr[j + 1],
                             is_code, table) or bad
        for p in range(mem_ptr[j], mem_ptr[j + 1]):
            _add(w, m, mem_key[p], total, count, mem_score[p])
    _finish_tile(total, count, r0, m, sc, values, answered, status)
    return bad


@_jit
def _cleared(scratch: Any, m: int) -> Any:
    """Totals and counts for ``m`` rows (flat buffers of ``scores x tile`` seen as
    ``(scores, m)``), set to zero, and the value buffer. Allocated once per run of tiles: a tile's totals are megabytes, and fresh
    memory costs page faults every time (issue #16)."""
    ns = scratch[0].shape[0] // scratch[2].shape[0]
    total = scratch[0][:ns * m].reshape((ns, m))
    count = scratch[1][:ns * m].reshape((ns, m))
    total[:] = 0.0
    count[:] = 0
    return total, count, scratch[2][:m]


@_jit
def _check(col: np.ndarray, m: int, lo: float, hi: float, whole: bool) -> bool:
    """True when a cell of ``col[:m]`` is outside the range or not whole (an item no score
    adds)."""
    nbad = 0
    for r in range(m):
        nbad += _outside(col[r], lo, hi, whole)
    return nbad > 0


@_jit
def _fused1(col: np.ndarray, m: int, lo: float, hi: float, whole: bool, af: np.ndarray,
            g: float, k: float, tot: np.ndarray, cnt: np.ndarray) -> bool:
    """Check ``col[:m]`` and add ``g * (a * (s * x + f) + b) + k`` (with ``af = (s, f, a, b)``)
    to one score's totals: flip, affine recoding and reverse key in one pass. True when a
    cell is outside the range or not whole."""
    s1, f, a, b = af[0], af[1], af[2], af[3]
    nbad = 0
    for r in range(m):
        x = col[r]
        nbad += _outside(x, lo, hi, whole)
        ok = x == x
        tot[r] += (g * (a * (s1 * x + f) + b) + k) if ok else 0.0
        cnt[r] += ok
    return nbad > 0


@_jit
def _fused2(col: np.ndarray, m: int, lo: float, hi: float, whole: bool, af: np.ndarray,
            g: float, k: float, tot: np.ndarray, cnt: np.ndarray, g2: float, k2: float,
            tot2: np.ndarray, cnt2: np.ndarray) -> bool:
    """:func:`_fused1` for an item two scores add."""
    s1, f = af[0], af[1]
    a, b = af[2], af[3]
    nbad = 0
    for r in range(m):
        x = col[r]
        nbad += _outside(x, lo, hi, whole)
        ok = x == x
        v = a * (s1 * x + f) + b
        tot[r] += (g * v + k) if ok else 0.0
        cnt[r] += ok
        tot2[r] += (g2 * v + k2) if ok else 0.0
        cnt2[r] += ok
    return nbad > 0


@_jit
def _tile_fused(X: np.ndarray, r0: int, r1: int, column: np.ndarray, it: Any, member: Any,
                fz: Any, sc: Any, values: np.ndarray, answered: np.ndarray,
                status: np.ndarray, scratch: Any) -> bool:
    """:func:`_tile` reading each fusable item in one pass (check, flip, recode, key, add:
    :func:`_fused1`); False when it scored the tile, True when a cell is outside the range
    or not an option's code (then :func:`_tile` scores the tile again: missing codes, or
    invalid cells)."""
    order, mem_ptr, mem_score, mem_key = member
    fuse, aff, gk = fz
    lo, hi, whole, flip, table_ptr, is_code, table = it[0], it[1], it[2], it[3], it[6], it[7], it[8]
    m = r1 - r0
    total, count, w = _cleared(scratch, m)
    for q in range(order.shape[0]):
        j = order[q]
        col = X[r0:r1, column[j]]
        p0, n_mem = mem_ptr[j], mem_ptr[j + 1] - mem_ptr[j]
        if fuse[j] and n_mem == 0:
            redo = _check(col, m, lo[j], hi[j], whole[j])
        elif fuse[j] and n_mem == 1:
            redo = _fused1(col, m, lo[j], hi[j], whole[j], aff[j], gk[p0, 0], gk[p0, 1],
                           total[mem_score[p0]], count[mem_score[p0]])
        elif fuse[j]:
            s, s2 = mem_score[p0], mem_score[p0 + 1]
            redo = _fused2(col, m, lo[j], hi[j], whole[j], aff[j], gk[p0, 0], gk[p0, 1],
                           total[s], count[s], gk[p0 + 1, 0], gk[p0 + 1, 1], total[s2], count[s2])
        else:
            redo = _plain_item(X, r0, m, column[j], lo[j], hi[j], whole[j], w) or (
                (table_ptr[j + 1] > table_ptr[j] or flip[j] == flip[j])
                and _code_item(w, m, lo[j], flip[j], table_ptr[j], table_ptr[j + 1], is_code,
                               table))
            if not redo:
                for p in range(mem_ptr[j], mem_ptr[j + 1]):
                    _add(w, m, mem_key[p], total, count, mem_score[p])
        if redo:  # _tile scores the tile again: nothing added here is kept
            return True
    _finish_tile(total, count, r0, m, sc, values, answered, status)
    return False


@_jit
def score_tiles(X: np.ndarray, column: np.ndarray, it: Any, member: Any, fz: Any, sc: Any,
                tile: int, t_first: int, t_last: int, values: np.ndarray, answered: np.ndarray,
                status: np.ndarray, bad: np.ndarray, scratch: Any) -> None:
    """Score tiles ``t_first:t_last`` of ``tile`` rows; ``bad[t]``: tile ``t`` has an invalid
    cell. Each tile is scored by :func:`_tile_fused`, and again by :func:`_tile` when a cell
    is outside the range. ``scratch``: this run's buffers (float64 and int32 of ``scores x
    tile``, float64 of ``tile``), allocated by the caller: numpy asks the kernel for huge
    pages, numba's allocator does not, and a few thousand page faults per call cost more
    than the bigger tiles save (issue #16). Tiles write disjoint columns of the outputs: threads may score
    other tiles at once (the GIL is released)."""
    n = X.shape[0]
    for t in range(t_first, t_last):
        r0 = t * tile
        r1 = min(n, r0 + tile)
        if _tile_fused(X, r0, r1, column, it, member, fz, sc, values, answered, status, scratch):
            bad[t] = _tile(X, r0, r1, column, it, member, sc, values, answered, status, scratch)
