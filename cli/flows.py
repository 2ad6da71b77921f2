"""`cscore flows`: the three flows of compassion across groups (and time points)."""

from __future__ import annotations

import click

from compassion_scales.cli._compat import renamed_option
from compassion_scales.cli._items import ItemChoices, item_options
from compassion_scales.cli._options import (
    captured_warnings,
    emit_frame,
    emit_result,
    handle_errors,
    input_options,
    output_options,
    read_input,
    write_result_file,
)
from compassion_scales.cli._roles import (
    OccasionsCommand,
    id_option,
    level_option,
    occasion_order_options,
    score_option,
)

PARTS = ("summary", "flow_scores", "descriptives", "anova", "sphericity", "posthoc", "correlations",
         "group_tests", "time_tests", "mixed_model", "mixed_model_terms")


def _flow_scores(scores: tuple[str, ...] | str) -> dict[str, str] | list[str] | str | None:
    """``--score`` values: flow=score pairs, one text to match, or score ids."""
    parts = [p.strip() for v in ((scores,) if isinstance(scores, str) else scores)
             for p in v.split(",") if p.strip()]
    if not parts:
        return None
    if all("=" in p for p in parts):
        return dict(p.split("=", 1) for p in parts)
    if any("=" in p for p in parts):
        raise click.UsageError("Give --score either as FLOW=SCORE pairs or as score ids, not both.")
    return parts[0] if len(parts) == 1 else parts


@click.command("flows", cls=OccasionsCommand)
@click.argument("responses", type=click.Path(dir_okay=False))
@click.option("-i", "--instrument", required=True, metavar="ID",
              help="Instrument id or file whose scores carry flow tags (e.g. ceas, fcs).")
@click.option("--group", default=None, metavar="COL", help="Between-subject group column (e.g. arm).")
@occasion_order_options(time_help="Time-point column (long data); a linear mixed model replaces "
                                  "the ANOVA.",
                        occasions_help="The occasions of --time to analyse, in time order "
                                       "(--occasions pre mid post); needed for text labels.")
@id_option(help="Person identifier column (required with --time).")
@click.option("--metric", type=click.Choice(["mean_item", "pomp", "raw"]), default="mean_item",
              show_default=True,
              help="Common metric: mean item score, percent of maximum possible, or raw scores.")
@click.option("--anova-type", type=click.Choice(["3", "1"]), default="3", show_default=True,
              help="Sums of squares: 3 (afex/car, SPSS, JASP) or 1 (sequential, R aov, pingouin).")
@renamed_option("--flow-score", "--score", "scores")
@score_option(help="Which score stands for each flow: FLOW=SCORE (repeatable), a score id "
                   "(repeatable) or text each flow's score contains (e.g. action). Default: the "
                   "first non-derived score of each flow.")
@click.option("--observed", "group_observed", is_flag=True,
              help="Treat the group as observed (e.g. clinicians vs patients) in generalised eta squared.")
@renamed_option("--ci", "--level", "level", type=click.FloatRange(0, 1, min_open=True, max_open=True))
@level_option()
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Save a profile plot (flows on x, one line per group, CI bars) as .png or .svg.")
@click.option("--part", type=click.Choice(PARTS), default="summary", show_default=True,
              help="Table written by --format csv and -o (table and json show every part).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the --part table to FILE (.csv, .xlsx, .json, ...).")
@input_options
@item_options
@output_options
@handle_errors
def flows(responses: str, instrument: str, group: str | None, time: str | None,
          occasions: tuple[str, ...], id: str | None, metric: str, anova_type: str, scores: tuple[str, ...] | str,
          group_observed: bool, level: float, plot_file: str | None, part: str, output: str | None,
          sheet: str | None, encoding: str | None, delimiter: str | None, items: ItemChoices,
          out_format: str, table_style: str, decimals: int) -> None:
    """Compare the flows of compassion (self, to others, from others) across groups.

    Descriptives per flow and group, a mixed ANOVA (flow within, group between; Type III
    by default) with Mauchly's test and GG/HF corrections, Holm-corrected post hoc tests
    with Hedges' g, flow inter-correlations with Fisher z / Steiger tests and, with
    --time, a linear mixed model. See docs/flows.md.

    \b
    Example:
        cscore flows responses.csv -i ceas --group arm --id pid --plot flows.png
        cscore flows responses.csv -i fcs --group role --observed --anova-type 1
        cscore flows long.csv -i ceas --group arm --time wave --id pid --format json
        cscore flows long.csv -i ceas --time wave --occasions pre post --id pid
    """
    from compassion_scales.analyses.flows import flows as run

    chosen = _flow_scores(scores)
    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      string_columns=[id] if id else (), value_labels=items.value_labels)
    data = items.screen(data, instrument, [id, time] if time else id)
    with captured_warnings(lambda w: issubclass(w.category, RuntimeWarning)
                           and "Precision loss" not in str(w.message)):
        result = run(data, instrument, group=group, time=time, occasions=occasions or None, id=id,
                     metric=metric,
                     anova_type=int(anova_type), scores=chosen, group_observed=group_observed,
                     level=level, **items.library_kwargs())
    table = result.summary if part == "summary" else getattr(result, part)
    if table is None:
        raise click.ClickException(f"There is no {part} table for this analysis "
                                   "(the ANOVA needs no --time; the mixed model needs --time).")
    if out_format == "table":
        click.echo(result.title)
        for title, df in result.sections():
            click.echo("")
            emit_frame(df, "table", table_style, decimals, title=title)
        click.echo("")
        for line in result.notes():
            click.echo(line)
    elif out_format == "csv":
        click.echo(table.to_csv(index=False), nl=False)
    else:
        emit_result(result, out_format, table_style, decimals)
    if plot_file:
        from compassion_scales.reporting.flows_plot import save_figure

        save_figure(result.plot(), plot_file)
        click.echo(f"Wrote {plot_file}", err=True)
    write_result_file(table, output, inputs=[responses, *items.files])
