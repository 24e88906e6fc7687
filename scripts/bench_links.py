"""One visitor opening a share link nobody opened before: the explore page's first script run, on the real
server (``scripts/serve.py``), over Streamlit's websocket protocol as a browser speaks it.

For 1M and 10M steps (a cosine, cyclic, WSD or exponential schedule, each link with its own warmup and peak lr
so no cache has its curve): the server's time for the run (``ui.common.run_timing``: wall and CPU time of the
run's thread, and its parts), and the client's, from sending the request to the run's end. Beside them, the
same link opened again by another visitor (its curves then come from the caches), measured in the same run,
alternated with the new links. Medians of ``LINKS`` links per size.

Run with ``.venv/bin/python scripts/bench_links.py``; ``make bench`` prints it too. A script, not a test.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.protocol import Session  # noqa: E402
from harness.server import running_app  # noqa: E402
from ui.common import run_timing  # noqa: E402

SIZES = (1_000_000, 10_000_000)
TARGETS = {1_000_000: "<= 80 ms", 10_000_000: "<= 400 ms"}
LINKS = 9
FAMILIES = ({"type": "cosine", "min_lr": 3e-5}, {"type": "cyclic", "step_size": 20_000},
            {"type": "wsd", "decay_fraction": 0.2}, {"type": "exponential", "gamma": 0.999995})


def link(total: int, k: int) -> str:
    spec = {"total_steps": total, "lr": round(3e-4 + 1e-7 * k, 9), "warmup": {"steps": 1000 + 37 * k},
            "schedule": FAMILIES[k % len(FAMILIES)]}
    return urlencode({"spec": json.dumps(spec, separators=(",", ":"))})


def open_link(url: str, query: str) -> float:
    """Seconds from asking for the run of ``?query`` in a new session to its end (the client's view)."""
    with Session(url) as session:
        start = time.perf_counter()
        run = session.open(query)
        seconds = time.perf_counter() - start
    if run.exceptions:
        raise RuntimeError(f"the page raised: {run.exceptions[0]}")
    ignored = [text for text in run.texts("alert") if "Link parameter" in text]
    if ignored:  # the page fell back to its default schedule: not the link measured
        raise RuntimeError(f"the page did not open the link: {ignored[0]}")
    return seconds


def last_record(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8").splitlines()[-1])


def measure(url: str, timing: Path, total: int, first_k: int) -> dict[str, list]:
    out: dict[str, list] = {"new": [], "new_client": [], "again": [], "parts": []}
    for k in range(first_k, first_k + LINKS):
        query = link(total, k)
        out["new_client"].append(open_link(url, query))
        record = last_record(timing)
        out["new"].append(record["wall"])
        out["parts"].append(record)
        open_link(url, query)
        out["again"].append(last_record(timing)["wall"])
    return out


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        timing = Path(tmp) / "runs.jsonl"
        with running_app(Path(tmp) / "streamlit.log", env={run_timing.ENV: str(timing)}) as url:
            open_link(url, link(100_000, 10_000))  # imports and first-use costs, not a visitor's
            results = {total: measure(url, timing, total, 100 * i) for i, total in enumerate(SIZES)}
    for total, r in results.items():
        new = statistics.median(r["new"])
        again = statistics.median(r["again"])
        rows.append((f"new share link, {total:,} steps: server time of the first run", f"{new * 1000:.0f} ms",
                     TARGETS[total]))
        rows.append(("  the same link opened again (curves cached)", f"{again * 1000:.0f} ms",
                     f"new / again x{new / again:.2f}"))
        rows.append(("  the client's wait (request to the run's end)",
                     f"{statistics.median(r['new_client']) * 1000:.0f} ms", ""))
        median_run = sorted(r["parts"], key=lambda x: x["wall"])[len(r["parts"]) // 2]
        cpu = median_run["cpu"]
        split = ", ".join(f"{name} {v[0] * 1000:.0f}" for name, v in
                          sorted(median_run["parts"].items(), key=lambda kv: -kv[1][0]) if v[0] >= 0.0005)
        rows.append(("  the median run's split (ms)", f"cpu {cpu * 1000:.0f}", split))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  target / note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")
    print(f"(medians of {LINKS} new links per size, each opened by a new session, then again by another)")


if __name__ == "__main__":
    main()
