"""Old home of :func:`~compassion_scales.io.score_file` and
:func:`~compassion_scales.io.provenance_payload`, now in :mod:`compassion_scales.io` (#11).

Kept so that ``from compassion_scales.run import score_file`` still works.
"""

from __future__ import annotations

from compassion_scales.io import provenance_payload, score_file

__all__ = ["score_file", "provenance_payload"]
