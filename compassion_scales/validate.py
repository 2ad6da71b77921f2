"""Validating instrument files, golden examples included.

An instrument file is valid when it matches the JSON Schema, passes the semantic checks
of :func:`compassion_scales.instrument.load_instrument` and its golden examples score as
stated. The last step needs the scoring engine, which itself needs the instrument model:
this module sits above both, so that ``instrument`` never imports ``scoring``
(docs/development.md, "Dependency rule").
"""

from __future__ import annotations

import os
from pathlib import Path

from compassion_scales.errors import InstrumentError
from compassion_scales.instrument import Instrument, load_instrument
from compassion_scales.scoring import check_examples

__all__ = ["validate_instrument_file", "check_examples"]


def validate_instrument_file(path: str | os.PathLike[str], check_examples: bool = True) -> Instrument:
    """Validate an instrument file: schema, semantic checks and golden examples.

    Parameters
    ----------
    path : str or path-like
        The YAML/JSON instrument file.
    check_examples : bool, default True
        Also score the file's golden examples and compare them with the stated scores.

    Returns
    -------
    Instrument
        The instrument, when the file is valid.

    Raises
    ------
    InstrumentError
        Listing every problem found.

    Examples
    --------
    >>> from importlib import resources
    >>> with resources.as_file(resources.files("compassion_scales.instruments") / "fcs.yaml") as p:
    ...     validate_instrument_file(p).id
    'fcs'
    """
    inst = load_instrument(Path(path))
    if check_examples:
        problems = _golden_problems(inst)
        if problems:
            raise InstrumentError(
                f"Instrument file {path}: golden examples do not score as stated:\n  - "
                + "\n  - ".join(problems), problems=problems, source=str(path))
    return inst


def _golden_problems(inst: Instrument) -> list[str]:
    """Mismatches between the golden examples and the scores computed now."""
    return check_examples(inst)
