"""A real Prometheus scrapes a real worker during a small replay and sees the counter rise."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.helpers import (
    article,
    free_port,
    produce,
    running_worker,
    stop,
    worker_env,
)

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "config/prometheus/rules.yml"
PROMETHEUS = shutil.which("prometheus")

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(
        PROMETHEUS is None,
        reason="no `prometheus` binary on PATH (Debian: apt-get install prometheus; .ci/run does)",
    ),
]

ARTICLES = [
    article(
        f"prom-{n}",
        f"outlet{n}.example",
        f"2026-03-14T07:{40 + n}:00Z",
        "Storm floods riverside homes",
        "Floodwater reached 40 homes in Riverton on Saturday, the fire service said.",
    )
    for n in range(3)
]


def _query(base: str, promql: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def _scalar(base: str, promql: str) -> float | None:
    try:
        result = _query(base, promql)
    except (OSError, urllib.error.URLError):
        return None  # Prometheus still starting
    return float(result[0]["value"][1]) if result else None


def _wait_until(base: str, promql: str, at_least: float, timeout: float = 90) -> float | None:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = _scalar(base, promql)
        if value is not None and value >= at_least:
            return value
        time.sleep(0.5)
    return value


@contextmanager
def running_prometheus(workdir: Path, target_port: int) -> Iterator[str]:
    """Prometheus on a free port scraping one worker every second; yields its base URL."""
    assert PROMETHEUS is not None
    port = free_port()
    config = workdir / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                # The repository's own rules: this Prometheus must load and evaluate them too.
                "rule_files": [str(RULES)],
                "scrape_configs": [
                    {
                        "job_name": "wirewatch",
                        "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}],
                    }
                ],
            }
        )
    )
    with (workdir / "prometheus.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc)


def test_prometheus_sees_processed_articles_rise(services, unique, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    metrics_port = free_port()
    env = worker_env(services, unique, WIREWATCH_METRICS_PORT=str(metrics_port))
    topic = f"{env['WIREWATCH_TOPIC_PREFIX']}articles"
    counter = 'sum(wirewatch_articles_processed_total{job="wirewatch"})'
    with running_worker(env) as worker, running_prometheus(tmp_path, metrics_port) as prom:
        # Scraped and ready before anything is published, so a rise is a rise.
        ready = _wait_until(prom, 'wirewatch_worker_ready{job="wirewatch"}', at_least=1)
        assert ready == 1, _log(tmp_path)
        assert _scalar(prom, counter) == 0

        produce(services.kafka_url, topic, ARTICLES)
        seen = _wait_until(prom, counter, at_least=len(ARTICLES))
        assert seen == len(ARTICLES), _log(tmp_path)
        assert _scalar(prom, 'sum(wirewatch_articles_consumed_total{job="wirewatch"})') == 3
        assert _scalar(prom, 'up{job="wirewatch"}') == 1
        # Lag series exist per assigned partition and are all caught up.
        lag = _query(prom, 'wirewatch_consumer_lag_messages{job="wirewatch"}')
        assert lag and all(float(s["value"][1]) == 0 for s in lag), lag

        # Every rule in config/prometheus/rules.yml loaded and evaluates against real series.
        with urllib.request.urlopen(f"{prom}/api/v1/rules", timeout=5) as response:
            groups = json.loads(response.read())["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        expected = {
            rule["alert"]
            for group in yaml.safe_load(RULES.read_text())["groups"]
            for rule in group["rules"]
            if "alert" in rule
        }
        assert {rule["name"] for rule in rules} >= expected
        assert all(rule["health"] != "err" for rule in rules), [
            (rule["name"], rule.get("lastError")) for rule in rules if rule["health"] == "err"
        ]
        assert worker.poll() is None


def _log(workdir: Path) -> str:
    path = workdir / "prometheus.log"
    return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"
