"""The README's pictures of the app: the explore page, its predicted loss and the Train page, taken from the
real app in Chromium.

``make screenshots`` (``scripts/screenshots.py``) writes them, and a browser test takes them on every
``make test`` so they follow the app. A picture is rewritten only when the new one differs visibly from the
one on disk (fonts and anti-aliasing move a few pixels between runs; a changed page moves many), so running the
tests does not churn the repository's images.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from PIL import Image
from playwright.sync_api import Browser

from harness.browser import ConsoleErrors, wait_for_chart, wait_idle
from harness.server import ROOT

IMAGES = ROOT / "docs" / "images"
#: Tall enough for the explore page's chart with its warmup close-up, and the Train page's loss chart.
VIEWPORTS = {"explore": {"width": 1400, "height": 1150}, "loss": {"width": 1400, "height": 1000},
             "train": {"width": 1400, "height": 1300}}
#: Mean absolute difference per channel (0-255) under which a new picture counts as the same as the old.
SAME_PICTURE = 2.0
LOSS_CHART = ".st-key-tr_loss_chart .js-plotly-plot"
PREDICTED_CHART = ".st-key-ex_law_chart .js-plotly-plot"


def _spec(**fields: object) -> dict[str, object]:
    return {"version": 1, **fields}


#: What the explore picture shows: a GPT-style warmup + cosine beside its no-warmup twin, with a WSD run of
#: the same budget in the comparison.
EXPLORE_LINK = {
    "spec": json.dumps(_spec(name="warmup + cosine", total_steps=100_000, lr=6e-4,
                             warmup={"steps": 2_000}, schedule={"type": "cosine", "min_lr": 6e-5}),
                       separators=(",", ":")),
    "cmp": json.dumps([{"name": "wsd", "spec": _spec(total_steps=100_000, lr=6e-4, warmup={"steps": 2_000},
                                                     schedule={"type": "wsd", "decay_fraction": 0.2})}],
                      separators=(",", ":")),
}
#: What the predicted-loss picture shows: the same schedules under the multi-power law's 400M parameters.
LOSS_LINK = {**EXPLORE_LINK, "law": "mpl-400m"}
#: What the Train picture shows: Adam at a peak lr where warmup matters, with and without it, two seeds.
TRAIN_LINK = {
    "spec": json.dumps(_spec(name="warmup demo", total_steps=600, lr=0.02, warmup={"steps": 60},
                             schedule={"type": "cosine"}), separators=(",", ":")),
    "seeds": "2",
    "steps": "300",
}


@dataclass(frozen=True)
class Picture:
    """One README picture: where it was written and whether the file changed."""

    path: Path
    written: bool


def save_if_changed(png: bytes, path: Path, tolerance: float = SAME_PICTURE) -> bool:
    """Write ``png`` to ``path`` unless the picture there has the same size and differs by at most
    ``tolerance`` on average; whether it was written."""
    new = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64)
    if path.exists():
        old = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
        if old.shape == new.shape and float(np.mean(np.abs(old - new))) <= tolerance:
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return True


def take(browser: Browser, url: str, console: ConsoleErrors, out: Path = IMAGES) -> dict[str, Picture]:
    """Open each page on its link in a fresh context, wait until its charts are drawn and the run is over,
    and save the viewport. Returns the pictures by page name."""
    pictures = {}
    shots = (("explore", "/", EXPLORE_LINK, None), ("loss", "/", LOSS_LINK, PREDICTED_CHART),
             ("train", "/train", TRAIN_LINK, LOSS_CHART))
    for name, path, link, selector in shots:
        context = browser.new_context(viewport=VIEWPORTS[name], device_scale_factor=1)
        try:
            page = console.watch(context.new_page())
            page.goto(f"{url}{path}?{urlencode(link)}")
            if selector is None:
                wait_for_chart(page, timeout_ms=120_000)
            else:
                wait_for_chart(page, timeout_ms=240_000, selector=selector)
            wait_idle(page, timeout_ms=240_000)
            if name == "loss":  # the section under the lr chart: its heading at the top of the picture
                page.get_by_role("heading", name="Predicted loss").scroll_into_view_if_needed()
                page.evaluate("() => document.querySelector('.st-key-ex_law_chart')"
                              ".scrollIntoView({block: 'end'})")
            page.wait_for_timeout(500)  # plotly's transitions and Streamlit's fade of stale elements
            target = out / f"{name}.png"
            pictures[name] = Picture(target, save_if_changed(page.screenshot(), target))
        finally:
            context.close()
    return pictures
