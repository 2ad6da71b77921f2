"""Thread control for BLAS-heavy kernels."""
from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["single_thread_blas"]


def single_thread_blas() -> Any:
    """Context manager running BLAS on one thread (a no-op without threadpoolctl).

    Matrix products in resampling loops are small or tall and thin: extra BLAS threads add
    synchronisation, and on a busy machine they wait for each other (3-5x slower on two shared
    cores). One thread gives the same numbers up to the last bits of a sum.

    Examples
    --------
    >>> import numpy as np
    >>> with single_thread_blas():
    ...     float((np.ones((3, 2)) @ np.ones(2)).sum())
    6.0
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
