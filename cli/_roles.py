"""The option families for roles, shared by every command (docs/development.md, "Glossary").

One word per thing: ``--id`` (the person), ``--time`` and ``--occasions FIRST SECOND``
(the time column and its two occasions; ``--occasions LABEL...`` in time order, where a
command takes every occasion), ``--score`` (a subset of scores), ``--level``
(confidence level), ``--n-boot`` (bootstrap resamples) and ``--seed``. Commands declare
them with these decorators so that name, metavar, type and default never drift; each
takes the help text, which says what the option means for that command.

Examples
--------
>>> from click.testing import CliRunner
>>> @click.command()
... @occasion_options(time_help="Column with the occasion.")
... @level_option()
... def cmd(time, occasions, level):
...     click.echo(f"{time} {occasions} {level}")
>>> CliRunner().invoke(cmd, ["--time", "wave", "--occasions", "pre", "post"]).output
"wave ('pre', 'post') 0.95\\n"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

Decorator = Callable[[Any], Any]


def id_option(*, multiple: bool = False, required: bool = False,
              help: str = "Column identifying the person.") -> Decorator:
    """``--id COL`` (repeatable with ``multiple=True``); the command parameter is ``id``."""
    return click.option("--id", "id", multiple=multiple, required=required, metavar="COL",
                        default=() if multiple else None, help=help)


def occasion_options(*, required: bool = False,
                     time_help: str = "Column holding the occasion (long data).",
                     occasions_help: str = "The two occasions to compare, first then second "
                                           "(values of --time).") -> Decorator:
    """``--time COL`` and ``--occasions FIRST SECOND``; parameters ``time``, ``occasions``."""
    def decorate(func: Any) -> Any:
        func = click.option("--occasions", "occasions", nargs=2, default=None, required=required,
                            metavar="FIRST SECOND", help=occasions_help)(func)
        return click.option("--time", "time", default=None, required=required, metavar="COL",
                            help=time_help)(func)
    return decorate


def occasion_order_options(*, time_help: str = "Column holding the occasion (long data).",
                           occasions_help: str = "The occasions to analyse, in time order "
                                                 "(--occasions pre mid post); needed when --time "
                                                 "holds text labels.") -> Decorator:
    """``--time COL`` and ``--occasions LABEL...`` (in time order); parameters ``time`` and
    ``occasions`` (a tuple, empty when not given).

    For commands that take every occasion (``flows``, ``report``), where
    :func:`occasion_options` takes two. Declare the command with ``cls=OccasionsCommand``
    so that ``--occasions pre mid post`` reads like ``--occasions FIRST SECOND`` elsewhere;
    the repeated form ``--occasions pre --occasions mid`` works too.
    """
    def decorate(func: Any) -> Any:
        func = click.option("--occasions", "occasions", multiple=True, metavar="LABEL",
                            help=occasions_help)(func)
        return click.option("--time", "time", default=None, metavar="COL", help=time_help)(func)
    return decorate


class OccasionsCommand(click.Command):
    """A command whose ``--occasions`` takes one label or more, as ``--occasions pre mid post``.

    Click options take a fixed number of values, so the labels after ``--occasions`` are
    spread into the repeated form (``--occasions pre --occasions mid --occasions post``)
    before parsing: see :func:`spread_occasions`.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, spread_occasions(args))
        except click.UsageError as exc:
            if "unexpected extra argument" not in exc.message or "--occasions" not in args:
                raise
            raise click.UsageError(exc.message + " (a label that is also the name of a file here "
                                   "is read as a file: give it as --occasions LABEL, once per "
                                   "occasion)", ctx) from None


def spread_occasions(args: list[str]) -> list[str]:
    """``--occasions a b c`` as ``--occasions a --occasions b --occasions c``.

    The labels taken are the words after ``--occasions`` up to the next option (a word
    starting with ``-``, also ``-`` for standard input) or ``--``; a word naming an existing
    file or folder ends them too, so ``cscore flows --occasions pre post data.csv`` still
    reads ``data.csv`` as the input.

    Examples
    --------
    >>> spread_occasions(["d.csv", "--occasions", "pre", "mid", "post", "--id", "pid"])
    ['d.csv', '--occasions', 'pre', '--occasions', 'mid', '--occasions', 'post', '--id', 'pid']
    >>> spread_occasions(["--occasions", "pre", "--occasions", "post"])  # the repeated form
    ['--occasions', 'pre', '--occasions', 'post']
    >>> spread_occasions(["--occasions", "pre", "post", "."])  # "." exists: the input, not a label
    ['--occasions', 'pre', '--occasions', 'post', '.']
    """
    from pathlib import Path

    out: list[str] = []
    state = "normal"  # "value": the word after --occasions; "more": further labels
    for pos, word in enumerate(args):
        if word == "--":
            return out + args[pos:]
        if state == "more" and not word.startswith("-") and not Path(word).exists():
            out += ["--occasions", word]
            continue
        state = "value" if word == "--occasions" else ("more" if state == "value" else "normal")
        out.append(word)
    return out


def score_option(help: str = "Analyse only this score (repeatable; default: all).") -> Decorator:
    """``--score ID`` (repeatable); the command parameter is ``scores`` (a tuple)."""
    return click.option("--score", "scores", multiple=True, metavar="SCORE", help=help)


def level_option(help: str = "Confidence level of the intervals.") -> Decorator:
    """``--level`` in (0, 1), default 0.95; the command parameter is ``level``."""
    return click.option("--level", "level", default=0.95, show_default=True, help=help,
                        type=click.FloatRange(0, 1, min_open=True, max_open=True))


def n_boot_option(default: int = 1000, help: str = "Bootstrap resamples (0: none).") -> Decorator:
    """``--n-boot N``; the command parameter is ``n_boot``."""
    return click.option("--n-boot", "n_boot", type=click.IntRange(0, None), default=default,
                        show_default=True, help=help)


def seed_option(help: str = "Random seed, for results that can be reproduced.") -> Decorator:
    """``--seed N``, default 0; the command parameter is ``seed``."""
    return click.option("--seed", "seed", type=click.IntRange(0, None), default=0,
                        show_default=True, help=help)


def n_factors_option(default: int | None = None,
                     help: str = "Number of factors.") -> Decorator:
    """``-n/--n-factors N`` (at least 1); the command parameter is ``n_factors``."""
    return click.option("-n", "--n-factors", "n_factors", type=click.IntRange(1, None),
                        default=default, show_default=default is not None, metavar="N",
                        help=help)
