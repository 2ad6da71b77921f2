"""Reading response files and writing results, with errors a person can act on.

Supported inputs: CSV/TSV/TXT (delimiter sniffed, UTF-8 BOM handled, Qualtrics' extra
header rows detected), Excel (``.xlsx``/``.xlsm``/``.xls``), SPSS ``.sav``/``.zsav``,
Stata ``.dta`` and Parquet. Outputs are chosen by extension and written atomically;
an output path that is one of the inputs is refused.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import json
import os
import platform
import re
import stat
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from compassion_scales.arrow_text import is_plain_text
from compassion_scales.errors import InputFileError, InstrumentError, OutputFileError

if TYPE_CHECKING:
    from compassion_scales.scoring import ScoreResult

__all__ = [
    "read_responses",
    "write_table",
    "csv_text",
    "write_csv_table",
    "write_provenance",
    "write_outputs",
    "sha256_file",
    "qualtrics_header_rows",
    "check_surveymonkey_header",
    "check_above_header",
    "stat_name_error",
    "sniff_delimiter",
    "infer_numeric_columns",
    "read_redcap_dictionary",
    "apply_redcap_dictionary",
    "parse_redcap_choices",
    "RedcapField",
    "limesurvey_columns",
    "is_limesurvey_export",
    "score_file",
    "provenance_payload",
    "READ_SUFFIXES",
    "WRITE_SUFFIXES",
    "should_stream",
    "STREAM_THRESHOLD_BYTES",
    "STREAM_READ_SUFFIXES",
    "STREAM_WRITE_SUFFIXES",
]

READ_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".xlsx", ".xlsm", ".xls", ".sav", ".zsav",
                 ".dta", ".parquet", ".pq")
WRITE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".sav", ".dta", ".parquet", ".json")

#: files larger than this are scored in batches by ``cscore score`` without ``--stream``
#: (the decision is here, not in :mod:`compassion_scales.streaming`, so that a command
#: that does not stream never imports the streaming machinery; #16)
STREAM_THRESHOLD_BYTES = 256 * 1024 * 1024
STREAM_READ_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".parquet", ".pq")
STREAM_WRITE_SUFFIXES = (".csv", ".tsv", ".parquet")


def should_stream(path: str | Path, output: str | Path | None,
                  threshold: int = STREAM_THRESHOLD_BYTES) -> bool:
    """True when ``path`` is larger than ``threshold`` bytes (or than a tenth of the available
    memory) and both the input and the output formats can be streamed.

    Examples
    --------
    >>> should_stream("no-such-file.csv", "out.csv")
    False
    """
    p = Path(path)
    if output is None or not p.is_file():
        return False
    if p.suffix.lower() not in STREAM_READ_SUFFIXES or Path(output).suffix.lower() not in STREAM_WRITE_SUFFIXES:
        return False
    size = p.stat().st_size
    free = _available_memory()
    return size > threshold or (free is not None and size * 10 > free)


def _available_memory() -> int | None:
    """Bytes of memory available to new processes (Linux ``MemAvailable``), else None."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        return None
    return None  # pragma: no cover


