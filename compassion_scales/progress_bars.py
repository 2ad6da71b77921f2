"""Progress bars for long work: shown only on a terminal, silent in pipes and when disabled.

Library functions take ``progress=True/False``; the CLI passes ``True`` unless
``--quiet`` is given, and :func:`bar` still stays silent when standard error is not a
terminal (pipes, CI logs, tests).

Examples
--------
>>> with bar(total=3, desc="work") as b:   # silent here: doctest output is not a terminal
...     for _ in range(3):
...         b.update(1)
>>> list(bar(range(3)))
[0, 1, 2]
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

__all__ = ["bar", "enabled"]


def enabled(progress: bool = True) -> bool:
    """Whether a bar would be drawn: ``progress`` and standard error is a terminal."""
    try:
        return bool(progress) and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def bar(iterable: Iterable[Any] | None = None, *, total: int | None = None, desc: str = "",
        progress: bool = True) -> Any:
    """A tqdm bar on standard error, disabled off a terminal (and when ``progress`` is false)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, disable=not enabled(progress), leave=False,
                file=sys.stderr, dynamic_ncols=True)
