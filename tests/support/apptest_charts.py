"""The figures an AppTest run drew with the app's chart component (``ui.common.chart.plotly_chart``).

AppTest has no element type for a custom component: it lists one as a ``bidi_component`` whose proto
carries the data the page sent (``{"figure", "config", "revision"}`` as JSON) and an id ending in the key.
"""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest

from ui.common.chart import NAME


def payloads(at: AppTest) -> dict[str, dict[str, Any]]:
    """Every chart the run drew with the component, by user key: the data the page sent it (``{"figure",
    "config", "revision"}``, and ``"redraw"`` where the chart redraws itself, ``ui.explore.main_chart``)."""
    found = {}
    for element in at.get("bidi_component"):
        if element.proto.component_name == NAME:
            key = element.proto.id.split("-", 2)[2]  # "$$ID-<hash>-<user key>"
            found[key] = json.loads(element.proto.json)
    return found


def figures(at: AppTest) -> dict[str, dict[str, Any]]:
    """Every chart the run drew with the component, by user key: its figure (``{"data", "layout"}``)."""
    return {key: payload["figure"] for key, payload in payloads(at).items()}


def figure(at: AppTest, key: str) -> dict[str, Any]:
    """The figure of the chart ``key`` (exactly one must have been drawn)."""
    drawn = figures(at)
    assert key in drawn, f"no chart {key!r} (drawn: {sorted(drawn)})"
    return drawn[key]
