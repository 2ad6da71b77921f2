"""A confirmatory measurement model: which items load on which factors, plus residual covariances.

:func:`parse_model` reads the model from a dict or from lavaan-style text; :class:`ModelSpec`
is what the SEM engine (:mod:`compassion_scales.stats.sem.engine`) fits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from compassion_scales.errors import AnalysisError

__all__ = ["ModelSpec", "parse_model"]

_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"


@dataclass(frozen=True)
class ModelSpec:
    """A confirmatory measurement model.

    Attributes
    ----------
    factors : dict of str -> tuple of str
        Factor name -> the items loading on it (first item = marker).
    residual_covariances : tuple of (str, str)
        Pairs of items whose residuals covary.

    Examples
    --------
    >>> ModelSpec({"F": ("a", "b", "c")}, (("a", "b"),)).to_syntax()
    'F =~ a + b + c\\na ~~ b'
    """

    factors: Mapping[str, tuple[str, ...]]
    residual_covariances: tuple[tuple[str, str], ...] = ()

    @property
    def items(self) -> list[str]:
        """The items in order of first appearance."""
        seen: dict[str, None] = {}
        for its in self.factors.values():
            for it in its:
                seen.setdefault(it, None)
        return list(seen)

    def to_syntax(self) -> str:
        """The model as lavaan-style text."""
        lines = [f"{f} =~ " + " + ".join(its) for f, its in self.factors.items()]
        lines += [f"{a} ~~ {b}" for a, b in self.residual_covariances]
        return "\n".join(lines)


def _statements(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        out += [s.strip() for s in line.split(";")]
    return [s for s in out if s]


def _parse_text(model: str) -> tuple[dict[str, tuple[str, ...]], list[tuple[str, str]]]:
    factors: dict[str, tuple[str, ...]] = {}
    rescov: list[tuple[str, str]] = []
    for st in _statements(model):
        if "=~" in st:
            lhs, rhs = (s.strip() for s in st.split("=~", 1))
            its = [t.strip() for t in rhs.split("+")]
            if not re.fullmatch(_NAME, lhs) or not its or not all(re.fullmatch(_NAME, t) for t in its):
                raise AnalysisError(
                    f"Cannot read the model line '{st}'. Write one factor per line as "
                    "'factor =~ item1 + item2 + item3' (plain names; no fixed values or labels).")
            factors[lhs] = factors.get(lhs, ()) + tuple(its)
        elif "~~" in st:
            lhs, rhs = (s.strip() for s in st.split("~~", 1))
            if not re.fullmatch(_NAME, lhs) or not re.fullmatch(_NAME, rhs) or lhs == rhs:
                raise AnalysisError(
                    f"Cannot read the model line '{st}'. A residual covariance is written "
                    "'item1 ~~ item2' (two different items).")
            rescov.append((lhs, rhs))
        else:
            raise AnalysisError(
                f"Cannot read the model line '{st}'. Only 'factor =~ item1 + item2 + ...' "
                "and 'item1 ~~ item2' (residual covariance) lines are understood.")
    return factors, rescov


def _check(factors: dict[str, tuple[str, ...]], rescov: list[tuple[str, str]]) -> None:
    if not factors:
        raise AnalysisError("The model names no factor. Give at least one line 'factor =~ item1 + item2 + item3'.")
    items = {i for v in factors.values() for i in v}
    for f, its in factors.items():
        if len(set(its)) != len(its):
            raise AnalysisError(f"Factor '{f}' lists an item twice ({', '.join(its)}).")
        if f in items:
            raise AnalysisError(f"'{f}' is used both as a factor and as an item; higher-order models are not supported.")
    for a, b in rescov:
        for x in (a, b):
            if x not in items:
                raise AnalysisError(f"The residual covariance '{a} ~~ {b}' names '{x}', which loads on no factor.")


def parse_model(model: Any) -> ModelSpec:
    """Turn a model given as a dict or lavaan-style text into a :class:`ModelSpec`.

    Parameters
    ----------
    model : dict, str or ModelSpec
        ``{"visual": ["x1", "x2", "x3"], ...}`` or text such as
        ``"visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6"`` (one factor per line
        or ';'-separated; ``x1 ~~ x2`` adds a residual covariance; ``#`` starts a
        comment).

    Examples
    --------
    >>> spec = parse_model("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6")
    >>> dict(spec.factors)
    {'visual': ('x1', 'x2', 'x3'), 'textual': ('x4', 'x5', 'x6')}
    """
    if isinstance(model, ModelSpec):
        return model
    rescov: list[tuple[str, str]] = []
    if isinstance(model, Mapping):
        factors = {str(f): tuple(str(i) for i in ([its] if isinstance(its, str) else its))
                   for f, its in model.items()}
    elif isinstance(model, str):
        factors, rescov = _parse_text(model)
    else:
        raise AnalysisError(
            "The model must be a dict such as {'visual': ['x1', 'x2', 'x3']} or text such as "
            "'visual =~ x1 + x2 + x3'.")
    _check(factors, rescov)
    return ModelSpec(factors=factors, residual_covariances=tuple(rescov))
