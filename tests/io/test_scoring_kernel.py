"""The compiled scoring kernel (#16) gives the numpy path's results, bit for bit.

Every test scores the same data twice: with the numpy path (the reference implementation,
thresholds out of reach) and with the kernel (thresholds at 0), and compares every frame of
the two results exactly, the scores also bit by bit. A spy records whether the kernel's
results were used, so that a test cannot pass by falling back to the numpy path unnoticed.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compassion_scales.errors import ResponseValidationError, UnverifiedKeyWarning
from compassion_scales.instrument import Instrument, _from_data, iter_shipped, load_instrument
from compassion_scales.scoring import score
from compassion_scales.stats import score_kernel

# one xdist worker loads numba and the compiled kernels for all these tests (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("numba")

SHIPPED = sorted(i.id for i in iter_shipped())
FRAMES = ("scores", "answered", "status", "rules", "invalid", "ledger")


class Paths:
    """Score with the numpy path, then with the kernel; ``used``: kernel passes kept."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.mp = monkeypatch
        self.used: list[bool] = []
        real = score_kernel.score_block

        def spy(*args: Any, **kwargs: Any) -> Any:
            out = real(*args, **kwargs)
            self.used.append(out is not None and not out[3])
            return out

        monkeypatch.setattr(score_kernel, "score_block", spy)

    def _threshold(self, value: int) -> None:
        self.mp.setattr(score_kernel, "COMPILE_THRESHOLD", value)
        self.mp.setattr(score_kernel, "LOADED_THRESHOLD", value)

    def run(self, data: pd.DataFrame, inst: Any, **kwargs: Any) -> tuple[Any, Any]:
        """(numpy result, kernel result); an exception counts as a result."""
        out = []
        for threshold in (10**18, 0):
            self._threshold(threshold)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UnverifiedKeyWarning)
                try:
                    out.append(score(data, inst, **kwargs))
                except ResponseValidationError as exc:
                    out.append(exc)
        return out[0], out[1]


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Paths:
    return Paths(monkeypatch)


def assert_same(ref: Any, got: Any) -> None:
    """Same result (or same error), exactly; scores bit for bit (NaN included)."""
    assert type(ref) is type(got)
    if isinstance(ref, ResponseValidationError):
        assert str(ref) == str(got)
        pd.testing.assert_frame_equal(ref.failure_cases, got.failure_cases, check_exact=True)
        return
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(ref, name), getattr(got, name), check_exact=True)
    cols = ref.score_columns
    bits = [f.scores[cols].to_numpy(dtype=np.float64).view(np.uint64) for f in (ref, got)]
    np.testing.assert_array_equal(bits[0], bits[1])
    assert (ref.column_map, ref.not_scored, ref.unused_columns) == \
           (got.column_map, got.not_scored, got.unused_columns)


