"""`cscore change` and `cscore trial` (placeholder until implemented)."""

import click


@click.command("change")
def change() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore change is not implemented yet.")


@click.command("trial")
def trial() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore trial is not implemented yet.")

