"""Every Prometheus metric the worker exports, created in one place per registry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import get_args

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

from topics.alerts import AlertKind
from topics.deadletters import PROCESSING_REASONS, REASONS

# The closed sets behind each label. Series for all of them exist at zero from the start, so
# a panel shows 0 rather than "No data" and increase() sees the first burst of dead letters.
ALERT_KINDS: tuple[str, ...] = get_args(AlertKind)
STAGES = ("extract", "publish_signature", "match", "update_state", "detect")
REDIS_OPERATIONS = (
    "ping",
    "get_article",
    "claim_article",
    "final_story",
    "candidates",
    "recall",
    "remember",
    "index",
    "add_article",
    "absorb",
    "snapshot",
    "furniture_known",
    "furniture_observe",
    "claim_alert",
    "alert_sent",
    "adopt_alerts",
    "mark_emerging",
    "counts",
    "replay_done",
    "read_index",
    "read_stories",
    "claim_articles",
    "write_batch",
    "recheck",
    "claim_alerts",
    "alerts_sent",
)
# Kafka requests the worker's clients make, by API (what `broker requests per article` counts).
BROKER_REQUESTS = (
    "produce",
    "fetch",
    "offset_commit",
    "heartbeat",
    "metadata",
    "other",
)
# Articles per batch: one at a time up to a full default batch.
_BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

# Latency buckets in seconds: extraction is milliseconds, Redis sub-millisecond on loopback,
# event-time to alert can be minutes when replaying or lagging.
_FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_LAG_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)


@dataclass(frozen=True)
class Metrics:
    """The worker's metrics. Label values are bounded: reasons, kinds, stages, topics."""

    registry: CollectorRegistry
    articles_consumed: Counter
    articles_processed: Counter
    articles_deadlettered: Counter
    signatures_published: Counter
    alerts_published: Counter
    extraction_seconds: Histogram
    stage_seconds: Histogram
    processing_seconds: Histogram
    event_to_alert_seconds: Histogram
    redis_seconds: Histogram
    redis_errors: Counter
    active_stories: Gauge
    emerging_stories: Gauge
    consumer_lag: Gauge
    last_article_timestamp: Gauge
    up: Gauge
    # Failure handling (issue 12).
    processing_failures: Counter
    halted: Gauge
    broker_topics_missing: Gauge
    records_refetched: Counter
    # Throughput (issue 11).
    redis_round_trips: Counter
    broker_requests: Counter
    batch_articles: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry | None = None) -> Metrics:
        reg = registry if registry is not None else CollectorRegistry()
        # The default collectors (process_* memory/CPU/fds, python_info, python_gc_*) on our
        # own registry: an OOM-killed worker's memory curve is on the dashboard.
        ProcessCollector(registry=reg)
        PlatformCollector(registry=reg)
        GCCollector(registry=reg)
        metrics = cls(
            registry=reg,
            articles_consumed=Counter(
                "wirewatch_articles_consumed_total",
                "Messages read from the articles topic.",
                registry=reg,
            ),
            articles_processed=Counter(
                "wirewatch_articles_processed_total",
                "Articles that ended as a signature with story state updated.",
                registry=reg,
            ),
            articles_deadlettered=Counter(
                "wirewatch_articles_deadlettered_total",
                "Articles sent to the dead-letter topic, by reason.",
                ["reason"],
                registry=reg,
            ),
            signatures_published=Counter(
                "wirewatch_signatures_published_total",
                "Signature records published.",
                registry=reg,
            ),
            alerts_published=Counter(
                "wirewatch_alerts_published_total",
                "Alerts published, by kind.",
                ["kind"],
                registry=reg,
            ),
            extraction_seconds=Histogram(
                "wirewatch_extraction_seconds",
                "Time to extract one article's signature.",
                buckets=_FAST_BUCKETS,
                registry=reg,
            ),
            stage_seconds=Histogram(
                "wirewatch_stage_seconds",
                "Time per pipeline stage for one article.",
                ["stage"],
                buckets=_FAST_BUCKETS,
                registry=reg,
            ),
            processing_seconds=Histogram(
                "wirewatch_processing_seconds",
                "Wall time from consuming an article to finishing it.",
                buckets=_FAST_BUCKETS,
                registry=reg,
            ),
            event_to_alert_seconds=Histogram(
                "wirewatch_event_to_alert_seconds",
                "Wall clock at alert publish minus the triggering article's published_at.",
                buckets=_LAG_BUCKETS,
                registry=reg,
            ),
            redis_seconds=Histogram(
                "wirewatch_redis_seconds",
                "Latency of Redis operations, by operation.",
                ["operation"],
                buckets=_FAST_BUCKETS,
                registry=reg,
            ),
            redis_errors=Counter(
                "wirewatch_redis_errors_total",
                "Redis operations that failed, by operation.",
                ["operation"],
                registry=reg,
            ),
            active_stories=Gauge(
                "wirewatch_active_stories",
                "Stories with activity inside the story window (event time).",
                registry=reg,
            ),
            emerging_stories=Gauge(
                "wirewatch_emerging_stories",
                "Active stories that have crossed the emerging threshold.",
                registry=reg,
            ),
            consumer_lag=Gauge(
                "wirewatch_consumer_lag_messages",
                "Messages behind the partition high watermark, per assigned partition.",
                ["topic", "partition"],
                registry=reg,
            ),
            last_article_timestamp=Gauge(
                "wirewatch_last_article_timestamp_seconds",
                "Unix time (wall clock) when the worker last consumed an article.",
                registry=reg,
            ),
            up=Gauge(
                "wirewatch_worker_ready",
                "1 when the worker has its broker, Redis and a partition assignment.",
                registry=reg,
            ),
            processing_failures=Counter(
                "wirewatch_processing_failures_total",
                "Articles the pipeline itself could not finish (a bug or state), by reason.",
                ["reason"],
                registry=reg,
            ),
            halted=Gauge(
                "wirewatch_worker_halted",
                "1 when the worker stopped consuming (too many failures in a row, or the "
                "dead-letter topic refused a record); /readyz says why.",
                registry=reg,
            ),
            broker_topics_missing=Gauge(
                "wirewatch_broker_topics_missing",
                "Topics the broker answers it does not have (it lost them).",
                registry=reg,
            ),
            records_refetched=Counter(
                "wirewatch_records_refetched_total",
                "Fetched batches faust dropped in a rebalance, sought back to be read again.",
                registry=reg,
            ),
            redis_round_trips=Counter(
                "wirewatch_redis_round_trips_total",
                "Round trips to Redis (one command or one pipeline each); divide by articles "
                "consumed for the cost per article.",
                registry=reg,
            ),
            broker_requests=Counter(
                "wirewatch_broker_requests_total",
                "Requests the worker's Kafka clients sent, by API.",
                ["request"],
                registry=reg,
            ),
            batch_articles=Histogram(
                "wirewatch_batch_articles",
                "Messages per batch the worker took from the articles topic.",
                buckets=_BATCH_BUCKETS,
                registry=reg,
            ),
        )
        metrics._initialise_labels()
        return metrics

    def _initialise_labels(self) -> None:
        for reason in REASONS:
            self.articles_deadlettered.labels(reason)
        for failure in PROCESSING_REASONS:
            self.processing_failures.labels(failure)
        for kind in ALERT_KINDS:
            self.alerts_published.labels(kind)
        for stage in STAGES:
            self.stage_seconds.labels(stage)
        for operation in REDIS_OPERATIONS:
            self.redis_errors.labels(operation)
            self.redis_seconds.labels(operation)
        for request in BROKER_REQUESTS:
            self.broker_requests.labels(request)

    def set_lag(self, topic: str, partition: int, lag: int) -> None:
        self.consumer_lag.labels(topic, str(partition)).set(lag)

    def retain_lag(self, assigned: Iterable[tuple[str, int]]) -> None:
        """Drop lag series for partitions this worker no longer owns (revoked in a rebalance):
        a stale series would hold its last value and keep the lag alert firing."""
        keep = {(topic, str(partition)) for topic, partition in assigned}
        for labels in self._lag_labels():
            if labels not in keep:
                self.consumer_lag.remove(*labels)

    def forget_lag(self, revoked: Iterable[tuple[str, int]]) -> None:
        gone = {(topic, str(partition)) for topic, partition in revoked}
        for labels in self._lag_labels():
            if labels in gone:
                self.consumer_lag.remove(*labels)

    def _lag_labels(self) -> list[tuple[str, str]]:
        return [
            (sample.labels["topic"], sample.labels["partition"])
            for family in self.consumer_lag.collect()
            for sample in family.samples
        ]


