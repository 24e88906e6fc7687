"""Run the deployment's reverse proxy here: nginx with ``deploy/nginx/studio.conf.template`` in front of
local app servers, on free 127.0.0.1 ports. Shared by the failover test and the load run (``make load``).

The template is the one ``deploy/compose.yaml`` mounts; only its ``${STUDIO_...}`` placeholders are filled in
(as the nginx image's envsubst does), so the test exercises the deployed proxy rules, not a copy.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from harness.server import ROOT, stop_server, wait_answering

TEMPLATE = ROOT / "deploy/nginx/studio.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def render_template(port: int, upstream_ports: Sequence[int]) -> str:
    """The proxy rules with ``listen`` on ``port`` and one upstream server per local app port."""
    servers = " ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in upstream_ports)
    text = TEMPLATE.read_text()
    values = {"STUDIO_PROXY_PORT": str(port), "STUDIO_UPSTREAMS": servers, "STUDIO_RESOLVER": ""}
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return text


def main_config(workdir: Path, port: int, upstream_ports: Sequence[int]) -> Path:
    """A complete nginx.conf (no daemon, files under ``workdir``) that includes the rendered rules."""
    (workdir / "studio.conf").write_text(render_template(port, upstream_ports))
    conf = workdir / "nginx.conf"
    # Started as root, nginx's workers switch to "nobody", who cannot enter a private temporary folder to
    # buffer a large static file or upload: here they keep the starting user.
    user = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(f"""
{user}
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {workdir}/access.log;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    include {workdir}/studio.conf;
}}
""")
    return conf


@contextlib.contextmanager
def running_proxy(workdir: Path, port: int, upstream_ports: Sequence[int]) -> Iterator[str]:
    """nginx on 127.0.0.1:``port`` in front of the given local ports; its base URL. Stopped on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    conf = main_config(workdir, port, upstream_ports)
    check = subprocess.run([NGINX, "-t", "-p", str(workdir), "-e", "stderr", "-c", str(conf)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx rejected the config: {check.stderr.strip()}")
    with (workdir / "nginx.out").open("wb") as out:
        proc = subprocess.Popen([NGINX, "-p", str(workdir), "-e", "stderr", "-c", str(conf)],
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_answering(url + "/nginx-health", proc, lambda body: True, "nginx", 20.0, poll=0.1)
        yield url
    finally:
        stop_server(proc)  # SIGTERM: nginx's fast shutdown, workers included


def upstream_of(url: str, cookie: str, path: str = "/_stcore/health") -> str:
    """Which app server the proxy sends a client with this route cookie to (``host:port``)."""
    request = urllib.request.Request(url + path, headers={"Cookie": f"studio_route={cookie}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.headers.get("X-Studio-Upstream", "").split(",")[-1].strip()
