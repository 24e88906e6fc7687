"""Start the app: ``streamlit run app.py`` with the pages' heavy imports done before the first visitor.

Streamlit imports a page's modules when the first session runs it, so the first person to open a freshly
started server waited for pandas, Plotly and the engine to load (about a second here). Importing them
here, in the server process before it listens, moves that wait to start-up. Arguments are passed to
``streamlit run`` (e.g. ``--server.port 8502``).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas  # noqa: E402, F401
import plotly.graph_objects  # noqa: E402, F401
import streamlit.elements.plotly_chart  # noqa: E402, F401
from streamlit.web import cli  # noqa: E402

import schedules.export  # noqa: E402, F401
import ui.curves  # noqa: E402
import ui.export_panel  # noqa: E402
import ui.figures  # noqa: E402
import ui.import_panel  # noqa: E402, F401

if __name__ == "__main__":
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *sys.argv[1:]]
    sys.exit(cli.main())
