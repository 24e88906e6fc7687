"""Load test: Locust users (``scripts/locustfile.py``) against one server, then against two behind the
deployment's nginx rules, side by side in one run; then a soak (two servers behind nginx unless
``--soak-servers 1``). Prints one table.

- users held, requests/s (reruns, and the chart's own redraw requests to the app's route), p50/p95/p99
  latency (ms), errors (exception elements, runs without their figure, a route answer without one, dropped
  sessions), server RSS (MB, every server process summed) sampled every few seconds;
- soak: RSS over the whole run, and its slope after warm-up (the first fifth) by least squares, MB/min;
- CPU, in cores busy on average: the servers' (nginx excluded) and Locust's own, which runs on the same
  machine and takes its share of the two cores from the servers;
- after each configuration, where the explore page's runs spent their server time (``ui.common.run_timing``
  records on every server, summarised by ``scripts/run_times.py``): the p50/p95/p99 runs' wall, CPU, time not
  running, heavy-slot waits and parts.

Servers start the way ``make run`` starts them (``scripts/serve.py``) on free 127.0.0.1 ports. A script, not
a test: it prints what it measured, it does not judge. On a shared machine the figures move with what else
runs: the two configurations are measured one after the other in the same run, and the load average at the
start and end of each is printed beside them.

``python scripts/load.py --users 20 --minutes 1 --soak-minutes 10``
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run_times import summarize  # noqa: E402  (beside this file)

from harness.proxy import running_proxy  # noqa: E402
from harness.server import free_port, start_server, stop_server, wait_healthy  # noqa: E402
from ui.common import run_timing  # noqa: E402

LOCUST = str(ROOT / ".venv/bin/locust")
LOCUSTFILE = str(ROOT / "scripts/locustfile.py")
SAMPLE_SECONDS = 5.0


@dataclass(frozen=True)
class Scenario:
    """Which Locust users (a class of ``scripts/locustfile.py``) and how fast they arrive."""

    user_class: str
    arrival_seconds: float


#: The mix: share links of 10k to 10M steps, slider moves, comparison, export, range test; users arrive over 10 s.
MIX = Scenario("StudioUser", 10.0)
#: New links only: each user opens six share links of 1M steps nobody opened before, ~5 s apart, then leaves.
NEW_LINKS = Scenario("NewLinkUser", 10.0)
#: Long enough for the last arrival's six links and their think time.
NEW_LINKS_SECONDS = 75


class RssSampler(threading.Thread):
    """Samples the summed resident memory of the server processes (children included) until stopped."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.procs = [psutil.Process(p) for p in pids]
        self.samples: list[tuple[float, float]] = []
        self._done = threading.Event()
        self._t0 = time.monotonic()

    def run(self) -> None:
        while not self._done.is_set():
            total = 0
            for proc in self.procs:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
                    total += sum(c.memory_info().rss for c in proc.children(recursive=True))
            self.samples.append((time.monotonic() - self._t0, total / 1e6))
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def slope_after_warmup(self) -> float:
        """MB per minute, least squares over the samples after the first fifth of the run."""
        points = self.samples[len(self.samples) // 5:]
        if len(points) < 3:
            return float("nan")
        n = len(points)
        mx = sum(t for t, _ in points) / n
        my = sum(m for _, m in points) / n
        sxx = sum((t - mx) ** 2 for t, _ in points)
        sxy = sum((t - mx) * (m - my) for t, m in points)
        return sxy / sxx * 60 if sxx else float("nan")


@contextlib.contextmanager
def servers(count: int, workdir: Path, timing: Path | None = None) -> Iterator[tuple[str, list[int]]]:
    """``count`` app servers; with more than one, nginx in front. Yields (base URL, server pids). With
    ``timing``, every server appends its explore runs' time split to that file (``ui.common.run_timing``)."""
    ports = [free_port() for _ in range(count)]
    env = {run_timing.ENV: str(timing)} if timing is not None else None
    procs = [start_server(p, workdir / f"server-{count}-{i}.log", env=env) for i, p in enumerate(ports)]
    try:
        for port, proc in zip(ports, procs, strict=True):
            wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=120)
        if count == 1:
            yield f"http://127.0.0.1:{ports[0]}", [procs[0].pid]
        else:
            with running_proxy(workdir / f"nginx-{count}", free_port(), ports) as url:
                yield url, [p.pid for p in procs]
    finally:
        for proc in procs:
            stop_server(proc)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by the processes ``pids`` and their children."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            for p in (proc, *proc.children(recursive=True)):
                times = p.cpu_times()
                total += times.user + times.system
    return total