def answers(inst: Instrument, n: int, seed: int = 0, blank: float = 0.15) -> pd.DataFrame:
    """Valid answers to every item (option codes, whole codes, or decimals for a continuous
    scale), ``blank`` of them missing; row 0 all blank, row 1 one answer, row 2 complete."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    for it in inst.items:
        rs = inst.response_sets[it.response_set]
        if rs.options:
            x = rng.choice(np.array([o.code for o in rs.options], dtype=float), n)
        elif rs.integer:
            x = rng.integers(int(rs.min), int(rs.max) + 1, n).astype(float)
        else:
            x = np.round(rng.uniform(rs.min, rs.max, n), 2)
        x[rng.random(n) < blank] = np.nan
        cols[it.id] = x
    frame = pd.DataFrame(cols)
    frame.iloc[0] = np.nan
    frame.iloc[1, 1:] = np.nan
    frame.iloc[2] = frame.iloc[3].fillna(frame.iloc[4]).fillna(frame.iloc[5])
    frame.insert(0, "pid", [f"p{i}" for i in range(n)])
    return frame


@pytest.mark.parametrize("prorate", [None, 0.6])
@pytest.mark.parametrize("inst_id", SHIPPED)
def test_every_shipped_instrument(paths: Paths, inst_id: str, prorate: float | None) -> None:
    inst = load_instrument(inst_id)
    data = answers(inst, 400, seed=len(inst_id))
    for reverse_coded in (False, True):
        ref, got = paths.run(data, inst, id="pid", prorate=prorate, reverse_coded=reverse_coded)
        assert_same(ref, got)
    assert paths.used == [True, True]


def test_several_instruments_at_once(paths: Paths) -> None:
    insts = ["cbi", "fcs", "scs_sf", "socs_s"]
    parts = [answers(load_instrument(i), 300, seed=k).drop(columns="pid") for k, i in enumerate(insts)]
    data = pd.concat(parts, axis=1)
    data.insert(0, "pid", np.arange(300))
    ref, got = paths.run(data, insts, id="pid")
    assert_same(ref, got)
    assert paths.used == [True] * 4


def test_missing_codes_are_blanks(paths: Paths) -> None:
    inst = load_instrument("fcs")
    data = answers(inst, 300)
    data.iloc[5:40, 3] = -99
    data.iloc[50:60, 7] = -9
    ref, got = paths.run(data, inst, id="pid")
    assert_same(ref, got)
    assert paths.used == [True]
    assert ref.answered.iloc[5:40].to_numpy().min() < 38


@pytest.mark.parametrize("inst_id", ["fcs", "cbi", "socs_o"])
def test_missing_code_in_one_tile_of_many(paths: Paths, monkeypatch: pytest.MonkeyPatch,
                                          inst_id: str) -> None:
    """A tile with a missing code is scored again cell by cell; the tiles around it keep the
    one-pass reading; both give the numpy path's results."""
    spy = score_kernel.score_block
    monkeypatch.setattr(score_kernel, "score_block", lambda X, i, s: spy(X, i, s, tile=16))
    inst = load_instrument(inst_id)
    data = answers(inst, 200, seed=3)
    data.iloc[37, 2] = -99 if -99 in inst.response_sets[inst.item(inst.item_ids[1]).response_set].missing_codes else np.nan
    data.iloc[150:170, 4] = np.nan
    for reverse_coded in (False, True):
        ref, got = paths.run(data, inst, id="pid", reverse_coded=reverse_coded)
        assert_same(ref, got)
    assert paths.used == [True, True]


def test_affine_recodings_read_in_one_pass() -> None:
    """A recoding is read in one pass only when every code scores exactly on a line."""
    def fused(table: list[float], lo: float = 1.0, flip: float = np.nan) -> Any:
        k = len(table)
        items = score_kernel.ItemSpec(np.arange(1), np.array([lo]), np.array([lo + k - 1]),
                                      np.ones(1, bool), np.array([flip]), np.array([np.nan]),
                                      np.zeros(2, np.int64), np.empty(0), np.array([0, k]),
                                      ~np.isnan(table), np.array(table))
        f, aff, _ = score_kernel._fusions(items, np.array([0, 1]), np.array([np.nan]))
        return bool(f[0]), aff[0].tolist()

    assert fused([100.0, 75.0, 50.0, 25.0, 0.0]) == (True, [1.0, 0.0, -25.0, 125.0])
    assert fused([0.25, 0.75, 1.25, 1.75]) == (True, [1.0, 0.0, 0.5, -0.25])
    # a slope of 0.1: 0.1 * 4 is rounded in float64, and a fused multiply-add would round
    # once, not twice: not read in one pass, whatever the table says
    assert not fused([0.0, 0.1, 0.2, 0.30000000000000004])[0]
    assert not fused([0.0, 0.1, 0.2, 0.3])[0]
    assert not fused([0.0, 1.0, 3.0])[0]  # not on a line
    assert not fused([0.0, np.nan, 2.0])[0]  # an option without a score
    assert fused([5.0], lo=2.0, flip=4.0) == (True, [-1.0, 4.0, 0.0, 5.0])


def test_negative_zero_answers(paths: Paths) -> None:
    """-0.0 is a valid 0 answer: sums, means and reversed items keep the numpy path's bits."""
    inst = load_instrument("scs_sf")  # 1-5, reverse-keyed items, means
    data = answers(inst, 100)
    fcs = load_instrument("fcs")  # 0-4, sums
    zeros = answers(fcs, 100).drop(columns="pid")
    zeros.iloc[:, :] = np.where(np.arange(100)[:, None] % 2 == 0, -0.0, zeros.to_numpy())
    data = pd.concat([data, zeros], axis=1)
    ref, got = paths.run(data, [inst, fcs], id="pid")
    assert_same(ref, got)
    assert paths.used == [True, True]


@pytest.mark.parametrize("bad", [7.0, 2.5, -1.0, np.inf])
@pytest.mark.parametrize("on_invalid", ["error", "missing"])
def test_invalid_cells_go_to_the_numpy_path(paths: Paths, bad: float, on_invalid: str) -> None:
    inst = load_instrument("fcs")
    data = answers(inst, 300)
    data.iloc[[10, 200], 5] = bad
    ref, got = paths.run(data, inst, id="pid", on_invalid=on_invalid)
    assert_same(ref, got)
    assert paths.used == [False]  # the kernel saw the cells and left them to the numpy path
    if on_invalid == "missing":
        assert list(ref.invalid["row"]) == [12, 202]
    else:
        assert isinstance(ref, ResponseValidationError)


