"""`cscore track`: session-by-session reliable change for clinicians (several measures)."""

from __future__ import annotations

import click

from compassion_scales.cli._items import ItemChoices, item_options
from compassion_scales.cli._options import (
    captured_warnings,
    emit_result,
    handle_errors,
    input_options,
    output_options,
    read_input,
    write_result_file,
)
from compassion_scales.cli._roles import id_option, score_option
from compassion_scales.cli.change import per_score_values


def _min_improved(value: str) -> int | str:
    if value == "all":
        return "all"
    try:
        n = int(value)
    except ValueError:
        raise click.BadParameter("give a whole number (e.g. 1) or 'all'.",
                                 param_hint="--min-improved") from None
    if n < 1:
        raise click.BadParameter("must be at least 1.", param_hint="--min-improved")
    return n


@click.command("track")
@click.argument("sessions_file", metavar="SESSIONS", type=click.Path(dir_okay=False))
@click.option("-i", "--instrument", "instruments", multiple=True, required=True, metavar="ID",
              help="Instrument id or path (repeat for several measures, e.g. -i fcs -i ceas).")
@id_option(required=True, help="Column identifying the client.")
@click.option("--session", "session_col", required=True, metavar="COL",
              help="Column with the session (number or label; one row per client and session).")
@click.option("--date", "date_col", default=None, metavar="COL",
              help="Date column, carried into the tables (days from the first session).")
@score_option(help="Score to track (repeatable). Default: every score present in the data.")
@click.option("--reliability", multiple=True, metavar="R|SCORE=R",
              help="Reliability to use instead of the published one.")
@click.option("--sd", multiple=True, metavar="SD|SCORE=SD",
              help="SD to use instead of the published clinical norm.")
@click.option("--norms", "norm_sample", default=None, metavar="NAME",
              help="Take SD and reliability from the norm sample NAME (test-retest preferred over alpha).")
@click.option("--norms-file", "norms_files", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Your service's norm samples (one file per instrument; repeatable).")
@click.option("--higher-is", type=click.Choice(["better", "worse", "neutral"]), default=None,
              help="Direction of every score (default: from the instrument files).")
@click.option("--criterion", type=click.Choice(["auto", "a", "b", "c"]), default="auto",
              show_default=True, help="Jacobson-Truax clinical cut-off (auto: c when both norms exist).")
@click.option("--rci-threshold", type=click.FloatRange(0, None, min_open=True), default=1.96,
              show_default=True, help="|RCI| above which a change is reliable.")
@click.option("--min-improved", default="1", show_default=True, metavar="N|all",
              help="Reliable improvement needs at least N measures reliably improved ('all': every one).")
@click.option("--max-deteriorated", type=click.IntRange(0), default=0, show_default=True,
              help="... and at most this many reliably worse.")
@click.option("--deteriorated-if", type=click.IntRange(1), default=1, show_default=True,
              help="Reliable deterioration: at least this many measures reliably worse.")
@click.option("--no-recovery", is_flag=True,
              help="Do not classify reliable recovery (improvement plus leaving the clinical range).")
@click.option("--report", "report_dir", default=None, metavar="DIR", type=click.Path(file_okay=False),
              help="Write one Markdown report with a chart (PNG) per client into DIR.")
@input_options
@item_options
@output_options
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="Write the tidy per-client, per-session table to FILE (.csv .xlsx .sav ...).")
@handle_errors
def track(sessions_file: str, instruments: tuple[str, ...], id: str, session_col: str,
          date_col: str | None, scores: tuple[str, ...], reliability: tuple[str, ...],
          sd: tuple[str, ...], norm_sample: str | None, norms_files: tuple[str, ...],
          higher_is: str | None, criterion: str, rci_threshold: float, min_improved: str, max_deteriorated: int,
          deteriorated_if: int, no_recovery: bool, report_dir: str | None,
          sheet: str | None, encoding: str | None, delimiter: str | None, items: ItemChoices,
          out_format: str,
          table_style: str, decimals: int, output: str | None) -> None:
    """Track reliable change session by session, for each client and measure.

    SESSIONS is a long file: one row per client and session, with the items (or
    score columns) of each instrument. For every client and score: the
    trajectory, the Reliable Change Index from the first session and from the
    previous one, the first session of reliable improvement, and (with clinical
    and non-clinical norms) crossing the cut-off. Measures are combined per client
    by the stated rule (default: reliable improvement on at least one measure and
    reliable deterioration on none). Missing sessions are listed, never filled in
    from an earlier session. Prints per-client results and the service summary.

    \b
    Example:
        cscore track sessions.csv -i fcs -i ceas --id client --session session --date date
        cscore track sessions.csv -i fcs --id client --session session \\
            --norms-file fcs_norms.yaml --norms our_clinic --report reports/ -o sessions_rci.csv
        cscore track sessions.csv -i fcs -i ceas --id client --session session --min-improved all
    """
    from compassion_scales.analyses.track import MultiMeasureRule
    from compassion_scales.analyses.track import track as run_track

    rule = MultiMeasureRule(min_improved=_min_improved(min_improved),
                            max_deteriorated=max_deteriorated, deteriorated_if=deteriorated_if,
                            recovery=not no_recovery)
    data = read_input(sessions_file, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      string_columns=[id], value_labels=items.value_labels)
    if items.exclude_flagged:
        for inst in instruments:
            data = items.screen(data, inst, [id, session_col])
    with captured_warnings(lambda w: not issubclass(w.category, DeprecationWarning)):
        result = run_track(data, list(instruments), id=id, session=session_col, date=date_col,
                           scores=list(scores) or None, sd=per_score_values(sd, "--sd"),
                           reliability=per_score_values(reliability, "--reliability"),
                           higher_is=higher_is, norm_sample=norm_sample, norms_files=list(norms_files),
                           rule=rule, criterion=criterion, rci_threshold=rci_threshold,
                           **items.library_kwargs())
    if out_format == "table":  # the per-measure outcomes and the service summary, with notes
        click.echo(result.title)
        click.echo(result.to_table(fmt=table_style, decimals=decimals if decimals is not None else 2))
        for line in result.notes():
            click.echo(line)
    else:
        emit_result(result, out_format, table_style, decimals)
    write_result_file(result.sessions, output, inputs=[sessions_file, *items.files])
    if report_dir:
        paths = result.report(report_dir)
        click.echo(f"Wrote {len(paths)} report file(s) to {report_dir}", err=True)
