"""Labelled output files: SPSS ``.sav``, Stata ``.dta`` and Parquet with variable labels,
value labels and measurement levels.

:func:`score_metadata` describes a scores table (each score's label and instrument, band
columns with value labels, measure levels); :class:`TableMetadata` writes it
(``compassion_scales.io.write_table(df, path, metadata=meta)`` calls :meth:`TableMetadata.write`).
SPSS and Stata store band columns as integer codes with value labels; Parquet keeps the
text and stores every label in the schema (``cscore`` key of the schema metadata, and a
``description`` per field).

Examples
--------
>>> import pandas as pd
>>> meta = TableMetadata(variable_labels={"x": "Self-compassion total (SCS 2003)"},
...                      measure={"x": "scale"})
>>> meta.label("x")
'Self-compassion total (SCS 2003)'
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["TableMetadata", "score_metadata", "read_metadata", "LABELLED_SUFFIXES"]

LABELLED_SUFFIXES = (".sav", ".dta", ".parquet")

#: SPSS/Stata variable labels are at most this long (Stata's limit; SPSS allows more)
_LABEL_MAX = 80


@dataclass(frozen=True)
class TableMetadata:
    """Labels of a table's columns.

    Attributes
    ----------
    variable_labels : dict
        Column -> label.
    value_labels : dict
        Column -> {code: label}; text columns listed here are written as integer codes
        (1, 2, ...) in SPSS/Stata, in the order of the labels.
    measure : dict
        Column -> ``"nominal"``, ``"ordinal"`` or ``"scale"`` (SPSS measurement level).
    file_label : str, optional
    extra : dict
        More JSON-able metadata kept in Parquet schemas (e.g. band sources).
    """

    variable_labels: Mapping[str, str] = field(default_factory=dict)
    value_labels: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    measure: Mapping[str, str] = field(default_factory=dict)
    file_label: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def label(self, column: str) -> str | None:
        return self.variable_labels.get(column)

    def coded(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with text columns that have value labels replaced by their integer codes."""
        out = df.copy()
        for col, labels in self.value_labels.items():
            if col in out.columns and not pd.api.types.is_numeric_dtype(out[col]):
                codes = {lab: code for code, lab in labels.items()}
                out[col] = out[col].map(codes).astype("float64")
        return out

    def write(self, df: pd.DataFrame, path: str | Path) -> None:
        """Write ``df`` with these labels; the format comes from the suffix of ``path``."""
        from compassion_scales.errors import OutputFileError

        suffix = Path(path).suffix.lower()
        cols = [str(c) for c in df.columns]
        if suffix in (".sav", ".dta"):
            import pyreadstat

            frame = self.coded(df)
            for col in frame.columns:
                if isinstance(frame[col].dtype, pd.StringDtype) or frame[col].dtype == object:
                    frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
            labels: list[str | None] = [(self.variable_labels.get(c) or "")[:_LABEL_MAX] for c in cols]
            vlabels: dict[str, dict[int | float, str]] = {
                c: {int(k): v for k, v in lab.items()} for c, lab in self.value_labels.items()
                if c in cols}
            try:
                if suffix == ".sav":
                    levels = {c: m for c, m in self.measure.items() if c in cols}
                    pyreadstat.write_sav(frame, str(path), column_labels=labels,
                                         variable_value_labels=vlabels or None,
                                         variable_measure=levels or None,
                                         file_label=(self.file_label or "")[:64])
                else:
                    pyreadstat.write_dta(frame, str(path), column_labels=labels,
                                         variable_value_labels=vlabels or None,
                                         file_label=(self.file_label or "")[:80])
            except Exception as exc:  # a refused column name: say which
                from compassion_scales.io import stat_name_error

                named = stat_name_error(path, exc, cols)
                if named is None:
                    raise
                raise named from None
        elif suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            fields = []
            for f in table.schema:
                meta = {}
                if f.name in self.variable_labels:
                    meta[b"description"] = self.variable_labels[f.name].encode()
                if f.name in self.measure:
                    meta[b"measure"] = self.measure[f.name].encode()
                if f.name in self.value_labels:
                    meta[b"value_labels"] = json.dumps(
                        {str(k): v for k, v in self.value_labels[f.name].items()}).encode()
                fields.append(f.with_metadata(meta) if meta else f)
            schema = pa.schema(fields, metadata={**(table.schema.metadata or {}),
                                                 b"cscore": json.dumps(self.to_dict()).encode()})
            pq.write_table(table.cast(schema), str(path))
        else:
            raise OutputFileError(f"{path}: labels can be written only to "
                                  + ", ".join(LABELLED_SUFFIXES) + " files.")

    def to_dict(self) -> dict[str, Any]:
        return {"variable_labels": dict(self.variable_labels),
                "value_labels": {c: {str(k): v for k, v in lab.items()}
                                 for c, lab in self.value_labels.items()},
                "measure": dict(self.measure), "file_label": self.file_label,
                "extra": dict(self.extra)}


