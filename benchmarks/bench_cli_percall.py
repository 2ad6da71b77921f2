"""CPU time per in-process CLI call (click's runner): the per-call cost a test or a script
pays after the imports. Usage, from ``examples/``::

    python ../benchmarks/bench_cli_percall.py score responses.csv --id pid --id time -o /tmp/pc.csv

Prints the median over 5 rounds of 10 calls. Run two checkouts alternately to compare.
"""
from __future__ import annotations

import statistics
import sys
import time

from click.testing import CliRunner

from compassion_scales.cli import main


def per_call_ms(argv: list[str], rounds: int = 5, calls: int = 10) -> float:
    runner = CliRunner()
    first = runner.invoke(main, argv)
    if first.exit_code != 0:
        raise SystemExit(first.output)
    times = []
    for _ in range(rounds):
        t = time.process_time()
        for _ in range(calls):
            runner.invoke(main, argv)
        times.append((time.process_time() - t) / calls * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    args = sys.argv[1:]
    print(f"{per_call_ms(args):.1f} ms CPU per call (median of 5 x 10): cscore {' '.join(args)}")
