"""`cscore factors cfa` and `cscore factors invariance`: confirmatory factor analysis."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

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

_CFA_TABLES = ("fit", "loadings", "estimates", "mi", "thresholds", "omega")
#: estimators offered on the command line (compassion_scales.analyses.cfa): ML and robust MLR for
#: continuous items; WLSMV and ULSMV for ordinal items
_ESTIMATORS = ("ML", "MLR", "WLSMV", "ULSMV")


def _estimator_option(func: Any) -> Any:
    return click.option(
        "--estimator", type=click.Choice(_ESTIMATORS, case_sensitive=False), default=None,
        help="ML (default); MLR: robust ML (sandwich standard errors, Yuan-Bentler scaled chi-square, "
             "robust CFI/TLI/RMSEA) as lavaan's estimator = \"MLR\", suited to skewed Likert items; "
             "WLSMV / ULSMV for ordinal items (polychoric correlations, robust standard errors, "
             "scaled-shifted chi-square). [default: ML; WLSMV with --ordered]")(func)
_INV_TABLES = ("steps", "partial")


def _model_options(func: Any) -> Any:
    func = click.option("--score", "scores", multiple=True, metavar="SCORE_ID",
                        help="With -i: use only these scores as factors (repeat). Default: every "
                             "item-based score except totals.")(func)
    func = click.option("--model", "model", default=None, metavar="FILE_OR_TEXT",
                        help="Model as a file or text in lavaan style, one factor per line or ';'-separated: "
                             "'visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6'.")(func)
    func = click.option("-i", "--instrument", "instrument", default=None, metavar="ID",
                        help="Instrument id or file: its scores are the factors, their items the indicators "
                             "(reverse-keyed items recoded).")(func)
    return func


def _resolve_model(instrument: str | None, model: str | None) -> Any:
    from compassion_scales.errors import AnalysisError

    if (instrument is None) == (model is None):
        raise AnalysisError("Give either -i/--instrument ID or --model FILE_OR_TEXT (exactly one of them).")
    if instrument is not None:
        from compassion_scales.instrument import load_instrument

        return load_instrument(instrument)
    model = str(model)
    if "=~" not in model and Path(model).is_file():
        try:
            return Path(model).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AnalysisError(f"Cannot read the model file '{model}': {exc}.") from None
    if "=~" not in model:
        raise AnalysisError(f"--model '{model}' is neither a file nor model text such as "
                            "'factor =~ item1 + item2 + item3'.")
    return model


def _first_of_each_message() -> Callable[[Any], bool]:
    """Warning filter passing only the first warning with each message."""
    seen: set[str] = set()

    def first(w: Any) -> bool:
        text = str(w.message)
        if text in seen:
            return False
        seen.add(text)
        return True

    return first


@click.command("cfa")
@click.argument("responses", type=click.Path(dir_okay=False))
@_model_options
@click.option("--std-lv", is_flag=True,
              help="Identify factors by fixing their variances to 1 (all loadings free) instead of "
                   "fixing each factor's first loading to 1.")
@click.option("--missing", type=click.Choice(["listwise", "fiml"]), default="listwise", show_default=True,
              help="Missing answers: drop the person (listwise) or use every answer (full-information ML).")
@_estimator_option
@click.option("--ordered", is_flag=True,
              help="Treat every item as ordered categories (WLSMV unless --estimator ULSMV).")
@click.option("--parameterization", type=click.Choice(["delta", "theta"]), default="delta", show_default=True,
              help="With ordinal items: lavaan's parameterisation of the latent responses.")
@click.option("--table", "table", type=click.Choice(_CFA_TABLES), default="fit", show_default=True,
              help="Table for --format csv and -o: fit measures, standardised loadings, all estimates, "
                   "modification indices (ML), or thresholds and categorical omega (ordinal).")
@click.option("--mi", "n_mi", type=click.IntRange(0, None), default=10, show_default=True,
              help="Number of largest modification indices shown in the table output.")
@input_options
@item_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the --table to FILE (.csv .tsv .xlsx .json ...).")
@output_options
@handle_errors
def cfa(responses: str, instrument: str | None, model: str | None, scores: tuple[str, ...], std_lv: bool,
        missing: str, estimator: str | None, ordered: bool, parameterization: str, table: str,
        n_mi: int, sheet: str | None, encoding: str | None, delimiter: str | None,
        items: ItemChoices, output: str | None, out_format: str, table_style: str,
        decimals: int) -> None:
    """Confirmatory factor analysis (ML, robust MLR, or WLSMV/ULSMV for ordinal items, as
    lavaan::cfa) of RESPONSES.

    The model comes from an instrument's scores (-i) or from --model. Prints chi-square,
    CFI, TLI, RMSEA (90% CI, p-close), SRMR, AIC and BIC, standardised loadings with
    standard errors and the largest modification indices.

    \b
    Example:
        cscore factors cfa responses.csv -i fcs
        cscore factors cfa hs.csv --model 'visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6'
        cscore factors cfa hs.csv --model model.txt --std-lv --table loadings --format csv
        cscore factors cfa responses.csv -i fcs --estimator MLR
        cscore factors cfa responses.csv -i fcs --ordered --estimator WLSMV
    """
    from compassion_scales.analyses.cfa import cfa as run_cfa
    from compassion_scales.errors import AnalysisError

    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      value_labels=items.value_labels)
    data = items.screen(data, instrument, ())
    spec = _resolve_model(instrument, model)
    est = (estimator or ("WLSMV" if ordered else "ML")).upper()
    if est == "ML" and ordered:
        raise AnalysisError("--ordered needs an ordinal estimator: use --estimator WLSMV or ULSMV (or drop --ordered).")
    with captured_warnings():
        result = run_cfa(data, spec, std_lv=std_lv, missing=missing, scores=list(scores) or None,
                         estimator=est, ordered=True if ordered else None,
                         parameterization=parameterization, **items.library_kwargs(prorate=False))
    ordinal = hasattr(result, "thresholds")
    if table in ("thresholds", "omega") and not ordinal:
        raise AnalysisError(f"--table {table} is only available for ordinal models (--ordered / --estimator WLSMV).")
    frames = {
        "fit": result.summary,
        "loadings": result.standardized_loadings[["factor", "item", "est", "se", "std_all", "std_se", "p_val"]],
        "estimates": result.estimates,
        "mi": result.modification_indices,
    }
    if ordinal:
        frames["thresholds"] = result.thresholds
        frames["omega"] = result.omega
    write_result_file(frames[table], output, inputs=[responses, *items.files])
    if out_format == "json":
        emit_result(result, "json")
    elif out_format == "csv":
        emit_frame(frames[table], "csv")
    else:
        click.echo(result.title)
        emit_frame(result.summary, "table", table_style, decimals)
        click.echo("\nStandardised loadings (std.all)")
        emit_frame(frames["loadings"], "table", table_style, decimals)
        from compassion_scales.reporting.tables import cfa_factor_correlations

        phi = cfa_factor_correlations(result)
        if len(phi):
            click.echo("\nFactor correlations (std.all)")
            emit_frame(phi, "table", table_style, decimals, table="Factor correlations")
        if n_mi and len(result.modification_indices):
            click.echo(f"\nLargest modification indices (top {n_mi})")
            emit_frame(result.modification_indices.head(n_mi), "table", table_style, decimals)
        click.echo("")
        for line in result.notes():
            click.echo(line)
        if not ordinal:
            from compassion_scales.analyses.ordinal_cfa import ordinal_suggestion

            hint = ordinal_suggestion(data, result.model.items)
            if hint:
                click.echo(hint)


@click.command("invariance")
@click.argument("responses", type=click.Path(dir_okay=False))
@_model_options
@click.option("--group", "group", required=True, metavar="COL", help="Column with each person's group.")
@click.option("--delta-cfi", type=click.FloatRange(0, 1), default=0.010, show_default=True,
              help="A step holds if CFI drops by at most this much.")
@click.option("--delta-rmsea", type=click.FloatRange(0, 1), default=0.015, show_default=True,
              help="A step holds if RMSEA rises by at most this much.")
@click.option("--configural-cfi", type=click.FloatRange(0, 1), default=0.90, show_default=True,
              help="The configural model must reach at least this CFI before invariance is judged.")
@click.option("--configural-rmsea", type=click.FloatRange(0, 1), default=0.08, show_default=True,
              help="The configural model must reach at most this RMSEA before invariance is judged.")
@click.option("--use-chisq", is_flag=True,
              help="Also require a non-significant chi-square difference test (p >= .05).")
@click.option("--all-steps", is_flag=True, help="Fit every step even after one fails.")
@click.option("--std-lv", is_flag=True, help="Identify factors by fixing their variances to 1 in the first group.")
@click.option("--missing", type=click.Choice(["listwise", "fiml"]), default="listwise", show_default=True,
              help="Missing answers: drop the person (listwise) or use every answer (full-information ML). "
                   "A missing group always drops the person.")
@_estimator_option
@click.option("--ordered", is_flag=True,
              help="Treat every item as ordered categories (WLSMV; steps configural, thresholds, metric, "
                   "scalar, strict as Wu & Estabrook 2016).")
@click.option("--parameterization", type=click.Choice(["delta", "theta"]), default="delta", show_default=True,
              help="With --ordered: the latent responses' parameterisation (delta fits the strict step in "
                   "theta, as semTools does).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar (it is shown only on a terminal).")
@click.option("--table", "table", type=click.Choice(_INV_TABLES), default="steps", show_default=True,
              help="Table for --format csv and -o: the steps, or the partial-invariance candidates.")
@input_options
@item_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the --table to FILE (.csv .tsv .xlsx .json ...).")
@output_options
@handle_errors
def invariance(responses: str, instrument: str | None, model: str | None, scores: tuple[str, ...], group: str,
               delta_cfi: float, delta_rmsea: float, configural_cfi: float, configural_rmsea: float,
               use_chisq: bool, all_steps: bool, std_lv: bool,
               missing: str, estimator: str, ordered: bool, parameterization: str, quiet: bool, table: str,
               sheet: str | None,
               encoding: str | None, delimiter: str | None, items: ItemChoices, output: str | None,
               out_format: str, table_style: str, decimals: int) -> None:
    """Measurement invariance of a factor model across the groups in column --group.

    Fits configural, metric (equal loadings), scalar (equal intercepts) and strict (equal
    residual variances) models, with chi-square difference tests, change in CFI and RMSEA,
    and stops at the first step that fails; for that step it lists the constraints whose
    release improves fit most (partial invariance). The configural model must fit first
    (--configural-cfi, --configural-rmsea); if it does not, no invariance is claimed.

    \b
    Example:
        cscore factors invariance responses.csv -i fcs --group sample
        cscore factors invariance hs.csv --model model.txt --group school --delta-cfi .01
        cscore factors invariance hs.csv --model model.txt --group school --estimator MLR
        cscore factors invariance hs.csv --model model.txt --group school --ordered
    """
    from compassion_scales.analyses.invariance import invariance as run_invariance
    from compassion_scales.errors import AnalysisError

    if ordered and (estimator or "WLSMV").upper() != "WLSMV":
        raise AnalysisError("--ordered invariance is available with --estimator WLSMV only.")

    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      value_labels=items.value_labels)
    data = items.screen(data, instrument, ())
    spec = _resolve_model(instrument, model)
    # the same rows are dropped for every step: report each warning once
    with captured_warnings(_first_of_each_message()):
        result = run_invariance(data, spec, group=group, delta_cfi=delta_cfi, delta_rmsea=delta_rmsea,
                                use_chisq=use_chisq, stop_at_failure=not all_steps, std_lv=std_lv,
                                missing=missing, scores=list(scores) or None,
                                configural_cfi=configural_cfi, configural_rmsea=configural_rmsea,
                                estimator=estimator or ("WLSMV" if ordered else "ML"), progress=not quiet,
                                ordered=True if ordered else None, parameterization=parameterization,
                                **items.library_kwargs(prorate=False))
    frames = {"steps": result.summary, "partial": result.partial}
    write_result_file(frames[table], output, inputs=[responses, *items.files])
    if out_format == "json":
        emit_result(result, "json")
    elif out_format == "csv":
        emit_frame(frames[table], "csv")
    else:
        click.echo(result.title)
        cols = ["step", "equal", "chisq", "df", "p_val", "cfi", "rmsea", "srmr", "chisq_diff", "df_diff",
                "p_diff", "delta_cfi", "delta_rmsea", "holds"]
        if result.estimator == "MLR":
            cols[2:7] = ["chisq", "chisq_scaled", "scaling_factor", "df", "p_val_scaled", "cfi_robust",
                         "rmsea_robust"]
        if result.estimator == "WLSMV":
            cols = ["step", "equal", "parameterization", "chisq", "chisq_scaled", "df", "p_val_scaled",
                    "cfi_scaled", "rmsea_scaled", "chisq_diff", "df_diff", "p_diff", "delta_cfi", "delta_rmsea",
                    "holds"]
            cols = [c for c in cols if c in result.summary.columns]
        emit_frame(result.summary[cols], "table", table_style, decimals)
        if len(result.partial):
            click.echo(f"\nPartial invariance candidates for the {result.failed_step} step "
                       "(score test for releasing each constraint; fit after releasing it)")
            pcols = [c for c in ["group", "parameter", "score_chisq", "score_p_val", "epc", "chisq", "cfi",
                                 "rmsea", "delta_cfi", "delta_rmsea", "holds"] if c in result.partial.columns]
            emit_frame(result.partial[pcols].head(10), "table", table_style, decimals)
        click.echo("")
        for line in result.notes():
            click.echo(line)
