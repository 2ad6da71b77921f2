"""`cscore flows` (placeholder until implemented)."""

import click


@click.command("flows")
def flows() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore flows is not implemented yet.")

