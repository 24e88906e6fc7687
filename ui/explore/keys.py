"""Every session-state key of the explore page: what it holds and who writes it.

Streamlit keeps a widget's value in ``st.session_state`` under its key, so these names are also how a page
seeds its widgets from a share link and how a test drives them (``AppTest`` sets widgets by key). All start
with ``ex_`` so the page's state never collides with another page's.
"""

from __future__ import annotations

# --- the schedule editor (ui.explore.editor draws them; ui.explore.editor_values maps them to a spec) -----
#: Preset picker; ``pages/explore.py`` loads the chosen preset and clears the picker.
K_PRESET = "ex_preset"
#: The schedule's name (text box in "Name and param groups"); ``slider_moves.mark_edited`` adds "(edited)".
K_NAME = "ex_name"
#: The name the schedule was loaded with (preset, link, import), until its first edit (``slider_moves``).
K_LOADED_NAME = "ex_loaded_name"
#: Schedule family picker (pills).
K_FAMILY = "ex_family"
#: Total steps, steps per epoch, scheduler interval ("step"/"epoch").
K_TOTAL = "ex_total_steps"
K_SPE = "ex_steps_per_epoch"
K_INTERVAL = "ex_interval"
#: Peak lr, as the exact text typed or set by its slider.
K_LR = "ex_lr"
#: Warmup steps, shape, start lr and the overlay checkbox (timm's warmup_prefix=False).
K_WARMUP_STEPS = "ex_warmup_steps"
K_WARMUP_SHAPE = "ex_warmup_shape"
K_WARMUP_START = "ex_warmup_start_lr"
K_WARMUP_OVERLAY = "ex_warmup_overlay"
#: Param groups as "name=scale, ..." text.
K_GROUPS = "ex_groups"
#: Momentum cycling (one-cycle families): on/off, base and max.
K_MOMENTUM = "ex_momentum"
K_MOM_BASE = "ex_momentum_base"
K_MOM_MAX = "ex_momentum_max"
#: The main schedule's length (empty: the rest of the run after the warmup).
K_MAIN_STEPS = "ex_main_steps"
#: Prefix of the training-budget calculator's inputs (``K_BUDGET + "dataset_size"``, ...) and its expander.
K_BUDGET = "ex_budget_"
#: A number's slider key is its exact box's key plus this suffix (the slider's callback writes the box).
SLIDER = "_slider"
#: The "Type exact values" toggle, and its last value kept outside the widget (Streamlit drops a widget's
#: value while another page is shown).
K_EXACT = "ex_exact_values"
K_EXACT_SAVED = "ex_exact_values_saved"
#: The keys whose exact-value box the editor drew in its last run (a slider move must redraw those boxes).
K_BOXES = "ex_boxes_drawn"
#: The page's fragment that draws what the editor's values show (charts, numbers, export, link), and the
#: warmup-ratio caption's: a slider move that changes nothing else in the editor reruns only these two.
VIEW_FRAGMENT = "ex_view"
WARMUP_RATIO_FRAGMENT = "ex_warmup_ratio"
#: The editor's values other than the family's own parameters (see :func:`param_key`), in the order they
#: are read.
EDITOR_KEYS = (K_NAME, K_FAMILY, K_TOTAL, K_SPE, K_INTERVAL, K_LR, K_WARMUP_STEPS, K_WARMUP_SHAPE, K_WARMUP_START,
               K_GROUPS, K_MOMENTUM, K_MOM_BASE, K_MOM_MAX, K_WARMUP_OVERLAY, K_MAIN_STEPS)


def param_key(family: str, name: str) -> str:
    """Session-state key of a family parameter's widget (one per family, so each keeps its values)."""
    return f"ex_p_{family}_{name}"


# --- the page (pages/explore.py and ui.explore.page_state) ---------------------------------------------
#: The page's whole state (``ui.common.link_state.State``): written when a link is decoded, a preset or an
#: import is loaded, and after every change.
K_STATE = "ex_state"
#: The query parameters last written to the URL (a changed URL means the user opened another link).
K_URL = "ex_url"
#: The notices the last decoded link left (values clamped or dropped), shown above the editor.
K_NOTICES = "ex_notices"
#: View options: log-scale lr, x axis, no-warmup twin, "lr at step".
K_LOG = "ex_log_y"
K_X = "ex_x_axis"
K_TWIN = "ex_twin"
K_AT = "ex_at_step"
#: The main chart and its CSV download.
K_CHART = "ex_chart"
K_CSV = "ex_download_csv"
#: The export target picker and the import panel's expander.
K_EXPORT = "ex_export"
K_IMPORT = "ex_import"
#: Prefix of an "About ..." expander's open state (+ topic).
K_ABOUT = "ex_about_"
#: A spec waiting to be loaded into the editor (from the import panel or a comparison's "Load into editor").
K_PENDING = "ex_pending_spec"
#: The view options the sections outside the editor's fragment were last drawn with.
K_DRAWN_VIEW = "ex_drawn_view"

# --- the comparison (ui.explore.compare_panel, ui.explore.closeup_panel) ------------------------------
#: Name box and "Add to comparison" button for the current schedule.
K_CMP_NAME = "ex_cmp_name"
K_CMP_ADD = "ex_cmp_add"
#: The comparison chart, its CSV download and its warmups' close-up chart.
K_CMP_CHART = "ex_compare_chart"
K_CMP_CSV = "ex_download_compare_csv"
K_CMP_CLOSEUP = "ex_compare_closeup_chart"
#: Prefix of each compared schedule's widgets: ``rename_<i>``, ``load_<i>``, ``remove_<i>``.
CMP_PREFIX = "ex_cmp_"

# --- the predicted loss (ui.explore.loss_panel) ---------------------------------------------------------
#: The law's parameter set: "none", a published preset's name, or "fit" (the fit in ``K_LAW_FIT``).
K_LAW = "ex_law"
#: The fit to the visitor's run (``schedules.laws.Fit``): from an upload, or from a share link.
K_LAW_FIT = "ex_law_fit"
#: The chart of the predicted losses and the "Fit to my run" / "Find a better schedule" expanders.
K_LAW_CHART = "ex_law_chart"
K_LAW_FIT_OPEN = "ex_law_fit_open"
K_LAW_FIND_OPEN = "ex_law_find_open"
#: Fit to my run: the uploaded log, the law fitted, the one-line reason a log was refused, and the chart of
#: the fit against the log.
K_LAW_FILE = "ex_law_file"
K_LAW_FIT_LAW = "ex_law_fit_law"
K_LAW_FIT_ERROR = "ex_law_fit_error"
K_LAW_FIT_CHART = "ex_law_fit_chart"
#: Find a better schedule: the family searched, whether the warmup is searched too, the button, the
#: suggestion found (with what it was found for; or the one-line reason there is none) and the button loading
#: it into the editor.
K_LAW_FAMILY = "ex_law_family"
K_LAW_TUNE_WARMUP = "ex_law_tune_warmup"
K_LAW_FIND = "ex_law_find"
K_LAW_SUGGESTION = "ex_law_suggestion"
K_LAW_LOAD = "ex_law_load"
