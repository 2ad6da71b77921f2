"""Whole-file operations used by the CLI (and handy in scripts): score a file, provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from compassion_scales.scoring import ScoreResult, score

__all__ = ["score_file", "provenance_payload"]


def score_file(data: pd.DataFrame, instruments: Sequence[str] | None, **options: Any) -> ScoreResult:
    """Score a DataFrame read by :func:`compassion_scales.io.read_responses` (one library call)."""
    return score(data, list(instruments) if instruments else None, **options)


def provenance_payload(result: ScoreResult, input_path: str) -> dict[str, Any]:
    """What the provenance sidecar records about a scoring run."""
    from compassion_scales.io import sha256_file

    summary = result.summary
    opts: Mapping[str, Any] = result.options
    return {
        "command": "score",
        "input": {"path": input_path, "sha256": sha256_file(input_path)},
        "instruments": [{"id": i.id, "version": i.version, "file": i.path, "sha256": i.sha256}
                        for i in result.instruments],
        "options": {k: v for k, v in opts.items()},
        "rows_read": int(len(result.scores)),
        "rows_out": int(len(result.scores)),
        "scores": {row["score"]: {"n_scored": row["n_scored"], "n_missing": row["n_missing"],
                                  "n_prorated": row["n_prorated"], "rule": row["rule"]}
                   for _, row in summary.iterrows()},
        "invalid_cells": int(len(result.invalid)),
        "invalid": result.invalid.to_dict(orient="records"),
        "column_map": result.column_map,
        "not_scored": result.not_scored,
        "unused_columns": result.unused_columns,
    }
