"""How often a streamed read that pyarrow refuses part-way ends the process cleanly (#16).

Runs the same small script ``--runs`` times in fresh processes: it streams a CSV file whose
second row is longer than a block (so pyarrow's read-ahead thread is busy when the parse
fails), catches the one-line InputFileError and closes the reader. Before the fix about 1
run in 10 (more under load) ended with "terminate called without an active exception"
(exit -6). Prints the exit codes and how often each came. Usage::

    python benchmarks/check_stream_error_exit.py [--runs 100] [--pythonpath CHECKOUT]
"""
from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = ("import sys\nfrom pathlib import Path\n"
          "from compassion_scales.streaming import _csv_batches, _HashingReader\n"
          "reader = _HashingReader(Path(sys.argv[1]))\n"
          "try:\n    list(_csv_batches(Path(sys.argv[1]), delimiter=None, encoding=None, "
          "id_cols=['pid'], block_size=1024, reader=reader))\n"
          "except Exception as exc:\n    print(type(exc).__name__)\n"
          "reader.close()\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--pythonpath", default=None, help="a checkout to import cscore from")
    a = ap.parse_args()
    env = dict(os.environ)
    if a.pythonpath:
        env["PYTHONPATH"] = a.pythonpath
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "long.csv"
        src.write_text("pid,fcs_self_1,note\na,1," + "x" * 5000 + "\nb,2,y\n")
        codes = collections.Counter(
            subprocess.run([sys.executable, "-c", SCRIPT, str(src)], capture_output=True,
                           env=env, cwd=tmp).returncode for _ in range(a.runs))
    print(f"exit codes over {a.runs} runs: {dict(codes)}")


if __name__ == "__main__":
    main()
