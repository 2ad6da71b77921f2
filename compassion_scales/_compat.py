"""Old argument names that still work for one release (issue #11, the vocabulary).

The 0.2 release renamed arguments so that every verb uses the same word for the same
thing (``docs/development.md``, "Glossary"). Scripts written for 0.1 keep working: an
old keyword is translated to the new one with a :class:`FutureWarning` naming both, and
``inspect.signature`` of a decorated function shows only the new names.

Examples
--------
>>> import warnings
>>> @renamed_arguments(ci="level")
... def f(data, *, level=0.95):
...     return level
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     f(None, ci=0.9)
0.9
>>> str(caught[0].message)
'f(): the argument `ci` is now called `level`; `ci` will stop working in version 1.0.'
>>> import inspect
>>> str(inspect.signature(f))
'(data, *, level=0.95)'
"""

from __future__ import annotations

import functools
import inspect
import operator
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: Hook that rewrites a call made in the old style: ``(args, kwargs) -> (args, kwargs)``.
Adapter = Callable[[tuple[Any, ...], dict[str, Any]], tuple[tuple[Any, ...], dict[str, Any]]]

REMOVED_IN = "1.0"


def _warn(func_name: str, old: str, new: str) -> None:
    warnings.warn(
        f"{func_name}(): the argument `{old}` is now called `{new}`; `{old}` will stop "
        f"working in version {REMOVED_IN}.", FutureWarning, stacklevel=3)


def renamed_arguments(
    *,
    pairs: Mapping[str, tuple[str, str]] | None = None,
    positional: Sequence[str] = (),
    adapt: Adapter | None = None,
    **renames: str,
) -> Callable[[F], F]:
    """Accept a function's 0.1 argument names, with a :class:`FutureWarning`.

    Parameters
    ----------
    pairs : mapping, optional
        ``{"occasions": ("pre_time", "post_time")}``: two old arguments that became one
        2-tuple. Giving either old name fills the tuple (the other element ``None``).
    positional : sequence of str
        Names, in order, for positional arguments beyond those the new signature takes
        positionally (arguments that became keyword-only), e.g. ``("group",)`` so that
        ``compare(data, "fcs", "arm")`` still means ``group="arm"``.
    adapt : callable, optional
        A hook ``(args, kwargs) -> (args, kwargs)`` run first, for old call styles the
        rules above cannot express (it should warn itself).
    **renames : str
        ``old="new"`` keyword renames.

    Returns
    -------
    callable
        A decorator. The decorated function's signature is the new one.

    Examples
    --------
    >>> import warnings
    >>> @renamed_arguments(positional=("group",), pairs={"occasions": ("pre", "post")})
    ... def g(data, instrument=None, *, group=None, occasions=None):
    ...     return group, occasions
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     g(1, "fcs", "arm", pre="t1", post="t2")
    ('arm', ('t1', 't2'))
    """
    pairs = dict(pairs or {})

    def decorate(func: F) -> F:
        sig = inspect.signature(func)
        n_positional = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                           for p in sig.parameters.values())
        name = func.__name__

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if adapt is not None:
                args, kwargs = adapt(args, kwargs)
            if len(args) > n_positional and positional:
                extra = args[n_positional:]
                if len(extra) > len(positional):
                    raise TypeError(f"{name}() takes at most {n_positional + len(positional)} "
                                    f"positional arguments ({len(args)} given)")
                for key, value in zip(positional, extra, strict=False):
                    if key in kwargs:
                        raise TypeError(f"{name}() got multiple values for argument '{key}'")
                    warnings.warn(
                        f"{name}(): give `{key}` by name ({key}=...); passing it by position "
                        f"will stop working in version {REMOVED_IN}.", FutureWarning, stacklevel=2)
                    kwargs[key] = value
                args = args[:n_positional]
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{name}(): give `{new}` only (`{old}` is its old name)")
                    _warn(name, old, new)
                    kwargs[new] = kwargs.pop(old)
            for new, (first, second) in pairs.items():
                if first in kwargs or second in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{name}(): give `{new}` only (`{first}`/`{second}` "
                                        "are its old names)")
                    _warn(name, f"{first}`/`{second}", f"{new}=({first}, {second})")
                    kwargs[new] = (kwargs.pop(first, None), kwargs.pop(second, None))
            return func(*args, **kwargs)

        wrapper.__renamed_arguments__ = {**renames, **{f"{a}/{b}": n for n, (a, b) in pairs.items()},  # type: ignore[attr-defined]
                                         **{f"positional:{p}": p for p in positional}}
        return wrapper  # type: ignore[return-value]

    return decorate


