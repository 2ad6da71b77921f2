"""`cscore norms`: list the norm samples of an instrument (and of a norms file)."""

from __future__ import annotations

import functools
from typing import Any

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


def norms_options(func: Any) -> Any:
    """``--norms NAME`` and ``--norms-file FILE`` for ``cscore score``.

    The values are kept in the click context (read by :func:`apply_norm_options`), so the
    command's own signature does not change.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, norm_sample: str | None = None, norms_file: str | None = None,
                **kwargs: Any) -> Any:
        if norms_file and not norm_sample:
            raise click.UsageError("--norms-file needs --norms NAME (the sample to use).")
        click.get_current_context().meta["cscore.norms"] = (norm_sample, norms_file)
        return func(*args, **kwargs)

    wrapper = click.option("--norms-file", "norms_file", default=None, metavar="FILE",
                           type=click.Path(dir_okay=False),
                           help="Your service's own norm samples (YAML/JSON), used with --norms.")(wrapper)
    wrapper = click.option("--norms", "norm_sample", default=None, metavar="NAME",
                           help="Add z, T and percentile (normal approximation) columns against the "
                                "norm sample NAME; 'cscore norms -i ID' lists the samples.")(wrapper)
    return wrapper


def apply_norm_options(result: Any) -> Any:
    """The score result with the norm columns asked for by ``--norms`` (notes on stderr)."""
    ctx = click.get_current_context(silent=True)
    norm_sample, norms_file = (ctx.meta.get("cscore.norms", (None, None)) if ctx else (None, None))
    if not norm_sample:
        return result
    from compassion_scales.norms import add_norms_to_result

    result, notes = add_norms_to_result(result, norm_sample, norms_file)
    for line in notes:
        click.echo(f"Note: {line}", err=True)
    return result
