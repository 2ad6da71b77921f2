"""The ``cscore`` command line: a thin layer over :mod:`compassion_scales`.

Each command parses its options, makes one call into the library and formats the
result. Heavy libraries (pingouin, factor_analyzer, matplotlib, statsmodels) are
imported inside the commands that need them, so ``cscore --help`` stays fast.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import click

from compassion_scales import __version__

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _quiet_broken_pipe() -> None:
    """The reader of our output went away (``cscore ... | head``): stop quietly, as Unix tools do.

    Standard output is pointed at /dev/null so that the interpreter's final flush does not
    complain, and the exit status is 141 (128 + SIGPIPE), what a shell reports for a
    program ended by a broken pipe.
    """
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # pragma: no cover - no real stdout (tests)
        pass
    sys.exit(141)


@functools.cache
def _no_collection_at_exit() -> None:
    """Leave the objects alive at exit to the operating system instead of the collector (#16).

    At exit the interpreter's last garbage collections collect and free, one by one, what
    importing pandas, numpy and pyarrow made (modules, classes and functions hold each other
    in reference cycles): ~130 ms of CPU, a fifth of scoring a 10,000-row file, spent on
    memory the process is about to hand back. ``gc.freeze()`` as an exit handler moves those
    objects out of the collector's sight; the other exit handlers still run and the
    standard streams are still flushed (objects kept alive only by a reference cycle are
    not finalised, which Python does not promise at exit either). Registered once per
    process, by the first command run.
    """
    import atexit
    import gc

    atexit.register(gc.freeze)


class LazyGroup(click.Group):
    """A click group whose subcommands live in their own modules and load on demand."""

    def __init__(self, *args, lazy_subcommands: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_subcommands = lazy_subcommands or {}

    def main(self, *args: Any, **kwargs: Any) -> Any:
        _no_collection_at_exit()
        return super().main(*args, **kwargs)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_subcommands))

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_broken_pipe()
            raise  # not reached: _quiet_broken_pipe exits

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_subcommands:
            module_name, attr = self.lazy_subcommands[cmd_name].rsplit(":", 1)
            module = importlib.import_module(module_name)
            return getattr(module, attr)
        return super().get_command(ctx, cmd_name)


#: command name -> "module:attribute". Each module imports only click and light parts
#: of the library at import time.
COMMANDS = {
    "score": "compassion_scales.cli.score:score",
    "instruments": "compassion_scales.cli.instruments:instruments",
    "reliability": "compassion_scales.cli.reliability:reliability",
    "retest": "compassion_scales.cli.reliability:retest",
    "factors": "compassion_scales.cli.factors:factors",
    "flows": "compassion_scales.cli.flows:flows",
    "compare": "compassion_scales.cli.compare:compare",
    "change": "compassion_scales.cli.change:change",
    "trial": "compassion_scales.cli.change:trial",
    "norms": "compassion_scales.cli.norms:norms",
    "track": "compassion_scales.cli.track:track",
    "screen": "compassion_scales.cli.screen:screen",
    "report": "compassion_scales.cli.report:report",
}


@click.group(cls=LazyGroup, lazy_subcommands=COMMANDS, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="cscore")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """cscore: score and analyse compassion, fears-of-compassion, burnout and
    moral-injury questionnaires.

    \b
    Example:
        cscore score examples/responses.csv --id pid --id time -o scores.csv
        cscore instruments list
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


__all__ = ["main", "COMMANDS"]
