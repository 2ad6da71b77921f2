"""`cscore score` (placeholder until implemented)."""

import click


@click.command("score")
def score() -> None:
    """Not implemented yet."""
    raise click.ClickException("cscore score is not implemented yet.")

