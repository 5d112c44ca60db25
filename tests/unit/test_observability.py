"""Lag series follow the assignment, and `wirewatch status` reads a worker's answers right."""

from __future__ import annotations

import json

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from config.settings import Settings
from workers import cli
from workers.metrics import Metrics


def lag_series(metrics: Metrics) -> dict[tuple[str, str], float]:
    return {
        (s.labels["topic"], s.labels["partition"]): s.value
        for family in metrics.consumer_lag.collect()
        for s in family.samples
    }


def test_revoked_partitions_drop_their_lag_series() -> None:
    metrics = Metrics.create(CollectorRegistry())
    for partition, lag in ((0, 5), (1, 7), (2, 0)):
        metrics.set_lag("articles", partition, lag)
    metrics.forget_lag([("articles", 1)])
    assert lag_series(metrics) == {("articles", "0"): 5, ("articles", "2"): 0}
    assert metrics.registry.get_sample_value(
        "wirewatch_consumer_lag_messages", {"topic": "articles", "partition": "1"}
    ) is None  # fmt: skip


def test_retain_lag_keeps_only_the_current_assignment() -> None:
    metrics = Metrics.create(CollectorRegistry())
    for partition in range(4):
        metrics.set_lag("articles", partition, partition)
    metrics.retain_lag([("articles", 2), ("articles", 3)])
    assert lag_series(metrics) == {("articles", "2"): 2, ("articles", "3"): 3}
    metrics.retain_lag([])
    assert lag_series(metrics) == {}


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 9464, "http://127.0.0.1:9464"),
        ("0.0.0.0", 9500, "http://127.0.0.1:9500"),
        ("::1", 9464, "http://[::1]:9464"),
    ],
)
def test_status_url_defaults_to_the_workers_metrics_endpoint(
    host: str, port: int, url: str
) -> None:
    settings = Settings(_env_file=None, metrics_host=host, metrics_port=port)  # type: ignore[call-arg]
    assert cli.default_status_url(settings) == url


def test_status_needs_a_url_when_metrics_are_off() -> None:
    with pytest.raises(cli.CliError, match="--url"):
        cli.default_status_url(Settings(_env_file=None, metrics_port=0))  # type: ignore[call-arg]


def test_status_renders_checks_and_headline_metrics() -> None:
    metrics = Metrics.create(CollectorRegistry())
    metrics.articles_consumed.inc(12)
    metrics.articles_processed.inc(10)
    metrics.articles_deadlettered.labels("not_json").inc(2)
    metrics.alerts_published.labels("story.emerging").inc(3)
    metrics.set_lag("articles", 0, 4)
    metrics.set_lag("articles", 1, 1)
    metrics.active_stories.set(6)
    metrics.emerging_stories.set(1)
    metrics.last_article_timestamp.set(1000.0)
    ready = json.loads(
        '{"ready": false, "redis": false, "broker": true, "assignment": true,'
        ' "errors": {"redis": "ConnectionError: refused"}}'
    )
    text = cli.render_status(
        "http://127.0.0.1:9464", ready, generate_latest(metrics.registry).decode(), now=1030.0
    )
    assert text.splitlines() == [
        "wirewatch worker at http://127.0.0.1:9464: NOT READY",
        "  broker      ok",
        "  redis       FAIL  ConnectionError: refused",
        "  assignment  ok",
        "  articles    12 consumed, 10 processed, 2 dead-lettered (not_json 2)",
        "  alerts      3 published (story.emerging 3)",
        "  lag         5 message(s) over 2 partition(s)",
        "  stories     6 active, 1 emerging",
        "  last input  30s ago",
    ]


# -- series that exist before their first event ---------------------------------------------------
def test_every_known_label_has_a_series_at_zero_and_process_metrics_exist() -> None:
    from topics.deadletters import REASONS
    from workers.metrics import ALERT_KINDS, REDIS_OPERATIONS, STAGES

    registry = CollectorRegistry()
    Metrics.create(registry)
    value = registry.get_sample_value
    assert all(value("wirewatch_articles_deadlettered_total", {"reason": r}) == 0 for r in REASONS)
    assert all(value("wirewatch_alerts_published_total", {"kind": k}) == 0 for k in ALERT_KINDS)
    assert all(value("wirewatch_stage_seconds_count", {"stage": s}) == 0 for s in STAGES)
    for operation in REDIS_OPERATIONS:
        assert value("wirewatch_redis_errors_total", {"operation": operation}) == 0
    assert set(ALERT_KINDS) >= {"story.emerging", "figures.conflict"}
    assert value("process_resident_memory_bytes") is not None
    assert value("process_cpu_seconds_total") is not None


def test_the_label_values_the_code_uses_are_the_known_ones() -> None:
    # A new stage or Redis operation in the pipeline or store must be added to metrics.py, or
    # its series would not exist until its first use (and panels would show "No data").
    import re
    from pathlib import Path

    from workers.metrics import REDIS_OPERATIONS, STAGES

    workers = Path(__file__).resolve().parents[2] / "workers"
    source = "\n".join(p.read_text() for p in workers.glob("*.py"))
    stages = set(re.findall(r'stage_seconds\.labels\(\s*"([a-z_]+)"', source))
    operations = set(re.findall(r'_timed\(\s*"([a-z_]+)"', source))
    assert stages and operations
    assert stages <= set(STAGES), stages - set(STAGES)
    assert operations <= set(REDIS_OPERATIONS), operations - set(REDIS_OPERATIONS)


def test_throughput_summary_counts_since_the_last_line() -> None:
    from workers.metrics import ThroughputSummary

    metrics = Metrics.create(CollectorRegistry())
    summary = ThroughputSummary(metrics)
    metrics.articles_processed.inc(4)
    assert summary.line(100.0) == (
        "throughput since start: 4 article(s) processed, 0 dead-lettered, 0 alert(s); "
        "lag 0 message(s); total 4 processed"
    )
    metrics.articles_processed.inc(120)
    metrics.articles_deadlettered.labels("not_json").inc(2)
    metrics.alerts_published.labels("story.emerging").inc()
    metrics.set_lag("articles", 0, 7)
    assert summary.line(160.0) == (
        "throughput last 60s: 120 article(s) processed (2.0/s), 2 dead-lettered, 1 alert(s); "
        "lag 7 message(s); total 124 processed"
    )


def test_status_shows_a_worker_that_stopped_consuming() -> None:
    ready = json.loads(
        '{"ready": false, "redis": true, "broker": true, "assignment": true, "consuming": false,'
        ' "errors": {"consuming": "stopped consuming: 5 processing failures in a row"}}'
    )
    text = cli.render_status("http://127.0.0.1:9464", ready, None, now=0.0)
    assert text.splitlines()[-1] == (
        "  consuming   FAIL  stopped consuming: 5 processing failures in a row"
    )
