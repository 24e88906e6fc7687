"""Every session-state key of the LR range test page: what it holds and who writes it.

All start with ``finder_``. The controls keep their values while the visitor is on another page
(``persist_state="session"``), except skip_start and skip_end, whose bounds follow the curve's length.
"""

from __future__ import annotations

#: The curve shown: ``{"lrs", "losses", "label", "presmoothed", "note"}``, written by a finished built-in
#: sweep or a parsed upload.
K_CURVE = "finder_curve"
#: The chosen schedule's compact spec JSON (what "Open this schedule in explore" carries).
K_SPEC_JSON = "finder_spec_json"
#: Where the curve comes from: the built-in sweep or an upload.
K_SOURCE = "finder_source"
#: The built-in sweep's controls and its run button.
K_START = "finder_start"
K_END = "finder_end"
K_ITERS = "finder_iters"
K_BATCH = "finder_batch"
K_RUN = "finder_run"
#: The uploaded finder output and the "run it in your own loop" snippet's download.
K_UPLOAD = "finder_upload"
K_SNIPPET = "finder_snippet"
#: How the curve is read: smoothing, points skipped at each end, the CLR divisor.
K_BETA = "finder_beta"
K_SKIP_START = "finder_skip_start"
K_SKIP_END = "finder_skip_end"
K_DIVISOR = "finder_divisor"
#: The chart and the suggestions table.
K_CHART = "finder_chart"
K_TABLE = "finder_table"
#: The chosen rule and the family of the schedule built from its lr.
K_RULE = "finder_rule"
K_FAMILY = "finder_family"
