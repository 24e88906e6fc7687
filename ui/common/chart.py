"""The app's Plotly charts: drawn by a small Streamlit component with plotly.js's basic bundle, and
redrawn in place.

Why not ``st.plotly_chart`` (measured in Chromium here, Streamlit 1.67): its Plotly element is 4.7 MB of
JavaScript that a new visitor's browser loads and runs before the first chart appears (~2 s of the page's
first chart on this machine), and every rerun remounts the chart (``Plotly.newPlot`` on a new div, after
a theming pass over the whole figure). The component (``ui/common/chart.js``) loads ``static/plotly-basic.min.js``
once per page (plotly.js's own "basic" bundle, 1.2 MB: scatter, bar and pie traces, shapes, annotations,
subplots: all the app draws) through Streamlit's static file serving, and draws every later figure with
``Plotly.react`` on the same div: a bare page's first chart 3.6 -> 2.2 s, a slider release on a
one-chart page 290 -> 250 ms. The bundle's version is the plotly.js that the installed plotly.py ships
(tests check it), so the figures mean the same as plotly.py documents them.

Figures are the plain dicts of :mod:`ui.common.figures`; their NumPy arrays travel as Plotly's typed-array specs
(``{"dtype", "bdata"}``: base64 of the raw values), as plotly.py itself sends them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
from plotly.basedatatypes import BaseFigure

ROOT = Path(__file__).resolve().parents[2]
#: plotly.js's basic bundle, served by Streamlit at ``app/static/`` (``server.enableStaticServing``).
BUNDLE = ROOT / "static" / "plotly-basic.min.js"
#: The component's JavaScript (an ES module; Streamlit sends it with the element).
SCRIPT = Path(__file__).with_name("chart.js")
#: Typed arrays plotly.js reads (it has no 64-bit integers: larger integers go as float64, exact to 2**53).
INT32 = np.iinfo(np.int32)

#: The component's name: what a page's element carries (tests and the load test's client find charts by it).
NAME = "studio_chart"

_component = st.components.v2.component(NAME, js=SCRIPT.read_text(), isolate_styles=False)


def plotly_chart(figure: Mapping[str, Any] | BaseFigure, *, key: str, filename: str,
                 redraw: Mapping[str, Any] | None = None) -> None:
    """Draw ``figure`` (``{"data": [...], "layout": {...}}``, or a plotly.py figure) as the chart ``key``; the
    modebar's camera saves it as ``<filename>.png``. With ``redraw`` (``ui.explore.main_chart.redraw_request``),
    the chart asks the server for its next figure itself while one of the page's sliders moves."""
    data = chart_data(figure, filename)
    if redraw is not None:
        data["redraw"] = dict(redraw)
    _component(key=key, data=data)


def chart_data(figure: Mapping[str, Any] | BaseFigure, filename: str) -> dict[str, Any]:
    """What :func:`plotly_chart` sends the page: the figure ready for JSON, the plotly.js config, and a
    revision (a hash of the figure) that lets the page skip redrawing a figure it already shows."""
    payload = json_ready(figure.to_dict() if isinstance(figure, BaseFigure) else figure)
    revision = hashlib.blake2b(json.dumps(payload, separators=(",", ":")).encode(), digest_size=12).hexdigest()
    config = {"displaylogo": False, "toImageButtonOptions": {"filename": filename}}
    return {"figure": payload, "config": config, "revision": revision}


def json_ready(value: Any) -> Any:
    """``value`` with every NumPy array as a Plotly typed-array spec and every NumPy scalar as a Python one,
    ready for ``json.dumps``; dicts, lists and tuples are copied, everything else is returned as is."""
    if isinstance(value, np.ndarray):
        return typed_array(value)
    if isinstance(value, Mapping):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def typed_array(values: np.ndarray) -> dict[str, Any] | list[Any]:
    """A 1-D or 2-D numeric array as ``{"dtype", "bdata"[, "shape"]}`` (little-endian raw values, base64):
    float64, or int32 for integers that fit. Other arrays (strings, objects) as plain lists."""
    if values.dtype.kind in "iub" and (values.size == 0 or (values.min() >= INT32.min and values.max() <= INT32.max)):
        raw, dtype = np.ascontiguousarray(values, dtype="<i4"), "i4"
    elif values.dtype.kind in "iubf":
        raw, dtype = np.ascontiguousarray(values, dtype="<f8"), "f8"
    else:
        return values.tolist()
    spec: dict[str, Any] = {"dtype": dtype, "bdata": base64.b64encode(raw.tobytes()).decode("ascii")}
    if raw.ndim == 2:
        spec["shape"] = f"{raw.shape[0]}, {raw.shape[1]}"
    return spec
