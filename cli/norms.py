"""`cscore norms`: list the norm samples of an instrument (and of a norms file)."""

from __future__ import annotations

import click

from compassion_scales.cli._options import emit_frame, handle_errors, output_options


@click.command("norms")
@click.option("-i", "--instrument", required=True, metavar="ID",
              help="Instrument id or path to an instrument file.")
@click.option("--norms-file", default=None, metavar="FILE", type=click.Path(dir_okay=False),
              help="Your service's own norm samples (YAML/JSON); checked and listed too.")
@output_options
@handle_errors
def norms(instrument: str, norms_file: str | None, out_format: str, table_style: str,
          decimals: int) -> None:
    """List the norm samples (name, population, n, mean, SD, reliability, source) of a score.

    Only samples with a source ship; a score without one has no row. Samples with
    metric t_score describe published t-scores and are never applied to raw scores.
    A norms file is validated against the same schema as instrument files.

    \b
    Example:
        cscore norms -i proqol5
        cscore norms -i fcs --norms-file service_norms.yaml --format csv
    """
    from compassion_scales.norms import norm_samples

    table = norm_samples(instrument, norms_file)
    if table.empty:
        click.echo(f"{instrument}: no norm samples with a source are available; add your own "
                   "with --norms-file.", err=True)
    emit_frame(table, out_format, table_style, decimals)
