"""`cscore reliability` and `cscore retest` (placeholder until implemented)."""

import click


@click.command("reliability")
def reliability() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore reliability is not implemented yet.")


@click.command("retest")
def retest() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore retest is not implemented yet.")

