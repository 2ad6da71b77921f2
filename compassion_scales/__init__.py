"""cscore: scoring and psychometrics for compassion and fears-of-compassion instruments.

The public API is re-exported here and loaded lazily, so ``import compassion_scales``
(and ``cscore --help``) stay fast: statistics modules are imported on first use.

Examples
--------
>>> import compassion_scales as cs
>>> "fcs" in set(cs.list_instruments()["id"])
True
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Run from a source checkout (``python`` started in the repository root after a plain
# ``pip install .``), this folder shadows the installed package but holds neither the
# instrument files nor the CLI: they live beside it, in ``instruments/`` and ``cli/``. The
# package then looks for its subpackages there too, as an installed package finds its own.
_src = os.path.dirname(os.path.abspath(__file__))
_root = os.path.dirname(_src)
if not os.path.isdir(os.path.join(_src, "instruments")) and all(
        os.path.isfile(os.path.join(_root, d, "__init__.py")) for d in ("instruments", "cli")):
    __path__.append(_root)

# The analyses moved to ``compassion_scales.analyses`` in 0.2 (issue #11): their 0.1 module
# paths still import, with a FutureWarning, until 1.0.
from compassion_scales._compat import install_moved_module_finder  # noqa: E402

install_moved_module_finder()

#: public name -> module that defines it. A module never has the same name as a
#: function exported here (importing the module would otherwise shadow the function).
_EXPORTS: dict[str, str] = {
    # instruments
    "Instrument": "compassion_scales.instrument",
    "load_instrument": "compassion_scales.instrument",
    "list_instruments": "compassion_scales.instrument",
    "validate_instrument_file": "compassion_scales.validate",
    "instrument_schema": "compassion_scales.instrument",
    # scoring
    "score": "compassion_scales.scoring",
    "ScoreResult": "compassion_scales.scoring",
    "prepare_responses": "compassion_scales.scoring",
    "detect_instruments": "compassion_scales.scoring",
    "read_responses": "compassion_scales.io",
    # errors
    "CompassionScalesError": "compassion_scales.errors",
    "InstrumentError": "compassion_scales.errors",
    "InputFileError": "compassion_scales.errors",
    "ResponseValidationError": "compassion_scales.errors",
    "ScoringError": "compassion_scales.errors",
    "AnalysisError": "compassion_scales.errors",
    "PsychometricWarning": "compassion_scales.errors",
    "MissingDataWarning": "compassion_scales.errors",
    "HeywoodCaseWarning": "compassion_scales.errors",
    "KeyingWarning": "compassion_scales.errors",
    "UnverifiedKeyWarning": "compassion_scales.errors",
    "SkippedScoreWarning": "compassion_scales.errors",
    "Reason": "compassion_scales.errors",
    # reliability (issue 4)
    "reliability": "compassion_scales.analyses.reliability",
    "cronbach_alpha": "compassion_scales.analyses.reliability",
    "omega": "compassion_scales.analyses.reliability",
    "item_analysis": "compassion_scales.analyses.reliability",
    "split_half": "compassion_scales.analyses.reliability",
    "ReliabilityResult": "compassion_scales.analyses.reliability",
    "RetestResult": "compassion_scales.analyses.retest",
    "polychoric": "compassion_scales.analyses.correlations",
    "icc": "compassion_scales.analyses.retest",
    "retest": "compassion_scales.analyses.retest",
    # factor analysis (issue 5)
    "efa": "compassion_scales.analyses.efa",
    "parallel_analysis": "compassion_scales.analyses.efa",
    "kmo": "compassion_scales.analyses.efa",
    "bartlett": "compassion_scales.analyses.efa",
    "EFAResult": "compassion_scales.analyses.efa",
    "ParallelAnalysisResult": "compassion_scales.analyses.efa",
    "KMOResult": "compassion_scales.analyses.efa",
    "BartlettResult": "compassion_scales.analyses.efa",
    "correlation_matrix": "compassion_scales.analyses.efa",
    "scree_plot": "compassion_scales.analyses.efa",
    "cfa": "compassion_scales.analyses.cfa",
    "invariance": "compassion_scales.analyses.invariance",
    "CFAResult": "compassion_scales.analyses.cfa",
    "OrdinalCFAResult": "compassion_scales.analyses.ordinal_cfa",
    "parse_model": "compassion_scales.analyses.cfa",
    "InvarianceResult": "compassion_scales.analyses.invariance",
    "model_omega": "compassion_scales.analyses.model_omega",
    # flows and comparisons (issue 6)
    "flows": "compassion_scales.analyses.flows",
    "compare": "compassion_scales.analyses.compare",
    # clinical change and trials (issue 7)
    "reliable_change": "compassion_scales.analyses.change",
    "clinical_significance": "compassion_scales.analyses.change",
    "change": "compassion_scales.analyses.change",
    "trial": "compassion_scales.analyses.trial",
    "FlowsResult": "compassion_scales.analyses.flows",
    "ComparisonResult": "compassion_scales.analyses.compare",
    "ChangeResult": "compassion_scales.analyses.change",
    "jacobson_truax_cutoffs": "compassion_scales.analyses.change",
    "TrialResult": "compassion_scales.analyses.trial",
    # norms and session tracking (issue 15)
    "apply_norms": "compassion_scales.norms",
    "norm_samples": "compassion_scales.norms",
    "load_norms_file": "compassion_scales.norms",
    "NormedScores": "compassion_scales.norms",
    "track": "compassion_scales.analyses.track",
    "TrackResult": "compassion_scales.analyses.track",
    "MultiMeasureRule": "compassion_scales.analyses.track",
    # careless-responding screening (issue 14)
    "screen": "compassion_scales.analyses.screen",
    "ScreenResult": "compassion_scales.analyses.screen",
    "exclude_flagged": "compassion_scales.analyses.screen",
    "coding_direction": "compassion_scales.analyses.screen",
    "CodingDirectionWarning": "compassion_scales.errors",
    "plot_screening": "compassion_scales.reporting.screening_plot",
    # reports and labelled output (issue 12)
    "report": "compassion_scales.reporting.study",
    "StudyReport": "compassion_scales.reporting.study",
    "add_bands": "compassion_scales.score_bands",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'compassion_scales' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from compassion_scales.errors import (  # noqa: F401
        AnalysisError,
        CompassionScalesError,
        InputFileError,
        InstrumentError,
        PsychometricWarning,
        Reason,
        ResponseValidationError,
        ScoringError,
    )
    from compassion_scales.instrument import (  # noqa: F401
        Instrument,
        instrument_schema,
        list_instruments,
        load_instrument,
    )
    from compassion_scales.io import read_responses  # noqa: F401
    from compassion_scales.scoring import (  # noqa: F401
        ScoreResult,
        detect_instruments,
        prepare_responses,
        score,
    )
    from compassion_scales.validate import validate_instrument_file  # noqa: F401
