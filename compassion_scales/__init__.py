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
    "reliability": "compassion_scales.internal_consistency",
    "cronbach_alpha": "compassion_scales.internal_consistency",
    "omega": "compassion_scales.internal_consistency",
    "item_analysis": "compassion_scales.internal_consistency",
    "split_half": "compassion_scales.internal_consistency",
    "ReliabilityResult": "compassion_scales.internal_consistency",
    "RetestResult": "compassion_scales.retest_reliability",
    "polychoric": "compassion_scales.correlations",
    "icc": "compassion_scales.retest_reliability",
    "retest": "compassion_scales.retest_reliability",
    # factor analysis (issue 5)
    "efa": "compassion_scales.factor",
    "parallel_analysis": "compassion_scales.factor",
    "kmo": "compassion_scales.factor",
    "bartlett": "compassion_scales.factor",
    "EFAResult": "compassion_scales.factor",
    "ParallelAnalysisResult": "compassion_scales.factor",
    "KMOResult": "compassion_scales.factor",
    "BartlettResult": "compassion_scales.factor",
    "correlation_matrix": "compassion_scales.factor",
    "scree_plot": "compassion_scales.factor",
    "cfa": "compassion_scales.confirmatory",
    "invariance": "compassion_scales.measurement_invariance",
    "CFAResult": "compassion_scales.confirmatory",
    "OrdinalCFAResult": "compassion_scales.ordinal_cfa",
    "parse_model": "compassion_scales.confirmatory",
    "InvarianceResult": "compassion_scales.measurement_invariance",
    "model_omega": "compassion_scales.model_reliability",
    # flows and comparisons (issue 6)
    "flows": "compassion_scales.flow_analysis",
    "compare": "compassion_scales.group_comparison",
    # clinical change and trials (issue 7)
    "reliable_change": "compassion_scales.clinical_change",
    "clinical_significance": "compassion_scales.clinical_change",
    "change": "compassion_scales.clinical_change",
    "trial": "compassion_scales.trial_analysis",
    "FlowsResult": "compassion_scales.flow_analysis",
    "ComparisonResult": "compassion_scales.group_comparison",
    "ChangeResult": "compassion_scales.clinical_change",
    "jacobson_truax_cutoffs": "compassion_scales.clinical_change",
    "TrialResult": "compassion_scales.trial_analysis",
    # norms and session tracking (issue 15)
    "apply_norms": "compassion_scales.norms",
    "norm_samples": "compassion_scales.norms",
    "load_norms_file": "compassion_scales.norms",
    "NormedScores": "compassion_scales.norms",
    "track": "compassion_scales.tracking",
    "TrackResult": "compassion_scales.tracking",
    "MultiMeasureRule": "compassion_scales.tracking",
    # careless-responding screening (issue 14)
    "screen": "compassion_scales.screening",
    "ScreenResult": "compassion_scales.screening",
    "exclude_flagged": "compassion_scales.screening",
    "coding_direction": "compassion_scales.screening",
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
