"""Type aliases shared by the public signatures (docs/development.md, "Glossary").

``InstrumentLike`` is what every ``instrument`` argument accepts: a built-in instrument id,
the path of an instrument file, or a loaded :class:`~compassion_scales.instrument.Instrument`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from compassion_scales.instrument import Instrument

__all__ = ["InstrumentLike", "as_instrument"]

#: An instrument id (``"fcs"``), the path of an instrument file, or an ``Instrument``.
InstrumentLike = Union[str, "os.PathLike[str]", "Instrument"]  # noqa: UP007


def as_instrument(instrument: InstrumentLike) -> Instrument:
    """The :class:`~compassion_scales.instrument.Instrument` an ``InstrumentLike`` names.

    Examples
    --------
    >>> as_instrument("fcs").id
    'fcs'
    """
    from pathlib import Path

    from compassion_scales.instrument import Instrument, load_instrument

    if isinstance(instrument, (str, Instrument)):
        return load_instrument(instrument)
    return load_instrument(Path(instrument))
