"""One text key per row from one or more identifier columns (shared by scoring, the input
layer and streaming)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from compassion_scales.arrow_text import is_plain_text, null_mask, text_bytes, text_offsets

#: joins the parts of a key (a control character no identifier holds)
KEY_SEPARATOR = "\x1f"


def join_columns(text: pd.DataFrame, sep: str = KEY_SEPARATOR) -> pd.Series:
    """The text columns of ``text`` joined row by row with ``sep``, in one vectorised call.

    A row with a missing part has a missing key. One column is returned as it is.

    Examples
    --------
    >>> frame = pd.DataFrame({"pid": ["P1", "P2", None], "time": ["1", "2", "1"]}, dtype="string")
    >>> join_columns(frame, sep="/").tolist()
    ['P1/1', 'P2/2', <NA>]
    """
    first = text.iloc[:, 0]
    if text.shape[1] == 1:
        return first
    return first.str.cat([text.iloc[:, j] for j in range(1, text.shape[1])], sep=sep)


#: stands for an empty part in the key of a row whose other identifier parts are filled
EMPTY_PART = "\x1e"


def row_keys(text: pd.DataFrame) -> pd.Series:
    """One key per row from text identifier columns: the rule every identifier check follows.

    With one column, the key is the column (an empty cell has no key). With several, a row is
    identified by its filled parts plus "empty" in the others (an empty part counts as a value
    when rows are compared: a REDCap export's base row has an empty
    ``redcap_repeat_instance``); only a row whose parts are all empty has a missing key.

    Examples
    --------
    >>> frame = pd.DataFrame({"rid": ["1", "1", "1", None], "inst": [None, "1", None, None]},
    ...                      dtype="string")
    >>> keys = row_keys(frame)
    >>> keys.isna().tolist(), keys.duplicated().tolist()
    ([False, False, False, True], [False, False, True, False])
    """
    if text.shape[1] == 1:
        return text.iloc[:, 0]
    return join_columns(text.fillna(EMPTY_PART)).mask(text.isna().all(axis=1).to_numpy())


def blank_as_missing(ids: pd.DataFrame) -> pd.DataFrame:
    """``ids`` with text cells that hold only spaces (or tabs) made missing: a cell that looks
    empty is an empty identifier in every check. Other cells, and number columns, are kept.

    Examples
    --------
    >>> frame = pd.DataFrame({"pid": ["P1", " ", "", None, " P2"]}, dtype="string")
    >>> blank_as_missing(frame)["pid"].tolist()
    ['P1', <NA>, <NA>, <NA>, ' P2']
    """
    text = [c for c in ids.columns if ids[c].dtype == object or isinstance(ids[c].dtype, pd.StringDtype)]
    if not text:
        return ids
    out = ids.copy()
    for c in text:  # one vectorised pass per identifier column (there are one to three)
        out[c] = out[c].mask(out[c].astype("string").str.strip().eq("").fillna(False).to_numpy())
    return out


def file_row_numbers(data: pd.DataFrame, first_row: int | None = None) -> np.ndarray:
    """Each row's number in the file it came from (header = row 1), kept through subsets:
    ``data.attrs["row_numbers"]`` (one occasion of long data), else ``first_row`` (default
    ``data.attrs["first_row"]``, else 2) onwards.

    Examples
    --------
    >>> file_row_numbers(pd.DataFrame({"pid": ["a", "b"]})).tolist()
    [2, 3]
    """
    known = data.attrs.get("row_numbers")
    if known is not None and len(known) == len(data):
        return np.asarray(known, dtype=np.int64)
    start = int(first_row if first_row is not None else data.attrs.get("first_row", 2))
    return np.arange(start, start + len(data), dtype=np.int64)


def no_identifier(ids: pd.DataFrame) -> np.ndarray:
    """Rows without an identifier (see :func:`row_keys`): the cell is empty (one column) or
    every part is empty (several columns); none when there is no identifier column."""
    if ids.shape[1] == 0:
        return np.zeros(len(ids), dtype=bool)
    return ids.isna().all(axis=1).to_numpy()


def shown_ids(ids: pd.DataFrame) -> pd.Series:
    """Each row's identifier as messages show it: the parts joined with `` / ``, an empty
    part written ``(empty)``.

    Examples
    --------
    >>> shown_ids(pd.DataFrame({"rid": [7, 7], "inst": ["1", None]})).tolist()
    ['7 / 1', '7 / (empty)']
    >>> shown_ids(pd.DataFrame({"pid": [1.0, 2.5]})).tolist()  # an SPSS/Stata/Excel number
    ['1', '2.5']
    """
    return join_columns(ids.apply(_id_text).fillna("(empty)"), sep=" / ")


def _id_text(column: pd.Series) -> pd.Series:
    """An identifier column as text; whole numbers stored as floats without ``.0``."""
    text = column.astype("string")
    if pd.api.types.is_float_dtype(column.dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(values) & (np.abs(values) < 2.0 ** 53)
        whole[whole] = values[whole] == np.floor(values[whole])
        text[whole] = pd.array(values[whole].astype(np.int64)).astype("string")
    return text


#: Longest text (bytes) :func:`surely_unique` packs into words; longer ids are hashed by pandas.
PACKED_BYTES = 32


def surely_unique(values: pd.Series) -> bool:
    """True when the non-missing values of an arrow text column, or of a numpy integer or
    float column, are certainly all different.

    Each text of at most :data:`PACKED_BYTES` bytes (and no NUL byte) is read from the arrow
    buffers as 64-bit words, zero after its end: two texts are equal exactly when their words
    are. One word is compared as it is; several are mixed into one, so that two different
    texts may meet (then the answer is False). Sorting those numbers finds a repeat ~6x
    faster than hashing the texts (10⁶ ids: 22 ms against 140 ms for
    ``Series.duplicated``). False also when this cannot tell (not arrow text, longer
    texts): the caller then checks exactly. Numbers are sorted as they are (a column that
    already rises row by row, such as 1, 2, 3, ..., is not sorted at all: 10⁶ ids, 0.2 ms,
    shuffled 5.4 ms, against 12-16 ms for ``Series.duplicated``); ``-0.0`` and ``0.0`` meet, and NaN is missing.

    Examples
    --------
    >>> ids = pd.Series(["P1", "P2", None, "P10"], dtype="string[pyarrow]")
    >>> surely_unique(ids), surely_unique(pd.Series(["P1", "P2", "P1"], dtype="string[pyarrow]"))
    (True, False)
    >>> surely_unique(pd.Series([1, 2, 5])), surely_unique(pd.Series([3.0, np.nan, 1.0, 3.0]))
    (True, False)
    """
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":
        return _numbers_unique(values.to_numpy())
    chunks = _text_chunks(values)
    if chunks is None:
        return False
    offsets = [offs for _, offs in chunks]
    longest = max((int(np.diff(o).max()) for o in offsets if len(o) > 1), default=0)
    if longest > PACKED_BYTES:
        return False
    n_words = max(1, -(-longest // 8))  # the same for every chunk: equal texts, equal keys
    keys = []
    for chunk, offs in chunks:
        packed = _packed_keys(chunk, offs, n_words)
        if packed is None:
            return False
        keys.append(packed)
    key = np.concatenate(keys) if keys else np.empty(0, np.uint64)
    key.sort()
    return not bool((key[1:] == key[:-1]).any())


def _numbers_unique(a: np.ndarray) -> bool:
    """No two non-missing numbers of ``a`` are equal (``-0.0 == 0.0``; NaN is missing)."""
    if a.dtype.kind == "f":
        if len(a) > 1 and bool(np.all(a[1:] > a[:-1])):  # rising: no NaN, no repeat
            return True
        a = a[~np.isnan(a)]
    if len(a) < 2 or bool(np.all(a[1:] > a[:-1])):
        return True
    a = np.sort(a)
    return not bool((a[1:] == a[:-1]).any())


def _text_chunks(values: pd.Series) -> list[tuple[Any, np.ndarray]] | None:
    """The arrow chunks of a text column with their offsets, or None when it is not arrow
    ``string``/``large_string`` text (string views, dictionaries, Python objects)."""
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        return None
    import pyarrow as pa

    try:
        chunks = pa.chunked_array(pa.array(values.array)).chunks
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # pragma: no cover - defensive
        return None
    if not all(is_plain_text(c) for c in chunks):
        return None
    out = []
    for chunk in chunks:
        offs = text_offsets(chunk)
        if offs is None:  # pragma: no cover - arrow text always has offsets
            return None
        out.append((chunk, offs))
    return out


def _words(data: np.ndarray, offs: np.ndarray, n_words: int) -> np.ndarray:
    """Each text (``data[offs[i] - offs[0]:offs[i + 1] - offs[0]]``) as ``n_words`` little-endian
    64-bit words, zero after its end: shape (n_texts, n_words), a new array. Texts longer than
    ``8 * n_words`` bytes are cut."""
    from numpy.lib.stride_tricks import sliding_window_view

    lens = np.diff(offs)
    padded = np.concatenate([data, np.zeros(8 * n_words, np.uint8)])
    words = sliding_window_view(padded, 8 * n_words)[offs[:-1] - offs[0]].view("<u8")
    for w in range(n_words):  # zero the bytes after each text's end (they belong to the next)
        left = np.clip(lens - 8 * w, 0, 8)
        part = left < 8
        words[part, w] &= np.left_shift(np.uint64(1), (8 * left[part]).astype(np.uint64)) - np.uint64(1)
    return words


def _packed_keys(chunk: Any, offs: np.ndarray, n_words: int) -> np.ndarray | None:
    """The non-missing texts of one arrow string chunk as uint64 keys made of ``n_words``
    words (equal texts, equal keys; one word: different texts, different keys), or None (a
    NUL byte)."""
    n = len(chunk)
    if n == 0:
        return np.empty(0, np.uint64)
    data = text_bytes(chunk, offs)
    if not data.all():  # a NUL byte: "a" and "a\0" would pack alike
        return None
    words = _words(data, offs, n_words)
    lens = np.diff(offs).astype(np.uint64)
    key = words[:, 0].copy()
    for w in range(1, n_words):  # mix the words (a collision only sends the check to pandas)
        key *= np.uint64(0x9E3779B97F4A7C15)
        key ^= words[:, w] + np.uint64(w) * lens
    nulls = null_mask(chunk)
    return key if nulls is None else key[~nulls]


def text_hashes(values: pd.Series) -> np.ndarray:
    """A 64-bit hash of each text of a column: equal texts, equal hashes, whatever the other
    texts in the column (so that hashes of separate batches of one file can be compared).

    Arrow text (every CSV column, every ``astype("string")``): a text of at most
    :data:`PACKED_BYTES` bytes is hashed from its bytes read straight from the arrow buffers
    as four zero-padded 64-bit words and its length (~10x faster than
    ``pandas.util.hash_array`` on the texts as Python objects); a longer text, and every text
    of another dtype, with ``pandas.util.hash_array``. Which of the two a text gets depends
    only on the text (and the column's dtype), never on its neighbours. Missing values get
    some hash: leave them out. Different texts may share a hash (check a repeat exactly).
    """
    from pandas.util import hash_array

    chunks = _text_chunks(values)
    if chunks is None:
        return np.asarray(hash_array(values.to_numpy(dtype=object), categorize=False))
    parts = [_mixed_words(chunk, offs) for chunk, offs in chunks]
    lengths = [np.diff(offs) for _, offs in chunks]
    h = np.concatenate(parts) if parts else np.empty(0, np.uint64)
    long = np.concatenate(lengths) > PACKED_BYTES if lengths else np.zeros(0, bool)
    if long.any():
        h[long] = hash_array(values[long].to_numpy(dtype=object), categorize=False)
    return h


_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def _mixed_words(chunk: Any, offs: np.ndarray) -> np.ndarray:
    """splitmix64-style mix of each text's length and its first :data:`PACKED_BYTES` bytes
    as four zero-padded words (only texts up to that length are used by the caller)."""
    if len(chunk) == 0:
        return np.empty(0, np.uint64)
    lens = np.diff(offs)
    words = _words(text_bytes(chunk, offs), offs, PACKED_BYTES // 8)
    h = lens.astype(np.uint64) * _MIX[0]
    for w in range(PACKED_BYTES // 8):
        h ^= words[:, w]
        h *= _MIX[1]
        h ^= h >> np.uint64(31)
    h *= _MIX[2]
    h ^= h >> np.uint64(29)
    return h
