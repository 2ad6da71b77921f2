"""`cscore instruments list|show|validate`."""

from __future__ import annotations

import click

from compassion_scales.cli._options import FORMATS, TABLE_STYLES, handle_errors


@click.group("instruments")
def instruments() -> None:
    """List, show and validate instrument definitions.

    \b
    Example:
        cscore instruments list
        cscore instruments show ceas
        cscore instruments validate my_scale.yaml
    """


@instruments.command("list")
@click.option("--format", "out_format", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--fmt", "table_style", type=click.Choice(TABLE_STYLES), default="simple", show_default=True)
@handle_errors
def list_cmd(out_format: str, table_style: str) -> None:
    """List the shipped instruments.

    \b
    Example:
        cscore instruments list --format json
    """
    from compassion_scales.cli._options import emit_frame
    from compassion_scales.instrument import list_instruments

    emit_frame(list_instruments(), out_format, table_style)


@instruments.command("show")
@click.argument("instrument", metavar="ID_OR_FILE")
@click.option("--format", "out_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--fmt", "table_style", type=click.Choice(TABLE_STYLES), default="simple", show_default=True)
@handle_errors
def show(instrument: str, out_format: str, table_style: str) -> None:
    """Show an instrument's structure, keys, rules, bands, sources and verification status.

    \b
    Example:
        cscore instruments show fcs
        cscore instruments show scs_sf --format json
    """
    from compassion_scales._format import dumps_json
    from compassion_scales.describe import describe_instrument
    from compassion_scales.instrument import load_instrument

    inst = load_instrument(instrument)
    if out_format == "json":
        click.echo(dumps_json(inst.summary_dict()))
    else:
        click.echo(describe_instrument(inst, table_style=table_style))


@instruments.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "out_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@handle_errors
def validate(files: tuple[str, ...], out_format: str) -> None:
    """Validate instrument files: JSON Schema, semantic checks and golden examples.

    Exits 1 when any file has a problem; every problem of every file is listed.

    \b
    Example:
        cscore instruments validate instruments/*.yaml
    """
    from compassion_scales._format import dumps_json
    from compassion_scales.describe import validate_files

    report = validate_files(files)
    if out_format == "json":
        click.echo(dumps_json(report))
    else:
        for entry in report:
            if entry["valid"]:
                n_scores, n_examples = entry["n_scores"], entry["n_examples"]
                examples = (f"{n_examples} golden example{'s' if n_examples != 1 else ''} "
                            f"pass{'es' if n_examples == 1 else ''}")
                click.echo(f"{entry['file']}: valid ({entry['id']}, {entry['n_items']} items, "
                           f"{n_scores} score{'s' if n_scores != 1 else ''}, {examples})")
            else:
                click.echo(f"{entry['file']}: INVALID")
                for p in entry["problems"]:
                    click.echo(f"  - {p}")
    bad = [e for e in report if not e["valid"]]
    if bad:
        raise click.ClickException(f"{len(bad)} of {len(report)} instrument file(s) are not valid.")