def instrument_name(inst: Any) -> str:
    """Short name with version, e.g. ``FCS 2011`` or ``ProQOL 5`` (version not repeated)."""
    abbrev = str(inst.raw.get("abbreviation") or inst.id.upper()) if hasattr(inst, "raw") else inst.id
    version = str(inst.version)
    return abbrev if version.split()[0] in abbrev.split() else f"{abbrev} {version}"


def score_metadata(scores: pd.DataFrame, instruments: Sequence[Any], bands: Sequence[Any] = (),
                   id_cols: Sequence[str] = ()) -> TableMetadata:
    """Labels for a scores table: ``"<score label> (<instrument> <version>)"`` per score,
    value labels and ``ordinal`` level for band columns, ``scale`` for scores and
    ``nominal`` for identifiers and other text columns.

    Parameters
    ----------
    scores : DataFrame
        The scores table (score columns named by score id).
    instruments : list of Instrument
    bands : list of BandSet
        From :func:`compassion_scales.score_bands.add_bands`.
    id_cols : list of str
    """
    labels: dict[str, str] = {}
    measure: dict[str, str] = {}
    values: dict[str, dict[int, str]] = {}
    names = []
    for inst in instruments:
        name = instrument_name(inst)
        names.append(name)
        for s in inst.scores:
            if s.id in scores.columns:
                labels[s.id] = f"{s.label} ({name})"
                measure[s.id] = "scale"
    for b in bands:
        if b.column in scores.columns:
            labels[b.column] = f"{labels.get(b.score, b.score)}: {b.name}"
            values[b.column] = b.codes()
            measure[b.column] = "ordinal"
    for c in scores.columns:
        c = str(c)
        if c in measure:
            continue
        if c in id_cols:
            labels.setdefault(c, "Identifier")
        measure[c] = "scale" if pd.api.types.is_numeric_dtype(scores[c]) and c not in id_cols \
            else "nominal"
    extra = {"bands": [{"column": b.column, "name": b.name, "status": b.status, "source": b.source,
                        "instrument": b.instrument} for b in bands]}
    return TableMetadata(variable_labels=labels, value_labels=values, measure=measure,
                         file_label=("cscore scores: " + ", ".join(names)) if names else None,
                         extra=extra)


def read_metadata(path: str | Path) -> TableMetadata:
    """The labels stored in a ``.sav``, ``.dta`` or ``.parquet`` file (for checks and tests)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        schema = pq.read_schema(str(path))
        raw = (schema.metadata or {}).get(b"cscore")
        if raw is None:
            return TableMetadata()
        d = json.loads(raw)
        return TableMetadata(variable_labels=d["variable_labels"],
                             value_labels={c: {int(k): v for k, v in lab.items()}
                                           for c, lab in d["value_labels"].items()},
                             measure=d["measure"], file_label=d.get("file_label"),
                             extra=d.get("extra", {}))
    import pyreadstat

    reader = pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta
    _df, meta = reader(str(path), metadataonly=True)
    labels = {c: lab for c, lab in meta.column_names_to_labels.items() if lab}
    vlabels = {c: {int(k): v for k, v in meta.value_labels[name].items()}
               for c, name in meta.variable_to_label.items()}
    return TableMetadata(variable_labels=labels, value_labels=vlabels,
                         measure=dict(getattr(meta, "variable_measure", {}) or {}),
                         file_label=meta.file_label)


def with_bands(result: Any) -> tuple[Any, list[Any]]:
    """A scoring result whose ``scores`` carry a ``<score>_band`` column per banded score.

    Returns the new result and the band sets used (see
    :func:`compassion_scales.score_bands.add_bands`).
    """
    import dataclasses

    from compassion_scales.score_bands import add_bands

    frame, used = add_bands(result.scores, list(result.instruments))
    return dataclasses.replace(result, scores=frame), used


def result_metadata(result: Any, bands: Sequence[Any] = (), id_cols: Sequence[str] = ()) -> TableMetadata:
    """:func:`score_metadata` for a scoring result."""
    return score_metadata(result.scores, list(result.instruments), bands, id_cols)


def bands_provenance(bands: Sequence[Any]) -> dict[str, Any]:
    """What the provenance sidecar records about band columns (name, status, source)."""
    return {"bands": [{"column": b.column, "score": b.score, "name": b.name,
                       "labels": list(b.labels), "lower_bounds": list(b.lower), "status": b.status,
                       "source": b.source, "instrument": b.instrument} for b in bands]}
