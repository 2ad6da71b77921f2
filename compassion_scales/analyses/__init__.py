"""The analyses: one module per public verb, each a short sequence of named steps.

Modules here may import ``stats/``, the instrument model, scoring and the input layer;
never ``reporting/`` or ``cli/``. The functions are exported lazily by
``compassion_scales/__init__.py``; this package re-exports nothing, so a module never
shadows a function of the same name.
"""
