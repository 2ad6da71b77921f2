"""Placeholder until implemented."""

import click


@click.command("efa")
def efa() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore factors efa is not implemented yet.")

