"""`cscore reliability` (alpha, omega, split-half, item analysis) and `cscore retest`."""

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
    id_option,
    level_option,
    n_boot_option,
    n_factors_option,
    occasion_options,
    score_option,
    seed_option,
)


def _split(values: tuple[str, ...]) -> list[str] | None:
    out = [v.strip() for chunk in values for v in chunk.split(",") if v.strip()]
    return out or None


@click.command("reliability")
@click.argument("responses", type=click.Path(dir_okay=False))
@click.option("-i", "--instrument", default=None, metavar="ID",
              help="Instrument id or file: every score with 2+ items is analysed on its items, "
                   "validated and keyed as the instrument declares.")
@score_option(help="With -i: analyse only these scores (comma-separated or repeated).")
@click.option("--items", "item_cols", multiple=True, metavar="A,B,...",
              help="Without -i: the item columns (default: every column except --group/--id).")
@click.option("--reverse", multiple=True, metavar="A,B,...",
              help="Without -i: items to reverse-key (min + max - x over the observed answers).")
@id_option(multiple=True,
           help="Without -i and --items: identifier column(s) to leave out of the items.")
@click.option("--group", default=None, metavar="COL",
              help="Also analyse each group of this column separately.")
@n_boot_option(help="Bootstrap resamples for alpha's percentile interval (0 = none).")
@seed_option(help="Bootstrap seed.")
@click.option("--ordinal", is_flag=True,
              help="Also report ordinal alpha and omega from polychoric correlations.")
@click.option("--missing", type=click.Choice(["pairwise", "listwise"]), default="pairwise",
              show_default=True, help="How items with missing answers enter (psych's default: pairwise).")
@n_factors_option(default=1, help="Group factors for omega hierarchical (Schmid-Leiman); "
                                  "1 = omega total only.")
@level_option(help="Confidence level.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the summary table to FILE (.csv, .xlsx, .json, ...).")
@renamed_option("--boot", "--n-boot", "n_boot", type=click.IntRange(0, None))
@renamed_option("--ci", "--level", "level",
                type=click.FloatRange(0, 1, min_open=True, max_open=True))
@renamed_option("--nfactors", "--n-factors", "n_factors", type=click.IntRange(1, None))
@input_options
@item_options
@output_options
@handle_errors
def reliability(responses: str, instrument: str | None, scores: tuple[str, ...],
                item_cols: tuple[str, ...], reverse: tuple[str, ...], id: tuple[str, ...],
                group: str | None, n_boot: int, seed: int, ordinal: bool, missing: str,
                n_factors: int, level: float, output: str | None, sheet: str | None,
                encoding: str | None, delimiter: str | None, items: ItemChoices,
                out_format: str, table_style: str, decimals: int) -> None:
    """Internal consistency per score: Cronbach's alpha (Feldt and bootstrap CIs),
    omega, split-half, lambda-6 and an item analysis with a keying audit.

    Numbers agree with R psych::alpha and psych::omega (see docs/reliability.md).

    \b
    Example:
        cscore reliability responses.csv -i fcs --n-boot 2000 --seed 1
        cscore reliability responses.csv -i fcs --group site --ordinal --format json
        cscore reliability bfi.csv --items A1,A2,A3,A4,A5 --reverse A1
    """
    from compassion_scales.analyses.reliability import reliability as run

    id_cols = id
    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      string_columns=id_cols, value_labels=items.value_labels)
    if id_cols:
        from compassion_scales._inputs import check_role_columns

        for col in id_cols:
            check_role_columns(data, {"identifier (--id)": col})
    data = items.screen(data, instrument, id_cols)
    item_list = _split(item_cols)
    if instrument is None and item_list is None and id_cols:
        skip = set(id_cols) | ({group} if group else set())
        item_list = [c for c in data.columns if c not in skip]
    with captured_warnings(lambda w: issubclass(w.category, RuntimeWarning)):
        result = run(data, instrument, items=item_list, reverse=_split(reverse), group=group,
                     n_boot=n_boot, seed=seed, ordinal=ordinal,
                     missing=missing,  # type: ignore[arg-type]
                     level=level, n_factors=n_factors, scores=_split(scores),
                     **items.library_kwargs(prorate=False))
    emit_result(result, out_format, table_style, decimals)
    if out_format == "table":
        click.echo("")
        emit_frame(result.items, "table", table_style, decimals, title="Items")
    write_result_file(result.summary, output, inputs=[responses, *items.files])


