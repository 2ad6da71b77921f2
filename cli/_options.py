"""Shared click options and the one place that turns library errors into CLI errors."""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    import pandas as pd

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "csv", "json")
TABLE_STYLES = ("simple", "plain", "github", "grid", "pipe", "latex", "latex_booktabs", "html", "rst")


def output_options(func: F) -> F:
    """``--format table|csv|json``, ``--fmt STYLE``, ``--style apa|plain``, ``--columns compact|all``
    and ``--decimals N``.

    ``--style`` and ``--columns`` are read from the click context by :func:`emit_frame` and
    :func:`emit_result`; the command function does not receive them. A command with its own
    ``columns`` parameter keeps it (its tables are then always compact).
    """
    import inspect

    own_columns = "columns" in inspect.signature(func).parameters
    inner = func

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("table_rules", None)
        kwargs.pop("columns_shown", None)
        return inner(*args, **kwargs)

    func = wrapper  # type: ignore[assignment]
    if not own_columns:
        func = click.option("--columns", "columns_shown", type=click.Choice(["compact", "all"]),
                            default="compact", show_default=True,
                            help="APA tables: the usual columns, or every column (csv/json always "
                                 "have every column).")(func)
    func = click.option("--style", "table_rules", type=click.Choice(["apa", "plain"]), default="apa",
                        show_default=True,
                        help="Number style of tables: APA (p < .001, .89, counts as integers, "
                             "CIs as [lo, hi]) or plain (every column, fixed decimals).")(func)
    func = click.option("--decimals", type=click.IntRange(0, 12), default=None,
                        help="Decimals shown in tables [default: APA rules (2, or 3 where "
                             "needed); 3 with --style plain]. Numbers are never rounded in "
                             "csv/json.")(func)
    func = click.option("--fmt", "table_style", type=click.Choice(TABLE_STYLES), default="simple",
                        show_default=True, help="Table style for --format table (e.g. github, latex, html).")(func)
    func = click.option("--format", "out_format", type=click.Choice(FORMATS), default="table",
                        show_default=True, help="How to print the result on standard output.")(func)
    return func


