"""Every golden file in tests/reference holds values (issue #11).

The tests loop over the cases these files hold; a file emptied or truncated by a failed R run
must fail here, not make those loops pass vacuously. (Loops themselves are guarded with
``testkit.nonempty``, and pyproject sets ``empty_parameter_set_mark = "fail_at_collect"``.)
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from testkit import REFERENCE, nonempty

JSON = nonempty(sorted(REFERENCE.glob("*.json")), "JSON goldens in tests/reference")
CSV = nonempty(sorted(REFERENCE.glob("*.csv")) + sorted((REFERENCE / "data").glob("*.csv")),
               "CSV goldens and data in tests/reference")


@pytest.mark.parametrize("path", JSON, ids=lambda p: p.name)
def test_json_golden_has_values(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data, f"{path.name} is empty"
    if isinstance(data, dict):
        empty = [k for k, v in data.items() if isinstance(v, (list, dict)) and len(v) == 0]
        assert not empty, f"{path.name}: empty entries {empty}"


@pytest.mark.parametrize("path", CSV, ids=lambda p: str(p.relative_to(REFERENCE)))
def test_csv_golden_has_rows(path):
    table = pd.read_csv(path, comment="#" if path.parent == REFERENCE else None)
    assert len(table) > 0 and len(table.columns) > 0, f"{path.name} has no rows"