@pytest.mark.parametrize("bad", [2.5, 0.0, 6.0])
def test_recoded_set_with_an_invalid_code(paths: Paths, bad: float) -> None:
    inst = load_instrument("cbi")  # codes 1-5 scored 0-100
    data = answers(inst, 200)
    data.iloc[3, 1] = bad
    ref, got = paths.run(data, inst, id="pid")
    assert_same(ref, got)
    assert isinstance(ref, ResponseValidationError) and paths.used == [False]


@pytest.mark.parametrize("kind", ["int64", "float32", "separate_blocks", "c_order"])
def test_numeric_column_kinds(paths: Paths, kind: str) -> None:
    inst = load_instrument("socs_s")
    data = answers(inst, 300)
    items = inst.item_ids
    if kind == "int64":
        data[items] = data[items].fillna(3).astype(kind)
    elif kind == "float32":
        data[items] = data[items].astype(kind)
    elif kind == "separate_blocks":
        data = pd.concat([data[["pid"]]] + [data[[c]].copy() for c in items], axis=1)
    else:
        block = np.ascontiguousarray(data[items].to_numpy())
        data = pd.concat([data[["pid"]], pd.DataFrame(block, columns=items, copy=False)], axis=1)
    ref, got = paths.run(data, inst, id="pid")
    assert_same(ref, got)
    assert paths.used == [True]


@pytest.mark.parametrize("inst_id", ["cbi", "fcs", "scs"])
@pytest.mark.parametrize("extra", [None, "-99", "NA", "label", " 2 "])
def test_text_columns(paths: Paths, inst_id: str, extra: str | None) -> None:
    """As read from a CSV: every cell text, blanks empty; then a missing code, a text
    missing code, a response label or a padded number in some cells."""
    inst = load_instrument(inst_id)
    data = answers(inst, 300)
    for c in inst.item_ids:
        data[c] = data[c].map(lambda v: "" if np.isnan(v) else f"{v:g}").astype("str")
    col = inst.item_ids[2]
    if extra is not None:
        rs = inst.response_sets[inst.item(col).response_set]
        data.loc[4:9, col] = rs.options[-1].label if extra == "label" else extra
    ref, got = paths.run(data, inst, id="pid")
    assert_same(ref, got)
    assert paths.used == [True]


@pytest.mark.parametrize("kind", ["not_an_answer", "bool", "Int64"])
def test_other_columns_stay_on_the_numpy_path(paths: Paths, kind: str) -> None:
    inst = load_instrument("olbi")
    data = answers(inst, 200)
    col = inst.item_ids[2]
    if kind == "not_an_answer":
        data[col] = data[col].map(lambda v: "" if np.isnan(v) else str(int(v))).astype(object)
        data.loc[5, col] = "sometimes?"
    elif kind == "bool":
        data[col] = data[col] > 2
    else:
        data[col] = data[col].astype("Int64")
    ref, got = paths.run(data, inst, id="pid", on_invalid="missing")
    assert_same(ref, got)
    assert paths.used == []


def test_column_map_patterns_and_absent_items(paths: Paths) -> None:
    inst = load_instrument("fcs")
    data = answers(inst, 300)
    renamed = {f"fcs_self_{n}": f"Q3_{n}" for n in range(1, 16)}
    data = data.rename(columns=renamed).rename(columns={"fcs_oth_1": "first"})
    ref, got = paths.run(data, inst, id="pid", patterns={"fcs_self": "Q3_{n}"},
                         column_map={"first": "fcs_oth_1"})
    assert_same(ref, got)
    only_self = data[["pid"] + list(renamed.values())]
    ref, got = paths.run(only_self, inst, id="pid", patterns={"fcs_self": "Q3_{n}"})
    assert_same(ref, got)
    assert set(ref.not_scored) == {"fcs:fcs_others", "fcs:fcs_from_others"}
    partly = data.drop(columns=["fcs_oth_2"])
    ref, got = paths.run(partly, inst, id="pid", patterns={"fcs_self": "Q3_{n}"},
                         column_map={"first": "fcs_oth_1"})
    assert_same(ref, got)
    assert isinstance(ref, ResponseValidationError)
    assert paths.used == [True, True, True]  # the third raises on the absent item afterwards


