"""Start the app: ``streamlit run asgi.py`` (the Streamlit app of ``app.py`` plus the explore chart's redraw
route) with the pages' one-time costs paid before the first visitor.

Streamlit imports a page's modules when the first session runs it, so the first person to open a freshly
started server waited for pandas, Plotly and the engine to load (about a second here). Importing them
here, in the server process before it listens, moves that wait to start-up; :func:`warm_up` does the same
for the first-call work those libraries defer (measured below). Arguments are passed to ``streamlit run``
(e.g. ``--server.port 8502``).
"""

from __future__ import annotations

import ctypes
import gc
import inspect
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: glibc mallopt parameters (malloc.h): M_MMAP_THRESHOLD, M_ARENA_MAX.
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8
#: Blocks from this size up are mapped and unmapped. Lower (256 kB) flattened RSS further but cost ~35% more
#: CPU per rerun under load (fresh pages to fault in for every 100k-step array): measured, not kept.
MMAP_THRESHOLD = 4 * 1024 * 1024


def bound_malloc() -> bool:
    """Keep the server's resident memory flat under load (glibc only; elsewhere a no-op returning False).

    Every session's script runs on a thread of its own and a long schedule's analysis allocates arrays of
    megabytes. glibc's default raises its mmap threshold to the size of each freed block (up to 32 MB), so
    such arrays came from per-thread heap arenas that are not given back to the system: RSS kept climbing in
    the soak. A fixed threshold (4 MB) maps every large array and unmaps it when freed; two arenas bound
    what the many short-lived threads keep."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(M_ARENA_MAX, 2))


bound_malloc()

import pandas as pd  # noqa: E402
import plotly.graph_objects  # noqa: E402, F401
from streamlit.runtime.pages_manager import PagesManager  # noqa: E402
from streamlit.web import cli  # noqa: E402

import schedules.doctor  # noqa: E402
import schedules.export  # noqa: E402, F401
import ui.common.heavy  # noqa: E402
import ui.explore.closeup  # noqa: E402
import ui.explore.closeup_panel  # noqa: E402
import ui.explore.editor  # noqa: E402
import ui.explore.explain  # noqa: E402
import ui.explore.export_panel  # noqa: E402
import ui.explore.import_panel  # noqa: E402
import ui.explore.train_link  # noqa: E402
import ui.finder.sweeps  # noqa: E402
from ui.common.chart import chart_data  # noqa: E402
from ui.common.curves import analyze  # noqa: E402
from ui.common.figures import Trace, figure_dict, schedule_figure  # noqa: E402
from ui.common.link_state import default_spec  # noqa: E402
from ui.common.tables import markdown_table  # noqa: E402
from ui.explore.phases import phase_spans  # noqa: E402


def warm_up() -> None:
    """The first-call work the first page view would otherwise wait for (~150 ms on a 2-core machine; the
    range test's first sweep ~2 s)."""
    # Streamlit's first element of a process checks for a REPL with inspect.stack(), which maps every
    # imported module to its file (~110 ms); the map is kept, so later calls only add new modules.
    inspect.stack()
    # The default schedule's figure as the pages build and send it (ui.common.chart): a plain dict (explore) and a
    # plotly.py figure (training, range test: its to_dict loads Plotly's typed-array encoder and narwhals on
    # first use); pandas' Arrow-backed string column behind the number table loads on first use too.
    spec = default_spec()
    view = analyze(spec)
    steps, values = view.groups["lr"]
    for figure in (figure_dict([Trace("lr", steps, values)], phases=phase_spans(spec)),
                   schedule_figure([Trace("lr", steps, values)], phases=phase_spans(spec))):
        json.dumps(chart_data(figure, "warm-up"))
    markdown_table(pd.DataFrame({"schedule": ["1"]}, index=["peak lr"]))
    # A range-test worker ready, and the digits it trains on loaded here (scikit-learn's import: ~2 s). If it
    # cannot start, the range test says so on its page; the rest of the app is not held up.
    try:
        ui.finder.sweeps.start_worker()
    except ui.finder.sweeps.SweepFailed as exc:
        print(f"warning: {exc}", file=sys.stderr)


if __name__ == "__main__":
    warm_up()
    # What is loaded by now lives as long as the server: take it out of the garbage collector's walks, so a
    # full collection costs what the sessions allocate, not the ~120k objects of the libraries (measured
    # here: gc.collect(2) 113 ms before the freeze, under 0.01 ms after).
    gc.freeze()
    # app.py routes with st.navigation. Until a script run has called it, Streamlit takes the pages/ folder
    # for an old-style multipage app: the first visitor of a fresh server who opened /train or /finder
    # directly got pages/*.py run as pages of their own, with a sidebar listing "app, explore, finder, train".
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(ROOT / "asgi.py"), *sys.argv[1:]]
    sys.exit(cli.main())
