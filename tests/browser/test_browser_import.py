"""The import panel in a real browser: paste a Hugging Face config and an axolotl YAML, give the dataset size,
see the imported curve; load it into the editor; paste the run's trainer_state.json and see its logged
learning rates as points on the charts. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from harness.browser import ConsoleErrors, open_import, set_number_input, wait_for_chart

pytestmark = pytest.mark.browser

NO_EXCEPTION = "[data-testid='stException']"
IMPORT_PLOT = ".st-key-ex_import-chart .js-plotly-plot"
MAIN_PLOT = ".st-key-ex_chart .js-plotly-plot"
TRACES_JS = """
(sel) => {
  const gd = document.querySelector(sel);
  if (!gd || !gd._fullData) return null;
  return gd._fullData.map(t => ({name: t.name, mode: t.mode, n: t.y ? t.y.length : 0,
                                 first: t.y ? t.y[0] : null, last: t.y ? t.y[t.y.length - 1] : null}));
}
"""
HF_CONFIG = json.dumps({"learning_rate": 2e-5, "lr_scheduler_type": "cosine", "warmup_steps": 0.1,
                        "num_train_epochs": 2, "per_device_train_batch_size": 8})
AXOLOTL = ("base_model: NousResearch/Llama-3.2-1B\nlearning_rate: 2e-4\nmicro_batch_size: 2\n"
           "gradient_accumulation_steps: 4\nnum_epochs: 3\nlr_scheduler: cosine\ncosine_min_lr_ratio: 0.1\n")


def trainer_state() -> str:
    """A trainer_state.json as transformers writes it for the HF config above on 1,000 examples (250 updates):
    its logged lrs are the cosine's values, each at the update that used it."""
    import math

    def lr(t: int) -> float:
        if t < 25:
            return 2e-5 * t / 25
        return 2e-5 * 0.5 * (1 + math.cos(math.pi * (t - 25) / 225))

    history = [{"step": k, "learning_rate": lr(k - 1), "loss": 2.0 - k / 250} for k in range(10, 251, 10)]
    return json.dumps({"max_steps": 250, "global_step": 250, "log_history": history})


def paste(page: Page, text: str) -> None:
    box = page.locator(".st-key-ex_import-text textarea")
    box.fill(text)
    box.press("Control+Enter")


def traces(page: Page, sel: str) -> list[dict] | None:
    return page.evaluate(TRACES_JS, sel)


def scroll_to(page: Page, sel: str) -> None:
    """Scroll an element into view without waiting for it to stop re-rendering (Streamlit redraws it)."""
    page.evaluate("(sel) => document.querySelector(sel)?.scrollIntoView({block: 'center'})", sel)
    page.wait_for_timeout(300)


def wait_plot(page: Page, sel: str, condition: str) -> None:
    """Wait (generously: the machine is shared) until the figure in ``sel`` satisfies ``condition`` (JS on g)."""
    page.wait_for_function(f"() => {{ const g = document.querySelector('{sel}'); "
                           f"return !!(g && g._fullData && g._fullData.length && ({condition})); }}", timeout=90_000)


def test_paste_configs_supply_the_dataset_and_see_logged_points(
    new_page: Callable[[], Page], app_url: str, console: ConsoleErrors, artifacts: Path
) -> None:
    page = new_page()
    page.goto(app_url)
    wait_for_chart(page, timeout_ms=120_000)  # generous: the machine is shared
    open_import(page)

    paste(page, HF_CONFIG)
    expect(page.get_by_text("Detected:", exact=False)).to_contain_text("Hugging Face TrainingArguments",
                                                                       timeout=60_000)
    expect(page.get_by_text("supply dataset_size", exact=False)).to_be_visible(timeout=60_000)
    set_number_input(page, "ex_import-dataset_size", 1000)
    expect(page.get_by_text("(Trainer rounds up)", exact=False).first).to_be_visible(timeout=60_000)
    wait_plot(page, IMPORT_PLOT, "g._fullData[0].name === 'Hugging Face cosine'")
    hf = traces(page, IMPORT_PLOT)
    assert hf and hf[0]["n"] > 1 and hf[0]["first"] == 0.0
    scroll_to(page, ".st-key-ex_import-chart")
    page.screenshot(path=artifacts / "import-1-hf-config.png")

    paste(page, AXOLOTL)
    expect(page.get_by_text("Detected:", exact=False)).to_contain_text("axolotl YAML", timeout=60_000)
    expect(page.get_by_text("axolotl rounds up", exact=False)).to_be_visible(timeout=60_000)
    wait_plot(page, IMPORT_PLOT, "g._fullData[0].name === 'axolotl cosine'")
    axo = traces(page, IMPORT_PLOT)
    assert axo[0]["last"] > 0  # cosine_min_lr_ratio keeps a floor
    scroll_to(page, ".st-key-ex_import-chart")
    page.screenshot(path=artifacts / "import-2-axolotl.png")

    paste(page, HF_CONFIG)
    wait_plot(page, IMPORT_PLOT, "g._fullData[0].name === 'Hugging Face cosine'")
    page.locator(".st-key-ex_import-load button").click()
    wait_plot(page, MAIN_PLOT, "g._fullData[0].name === 'Hugging Face cosine'")

    paste(page, trainer_state())
    expect(page.get_by_text("25 logged learning rates", exact=False)).to_be_visible(timeout=60_000)
    wait_plot(page, MAIN_PLOT, "g._fullData.some(t => t.mode === 'markers')")
    points = [t for t in traces(page, MAIN_PLOT) if t["mode"] == "markers"]
    assert points and points[0]["n"] == 25
    expect(page.locator(NO_EXCEPTION)).to_have_count(0)
    scroll_to(page, ".st-key-ex_chart")
    page.screenshot(path=artifacts / "import-3-logged-points-main-chart.png")
    scroll_to(page, ".st-key-ex_import-chart")
    page.screenshot(path=artifacts / "import-4-logged-points-panel.png")
    assert console.errors == []
