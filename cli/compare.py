"""`cscore compare`: compare every score of an instrument across groups."""

from __future__ import annotations

import click

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


@click.command("compare")
@click.argument("responses", type=click.Path(dir_okay=False))
@click.option("-i", "--instrument", default=None, metavar="ID",
              help="Instrument id or file; its scores are computed (or read if already present).")
@click.option("--group", required=True, metavar="COL", help="The grouping column.")
@click.option("--score", "scores", multiple=True, metavar="SCORE",
              help="Only these scores (comma-separated or repeated); without -i, the columns to compare.")
@click.option("--id", "id_cols", multiple=True, metavar="COL", help="Identifier column(s).")
@click.option("--correction", type=click.Choice(["holm", "bonferroni", "fdr_bh", "none"]), default="holm",
              show_default=True, help="Multiple-comparison correction across the scores.")
@click.option("--ci", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Confidence level.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the tests table to FILE (.csv, .xlsx, .json, ...).")
@input_options
@item_options
@output_options
@handle_errors
def compare(responses: str, instrument: str | None, group: str, scores: tuple[str, ...],
            id_cols: tuple[str, ...], correction: str, ci: float, output: str | None,
            sheet: str | None, encoding: str | None, delimiter: str | None, items: ItemChoices,
            out_format: str, table_style: str, decimals: int) -> None:
    """Compare scores across groups: Welch t / Mann-Whitney U for two groups, Welch
    ANOVA / F / Kruskal-Wallis for more, with Hedges' g or eta and omega squared.

    P values are corrected across scores (Holm by default). See docs/flows.md.

    \b
    Example:
        cscore compare responses.csv -i fcs --group arm
        cscore compare responses.csv -i ceas --group site --correction fdr_bh --format json
        cscore compare scores.csv --group arm --score total,anxiety
    """
    from compassion_scales.group_comparison import compare as run

    wanted = [v.strip() for chunk in scores for v in chunk.split(",") if v.strip()] or None
    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      string_columns=id_cols, value_labels=items.value_labels)
    data = items.screen(data, instrument, id_cols)
    with captured_warnings(lambda w: issubclass(w.category, RuntimeWarning)):
        result = run(data, instrument, group=group, scores=wanted, correction=correction, level=ci,
                     id_cols=list(id_cols) or None, **items.library_kwargs())
    emit_result(result, out_format, table_style, decimals)
    if out_format == "table":
        click.echo("")
        emit_frame(result.descriptives, "table", table_style, decimals, title="Group descriptives")
        if len(result.posthoc):
            click.echo("")
            emit_frame(result.posthoc, "table", table_style, decimals, title="Pairwise comparisons",
                       notes=[f"Welch t-tests; p (adj.) {result.correction}-corrected across the pairs "
                              "of each score."])
    write_result_file(result.summary, output, inputs=[responses, *items.files])
