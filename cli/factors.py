"""`cscore factors` (placeholder until implemented)."""

import click


@click.command("factors")
def factors() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore factors is not implemented yet.")

