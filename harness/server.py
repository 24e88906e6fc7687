"""Start the real app on a free local port: ``scripts/serve.py`` (or ``streamlit run`` for another script),
wait until it is healthy, stop it.

Shared by the tests, the app benchmark (``scripts/bench_app.py``) and the load run (``scripts/load.py``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log: Path, app: str = "app.py", env: dict[str, str] | None = None) -> subprocess.Popen:
    """``streamlit run <app>`` (a path from the repository root) headless on 127.0.0.1:port, output to ``log``
    (appended to: a restarted server keeps one log); ``env`` adds environment variables."""
    # The app's own launcher (as `make run` and the Dockerfile use); other scripts through plain streamlit.
    launch = [str(ROOT / ".venv/bin/python"), str(ROOT / "scripts/serve.py")] if app == "app.py" else \
        [str(ROOT / ".venv/bin/streamlit"), "run", app]
    cmd = [
        *launch, "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    environ = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("ab") as out:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=environ)


def wait_answering(url: str, proc: subprocess.Popen, answered: Callable[[bytes], bool], name: str,
                   timeout: float, poll: float = 0.2) -> None:
    """Poll ``url`` until ``answered(body)`` holds; fail early if ``proc`` (the server behind it) exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with code {proc.returncode} before it answered")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError), \
                urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200 and answered(r.read()):
                return
        time.sleep(poll)
    raise RuntimeError(f"{name} did not answer at {url} within {timeout:.0f} s")


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll ``/_stcore/health`` until the server answers ``ok``; fail early if it exits."""
    wait_answering(url + "/_stcore/health", proc, lambda body: body.strip() == b"ok", "streamlit", timeout)


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server this package started (SIGTERM, then SIGKILL after 10 s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def running_app(log: Path, app: str = "app.py", env: dict[str, str] | None = None) -> Iterator[str]:
    """The app's base URL while a server runs; the server is stopped on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(port, log, app, env)
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        stop_server(proc)
