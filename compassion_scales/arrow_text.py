"""Arrow text arrays read straight from their buffers, without Python string objects.

Shared by scoring's parse of answer cells (:func:`compassion_scales.scoring`'s
``_short_whole_numbers``) and the identifier checks of :mod:`compassion_scales.idkeys`. An
arrow ``string``/``large_string`` array keeps its texts back to back in one data buffer, with
an offsets buffer (``int32``/``int64``, one more entry than texts) and a validity bitmap.

Examples
--------
>>> import pyarrow as pa
>>> chunk = pa.array(["x", "ab", None, "c"]).slice(1)
>>> offs = text_offsets(chunk)
>>> offs.tolist(), bytes(text_bytes(chunk, offs)), null_mask(chunk).tolist()
([1, 3, 3, 4], b'abc', [False, True, False])
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["is_plain_text", "null_mask", "text_bytes", "text_offsets"]


def is_plain_text(chunk: Any) -> bool:
    """Whether an arrow array is ``string`` or ``large_string`` (the layout read here; string
    views and dictionaries are not)."""
    import pyarrow as pa

    return bool(pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type))


def text_offsets(chunk: Any) -> np.ndarray | None:
    """The offsets of the chunk's texts (a view, slice offset applied: text ``i`` is
    ``offs[i]:offs[i + 1]`` of the data buffer); None when the buffer is missing."""
    import pyarrow as pa

    n = len(chunk)
    bufs = chunk.buffers()
    if n == 0:
        return np.zeros(1, np.int64)
    if len(bufs) < 3 or bufs[1] is None:
        return None
    off_t = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    return np.frombuffer(bufs[1], dtype=off_t)[chunk.offset: chunk.offset + n + 1]


def text_bytes(chunk: Any, offs: np.ndarray) -> np.ndarray:
    """The bytes of the chunk's texts, back to back (a uint8 view of the data buffer)."""
    data = chunk.buffers()[2] if len(chunk) else None
    if data is None:
        return np.empty(0, np.uint8)
    return np.frombuffer(data, dtype=np.uint8)[int(offs[0]):int(offs[-1])]


def null_mask(chunk: Any) -> np.ndarray | None:
    """True for the chunk's missing values; None when it has none."""
    validity = chunk.buffers()[0]
    if not chunk.null_count or validity is None:
        return None
    valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8),
                          count=chunk.offset + len(chunk), bitorder="little")[chunk.offset:]
    return valid == 0
