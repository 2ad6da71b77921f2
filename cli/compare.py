"""`cscore compare`: compare every score of an instrument across groups."""

from __future__ import annotations

import click

from compassion_scales.cli._compat import renamed_option
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
from compassion_scales.cli._roles import id_option, level_option, score_option


@click.command("compare")
@click.argument("responses", type=click.Path(dir_okay=False))
@click.option("-i", "--instrument", default=None, metavar="ID",
              help="Instrument id or file; its scores are computed (or read if already present).")
@click.option("--group", required=True, metavar="COL", help="The grouping column.")
@score_option(help="Only these scores (comma-separated or repeated); without -i, the columns "
                   "to compare.")
@id_option(multiple=True, help="Column identifying the person (repeatable).")
@click.option("--correction", type=click.Choice(["holm", "bonferroni", "fdr_bh", "none"]), default="holm",
              show_default=True, help="Multiple-comparison correction across the scores.")
@level_option()
@renamed_option("--ci", "--level", "level", type=click.FloatRange(0, 1, min_open=True, max_open=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the tests table to FILE (.csv, .xlsx, .json, ...).")
@input_options
@item_options
@output_options
@handle_errors
def compare(responses: str, instrument: str | None, group: str, scores: tuple[str, ...],
            id: tuple[str, ...], correction: str, level: float, output: str | None,
            sheet: str | None, encoding: str | None, delimiter: str | None, items: ItemChoices,
            out_format: str, table_style: str, decimals: int) -> None:
    """Compare scores across groups: Welch t / Mann-Whitney U for two groups (with Hedges'
    g and the default JZS Bayes factor BF10), Welch ANOVA / F / Kruskal-Wallis for more
    (with eta and omega squared and pairwise Welch tests).

    P values are corrected across scores (Holm by default). Groups are in R's factor() order
    (a categorical column's own order); two groups: first minus second. See docs/flows.md.

    \b
    Example:
        cscore compare responses.csv -i fcs --group arm
        cscore compare responses.csv -i ceas --group site --correction fdr_bh --format json
        cscore compare scores.csv --group arm --score total,anxiety
    """
    from compassion_scales.analyses.compare import compare as run

    wanted = [v.strip() for chunk in scores for v in chunk.split(",") if v.strip()] or None
    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      string_columns=id, value_labels=items.value_labels)
    data = items.screen(data, instrument, id)
    with captured_warnings(lambda w: issubclass(w.category, RuntimeWarning)):
        result = run(data, instrument, group=group, scores=wanted, correction=correction,
                     level=level, id=list(id) or None, **items.library_kwargs())
    emit_result(result, out_format, table_style, decimals)
    write_result_file(result.summary, output, inputs=[responses, *items.files])
