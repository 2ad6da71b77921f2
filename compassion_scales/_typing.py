"""Type aliases shared by the public signatures (docs/development.md, "Glossary").

``InstrumentLike`` (defined once, in :mod:`compassion_scales.instrument`) is what every ``instrument`` argument accepts: a built-in instrument id,
the path of an instrument file, or a loaded :class:`~compassion_scales.instrument.Instrument`.
"""

from __future__ import annotations

from compassion_scales.instrument import Instrument, InstrumentLike

__all__ = ["InstrumentLike", "as_instrument"]


def as_instrument(instrument: InstrumentLike) -> Instrument:
    """The :class:`~compassion_scales.instrument.Instrument` an ``InstrumentLike`` names.

    Examples
    --------
    >>> as_instrument("fcs").id
    'fcs'
    """
    from pathlib import Path

    from compassion_scales.instrument import load_instrument

    if isinstance(instrument, (str, Instrument)):
        return load_instrument(instrument)
    return load_instrument(Path(instrument))
