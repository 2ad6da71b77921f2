"""Old option names that still work for one release (issue #11, the vocabulary).

``renamed_option("--ci", "--level", "level", type=float)`` adds a hidden ``--ci`` that
fills ``level`` and prints one line on stderr saying the option's new name. The new
option must be declared as usual; the old one is not shown in ``--help``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

REMOVED_IN = "1.0"


def renamed_option(old: str, new: str, dest: str, **option_kwargs: Any) -> Callable[[Any], Any]:
    """Decorator: a hidden option ``old`` that stands for ``new`` (parameter ``dest``).

    Parameters
    ----------
    old, new : str
        The old and new flags, e.g. ``"--ci"`` and ``"--level"``.
    dest : str
        The command function's parameter that ``new`` fills.
    **option_kwargs
        Passed to :func:`click.option` for the hidden option (``type``, ``nargs``,
        ``multiple``, ``is_flag``...). Its default is always ``None``.

    Examples
    --------
    >>> from click.testing import CliRunner
    >>> @click.command()
    ... @renamed_option("--ci", "--level", "level", type=float)
    ... @click.option("--level", type=float, default=0.95)
    ... def cmd(level):
    ...     click.echo(level)
    >>> result = CliRunner().invoke(cmd, ["--ci", "0.9"])
    >>> result.output.splitlines()[-1]
    '0.9'
    """
    hidden_name = "old_" + old.lstrip("-").replace("-", "_")

    def decorate(func: Any) -> Any:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            value = kwargs.pop(hidden_name, None)
            if value is not None and value != () and value is not False:
                click.echo(f"Note: {old} is now {new}; {old} will stop working in version "
                           f"{REMOVED_IN}.", err=True)
                kwargs[dest] = value
            return func(*args, **kwargs)

        option_kwargs.setdefault("default", None)
        return click.option(old, hidden_name, hidden=True, **option_kwargs)(wrapper)

    return decorate