@click.command("retest")
@click.argument("first_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.argument("second_file", metavar="[SECOND_FILE]", type=click.Path(dir_okay=False),
                required=False)
@id_option(multiple=True, required=True, help="Column(s) identifying people at both time points.")
@click.option("-i", "--instrument", default=None, metavar="ID",
              help="Score both time points with this instrument first.")
@renamed_option("--times", "--occasions", "occasions", nargs=2, metavar="A B")
@occasion_options(time_help="One long file: the column telling the time point.",
                  occasions_help="With --time: the two time values to compare (default: the two "
                                 "present).")
# the 0.1 name of --score; declared here (not with renamed_option) so that output_options
# leaves this command without its own --columns compact|all, as before
@click.option("--columns", "columns", multiple=True, hidden=True, metavar="A,B,...")
@score_option(help="A score to analyse (repeatable or comma-separated): with -i, a score of the "
                   "instrument; without, a score column (default: every score, or the numeric "
                   "columns present at both times).")
@renamed_option("--ci", "--level", "level", type=click.FloatRange(0, 1, min_open=True, max_open=True))
@level_option()
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the summary table to FILE (.csv, .xlsx, .json, ...).")
@input_options
@item_options
@output_options
@handle_errors
def retest(first_file: str, second_file: str | None, id: tuple[str, ...], instrument: str | None,
           time: str | None, occasions: tuple[str, str] | None, columns: tuple[str, ...],
           scores: tuple[str, ...], level: float, output: str | None, sheet: str | None, encoding: str | None,
           delimiter: str | None, items: ItemChoices, out_format: str, table_style: str,
           decimals: int) -> None:
    """Test-retest reliability: six Shrout-Fleiss ICCs with CIs and Pearson's r per score.

    Give two files joined on --id, or one long file with --time. ICCs agree with
    R psych::ICC(x, lmer = FALSE).

    \b
    Example:
        cscore retest time1.csv time2.csv --id pid -i fcs
        cscore retest long.csv --id pid --time wave --occasions 1 2 -i fcs --format json
        cscore retest t1_scores.csv t2_scores.csv --id pid --score total
    """
    from compassion_scales.analyses.retest import retest as run

    if columns:
        click.echo("Note: --columns is now --score; --columns will stop working in version 1.0.",
                   err=True)
        scores = (*scores, *columns)
    if second_file is None and time is None:
        raise click.UsageError("Give a second file (SECOND_FILE), or --time COL for one long file.")
    id_cols = list(id)
    d1 = read_input(first_file, sheet=sheet, encoding=encoding, delimiter=delimiter,
                    string_columns=id_cols, value_labels=items.value_labels)
    d1 = items.screen(d1, instrument, [*id_cols, time] if time else id_cols)
    d2 = (read_input(second_file, sheet=sheet, encoding=encoding, delimiter=delimiter,
                     string_columns=id_cols, value_labels=items.value_labels) if second_file else None)
    if d2 is not None:
        d2 = items.screen(d2, instrument, id_cols)
    with captured_warnings(lambda w: issubclass(w.category, RuntimeWarning)):
        result = run(d1, instrument, second_data=d2, id=id_cols, time=time,
                     occasions=(occasions[0], occasions[1]) if occasions else None,
                     scores=_split(scores), level=level, **items.library_kwargs())
    emit_result(result, out_format, table_style, decimals)
    if out_format == "table":
        click.echo("")
        emit_frame(result.icc, "table", table_style, decimals, title="Intraclass correlations")
    write_result_file(result.summary, output,
                      inputs=[*(p for p in (first_file, second_file) if p), *items.files])
