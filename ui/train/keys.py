"""Every session-state key of the Train page: what it holds and who writes it.

All start with ``tr_``; the page also reads the explore page's state (:data:`EXPLORE_STATE`) to train what
the visitor was just looking at.
"""

from __future__ import annotations

#: The schedule set being trained (``ui.common.link_state.State``): from the link, the explore page or the demo
#: (``ui.train.page_state.read_state``; the demo button's callback ``use_demo``).
K_STATE = "tr_state"
#: The query parameters last written to the URL (``ui.train.page_state.write_url``).
K_URL = "tr_url"
#: The notices the last decoded link left, shown under the title.
K_NOTICES = "tr_notices"
#: The explore page's state (``ui.explore.keys.K_STATE``), read when the page opens without a link.
EXPLORE_STATE = "ex_state"
#: Training controls, seeded from the link by ``ui.train.page_state.apply_settings``.
K_OPTIMIZER = "tr_optimizer"
K_TASK = "tr_task"
K_SEEDS = "tr_seeds"
K_STEPS = "tr_steps"
#: "Train the no-warmup twin" toggle and the "Use the warmup demo schedule" button.
K_TWIN = "tr_twin"
K_DEMO = "tr_demo"
#: Result view options (kept for the session): loss smoothing, raw loss, target loss, first 100 steps only.
K_SMOOTH = "tr_smooth"
K_RAW = "tr_raw"
K_TARGET = "tr_target"
K_EARLY = "tr_early"
#: The page's charts.
K_LOSS_CHART = "tr_loss_chart"
K_LR_CHART = "tr_lr_chart"
K_EVAL_CHART = "tr_eval_chart"
K_MECHANISM_CHART = "tr_mechanism_chart"


def hyper_key(label: str, key: str) -> str:
    """Session-state key of one optimizer hyperparameter's box (each optimizer keeps its own values)."""
    return f"tr_h_{label}_{key}"