@dataclass
class ThroughputSummary:
    """The periodic one-line throughput summary `wirewatch run` logs, from the counters."""

    metrics: Metrics
    _last: tuple[float, float, float, float] | None = field(default=None, init=False)

    def _totals(self) -> tuple[float, float, float]:
        def total(counter: Counter) -> float:
            return sum(
                sample.value
                for family in counter.collect()
                for sample in family.samples
                if sample.name.endswith("_total")
            )

        return (
            total(self.metrics.articles_processed),
            total(self.metrics.articles_deadlettered),
            total(self.metrics.alerts_published),
        )

    def line(self, now: float) -> str:
        """Counts since the previous call (or since start), the rate, and the current lag."""
        processed, dead, alerts = self._totals()
        if self._last is None:
            since, was = None, (0.0, 0.0, 0.0)
        else:
            since, was = self._last[0], self._last[1:]
        self._last = (now, processed, dead, alerts)
        lag = sum(
            sample.value
            for family in self.metrics.consumer_lag.collect()
            for sample in family.samples
        )
        done = processed - was[0]
        window = f"last {now - since:.0f}s" if since is not None else "since start"
        rate = f" ({done / (now - since):.1f}/s)" if since is not None and now > since else ""
        return (
            f"throughput {window}: {done:g} article(s) processed{rate}, "
            f"{dead - was[1]:g} dead-lettered, {alerts - was[2]:g} alert(s); "
            f"lag {lag:g} message(s); total {processed:g} processed"
        )
