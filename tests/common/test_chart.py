"""The chart component's Python side (``ui.common.chart``): figures travel exactly, and the plotly.js it loads is
the one plotly.py documents, served by Streamlit."""

from __future__ import annotations

import base64
import json
import re
import tomllib
from pathlib import Path

import numpy as np
import plotly
import pytest

from ui.common.chart import BUNDLE, json_ready, typed_array
from ui.common.figures import Trace, figure_dict

ROOT = Path(__file__).resolve().parents[2]


def decode(spec: dict) -> np.ndarray:
    values = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]).newbyteorder("<"))
    return values.reshape([int(n) for n in spec["shape"].split(",")]) if "shape" in spec else values


@pytest.mark.parametrize("values", [
    np.array([0.0, 3e-4, 1e-300, 5e-324, np.pi]),
    np.arange(10_000_000 - 4000, 10_000_000, dtype=np.int64),
    np.array([-(2**31), 2**31 - 1], dtype=np.int64),
    np.array([True, False]),
    np.arange(6, dtype=np.float32).reshape(2, 3),
])
def test_numeric_arrays_travel_exactly(values: np.ndarray):
    spec = typed_array(values)
    assert decode(spec).tolist() == values.tolist()


def test_integers_beyond_int32_travel_as_float64_exactly():
    values = np.array([0, 2**31, 2**53], dtype=np.int64)  # plotly.js has no 64-bit integer arrays
    spec = typed_array(values)
    assert spec["dtype"] == "f8" and decode(spec).astype(np.int64).tolist() == values.tolist()


def test_a_figure_becomes_plain_json():
    steps = np.arange(0, 1_000_000, 250, dtype=np.int64)
    figure = figure_dict([Trace("lr", steps, np.linspace(3e-4, 0, steps.size))])
    figure["layout"]["extra"] = (np.float64(0.5), np.int64(7), np.array(["a", "b"]))
    ready = json_ready(figure)
    again = json.loads(json.dumps(ready))  # nothing NumPy is left
    assert again["layout"]["extra"] == [0.5, 7, ["a", "b"]]
    trace = again["data"][0]
    assert decode(trace["x"]).tolist() == steps.tolist()
    assert decode(trace["y"]).tolist() == np.linspace(3e-4, 0, steps.size).tolist()
    assert isinstance(figure["data"][0]["x"], np.ndarray)  # the caller's figure is left as it was


def test_the_bundle_is_the_plotly_js_plotly_py_ships():
    """The figures are written against plotly.py's documentation: the browser must run that plotly.js."""
    version = re.compile(r"plotly\.js (?:\(basic - minified\) )?v(\d+\.\d+\.\d+)")
    shipped = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    ours = version.search(BUNDLE.read_text()[:300])
    assert ours is not None and ours.group(1) == version.search(shipped.read_text()[:300]).group(1)


def test_streamlit_serves_the_bundle():
    """``app/static/`` is where ui/common/chart.js loads it from."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True
    assert BUNDLE.parent == ROOT / "static" and BUNDLE.stat().st_size > 1_000_000
    assert "app/static/" + BUNDLE.name in (ROOT / "ui" / "common" / "chart.js").read_text()
