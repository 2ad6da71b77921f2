"""Score files larger than memory: read, score and write in record batches.

The file is read in record batches (pyarrow's streaming CSV reader, or a Parquet file's
batches); each batch is scored by the same :func:`compassion_scales.scoring.score` as the
in-memory path and written out before the next is read, so peak memory depends on the batch
size, not on the file size. Every row comes out once, in input order. On the same pass:

* identifiers are checked for duplicates across batches (a 64-bit hash and the row number of
  every row go to bucket files on disk; a suspected repeat is confirmed on the identifier
  columns alone before it is reported);
* the per-row ledger is written batch by batch (``row``: the row's number in the file);
* the input's SHA-256 for the provenance sidecar is taken from the bytes as they are read (CSV)
  or in one sequential pass (Parquet, whose reader starts at the footer).

Scores are identical to the in-memory path. Columns kept as they are (not items) are written
as the text of the file (CSV) or with the file's types (Parquet).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pandas as pd

from compassion_scales._compat import renamed_arguments
from compassion_scales.errors import (
    InputFileError,
    OutputFileError,
    Reason,
    ResponseValidationError,
)
from compassion_scales.idkeys import blank_as_missing, row_keys, shown_ids, text_hashes
from compassion_scales.io import (  # the decision lives where files are read (#16)
    STREAM_READ_SUFFIXES,
    STREAM_THRESHOLD_BYTES,
    STREAM_WRITE_SUFFIXES,
    should_stream,
    sniff_delimiter,
    write_csv_table,
)
from compassion_scales.results import ResultMixin

if TYPE_CHECKING:
    from compassion_scales.instrument import InstrumentLike

__all__ = ["StreamResult", "score_stream", "should_stream", "STREAM_THRESHOLD_BYTES",
           "STREAM_READ_SUFFIXES", "STREAM_WRITE_SUFFIXES"]

_FAIL_COLUMNS = ["row", "column", "item", "value", "reason", "message"]


# --------------------------------------------------------------------------- reading


class _HashingReader:
    """A binary file whose bytes are hashed as they are read (for the provenance sidecar).

    Reads at most ``ahead`` blocks beyond the batches taken (:meth:`taken`): pyarrow's
    streaming CSV reader reads ahead in a background thread, up to 32 blocks (128 MB of
    4 MB blocks), so without this gate memory grows with the file until that cap. A read
    that has waited ``patience`` seconds goes ahead anyway, so a reader that needs more
    blocks before its next batch (a row longer than ``ahead`` blocks) can never stall.
    """

    patience = 10.0

    def __init__(self, path: Path, ahead: int = 3) -> None:
        self._fh: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by close()
        self.sha = hashlib.sha256()
        self.closed = False
        self.ahead = ahead
        self._reads = self._taken = self._busy = 0
        self._turn = threading.Condition()
        self._live = 0  # blocks handed to pyarrow and not yet released by it
        self._block = type("_Block", (bytes,), {"__slots__": (), "__del__": self._released})

    def read(self, n: int = -1) -> bytes:
        with self._turn:  # waits (without the GIL) until the consumer has caught up
            self._busy += 1
            self._turn.wait_for(lambda: self.closed or self._reads - self._taken < self.ahead,
                                timeout=self.patience)
            self._reads += 1
        try:
            data = b"" if self.closed else self._fh.read(n)
            self.sha.update(data)
            with self._turn:
                self._live += 1
            return self._block(data)
        finally:
            with self._turn:
                self._busy -= 1
                self._turn.notify_all()

    def taken(self) -> None:
        """One batch has been handed to the consumer: one more block may be read."""
        with self._turn:
            self._taken += 1
            self._turn.notify_all()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._fh.tell()

    def finish(self) -> str:
        """Hash whatever the reader did not consume and return the hex digest."""
        for chunk in iter(lambda: self._fh.read(1 << 20), b""):
            self.sha.update(chunk)
        return self.sha.hexdigest()

    def _released(self, _block: bytes | None = None) -> None:
        """A block pyarrow had is freed (it may be in one of pyarrow's threads)."""
        with self._turn:
            self._live -= 1
            self._turn.notify_all()

    def close(self, drain: bool = False) -> None:
        """Release a read waiting in pyarrow's thread, and let it leave, before closing.

        ``drain`` (after a parse error, once the pyarrow reader is dropped): also wait, at
        most :attr:`patience` seconds, until pyarrow has freed every block it read. Its
        threads free them later; one that does so while the interpreter shuts down is ended
        by Python inside pyarrow's C++ code, and the process aborts ("terminate called
        without an active exception", exit -6).
        """
        with self._turn:
            self.closed = True
            self._turn.notify_all()
            self._turn.wait_for(lambda: self._busy == 0 and (not drain or self._live <= 0),
                                timeout=self.patience)
        self._fh.close()


def _sniff(path: Path, delimiter: str | None, encoding: str | None) -> tuple[str, list[str]]:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise InputFileError(f"{path}: the file is empty (no header row and no data).")
    if head[:3] == b"\xef\xbb\xbf":
        head = head[3:]
    text = head.decode(encoding or "utf-8", errors="replace")
    first = (text.splitlines() or [""])[0]
    sep = delimiter or sniff_delimiter(first, path.suffix.lower())
    import csv

    header = [h.strip() for h in next(csv.reader([first], delimiter=sep))]
    lines = text.split("\n", 3)
    if len(lines) >= 3 and '{"ImportId"' in lines[2]:
        raise InputFileError(f"{path}: Qualtrics exports (two extra header rows) cannot be streamed; "
                             "score them without --stream.")
    return sep, header


def _csv_batches(path: Path, *, delimiter: str | None, encoding: str | None, id_cols: Sequence[str],
                 block_size: int, reader: Any, columns: Sequence[str] | None = None
                 ) -> Iterator[pd.DataFrame]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sep, header = _sniff(path, delimiter, encoding)
    wanted = list(columns) if columns is not None else header
    raw_names = None
    if any(h != h.strip() for h in header):
        raw_names = header  # names are stripped below, as the in-memory reader does
    read_opts = pacsv.ReadOptions(block_size=block_size, encoding=encoding or "utf8",
                                  column_names=raw_names, skip_rows=1 if raw_names else 0)
    conv = pacsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                strings_can_be_null=True, null_values=[""],
                                include_columns=wanted)
    del id_cols  # every column is read as text, as the in-memory reader does
    try:
        # a quoted value may hold a line break: pyarrow must then split blocks quote-aware
        parse = pacsv.ParseOptions(delimiter=sep, newlines_in_values=_has_quote(path))
        stream = pacsv.open_csv(reader, read_options=read_opts, parse_options=parse,
                                convert_options=conv)
        for batch in stream:
            if isinstance(reader, _HashingReader):
                reader.taken()
            batch = batch.rename_columns([str(c).strip() for c in batch.schema.names])
            frame = batch.to_pandas()  # text: scoring converts item columns (digits straight from the buffers)
            frame.attrs["text"] = batch
            yield frame
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if isinstance(reader, _HashingReader):
            # let pyarrow's read-ahead thread leave and free what it read before the file is
            # scanned again and before the process may end (see _HashingReader.close)
            stream = None
            reader.close(drain=True)
        raise _parse_error(path, sep, len(header), encoding, message) from None


