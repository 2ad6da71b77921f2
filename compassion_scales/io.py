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
import tempfile
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from compassion_scales.errors import InputFileError, OutputFileError

__all__ = [
    "read_responses",
    "write_table",
    "write_provenance",
    "sha256_file",
    "READ_SUFFIXES",
    "WRITE_SUFFIXES",
]

READ_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".xlsx", ".xlsm", ".xls", ".sav", ".zsav",
                 ".dta", ".parquet", ".pq")
WRITE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".sav", ".dta", ".parquet", ".json")


_SHA_CACHE: dict[str, tuple[int, str]] = {}
_PENDING_HASH: dict[str, threading.Thread] = {}


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex); reuses the hash taken while the file was read."""
    pending = _PENDING_HASH.pop(str(path), None)
    if pending is not None:
        pending.join()
    cached = _SHA_CACHE.get(str(path))
    if cached is not None and Path(path).stat().st_mtime_ns == cached[0]:
        return cached[1]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sniff_delimiter(first_line: str, suffix: str) -> str:
    if suffix in (".tsv", ".tab"):
        return "\t"
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _decode(raw: bytes, encoding: str | None, name: str) -> str:
    enc = encoding or "utf-8-sig"
    try:
        return raw.decode(enc)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start: exc.start + 1].hex()
        raise InputFileError(
            f"{name}: row {line}: the file is not valid {enc.replace('-sig', '').upper()} text "
            f"(byte 0x{bad}). It was probably saved in another encoding; try "
            "--encoding latin-1 (or cp1252 for Windows Excel exports).") from None
    except LookupError:
        raise InputFileError(f"{name}: unknown encoding {encoding!r} "
                             "(try utf-8, latin-1 or cp1252).") from None


def _read_delimited(path: Path, encoding: str | None, delimiter: str | None,
                    string_columns: Sequence[str]) -> tuple[pd.DataFrame, int, list[str]]:
    name = str(path)
    raw = path.read_bytes()
    # hash (for provenance) in a thread while the file is checked and parsed: hashlib
    # releases the GIL on large buffers
    mtime = path.stat().st_mtime_ns
    hasher = threading.Thread(
        target=lambda: _SHA_CACHE.__setitem__(str(path), (mtime, hashlib.sha256(raw).hexdigest())),
        daemon=True)
    hasher.start()
    _PENDING_HASH[str(path)] = hasher
    if not raw or raw.isspace():
        raise InputFileError(f"{name}: the file is empty (no header row and no data).")
    if raw.isascii() and encoding in (None, "utf-8", "utf8", "utf-8-sig", "ascii"):
        text = raw.decode("ascii")  # plain ASCII: valid in every supported encoding
    else:
        text = _decode(raw, encoding, name)
    if not text or text.isspace():
        raise InputFileError(f"{name}: the file is empty (no header row and no data).")
    end = text.find("\n")
    first_line = (text if end < 0 else text[:end]).rstrip("\r")
    sep = delimiter or _sniff_delimiter(first_line, path.suffix.lower())
    header = next(csv.reader([first_line], delimiter=sep))
    header = [h.strip() for h in header]
    problems = []
    for pos, h in enumerate(header, start=1):
        if not h:
            problems.append(f"{name}: row 1, column {pos}: the header cell is empty; "
                            "give every column a name.")
    dups = sorted({h for h in header if h and header.count(h) > 1})
    for d in dups:
        problems.append(f"{name}: row 1, column {d}: the column name appears more than once.")
    if problems:
        raise InputFileError("\n".join(problems))
    notes: list[str] = []
    # Qualtrics exports carry two extra header rows (question text, ImportId JSON)
    skip: list[int] = []
    head = text[:20000].split("\n", 3)
    if len(head) >= 3 and '{"ImportId"' in head[2]:
        skip = [1, 2]
        notes.append(f"{name}: Qualtrics export detected; rows 2-3 (question text and import ids) skipped.")
    data_bytes = text.encode("utf-8") if (encoding not in (None, "utf-8", "utf8")) else raw
    if data_bytes[:3] == b"\xef\xbb\xbf":
        data_bytes = data_bytes[3:]
    dtype: dict[str, Any] = {c: "string" for c in string_columns if c in header}
    kwargs: dict[str, Any] = dict(sep=sep, skiprows=skip or None, dtype=dtype or None,
                                  skipinitialspace=False)
    try:
        if not skip and len(sep) == 1:
            try:
                df = pd.read_csv(_io.BytesIO(data_bytes), engine="pyarrow", sep=sep,
                                 dtype=dtype or None)
            except Exception:  # pyarrow is strict about ragged rows; fall back to C engine
                df = pd.read_csv(_io.BytesIO(data_bytes), **kwargs)
        else:
            df = pd.read_csv(_io.BytesIO(data_bytes), **kwargs)
    except pd.errors.ParserError as exc:
        msg = str(exc).strip().splitlines()[-1]
        raise InputFileError(f"{name}: cannot be read as a table ({msg}). "
                             f"Check the delimiter (detected {sep!r}; set --delimiter).") from None
    df.columns = [str(c).strip() for c in df.columns]
    first_row = 2 + len(skip)
    return df, first_row, notes


def read_responses(path: str | Path, *, sheet: str | int | None = None,
                   encoding: str | None = None, delimiter: str | None = None,
                   string_columns: Sequence[str] = (), value_labels: bool = False) -> pd.DataFrame:
    """Read a responses file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        CSV/TSV/TXT, Excel, SPSS (``.sav``), Stata (``.dta``) or Parquet file.
    sheet : str or int, optional
        Excel sheet name or 0-based position (default: the first sheet).
    encoding : str, optional
        Text encoding of a delimited file (default UTF-8, with or without BOM).
    delimiter : str, optional
        Delimiter of a text file (default: sniffed from the header line).
    string_columns : sequence of str
        Columns to keep as text (e.g. identifiers with leading zeros).
    value_labels : bool
        SPSS/Stata only: replace codes by their value labels, so answers are matched to
        the instrument's response labels rather than taken as codes (use when the file's
        coding differs from the instrument's, e.g. 1-5 in SPSS for a 0-4 scale).

    Returns
    -------
    DataFrame
        With ``attrs["source"]`` (the file name), ``attrs["first_row"]`` (the row
        number of the first data row as a person would count it in the file: header =
        row 1) and ``attrs["notes"]``.

    Raises
    ------
    InputFileError
        Missing, empty or unreadable file, wrong encoding, unknown format,
        duplicate or empty column names, no data rows.
    """
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputFileError(f"{name}: no such file.")
    if p.is_dir():
        raise InputFileError(f"{name}: is a folder, not a file.")
    suffix = p.suffix.lower()
    notes: list[str] = []
    first_row = 2
    try:
        if suffix in (".csv", ".tsv", ".tab", ".txt", ""):
            df, first_row, notes = _read_delimited(p, encoding, delimiter, string_columns)
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            if p.stat().st_size == 0:
                raise InputFileError(f"{name}: the file is empty.")
            try:
                df = pd.read_excel(p, sheet_name=0 if sheet is None else sheet,
                                   dtype={c: "string" for c in string_columns} or None)
            except ValueError as exc:
                if "Worksheet" in str(exc) or "sheet" in str(exc).lower():
                    import openpyxl

                    names = openpyxl.load_workbook(p, read_only=True).sheetnames
                    raise InputFileError(f"{name}: no sheet {sheet!r}; the sheets are: "
                                         + ", ".join(names) + ". Use --sheet NAME.") from None
                raise
            df.columns = [str(c).strip() for c in df.columns]
        elif suffix in (".sav", ".zsav", ".dta"):
            import pyreadstat

            reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
            df, meta = reader(str(p), apply_value_formats=value_labels, user_missing=False)
            first_row = 1
            notes.append(f"{name}: row numbers are case numbers (first case = row 1).")
            df.attrs["value_labels"] = {col: meta.variable_value_labels.get(col, {})
                                        for col in df.columns}
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(p)
            first_row = 1
            notes.append(f"{name}: row numbers are record numbers (first record = row 1).")
        else:
            raise InputFileError(
                f"{name}: unknown file type {suffix!r}. Use CSV, TSV, Excel (.xlsx), "
                "SPSS (.sav), Stata (.dta) or Parquet.")
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
    if len(df) == 0:
        raise InputFileError(f"{name}: the file has a header but no data rows.")
    df.attrs["source"] = name
    df.attrs["first_row"] = first_row
    df.attrs["notes"] = notes
    return df


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:  # pragma: no cover
        return False


def write_table(df: pd.DataFrame, path: str | Path, *, inputs: Iterable[str | Path] = (),
                overwrite: bool = True, metadata: Any = None) -> Path:
    """Write ``df`` to ``path`` (format from the extension), atomically.

    The data go to a temporary file in the same folder, which then replaces the
    target, so a failed write never leaves half a file. Writing over any of
    ``inputs`` is refused.

    ``metadata`` (a :class:`compassion_scales.reporting.labelled.TableMetadata`) writes
    variable labels, value labels and measure levels into ``.sav``/``.dta``/``.parquet``
    files (ignored for other formats).

    Raises
    ------
    OutputFileError
        Unknown extension, the path is an input file, or the folder is not writable.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        raise OutputFileError(f"{out}: unknown output type {suffix!r}; use one of "
                              + ", ".join(WRITE_SUFFIXES) + ".")
    for inp in inputs:
        if Path(inp).resolve() == out.resolve() or _same_file(Path(inp), out):
            raise OutputFileError(f"{out}: refusing to overwrite the input file; "
                                  "choose another output name.")
    if out.exists() and not overwrite:
        raise OutputFileError(f"{out}: already exists.")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.exists():
        raise OutputFileError(f"{out}: the folder {folder} does not exist.")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if metadata is not None and suffix in (".sav", ".dta", ".parquet"):
            metadata.write(df, tmp)
            os.replace(tmp, out)
            return out
        if suffix in (".csv", ".tsv"):
            _write_delimited(df, tmp, "," if suffix == ".csv" else "\t")
        elif suffix == ".xlsx":
            df.to_excel(tmp, index=False)
        elif suffix in (".sav", ".dta"):
            import pyreadstat

            frame = df.copy()
            for col in frame.columns:
                if isinstance(frame[col].dtype, pd.StringDtype) or frame[col].dtype == object:
                    frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
            if suffix == ".sav":
                pyreadstat.write_sav(frame, str(tmp))
            else:
                pyreadstat.write_dta(frame, str(tmp))
        elif suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        elif suffix == ".json":
            from compassion_scales._format import dumps_json

            tmp.write_text(dumps_json(df), encoding="utf-8")
        os.replace(tmp, out)
    except OutputFileError:
        raise
    except PermissionError:
        raise OutputFileError(f"{out}: permission denied.") from None
    except Exception as exc:  # noqa: BLE001
        raise OutputFileError(f"{out}: cannot be written ({exc}).") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def _write_delimited(df: pd.DataFrame, path: Path, sep: str) -> None:
    """CSV/TSV through pyarrow's writer (about 6x faster than pandas), pandas as fallback."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        table = pa.Table.from_pandas(df, preserve_index=False)
        # quote only when some text could break the CSV (pyarrow's "needed" quotes all text)
        special = f'[{re.escape(sep)}"\r\n]'
        texts = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])
                 and not pd.api.types.is_bool_dtype(df[c])]
        risky = any(re.search(special, str(c)) for c in df.columns) or any(
            df[c].astype("string").str.contains(special, regex=True).fillna(False).any() for c in texts)
        style = "needed" if risky else "none"
        opts = pacsv.WriteOptions(include_header=True, delimiter=sep, quoting_style=style,
                                  quoting_header=style)
        pacsv.write_csv(table, str(path), write_options=opts)
    except Exception:  # noqa: BLE001 - unusual dtypes: let pandas do it
        df.to_csv(path, index=False, sep=sep)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("cscore", "numpy", "pandas", "scipy", "pyarrow", "pyreadstat", "openpyxl",
                "pyyaml", "jsonschema", "click"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def write_provenance(output: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``<output>.provenance.json`` with versions, time and ``payload``."""
    from compassion_scales._format import to_jsonable

    out = Path(str(output) + ".provenance.json")
    body = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "output": str(output),
        "output_sha256": sha256_file(output) if Path(output).exists() else None,
        "versions": _versions(),
        **payload,
    }
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent if str(out.parent) else ".")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(to_jsonable(body), fh, indent=2, ensure_ascii=False)
    os.replace(tmp_name, out)
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
        import yaml

        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8-sig"))
        except Exception as exc:  # noqa: BLE001
            raise InputFileError(f"{path}: not valid YAML/JSON ({str(exc).splitlines()[0]}).") from None
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
        if str(src) in out:
            raise InputFileError(f"{path}: row {pos + first}: column {src} is mapped twice.")
        out[str(src).strip()] = str(item).strip()
    return out
