"""`cscore score --engine dask`: a partitioned dataset (several files or a folder) scored with Dask."""

from __future__ import annotations

import glob
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from compassion_scales.cli._options import captured_warnings

_DATASET_SUFFIXES = (".parquet", ".pq")


def dataset_files(paths: Sequence[str]) -> list[str]:
    """The files of a dataset: each path as given, a folder's Parquet files (sorted), or a
    quoted glob pattern expanded (sorted)."""
    files: list[str] = []
    for p in paths:
        if Path(p).is_dir():
            found = sorted(str(f) for f in Path(p).iterdir() if f.suffix.lower() in _DATASET_SUFFIXES)
            if not found:
                raise click.UsageError(f"{p}: the folder holds no Parquet (.parquet) files.")
            files += found
        elif any(ch in p for ch in "*?[") and not Path(p).exists():
            found = sorted(glob.glob(p))
            if not found:
                raise click.UsageError(f"{p}: no file matches this pattern.")
            files += found
        else:
            if not Path(p).is_file():
                raise click.UsageError(f"{p}: no such file.")
            files.append(p)
    return files


def _dask_modules() -> tuple[Any, Any]:
    try:
        import dask
        import dask.dataframe as dd
    except ImportError:
        raise click.UsageError("--engine dask needs Dask: pip install 'compassion-scales[dask]'.") from None
    return dask, dd


def score_with_dask(paths: Sequence[str], wanted: list[str], *, id: list[str], map_file: str | None,
                    patterns: list[str] | None, on_invalid: str, prorate: float | None, keep: str,
                    reverse_coded: bool, output: str | None, out_format: str | None,
                    table_style: str, decimals: int) -> None:
    """Read each file as one partition (the same reader as the in-memory path), score every
    partition with the same function, compute, then write ``-o`` or print the scores."""
    from compassion_scales._format import render_table
    from compassion_scales.io import check_output_path, read_column_map, read_responses, write_table
    from compassion_scales.scoring import score

    files = dataset_files(paths)
    inputs = files + ([map_file] if map_file else [])
    if output:
        check_output_path(output, inputs)
    column_map = read_column_map(map_file) if map_file else None
    dask, dd = _dask_modules()
    meta = read_responses(files[0]).iloc[:0]
    with captured_warnings():
        ddf = dd.from_map(read_responses, files, meta=meta, enforce_metadata=False)
        scored: Any = score(ddf, wanted or None, id=id, on_invalid=on_invalid, column_map=column_map,
                       patterns=patterns, prorate=prorate, keep=keep, reverse_coded=reverse_coded)
        scores = scored.compute().reset_index(drop=True)
    click.echo(f"Scored {len(scores)} rows from {len(files)} file(s) with Dask.", err=True)
    if output:
        write_table(scores, output, inputs=inputs)
        click.echo(f"Wrote {output}", err=True)
        return
    fmt = out_format or ("table" if sys.stdout.isatty() else "csv")
    if fmt == "csv":
        from compassion_scales.io import csv_text

        click.echo(csv_text(scores), nl=False)
    elif fmt == "json":
        click.echo(scores.to_json(orient="records"))
    else:
        click.echo(render_table(scores, fmt=table_style, decimals=decimals))
