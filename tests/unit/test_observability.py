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


def test_status_shows_a_worker_that_stopped_consuming() -> None:
    ready = json.loads(
        '{"ready": false, "redis": true, "broker": true, "assignment": true, "consuming": false,'
        ' "errors": {"consuming": "stopped consuming: 5 processing failures in a row"}}'
    )
    text = cli.render_status("http://127.0.0.1:9464", ready, None, now=0.0)
    assert text.splitlines()[-1] == (
        "  consuming   FAIL  stopped consuming: 5 processing failures in a row"
    )
