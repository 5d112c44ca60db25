"""A real worker's /metrics: served by prometheus_client's own handler, with the process
collectors and every known label at zero before the first article."""

from __future__ import annotations

import gzip
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.helpers import free_port, running_worker, worker_env
from topics.deadletters import REASONS
from workers.metrics import ALERT_KINDS, STAGES

pytestmark = pytest.mark.services


def _get(url: str, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return dict(response.headers), response.read()


def test_metrics_exist_at_zero_with_process_series(services, unique) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = worker_env(services, unique, WIREWATCH_METRICS_PORT=str(port))
    url = f"http://127.0.0.1:{port}/metrics"
    with running_worker(env) as worker:
        deadline = time.monotonic() + 90
        body = b""
        while time.monotonic() < deadline and not body:
            try:
                _, body = _get(url, {})
            except OSError:
                time.sleep(0.3)
        assert body, open(worker.log_path).read()[-2000:]  # type: ignore[attr-defined]
        samples = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples
        }
        names = {name for name, _ in samples}
        # The default collectors: memory and CPU of the worker process.
        assert {"process_resident_memory_bytes", "process_cpu_seconds_total"} <= names
        assert "python_info" in names
        for reason in REASONS:
            key = ("wirewatch_articles_deadlettered_total", (("reason", reason),))
            assert samples.get(key) == 0.0, reason
        for kind in ALERT_KINDS:
            assert samples.get(("wirewatch_alerts_published_total", (("kind", kind),))) == 0.0
        for stage in STAGES:
            key = ("wirewatch_stage_seconds_count", (("stage", stage),))
            assert samples.get(key) == 0.0, stage

        # prometheus_client's handler negotiates what a scraper asks for.
        headers, open_metrics = _get(url, {"Accept": "application/openmetrics-text"})
        assert headers["Content-Type"].startswith("application/openmetrics-text")
        assert open_metrics.rstrip().endswith(b"# EOF")
        headers, packed = _get(url, {"Accept-Encoding": "gzip"})
        assert headers.get("Content-Encoding") == "gzip"
        assert b"wirewatch_worker_ready" in gzip.decompress(packed)
