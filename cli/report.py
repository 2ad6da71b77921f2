"""`cscore report`: one self-contained HTML study report."""

from __future__ import annotations

import click

from compassion_scales.cli._compat import renamed_option
from compassion_scales.cli._options import handle_errors, input_options, read_input
from compassion_scales.cli._roles import (
    OccasionsCommand,
    id_option,
    n_boot_option,
    occasion_order_options,
    seed_option,
)


@click.command("report", cls=OccasionsCommand)
@click.argument("responses", type=click.Path(dir_okay=False))
@click.option("-i", "--instrument", required=True, metavar="ID",
              help="Instrument id or file whose scores, items and factor model are reported.")
@click.option("--group", default=None, metavar="COL",
              help="Grouping column: group comparisons with post hoc tests (and invariance "
                   "with --invariance).")
@occasion_order_options(time_help="Occasion column: change from the first to the last occasion "
                                  "(needs --id); cross-sectional analyses use the first occasion.",
                        occasions_help="The occasions of --time to report, in time order "
                                       "(--occasions pre post); needed for text labels.")
@id_option(help="Column identifying the person (needed for change over time).")
@n_boot_option(help="Resamples of every bootstrap in the report (alpha's and omega's "
                    "intervals; 0: none).")
@renamed_option("--boot", "--n-boot", "n_boot", type=click.IntRange(0, None))
@renamed_option("--omega-boot", "--n-boot", "n_boot", type=click.IntRange(0, None))
@seed_option(help="Seed of every resampling step.")
@click.option("--invariance/--no-invariance", default=False, show_default=True,
              help="Also fit multi-group invariance models across --group (slow: about a minute "
                   "or more).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="report.html",
              show_default=True, metavar="FILE", help="The HTML page to write.")
@click.option("--on-invalid", type=click.Choice(["error", "missing"]), default="error", show_default=True,
              help="Invalid answers stop with a list of every bad cell, or become missing in every "
                   "section (their count is stated in the report).")
@click.option("--value-labels", is_flag=True,
              help="SPSS/Stata: match answers by their value labels instead of their codes.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@input_options
@handle_errors
def report(responses: str, instrument: str, group: str | None, time: str | None,
           occasions: tuple[str, ...], id: str | None, n_boot: int, seed: int, invariance: bool,
           output: str, on_invalid: str, value_labels: bool, quiet: bool, sheet: str | None, encoding: str | None,
           delimiter: str | None) -> None:
    """Write one self-contained HTML study report (print it to PDF from a browser).

    Sample and missing data, item distributions, floor and ceiling, score descriptives
    beside the instrument file's norms, alpha and omega with CIs, item analysis,
    parallel analysis, EFA and CFA fit, group comparisons and flows, change over time and
    a generated methods paragraph that flags unverified keys of the instrument file.

    \b
    Example:
        cscore report examples/responses.csv -i fcs --group group --time time --id pid -o report.html
        cscore report survey.sav -i scs --group site --invariance
        cscore report long.csv -i fcs --time wave --occasions pre post --id pid
    """
    from pathlib import Path

    from compassion_scales.errors import OutputFileError
    from compassion_scales.io import write_provenance
    from compassion_scales.reporting.study import report as run

    if Path(output).resolve() == Path(responses).resolve():
        raise OutputFileError(f"{output}: refusing to overwrite the input file; choose another name.")
    data = read_input(responses, sheet=sheet, encoding=encoding, delimiter=delimiter,
                      string_columns=[c for c in (id,) if c], value_labels=value_labels)
    result = run(data, instrument, group=group, time=time, occasions=occasions or None, id=id, n_boot=n_boot, seed=seed,
                 invariance=invariance, progress=not quiet, source=Path(responses).name,
                 on_invalid=on_invalid)
    try:
        result.save(output)
    except OSError as exc:
        raise OutputFileError(f"{output}: cannot be written ({exc.strerror or exc}).") from None
    from compassion_scales.io import sha256_file

    write_provenance(output, {"command": "report", "input": {"path": responses,
                                                             "sha256": sha256_file(responses)},
                              "instrument": instrument, "group": group, "time": time,
                              "occasions": list(occasions) or None,
                              "id": id, "n_boot": n_boot, "seed": seed,
                              "invariance": invariance, "on_invalid": on_invalid,
                              "timings_s": result.timings,
                              "skipped": result.skipped})
    for section, why in result.skipped.items():
        click.echo(f"Note: {section} not computed: {why}", err=True)
    total = sum(v for k, v in result.timings.items() if not k.startswith("("))
    click.echo(f"Wrote {output} and {output}.provenance.json ({len(result.sections)} sections, "
               f"{total:.1f} s)", err=True)