_SHA_CACHE: dict[str, tuple[int, str]] = {}
_PENDING_HASH: dict[str, threading.Thread] = {}


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex); reuses the hash taken while the file was read."""
    pending = _PENDING_HASH.pop(str(path), None)
    if pending is not None:
        pending.join()
    cached = _SHA_CACHE.get(str(path))
    if cached is not None and str(path) == "-":
        return cached[1]  # standard input, hashed while it was read
    if cached is not None and Path(path).stat().st_mtime_ns == cached[0]:
        return cached[1]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def sniff_delimiter(first_line: str, suffix: str) -> str:
    """The delimiter of a header line: the most frequent of ``, ; TAB |`` outside quoted
    names (a semicolon file whose question-text headers hold commas was read as commas).

    Examples
    --------
    >>> sniff_delimiter('"pid";"kind, warm, calm, open";"q1"', ".csv")
    ';'
    """
    if suffix in (".tsv", ".tab"):
        return "\t"
    first_line = _QUOTED.sub("", first_line)
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


_UTF8 = (None, "utf-8", "utf8", "utf-8-sig", "utf_8", "ascii")


def encoding_error(name: str, line: int, byte_hex: str, encoding: str) -> InputFileError:
    """The one message for a file that is not valid text in its encoding (row = line)."""
    return InputFileError(
        f"{name}: row {line}: the file is not valid {encoding.replace('-sig', '').upper()} text "
        f"(byte 0x{byte_hex}). It was probably saved in another encoding; try "
        "--encoding latin-1 (or cp1252 for Windows Excel exports).")


def _decode(raw: bytes, encoding: str | None, name: str) -> str:
    enc = encoding or "utf-8-sig"
    try:
        return raw.decode(enc)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise encoding_error(name, line, raw[exc.start: exc.start + 1].hex(), enc) from None
    except LookupError:
        raise InputFileError(f"{name}: unknown encoding {encoding!r} "
                             "(try utf-8, utf-16, latin-1 or cp1252).") from None


#: columns every current Qualtrics export starts with (survey metadata)
QUALTRICS_COLUMNS = ("StartDate", "EndDate", "Status", "IPAddress", "Progress",
                     "Duration (in seconds)", "Finished", "RecordedDate", "ResponseId")


def _is_import_id(cell: str) -> bool:
    cell = cell.strip()
    if not (cell.startswith("{") and cell.endswith("}")):
        return False
    try:
        obj = json.loads(cell)
    except ValueError:
        return False
    return isinstance(obj, dict) and "ImportId" in obj


def qualtrics_header_rows(rows: Sequence[Sequence[Any]]) -> int:
    """How many extra header rows a Qualtrics export has after the column names (0, 1 or 2).

    ``rows`` are the first records of the file (row 1 = column names), as text. Three
    forms are recognised:

    * current exports: row 2 = question text, row 3 = ``{"ImportId":"QID10_1"}`` per
      column (written CSV-quoted in the file) -> 2;
    * exports with Qualtrics' metadata columns (``StartDate``, ``EndDate``, ``Status``,
      ``IPAddress``, ``Progress``, ``Duration (in seconds)``, ``Finished``,
      ``RecordedDate``, ``ResponseId``) and question text in row 2 but no import-id row -> 1;
    * legacy exports (columns ``V1``..``V10``, row 2 = ``ResponseID,ResponseSet,...``) -> 1.

    Examples
    --------
    >>> qualtrics_header_rows([["ResponseId", "Q1"], ["Response ID", "How often?"],
    ...                        ['{"ImportId":"_recordId"}', '{"ImportId":"QID1"}']])
    2
    >>> qualtrics_header_rows([["pid", "Q1"], ["1", "2"]])
    0
    """
    if len(rows) < 2:
        return 0
    header = [str(c).strip() for c in rows[0]]
    row2 = ["" if c is None else str(c).strip() for c in rows[1]]
    if len(rows) >= 3:
        row3 = ["" if c is None else str(c) for c in rows[2]]
        filled = [c for c in row3 if c.strip()]
        if filled and sum(_is_import_id(c) for c in filled) >= max(1, len(filled) // 2):
            return 2
    known = [c for c in QUALTRICS_COLUMNS if c in header]
    if len(known) >= 3:
        for col in ("StartDate", "EndDate", "RecordedDate"):
            if col in header:
                pos = header.index(col)
                cell = row2[pos] if pos < len(row2) else ""
                if cell and not cell[:1].isdigit():  # "Start Date", not a timestamp
                    return 1
    if header[:3] == ["V1", "V2", "V3"] and row2[:1] == ["ResponseID"]:
        return 1
    return 0


#: Qualtrics ``Status`` codes of responses that are not ordinary ones in a numeric export (0 is
#: "IP Address", an ordinary response); a choice-text export has the words themselves
#: ("Survey Preview", "Spam"), which are matched by what they say
_QUALTRICS_STATUS = {"1": "Survey Preview", "2": "Survey Test"}


def qualtrics_status_notes(df: pd.DataFrame, name: str) -> list[str]:
    """Notes on a Qualtrics export's previews, tests, spam and unfinished responses.

    They are read and scored like every other row (every row comes out); the notes say how
    many there are, from the ``Status`` (or ``DistributionChannel``) and ``Finished``
    columns, so that they can be left out on purpose. Nothing is said for other files.

    Examples
    --------
    >>> qualtrics_status_notes(pd.DataFrame({"StartDate": ["x"] * 3, "EndDate": ["x"] * 3,
    ...     "Status": ["0", "1", "1"], "Finished": ["1", "1", "0"], "Q1": ["2", "3", "4"]}), "q.csv")
    ['q.csv: 2 rows are not ordinary Qualtrics responses (Status: Survey Preview 2); they are read like the others: leave them out if they are not real answers.', 'q.csv: 1 row did not finish the survey (Finished = 0).']
    """
    if sum(c in df.columns for c in QUALTRICS_COLUMNS) < 3:
        return []
    notes: list[str] = []
    kinds: dict[str, int] = {}
    column = "Status"
    if "Status" in df.columns:
        status = df["Status"].astype("string").str.strip()
        named = status.map(lambda v: _QUALTRICS_STATUS.get(v, v), na_action="ignore")
        odd = named.str.contains("preview|test|spam", case=False, regex=True).fillna(False)
        kinds = {str(k): int(v) for k, v in named[odd.to_numpy(bool)].value_counts(sort=False).items()}
    if not kinds and "DistributionChannel" in df.columns:
        column = "DistributionChannel"
        channel = df["DistributionChannel"].astype("string").str.strip().str.lower()
        kinds = {str(k): int(v) for k, v in channel[channel.isin(["preview", "test"])].value_counts().items()}
    if kinds:
        n = sum(kinds.values())
        notes.append(f"{name}: {n} row{'s are' if n != 1 else ' is'} not "
                     f"{'ordinary Qualtrics responses' if n != 1 else 'an ordinary Qualtrics response'} "
                     f"({column}: {', '.join(f'{k} {v}' for k, v in kinds.items())}); they are read "
                     "like the others: leave them out if they are not real answers.")
    if "Finished" in df.columns:
        finished = df["Finished"].astype("string").str.strip().str.lower()
        n = int(finished.isin(["0", "false"]).sum())
        if n:
            notes.append(f"{name}: {n} row{'s' if n != 1 else ''} did not finish the survey (Finished = 0).")
    return notes


#: the first columns of a SurveyMonkey response export
SURVEYMONKEY_COLUMNS = ("Respondent ID", "Collector ID")


def check_surveymonkey_header(rows: Sequence[Sequence[Any]], name: str) -> None:
    """Refuse a SurveyMonkey export's two-row header with one line saying what to do.

    SurveyMonkey writes the question texts in row 1 (blank above the later columns of a
    multiple-choice or matrix question) and ``Response``, ``Open-Ended Response`` or the
    option texts in row 2, whose first columns (``Respondent ID``, ``Collector ID``, ...) are
    empty. ``rows`` are the first records of the file as text (row 1 = column names).

    Raises
    ------
    InputFileError
        ``FILE: row 2: this looks like a SurveyMonkey export, ...``

    Examples
    --------
    >>> check_surveymonkey_header([["Respondent ID", "Collector ID", "Q1"], ["1", "2", "3"]], "f.csv")
    >>> check_surveymonkey_header([["Respondent ID", "Collector ID", "Q1"], ["", "", "Response"]],
    ...                           "f.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    compassion_scales.errors.InputFileError: f.csv: row 2: this looks like a SurveyMonkey export...
    """
    if len(rows) < 2:
        return
    header = tuple(str(c or "").strip() for c in rows[0][:2])
    first = str(rows[1][0] or "").strip() if rows[1] else ""
    if header != SURVEYMONKEY_COLUMNS or first:
        return
    raise InputFileError(
        f"{name}: row 2: this looks like a SurveyMonkey export, whose header takes two rows (row 1 "
        "the questions, blank above a matrix or multiple-choice question's later columns; row 2 "
        "'Response', 'Open-Ended Response' or the option texts), but a responses file has one "
        "header row. Make one: name every column in row 1 (each item column after its item, "
        "e.g. fcs_self_1, or so that --map or --pattern can match it) and delete row 2; or "
        "export the responses as SPSS (.sav), which names every column.")


_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def check_above_header(header: Sequence[Any], below: Sequence[Any], name: str, row: int = 1) -> None:
    """A blank row or a title where the column names belong: one line saying so.

    ``header`` is the row read as column names, ``below`` the row after it. Excel writes a
    blank row as empty cells (``,,,,`` in a CSV) and a title typed above the table as one
    filled cell; read as the header they gave one "header cell is empty" or "a value in a
    column with no header" line per column.
    """
    named = [str(h).strip() for h in header if h is not None and str(h).strip()]
    cells = [str(v).strip() for v in below if v is not None and str(v).strip()]
    filled = len(cells)
    if not named and filled:
        raise InputFileError(f"{name}: row {row} is blank, but it must hold the column names; "
                             "delete the blank row(s) above the header.")
    # the row below a title holds names, not numbers (a header naming one column is not a title)
    if len(named) == 1 and filled >= 2 and not any(_NUMBER.fullmatch(c) for c in cells):
        raise InputFileError(f"{name}: row {row} holds only {named[0]!r}, but it must hold the column "
                             f"names (row {row + 1} has {filled} values); a title above the table? "
                             "Delete the row(s) above the header.")


def _head_records(text: str, sep: str, n: int) -> list[list[str]]:
    """The first ``n`` CSV records of ``text`` (quoted newlines respected)."""
    import itertools

    limit = 1 << 20
    chunk = text[:limit]
    reader = csv.reader(_io.StringIO(chunk, newline=""), delimiter=sep)
    try:
        return list(itertools.islice(reader, n))
    except csv.Error:
        return []


def _bad_rows(text: str, sep: str, ncols: int, skip: int, name: str,
              arrow_rows: list[Any], offset: int = 0) -> InputFileError:
    """Locate rows whose field count differs from the header (error path only)."""
    found: list[tuple[int, int]] = []
    try:
        reader = csv.reader(_io.StringIO(text, newline=""), delimiter=sep)
        for rownum, rec in enumerate(reader, start=1):
            if rownum <= 1 + skip or not rec:
                continue
            if len(rec) != ncols:
                found.append((rownum + offset, len(rec)))
    except csv.Error:
        found = []
    if not found:  # fall back on what the parser saw
        found = [(0, int(r.actual_columns)) for r in arrow_rows]
    return ragged_rows_error(name, found, ncols, sep, header_row=1 + offset)


def ragged_rows_error(name: str, found: Sequence[tuple[int, int]], ncols: int, sep: str, *,
                      header_row: int = 1, more: str | None = None) -> InputFileError:
    """The one message for rows whose field count differs from the header's.

    ``found`` holds (row number, fields) pairs (row 0: unknown); the first 20 are listed.
    ``more`` replaces the count of the rest (e.g. when a scan stopped early).
    """
    lines = []
    for rownum, n in found[:20]:
        where = f"row {rownum}: " if rownum else ""
        hint = (" (a delimiter at the end of the line?)" if n == ncols + 1
                else " (an unquoted delimiter inside a value, or a missing one?)")
        lines.append(f"{name}: {where}{n} fields but the header (row {header_row}) has {ncols}{hint}")
    if more is not None:
        lines.append(f"{name}: {more}")
    elif len(found) > 20:
        lines.append(f"{name}: ... and {len(found) - 20} more rows with the wrong number of fields")
    lines.append(f"{name}: every row must have as many fields as the header; fix the rows above "
                 f"(detected delimiter {sep!r}; set --delimiter if that is wrong).")
    return InputFileError("\n".join(lines))


#: below this size a file is hashed at once (under ~3 ms; a thread costs ~0.25 ms to start and
#: join, more than hashing the many small files a session reads)
_THREAD_HASH_BYTES = 1 << 20


def _start_hash(raw: bytes, key: str, mtime: int) -> None:
    """Hash ``raw`` (for provenance) while the file is parsed; a small file directly."""
    if len(raw) < _THREAD_HASH_BYTES:
        _SHA_CACHE[key] = (mtime, hashlib.sha256(raw).hexdigest())
        return
    # a thread for big files: hashlib releases the GIL, so the hash overlaps the parse
    hasher = threading.Thread(
        target=lambda: _SHA_CACHE.__setitem__(key, (mtime, hashlib.sha256(raw).hexdigest())),
        daemon=True)
    hasher.start()
    _PENDING_HASH[key] = hasher


#: characters of a plain ASCII file decoded for the header checks (``_head_records`` reads 1 MiB)
_HEAD_CHARS = 4 << 20


def _bom_over_encoding(raw: bytes, encoding: str | None, name: str, notes: list[str]) -> str | None:
    """The encoding to read with: a UTF-8 or UTF-16 byte-order mark wins over an ``--encoding``
    of another family (a habitual ``--encoding cp1252`` on a Qualtrics export), with a note.

    Read as cp1252 the mark became part of the first column's name (``ï»¿pid``) and every
    accent turned into two letters (``cafÃ©``), exit 0.
    """
    import codecs

    try:
        family = codecs.lookup(encoding or "").name.replace("_", "").replace("-", "")
    except LookupError:
        return encoding  # None, or an unknown name (refused when decoding)
    if raw.startswith(b"\xef\xbb\xbf") and not family.startswith("utf8"):
        found = "UTF-8"
    elif raw[:2] in (b"\xff\xfe", b"\xfe\xff") and not family.startswith(("utf16", "utf32")):
        found = "UTF-16"
    else:
        return encoding
    notes.append(f"{name}: the file starts with a {found} byte-order mark, so it was read as {found}, "
                 f"not as --encoding {encoding} says.")
    return "utf-8" if found == "UTF-8" else "utf-16"


def _decode_bytes(raw: bytes, encoding: str | None, name: str) -> tuple[str, bytes, list[str]]:
    """Text of the file and UTF-8 bytes for the parser (BOMs removed).

    A plain ASCII file's text is only its first :data:`_HEAD_CHARS` characters (what the
    header checks read): decoding all of it made a copy of the file that nothing used (10⁶
    rows: 82 MB, ~40 ms); the error path decodes the parser's bytes instead.
    """
    notes: list[str] = []
    encoding = _bom_over_encoding(raw, encoding, name, notes)
    enc = (encoding or "").lower().replace("_", "-") or None
    probe = raw[:400]
    if enc is None and b"\x00" in probe and raw[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        even = len(probe) - len(probe) % 2
        if even and not any(probe[1:even:2]):
            raw, note = b"\xff\xfe" + raw, "UTF-16 (little-endian, no byte-order mark)"
        elif even and not any(probe[0:even:2]):
            raw, note = b"\xfe\xff" + raw, "UTF-16 (big-endian, no byte-order mark)"
        else:
            raise InputFileError(f"{name}: the file holds NUL bytes and is not text; export it "
                                 "as CSV (or give --encoding).")
        notes.append(f"{name}: read as {note}.")
        text = raw.decode("utf-16").lstrip("\ufeff")
        return text, text.encode("utf-8"), notes
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and enc in (None, "utf-16", "utf16", "utf-8", "utf8",
                                                        "utf-8-sig"):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputFileError(f"{name}: the file starts like UTF-16 text but cannot be "
                                 "decoded as UTF-16; try --encoding.") from None
        text = text.lstrip("\ufeff")
        notes.append(f"{name}: read as UTF-16 text (byte-order mark found).")
        return text, text.encode("utf-8"), notes
    if enc in _UTF8 and raw.isascii():  # plain ASCII: valid in every supported encoding
        return raw[:_HEAD_CHARS].decode("ascii"), raw, notes
    text = _decode(raw, encoding, name)
    text = text.lstrip("\ufeff")
    if enc in _UTF8:
        data = raw[3:] if raw[:3] == b"\xef\xbb\xbf" else raw
    else:
        data = text.encode("utf-8")
    return text, data, notes


#: parser block size: large blocks give few chunks per column (cheaper per-column work later)
_BLOCK_SIZE = 16 << 20


def _read_delimited(raw: bytes, name: str, suffix: str, encoding: str | None,
                    delimiter: str | None, dictionary: Any = None
                    ) -> tuple[pd.DataFrame, int, list[str]]:
    """Parse delimited text: every column as text, no NA list, one parse (pyarrow)."""
    if not raw or raw.isspace():
        raise InputFileError(f"{name}: the file is empty (no header row and no data).")
    text, data, notes = _decode_bytes(raw, encoding, name)  # text: maybe only the first MiBs
    text, data = _doubled_carriage_returns(text, data, name, notes)
    text, data = _dos_end_of_file(text, data, name, notes)
    if not text or (len(text) < _HEAD_CHARS and text.isspace()):
        raise InputFileError(f"{name}: the file is empty (no header row and no data).")
    text, data, first_line, offset, delimiter = _skip_sep_line(text, data, delimiter, name, notes)
    if not first_line.strip():
        raise InputFileError(f"{name}: row {offset + 1} is blank, but it must hold the column names; "
                             "delete the blank line(s) above the header.")
    sep = delimiter or sniff_delimiter(first_line, suffix)
    if len(sep) != 1:
        raise InputFileError(f"{name}: the delimiter must be one character, not {sep!r}.")
    head = _head_records(text, sep, 3)
    if not head:
        raise InputFileError(f"{name}: the first row cannot be read as column names "
                             f"(detected delimiter {sep!r}; set --delimiter).")
    check_surveymonkey_header(head, name)
    _check_title_line(text, head, sep, name, offset, delimiter is None)
    header = [h.strip() for h in head[0]]
    ncols = len(header)
    trailing = ncols > 1 and header[-1] == "" and all(h for h in header[:-1])
    if dictionary is not None:
        header, more = _apply_dictionary_header(header, dictionary, name)
        notes.extend(more)
    _check_header(header, trailing, name, 1 + offset)
    skip = qualtrics_header_rows(head)
    if skip:
        notes.append(f"{name}: Qualtrics export detected; row{'s 2-3' if skip == 2 else ' 2'} "
                     f"({'question text and import ids' if skip == 2 else 'question text'}) skipped.")
    # trailing blank lines are not respondents; blank lines inside the data are kept as
    # empty rows so that row numbers stay the file's
    data = _drop_trailing_blank_lines(data)
    table, bad = _arrow_parse(data, sep, ncols, skip, name)
    if bad:
        raise _bad_rows(data.decode("utf-8"), sep, ncols, skip, name, bad, offset)
    df = table.to_pandas()
    if trailing:
        last = df.iloc[:, -1]
        if last.notna().any():
            pos = int(np.flatnonzero(last.notna().to_numpy())[0])
            raise InputFileError(f"{name}: row {1 + offset}, column {ncols}: the header cell is empty but "
                                 f"row {pos + 2 + skip + offset} has a value there; give every column a name.")
        df = df.iloc[:, :-1]
        header = header[:-1]
        notes.append(f"{name}: every line ends with a delimiter; the empty last column was ignored.")
    df.columns = header
    first_row = 2 + skip + offset
    return df, first_row, notes


_TWO_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)([^\r\n]*)")


def _check_title_line(text: str, head: list[list[str]], sep: str, name: str, offset: int,
                      sniffed: bool) -> None:
    """A blank or title line above the header (see :func:`check_above_header`); a title with no
    delimiter in it does not tell the delimiter, so the next line is read with its own."""
    if len(head) < 2:
        return
    below = head[1]
    if sniffed and len(head[0]) == 1 and len(below) == 1:
        lines = _TWO_LINES.match(text)
        second = lines.group(1) if lines else ""
        other = sniff_delimiter(second, "")
        if other != sep:
            below = next(csv.reader([second], delimiter=other), [])
    check_above_header(head[0], below, name, 1 + offset)


def _doubled_carriage_returns(text: str, data: bytes, name: str, notes: list[str]) -> tuple[str, bytes]:
    r"""Lines that all end in CR CR LF read as CRLF lines, with a note.

    A CRLF file passed once more through Windows' text-mode line-end conversion ends every
    line so; read literally, a blank line would follow every row (pandas and R skip them).

    Examples
    --------
    >>> notes = []
    >>> _doubled_carriage_returns("a\r\r\n1\r\r\n", b"a\r\r\n1\r\r\n", "f.csv", notes)
    ('a\r\n1\r\n', b'a\r\n1\r\n')
    >>> _doubled_carriage_returns("a\r\n1\r\r\n", b"a\r\n1\r\r\n", "f.csv", [])[1]
    b'a\r\n1\r\r\n'
    """
    doubled = data.count(b"\r\r\n")
    if not doubled or doubled != data.count(b"\n"):
        return text, data
    notes.append(f"{name}: every line ends in CR CR LF (line ends converted twice, as a file written "
                 "in Windows text mode from CRLF lines gets); each is read as one line break, and "
                 "row numbers count it once.")
    return text.replace("\r\r\n", "\r\n"), data.replace(b"\r\r\n", b"\r\n")


def _dos_end_of_file(text: str, data: bytes, name: str, notes: list[str]) -> tuple[str, bytes]:
    r"""Drop a Ctrl-Z (0x1A) that ends the file, as old DOS programs wrote it, with a note.

    Examples
    --------
    >>> notes = []
    >>> _dos_end_of_file("a\n1\n\x1a", b"a\n1\n\x1a", "f.csv", notes)
    ('a\n1\n', b'a\n1\n')
    >>> len(notes)
    1
    """
    end = data.rstrip(b"\r\n")
    if not end.endswith(b"\x1a"):
        return text, data
    notes.append(f"{name}: the file ends with a Ctrl-Z (an old DOS end-of-file mark); it was ignored.")
    data = end[:-1]
    tail = text.rstrip("\r\n")
    return (tail[:-1] if tail.endswith("\x1a") else text), data


def _drop_trailing_blank_lines(data: bytes) -> bytes:
    """``data`` without the blank lines at its end, whatever ends its lines (LF, CRLF, CR).

    Examples
    --------
    >>> _drop_trailing_blank_lines(b"a\\r1\\r\\r"), _drop_trailing_blank_lines(b"a\\r\\n1\\r\\n")
    (b'a\\r1\\n', b'a\\r\\n1\\r\\n')
    """
    end = len(data)
    while end and data[end - 1] in b"\r\n":
        end -= 1
    if len(data[end:].replace(b"\r\n", b"\n")) > 1:  # more than one line break: blank lines
        return data[:end] + b"\n"
    return data


def _skip_sep_line(text: str, data: bytes, delimiter: str | None, name: str, notes: list[str]
                   ) -> tuple[str, bytes, str, int, str | None]:
    """Drop Excel's "sep=;" first line (which names the delimiter); also return the first
    line left, the number of rows dropped and the delimiter."""
    end = text.find("\n")
    first_line = (text if end < 0 else text[:end]).rstrip("\r")
    if not (re.fullmatch(r"sep=.", first_line) and end >= 0):
        return text, data, first_line, 0, delimiter
    delimiter = delimiter or first_line[4]
    text = text[end + 1:]
    data = data[data.find(b"\n") + 1:]
    notes.append(f"{name}: row 1 ({first_line!r}) names the delimiter; the header is row 2.")
    end = text.find("\n")
    return text, data, (text if end < 0 else text[:end]).rstrip("\r"), 1, delimiter


def _check_header(header: list[str], trailing: bool, name: str, row: int) -> None:
    """Every column has a name (a trailing empty one aside), and no name repeats."""
    ncols = len(header)
    problems = []
    for pos, h in enumerate(header, start=1):
        if not h and not (trailing and pos == ncols):
            problems.append(f"{name}: row {row}, column {pos}: the header cell is empty; "
                            "give every column a name.")
    dups = sorted({h for h in header if h and header.count(h) > 1})
    for d in dups:
        problems.append(f"{name}: row {row}, column {d}: the column name appears more than once.")
    if problems and trailing:
        problems.insert(0, f"{name}: row {row}, column {ncols}: the header cell is empty; "
                           "give every column a name.")
    if problems:
        raise InputFileError("\n".join(problems))


def _arrow_parse(data: bytes, sep: str, ncols: int, skip: int, name: str) -> tuple[Any, list[Any]]:
    """One pyarrow parse, every column as text; also the rows with the wrong cell count.

    The parse runs without a bad-row callback (a Python callback makes pyarrow's threaded
    parser about 1.4x slower on a clean file); only when pyarrow reports a row with the
    wrong number of fields is the file parsed again with the callback, to list them all.
    """
    import pyarrow as pa

    try:
        return _arrow_read(data, sep, ncols, skip, None), []
    except pa.ArrowInvalid as exc:
        if "straddl" in str(exc) and not data.endswith((b"\n", b"\r")):
            # a header with no line break after it (Google Sheets ends files so): pyarrow
            # cannot skip it; with the break, the file reads as "a header but no data rows"
            return _arrow_parse(data + b"\n", sep, ncols, skip, name)
        if not _WRONG_FIELD_COUNT.search(str(exc)):
            raise _arrow_error(exc, sep, name) from None
    bad: list[Any] = []

    def on_bad_row(row: Any) -> str:
        bad.append(row)
        return "skip"

    try:
        return _arrow_read(data, sep, ncols, skip, on_bad_row), bad
    except pa.ArrowInvalid as exc:
        raise _arrow_error(exc, sep, name) from None


_WRONG_FIELD_COUNT = re.compile(r"Expected \d+ columns, got \d+")


def _arrow_read(data: bytes, sep: str, ncols: int, skip: int, on_bad_row: Any) -> Any:
    """``pyarrow.csv.read_csv`` of ``data`` with every column as text (empty = missing)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(ncols)]
    return pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows_after_names=1 + skip,
                                       use_threads=True, block_size=_BLOCK_SIZE),
        parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=b'"' in data,
                                         ignore_empty_lines=False, invalid_row_handler=on_bad_row),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                             null_values=[""], strings_can_be_null=True,
                                             quoted_strings_can_be_null=True))


