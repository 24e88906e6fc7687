"""The plain-Python export: lr_at(step) equals schedules.curve at every update, for every preset and family."""

from __future__ import annotations

import numpy as np
import pytest

import schedules
from schedules.export import export
from tests.engine.test_export_torch import RTOL, SPECS, exec_snippet, max_rel, ruff_clean


@pytest.mark.parametrize("key", sorted(SPECS))
def test_python_matches_curve(key: str) -> None:
    spec = SPECS[key]
    lr_at = exec_snippet(export(spec, "python"))["lr_at"]
    got = np.array([lr_at(t) for t in range(spec.total_steps)])
    assert max_rel(got, schedules.curve(spec)) <= RTOL


def test_python_snippets_pass_ruff() -> None:
    ruff_clean({k: export(s, "python") for k, s in SPECS.items()})