def _has_quote(path: Path) -> bool:
    """Whether the file has a double quote anywhere (a byte scan, stops at the first)."""
    with open(path, "rb") as fh:
        return any(b'"' in chunk for chunk in iter(lambda: fh.read(1 << 24), b""))


def _parse_error(path: Path, sep: str, ncols: int, encoding: str | None, msg: str) -> InputFileError:
    """The in-memory reader's one-line messages for what pyarrow's stream reader refused.

    Error path only: the file is scanned again to name the rows (ragged rows, bytes that are
    not valid UTF-8); anything else is reported with pyarrow's first line.
    """
    from compassion_scales.io import encoding_error, ragged_rows_error, table_is_empty

    name = str(path)
    if table_is_empty(msg):  # a header with no line break after it, as the in-memory reader says
        return InputFileError(f"{name}: the file has a header but no data rows.")
    if "columns, got" in msg:
        found, more = _ragged_rows(path, sep, ncols, encoding)
        return ragged_rows_error(name, found, ncols, sep, more=more)
    if "invalid UTF8" in msg or "UTF-8" in msg:
        line, byte = _first_invalid_utf8(path)
        if line:
            return encoding_error(name, line, byte, "utf-8")
    first = msg.strip().splitlines()[0] if msg.strip() else "parse error"
    return InputFileError(f"{name}: cannot be read as a table ({first}). "
                          f"Check the delimiter (detected {sep!r}; set --delimiter).")


