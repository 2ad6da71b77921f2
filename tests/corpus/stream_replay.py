"""Replay the corpus's `score` cases that read a text file with ``--stream`` added.

Prints each case whose streamed run differs from what the case expects in memory (exit code,
expected words), and flags any "probably a bug" or traceback. Run from the repository root::

    python tests/corpus/stream_replay.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_corpus  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from compassion_scales.cli import main  # noqa: E402


def replay() -> int:
    bugs = differ = n = 0
    for c in make_corpus.all_cases():
        if c.subprocess or c.stdin is not None or not c.args or c.args[0] != "score":
            continue
        with tempfile.TemporaryDirectory() as d:
            folder = Path(d) / "case"
            c.materialise(folder)
            argv = c.argv(folder)
            if not [a for a in argv if a.endswith((".csv", ".tsv", ".txt")) and "out" not in Path(a).name]:
                continue
            r = CliRunner().invoke(main, [*argv, "--stream"])
            n += 1
            bug = "probably a bug" in r.output or "Traceback" in r.output
            ok = (not bug and r.exit_code == c.exit_code
                  and all(t in r.output for t in c.expected_text(folder)))
            bugs += bug
            if not ok:
                differ += 1
                last = r.output.strip().splitlines()[-1][:200] if r.output.strip() else ""
                print(f"{c.id}: exit {r.exit_code} (in memory {c.exit_code}){' BUG' if bug else ''} :: {last}")
    print(f"{differ} of {n} differ from the in-memory result; {bugs} end in 'probably a bug' or a traceback")
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(replay())
