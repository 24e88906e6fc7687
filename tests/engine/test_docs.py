"""The documentation's examples are valid specs, one per family."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from schedules import FAMILIES, curve, load_spec

DOC = Path(__file__).resolve().parents[2] / "docs" / "spec.md"


def test_every_json_example_in_the_spec_reference_loads() -> None:
    blocks = re.findall(r"```json\n(.*?)\n```", DOC.read_text(encoding="utf-8"), flags=re.S)
    kinds = set()
    for block in blocks:
        spec = load_spec(json.loads(block))
        kinds.add(spec.schedule.type)
        assert np.all(np.isfinite(curve(spec)))
    assert kinds == set(FAMILIES)
