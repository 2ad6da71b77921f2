"""Thread control for BLAS-heavy kernels."""
from __future__ import annotations

import contextlib
from functools import lru_cache
from typing import Any

__all__ = ["single_thread_blas"]


@lru_cache(maxsize=1)
def _controller() -> Any:
    """threadpoolctl's view of the loaded BLAS libraries, found once (scanning the loaded
    libraries took 1.5-6 ms per call; a fit of a small CFA takes a few ms). numpy's and scipy's
    BLAS are loaded first so that both are under the limit."""
    import numpy as np  # noqa: F401
    import scipy.linalg  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


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
        controller = _controller()
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")
