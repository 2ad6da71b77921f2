"""Shared fixtures: the reference (R golden) and test-data folders, once per session.

BLAS runs on one thread for the whole session (and in the CLI subprocesses the tests start):
the matrices here are small, and on a shared machine a second OpenBLAS thread waits for a
busy core (the FIML information blocks of the SEM engine ran 20x slower with two threads
on two shared cores). With ``pytest -n 2`` each worker has its own core. Set the variables
yourself to override.

Hypothesis profiles: ``dev`` (60 examples, no deadline: timings on a shared machine vary) and
``ci`` (hypothesis' own CI profile, derandomised, with 150 examples), chosen with
``HYPOTHESIS_PROFILE``; ``ci`` is the default when the ``CI`` variable is set (.ci/run sets it).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from testkit import DATA, REFERENCE, ROOT  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

# numpy may have been imported before this file (a plugin): limit the loaded BLAS too
threadpool_limits(limits=int(os.environ["OPENBLAS_NUM_THREADS"]), user_api="blas")

settings.register_profile("dev", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", deadline=None, max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "2000")), suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("ci"), max_examples=150)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

__all__ = ["ROOT", "REFERENCE", "DATA"]


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``tests/reference``: R scripts and the golden values they wrote."""
    return REFERENCE


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``tests/data``: hand-made test data (instruments, norms, responses)."""
    return DATA


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``--dist loadgroup`` group again under pytest 9.

    pytest-xdist marks a grouped test by appending ``@group`` to ``item._nodeid``; pytest 9
    keeps the node id in a structured ``item._id``, so the mark is lost and the groups
    (``numba``, ``dask``, ``ast``) were spread over every worker, each loading numba, dask or
    the parsed sources (pytest-dev/pytest-xdist#1386). Here the suffix goes into the id
    pytest 9 reads; nothing happens when xdist already set it, outside an xdist worker, or
    if pytest's internals differ (the tests then run ungrouped, as before).
    """
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import NodeId
    except ImportError:  # pytest < 9: xdist's own suffix works
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid and isinstance(getattr(item, "_id", None), NodeId):
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(names)}")
