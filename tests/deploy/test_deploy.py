"""The deployment files agree with each other and with the app: one proxy template whose placeholders the
compose file fills, health checks on Streamlit's health endpoint, the image's port and user."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from harness.proxy import NGINX, TEMPLATE, render_template

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())
K8S = list(yaml.safe_load_all((ROOT / "deploy/k8s/studio.yaml").read_text()))
HEALTH = "/_stcore/health"


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\$\{(\w+)\}", text))


def test_compose_fills_every_placeholder_of_the_one_template():
    proxy = COMPOSE["services"]["proxy"]
    mounted = [v.split(":")[0] for v in proxy["volumes"]]
    assert mounted == ["./nginx/studio.conf.template"]
    assert (ROOT / "deploy" / mounted[0]).resolve() == TEMPLATE
    assert placeholders(TEMPLATE.read_text()) == set(proxy["environment"])
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"


def test_the_rendered_template_is_a_valid_nginx_config(tmp_path: Path):
    rendered = render_template(18080, [18501, 18502])
    assert placeholders(rendered) == set()
    (tmp_path / "studio.conf").write_text(rendered)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid; events {{}} http {{ include {tmp_path}/studio.conf; }}")
    check = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-e", "stderr", "-c", str(conf)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    for needed in ("proxy_set_header Upgrade $http_upgrade", "hash $studio_route consistent",
                   "location = /_stcore/stream", "client_max_body_size 2m"):
        assert needed in rendered


def test_health_checks_use_streamlit_health_endpoint():
    app = COMPOSE["services"]["app"]
    assert any(HEALTH in part for part in app["healthcheck"]["test"])
    assert app["expose"] == ["8501"]
    deployment = next(d for d in K8S if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == HEALTH
    assert container["ports"][0]["containerPort"] == 8501
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert HEALTH in dockerfile and "--server.port=8501" in dockerfile
    assert str(deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"]) in dockerfile


def test_kubernetes_affinity_and_websocket_timeouts():
    service = next(d for d in K8S if d["kind"] == "Service")
    assert service["spec"]["sessionAffinity"] == "ClientIP"
    ingress = next(d for d in K8S if d["kind"] == "Ingress")
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]


def test_the_image_holds_everything_the_running_app_reads():
    """The app reads these at run time (its ASGI entry, pages, engine, presets, the chart's plotly.js bundle, its
    config)."""
    copied = {part for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY")
              for part in line.split()[1:-1] if not part.startswith("--")}
    for needed in ("app.py", "asgi.py", ".streamlit", "schedules", "pages", "ui", "tasks", "static",
                   "scripts/serve.py"):
        assert needed in copied and (ROOT / needed).exists(), needed
