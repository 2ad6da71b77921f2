"""`cscore instruments` (placeholder until implemented)."""

import click


@click.command("instruments")
def instruments() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore instruments is not implemented yet.")