def test_small_calls_do_not_use_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    inst = load_instrument("fcs")
    data = answers(inst, 300)
    cells = 300 * len(inst.item_ids)
    calls: list[int] = []
    real = score_kernel.score_block
    monkeypatch.setattr(score_kernel, "score_block", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(score_kernel, "_KERNEL", None)  # as in a fresh process
    monkeypatch.setattr(score_kernel, "COMPILE_THRESHOLD", cells + 1)
    score(data, inst, id="pid")
    assert calls == []
    monkeypatch.setattr(score_kernel, "COMPILE_THRESHOLD", cells)
    score(data, inst, id="pid")
    assert calls == [1]


def test_without_numba_the_numpy_path_scores(paths: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    inst = load_instrument("fcs")
    data = answers(inst, 300)

    def broken() -> None:
        raise ImportError("numba does not support this numpy")

    monkeypatch.setattr(score_kernel, "load_kernel", broken)
    ref, got = paths.run(data, inst, id="pid")
    assert_same(ref, got)
    assert paths.used == []
    monkeypatch.setattr(score_kernel, "_numba_installed", lambda: False)
    assert not score_kernel.worth_compiling(10**12)


def test_item_order_keeps_every_score_order() -> None:
    def spec(lists: list[list[int]]) -> score_kernel.ScoreSpec:
        ptr = np.cumsum([0] + [len(m) for m in lists])
        none = np.zeros(len(lists), bool)
        return score_kernel.ScoreSpec(ptr, np.array([i for m in lists for i in m]), none, none,
                                      np.ones(len(lists), np.int64), none, none)

    def items(k: int, table: list[float]) -> score_kernel.ItemSpec:
        z = np.zeros(k)
        return score_kernel.ItemSpec(np.arange(k), z, z + 4, np.ones(k, bool), z + np.nan,
                                     z + np.nan, np.zeros(k + 1, np.int64), np.empty(0),
                                     np.array([0] + [len(table)] * k), np.ones(len(table), bool),
                                     np.array(table))

    assert score_kernel.item_order(items(4, []), spec([[3, 1], [1, 0, 2]])).tolist() == [3, 1, 0, 2]
    conflict = spec([[0, 1], [1, 0]])
    assert score_kernel.item_order(items(2, []), conflict).tolist() == [0, 1]  # whole: any order
    assert score_kernel.item_order(items(2, [0.5, 1.0]), conflict) is None


# ----------------------------------------------------------------------- random instruments


def _instrument(sets: list[dict[str, Any]], items: list[tuple[str, bool]],
                scores: list[dict[str, Any]], composite: str | None = None) -> Instrument:
    """An instrument from response sets, (set id, reverse) per item and scores naming
    item positions (items in none are fillers); ``composite``: a mean/sum of all scores."""
    used = {i for s in scores for i in s["items"]}  # the other items are fillers
    raw_scores = []
    for k, s in enumerate(scores):
        entry = {"id": f"s{k}", "label": f"score {k}", "items": [f"r_{i + 1}" for i in s["items"]],
                 "aggregation": s["aggregation"]}
        for key in ("keying", "missing"):
            if key in s:
                entry[key] = s[key]
        raw_scores.append(entry)
    if composite:
        raw_scores.append({"id": "total", "label": "total", "scores": [s["id"] for s in raw_scores],
                           "aggregation": composite})
    data = {"format_version": 1, "id": "rnd", "version": "t", "name": "Random", "citation": "test",
            "doi": None, "licence": {"summary": "test", "item_text_included": True},
            "default_response_set": sets[0]["id"], "response_sets": sets,
            "items": [{"id": f"r_{k + 1}", "number": k + 1, "response_set": rs, "reverse": rev,
                       "scored": k in used} for k, (rs, rev) in enumerate(items)],
            "scores": raw_scores,
            "examples": [{"description": "none", "responses": {}, "expected": {}}]}
    return _from_data(data, None, None)


@st.composite
def random_instruments(draw: Any) -> Instrument:
    lo = draw(st.integers(-2, 1))
    width = draw(st.integers(1, 6))
    sets: list[dict[str, Any]] = [{"id": "a", "min": lo, "max": lo + width, "missing_codes": [-99]}]
    if draw(st.booleans()):  # a recoded set with fractional scores
        codes = list(range(1, draw(st.integers(2, 5)) + 1))
        scores = draw(st.lists(st.sampled_from([0, 0.25, 0.5, 1.5, 2.75, 10.1]),
                               min_size=len(codes), max_size=len(codes), unique=True))
        sets.append({"id": "b", "min": 1, "max": codes[-1],
                     "options": [{"code": c, "score": v} for c, v in zip(codes, scores, strict=True)]})
    if draw(st.booleans()):  # a recoded set with scores on a line (read in one pass)
        slope = draw(st.sampled_from([-25.0, -1.0, 0.5, 2.0, 0.1]))
        start = draw(st.sampled_from([0.0, 100.0, 0.25, 0.3]))
        top = draw(st.integers(2, 6))
        sets.append({"id": "d", "min": 1, "max": top,
                     "options": [{"code": c, "score": start + slope * (c - 1)} for c in range(1, top + 1)]})
    if draw(st.booleans()):  # a continuous scale
        sets.append({"id": "c", "min": 0, "max": 10, "integer": False})
    n_items = draw(st.integers(2, 7))
    items = [(draw(st.sampled_from([s["id"] for s in sets])), draw(st.booleans())) for _ in range(n_items)]
    raw = []
    for _ in range(draw(st.integers(1, 3))):
        members = draw(st.lists(st.integers(0, n_items - 1), min_size=1, max_size=n_items, unique=True))
        entry: dict[str, Any] = {"items": members, "aggregation": draw(st.sampled_from(["sum", "mean"]))}
        if draw(st.booleans()):
            entry["keying"] = "raw"
        if draw(st.booleans()):
            need = draw(st.integers(1, len(members)))  # a sum with a lower bar must prorate
            entry["missing"] = {"min_answered": need,
                                "prorate": entry["aggregation"] == "sum" and need < len(members)}
        raw.append(entry)
    composite = draw(st.sampled_from([None, "mean_of_scores", "sum_of_scores"]))
    return _instrument(sets, items, raw, composite)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inst=random_instruments(), seed=st.integers(0, 2**16), blank=st.sampled_from([0.0, 0.2, 0.6]),
       prorate=st.sampled_from([None, 0.5]), reverse_coded=st.booleans())
def test_random_instruments(paths: Paths, inst: Instrument, seed: int, blank: float,
                            prorate: float | None, reverse_coded: bool) -> None:
    data = answers(inst, 40, seed=seed, blank=blank)
    if seed % 3 == 0:
        data.iloc[7, 1] = -99  # a missing code
    ref, got = paths.run(data, inst, id="pid", prorate=prorate, reverse_coded=reverse_coded)
    assert_same(ref, got)


@pytest.mark.parametrize("bad_row", [None, 40, 99])
@pytest.mark.parametrize("inst_id", ["fcs", "ceas", "scs_sf"])
def test_tiles_scored_in_threads(paths: Paths, monkeypatch: pytest.MonkeyPatch, inst_id: str,
                                 bad_row: int | None) -> None:
    """Runs of tiles scored by three threads at once give the numpy path's results; an invalid
    cell in a tile that a worker thread scored still sends the block to the numpy path."""
    import threading

    kernel = score_kernel.load_kernel()
    calls: list[tuple[int, int, int]] = []

    def recording(*args: Any) -> None:
        calls.append((threading.get_ident(), args[7], args[8]))
        kernel(*args)

    monkeypatch.setattr(score_kernel, "_KERNEL", recording)
    spy = score_kernel.score_block
    monkeypatch.setattr(score_kernel, "score_block", lambda X, i, s: spy(X, i, s, tile=7))
    monkeypatch.setattr(score_kernel, "_threads", lambda n_tiles: 3)
    inst = load_instrument(inst_id)
    data = answers(inst, 100, seed=5)
    if bad_row is not None:
        data.iloc[bad_row, 2] = 99.0
    ref, got = paths.run(data, inst, id="pid")
    assert_same(ref, got)
    assert paths.used == [bad_row is None]
    # the calling thread scores the last run; pool threads the others (a pool thread that is
    # done may take the next run, so two or three threads)
    assert [(a, b) for ident, a, b in calls if ident == threading.get_ident()] == [(10, 15)]
    assert sorted((a, b) for _, a, b in calls) == [(0, 5), (5, 10), (10, 15)]  # 100 rows: 15 tiles


def test_threads_follow_cores_and_tiles(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    per = score_kernel.TILES_PER_THREAD
    assert [score_kernel._threads(n) for n in (0, 1, per, 2 * per - 1, 2 * per, 100 * per)] == \
           [1, 1, 1, 1, 2, 2]
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert score_kernel._threads(100 * per) == score_kernel.MAX_THREADS