def _arrow_error(exc: Exception, sep: str, name: str) -> InputFileError:
    """The one-line message for a file pyarrow cannot parse."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
    if "Empty CSV file" in msg or table_is_empty(msg):
        return InputFileError(f"{name}: the file has a header but no data rows.")
    return InputFileError(f"{name}: cannot be read as a table ({msg}). "
                          f"Check the delimiter (detected {sep!r}; set --delimiter).")


def table_is_empty(msg: str) -> bool:
    return "empty" in msg.lower() and "csv" in msg.lower()


_MAGIC = ((b"PK\x03\x04", ".xlsx"), (b"$FL2", ".sav"), (b"$FL3", ".zsav"), (b"PAR1", ".parquet"),
          (b"<stata_dta>", ".dta"), (b"\xd0\xcf\x11\xe0", ".xls"))


def _suffix_from_bytes(raw: bytes) -> str:
    for magic, suffix in _MAGIC:
        if raw.startswith(magic):
            return suffix
    return ".csv"


#: how OOXML writes a character XML cannot hold (Excel: a carriage return is ``_x000D_``)
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _excel_text(cell: Any) -> str | None:
    """The text a spreadsheet shows for a cell, as far as it can be known from the file.

    Text is unescaped as Excel reads it: openpyxl leaves ``_x000D_`` (a carriage return of a
    line break pasted from Windows) in the text (tidyverse/readxl#51).
    """
    value = cell.value
    if value is None:
        return None
    if isinstance(value, str):
        if "_x" in value:
            value = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
        return value if value != "" else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        fmt = str(getattr(cell, "number_format", "General") or "General")
        if re.fullmatch(r"0+", fmt):
            return str(value).zfill(len(fmt))
        return str(value)
    if isinstance(value, float):
        fmt = str(getattr(cell, "number_format", "General") or "General")
        if re.fullmatch(r"0+", fmt) and value.is_integer():
            return str(int(value)).zfill(len(fmt))
        m = re.fullmatch(r"0+\.(0+)", fmt)
        if m:
            return f"{value:.{len(m.group(1))}f}"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, (datetime,)):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _sheet_rows(ws: Any) -> Any:
    """Every row of a worksheet, whatever its ``<dimension>`` record says.

    openpyxl's read-only reader stops at the size the sheet declares; programs that write
    .xlsx themselves often leave it at ``A1`` or stale (pandas-dev/pandas#39001), and the
    rows and columns beyond it were lost without a word.
    """
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    return ws.iter_rows()


def _other_sheets(wb: Any, names: Sequence[str], title: str) -> list[str]:
    """The visible sheets besides ``title`` whose declared size is more than one cell (empty
    sheets such as Excel's default Sheet2 declare ``A1``; a missing record may hide data)."""
    out = []
    for n in names:
        ws = wb[n]
        if n == title or getattr(ws, "sheet_state", "visible") != "visible":
            continue
        if (ws.max_row or 2) > 1 or (ws.max_column or 2) > 1:
            out.append(n)
    return out


def _excel_rows(source: Any, name: str, sheet: str | int | None
                ) -> tuple[list[list[Any]], str, str, list[str]]:
    """Every row of the first visible (or named) sheet as the text its cells show, its title,
    when no sheet was named the first sheet's, and the other visible sheets with data."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(f"{name}: cannot be read as an Excel workbook ({detail}).") from None
    try:
        names = wb.sheetnames
        if isinstance(sheet, str) and sheet not in names and sheet.isdigit():
            sheet = int(sheet)  # "--sheet 1": a number, unless a sheet is named "1"
        if sheet is None:  # a hidden sheet is not what Excel shows (or anyone means)
            visible = [n for n in names if getattr(wb[n], "sheet_state", "visible") == "visible"]
            ws = wb[(visible or names)[0]]
        elif isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise InputFileError(f"{name}: no sheet {sheet}; the sheets are: "
                                     + ", ".join(names) + ". Use --sheet NAME.")
            ws = wb[names[sheet]]
        elif sheet in names:
            ws = wb[sheet]
        else:
            raise InputFileError(f"{name}: no sheet {sheet!r}; the sheets are: "
                                 + ", ".join(names) + ". Use --sheet NAME.")
        first = names[0] if sheet is None else ws.title  # differs: a hidden first sheet passed over
        others = _other_sheets(wb, names, ws.title) if sheet is None else []
        return [[_excel_text(c) for c in r] for r in _sheet_rows(ws)], ws.title, first, others
    finally:
        wb.close()


def _check_excel_header(header: list[str], rows: list[list[Any]], name: str) -> None:
    """Every column named once; no value in a column without a header (first 20 listed)."""
    ncols = len(header)
    problems = []
    for pos, h in enumerate(header, start=1):
        if not h:
            problems.append(f"{name}: row 1, column {pos}: the header cell is empty; "
                            "give every column a name.")
    for d in sorted({h for h in header if h and header.count(h) > 1}):
        problems.append(f"{name}: row 1, column {d}: the column name appears more than once.")
    for rownum, r in enumerate(rows[1:], start=2):
        extra = [k for k in range(ncols, len(r)) if r[k] is not None]
        if extra:
            problems.append(f"{name}: row {rownum}, column {extra[0] + 1}: a value ({r[extra[0]]!r}) "
                            "in a column with no header; give the column a name or delete the value.")
            if len(problems) > 20:
                break
    if problems:
        raise InputFileError("\n".join(problems))


def _read_excel(source: Any, name: str, sheet: str | int | None) -> tuple[pd.DataFrame, int, list[str]]:
    """Read the first (or named) sheet: every cell as the text it shows; empty cells missing."""
    rows, title, first, others = _excel_rows(source, name, sheet)
    _check_formulas(source, name, title, rows)
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    elsewhere = f"; the workbook's other sheets: {', '.join(map(repr, others))} (choose one with --sheet)"
    if not rows:
        raise InputFileError(f"{name}: sheet {title!r} is empty (no header row and no data){elsewhere}."
                             if others else f"{name}: the sheet is empty (no header row and no data).")
    header = ["" if v is None else str(v).strip() for v in rows[0]]
    while header and header[-1] == "":
        header.pop()
    ncols = len(header)
    check_surveymonkey_header(rows[:2], name)
    check_above_header(rows[0], rows[1] if len(rows) > 1 else [], name)
    _check_excel_header(header, rows, name)
    body = [(r + [None] * ncols)[:ncols] for r in rows[1:]]
    notes: list[str] = []
    if first != title:
        notes.append(f"{name}: the first sheet, {first!r}, is hidden; read sheet {title!r} "
                     "(choose another with --sheet).")
    skip = qualtrics_header_rows([header] + [[("" if v is None else v) for v in r] for r in body[:2]])
    if skip:
        notes.append(f"{name}: Qualtrics export detected; row{'s 2-3' if skip == 2 else ' 2'} skipped.")
        body = body[skip:]
    if not body and others:
        raise InputFileError(f"{name}: sheet {title!r} has a header but no data rows{elsewhere}.")
    if others:
        notes.append(f"{name}: read the first sheet, {title!r}; the workbook has other sheets: "
                     f"{', '.join(map(repr, others))} (choose one with --sheet).")
    cols = {h: pd.array([r[k] for r in body], dtype="str") for k, h in enumerate(header)}
    df = pd.DataFrame(cols)
    return df, 2 + skip, notes


def _has_formulas(source: Any) -> bool:
    import zipfile

    try:
        if hasattr(source, "seek"):
            source.seek(0)
        with zipfile.ZipFile(source) as zf:
            for info in zf.infolist():
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    with zf.open(info) as fh:
                        tail = b""
                        while chunk := fh.read(1 << 20):
                            block = tail + chunk
                            if b"<f>" in block or b"<f " in block or b"<x:f" in block:
                                return True
                            tail = chunk[-8:]
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
    return False


def _check_formulas(source: Any, name: str, title: str, rows: list[list[str | None]]) -> None:
    """Refuse formula cells that have no saved value (they would read as empty: a silent loss).

    Workbooks written by programs (not saved by Excel or LibreOffice) hold formulas without
    their results.
    """
    if not any(v is None for r in rows for v in r) or not _has_formulas(source):
        return
    import openpyxl
    from openpyxl.utils import get_column_letter

    wb = openpyxl.load_workbook(source, read_only=True, data_only=False)
    try:
        ws = wb[title]
        found = []
        for rownum, r in enumerate(_sheet_rows(ws), start=1):
            for colnum, cell in enumerate(r, start=1):
                v = cell.value
                if (isinstance(v, str) and v.startswith("=") and rownum <= len(rows)
                        and colnum <= len(rows[rownum - 1]) and rows[rownum - 1][colnum - 1] is None):
                    found.append(f"{get_column_letter(colnum)}{rownum}")
    finally:
        wb.close()
        if hasattr(source, "seek"):
            source.seek(0)
    if found:
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        raise InputFileError(
            f"{name}: cell(s) {', '.join(found[:5])}{more} hold a formula with no saved result "
            "(the file was written by a program, not saved by Excel); open and save it in Excel "
            "or LibreOffice, or export the sheet as CSV.")


def read_responses(path: str | Path | IO[Any], *, sheet: str | int | None = None,
                   encoding: str | None = None, delimiter: str | None = None,
                   string_columns: Sequence[str] = (), value_labels: bool = False,
                   dictionary: str | Path | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Read a responses file into a DataFrame, every text/Excel cell kept as text.

    Text files (CSV/TSV/TXT) and Excel sheets are read with **every column as text**:
    identifiers such as ``00001``, zip codes such as ``02100``, 20-digit ids and
    numbers written ``1.10`` come back exactly as written, and are written back
    unchanged. Item columns are converted to numbers later, by scoring. Only truly
    empty cells are missing (no ``NA``/``NULL``/``nan`` list: those stay text and are
    reported when they stand in an item column, unless the instrument declares them as
    missing codes). Every row must have as many fields as the header.

    Parameters
    ----------
    path : str, Path or file object
        CSV/TSV/TXT, Excel (``.xlsx``/``.xlsm``), SPSS (``.sav``/``.zsav``), Stata
        (``.dta``) or Parquet file; ``"-"`` reads standard input, and an open file
        (binary or text) is read from (its format told by its first bytes).
    sheet : str or int, optional
        Excel sheet name or 0-based position (default: the first visible sheet); a text of
        digits names the sheet so named, or else is a position.
    encoding : str, optional
        Text encoding of a delimited file (default UTF-8, with or without BOM; UTF-16
        with a BOM is recognised, e.g. Excel's "Unicode text" and Qualtrics' TSV).
    delimiter : str, optional
        Delimiter of a text file (default: sniffed from the header line).
    string_columns : sequence of str
        Kept for compatibility: every text column is read as text anyway.
    value_labels : bool
        SPSS/Stata only: replace codes by their value labels, so answers are matched to
        the instrument's response labels. A labelled column in which some codes have no
        label is left as codes and listed in ``attrs["unlabelled_codes"]`` (scoring
        refuses such a column as an item: it would mix labels and codes).
    dictionary : path or mapping, optional
        A REDCap data dictionary (see :func:`read_redcap_dictionary`): a label export
        (field labels as headers, choice labels as answers) is turned back into field
        names and choice codes.

    Returns
    -------
    DataFrame
        With ``attrs["source"]`` (the file name), ``attrs["first_row"]`` (the row
        number of the first data row as a person would count it in the file: header =
        row 1) and ``attrs["notes"]``.

    Raises
    ------
    InputFileError
        Missing, empty or unreadable file, wrong encoding, unknown format, duplicate or
        empty column names, a row with more or fewer fields than the header, no data rows.

    Examples
    --------
    >>> import io
    >>> df = read_responses(io.BytesIO(b"pid,zip,fcs_self_1\\n00001,02100,3\\n"))
    >>> df.loc[0, "pid"], df.loc[0, "zip"]
    ('00001', '02100')
    """
    del string_columns  # every text column is read as text
    raw, p, name, suffix = _open_source(path)
    try:
        df, first_row, notes = _read_by_type(raw, p, name, suffix, sheet=sheet, encoding=encoding,
                                             delimiter=delimiter, value_labels=value_labels,
                                             dictionary=dictionary)
        if dictionary is not None:
            df = apply_redcap_dictionary(df, dictionary)
    except InputFileError:
        raise
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{name}: the file is empty (no header row and no data).") from None
    except PermissionError:
        raise InputFileError(f"{name}: permission denied.") from None
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one readable line
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(f"{name}: cannot be read as a {suffix or 'text'} file ({detail}).") from None
    if len(df.columns) == 0:
        raise InputFileError(f"{name}: the file has no columns.")
    if is_limesurvey_export([str(c) for c in df.columns]):
        notes.append(f"{name}: LimeSurvey export detected; match array columns such as "
                     "Q1[SQ001] to items with --pattern 'Q1[SQ{n:03d}]' (or --map).")
    if len(df) == 0:
        raise InputFileError(f"{name}: the file has a header but no data rows.")
    df.attrs["source"] = name
    df.attrs["first_row"] = first_row
    df.attrs["notes"] = notes
    return df


def _balanced_cut(head: bytes) -> bytes:
    """``head`` up to its last line break outside a quoted value (quotes balanced before it)."""
    quotes = head.count(b'"')
    end = len(head)
    for _ in range(10_000):
        nl = head.rfind(b"\n", 0, end)
        if nl < 0:
            return head
        quotes -= head.count(b'"', nl, end)
        if quotes % 2 == 0:
            return head[: nl + 1]
        end = nl
    return head


def read_head(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None,
              limit: int = 1 << 20) -> pd.DataFrame:
    """The first ``limit`` bytes of a text file (cut at a row end), read as :func:`read_responses`
    reads the whole file: the same checks, messages and ``attrs`` (``first_row``, ``notes``).

    The streaming path uses it to find exports that need the full reader.
    """
    p = Path(path)
    with open(p, "rb") as fh:
        raw = fh.read(limit + 1)
    if len(raw) > limit:
        raw = _balanced_cut(raw[:limit])
    df, first_row, notes = _read_by_type(raw, p, str(path), p.suffix.lower(), sheet=None,
                                         encoding=encoding, delimiter=delimiter,
                                         value_labels=False, dictionary=None)
    if is_limesurvey_export([str(c) for c in df.columns]):
        notes.append("a LimeSurvey export")
    df.attrs.update(first_row=first_row, notes=notes)
    return df


def _open_source(path: str | Path | IO[Any]) -> tuple[bytes | None, Path | None, str, str]:
    """``(raw bytes or None, path or None, name for messages, suffix)`` of what to read.

    A stream or standard input is read at once (its type told by its first bytes); a
    path is checked to be an existing file and read later, by its type's reader.
    """
    if hasattr(path, "read"):
        content = path.read()  # type: ignore[union-attr]
        raw = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        name = str(getattr(path, "name", "<stream>"))
        if not isinstance(getattr(path, "name", None), str) or name.isdigit():
            name = "<stream>"
        return raw, None, name, _suffix_from_bytes(raw)
    if str(path) == "-":
        import sys

        raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
        _start_hash(raw, "-", 0)
        return raw, None, "<stdin>", _suffix_from_bytes(raw)
    p = Path(path)  # type: ignore[arg-type]
    name = str(path)
    if not p.exists():
        raise InputFileError(f"{name}: no such file.")
    if p.is_dir():
        raise InputFileError(f"{name}: is a folder, not a file.")
    return None, p, name, p.suffix.lower()


_TEXT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", "")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_BINARY_SUFFIXES = (*_EXCEL_SUFFIXES, ".sav", ".zsav", ".dta", ".parquet", ".pq")


def _read_by_type(raw: bytes | None, p: Path | None, name: str, suffix: str, *,
                  sheet: str | int | None, encoding: str | None, delimiter: str | None,
                  value_labels: bool, dictionary: Any) -> tuple[pd.DataFrame, int, list[str]]:
    """The reader for the file's type: ``(frame, first data row, notes)``; an option that
    does not apply to that type (``--sheet`` on a CSV file, ``--encoding`` on a workbook,
    ``--value-labels`` on anything but SPSS/Stata, ``--dictionary`` on SPSS/Stata/Parquet) is
    named in a note rather than ignored without a word."""
    unused = [f"{opt} ({where} only)" for opt, given, where, applies in (
        ("--sheet", sheet is not None, "Excel workbooks", suffix in _EXCEL_SUFFIXES),
        ("--encoding", encoding is not None, "text files", suffix in _TEXT_SUFFIXES),
        ("--delimiter", delimiter is not None, "text files", suffix in _TEXT_SUFFIXES),
        ("--value-labels", value_labels, "SPSS and Stata files", suffix in (".sav", ".zsav", ".dta")),
        ("--dictionary", dictionary is not None, "REDCap CSV and Excel exports",
         suffix in _TEXT_SUFFIXES or suffix in (".xlsx", ".xlsm")))
        if given and not applies]
    df, first_row, notes = _read_by_suffix(raw, p, name, suffix, sheet=sheet, encoding=encoding,
                                           delimiter=delimiter, value_labels=value_labels,
                                           dictionary=dictionary)
    notes.extend(qualtrics_status_notes(df, name))
    if unused:
        kind = ("an Excel workbook" if suffix in _EXCEL_SUFFIXES else
                "a delimited text file" if suffix in _TEXT_SUFFIXES else f"a {suffix} file")
        notes.insert(0, f"{name}: {' and '.join(unused)} ignored for {kind}.")
    return df, first_row, notes


def _suffix_by_content(raw: bytes | None, p: Path | None, name: str, suffix: str, notes: list[str]) -> str:
    """The suffix to read the file by: its name's, unless its first bytes say it is a workbook
    of another kind (an .xlsx saved as .csv or .xls), or not a workbook at all.

    An old-style or password-protected workbook named .xlsx, and a web page or XML file named
    .xls (what some survey tools download as "Excel"), are refused in one line saying so.
    """
    if raw is None and p is not None:
        if not p.is_file():  # a pipe (<(...)) is read once, later: its first bytes stay unread
            return suffix
        with open(p, "rb") as fh:
            head = fh.read(512)
    else:
        head = (raw or b"")[:512]
    if not head and suffix in _BINARY_SUFFIXES:  # 0 bytes: "Unable to read from file" before
        raise InputFileError(f"{name}: the file is empty (0 bytes).")
    if suffix in (".xlsx", ".xlsm") and head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(f"{name}: is not an .xlsx workbook but an old-style .xls workbook or a "
                             "password-protected one; remove the password, or save it as .xlsx or CSV.")
    if suffix == ".xls" and head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise InputFileError(f"{name}: is a web page (HTML) or XML file named .xls, not an Excel "
                             "workbook; open it in Excel and save it as .xlsx, or as CSV.")
    if head.startswith(b"PK\x03\x04") and (suffix == ".xls" or suffix in _TEXT_SUFFIXES):
        notes.append(f"{name}: the file is an .xlsx workbook despite its name; read as one.")
        return ".xlsx"
    return suffix


def _read_by_suffix(raw: bytes | None, p: Path | None, name: str, suffix: str, *,
                    sheet: str | int | None, encoding: str | None, delimiter: str | None,
                    value_labels: bool, dictionary: Any) -> tuple[pd.DataFrame, int, list[str]]:
    """The reader for the file's type: ``(frame, first data row, notes)``."""
    notes: list[str] = []
    first_row = 2
    suffix = _suffix_by_content(raw, p, name, suffix, notes)
    if suffix in _TEXT_SUFFIXES:
        if raw is None:
            assert p is not None
            raw = p.read_bytes()
            _start_hash(raw, str(p), p.stat().st_mtime_ns)
        return _read_delimited(raw, name, suffix, encoding, delimiter, dictionary)
    if suffix in (".xlsx", ".xlsm"):
        if raw is not None and not raw:
            raise InputFileError(f"{name}: the file is empty.")
        if p is not None and p.stat().st_size == 0:
            raise InputFileError(f"{name}: the file is empty.")
        if raw is None and p is not None and p.suffix.lower() not in (".xlsx", ".xlsm"):
            raw = p.read_bytes()  # openpyxl refuses a path by its name (an .xlsx saved as .csv)
        df, first_row, more = _read_excel(_io.BytesIO(raw) if raw is not None else p, name, sheet)
        notes.extend(more)
        if dictionary is not None:
            header, more = _apply_dictionary_header(list(df.columns), dictionary, name)
            df.columns = header
            notes.extend(more)
        return df, first_row, notes
    if suffix == ".xls":
        try:
            at = int(sheet) if isinstance(sheet, str) and sheet.isdigit() else sheet
            df = pd.read_excel(_io.BytesIO(raw) if raw is not None else p,
                               sheet_name=0 if at is None else at, dtype=str)
        except ImportError:
            raise InputFileError(f"{name}: old-style .xls workbooks need the xlrd package; "
                                 "save the sheet as .xlsx (or CSV) instead.") from None
        df.columns = [str(c).strip() for c in df.columns]
        return df, first_row, notes
    if suffix in (".sav", ".zsav", ".dta"):
        return _read_stat(p, raw, suffix, name, value_labels)
    if suffix in (".parquet", ".pq"):
        df = pd.read_parquet(_io.BytesIO(raw) if raw is not None else p)
        notes.append(f"{name}: row numbers are record numbers (first record = row 1).")
        return df, 1, notes
    raise InputFileError(
        f"{name}: unknown file type {suffix!r}. Use CSV, TSV, Excel (.xlsx), "
        "SPSS (.sav), Stata (.dta) or Parquet.")


def _read_stat(p: Path | None, raw: bytes | None, suffix: str, name: str,
               value_labels: bool) -> tuple[pd.DataFrame, int, list[str]]:
    """SPSS/Stata through pyreadstat; value labels applied only to fully labelled columns."""
    import pyreadstat

    tmp: Path | None = None
    if p is None:
        fd, tmp_name = tempfile.mkstemp(suffix=suffix)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw or b"")
        tmp = Path(tmp_name)
    try:
        reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
        # SPSS's user-missing codes and Stata's .a-.z come back as written; blanked below with a note
        df, meta = reader(str(tmp or p), apply_value_formats=False, user_missing=True)
    finally:
        if tmp is not None:
            tmp.unlink()
    notes = [f"{name}: row numbers are case numbers (first case = row 1)."]
    if suffix == ".dta":
        blanked = _blank_stata_extended(df, getattr(meta, "readstat_variable_types", None) or {})
        if blanked:
            notes.append(f"{name}: cells holding a Stata extended missing value were read as blank: "
                         f"{'; '.join(blanked)}.")
    blanked = _blank_user_missing(df, getattr(meta, "missing_ranges", None) or {})
    if blanked:
        notes.append(f"{name}: cells holding a code the file declares missing (SPSS user-missing) "
                     f"were read as blank: {'; '.join(blanked)}.")
    labels_of = {col: dict(meta.variable_value_labels.get(col, {})) for col in df.columns}
    df.attrs["value_labels"] = labels_of
    if value_labels:
        gaps: dict[str, list[float]] = {}
        for col, labels in labels_of.items():
            if not labels:
                continue
            values = pd.to_numeric(df[col], errors="coerce") if df[col].dtype == object else df[col]
            present = pd.unique(values.dropna())
            keys = {float(k) if isinstance(k, (int, float)) else k for k in labels}
            missing = sorted(v for v in present
                             if (float(v) if isinstance(v, (int, float, np.number)) else v) not in keys)
            if missing:
                gaps[col] = [float(v) if isinstance(v, (int, float, np.number)) else v for v in missing]
                continue
            lookup = {(float(k) if isinstance(k, (int, float)) else k): str(v) for k, v in labels.items()}
            df[col] = df[col].map(lookup).astype("str")
        df.attrs["unlabelled_codes"] = gaps
        df.attrs["value_labels_applied"] = True  # the codes' meanings are no longer in question
        if gaps:
            notes.append(f"{name}: --value-labels: column(s) {', '.join(gaps)} have codes without a "
                         "value label and were left as codes.")
    return df, 1, notes


def _blank_user_missing(df: pd.DataFrame, ranges: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Blank the cells whose code an SPSS file declares missing; one phrase per column touched.

    SPSS treats such codes (for example 9 = "refused") as missing in every analysis; so does
    cscore, and it says how many cells that was, column by column.
    """
    blanked = []
    for col, spans in ranges.items():
        if col not in df.columns or not spans:
            continue
        values = df[col]
        hit = np.zeros(len(df), dtype=bool)
        for span in spans:
            lo, hi = span["lo"], span["hi"]
            if isinstance(lo, str) or isinstance(hi, str):
                hit |= (values.astype("string") == str(lo)).fillna(False).to_numpy(dtype=bool)
            else:
                numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                with np.errstate(invalid="ignore"):
                    hit |= (numbers >= float(lo)) & (numbers <= float(hi))
        if hit.any():
            codes = ", ".join(_fmt_code(v) for v in pd.unique(values[hit]))
            df[col] = values.mask(hit)
            n = int(hit.sum())
            blanked.append(f"{col} ({codes}: {n} cell{'s' if n != 1 else ''})")
    return blanked


def _blank_stata_extended(df: pd.DataFrame, types: dict[str, str]) -> list[str]:
    """Blank Stata's extended missing values (.a-.z) in numeric columns; one phrase per column.

    pyreadstat gives them back as their letter (``"a"``) in a numeric column; Stata leaves
    them out of every analysis like ``.``, and so does cscore, saying where.
    """
    blanked = []
    for col in df.columns:
        values = df[col]
        if types.get(col, "string") == "string" or not (values.dtype == object
                                                        or pd.api.types.is_string_dtype(values.dtype)):
            continue
        hit = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        if hit.any():
            codes = ", ".join(f".{v}" for v in sorted(pd.unique(values[hit])))
            df[col] = _without_letters(values, hit)
            n = int(hit.sum())
            blanked.append(f"{col} ({codes}: {n} cell{'s' if n != 1 else ''})")
    return blanked


def _without_letters(values: pd.Series, hit: np.ndarray) -> pd.Series:
    """``values`` with the ``hit`` cells blank, typed as pyreadstat types a column without them."""
    masked = values.astype(object).mask(hit, np.nan)
    rest = masked[~hit].dropna()
    if all(isinstance(v, float) for v in rest):
        return masked.astype("float64")
    if all(isinstance(v, int) for v in rest):  # integer columns: objects, as pyreadstat gives
        return masked
    return masked.infer_objects()  # dates and times


def _fmt_code(value: Any) -> str:
    """A declared-missing code as SPSS shows it: 9, not 9.0."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def infer_numeric_columns(df: pd.DataFrame, keep: Sequence[str] = ()) -> pd.DataFrame:
    """A copy in which every text column holding only plain numbers (and empty cells) is numeric.

    For analyses that take columns as they are (``--items``, score columns of a scores
    file). Columns in ``keep`` (identifiers) and any column with a non-number stay text.
    Whole numbers become ``int64`` (``float64`` when some cells are empty); others ``float64``.
    Scoring never needs this: it converts item columns itself and keeps every other column
    as written.

    Examples
    --------
    >>> frame = pd.DataFrame({"pid": ["007", "008"], "x": ["1", "2"], "y": ["1.5", None],
    ...                       "z": ["a", "1"]}, dtype="str")
    >>> infer_numeric_columns(frame, keep=["pid"]).dtypes.astype(str).tolist()
    ['str', 'int64', 'float64', 'str']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    keep_set = {str(k) for k in keep}
    columns: dict[Any, Any] = {}
    for j, col in enumerate(df.columns):
        series = df.iloc[:, j]
        columns[j] = series
        if str(col) in keep_set or not pd.api.types.is_string_dtype(series.dtype):
            continue
        try:
            arr = pa.array(series.array) if hasattr(series.array, "__arrow_array__") else pa.array(
                series.to_numpy(dtype=object), from_pandas=True)
            if arr.null_count == len(arr):
                continue
            try:
                ints = pc.cast(arr, pa.int64())
                columns[j] = (ints.to_numpy(zero_copy_only=False) if ints.null_count == 0
                              else ints.to_numpy(zero_copy_only=False).astype("float64"))
                continue
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
            floats = pc.cast(arr, pa.float64())
            if not pc.any(pc.is_nan(floats)).as_py():
                columns[j] = floats.to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
            continue
    # one frame built at once (not a copy then a write per column), the columns as they were
    out = pd.DataFrame(columns, index=df.index, copy=True)
    out.columns = df.columns
    out.attrs = dict(df.attrs)
    return out


# --------------------------------------------------------------------------- REDCap, LimeSurvey


@dataclass(frozen=True)
class RedcapField:
    """One row of a REDCap data dictionary."""

    name: str
    form: str
    type: str
    label: str
    choices: dict[str, str]


REDCAP_DICTIONARY_COLUMNS = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation")

#: label-export headers of REDCap's own columns
_REDCAP_SPECIAL = {"record id": "record_id", "event name": "redcap_event_name",
                   "repeat instrument": "redcap_repeat_instrument",
                   "repeat instance": "redcap_repeat_instance",
                   "data access group": "redcap_data_access_group",
                   "survey identifier": "redcap_survey_identifier"}
_REDCAP_COMPLETE = {"incomplete": "0", "unverified": "1", "complete": "2"}


def _plain_label(text: str) -> str:
    from compassion_scales.instrument import normalise_label

    return normalise_label(re.sub(r"<[^>]*>", " ", str(text)))


def parse_redcap_choices(text: str) -> dict[str, str]:
    """Parse REDCap choices (``"1, Never | 2, Sometimes"``) into code -> label.

    Examples
    --------
    >>> parse_redcap_choices("1, Never | 2, Sometimes, or often|3,Always")
    {'1': 'Never', '2': 'Sometimes, or often', '3': 'Always'}
    """
    out: dict[str, str] = {}
    for part in str(text or "").split("|"):
        if not part.strip():
            continue
        code, _, label = part.partition(",")
        out[code.strip()] = label.strip()
    return out


def read_redcap_dictionary(path: str | Path) -> dict[str, RedcapField]:
    """Read a REDCap data dictionary CSV into field name -> :class:`RedcapField`.

    The file is the one REDCap's "Data Dictionary" page downloads (columns
    ``"Variable / Field Name"``, ``"Form Name"``, ``"Section Header"``, ``"Field Type"``,
    ``"Field Label"``, ``"Choices, Calculations, OR Slider Labels"``, ...). Choices of
    radio, dropdown and checkbox fields are parsed (``1, Never | 2, Sometimes``); yesno
    and truefalse fields get REDCap's fixed choices.

    Raises
    ------
    InputFileError
        The file is missing or lacks the dictionary's columns.
    """
    df = read_responses(path)
    cols = {normalise_header(c): c for c in df.columns}
    need = {"variable / field name": None, "form name": None, "field type": None, "field label": None}
    missing = [k for k in need if k not in cols]
    if missing:
        raise InputFileError(f"{path}: not a REDCap data dictionary (no column(s) "
                             + ", ".join(repr(m) for m in missing) + ").")
    choice_col = next((cols[k] for k in cols if k.startswith("choices")), None)
    out: dict[str, RedcapField] = {}
    first = int(df.attrs.get("first_row", 2))
    for pos, row in enumerate(df.itertuples(index=False)):  # one row per field, not per respondent
        rec = dict(zip(df.columns, row, strict=True))
        name = rec[cols["variable / field name"]]
        if name is None or (isinstance(name, float) and np.isnan(name)):
            raise InputFileError(f"{path}: row {pos + first}: the field name is empty.")
        ftype = str(rec[cols["field type"]] or "").strip().lower()
        label = rec[cols["field label"]]
        raw_choices = rec[choice_col] if choice_col else None
        if ftype in ("radio", "dropdown", "checkbox"):
            choices = parse_redcap_choices("" if pd.isna(raw_choices) else str(raw_choices))
        elif ftype == "yesno":
            choices = {"1": "Yes", "0": "No"}
        elif ftype == "truefalse":
            choices = {"1": "True", "0": "False"}
        else:
            choices = {}
        form = rec[cols["form name"]]
        out[str(name).strip()] = RedcapField(
            name=str(name).strip(), form="" if pd.isna(form) else str(form).strip(), type=ftype,
            label="" if pd.isna(label) else str(label), choices=choices)
    return out


def normalise_header(text: str) -> str:
    return " ".join(str(text).strip().casefold().split())


def _load_dictionary(dictionary: str | Path | Mapping[str, Any]) -> Mapping[str, RedcapField]:
    if isinstance(dictionary, Mapping):
        return dictionary  # type: ignore[return-value]
    return read_redcap_dictionary(dictionary)


def _apply_dictionary_header(header: list[str], dictionary: Any, name: str
                             ) -> tuple[list[str], list[str]]:
    """Turn a REDCap label export's headers into field names (raw exports pass through)."""
    fields = _load_dictionary(dictionary)
    if not fields:
        return header, []
    known = sum(h in fields or h in _REDCAP_SPECIAL.values() or h.endswith("_complete")
                or "___" in h for h in header)
    if known >= max(1, len(header) // 2):
        return header, []
    by_label: dict[str, list[str]] = {}
    for f in fields.values():
        if f.type in ("descriptive",):
            continue
        by_label.setdefault(_plain_label(f.label), []).append(f.name)
    forms = {f.form for f in fields.values()}
    used: set[str] = set()
    out = []
    renamed = 0
    for h in header:
        key = _plain_label(h)
        target = None
        if h in fields:
            target = h
        elif key in _REDCAP_SPECIAL:
            target = _REDCAP_SPECIAL[key]
        else:
            m = re.fullmatch(r"(.*)\(choice=(.*)\)", h.strip(), flags=re.S)
            if m:
                base = _plain_label(m.group(1))
                choice = _plain_label(m.group(2))
                for fname in by_label.get(base, []):
                    f = fields[fname]
                    code = next((c for c, lab in f.choices.items() if _plain_label(lab) == choice), None)
                    if code is not None and f"{fname}___{code}" not in used:
                        target = f"{fname}___{code}"
                        break
            else:
                target = next((f for f in by_label.get(key, []) if f not in used), None)
        if target is None and key == "complete?":
            form = next((fm for fm in forms if f"{fm}_complete" not in used), None)
            target = f"{form}_complete" if form else None
        if target is None:
            out.append(h)
            continue
        used.add(target)
        renamed += 1
        out.append(target)
    notes = [f"{name}: REDCap label export: {renamed} column header(s) turned back into field names "
             "with the data dictionary."] if renamed else []
    return out, notes


def apply_redcap_dictionary(df: pd.DataFrame, dictionary: str | Path | Mapping[str, Any]
                            ) -> pd.DataFrame:
    """Turn choice labels (``"Never"``) back into REDCap codes (``"1"``) in choice fields.

    Columns are matched by field name (checkbox columns ``field___code``; form status
    columns ``form_complete``). Cells that already hold a code, and any other text, are
    left as they are (an unknown label in an item column is reported by scoring).

    Examples
    --------
    >>> fields = {"q1": RedcapField("q1", "f", "radio", "Q one", {"1": "Never", "2": "Often"})}
    >>> frame = pd.DataFrame({"q1": ["Never", "2", None]}, dtype="str")
    >>> apply_redcap_dictionary(frame, fields)["q1"].tolist()
    ['1', '2', nan]
    """
    fields = _load_dictionary(dictionary)
    out = df.copy()
    out.attrs = dict(df.attrs)
    for col in df.columns:
        col_s = str(col)
        lookup: dict[str, str] = {}
        if col_s in fields and fields[col_s].choices and fields[col_s].type != "checkbox":
            lookup = {_plain_label(lab): code for code, lab in fields[col_s].choices.items()}
        elif "___" in col_s and col_s.split("___")[0] in fields:
            lookup = {"checked": "1", "unchecked": "0"}
        elif col_s.endswith("_complete"):
            lookup = _REDCAP_COMPLETE
        if not lookup:
            continue
        series = df[col]
        if pd.api.types.is_numeric_dtype(series.dtype):
            continue
        codes, uniques = pd.factorize(series)
        new_uniques = [lookup.get(_plain_label(u), u) for u in uniques]  # loop over distinct values
        if list(new_uniques) == list(uniques):
            continue
        values = np.asarray(new_uniques, dtype=object)[np.where(codes < 0, 0, codes)]
        converted = pd.array(values, dtype="str")
        converted[codes < 0] = pd.NA
        out[col] = converted
    return out


_LIMESURVEY_FIXED = ("id", "submitdate", "lastpage", "startlanguage")


def limesurvey_columns(columns: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Array-question columns of a LimeSurvey export: column -> (question code, subquestion code).

    LimeSurvey writes answers to array questions as ``Q1[SQ001]`` (the "question code"
    heading) or ``Q1_SQ001`` (the same in the form some exports and R/SPSS syntax use).
    Match them to items with ``--pattern 'Q1[SQ{n:03d}]'`` (or ``'Q1_SQ{n:03d}'``).

    Examples
    --------
    >>> limesurvey_columns(["id", "submitdate", "Q1[SQ001]", "Q1_SQ002", "age"])
    {'Q1[SQ001]': ('Q1', 'SQ001'), 'Q1_SQ002': ('Q1', 'SQ002')}
    """
    out: dict[str, tuple[str, str]] = {}
    for c in columns:
        m = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*)(?:\[([A-Za-z0-9]+)\]|_(SQ[0-9A-Za-z]+))", str(c))
        if m:
            out[str(c)] = (m.group(1), m.group(2) or m.group(3))
    return out


def is_limesurvey_export(columns: Sequence[str]) -> bool:
    """True when the columns start like a LimeSurvey response export (``id, submitdate, ...``)."""
    cols = [str(c) for c in columns]
    return all(c in cols for c in _LIMESURVEY_FIXED[:2]) and bool(limesurvey_columns(cols))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:  # pragma: no cover
        return False


def _new_file_mode(target: Path) -> int:
    """Permissions for a new output: those of the file it replaces, else 0666 minus the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


def _scrub(text: str, tmp: Path, out: Path) -> str:
    """A message without the temporary file's name (it would mean nothing to the reader)."""
    return str(text).replace(str(tmp), str(out)).replace(tmp.name, out.name)


def _check_target(out: Path, inputs: Iterable[str | Path], overwrite: bool) -> str:
    suffix = out.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise OutputFileError(f"{out}: unknown output type {suffix!r}; use one of "
                              + ", ".join(WRITE_SUFFIXES) + ".")
    for inp in inputs:
        if str(inp) == "-":
            continue
        if Path(inp).resolve() == out.resolve() or _same_file(Path(inp), out):
            raise OutputFileError(f"{out}: refusing to overwrite the input file; "
                                  "choose another output name.")
    if out.is_dir():
        raise OutputFileError(f"{out}: is a folder; give a file name.")
    if out.exists() and not overwrite:
        raise OutputFileError(f"{out}: already exists.")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.exists():
        raise OutputFileError(f"{out}: the folder {folder} does not exist.")
    if not folder.is_dir():
        raise OutputFileError(f"{out}: {folder} is not a folder.")
    return suffix


def _stage(out: Path, write: Any) -> Path:
    """Write to a temporary file beside ``out`` (``write(tmp_path)``); return the temporary path.

    On any failure the temporary file is removed and one :class:`OutputFileError` naming
    ``out`` (never the temporary name) is raised.
    """
    folder = out.parent if str(out.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=out.suffix, dir=folder)
    except PermissionError:
        raise OutputFileError(f"{out}: cannot write in the folder {folder} (permission denied); "
                              "choose another folder.") from None
    except OSError as exc:
        raise OutputFileError(f"{out}: cannot write in the folder {folder} "
                              f"({exc.strerror or type(exc).__name__}).") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, _new_file_mode(out))
    except OutputFileError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputFileError(_scrub(str(exc), tmp, out)) from None
    except PermissionError:
        tmp.unlink(missing_ok=True)
        raise OutputFileError(f"{out}: permission denied.") from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputFileError(f"{out}: cannot be written ({exc.strerror or _scrub(str(exc), tmp, out)}).") from None
    except Exception as exc:  # noqa: BLE001
        tmp.unlink(missing_ok=True)
        detail = _scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, tmp, out)
        raise OutputFileError(f"{out}: cannot be written ({detail}){_name_hint(out, detail)}.") from None
    return tmp


def _name_hint(out: Path, detail: str) -> str:
    """What to do when SPSS/Stata refuse a column name (a Qualtrics export's ``Duration (in
    seconds)``): the writer's message alone left the user stuck."""
    if out.suffix.lower() not in (".sav", ".zsav", ".dta") or "name" not in detail.lower():
        return ""
    return ("; SPSS and Stata names are letters, digits and _ only, starting with a letter: rename "
            "that column, leave the other columns out (cscore score --keep ids), or write .csv, "
            ".xlsx or .parquet")


def stat_name_error(path: str | Path, exc: Exception, columns: Sequence[str]) -> OutputFileError | None:
    """The error for an SPSS/Stata writer that refused a column name, naming the columns it
    cannot take (the writer's own message names one, or none: "A provided name is too long
    for the file format"); None when ``exc`` is about something else."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    named = _refused_names(columns, Path(path).suffix.lower())
    if not named or "name" not in detail.lower():
        return None
    return OutputFileError(f"{path}: cannot be written ({detail}; column(s) {', '.join(map(repr, named))})"
                           f"{_name_hint(Path(path), detail)}.")


def _refused_names(names: Sequence[str], suffix: str) -> list[str]:
    """The first column names (up to 5) SPSS (``.sav``: 64 bytes) or Stata (``.dta``: 32
    characters) would refuse: too long, or not letters, digits and ``_`` starting with a letter.

    Examples
    --------
    >>> _refused_names(["pid", "Duration (in seconds)", "x" * 40], ".dta")
    ['Duration (in seconds)', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx']
    """
    longest = 32 if suffix == ".dta" else 64
    return [n for n in names if len(n.encode("utf-8")) > longest
            or not re.fullmatch(r"[A-Za-z@#$][\w.@#$]*" if suffix == ".sav" else r"[A-Za-z_]\w*", n)][:5]


def _write_frame(df: pd.DataFrame, path: Path, suffix: str) -> None:
    if suffix in (".csv", ".tsv"):
        _write_delimited(df, path, "," if suffix == ".csv" else "\t")
    elif suffix == ".xlsx":
        _write_xlsx(df, path)
    elif suffix in (".sav", ".dta"):
        import pyreadstat

        frame = df.copy()
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.StringDtype) or frame[col].dtype == object:
                frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
            elif isinstance(frame[col].dtype, pd.CategoricalDtype):
                frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
        try:
            (pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta)(frame, str(path))
        except Exception as exc:  # a refused name: say which (else _stage's message)
            named = stat_name_error(path, exc, [str(c) for c in frame.columns])
            if named is None:
                raise
            raise named from None
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    elif suffix == ".json":
        from compassion_scales._format import dumps_json

        path.write_text(dumps_json(df), encoding="utf-8")


def _write_xlsx(df: pd.DataFrame, path: Path) -> None:
    """One sheet; text stays text (a value starting with ``=`` is not turned into a formula)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    rows, cols = df.shape[0] + 1, df.shape[1]
    if rows > _XLSX_ROWS or cols > _XLSX_COLUMNS:
        what = f"{rows} rows" if rows > _XLSX_ROWS else f"{cols} columns"
        raise OutputFileError(f"{path}: the table has {what} with its header and an Excel sheet holds at "
                              f"most {_XLSX_ROWS:,} rows and {_XLSX_COLUMNS:,} columns; write .csv, .tsv "
                              "or .parquet instead (or keep fewer columns with --keep ids).")
    columns: list[list[Any]] = []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s.dtype) and not s.isna().any():
            columns.append([bool(v) for v in s.to_numpy()])
        elif pd.api.types.is_numeric_dtype(s.dtype):
            arr = s.to_numpy(dtype="float64", na_value=np.nan)
            whole = pd.api.types.is_integer_dtype(s.dtype)
            columns.append([None if np.isnan(v) else (int(v) if whole else float(v)) for v in arr])
        else:
            columns.append([None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA
                            else (v if isinstance(v, str) else str(v)) for v in s.astype(object).tolist()])
            _check_xlsx_text(columns[-1], len(columns), str(col), path)
    wb = openpyxl.Workbook(write_only=True)  # after the checks: an abandoned sheet writer warns
    ws = wb.create_sheet("Sheet1")
    ws.append([str(c) for c in df.columns])
    for row in zip(*columns, strict=True) if columns else []:
        cells = []
        for v in row:
            if isinstance(v, str) and v.startswith("="):
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(v)
        ws.append(cells)
    wb.save(path)


#: the most characters an Excel cell holds (openpyxl cuts longer text short without a word)
_XLSX_CELL_CHARS = 32_767
#: the most rows and columns of an Excel sheet
_XLSX_ROWS, _XLSX_COLUMNS = 1_048_576, 16_384


def _check_xlsx_text(values: list[Any], number: int, col: str, path: Path) -> None:
    """Refuse text an Excel cell cannot hold (too long, control characters), naming the cell."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    for i, v in enumerate(values):
        if not isinstance(v, str):
            continue
        where = f"{path}: cell {get_column_letter(number)}{i + 2} (column {col})"
        if len(v) > _XLSX_CELL_CHARS:
            raise OutputFileError(f"{where}: the text has {len(v)} characters and an Excel cell holds "
                                  "at most 32,767; write .csv, .tsv or .parquet instead.")
        bad = ILLEGAL_CHARACTERS_RE.search(v)
        if bad:
            raise OutputFileError(f"{where}: the text holds a control character ({bad.group()!r}) that "
                                  "an Excel cell cannot hold; write .csv, .tsv or .parquet instead.")


def _provenance_text(output: Path, output_sha256: str | None, payload: Mapping[str, Any]) -> str:
    from compassion_scales._format import to_jsonable

    body = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "output": str(output),
        "output_sha256": output_sha256,
        "versions": _versions(),
        **payload,
    }
    return json.dumps(to_jsonable(body), indent=2, ensure_ascii=False)


def _file_sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_outputs(tables: Sequence[tuple[pd.DataFrame, str | Path]], *,
                  inputs: Iterable[str | Path] = (),
                  provenance: Mapping[str, Mapping[str, Any]] | None = None,
                  overwrite: bool = True,
                  metadata: Mapping[str, Any] | None = None) -> list[Path]:
    """Write several tables (and their provenance sidecars) as one transaction.

    Every file is first written in full to a temporary file beside its target; only
    when all of them are written are they moved into place (each move is atomic). If
    any one cannot be written (bad folder, permission, unknown extension, a target
    that is an input), none is: the temporary files are removed and the targets are
    left as they were.

    Parameters
    ----------
    tables : sequence of (DataFrame, path)
        Outputs; the format comes from each path's extension.
    inputs : paths
        Input files, never overwritten.
    provenance : mapping, optional
        Output path (as given) -> payload: writes ``<path>.provenance.json`` with the
        versions, the time, the output's SHA-256 and the payload, in the same transaction.

    Returns
    -------
    list of Path
        Every file written (tables and sidecars), in order.

    Raises
    ------
    OutputFileError
        One line naming the output that cannot be written and why.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> frame = pd.DataFrame({"pid": ["001"], "score": [2.5]})
    >>> [p.name for p in write_outputs([(frame, folder / "a.csv"), (frame, folder / "b.json")])]
    ['a.csv', 'b.json']
    >>> write_outputs([(frame, folder / "c.csv"), (frame, folder / "nowhere" / "d.csv")])
    Traceback (most recent call last):
    ...
    compassion_scales.errors.OutputFileError: .../nowhere/d.csv: the folder .../nowhere does not exist.
    >>> sorted(p.name for p in folder.iterdir())
    ['a.csv', 'b.json']
    """
    inputs = [Path(p) if str(p) != "-" else p for p in inputs]
    prov = {str(k): v for k, v in (provenance or {}).items()}
    planned: list[tuple[pd.DataFrame, Path, str]] = []
    seen: set[Path] = set()
    for df, path in tables:
        out = Path(path)
        suffix = _check_target(out, inputs, overwrite)
        key = out.resolve()
        if key in seen:
            raise OutputFileError(f"{out}: named twice as an output; give each output its own file.")
        seen.add(key)
        if str(path) in prov:
            side = Path(str(path) + ".provenance.json")
            if side.resolve() in seen:
                raise OutputFileError(f"{side}: named twice as an output.")
            seen.add(side.resolve())
        planned.append((df, out, suffix))
    staged: list[tuple[Path, Path]] = []
    try:
        for (df, out, suffix), (_, given) in zip(planned, tables, strict=True):
            meta = (metadata or {}).get(str(given))
            if meta is not None and suffix in (".sav", ".dta", ".parquet"):
                # variable/value labels and measure levels (reporting.labelled.TableMetadata)
                tmp = _stage(out, lambda t, df=df, meta=meta: meta.write(df, t))
            else:
                tmp = _stage(out, lambda t, df=df, suffix=suffix: _write_frame(df, t, suffix))
            staged.append((tmp, out))
            if str(given) in prov:
                side = Path(str(given) + ".provenance.json")
                text = _provenance_text(out, _file_sha(tmp), prov[str(given)])
                staged.append((_stage(side, lambda t, text=text: t.write_text(text, encoding="utf-8")),
                               side))
        done: list[Path] = []
        for tmp, out in staged:
            try:
                os.replace(tmp, out)
            except OSError as exc:
                raise OutputFileError(f"{out}: cannot be written ({exc.strerror or type(exc).__name__})"
                                      + (f"; already written: {', '.join(map(str, done))}" if done else "")
                                      + ".") from None
            done.append(out)
    finally:
        for tmp, _ in staged:
            if tmp.exists():
                tmp.unlink()
    return [out for _, out in staged]


def write_table(df: pd.DataFrame, path: str | Path, *, inputs: Iterable[str | Path] = (),
                overwrite: bool = True, metadata: Any = None) -> Path:
    """Write ``df`` to ``path`` (format from the extension), atomically.

    The data go to a temporary file in the same folder, which then replaces the
    target, so a failed write never leaves half a file. Writing over any of
    ``inputs`` is refused. The file gets the permissions of the file it replaces, or
    the usual ones for a new file (0666 minus the user's umask).

    ``metadata`` (a :class:`compassion_scales.reporting.labelled.TableMetadata`) writes
    variable labels, value labels and measure levels into ``.sav``/``.dta``/``.parquet``
    files (ignored for other formats).

    Raises
    ------
    OutputFileError
        Unknown extension, the path is an input file, or the folder is not writable.
    """
    return write_outputs([(df, path)], inputs=inputs, overwrite=overwrite,
                         metadata={str(path): metadata} if metadata is not None else None)[0]


def _has_any(column: Any, series: pd.Series, characters: Sequence[str]) -> bool:
    """Whether some cell of a text column holds one of ``characters`` (arrow text searched
    in place; other columns as the text pandas gives them)."""
    import pyarrow.compute as pc

    if is_plain_text(column):
        return any(pc.any(pc.match_substring(column, ch)).as_py() for ch in characters)
    return bool(series.astype("string").str.contains(
        "[" + re.escape("".join(characters)) + "]", regex=True).fillna(False).any())


def csv_text(df: pd.DataFrame, sep: str = ",") -> str:
    """The CSV (or, with ``sep="\\t"``, TSV) text :func:`write_table` writes for ``df``.

    For printing a table the way it would be saved: whole numbers as ``3``, not ``3.0``.

    Examples
    --------
    >>> print(csv_text(pd.DataFrame({"pid": ["a", "b"], "score": [3.0, 2.5]})), end="")
    pid,score
    a,3
    b,2.5
    """
    buffer = _io.BytesIO()
    _write_delimited(df, buffer, sep)
    return buffer.getvalue().decode("utf-8")


def _write_delimited(df: pd.DataFrame, path: str | Path | IO[bytes], sep: str) -> None:
    """CSV/TSV through pyarrow's writer (about 6x faster than pandas), pandas as fallback."""
    try:
        import pyarrow as pa

        table = _whole_seconds(_whole_floats_as_ints(pa.Table.from_pandas(df, preserve_index=False)))
        # quote only when some text could break the CSV (pyarrow's "needed" quotes all text)
        special = f'[{re.escape(sep)}"\r\n]'
        texts = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])
                 and not pd.api.types.is_bool_dtype(df[c])]
        risky = any(re.search(special, str(c)) for c in df.columns) or any(
            _has_any(table.column(j), df.iloc[:, j], (sep, '"', "\r", "\n"))
            for j, c in enumerate(df.columns) if c in texts)
        write_csv_table(table, str(path) if isinstance(path, (str, Path)) else path, sep=sep,
                        quote="needed" if risky else "none")
    except Exception:  # noqa: BLE001 - unusual dtypes: let pandas do it
        if not isinstance(path, (str, Path)):
            path.seek(0)
            path.truncate()
        df.to_csv(path, index=False, sep=sep)