def number_second(name: str, func: str) -> Adapter:
    """``adapt=`` hook: a whole number given second (0.1 style) is the argument ``name`` of ``func``.

    For ``efa(data, 3)`` and ``omega(data, 2)``, whose second argument is now ``instrument``
    (``efa``) or keyword-only (``omega``): the number moves to ``name=`` with a
    :class:`FutureWarning`.

    Examples
    --------
    >>> import warnings
    >>> @renamed_arguments(adapt=number_second("n_factors", "h"))
    ... def h(data, instrument=None, *, n_factors=1):
    ...     return instrument, n_factors
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     h(None, 3)
    (None, 3)
    """
    def adapt(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        if len(args) >= 2 and _whole_number(args[1]):
            value = args[1]
            if name in kwargs:
                raise TypeError(f"{func}() got multiple values for argument '{name}'")
            warnings.warn(f"{func}(): give `{name}` by name ({name}=...); passing it second "
                          f"will stop working in version {REMOVED_IN}.", FutureWarning,
                          stacklevel=3)
            return (args[0], *args[2:]), {**kwargs, name: operator.index(value)}
        return args, kwargs
    return adapt


def _whole_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


#: 0.1 module paths of the analyses, now in ``compassion_scales.analyses`` (issue #11).
MOVED_MODULES: dict[str, str] = {
    f"compassion_scales.{old}": f"compassion_scales.analyses.{new}" for old, new in {
        "internal_consistency": "reliability", "retest_reliability": "retest", "factor": "efa",
        "confirmatory": "cfa", "measurement_invariance": "invariance",
        "ordinal_cfa": "ordinal_cfa", "ordinal_measurement_invariance": "ordinal_invariance",
        "model_reliability": "model_omega", "group_comparison": "compare",
        "flow_analysis": "flows", "clinical_change": "change", "trial_analysis": "trial",
        "tracking": "track", "screening": "screen", "correlations": "correlations",
    }.items()
}
#: ``run.py`` (score_file, provenance_payload) was folded into ``io.py``.
MOVED_MODULES["compassion_scales.run"] = "compassion_scales.io"


class MovedModuleFinder:
    """Import a module's 0.1 path as its new one, with a :class:`FutureWarning`.

    ``import compassion_scales.analyses.efa`` gives the module ``compassion_scales.analyses.efa``
    itself (the same object, not a copy), so old scripts and pickles keep working.

    Examples
    --------
    >>> import importlib, warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     old = importlib.import_module("compassion_scales.analyses.efa")
    >>> old is importlib.import_module("compassion_scales.analyses.efa")
    True
    >>> old.__name__
    'compassion_scales.analyses.efa'
    """

    def __init__(self, moved: dict[str, str]) -> None:
        self.moved = moved
        self._specs: dict[str, Any] = {}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self.moved:
            return None
        import importlib.util

        return importlib.util.spec_from_loader(fullname, self)  # type: ignore[arg-type]

    def create_module(self, spec: Any) -> Any:
        import importlib

        new = self.moved[spec.name]
        warnings.warn(f"the module `{spec.name}` is now `{new}`; the old path will stop working "
                      f"in version {REMOVED_IN}.", FutureWarning, stacklevel=2)
        module = importlib.import_module(new)
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: Any) -> None:
        # the import system has set ``__spec__`` to the alias's spec: give the module its own back
        for old, real_spec in list(self._specs.items()):
            if module.__spec__ is not None and module.__spec__.name == old:
                module.__spec__ = real_spec
                del self._specs[old]


def install_moved_module_finder() -> None:
    """Let the 0.1 module paths of the analyses still be imported (once per process)."""
    import sys

    if not any(isinstance(f, MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, MovedModuleFinder(MOVED_MODULES))
