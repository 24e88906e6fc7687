"""`make screenshots`: the README's pictures of the explore and Train pages (``docs/images/``), taken from the
real app in Chromium (see ``harness/screenshots.py``)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from harness.browser import ConsoleErrors, launch_chromium  # noqa: E402
from harness.screenshots import take  # noqa: E402
from harness.server import running_app  # noqa: E402


def main() -> int:
    console = ConsoleErrors()
    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "streamlit.log") as url, \
            sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            pictures = take(browser, url, console)
        finally:
            browser.close()
    for name, picture in pictures.items():
        print(f"{name}: {picture.path.relative_to(ROOT)} ({'written' if picture.written else 'unchanged'})")
    # A page opened at /train first asks /train/_stcore/... (404) before Streamlit finds its base path.
    errors = [e for e in console.errors if "/train/_stcore/" not in e]
    if errors:
        print("browser console errors:", *errors, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
