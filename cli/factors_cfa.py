"""Placeholder until implemented."""

import click


@click.command("cfa")
def cfa() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore factors cfa is not implemented yet.")


@click.command("invariance")
def invariance() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore factors invariance is not implemented yet.")

