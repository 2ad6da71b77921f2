"""The SEM engine shared by ``cfa``, ``invariance`` and ``model_omega``: arrays in, arrays out.

Modules
-------
spec
    :class:`ModelSpec` and :func:`parse_model` (lavaan-style model text or a dict).
engine
    :class:`SEMEngine`: parameter table, implied moments, ML/FIML discrepancy, analytic
    gradient, expected and observed information, Fisher scoring.
moments
    Sample moments per group; missing-data patterns and the EM (h1) model for FIML.
patterns
    Missing-data patterns as padded stacks and low-rank updates (FIML without a Python loop
    over patterns).
fit
    :func:`fit_sem` (fit, standard errors, fit measures, estimates), score tests and
    modification indices, estimator names, checks of the solution.
mlr
    Robust ML (Huber-White SEs, Yuan-Bentler scaled chi-square, robust fit indices).
"""

from compassion_scales.stats.sem.engine import LOADING, LV_COV, RESIDUAL, Parameter, SEMEngine
from compassion_scales.stats.sem.fit import (
    ESTIMATORS,
    MI_COLUMNS,
    check_estimator,
    check_solution,
    estimates_table,
    fit_indices,
    fit_sem,
    modification_indices,
    parameter_labels,
    score_tests,
)
from compassion_scales.stats.sem.moments import em_saturated, missing_patterns, sample_moments
from compassion_scales.stats.sem.spec import ModelSpec, parse_model

__all__ = ["LOADING", "LV_COV", "RESIDUAL", "Parameter", "SEMEngine", "ESTIMATORS", "MI_COLUMNS",
           "check_estimator", "check_solution", "estimates_table", "fit_indices", "fit_sem",
           "modification_indices", "parameter_labels", "score_tests", "em_saturated", "missing_patterns",
           "sample_moments", "ModelSpec", "parse_model"]