def write_csv_table(table: Any, sink: Any, *, sep: str = ",", quote: str = "none",
                    header: bool = True) -> None:
    """Write an arrow table as CSV/TSV with pyarrow's writer (``quote``: its quoting style).

    A table of one column is the exception when some of its cells are empty: pyarrow
    writes such a cell as an empty line, which pandas, R and spreadsheet programs skip,
    so the row would be lost on reading. Those cells are written ``""`` instead (as
    Python's csv module and pandas do); the other cells keep pyarrow's text.

    Examples
    --------
    >>> import io, pyarrow as pa
    >>> out = io.BytesIO()
    >>> write_csv_table(pa.table({"score": [15, None, 12]}), out)
    >>> out.getvalue().decode()
    'score\\n15\\n""\\n12\\n'
    """
    import pyarrow.csv as pacsv

    if table.num_columns == 1 and table.num_rows and _has_empty_cell(table.column(0)):
        text = _one_column_text(table, sep, header)
        if isinstance(sink, str):
            Path(sink).write_bytes(text)
        else:
            sink.write(text)
        return
    opts = pacsv.WriteOptions(include_header=header, delimiter=sep, quoting_style=quote,
                              quoting_header=quote)
    pacsv.write_csv(table, sink, write_options=opts)


def _has_empty_cell(column: Any) -> bool:
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.null_count:
        return True
    return bool((pa.types.is_string(column.type) or pa.types.is_large_string(column.type))
                and pc.any(pc.equal(column, "")).as_py())