def _ragged_rows(path: Path, sep: str, ncols: int, encoding: str | None, limit: int = 20
                 ) -> tuple[list[tuple[int, int]], str | None]:
    """(row number, fields) of the first ``limit`` rows whose field count is not ``ncols``."""
    import csv

    found: list[tuple[int, int]] = []
    with open(path, encoding=encoding or "utf-8-sig", errors="replace", newline="") as fh:
        for rownum, rec in enumerate(csv.reader(fh, delimiter=sep), start=1):
            if rownum > 1 and rec and len(rec) != ncols:
                if len(found) == limit:
                    return found, "... and more rows with the wrong number of fields"
                found.append((rownum, len(rec)))
    return found, None


def _first_invalid_utf8(path: Path) -> tuple[int, str]:
    """(line, byte in hex) of the first byte that is not valid UTF-8; (0, "") if none."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + chunk[: max(exc.start, 0)].count(b"\n"), chunk[exc.start: exc.start + 1].hex()
            line += chunk.count(b"\n")
    return 0, ""


def _parquet_batches(path: Path, batch_rows: int, columns: Sequence[str] | None = None
                     ) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=batch_rows, columns=list(columns) if columns else None):
        yield batch.to_pandas()


# --------------------------------------------------------------------------- writing


class _BatchWriter:
    """Write DataFrames batch by batch to CSV/TSV/Parquet through a temporary file that
    replaces the target only when every batch is written."""

    def __init__(self, path: Path, inputs: Sequence[Path]) -> None:
        suffix = path.suffix.lower()
        if suffix not in STREAM_WRITE_SUFFIXES:
            raise OutputFileError(f"{path}: streaming writes CSV, TSV or Parquet (.csv .tsv .parquet), "
                                  f"not {suffix!r}.")
        for inp in inputs:
            if Path(inp).resolve() == path.resolve():
                raise OutputFileError(f"{path}: refusing to overwrite the input file; choose another "
                                      "output name.")
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.exists():
            raise OutputFileError(f"{path}: the folder {folder} does not exist.")
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=folder)
        os.close(fd)
        self.path, self.tmp, self.suffix = path, Path(tmp), suffix
        self._fh: Any = None
        self._pq: Any = None
        self._schema: Any = None
        self.rows = 0

    def write(self, df: pd.DataFrame) -> None:
        import pyarrow as pa

        table = pa.Table.from_pandas(df, preserve_index=False)
        if self.suffix == ".parquet":
            import pyarrow.parquet as pq

            if self._pq is None:
                self._schema = table.schema
                self._pq = pq.ParquetWriter(str(self.tmp), self._schema)
            else:
                table = table.select(self._schema.names).cast(self._schema)
            self._pq.write_table(table)
        else:
            sep = "," if self.suffix == ".csv" else "\t"
            if self._fh is None:
                self._fh = pa.OSFile(str(self.tmp), "wb")  # closed in close()
            write_csv_table(table, self._fh, sep=sep, quote="needed" if _needs_quotes(df, sep) else "none",
                            header=self.rows == 0)
        self.rows += len(df)

    def close(self, ok: bool) -> None:
        if self._pq is not None:
            self._pq.close()
        if self._fh is not None:
            self._fh.close()
        if ok:
            os.replace(self.tmp, self.path)
        elif self.tmp.exists():
            self.tmp.unlink()


def _needs_quotes(df: pd.DataFrame, sep: str) -> bool:
    import re

    special = f'[{re.escape(sep)}"\r\n]'
    if any(re.search(special, str(c)) for c in df.columns):
        return True
    texts = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])
             and not pd.api.types.is_bool_dtype(df[c])]
    return any(df[c].astype("string").str.contains(special, regex=True).fillna(False).any() for c in texts)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, repr=False)
class StreamResult(ResultMixin):
    """What a streamed scoring run wrote and counted.

    Attributes
    ----------
    summary : DataFrame
        One row per score: the same columns as :attr:`ScoreResult.summary`, accumulated over
        the batches (means and SDs merged from per-batch moments).
    rules, invalid : DataFrame
        As in :class:`~compassion_scales.scoring.ScoreResult` (invalid cells of every batch,
        row numbers as in the file).
    n_rows, n_batches : int
    output, ledger : str or None
        Files written.
    input_sha256 : str
    provenance : dict
        The payload written to ``OUTPUT.provenance.json``.
    """

    summary_table: pd.DataFrame
    rules: pd.DataFrame
    invalid: pd.DataFrame
    score_columns: list[str]
    n_rows: int
    n_batches: int
    output: str | None
    ledger: str | None
    input_sha256: str
    instruments: tuple[Any, ...]
    column_map: dict[str, str]
    not_scored: dict[str, str]
    unused_columns: list[str]
    provenance: dict[str, Any] = field(default_factory=dict)

    _title = "Scores (streamed)"

    @property
    def summary(self) -> pd.DataFrame:
        return self.summary_table

    def _notes(self) -> list[str]:
        from compassion_scales.scoring import name_briefly

        notes = [f"Instrument: {i.id} {i.version} ({i.name})." for i in self.instruments]
        notes.append(f"Streamed in {self.n_batches} batch(es): {self.n_rows} rows scored in input order.")
        if len(self.invalid):
            notes.append(f"{len(self.invalid)} invalid answer(s) were treated as missing "
                         "(--on-invalid missing); see the provenance file for where.")
        for sid, why in self.not_scored.items():
            notes.append(f"Not scored: {sid} ({why}).")
        if self.unused_columns:
            notes.append(f"Columns not used: {name_briefly(self.unused_columns)}.")
        return notes


class _Moments:
    """Count, mean, sum of squared deviations, min and max merged over batches (Chan et al.)."""

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, 0.0, 0.0
        self.lo, self.hi = np.inf, -np.inf

    def add(self, v: np.ndarray) -> None:
        v = v[~np.isnan(v)]
        if not v.size:
            return
        n_b, mean_b = v.size, float(v.mean())
        m2_b = float(((v - mean_b) ** 2).sum())
        n = self.n + n_b
        delta = mean_b - self.mean
        self.mean += delta * n_b / n
        self.m2 += m2_b + delta * delta * self.n * n_b / n
        self.n = n
        self.lo, self.hi = min(self.lo, float(v.min())), max(self.hi, float(v.max()))


# --------------------------------------------------------------------------- main entry


@renamed_arguments(id_cols="id")
def score_stream(path: str | Path, instrument: InstrumentLike | Sequence[InstrumentLike] | None = None, *, output: str | Path | None = None,
                 ledger: str | Path | None = None, id: Sequence[str] | str | None = None,
                 on_invalid: str = "error", column_map: Mapping[str, str] | None = None,
                 patterns: Mapping[str, str] | Sequence[str] | str | None = None,
                 prorate: float | None = None, keep: str = "all", delimiter: str | None = None,
                 encoding: str | None = None, batch_rows: int = 100_000,
                 block_size: int = 4 << 20) -> StreamResult:
    """Score a CSV/TSV or Parquet file in record batches, writing scores (and ledger) as it goes.

    Parameters
    ----------
    path : str or Path
        CSV/TSV/TXT or Parquet file.
    instrument, id, on_invalid, column_map, patterns, prorate, keep
        As in :func:`compassion_scales.scoring.score`.
    output : str or Path, optional
        Scores file (.csv, .tsv or .parquet), written batch by batch with a
        ``.provenance.json`` sidecar.
    ledger : str or Path, optional
        Per-row, per-score ledger file (.csv, .tsv or .parquet).
    delimiter, encoding : str, optional
        For text files (default: sniffed delimiter, UTF-8).
    batch_rows : int
        Rows per Parquet batch.
    block_size : int
        Bytes per CSV block (each block is one batch).

    Returns
    -------
    StreamResult

    Raises
    ------
    InputFileError, OutputFileError, ScoringError
    ResponseValidationError
        Problems of every batch (with file row numbers), after the whole file was read;
        nothing is written then.

    Examples
    --------
    >>> import pandas as pd, tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> src = os.path.join(folder, "in.csv")
    >>> pd.DataFrame({"pid": ["a", "b"], **{f"fcs_self_{i}": [1, 4] for i in range(1, 16)}}
    ...              ).to_csv(src, index=False)
    >>> res = score_stream(src, "fcs", id="pid", output=os.path.join(folder, "out.csv"))
    >>> res.n_rows, res.summary["mean"].tolist()
    (2, [37.5])
    """
    p = Path(path)
    is_csv = _check_stream_input(p, path)
    _check_stream_targets(p, output, ledger, encoding=encoding, delimiter=delimiter)
    ids = [id] if isinstance(id, str) else list(id or [])
    first_row = 2 if is_csv else 1
    writers = [(_BatchWriter(Path(o), [p]) if o is not None else None) for o in (output, ledger)]
    reader = _HashingReader(p) if is_csv else None
    batches: Iterator[pd.DataFrame] = (
        _csv_batches(p, delimiter=delimiter, encoding=encoding, id_cols=ids, block_size=block_size,
                     reader=reader) if is_csv else _parquet_batches(p, batch_rows))
    hashes = _IdHashes() if ids else None
    run = _StreamRun(ids=ids, first_row=first_row, out_w=writers[0], led_w=writers[1],
                     score_options=dict(instrument=instrument, id=ids, on_invalid=on_invalid,
                                        column_map=column_map, patterns=patterns, prorate=prorate,
                                        keep=keep, source=str(path)))
    ok = False
    try:
        for batch in batches:
            text = batch.attrs.pop("text", None)  # before any copy (attrs are deep-copied)
            if hashes is not None and all(c in batch.columns for c in ids):
                hashes.add(batch[ids], run.offset + first_row)
            run.add(batch, text)
            _release_arrow_memory()
        sha = reader.finish() if reader is not None else _sha256(p)
        suspects = hashes.repeats() if hashes is not None else {}
        if suspects:
            run.failures.extend(_confirm_repeats(p, suspects, ids, delimiter=delimiter,
                                                 encoding=encoding, first_row=first_row,
                                                 block_size=block_size, batch_rows=batch_rows,
                                                 is_csv=is_csv))
        first = run.check(path, on_invalid)
        ok = True
    finally:
        _close_all(reader, hashes, writers, ok)
    for msg in run.caught.values():
        warnings.warn_explicit(msg.message, msg.category, msg.filename, msg.lineno)
    summary = _summary(first.rules, run.moments, run.counts)
    bad = (pd.concat(run.invalid, ignore_index=True) if run.invalid
           else pd.DataFrame(columns=_FAIL_COLUMNS))
    payload = _stream_provenance(first, summary, bad, path=path, sha=sha, n_rows=run.offset,
                                 n_batches=run.n_batches, is_csv=is_csv)
    _write_sidecars((output, ledger), payload)
    return StreamResult(summary_table=summary, rules=first.rules, invalid=bad,
                        score_columns=list(first.score_columns), n_rows=run.offset,
                        n_batches=run.n_batches, output=str(output) if output else None,
                        ledger=str(ledger) if ledger else None,
                        input_sha256=sha, instruments=tuple(first.instruments),
                        column_map=dict(first.column_map), not_scored=dict(first.not_scored),
                        unused_columns=list(first.unused_columns), provenance=payload)


def _close_all(reader: _HashingReader | None, hashes: _IdHashes | None,
               writers: Sequence[_BatchWriter | None], ok: bool) -> None:
    """Close the reader, the id hashes and the writers (which keep their file only if ``ok``)."""
    if reader is not None:
        reader.close()
    if hashes is not None:
        hashes.close()
    for writer in writers:
        if writer is not None:
            writer.close(ok)


def _write_sidecars(targets: Sequence[str | Path | None], payload: dict[str, Any]) -> None:
    """A ``.provenance.json`` beside each file written."""
    if any(t is not None for t in targets):
        from compassion_scales.io import write_provenance

        for target in targets:
            if target is not None:
                write_provenance(target, payload)


def stream_blockers(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
                    ) -> list[str]:
    """Why a text file cannot be scored in batches exactly as in memory (empty: it can).

    The head of the file is read by the in-memory reader (:func:`compassion_scales.io.read_head`):
    its errors (a repeated or empty column name, bytes that are not valid text...) are raised
    as they are; exports it rewrites (UTF-16, Qualtrics' extra header rows, a ``sep=`` line,
    a delimiter at the end of every line, LimeSurvey columns, a header it cleans) are
    reasons to read the whole file instead.

    Examples
    --------
    >>> import tempfile, os
    >>> src = os.path.join(tempfile.mkdtemp(), "plain.csv")
    >>> _ = open(src, "w").write("pid,fcs_self_1\\na,3\\n")
    >>> stream_blockers(src)
    []
    """
    from compassion_scales.io import read_head

    p = Path(path)
    if p.suffix.lower() in (".parquet", ".pq"):
        return []
    head = read_head(p, encoding=encoding, delimiter=delimiter)
    reasons = [str(n) for n in head.attrs.get("notes", [])]
    if head.attrs.get("first_row") != 2:
        reasons.append("rows above the data besides the header")
    if not reasons and _blank_line_inside(p):
        reasons.append("a blank line between data rows")
    if not reasons:
        _, header = _sniff(p, delimiter, encoding)
        if header != [str(c) for c in head.columns]:
            reasons.append("a header the full reader has to clean")
    return reasons


def _blank_line_inside(p: Path, limit: int = 1 << 20) -> bool:
    """A blank line before the last row in the file's first ``limit`` bytes (the batch reader
    would drop it silently, where the full reader keeps it as a row)."""
    import re

    with open(p, "rb") as fh:
        head = fh.read(limit)
    return re.search(rb"\n[ \t]*\r?\n[ \t]*[^\s]", head) is not None


def _check_stream_targets(p: Path, output: str | Path | None, ledger: str | Path | None, *,
                         encoding: str | None, delimiter: str | None) -> None:
    """Two outputs in one file, or an input only the full reader reads faithfully: refused."""
    if output is not None and ledger is not None and Path(output).resolve() == Path(ledger).resolve():
        raise OutputFileError(f"{output}: named twice as an output; give each output its own file.")
    reasons = stream_blockers(p, encoding=encoding, delimiter=delimiter)
    if reasons:
        raise InputFileError(f"{p}: cannot be scored in batches ({reasons[0].removeprefix(f'{p}: ')}); "
                             "score it without --stream.")


def _check_stream_input(p: Path, path: str | Path) -> bool:
    """The file exists, is CSV/TSV or Parquet and is not empty; whether it is text."""
    if not p.is_file():
        raise InputFileError(f"{path}: no such file.")
    suffix = p.suffix.lower()
    if suffix not in STREAM_READ_SUFFIXES:
        raise InputFileError(f"{path}: only CSV/TSV and Parquet files can be streamed; score "
                             f"{suffix or 'this'} files without --stream.")
    if p.stat().st_size == 0:
        raise InputFileError(f"{path}: the file is empty (no header row and no data).")
    return suffix not in (".parquet", ".pq")


class _StreamRun:
    """What scoring the batches in turn gathers: failures of every batch, invalid cells,
    running moments and counts per score, warnings (once each) and the first result."""

    def __init__(self, *, ids: list[str], first_row: int, out_w: _BatchWriter | None,
                 led_w: _BatchWriter | None, score_options: dict[str, Any]) -> None:
        self.ids, self.first_row, self.out_w, self.led_w = ids, first_row, out_w, led_w
        self.score_options = score_options
        self.failures: list[pd.DataFrame] = []
        self.invalid: list[pd.DataFrame] = []
        self.moments: dict[str, _Moments] = {}
        self.counts: dict[str, dict[str, int]] = {}
        self.caught: dict[tuple[type, str], warnings.WarningMessage] = {}
        self.first: Any = None
        self.columns: list[Any] = []  # the file's columns (for the hint on repeated identifiers)
        self.offset = self.n_batches = 0

    def add(self, batch: pd.DataFrame, text: Any) -> None:
        """Score one batch (``text``: its pyarrow text columns, for CSV); write it unless an
        earlier batch failed; tally it."""
        from compassion_scales.scoring import score

        self.n_batches += 1
        self.columns = list(batch.columns)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            try:
                res = score(batch, first_row=self.first_row + self.offset, **self.score_options)
            except ResponseValidationError as exc:
                self.failures.append(exc.failure_cases)
                self.offset += len(batch)
                return
        for w in rec:
            self.caught.setdefault((w.category, str(w.message)), w)
        if self.first is None:
            self.first = res
        scores = res.scores
        if text is not None:  # columns kept as they are: the file's text (the batch is text)
            kept = [c for c in scores.columns if c not in res.score_columns]
            scores = scores.astype({c: "string" for c in kept})
        if not self.failures:
            self._write(res, scores, text)
        if len(res.invalid):
            self.invalid.append(res.invalid)
        for sid in res.score_columns:
            self.moments.setdefault(sid, _Moments()).add(scores[sid].to_numpy(dtype=float))
            st = res.status[sid]
            cnt = self.counts.setdefault(sid, {"n_rows": 0, "n_complete": 0, "n_prorated": 0})
            cnt["n_rows"] += len(st)
            cnt["n_complete"] += int((st == "complete").sum())
            cnt["n_prorated"] += int(st.isin(["prorated", "mean_of_answered"]).sum())
        self.offset += len(batch)

    def _write(self, res: Any, scores: pd.DataFrame, text: Any) -> None:
        if self.out_w is not None:
            self.out_w.write(scores)
        if self.led_w is not None:
            lg = res.ledger  # rows already numbered in the file (score() got this batch's first_row)
            for c in self.ids:
                if text is not None:
                    lg[c] = lg[c].astype("string")
            self.led_w.write(lg)

    def check(self, path: str | Path, on_invalid: str) -> Any:
        """Raise every batch's problems together; the first batch's result otherwise."""
        if self.failures:
            cases = pd.concat(self.failures, ignore_index=True).sort_values("row", kind="stable")
            # a repeat inside one batch is reported by score() and by the cross-batch check
            cases = cases.drop_duplicates(["row", "reason", "message"]).reset_index(drop=True)
            raise ResponseValidationError(ResponseValidationError.summary_message(
                cases, on_invalid == "error", columns=self.columns), failure_cases=cases, source=str(path))
        if self.first is None:
            raise InputFileError(f"{path}: the file has a header but no data rows.")
        return self.first


def _stream_provenance(first: Any, summary: pd.DataFrame, bad: pd.DataFrame, *, path: str | Path,
                       sha: str, n_rows: int, n_batches: int, is_csv: bool) -> dict[str, Any]:
    """The provenance sidecar of a streamed run (as :func:`compassion_scales.io.provenance_payload`)."""
    return {
        "command": "score",
        "input": {"path": str(path), "sha256": sha},
        "instruments": [{"id": i.id, "version": i.version, "file": i.path, "sha256": i.sha256}
                        for i in first.instruments],
        "options": dict(first.options),
        "rows_read": n_rows, "rows_out": n_rows,
        "scores": {r["score"]: {"n_scored": r["n_scored"], "n_missing": r["n_missing"],
                                "n_prorated": r["n_prorated"], "rule": r["rule"]}
                   for _, r in summary.iterrows()},
        "invalid_cells": int(len(bad)),
        "invalid": bad.to_dict(orient="records"),
        "column_map": first.column_map,
        "not_scored": first.not_scored,
        "unused_columns": first.unused_columns,
        "streaming": {"batches": n_batches, "reader": "pyarrow " + ("csv" if is_csv else "parquet")},
    }


def _release_arrow_memory() -> None:
    """Hand freed Arrow buffers back to the system between batches (keeps RSS flat)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _id_keys(ids: pd.DataFrame) -> pd.Series:
    return row_keys(blank_as_missing(ids.astype("string")))  # a cell of only spaces is empty


