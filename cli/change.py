"""`cscore change` (clinical pre/post change) and `cscore trial` (between-arm analysis)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from compassion_scales.cli._compat import REMOVED_IN
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
from compassion_scales.cli._roles import id_option, occasion_options, score_option


def renamed_occasion_pair(old_first: str, old_second: str) -> Callable[[Any], Any]:
    """Hidden 0.1 options ``old_first VALUE old_second VALUE`` standing for ``--occasions``.

    Like :func:`compassion_scales.cli._compat.renamed_option`, for two old options that
    became one pair: either fills its half of ``occasions`` and prints one note on stderr.
    """
    names = ["old_" + o.lstrip("-").replace("-", "_") for o in (old_first, old_second)]

    def decorate(func: Any) -> Any:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            first, second = (kwargs.pop(n, None) for n in names)
            if first is not None or second is not None:
                if kwargs.get("occasions"):
                    raise click.UsageError(f"Give --occasions only ({old_first}/{old_second} are "
                                           "its old names).")
                click.echo(f"Note: {old_first}/{old_second} are now --occasions FIRST SECOND; they "
                           f"will stop working in version {REMOVED_IN}.", err=True)
                if first is None or second is None:
                    raise click.UsageError(f"Give both {old_first} and {old_second} (or "
                                           "--occasions FIRST SECOND).")
                kwargs["occasions"] = (first, second)
            return func(*args, **kwargs)

        for old, name in zip((old_second, old_first), reversed(names), strict=True):
            wrapper = click.option(old, name, hidden=True, default=None, metavar="VALUE")(wrapper)
        return wrapper

    return decorate


def per_score_values(values: tuple[str, ...], what: str) -> float | dict[str, float] | None:
    """``0.85`` (every score) or ``fcs_self=0.83`` (one score; repeatable)."""
    if not values:
        return None
    out: dict[str, float] = {}
    single: float | None = None
    for v in values:
        key, sep, num = v.partition("=")
        text = num if sep else key
        try:
            number = float(text)
        except ValueError:
            raise click.BadParameter(f"{v!r} is not a number or SCORE=NUMBER.", param_hint=what) from None
        if sep:
            out[key.strip()] = number
        elif single is None and not out and len(values) == 1:
            single = number
        else:
            raise click.BadParameter("give one number, or SCORE=NUMBER for each score.",
                                     param_hint=what)
    return single if single is not None else out


def _file_options(func):
    return input_options(item_options(func))


@click.command("change")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("-i", "--instrument", default=None, metavar="ID",
              help="Instrument id or path to an instrument file. Without it, name score columns "
                   "with --score.")
@id_option(required=True, help="Column identifying the client.")
@renamed_occasion_pair("--from", "--to")
@occasion_options(time_help="Time column of a single long file (with --occasions).",
                  occasions_help="The time values before and after treatment (with --time).")
@score_option(help="Score to analyse (repeatable). Default: every score of the instrument.")
@click.option("--reliability", multiple=True, metavar="R|SCORE=R",
              help="Reliability to use instead of the published one (one number, or SCORE=R per score).")
@click.option("--sd", multiple=True, metavar="SD|SCORE=SD",
              help="SD of pre-treatment scores to use instead of the published clinical norm.")
@click.option("--from-sample", is_flag=True,
              help="Take the SD from the sample's pre scores and the reliability from Cronbach's "
                   "alpha of the sample's pre answers.")
@click.option("--norms", "norm_sample", default=None, metavar="NAME",
              help="Take SD and reliability from the norm sample NAME (test-retest preferred over "
                   "alpha); 'cscore norms -i ID' lists the samples.")
@click.option("--norms-file", default=None, metavar="FILE", type=click.Path(dir_okay=False),
              help="Your service's own norm samples (YAML/JSON, same fields as instrument files).")
@click.option("--higher-is", type=click.Choice(["better", "worse", "neutral"]), default=None,
              help="Direction of every score (default: from the instrument file).")
@click.option("--criterion", type=click.Choice(["auto", "a", "b", "c"]), default="auto",
              show_default=True, help="Jacobson-Truax clinical cut-off (auto: c when both norms exist).")
@click.option("--rci-threshold", type=click.FloatRange(0, None, min_open=True), default=1.96,
              show_default=True, help="|RCI| above which a change is reliable.")
@click.option("--plot", "plot_file", default=None, metavar="FILE.png|FILE.svg",
              help="Write a Jacobson-Truax plot (pre vs post, reliable-change band, cut-off).")
@click.option("--report", "report_dir", default=None, metavar="DIR",
              type=click.Path(file_okay=False),
              help="Write one printable report per client into DIR.")
@click.option("--report-format", type=click.Choice(["both", "html", "md"]), default="both",
              show_default=True, help="Report file type(s).")
@click.option("--report-summary", "summary_file", default=None, metavar="FILE.html",
              type=click.Path(dir_okay=False),
              help="Write a service-level summary page: clients reliably improved, recovered, "
                   "unchanged or deteriorated per scale, with the Jacobson-Truax plots.")
@_file_options
@output_options
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="Write the per-client table to FILE (.csv .tsv .xlsx .sav .dta .parquet .json).")
@handle_errors
def change(files: tuple[str, ...], instrument: str | None, id: str, time: str | None,
           occasions: tuple[str, str] | None, scores: tuple[str, ...],
           reliability: tuple[str, ...], sd: tuple[str, ...], from_sample: bool,
           norm_sample: str | None, norms_file: str | None, higher_is: str | None,
           criterion: str, rci_threshold: float, plot_file: str | None, report_dir: str | None,
           report_format: str, summary_file: str | None, sheet: str | None, encoding: str | None,
           delimiter: str | None, items: ItemChoices, out_format: str, table_style: str, decimals: int,
           output: str | None) -> None:
    """Reliable and clinically significant change between two occasions.

    Give two files (before and after) joined on --id, or one long file with
    --time and --occasions BEFORE AFTER. For every client and score: before, after, change,
    the Reliable Change Index (Jacobson & Truax 1991) and, where the instrument
    file has published clinical and non-clinical norms, the clinical cut-off and
    recovered / improved / unchanged / deteriorated. Reliability and SD come from
    the instrument file (sources printed) unless --reliability/--sd or
    --from-sample is given. Ids found at one time only are listed.

    \b
    Example:
        cscore change pre.csv post.csv -i fcs --id client --sd 8.1
        cscore change sessions.csv -i fcs --id client --time session --occasions 1 12 \\
            --plot jt.png --report reports/
        cscore change pre.csv post.csv -i fcs --id client --from-sample --format csv -o change.csv
        cscore change pre.csv post.csv -i fcs --id client --norms-file service_norms.yaml \\
            --norms our_clinic
    """
    from compassion_scales.analyses.change import change as run_change

    if len(files) > 2:
        raise click.UsageError("Give one long file (with --time) or two files (before, after).")
    long_form = len(files) == 1
    if long_form and not (time and occasions):
        raise click.UsageError("With one file, give --time COL --occasions BEFORE AFTER "
                               "(or give two files: before and after).")
    if not long_form and time:
        raise click.UsageError("--time is for a single long file; with two files leave it out.")
    if not instrument and not scores:
        raise click.UsageError("Give -i INSTRUMENT, or name score columns with --score.")
    if plot_file and not plot_file.lower().endswith((".png", ".svg")):
        raise click.BadParameter("use a .png or .svg file name.", param_hint="--plot")
    rel = per_score_values(reliability, "--reliability")
    sds = per_score_values(sd, "--sd")

    pre = read_input(files[0], sheet=sheet, encoding=encoding, delimiter=delimiter,
                     string_columns=[id], value_labels=items.value_labels)
    pre = items.screen(pre, instrument, [id, time] if long_form else [id])
    post = None if long_form else read_input(files[1], sheet=sheet, encoding=encoding,
                                             delimiter=delimiter, string_columns=[id],
                                             value_labels=items.value_labels)
    if post is not None:
        post = items.screen(post, instrument, [id])
    with captured_warnings(lambda w: issubclass(w.category, Warning)
                           and not issubclass(w.category, DeprecationWarning)):
        result = run_change(pre, instrument, second_data=post, id=id, time=time,
                            occasions=occasions if long_form else None,
                            norm_sample=norm_sample, norms_file=norms_file,
                            scores=list(scores) or None, reliability=rel,
                            sd=sds, from_sample=from_sample, higher_is=higher_is,
                            criterion=criterion, rci_threshold=rci_threshold,
                            **items.library_kwargs())
    emit_result(result, out_format, table_style, decimals)
    write_result_file(result.persons, output, inputs=[*files, *items.files])
    if plot_file:
        from compassion_scales.reporting.figures import save_figure

        save_figure(result.plot(), plot_file, bbox_inches="tight")
        click.echo(f"Wrote {plot_file}", err=True)
    if report_dir:
        fmts = ("html", "md") if report_format == "both" else (report_format,)
        paths = result.report(report_dir, formats=fmts)
        click.echo(f"Wrote {len(paths)} report file(s) to {report_dir}", err=True)
    if summary_file:
        from compassion_scales.io import write_provenance
        from compassion_scales.reporting.clinic import write_service_summary

        write_service_summary(result, summary_file)
        write_provenance(summary_file, {"command": "change --report-summary",
                                        "inputs": list(files), "instrument": instrument})
        click.echo(f"Wrote {summary_file} and {summary_file}.provenance.json", err=True)


@click.command("trial")
@click.argument("responses", type=click.Path(dir_okay=False))
@click.option("-i", "--instrument", default=None, metavar="ID",
              help="Instrument id or path. Without it, name score columns with --score.")
@click.option("--arm", "arm", required=True, metavar="COL", help="Column with the trial arm.")
@renamed_occasion_pair("--baseline-time", "--follow-up-time")
@occasion_options(time_help="Column with the time point (required).",
                  occasions_help="The time values of baseline and follow-up rows (required).")
@id_option(required=True, help="Column identifying the participant.")
@click.option("--reference", default=None, metavar="ARM",
              help="Reference (control) arm; default the first arm in R's factor() order "
                   "(control before Treatment; 2 before 10).")
@score_option(help="Score to analyse (repeatable). Default: every score of the instrument.")
@click.option("--higher-is", type=click.Choice(["better", "worse", "neutral"]), default=None,
              help="Direction of every score, for the notes (default: from the instrument file).")
@_file_options
@output_options
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="Write the summary table to FILE (.csv .tsv .xlsx .sav .dta .parquet .json).")
@handle_errors
def trial(responses: str, instrument: str | None, arm: str, time: str | None,
          occasions: tuple[str, str] | None, id: str, reference: str | None, scores: tuple[str, ...],
          higher_is: str | None, sheet: str | None, encoding: str | None,
          delimiter: str | None, items: ItemChoices, out_format: str, table_style: str, decimals: int,
          output: str | None) -> None:
    """Between-arm analysis of a trial with baseline and follow-up scores.

    Per score: ANCOVA of the follow-up score on baseline and arm (adjusted
    difference with 95% CI and standardised effect = adjusted difference / pooled
    baseline SD), the unadjusted Welch comparison beside it, and paired change
    within each arm with d_z. Complete-case analysis; missing follow-up is
    reported per arm. RESPONSES is a long file: one row per participant and time.

    \b
    Example:
        cscore trial trial.csv -i fcs --arm arm --time wave --occasions 0 1 --id pid \\
            --reference waitlist
        cscore trial trial.csv -i fcs --arm arm --time wave --occasions 0 1 --id pid \\
            --format json -o trial.json
    """
    from compassion_scales.analyses.trial import trial as run_trial

    if not time:
        raise click.UsageError("Missing option '--time'.")
    if not occasions:
        raise click.UsageError("Missing option '--occasions'.")
    if not instrument and not scores:
        raise click.UsageError("Give -i INSTRUMENT, or name score columns with --score.")
    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      string_columns=[id], value_labels=items.value_labels)
    data = items.screen(data, instrument, [id, time])
    with captured_warnings(lambda w: not issubclass(w.category, DeprecationWarning)):
        result = run_trial(data, instrument, arm=arm, time=time, occasions=occasions,
                           id=id, scores=list(scores) or None,
                           reference=reference, higher_is=higher_is, **items.library_kwargs())
    emit_result(result, out_format, table_style, decimals)
    write_result_file(result.summary, output, inputs=[responses, *items.files])
