"""`cscore compare` (placeholder until implemented)."""

import click


@click.command("compare")
def compare() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore compare is not implemented yet.")

