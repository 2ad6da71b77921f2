"""`cscore score`: turn raw answers into scale scores."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from compassion_scales.cli._options import (
    FORMATS,
    TABLE_STYLES,
    captured_warnings,
    handle_errors,
    input_options,
    read_input,
)


@click.command("score")
@click.argument("responses", type=click.Path(dir_okay=False))
@click.option("-i", "--instrument", "instruments", multiple=True, metavar="ID",
              help="Instrument id (see 'cscore instruments list') or path to an instrument file. "
                   "Repeat for several. Default: detect from the column names.")
@click.option("--instrument-file", "instrument_files", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False), help="Your own instrument definition (YAML/JSON).")
@click.option("--id", "id_cols", multiple=True, metavar="COL",
              help="Identifier column(s); must be non-empty and unique together (e.g. --id pid --id time).")
@click.option("--map", "map_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Column map (CSV 'column,item' or YAML column: item) for exports with other names.")
@click.option("--pattern", "patterns", multiple=True, metavar="[SECTION=]TEMPLATE",
              help="Numbered export columns, e.g. 'for_self=Q12_{n}' ({n} = item number on the form).")
@click.option("--on-invalid", type=click.Choice(["error", "missing"]), default="error", show_default=True,
              help="Invalid answers stop with a list of every bad cell, or become missing (and are reported).")
@click.option("--prorate", type=click.FloatRange(0, 1, min_open=True), default=None, metavar="P",
              help="Override the instruments' missing-data rules: score when at least proportion P of "
                   "items is answered (sums prorated).")
@click.option("--keep", type=click.Choice(["all", "ids"]), default="all", show_default=True,
              help="Keep all non-item columns, or only the --id columns.")
@input_options
@click.option("--value-labels", is_flag=True,
              help="SPSS/Stata: match answers by their value labels instead of their codes.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write scores to FILE (.csv .tsv .xlsx .sav .dta .parquet .json) with a "
                   "FILE.provenance.json sidecar.")
@click.option("--ledger", "ledger_file", type=click.Path(dir_okay=False), default=None,
              help="Write the per-row, per-score missing-data ledger to FILE.")
@click.option("--summary", "show_summary", is_flag=True,
              help="Print the per-score summary instead of the scores.")
@click.option("--format", "out_format", type=click.Choice(FORMATS), default=None,
              help="Standard output format [default: table on a terminal, csv when piped].")
@click.option("--fmt", "table_style", type=click.Choice(TABLE_STYLES), default="simple", show_default=True,
              help="Table style for --format table.")
@click.option("--decimals", type=click.IntRange(0, 12), default=3, show_default=True,
              help="Decimals shown in tables.")
@click.option("--stream", is_flag=True,
              help="Score CSV/Parquet in batches with flat memory (needs -o .csv/.tsv/.parquet); "
                   "automatic for files over 256 MB.")
@handle_errors
def score(responses: str, instruments: tuple[str, ...], instrument_files: tuple[str, ...],
          id_cols: tuple[str, ...], map_file: str | None, patterns: tuple[str, ...], on_invalid: str,
          prorate: float | None, keep: str, sheet: str | None, encoding: str | None,
          delimiter: str | None, value_labels: bool, output: str | None, ledger_file: str | None, show_summary: bool,
          out_format: str | None, table_style: str, decimals: int, stream: bool = False) -> None:
    """Score RESPONSES (CSV, TSV, Excel, SPSS, Stata or Parquet) with one or more instruments.

    Every input row comes out once, in order, with its identifier columns. Invalid
    answers stop scoring with a list of every bad cell (row, column, value, reason)
    unless --on-invalid missing is given.

    \b
    Example:
        cscore score examples/responses.csv --id pid --id time
        cscore score export.xlsx -i fcs --pattern 'for_self=Q12_{n}' -o scores.sav
        cscore score data.csv --instrument-file my_scale.yaml --on-invalid missing -o out.csv
    """
    from compassion_scales.io import read_column_map, write_provenance, write_table
    from compassion_scales.run import provenance_payload, score_file

    inputs = [responses] + ([map_file] if map_file else [])
    for target in (output, ledger_file):
        if target and any(Path(target).resolve() == Path(p).resolve() for p in inputs):
            from compassion_scales.errors import OutputFileError

            raise OutputFileError(f"{target}: refusing to overwrite the input file; "
                                  "choose another output name.")
    column_map = read_column_map(map_file) if map_file else None
    if stream or (output and not sheet and not value_labels and _auto_stream(responses, output)):
        _score_streaming(responses, list(instruments) + list(instrument_files), id_cols, column_map,
                         patterns, on_invalid, prorate, keep, encoding, delimiter, output, ledger_file,
                         out_format, table_style, decimals, explicit=stream)
        return
    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      string_columns=id_cols, value_labels=value_labels)
    wanted = list(instruments) + list(instrument_files)
    with captured_warnings():
        result = score_file(data, wanted or None, id_cols=list(id_cols), on_invalid=on_invalid,
                            column_map=column_map, patterns=list(patterns) or None, prorate=prorate,
                            keep=keep)
    names = ", ".join(f"{i.id} {i.version}" for i in result.instruments)
    click.echo(f"Scored {len(result.scores)} rows with {names}: "
               + ", ".join(result.score_columns) + ".", err=True)
    kept = [c for c in result.scores.columns if c not in result.score_columns]
    if kept:
        click.echo("Kept (not items): " + ", ".join(map(str, kept)) + ".", err=True)
    for line in result._notes()[len(result.instruments):]:
        click.echo(f"Note: {line}", err=True)
    if output:
        write_table(result.scores, output, inputs=[Path(p) for p in inputs])
        write_provenance(output, provenance_payload(result, responses))
        click.echo(f"Wrote {output} and {output}.provenance.json", err=True)
    if ledger_file:
        write_table(result.ledger, ledger_file, inputs=[Path(p) for p in inputs + ([output] if output else [])])
        write_provenance(ledger_file, provenance_payload(result, responses))
        click.echo(f"Wrote {ledger_file} and {ledger_file}.provenance.json", err=True)
    fmt = out_format or ("table" if (output or show_summary or sys.stdout.isatty()) else "csv")
    if output and out_format is None:
        show_summary = True
    _emit(result, fmt, table_style, decimals, show_summary)


def _emit(result, fmt: str, table_style: str, decimals: int, show_summary: bool) -> None:
    from compassion_scales._format import render_table

    if fmt == "json":
        click.echo(result.to_json())
        return
    frame = result.summary if show_summary else result.scores
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    else:
        click.echo(render_table(frame, fmt=table_style, decimals=decimals))


def _auto_stream(responses: str, output: str) -> bool:
    from compassion_scales.streaming import should_stream

    return should_stream(responses, output)


def _score_streaming(responses: str, wanted: list[str], id_cols: tuple[str, ...], column_map,
                     patterns: tuple[str, ...], on_invalid: str, prorate: float | None, keep: str,
                     encoding: str | None, delimiter: str | None, output: str | None,
                     ledger_file: str | None, out_format: str | None, table_style: str, decimals: int,
                     explicit: bool) -> None:
    """Batch-by-batch scoring (compassion_scales.streaming): one library call, then the summary."""
    from compassion_scales._format import render_table
    from compassion_scales.streaming import score_stream

    if not output:
        raise click.UsageError("--stream needs --output (-o) FILE (.csv, .tsv or .parquet).")
    if not explicit:
        click.echo(f"Note: {responses} is large: scoring it in batches (as with --stream).", err=True)
    with captured_warnings():
        res = score_stream(responses, wanted or None, output=output, ledger=ledger_file,
                           id_cols=list(id_cols), on_invalid=on_invalid, column_map=column_map,
                           patterns=list(patterns) or None, prorate=prorate, keep=keep,
                           delimiter=delimiter, encoding=encoding)
    names = ", ".join(f"{i.id} {i.version}" for i in res.instruments)
    click.echo(f"Scored {res.n_rows} rows with {names}: " + ", ".join(res.score_columns) + ".", err=True)
    for line in res._notes()[len(res.instruments):]:
        click.echo(f"Note: {line}", err=True)
    for target in (output, ledger_file):
        if target:
            click.echo(f"Wrote {target} and {target}.provenance.json", err=True)
    fmt = out_format or "table"
    if fmt == "json":
        click.echo(res.to_json())
    elif fmt == "csv":
        click.echo(res.summary.to_csv(index=False), nl=False)
    else:
        click.echo(render_table(res.summary, fmt=table_style, decimals=decimals))