def _remember_dictionary(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta["cscore_dictionary"] = value


def input_options(func: F) -> F:
    """``--sheet``, ``--encoding``, ``--delimiter`` and ``--dictionary`` for commands reading responses.

    ``--dictionary`` (a REDCap data dictionary) is not passed to the command function: it
    is kept on the click context and applied by :func:`read_input`.
    """
    func = click.option("--dictionary", metavar="FILE", type=click.Path(dir_okay=False),
                        expose_value=False, callback=_remember_dictionary, is_eager=True,
                        help="REDCap data dictionary (CSV): turns a label export's headers and "
                             "choice labels back into field names and codes.")(func)
    func = click.option("--delimiter", default=None,
                        help="CSV delimiter (default: detected from the header line).")(func)
    func = click.option("--encoding", default=None,
                        help="Text encoding of a CSV file (default UTF-8; UTF-16 with a BOM is "
                             "recognised).")(func)
    func = click.option("--sheet", default=None, help="Excel sheet name or number.")(func)
    return func


def read_input(path: str, *, sheet: str | None = None, encoding: str | None = None,
               delimiter: str | None = None, string_columns: Sequence[str] = (),
               value_labels: bool = False, dictionary: str | None = None,
               numbers: bool = True) -> pd.DataFrame:
    """Read a responses file the same way in every command and echo its notes on standard error.

    ``-`` reads standard input. A digit-only ``sheet`` is a 0-based sheet number unless a sheet
    is named so (``2024``). Every
    column is read as text; with ``numbers=True`` (for analyses that take columns as
    they are) text columns holding only numbers are then made numeric, except
    ``string_columns`` (identifiers such as ``007`` keep their leading zeros). ``score``
    passes ``numbers=False``: it converts items itself and writes every other column back
    as it was. ``value_labels`` is passed on for SPSS/Stata; ``dictionary`` (default: the
    command's ``--dictionary``) for REDCap.
    """
    from compassion_scales.io import read_responses

    if dictionary is None:
        ctx = click.get_current_context(silent=True)
        while ctx is not None and dictionary is None:
            dictionary = ctx.meta.get("cscore_dictionary")
            ctx = ctx.parent
    # a digit-only --sheet is a sheet's name when one is so named ("2024"), else its number
    data = read_responses(path, sheet=sheet, encoding=encoding, delimiter=delimiter,
                          value_labels=value_labels, dictionary=dictionary)
    if numbers:
        from compassion_scales.io import infer_numeric_columns

        data = infer_numeric_columns(data, keep=[c for c in string_columns if c])
    for note in data.attrs.get("notes", []):
        click.echo(f"Note: {note}", err=True)
    return data


@contextmanager
def captured_warnings(filter: Callable[[Any], bool] | None = None) -> Iterator[list[Any]]:
    """Record every warning raised in the block and print them (``Warning: ...``) on exit.

    ``filter`` is a predicate on each recorded warning; only those it accepts are printed.
    Warnings are printed only when the block finishes without an exception.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    assert caught is not None
    echo_warnings([w for w in caught if filter is None or filter(w)])


def _table_options() -> tuple[str, str]:
    """``--style`` and ``--columns`` of the running command (APA/compact outside click)."""
    ctx = click.get_current_context(silent=True)
    params = ctx.params if ctx is not None else {}
    return params.get("table_rules") or "apa", params.get("columns_shown") or "compact"


def _collect(table: Any) -> None:
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.meta.setdefault("cscore.tables", []).append(table)


def emit_frame(df: Any, out_format: str, table_style: str = "simple", decimals: int | None = None,
               title: str | None = None, notes: list[str] | None = None,
               json_payload: Any = None, table: str | None = None) -> None:
    """Print a DataFrame as a table, CSV or JSON (``json_payload`` overrides the JSON body).

    Tables follow the command's ``--style``/``--columns`` (APA and compact by default);
    ``table`` names the compact column set (default: the title).
    """
    from compassion_scales._format import dumps_json

    if out_format == "json":
        click.echo(dumps_json(json_payload if json_payload is not None else df))
    elif out_format == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    else:
        from compassion_scales.reporting.tables import make_table

        style, columns = _table_options()
        tab = make_table(df, title or "", table=table or title, style=style, columns=columns,
                         decimals=decimals, notes=notes or [])
        _collect(tab)
        click.echo(tab.to_text(table_style))
        for line in notes or []:
            click.echo(line)


def emit_result(result: Any, out_format: str, table_style: str = "simple",
                decimals: int | None = None) -> None:
    """Print a result object through the one renderer (``reporting.render``).

    ``table``: title, header facts, every section and the notes, in the command's
    ``--style``/``--columns``; ``csv``: the summary; ``json``: the same payload as the
    library's ``to_json()``. The tables are kept for ``-o report.docx/.tex/.html/.md``.
    """
    from compassion_scales.reporting.render import render_result, render_tables, result_tables

    if out_format in ("json", "csv"):
        click.echo(render_result(result, out_format), nl=out_format == "json")
        return
    style, columns = _table_options()
    tables = result_tables(result, style=style, columns=columns, decimals=decimals)
    for tab in tables:
        _collect(tab)
    click.echo(render_tables(result, tables, "text", table_style=table_style))


def write_result_file(df: Any, output: str | None, inputs: list[str] | None = None,
                      provenance: dict[str, Any] | None = None) -> None:
    """Write ``df`` to ``output`` (format from the extension), never over an input file.

    ``.docx``, ``.tex``, ``.html`` and ``.md`` get the tables the command printed (APA
    style; ``df`` alone when nothing was printed). Every file gets a provenance sidecar.
    """
    if not output:
        return
    from compassion_scales._format import DOCUMENT_SUFFIXES

    if Path(output).suffix.lower() in DOCUMENT_SUFFIXES:
        for p in inputs or []:
            if Path(p).resolve() == Path(output).resolve():
                from compassion_scales.errors import OutputFileError

                raise OutputFileError(f"{output}: refusing to overwrite the input file; "
                                      "choose another output name.")
        ctx = click.get_current_context()
        ctx.call_on_close(lambda: _write_document(ctx, df, output, inputs, provenance))
        return
    from compassion_scales.io import write_provenance, write_table

    write_table(df, output, inputs=[Path(p) for p in (inputs or [])])
    write_provenance(output, _provenance_body(inputs, provenance))
    click.echo(f"Wrote {output} and {output}.provenance.json", err=True)


def _provenance_body(inputs: list[str] | None, extra: dict[str, Any] | None) -> dict[str, Any]:
    from compassion_scales.io import sha256_file

    ctx = click.get_current_context(silent=True)
    body: dict[str, Any] = {
        "command": " ".join(["cscore", *ctx.command_path.split()[1:]]) if ctx is not None else None,
        "options": dict(ctx.params) if ctx is not None else {},
        "inputs": [{"path": str(p), "sha256": sha256_file(p) if Path(p).is_file() else None}
                   for p in (inputs or [])],
    }
    body.update(extra or {})
    return body


def _write_document(ctx: click.Context, df: Any, output: str, inputs: list[str] | None,
                    provenance: dict[str, Any] | None) -> None:
    from compassion_scales.errors import CompassionScalesError
    from compassion_scales.io import write_provenance
    from compassion_scales.reporting.tables import make_table, write_tables

    tables = ctx.meta.get("cscore.tables") or [make_table(df, ctx.command_path)]
    try:
        write_tables(tables, output)
        write_provenance(output, _provenance_body(inputs, provenance))
    except CompassionScalesError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote {output} and {output}.provenance.json", err=True)


def debug_enabled() -> bool:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.obj and isinstance(ctx.obj, dict) and ctx.obj.get("debug"):
            return True
        ctx = ctx.parent
    return False


def _check_outputs_first(kwargs: dict[str, Any]) -> None:
    """An ``-o/--output`` that cannot be written fails before any work is done."""
    output = kwargs.get("output")
    if not output or not isinstance(output, str):
        return
    from compassion_scales.io import check_output_path

    inputs: list[str] = []
    for key in ("responses", "time1", "time2", "sessions_file", "first_file", "second_file"):
        if isinstance(kwargs.get(key), str):
            inputs.append(kwargs[key])
    inputs += [f for f in kwargs.get("files") or () if isinstance(f, str)]
    from compassion_scales._format import DOCUMENT_SUFFIXES

    check_output_path(output, inputs, extra_suffixes=DOCUMENT_SUFFIXES)


#: Options that only shape a printed table: parameter name -> option.
_TABLE_ONLY = (("table_style", "--fmt"), ("decimals", "--decimals"), ("table_rules", "--style"),
               ("columns_shown", "--columns"))


def note_table_only_options() -> None:
    """Say so when a table option (``--fmt latex``, ``--decimals 2``...) is given with
    ``--format csv`` or ``json``, where it does nothing (it was ignored without a word)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return
    fmt = ctx.params.get("out_format")
    if fmt in (None, "table"):
        return
    from click.core import ParameterSource

    given = [f"{opt} {ctx.params[name]}" for name, opt in _TABLE_ONLY
             if name in ctx.params and ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if given:
        click.echo(f"Note: {' and '.join(given)} (tables only) ignored with --format {fmt}; "
                   "csv and json hold every column, never rounded.", err=True)


def handle_errors(func: F) -> F:
    """Turn cscore's errors (and anything unexpected) into one-line click errors.

    Tracebacks are shown only with ``cscore --debug``.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from compassion_scales.errors import CompassionScalesError, ResponseValidationError

        try:
            _check_outputs_first(kwargs)
            note_table_only_options()
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise
        except ResponseValidationError as exc:
            if debug_enabled():
                raise
            raise click.ClickException("\n".join(exc.lines()) + "\n" + str(exc)) from None
        except CompassionScalesError as exc:
            if debug_enabled():
                raise
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:  # pragma: no cover
            raise click.Abort() from None
        except MemoryError:  # pragma: no cover
            raise click.ClickException("Out of memory. Try a smaller file or fewer options.") from None
        except Exception as exc:  # noqa: BLE001 - the CLI must never show a traceback by default
            if debug_enabled():
                raise
            name = type(exc).__name__
            raise click.ClickException(
                f"Unexpected {name}: {exc}. This is probably a bug in cscore; "
                "run again with 'cscore --debug ...' for the details and report it.") from None

    return wrapper  # type: ignore[return-value]


def echo_warnings(caught: list[Any]) -> None:
    """Print captured warnings as ``Warning: ...`` lines on standard error."""
    for w in caught:
        click.echo(f"Warning: {w.message}", err=True)


def is_tty() -> bool:
    return sys.stderr.isatty()
