"""`cscore factors efa`: exploratory factor analysis of item answers."""

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
from compassion_scales.cli._roles import n_factors_option, seed_option

METHODS = ("minres", "ml", "pa")
ROTATIONS = ("oblimin", "promax", "varimax", "geomin_obl", "geomin_ort", "none")


def _split_items(values: tuple[str, ...]) -> list[str] | None:
    out = [v.strip() for chunk in values for v in chunk.split(",") if v.strip()]
    return out or None


@click.command("efa")
@click.argument("responses", type=click.Path(dir_okay=False))
@click.option("-i", "--instrument", default=None, metavar="ID",
              help="Instrument id or file: items are selected, validated and reverse-keyed.")
@click.option("--score", "score_id", default=None, metavar="SCORE",
              help="With -i: analyse only this score's items (default: all scored items).")
@click.option("--items", "item_cols", multiple=True, metavar="A,B,...",
              help="Item columns to analyse (comma-separated or repeated; default: all columns, "
                   "or the instrument's items).")
@n_factors_option(help="Number of factors (default: chosen by parallel analysis).")
@click.option("--method", type=click.Choice(METHODS), default="minres", show_default=True,
              help="Extraction: minimum residual, maximum likelihood or principal axis.")
@click.option("--rotation", type=click.Choice(ROTATIONS), default="oblimin", show_default=True,
              help="Rotation (oblimin, promax and geomin_obl are oblique).")
@click.option("--missing", type=click.Choice(["pairwise", "listwise"]), default="pairwise",
              show_default=True, help="How missing answers enter the correlation matrix.")
@click.option("--n-iter", type=click.IntRange(1, None), default=20, show_default=True,
              help="Parallel analysis: number of random data sets.")
@click.option("--quantile", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.95, show_default=True, help="Parallel analysis: threshold quantile.")
@seed_option(help="Parallel analysis: random seed.")
@click.option("--plot", "plot_file", type=click.Path(dir_okay=False), default=None,
              metavar="FILE", help="Save a scree plot (.png or .svg).")
@click.option("--cut", type=click.FloatRange(0, 1), default=None, metavar="X",
              help="Tables: hide loadings below X in absolute value (e.g. .30); items are "
                   "always sorted by factor.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Also write the loadings table to FILE (.csv, .xlsx, .json, .docx, ...).")
@input_options
@item_options
@output_options
@handle_errors
def efa(responses: str, instrument: str | None, score_id: str | None, item_cols: tuple[str, ...],
        n_factors: int | None, method: str, rotation: str, missing: str, n_iter: int,
        quantile: float, seed: int, plot_file: str | None, cut: float | None, output: str | None,
        sheet: str | None, encoding: str | None, delimiter: str | None, items: ItemChoices,
        out_format: str, table_style: str, decimals: int) -> None:
    """Exploratory factor analysis: loadings, communalities, factor correlations.

    Without --n-factors the number of factors is chosen by parallel analysis
    (as R psych::fa.parallel). Results match R psych::fa.

    \b
    Example:
        cscore factors efa responses.csv -i fcs --n-factors 3
        cscore factors efa bfi.csv --items A1,A2,A3,A4,A5,C1,C2,C3,C4,C5 --plot scree.png
        cscore factors efa responses.csv -i fcs --method ml --rotation varimax --format json
    """
    from compassion_scales.analyses.efa import efa as run_efa

    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      value_labels=items.value_labels)
    data = items.screen(data, instrument, ())
    with captured_warnings(lambda w: issubclass(w.category, RuntimeWarning)):
        result = run_efa(data, n_factors=n_factors, method=method, rotation=rotation, missing=missing,
                         items=_split_items(item_cols), instrument=instrument, score=score_id,
                         n_iter=n_iter, quantile=quantile, seed=seed,
                         **items.library_kwargs(prorate=False))
    if out_format == "table":
        from compassion_scales.reporting.apa import sort_loadings

        emit_frame(sort_loadings(result.summary, cut=cut), "table", table_style, decimals,
                   title=result.title, notes=result.notes(), table="EFAResult")
    else:
        emit_result(result, out_format, table_style, decimals)
    if out_format == "table":
        click.echo("")
        emit_frame(result.variance, "table", table_style, decimals, title="Variance explained")
        if result.factor_correlations is not None:
            phi = result.factor_correlations.copy()
            phi.insert(0, "factor", phi.index.astype(str))
            click.echo("")
            emit_frame(phi, "table", table_style, decimals, title="Factor correlations")
    if plot_file:
        result.plot(plot_file)
        click.echo(f"Wrote {plot_file}", err=True)
    write_result_file(result.summary, output, inputs=[responses, *items.files])
