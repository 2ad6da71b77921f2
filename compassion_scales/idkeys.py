"""One text key per row from one or more identifier columns (shared by scoring, the input
layer and streaming)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

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


#: Longest text (bytes) :func:`surely_unique` packs into words; longer ids are hashed by pandas.
PACKED_BYTES = 32


def surely_unique(values: pd.Series) -> bool:
    """True when the non-missing values of an arrow text column are certainly all different.

    Each text of at most :data:`PACKED_BYTES` bytes (and no NUL byte) is read from the arrow
    buffers as 64-bit words, zero after its end: two texts are equal exactly when their words
    are. One word is compared as it is; several are mixed into one, so that two different
    texts may meet (then the answer is False). Sorting those numbers finds a repeat ~6x
    faster than hashing the texts (10⁶ ids: 22 ms against 140 ms for
    ``Series.duplicated``). False also when this cannot tell (not arrow text, longer
    texts): the caller then checks exactly.

    Examples
    --------
    >>> ids = pd.Series(["P1", "P2", None, "P10"], dtype="string[pyarrow]")
    >>> surely_unique(ids), surely_unique(pd.Series(["P1", "P2", "P1"], dtype="string[pyarrow]"))
    (True, False)
    """
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        return False
    import pyarrow as pa

    try:
        chunks = pa.chunked_array(pa.array(values.array)).chunks
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # pragma: no cover - defensive
        return False
    if not all(pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in chunks):
        return False  # string views, dictionaries: another buffer layout
    offsets = [_offsets(c) for c in chunks]
    longest = max((int(np.diff(o).max()) for o in offsets if len(o) > 1), default=0)
    if longest > PACKED_BYTES:
        return False
    n_words = max(1, -(-longest // 8))  # the same for every chunk: equal texts, equal keys
    keys = []
    for chunk, offs in zip(chunks, offsets, strict=True):
        packed = _packed_keys(chunk, offs, n_words)
        if packed is None:
            return False
        keys.append(packed)
    key = np.concatenate(keys) if keys else np.empty(0, np.uint64)
    key.sort()
    return not bool((key[1:] == key[:-1]).any())


def _offsets(chunk: Any) -> np.ndarray:
    """The offsets of one arrow string chunk (its texts' starts and the end), as int64."""
    import pyarrow as pa

    bufs = chunk.buffers()
    if len(chunk) == 0 or len(bufs) < 3 or bufs[1] is None:
        return np.zeros(1, np.int64)
    off_t = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    return np.frombuffer(bufs[1], dtype=off_t)[chunk.offset: chunk.offset + len(chunk) + 1].astype(np.int64)


def _packed_keys(chunk: Any, offs: np.ndarray, n_words: int) -> np.ndarray | None:
    """The non-missing texts of one arrow string chunk as uint64 keys made of ``n_words``
    words (equal texts, equal keys; one word: different texts, different keys), or None (a
    NUL byte)."""
    from numpy.lib.stride_tricks import sliding_window_view

    n = len(chunk)
    bufs = chunk.buffers()
    if n == 0:
        return np.empty(0, np.uint64)
    lens = np.diff(offs)
    base = int(offs[0])
    data = np.frombuffer(bufs[2], dtype=np.uint8)[base:int(offs[-1])] if bufs[2] is not None \
        else np.empty(0, np.uint8)
    if not data.all():  # a NUL byte: "a" and "a\0" would pack alike
        return None
    padded = np.concatenate([data, np.zeros(8 * n_words, np.uint8)])
    words = sliding_window_view(padded, 8 * n_words)[offs[:-1] - base].view("<u8")
    for w in range(n_words):  # zero the bytes after each text's end (they belong to the next)
        left = np.clip(lens - 8 * w, 0, 8)
        part = left < 8
        words[part, w] &= np.left_shift(np.uint64(1), (8 * left[part]).astype(np.uint64)) - np.uint64(1)
    key = words[:, 0].copy()
    for w in range(1, n_words):  # mix the words (a collision only sends the check to pandas)
        key *= np.uint64(0x9E3779B97F4A7C15)
        key ^= words[:, w] + np.uint64(w) * lens.astype(np.uint64)
    if chunk.null_count and bufs[0] is not None:
        valid = np.unpackbits(np.frombuffer(bufs[0], dtype=np.uint8),
                              count=chunk.offset + n, bitorder="little")[chunk.offset:]
        key = key[valid.astype(bool)]
    return key