def _one_column_text(table: Any, sep: str, header: bool) -> bytes:
    """One column as CSV lines, empty cells as ``""``, quoting where the text needs it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def quoted(values: Any) -> Any:
        needs = pc.match_substring_regex(values, f'[{re.escape(sep)}"\r\n]')
        wrapped = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
        return pc.if_else(needs, wrapped, values)

    values = pc.cast(table.column(0), pa.string())
    cells = pc.if_else(pc.fill_null(pc.equal(values, ""), True), '""', quoted(pc.fill_null(values, "")))
    lines = ([quoted(pa.array([table.column_names[0]])).to_pylist()[0]] if header else [])
    lines += cells.to_pylist()
    return ("\n".join(lines) + "\n").encode("utf-8")


#: Whole float values below this are written as integers (pyarrow writes floats from 1e10 on
#: with an exponent, "1e+10").
_WHOLE_LIMIT = 2.0 ** 53  # every whole number below it is exact in float64


def _whole_floats_as_ints(table: Any) -> Any:
    """``table`` with each float64 column whose values are all whole numbers (below
    :data:`_WHOLE_LIMIT`, no ``-0.0``, nulls allowed) as int64: pyarrow's CSV writer then
    writes the same bytes ("3", not "3.0", either way) faster (survey answers read from
    Parquet, SPSS or Excel are floats: 200,000 rows x 222 columns, 3.0 -> 2.4 s), and whole
    numbers from 10^10 on keep their digits (an SPSS identifier 123456789012 stays
    ``123456789012``; pyarrow writes the float as ``1.23456789012e+11``). Other columns as
    they are.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = _whole_floats_as_ints(pa.table({"a": [1.0, None, 3.0], "b": [0.5, 1.0, 2.0]}))
    >>> [str(f.type) for f in t.schema]
    ['int64', 'double']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    for j, field in enumerate(table.schema):
        if not pa.types.is_float64(field.type):  # float32 switches to exponents sooner
            continue
        col = table.column(j)
        try:  # refuses fractions, NaN and infinities
            whole = pc.cast(col, pa.int64(), safe=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if not all(_small_and_no_negative_zero(c) for c in col.chunks):
            continue
        table = table.set_column(j, field.name, whole)
    return table


def _whole_seconds(table: Any) -> Any:
    """``table`` with each date-time column whose values are all whole seconds in seconds: the
    CSV writer then writes ``2024-01-02 10:00:00`` (a kept SPSS/Stata ``DATETIME`` column) where
    it wrote ``2024-01-02 10:00:00.000000``. Other columns as they are.

    Examples
    --------
    >>> import pyarrow as pa, datetime as dt
    >>> t = pa.table({"at": pa.array([dt.datetime(2024, 1, 2, 10)], pa.timestamp("us"))})
    >>> str(_whole_seconds(t).schema.field("at").type)
    'timestamp[s]'
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    for j, field in enumerate(table.schema):
        if not pa.types.is_timestamp(field.type) or field.type.unit == "s" or field.type.tz:
            continue
        try:  # refuses fractions of a second
            table = table.set_column(j, field.name, pc.cast(table.column(j), pa.timestamp("s"), safe=True))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return table


def _small_and_no_negative_zero(chunk: Any) -> bool:
    """The float64 values of an arrow chunk are all below :data:`_WHOLE_LIMIT` in size and
    none is ``-0.0``, read from its value buffer (slots under a null count too: at worst a
    column keeps the float writing; NaN is ignored)."""
    data = chunk.buffers()[1]
    if len(chunk) == 0 or data is None:
        return len(chunk) == 0
    v = np.frombuffer(data, np.float64, len(chunk), chunk.offset * 8)
    return bool(np.fmax.reduce(v) < _WHOLE_LIMIT and np.fmin.reduce(v) > -_WHOLE_LIMIT
                and not (v.view(np.int64) == np.float64(-0.0).view(np.int64)).any())


def _versions() -> dict[str, str]:
    return dict(_package_versions())


#: The packages whose versions a provenance record lists (distribution names).
PROVENANCE_PACKAGES = ("cscore", "numpy", "pandas", "scipy", "pyarrow", "pyreadstat", "openpyxl",
                       "pyyaml", "jsonschema", "click")


@lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str], ...]:
    """Python's and the packages' versions, looked up once per process.

    Read from the names of the ``NAME-VERSION.dist-info`` folders on ``sys.path`` (the
    first one found, as :func:`importlib.metadata.version` does); importing
    ``importlib.metadata`` and reading each package's metadata cost ~15-25 ms per process
    (a tenth of scoring a 10,000-row file). A package found another way (an ``.egg-info``
    folder, a zip) is looked up with :mod:`importlib.metadata`.
    """
    found, other = _dist_info_versions(PROVENANCE_PACKAGES)
    if other:
        from importlib.metadata import PackageNotFoundError, version

        for pkg in other:
            try:
                found[pkg] = version(pkg)
            except PackageNotFoundError:
                pass
    out = {"python": platform.python_version()}
    out.update((pkg, found[pkg]) for pkg in PROVENANCE_PACKAGES if pkg in found)
    return tuple(out.items())


def _dist_info_versions(packages: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """(package -> version from its first ``.dist-info`` folder on ``sys.path``, the packages
    not settled that way: first found as ``.egg-info``, or not found in a folder)."""
    import sys

    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "_", name).lower()

    wanted = {canonical(p): p for p in packages}
    found: dict[str, str] = {}
    other: set[str] = set()
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as listing:
                names = [e.name for e in listing if e.name.endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue
        for folder in sorted(names):
            stem, _, version = folder.rpartition(".")[0].partition("-")
            pkg = wanted.get(canonical(stem))
            if pkg is None or pkg in found or pkg in other:
                continue
            if folder.endswith(".dist-info") and version:
                found[pkg] = version
            else:
                other.add(pkg)
    return found, [p for p in packages if p not in found]


def write_provenance(output: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``<output>.provenance.json`` with versions, time, the output's SHA-256 and ``payload``.

    To write an output and its sidecar together (all or nothing), use :func:`write_outputs`.
    """
    out = Path(str(output) + ".provenance.json")
    sha = _file_sha(Path(output)) if Path(output).exists() else None
    text = _provenance_text(Path(output), sha, payload)
    if out.is_dir():
        raise OutputFileError(f"{out}: is a folder; give a file name.")
    tmp = _stage(out, lambda t: t.write_text(text, encoding="utf-8"))
    os.replace(tmp, out)
    return out


def read_column_map(path: str | Path) -> dict[str, str]:
    """Read a column map (data column -> item id) from CSV/TSV (two columns) or YAML/JSON.

    A CSV map has a header; the first column holds data column names and the second
    item ids (e.g. ``column,item``). A YAML/JSON map is a mapping ``column: item``.

    Raises
    ------
    InputFileError
        The file is missing or not a two-column map.
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"{path}: no such map file.")
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        from compassion_scales.instrument import read_definition_file

        try:  # the same safe reading as instrument files: no aliases, no key given twice
            data, _sha = read_definition_file(p, kind="Map")
        except InstrumentError as exc:
            raise InputFileError(str(exc)) from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise InputFileError(f"{path}: a map file must be a mapping of data column -> item id.")
        return {str(k): str(v) for k, v in data.items()}
    df = read_responses(p, string_columns=())
    if df.shape[1] < 2:
        raise InputFileError(f"{path}: a map file needs two columns: data column, item id.")
    out: dict[str, str] = {}
    first = df.attrs.get("first_row", 2)
    for pos, (src, item) in enumerate(zip(df.iloc[:, 0], df.iloc[:, 1], strict=True)):
        if pd.isna(src) or pd.isna(item):
            raise InputFileError(f"{path}: row {pos + first}: both the column and the item id are needed.")
        if str(src).strip() in out:
            raise InputFileError(f"{path}: row {pos + first}: column {src} is mapped twice.")
        out[str(src).strip()] = str(item).strip()
    return out


def check_output_path(path: str | Path, inputs: Iterable[str | Path] = (), *,
                      extra_suffixes: Sequence[str] = ()) -> None:
    """Fail before any work when ``path`` cannot be an output: unknown extension, a folder
    that does not exist or cannot be written, or one of the ``inputs``.

    Raises
    ------
    OutputFileError
    """
    out = Path(path)
    suffix = out.suffix.lower()
    allowed = (*WRITE_SUFFIXES, *extra_suffixes)
    if suffix not in allowed:
        raise OutputFileError(f"{out}: unknown output type {suffix or '(no extension)'!r}; use one "
                              "of " + ", ".join(allowed) + ".")
    for inp in inputs:
        if str(inp) != "-" and (Path(inp).resolve() == out.resolve() or _same_file(Path(inp), out)):
            raise OutputFileError(f"{out}: refusing to overwrite the input file; choose another "
                                  "output name.")
    folder = out.parent if str(out.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise OutputFileError(f"{out}: {folder} is a file, not a folder.")
    if not folder.is_dir():
        raise OutputFileError(f"{out}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputFileError(f"{out}: the folder {folder} cannot be written (permission denied).")
    if out.is_dir():
        raise OutputFileError(f"{out}: is a folder; give a file name.")


# --------------------------------------------------------------------------- whole-file runs


def score_file(data: pd.DataFrame, instruments: Sequence[str] | None, **options: Any) -> ScoreResult:
    """Score a DataFrame read by :func:`read_responses` (the CLI's one library call).

    ``instruments`` may be empty or ``None`` (detect them from the columns); ``options``
    are passed to :func:`compassion_scales.score`.
    """
    from compassion_scales.scoring import score

    return score(data, list(instruments) if instruments else None, **options)


def provenance_payload(result: ScoreResult, input_path: str) -> dict[str, Any]:
    """What the provenance sidecar records about a scoring run."""
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
