"""`cscore score`: turn raw answers into scale scores."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from compassion_scales.cli._options import (
    FORMATS,
    TABLE_STYLES,
    captured_warnings,
    handle_errors,
    input_options,
    read_input,
)
from compassion_scales.cli._roles import id_option
from compassion_scales.cli.norms import apply_norm_options, norms_options


@click.command("score")
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="RESPONSES...")
@click.option("-i", "--instrument", "instruments", multiple=True, metavar="ID",
              help="Instrument id (see 'cscore instruments list') or path to an instrument file. "
                   "Repeat for several. Default: detect from the column names.")
@click.option("--instrument-file", "instrument_files", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False), help="Your own instrument definition (YAML/JSON).")
@id_option(multiple=True, help="Identifier column(s), unique together (e.g. --id pid --id time). "
                               "Several may be partly empty in a row (a REDCap base row's "
                               "redcap_repeat_instance), not all.")
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
@click.option("--errors", "errors_file", type=click.Path(dir_okay=False), default=None,
              help="When answers are invalid, write every problem (row, column, item, value, "
                   "reason, message) to FILE (.csv ...); with --on-invalid missing, the cells "
                   "turned into missing.")
@click.option("--bands", "with_band_columns", is_flag=True,
              help="Add each score's band or cut-off category from the instrument file "
                   "(<score>_band; the source goes into the provenance file).")
@click.option("--summary", "show_summary", is_flag=True,
              help="Print the per-score summary instead of the scores.")
@norms_options
@click.option("--format", "out_format", type=click.Choice(FORMATS), default=None,
              help="Standard output format [default: table on a terminal, csv when piped].")
@click.option("--fmt", "table_style", type=click.Choice(TABLE_STYLES), default="simple", show_default=True,
              help="Table style for --format table.")
@click.option("--decimals", type=click.IntRange(0, 12), default=3, show_default=True,
              help="Decimals shown in tables.")
@click.option("--screen", "add_screen", is_flag=True,
              help="Add careless-responding flag columns (scr_<instrument>_...; see 'cscore screen').")
@click.option("--reverse-coded", is_flag=True,
              help="The file codes every answer in the opposite direction to the instrument: flip on input.")
@click.option("--stream", is_flag=True,
              help="Score CSV/Parquet in batches with flat memory (needs -o .csv/.tsv/.parquet); "
                   "automatic for files over 256 MB.")
@click.option("--engine", type=click.Choice(["pandas", "dask"]), default="pandas", show_default=True,
              help="dask: score several files or a folder of Parquet files (a partitioned dataset) "
                   "with Dask, each file scored as the in-memory path does (needs the 'dask' extra).")
@handle_errors
def score(paths: tuple[str, ...], instruments: tuple[str, ...], instrument_files: tuple[str, ...],
          id: tuple[str, ...], map_file: str | None, patterns: tuple[str, ...], on_invalid: str,
          prorate: float | None, keep: str, sheet: str | None, encoding: str | None,
          delimiter: str | None, value_labels: bool, output: str | None, ledger_file: str | None,
          errors_file: str | None, with_band_columns: bool, show_summary: bool,
          out_format: str | None, table_style: str, decimals: int, add_screen: bool = False,
          reverse_coded: bool = False, stream: bool = False, engine: str = "pandas") -> None:
    """Score RESPONSES (CSV, TSV, Excel, SPSS, Stata or Parquet) with one or more instruments.

    Every input row comes out once, in order, with its identifier columns. Invalid
    answers stop scoring with a list of every bad cell (row, column, value, reason)
    unless --on-invalid missing is given.

    \b
    Example:
        cscore score examples/responses.csv --id pid --id time
        cscore score export.xlsx -i fcs --pattern 'for_self=Q12_{n}' -o scores.sav
        cscore score data.csv --instrument-file my_scale.yaml --on-invalid missing -o out.csv
        cscore score data/*.parquet --engine dask --id pid -o scores.parquet
    """
    from compassion_scales.io import check_output_path, read_column_map

    if engine == "dask":
        unsupported = [name for name, given in [
            ("--ledger", ledger_file), ("--errors", errors_file), ("--bands", with_band_columns),
            ("--summary", show_summary), ("--screen", add_screen), ("--stream", stream),
            ("--sheet", sheet), ("--value-labels", value_labels)] if given]
        if unsupported:
            raise click.UsageError(f"{', '.join(unsupported)} cannot be used with --engine dask.")
        from compassion_scales.cli._dask import score_with_dask

        score_with_dask(paths, list(instruments) + list(instrument_files), id=list(id),
                        map_file=map_file, patterns=list(patterns) or None, on_invalid=on_invalid,
                        prorate=prorate, keep=keep, reverse_coded=reverse_coded, output=output,
                        out_format=out_format, table_style=table_style, decimals=decimals)
        return
    if len(paths) != 1 or Path(paths[0]).is_dir():
        raise click.UsageError("give one RESPONSES file; several files or a folder of Parquet "
                               "files need --engine dask.")
    responses = paths[0]

    inputs = [responses] + ([map_file] if map_file else [])
    for target in (output, ledger_file, errors_file):
        if target:  # fail before reading and scoring, not after
            check_output_path(target, inputs)
    column_map = read_column_map(map_file) if map_file else None
    if _use_stream(stream, responses, output, encoding, delimiter, errors_file=errors_file,
                   with_band_columns=with_band_columns, show_summary=show_summary,
                   add_screen=add_screen, reverse_coded=reverse_coded, sheet=sheet,
                   value_labels=value_labels):
        _score_streaming(responses, list(instruments) + list(instrument_files), id, column_map,
                         patterns, on_invalid, prorate, keep, encoding, delimiter, output, ledger_file,
                         out_format, table_style, decimals, explicit=stream)
        return
    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      string_columns=id, value_labels=value_labels, numbers=False)
    wanted = list(instruments) + list(instrument_files)
    result = _score_data(data, wanted, inputs, errors_file, id=list(id), on_invalid=on_invalid,
                         column_map=column_map, patterns=list(patterns) or None, prorate=prorate,
                         keep=keep, **({"reverse_coded": True} if reverse_coded else {}))
    from compassion_scales.reporting.labelled import with_bands

    result, used_bands = with_bands(result) if with_band_columns else (result, [])
    result = _report_scored(result)
    if add_screen:
        result = _add_screen(result, data, on_invalid=on_invalid, column_map=column_map,
                             patterns=list(patterns) or None, reverse_coded=reverse_coded)
    for line in result.missing_report():
        click.echo(f"Missing: {line}", err=True)
    _write_files(result, responses, inputs, output=output, ledger_file=ledger_file,
                 errors_file=errors_file, used_bands=used_bands if with_band_columns else None,
                 id=id)
    fmt = out_format or ("table" if (output or show_summary or sys.stdout.isatty()) else "csv")
    if output and out_format is None:
        show_summary = True
    _emit(result, fmt, table_style, decimals, show_summary)


def _score_data(data: Any, wanted: list[str], inputs: list[str], errors_file: str | None,
                **options: Any) -> Any:
    """The one library call; with --errors, the failure cases are written before failing."""
    from compassion_scales.errors import ResponseValidationError
    from compassion_scales.io import score_file, write_table

    try:
        with captured_warnings():
            return score_file(data, wanted or None, **options)
    except ResponseValidationError as exc:
        if errors_file:
            write_table(exc.failure_cases, errors_file, inputs=[Path(p) for p in inputs])
            click.echo(f"Wrote {len(exc.failure_cases)} problem(s) to {errors_file}", err=True)
        raise


def _report_scored(result: Any) -> Any:
    """Say what was scored and kept (on standard error); apply the --norm options."""
    names = ", ".join(f"{i.id} {i.version}" for i in result.instruments)
    click.echo(f"Scored {len(result.scores)} rows with {names}: "
               + ", ".join(result.score_columns) + ".", err=True)
    kept = [c for c in result.scores.columns if c not in result.score_columns]
    result = apply_norm_options(result)
    if kept:  # a wide survey scored for one instrument keeps hundreds (all are in the output file)
        from compassion_scales.scoring import name_briefly

        click.echo(f"Kept (not items): {name_briefly(kept)}.", err=True)
    for line in result.notes()[len(result.instruments):]:
        click.echo(f"Note: {line}", err=True)
    return result


def _add_screen(result: Any, data: Any, **options: Any) -> Any:
    """--screen: careless-responding flag columns beside the scores."""
    from compassion_scales.analyses.screen import add_screen_columns

    with captured_warnings():
        result = add_screen_columns(result, data, **options)
    click.echo("Added careless-responding flags: " + ", ".join(
        c for c in result.scores.columns if str(c).startswith("scr_")) + ".", err=True)
    return result


def _write_files(result: Any, responses: str, inputs: list[str], *, output: str | None,
                 ledger_file: str | None, errors_file: str | None, used_bands: Any,
                 id: tuple[str, ...]) -> None:
    """Scores, ledger and invalid cells: written together with their provenance, or none."""
    from compassion_scales.io import provenance_payload, write_outputs
    from compassion_scales.reporting.labelled import bands_provenance, result_metadata

    tables = []
    if output:
        tables.append((result.scores, output))
    if ledger_file:
        tables.append((result.ledger, ledger_file))
    if errors_file:
        tables.append((result.invalid, errors_file))
    if not tables:
        return
    payload = provenance_payload(result, responses)
    if used_bands is not None:
        payload = {**payload, **bands_provenance(used_bands)}
    written = write_outputs(tables, inputs=inputs,
                            provenance={str(t): payload for t in (output, ledger_file) if t},
                            metadata={str(output): result_metadata(result, used_bands or [], id)}
                            if output else None)
    click.echo("Wrote " + ", ".join(map(str, written)), err=True)


def _emit(result, fmt: str, table_style: str, decimals: int, show_summary: bool) -> None:
    from compassion_scales._format import render_table

    if fmt == "json":
        click.echo(result.to_json())
        return
    frame = result.summary if show_summary else result.scores
    if fmt == "csv":
        from compassion_scales.io import csv_text

        click.echo(csv_text(frame), nl=False)
    else:
        click.echo(render_table(frame, fmt=table_style, decimals=decimals))


def _use_stream(stream: bool, responses: str, output: str | None, encoding: str | None,
                delimiter: str | None, **given: Any) -> bool:
    """--stream (refused with options the batch path lacks), or a large plain file."""
    blockers = _stream_blockers(**given)
    if stream and blockers:
        raise click.UsageError(f"{', '.join(blockers)} cannot be used with --stream; "
                               "score without --stream.")
    return stream or bool(output and not blockers and _auto_stream(responses, output, encoding, delimiter))


def _stream_blockers(**given: Any) -> list[str]:
    """The options given that the batch-by-batch path does not support."""
    ctx = click.get_current_context()
    names = {"errors_file": "--errors", "with_band_columns": "--bands", "show_summary": "--summary",
             "add_screen": "--screen", "reverse_coded": "--reverse-coded", "sheet": "--sheet",
             "value_labels": "--value-labels"}
    out = [names[k] for k, v in given.items() if v]
    if ctx.meta.get("cscore_dictionary"):
        out.append("--dictionary")
    if ctx.meta.get("cscore.norms", (None, None))[0]:
        out.append("--norms")
    return out


def _auto_stream(responses: str, output: str, encoding: str | None, delimiter: str | None) -> bool:
    """Large plain files are scored in batches; an export that needs the full reader is not."""
    from compassion_scales.io import should_stream

    if not should_stream(responses, output):
        return False
    from compassion_scales.streaming import stream_blockers

    return not stream_blockers(responses, encoding=encoding, delimiter=delimiter)


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
                           id=list(id_cols), on_invalid=on_invalid, column_map=column_map,
                           patterns=list(patterns) or None, prorate=prorate, keep=keep,
                           delimiter=delimiter, encoding=encoding)
    names = ", ".join(f"{i.id} {i.version}" for i in res.instruments)
    click.echo(f"Scored {res.n_rows} rows with {names}: " + ", ".join(res.score_columns) + ".", err=True)
    for line in res.notes()[len(res.instruments):]:
        click.echo(f"Note: {line}", err=True)
    for target in (output, ledger_file):
        if target:
            click.echo(f"Wrote {target} and {target}.provenance.json", err=True)
    fmt = out_format or "table"
    if fmt == "json":
        click.echo(res.to_json())
    elif fmt == "csv":
        from compassion_scales.io import csv_text

        click.echo(csv_text(res.summary), nl=False)
    else:
        click.echo(render_table(res.summary, fmt=table_style, decimals=decimals))
