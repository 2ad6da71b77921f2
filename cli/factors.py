"""`cscore factors efa|cfa|invariance`: factor structure of an instrument's items."""

from __future__ import annotations

import click

from compassion_scales.cli import LazyGroup

SUBCOMMANDS = {
    "efa": "compassion_scales.cli.factors_efa:efa",
    "cfa": "compassion_scales.cli.factors_cfa:cfa",
    "invariance": "compassion_scales.cli.factors_cfa:invariance",
}


@click.group("factors", cls=LazyGroup, lazy_subcommands=SUBCOMMANDS)
def factors() -> None:
    """Exploratory and confirmatory factor analysis, and measurement invariance.

    \b
    Example:
        cscore factors efa responses.csv -i fcs --n-factors 3
        cscore factors cfa responses.csv -i fcs
        cscore factors invariance responses.csv -i fcs --group sample
    """
