"""Someone is paged: the real Alertmanager, started by our start.sh with the webhook URL from
the environment, posts a critical alert to that URL with its runbook link; and a real
Prometheus builds runbook_url from the configured base."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.helpers import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
ALERTMANAGER_DIR = ROOT / "config/alertmanager"
PROMETHEUS_DIR = ROOT / "config/prometheus"
ALERTMANAGER_BIN = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")
PROMETHEUS = shutil.which("prometheus")


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append({"path": self.path, "body": json.loads(body)})  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:  # keep pytest's output clean
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(
    ALERTMANAGER_BIN is None or AMTOOL is None,
    reason="needs Debian's prometheus-alertmanager (alertmanager + amtool); .ci/run installs it",
)
def test_alertmanager_pages_the_configured_webhook(webhook, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, received = webhook
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "ALERTMANAGER_BIN": str(ALERTMANAGER_BIN),
        "ALERTMANAGER_CONFIG": str(ALERTMANAGER_DIR / "alertmanager.yml"),
        "ALERTMANAGER_RENDERED": str(tmp_path / "alertmanager.yml"),
        "ALERTMANAGER_PAGE_WEBHOOK_URL": f"{base}/page",
        "ALERTMANAGER_TICKET_WEBHOOK_URL": f"{base}/ticket",
    }
    with (tmp_path / "alertmanager.log").open("wb") as log:
        proc = subprocess.Popen(
            ["sh", str(ALERTMANAGER_DIR / "start.sh"), f"--storage.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"{url}/-/ready", timeout=2).close()
                    break
                except OSError:
                    time.sleep(0.2)
            runbook = "https://runbooks.example/wirewatch.md#wirewatchworkerdown"
            for severity in ("critical", "warning"):
                added = subprocess.run(
                    [str(AMTOOL), "alert", "add", f"--alertmanager.url={url}",
                     "alertname=WirewatchWorkerDown", f"severity={severity}",
                     "instance=worker-1:9464", f"--annotation=runbook_url={runbook}"],
                    capture_output=True, text=True, timeout=30, check=False,
                )  # fmt: skip
                assert added.returncode == 0, added.stderr
            # The page route waits 10 s for company, the ticket route 30 s.
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and len({r["path"] for r in received}) < 2:
                time.sleep(0.5)
        finally:
            stop(proc)
    by_path = {r["path"]: r["body"] for r in received}
    assert set(by_path) == {"/page", "/ticket"}, (tmp_path / "alertmanager.log").read_text()[-2000:]
    page = by_path["/page"]
    assert page["receiver"] == "oncall-page" and page["status"] == "firing"
    assert page["alerts"][0]["labels"]["severity"] == "critical"
    assert page["alerts"][0]["annotations"]["runbook_url"] == runbook
    assert by_path["/ticket"]["receiver"] == "oncall-ticket"


@pytest.mark.skipif(PROMETHEUS is None, reason="no `prometheus` binary (Debian: prometheus)")
@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://git.example/newsroom/wirewatch/-/blob/main/docs/runbook.md", None),
        ("", "docs/runbook.md"),  # unset: the label is dropped, the repository path remains
    ],
    ids=["configured", "unset"],
)
def test_prometheus_builds_runbook_urls_from_the_configured_base(
    tmp_path: Path, base: str, expected: str | None
) -> None:
    # The repository's global section (external labels with ${RUNBOOK_BASE_URL}) and rules;
    # one worker target that is down, so WirewatchWorkerDown goes pending within seconds.
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"].update({"scrape_interval": "1s", "evaluation_interval": "1s"})
    config["rule_files"] = [str(PROMETHEUS_DIR / "rules.yml")]
    config.pop("alerting", None)
    config["scrape_configs"] = [
        {"job_name": "wirewatch", "static_configs": [{"targets": [f"127.0.0.1:{free_port()}"]}]}
    ]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    assert PROMETHEUS is not None
    with (tmp_path / "prometheus.log").open("wb") as log:
        proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
             "--enable-feature=expand-external-labels"],
            env={**os.environ, "RUNBOOK_BASE_URL": base},
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            found: list[dict[str, Any]] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not found:
                try:
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/api/v1/alerts", timeout=2
                    ) as response:
                        alerts = json.loads(response.read())["data"]["alerts"]
                    found = [a for a in alerts if a["labels"]["alertname"] == "WirewatchWorkerDown"]
                except OSError:
                    pass
                time.sleep(0.5)
        finally:
            stop(proc)
    assert found, (tmp_path / "prometheus.log").read_text()[-2000:]
    assert found[0]["annotations"]["runbook_url"] == f"{expected or base}#wirewatchworkerdown"
