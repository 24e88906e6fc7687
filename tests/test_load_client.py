"""The load test's users work against the real server: a short Locust run with no failure, so `make load`
keeps speaking the protocol the installed Streamlit speaks (its figures come from `make load`, not here)."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_short_locust_run_has_no_failures(app_url: str, tmp_path: Path):
    prefix = tmp_path / "smoke"
    done = subprocess.run(
        [str(ROOT / ".venv/bin/locust"), "-f", str(ROOT / "scripts/locustfile.py"), "--headless", "-u", "2", "-r", "2",
         "-t", "20s", "--host", app_url, "--csv", str(prefix), "--only-summary", "--stop-timeout", "60"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    with open(f"{prefix}_stats.csv", newline="") as f:
        total = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    with open(f"{prefix}_failures.csv", newline="") as f:
        failures = list(csv.DictReader(f))
    assert failures == [], failures
    assert int(total["Request Count"]) >= 2, done.stderr[-2000:]
    assert int(total["Failure Count"]) == 0