def run_locust(url: str, users: int, seconds: int, prefix: Path, scenario: Scenario) -> dict[str, float]:
    """Run Locust headless; its stats, and the CPU it used itself (it shares the machine with the servers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [LOCUST, "-f", LOCUSTFILE, "--headless", "-u", str(users),
           "-r", f"{users / scenario.arrival_seconds:g}", "-t", f"{seconds}s", "--host", url, "--csv", str(prefix),
           "--only-summary", "--stop-timeout", "30", scenario.user_class]
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    # Per action, so a report shows which one makes the tail (e.g. long schedules' share links).
    for action in rows:
        if action["Name"] != "Aggregated":
            print(f"    {action['Name']}: {action['Request Count']} requests, p50 {action['50%']} ms, "
                  f"p95 {action['95%']} ms, p99 {action['99%']} ms, max {float(action['Max Response Time']):.0f} ms",
                  flush=True)
    row = next(r for r in rows if r["Name"] == "Aggregated")
    with open(f"{prefix}_failures.csv", newline="") as f:
        for failure in csv.DictReader(f):
            print(f"    failure x{failure['Occurrences']}: {failure['Name']}: {failure['Error'][:600]}", flush=True)
    return {"requests": float(row["Request Count"]), "failures": float(row["Failure Count"]),
            "rps": float(row["Requests/s"]), "p50": float(row["50%"]), "p95": float(row["95%"]),
            "p99": float(row["99%"]), "locust_cpu": locust_cpu}


def measure(label: str, replicas: int, users: int, seconds: int, workdir: Path,
            scenario: Scenario | None = None) -> dict[str, object]:
    scenario = scenario or MIX
    timing = workdir / f"runs-{label.replace(' ', '-').replace(',', '')}.jsonl"
    with servers(replicas, workdir, timing) as (url, pids):
        sampler = RssSampler(pids)
        load_before = os.getloadavg()[0]
        sampler.start()
        cpu_before, started = cpu_seconds(pids), time.monotonic()
        stats = run_locust(url, users, seconds, workdir / label.replace(" ", "-").replace(",", ""), scenario)
        server_cpu = (cpu_seconds(pids) - cpu_before) / (time.monotonic() - started)
        sampler.stop()
        load_after = os.getloadavg()[0]
    rss = [m for _, m in sampler.samples]
    print(f"  {label}: RSS samples (MB): {' '.join(f'{m:.0f}' for m in rss)}", flush=True)
    print(f"  {label}: where the explore page's runs spent their server time", flush=True)
    print("\n".join(f"    {line}" for line in summarize(timing)), flush=True)
    return {"label": label, "users": users, **stats, "rss_max": max(rss), "rss_last": rss[-1],
            "slope": sampler.slope_after_warmup(), "load": f"{load_before:.1f}->{load_after:.1f}",
            "server_cpu": server_cpu, "locust_share": stats["locust_cpu"] / seconds,
            "minutes": seconds / 60}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=1.0, help="per configuration")
    parser.add_argument("--soak-minutes", type=float, default=10.0, help="0 skips the soak")
    parser.add_argument("--soak-users", type=int, default=None, help="default: --users")
    parser.add_argument("--soak-servers", type=int, choices=(1, 2), default=2,
                        help="servers of the soak (2: behind nginx, the deployment that holds the users)")
    parser.add_argument("--scenario", choices=("all", "mix", "new-links"), default="all",
                        help="mix: the usual visitors (and the soak); new-links: only new 1M-step share links")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        seconds = int(args.minutes * 60)
        if args.scenario in ("all", "new-links"):
            rows.append(measure("new links, one server", 1, args.users, NEW_LINKS_SECONDS, workdir, NEW_LINKS))
            rows.append(measure("new links, two servers + nginx", 2, args.users, NEW_LINKS_SECONDS, workdir,
                                NEW_LINKS))
        if args.scenario in ("all", "mix"):
            rows.append(measure("one server", 1, args.users, seconds, workdir))
            rows.append(measure("two servers + nginx", 2, args.users, seconds, workdir))
        if args.soak_minutes > 0 and args.scenario in ("all", "mix"):
            label = "soak, one server" if args.soak_servers == 1 else "soak, two servers + nginx"
            rows.append(measure(label, args.soak_servers, args.soak_users or args.users, int(args.soak_minutes * 60),
                                workdir))
    print()
    print("| run | users | min | requests | requests/s | p50 ms | p95 ms | p99 ms | errors | RSS max MB | "
          "RSS slope MB/min | server CPU (cores) | Locust CPU (cores) | load avg |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['label']} | {r['users']} | {r['minutes']:.1f} | {r['requests']:.0f} | {r['rps']:.2f} | "
              f"{r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {r['failures']:.0f} | {r['rss_max']:.0f} | "
              f"{r['slope']:+.1f} | {r['server_cpu']:.2f} | {r['locust_share']:.2f} | {r['load']} |")


if __name__ == "__main__":
    main()
