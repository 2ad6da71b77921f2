"""Progress bars: drawn on a terminal only, silent in pipes and when disabled."""

from __future__ import annotations

import io
import sys

import numpy as np

import compassion_scales as cs
from compassion_scales.progress_bars import bar, enabled


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_draws_only_on_a_terminal(monkeypatch):
    fake = _Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    assert enabled(True) and not enabled(False)
    assert list(bar(range(3), desc="work")) == [0, 1, 2]
    assert "work" in fake.getvalue()
    quiet = _Tty()
    monkeypatch.setattr(sys, "stderr", quiet)
    list(bar(range(3), desc="work", progress=False))
    assert quiet.getvalue() == ""


def test_bar_silent_in_a_pipe(monkeypatch):
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    assert not enabled(True)
    list(bar(range(3), desc="work"))
    assert pipe.getvalue() == ""


def test_parallel_analysis_progress_on_terminal_same_numbers(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(120, 6)) + rng.normal(size=(120, 1))
    import pandas as pd

    df = pd.DataFrame(x, columns=[f"x{i}" for i in range(6)])
    plain = cs.parallel_analysis(df, n_iter=5, seed=3)
    fake = _Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    shown = cs.parallel_analysis(df, n_iter=5, seed=3, progress=True)
    assert "parallel analysis" in fake.getvalue()
    assert plain.eigenvalues.equals(shown.eigenvalues)
