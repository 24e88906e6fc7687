"""The README's pictures are taken from the real app on every run (``harness.screenshots``), so they show the
app as it is; a picture that only moved a few pixels is left alone on disk."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser

from harness.browser import ConsoleErrors
from harness.screenshots import IMAGES, VIEWPORTS, save_if_changed, take
from harness.server import ROOT

pytestmark = pytest.mark.browser


def png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def test_the_readme_pictures_are_regenerated_from_the_app(browser: Browser, app_url: str,
                                                           console: ConsoleErrors) -> None:
    pictures = take(browser, app_url, console)
    assert set(pictures) == {"explore", "loss", "train"}
    readme = (ROOT / "README.md").read_text()
    for name, picture in pictures.items():
        assert picture.path == IMAGES / f"{name}.png"
        with Image.open(picture.path) as image:
            assert image.size == (VIEWPORTS[name]["width"], VIEWPORTS[name]["height"])
            # A drawn page, not a blank one: many distinct colours (charts, text, widgets).
            assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 500
        assert f"docs/images/{name}.png" in readme
    assert [e for e in console.errors if "/train/_stcore/" not in e] == []


def test_a_picture_is_rewritten_only_when_it_changed_visibly(tmp_path: Path) -> None:
    base = np.full((40, 60, 3), 200.0)
    path = tmp_path / "page.png"
    assert save_if_changed(png(base), path)
    noisy = base.copy()
    noisy[0, :5] = 0.0  # a few pixels: anti-aliasing, a cursor
    assert not save_if_changed(png(noisy), path)
    changed = base.copy()
    changed[:, :30] = 0.0  # half the picture: the page changed
    assert save_if_changed(png(changed), path)
    assert np.array_equal(np.asarray(Image.open(path)), changed.astype(np.uint8))
    assert save_if_changed(png(np.full((41, 60, 3), 200.0)), path)  # another size is always rewritten