def _hash_keys(keys: pd.Series) -> np.ndarray:
    # the same text, the same hash in every batch (repeats are then confirmed exactly)
    return text_hashes(keys)


class _IdHashes:
    """A 64-bit hash of every row's identifier with its row number, spilled to 64 bucket files
    on disk (16 bytes a row on disk, one bucket in memory at a time), so repeats across batches
    are found with flat memory."""

    BUCKETS = 64
    _DTYPE = np.dtype([("h", "<u8"), ("r", "<i8")])

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="cscore-ids-"))

    def add(self, ids: pd.DataFrame, first_row: int) -> None:
        keys = _id_keys(ids)
        valid = keys.notna().to_numpy()
        h = _hash_keys(keys[valid])
        rows = np.flatnonzero(valid) + first_row
        bucket = (h >> np.uint64(58)).astype(np.uint8)
        order = np.argsort(bucket, kind="stable")  # a radix sort for 8-bit keys
        rec = np.empty(h.size, dtype=self._DTYPE)
        rec["h"], rec["r"] = h[order], rows[order]
        bounds = np.searchsorted(bucket[order], np.arange(self.BUCKETS + 1))
        for k in range(self.BUCKETS):
            if bounds[k] < bounds[k + 1]:
                with open(self.folder / f"{k}.bin", "ab") as fh:
                    rec[bounds[k]:bounds[k + 1]].tofile(fh)

    def repeats(self, limit: int = 1000) -> dict[int, int]:
        """Row -> hash of rows whose identifier hash appeared in an earlier row."""
        out: dict[int, int] = {}
        for k in range(self.BUCKETS):
            f = self.folder / f"{k}.bin"
            if not f.exists():
                continue
            rec = np.fromfile(f, dtype=self._DTYPE)
            if rec.size == 0:
                continue
            hs = np.ascontiguousarray(rec["h"])
            order = np.argsort(hs)  # not stable (faster): the first row of a hash is its least
            hs, rs = hs[order], rec["r"][order]
            start = np.flatnonzero(np.r_[True, hs[1:] != hs[:-1]])
            first = np.repeat(np.minimum.reduceat(rs, start), np.diff(np.r_[start, hs.size]))
            dup = np.flatnonzero(rs != first)
            out.update(zip(rs[dup].tolist(), hs[dup].tolist(), strict=True))
        return dict(sorted(out.items())[:limit])

    def close(self) -> None:
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)


