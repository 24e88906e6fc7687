"""Where the explore page's script runs spent their server time, from ``ui.common.run_timing`` records.

``make load`` runs its servers with ``STUDIO_RUN_TIMING`` set and prints this summary after each scenario;
run it on a file yourself with ``.venv/bin/python scripts/run_times.py runs.jsonl``. For the median run, the
run at the 95th and the 99th percentile of wall time, and the slowest: the run's wall time, its CPU time, the
rest (``wall - cpu``: not running, i.e. waiting for the GIL behind other visitors' runs, for a heavy slot, or
for I/O), and each part's wall time. Then the mean of each part over the slowest 5 % of runs beside the mean
over all: what grows in the tail.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def load(path: Path, page: str = "explore") -> list[dict]:
    runs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("page") == page:
            runs.append(record)
    return runs


def summarize(path: Path, page: str = "explore") -> list[str]:
    """Markdown lines: the percentile runs' split and the tail's mean split against all runs'."""
    runs = sorted(load(path, page), key=lambda r: r["wall"]) if path.exists() else []
    if not runs:
        return [f"(no {page} runs recorded in {path.name})"]
    parts = sorted({name for r in runs for name in r["parts"]}, key=lambda n: -sum(r["parts"].get(n, [0])[0]
                                                                                     for r in runs))
    waits = sorted({name for r in runs for name in r.get("waits", {})})
    columns = ["wall", "cpu", "not running", *parts, *[f"wait: {w}" for w in waits], "rest of the script"]

    def split(r: dict) -> list[float]:
        inside = sum(v[0] for v in r["parts"].values())
        return [r["wall"], r["cpu"], r["wall"] - r["cpu"], *[r["parts"].get(p, [0.0])[0] for p in parts],
                *[r.get("waits", {}).get(w, 0.0) for w in waits], r["wall"] - inside]

    n = len(runs)
    picks = {"p50 run": runs[int(0.5 * (n - 1))], "p95 run": runs[int(0.95 * (n - 1))],
             "p99 run": runs[int(0.99 * (n - 1))], "slowest run": runs[-1]}
    lines = [f"{n} {page} runs; times in ms", "",
             "| | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for label, r in picks.items():
        lines.append(f"| {label} | " + " | ".join(f"{v * 1000:.0f}" for v in split(r)) + " |")
    table = np.array([split(r) for r in runs])
    tail = table[int(0.95 * n):]
    lines.append("| mean, all runs | " + " | ".join(f"{v * 1000:.0f}" for v in table.mean(axis=0)) + " |")
    lines.append("| mean, slowest 5 % | " + " | ".join(f"{v * 1000:.0f}" for v in tail.mean(axis=0)) + " |")
    return lines


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["runs.jsonl"]:
        print("\n".join(summarize(Path(arg))))
