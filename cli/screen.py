"""`cscore screen`: careless-responding and coding-direction screening."""

from __future__ import annotations

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
from compassion_scales.cli._roles import id_option

#: Plot types --plot can write (matplotlib's, as the help names them).
PLOT_SUFFIXES = (".png", ".pdf", ".svg")


def _parse_thresholds(items: tuple[str, ...]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for text in items:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{text!r}: write NAME=VALUE, e.g. mahalanobis_p=0.01 or irv_z=off.",
                                     param_hint="--threshold")
        value = value.strip()
        if value.lower() in ("off", "none"):
            out[name.strip()] = None
            continue
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(f"{text!r}: {value!r} is not a number (or 'off').",
                                     param_hint="--threshold") from None
    return out


@click.command("screen")
@click.argument("responses", type=click.Path(dir_okay=False))
@click.option("-i", "--instrument", required=True, metavar="ID",
              help="Instrument id (see 'cscore instruments list') or path to an instrument file.")
@id_option(multiple=True, help="Identifier column(s) copied to the per-respondent table.")
@click.option("--duration", default=None, metavar="COL",
              help="Column with the completion time in seconds (flags fewer than 2 s per item).")
@click.option("--threshold", "thresholds", multiple=True, metavar="NAME=VALUE",
              help="Override a flag threshold, e.g. 'mahalanobis_p=0.01', 'longstring=0.6', "
                   "'psychsyn=off' (names in docs/screening.md). Repeat for several.")
@click.option("--n-agree", type=click.IntRange(1, None), default=2, show_default=True,
              help="Indices that must agree to count a respondent as flagged (plot, flagged count).")
@click.option("--classical", is_flag=True,
              help="Flag on the classical Mahalanobis D2 (careless::mahad) instead of the robust one.")
@click.option("--reverse-coded", is_flag=True,
              help="The file codes every answer in the opposite direction to the instrument "
                   "(e.g. 1 = strongly disagree where the form has 1 = strongly agree): flip on input.")
@click.option("--map", "map_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Column map (CSV 'column,item' or YAML column: item) for exports with other names.")
@click.option("--pattern", "patterns", multiple=True, metavar="[SECTION=]TEMPLATE",
              help="Numbered export columns, e.g. 'for_self=Q12_{n}'.")
@click.option("--on-invalid", type=click.Choice(["error", "missing"]), default="error", show_default=True,
              help="Invalid answers stop with a list of every bad cell, or become missing.")
@click.option("--value-labels", is_flag=True,
              help="SPSS/Stata: match answers by their value labels instead of their codes.")
@input_options
@click.option("--respondents", "show_respondents", is_flag=True,
              help="Print the per-respondent table instead of the summary.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the per-respondent table to FILE (.csv .tsv .xlsx .sav .dta .parquet .json).")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), default=None,
              help="Save a plot (long-string vs IRV, Mahalanobis D2 Q-Q) to FILE (.png .pdf .svg).")
@click.option("--format", "out_format", type=click.Choice(FORMATS), default="table", show_default=True,
              help="How to print the result on standard output.")
@click.option("--fmt", "table_style", type=click.Choice(TABLE_STYLES), default="simple", show_default=True,
              help="Table style for --format table.")
@click.option("--decimals", type=click.IntRange(0, 12), default=3, show_default=True,
              help="Decimals shown in tables.")
@handle_errors
def screen(responses: str, instrument: str, id: tuple[str, ...], duration: str | None,
           thresholds: tuple[str, ...], n_agree: int, classical: bool, reverse_coded: bool,
           map_file: str | None, patterns: tuple[str, ...], on_invalid: str, value_labels: bool, sheet: str | None,
           encoding: str | None, delimiter: str | None, show_respondents: bool, output: str | None,
           plot_file: str | None, out_format: str, table_style: str, decimals: int) -> None:
    """Screen RESPONSES for careless answering and for reversed coding.

    Computes long-string, IRV, alternation, even-odd, psychometric synonyms and
    antonyms, the keyed-antonym index, Mahalanobis D2, person-total correlation,
    attention checks declared in the instrument file and (with --duration) speed,
    using the instrument's item order, subscales, reverse keys and fillers. Each
    index is flagged against a stated threshold; the summary counts who was flagged
    by which index and by two or more. Nothing is removed: see docs/screening.md.

    \b
    Example:
        cscore screen survey.csv -i fcs --id pid
        cscore screen survey.csv -i ceas --id pid --duration seconds -o flags.csv --plot screen.png
        cscore screen survey.csv -i olbi --threshold mahalanobis_p=0.01 --respondents
    """
    from compassion_scales._format import render_table
    from compassion_scales.analyses.screen import screen as run_screen
    from compassion_scales.io import read_column_map

    inputs = [responses] + ([map_file] if map_file else [])
    if plot_file and Path(plot_file).suffix.lower() not in PLOT_SUFFIXES:
        # checked before the screen runs: matplotlib refused it only after all the work
        raise click.BadParameter(f"use a .png, .pdf or .svg file name, not {plot_file!r}.",
                                 param_hint="--plot")
    for target in (output, plot_file):
        if target and any(Path(target).resolve() == Path(p).resolve() for p in inputs):
            from compassion_scales.errors import OutputFileError

            raise OutputFileError(f"{target}: refusing to overwrite the input file; "
                                  "choose another output name.")
    thr = _parse_thresholds(thresholds)
    column_map = read_column_map(map_file) if map_file else None
    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      string_columns=id, value_labels=value_labels)
    with captured_warnings():
        result = run_screen(data, instrument, id=list(id), duration=duration,
                            thresholds=thr, on_invalid=on_invalid, column_map=column_map,
                            patterns=list(patterns) or None, reverse_coded=reverse_coded,
                            robust=not classical)
    if (why := result.unreachable(n_agree)) is not None:
        click.echo(f"Note: --n-agree {n_agree}: {why}", err=True)
    n_flag = int(result.flagged(n_agree).sum())
    click.echo(f"Screened {len(result.table)} rows with {result.instrument}: {n_flag} flagged by "
               f">= {n_agree} indices.", err=True)
    if output:
        from compassion_scales.io import write_table

        write_table(result.table, output, inputs=[Path(p) for p in inputs])
        click.echo(f"Wrote {output}", err=True)
    if plot_file:
        from compassion_scales.reporting.figures import save_figure
        from compassion_scales.reporting.screening_plot import plot_screening

        # as flows and efa do: the folder is made if needed (a missing one was "probably a bug")
        save_figure(plot_screening(result, n_agree=n_agree), plot_file, suffixes=PLOT_SUFFIXES, dpi=100)
        click.echo(f"Wrote {plot_file}", err=True)
    if out_format == "json":
        click.echo(result.to_json())
        return
    frame = result.table if show_respondents else result.summary
    if out_format == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
        return
    click.echo(result.title)
    click.echo(render_table(frame, fmt=table_style, decimals=decimals))
    for line in result.notes():
        click.echo(line)