def _confirm_repeats(path: Path, suspects: dict[int, int], ids: Sequence[str], *,
                     delimiter: str | None, encoding: str | None, first_row: int, block_size: int,
                     batch_rows: int, is_csv: bool) -> list[pd.DataFrame]:
    """Re-read the identifier columns only: the identifier at each suspected row and the first
    row holding it (hash collisions between different identifiers are dropped)."""
    hashes = set(suspects.values())
    first_at: dict[str, int] = {}
    key_at: dict[int, tuple[str, str]] = {}
    offset = 0
    fh = _HashingReader(path) if is_csv else None
    try:
        stream = (_csv_batches(path, delimiter=delimiter, encoding=encoding, id_cols=ids,
                               block_size=block_size, reader=fh, columns=ids) if is_csv
                  else _parquet_batches(path, batch_rows, columns=ids))
        for b in stream:
            b.attrs.pop("text", None)
            keys = _id_keys(b[list(ids)])
            valid = keys.notna().to_numpy()
            h = np.zeros(len(b), dtype=np.uint64)
            h[valid] = _hash_keys(keys[valid])
            for pos in np.flatnonzero(valid & np.isin(h, list(hashes))):
                row = int(pos) + offset + first_row
                k = str(keys.iloc[pos])
                first_at.setdefault(k, row)
                if row in suspects:
                    key_at[row] = (k, str(shown_ids(b[list(ids)].iloc[[pos]]).iloc[0]))
            offset += len(b)
    finally:
        if fh is not None:
            fh.close()
    rows: list[dict[str, Any]] = []
    col = ", ".join(ids)
    for row, (k, shown) in sorted(key_at.items()):
        at = first_at[k]
        if at < row:
            rows.append(dict(row=row, column=col, item=None, value=shown, reason=Reason.DUPLICATE_ID.value,
                             message=f"row {row}, column {col}: identifier {shown} already used in row {at}"))
    return [pd.DataFrame(rows, columns=_FAIL_COLUMNS)] if rows else []


def _summary(rules: pd.DataFrame, moments: dict[str, _Moments], counts: dict[str, dict[str, int]]
             ) -> pd.DataFrame:
    rows = []
    for _, r in rules.iterrows():
        sid = r["score"]
        m, c = moments.get(sid, _Moments()), counts.get(sid, {"n_rows": 0, "n_complete": 0, "n_prorated": 0})
        rows.append({
            "instrument": r["instrument"], "score": sid, "n_rows": c["n_rows"], "n_scored": m.n,
            "n_complete": c["n_complete"], "n_prorated": c["n_prorated"], "n_missing": c["n_rows"] - m.n,
            "mean": m.mean if m.n else np.nan,
            "sd": float(np.sqrt(m.m2 / (m.n - 1))) if m.n > 1 else np.nan,
            "min": m.lo if m.n else np.nan, "max": m.hi if m.n else np.nan,
            "possible_min": r["possible_min"], "possible_max": r["possible_max"], "rule": r["rule"],
        })
    return pd.DataFrame(rows)

