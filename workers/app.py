"""The faust app: built by a factory from one settings object, with one thin agent."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import faust
from aiohttp import web
from aiokafka.errors import KafkaError, KafkaTimeoutError
from prometheus_client.aiohttp import make_aiohttp_handler
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from config.settings import Settings
from config.tables import TableError, load_tables
from detectors.conflicts import FigureConflictDetector, FigureUpdateDetector
from detectors.disputes import FigureDisputeDetector
from detectors.emerging import EmergingStoryDetector
from detectors.inconsistency import FigureInconsistencyDetector
from detectors.matching import MatchWeights, StoryMatcher
from detectors.memory import LongMemory
from detectors.signature import SignatureExtractor
from detectors.story import StoryDetector
from topics import ALERTS, ARTICLES, DEADLETTERS, SIGNATURES, Alert, DeadLetter
from workers import broker_requests, faust_fixes
from workers.extraction_pool import ExtractionPool, default_processes
from workers.lexicon_cache import load_lexicon
from workers.metrics import Metrics, ThroughputSummary
from workers.pipeline import Ack, ArticlePipeline, Inbound, SinkUnavailable
from workers.policy import DlqLimit, RetryPolicy
from workers.security import describe_security, faust_credentials, redis_options
from workers.store import StoryStore

log = logging.getLogger(__name__)

# Readiness: each probe gets this long; the broker's answer is reused for BROKER_CHECK_TTL_S so
# frequent scrapes and probes do not each cost a metadata request.
CHECK_TIMEOUT_S = 2.0
BROKER_CHECK_TTL_S = 5.0
# The broker answers but no longer has our topics (it lost its data): after this many checks
# in a row, TOPIC_CHECK_INTERVAL_S apart, the worker exits non-zero for its supervisor.
TOPIC_CHECK_INTERVAL_S = 5.0
TOPIC_MISSES_TO_EXIT = 3


def broker_urls(kafka_url: str) -> list[str]:
    """'kafka://a:9092,b:9092' or 'a:9092,b:9092' -> faust's list of kafka:// URLs."""
    hosts = kafka_url.removeprefix("kafka://").replace(";", ",").split(",")
    return [f"kafka://{h.strip().removeprefix('kafka://')}" for h in hosts if h.strip()]


def bootstrap_servers(kafka_url: str) -> list[str]:
    """The same URL as host:port strings for kafka-python clients."""
    return [u.removeprefix("kafka://") for u in broker_urls(kafka_url)]


class FaustSink:
    """Hands results to the app's producer; each call returns the broker's acknowledgement to
    await (a batch's records are sent together and awaited once).

    Errors the broker says will pass (a leader moving, a timeout, no connection) are raised
    as SinkUnavailable, which the pipeline waits out; the rest are raised as they are.
    """

    def __init__(self, signatures: Any, alerts: Any, deadletters: Any) -> None:
        self._signatures = signatures
        self._alerts = alerts
        self._deadletters = deadletters

    async def signature(self, article_id: str, value: bytes) -> Ack:
        return await _send(self._signatures, key=article_id.encode(), value=value)

    async def alert(self, alert: Alert) -> Ack:
        # Keyed by story: one story's alerts stay in order on one partition.
        return await _send(
            self._alerts,
            key=alert.story_id.encode(),
            value=alert.model_dump_json().encode(),
            headers={
                "wirewatch-alert-id": alert.id.encode(),
                "wirewatch-kind": alert.kind.encode(),
            },
        )

    async def deadletter(self, letter: DeadLetter, key: bytes | None) -> Ack:
        return await _send(
            self._deadletters,
            key=key,
            value=letter.model_dump_json().encode(),
            headers={"wirewatch-reason": letter.reason.encode()},
        )


def _unavailable(exc: KafkaError) -> Exception:
    if exc.retriable or isinstance(exc, KafkaTimeoutError):
        return SinkUnavailable(f"{type(exc).__name__}: {exc}")
    return exc


async def _send(topic: Any, **record: Any) -> Ack:
    try:
        fut = await topic.send(**record)
    except KafkaError as exc:
        raise _unavailable(exc) from exc
    return _acknowledged(fut)


async def _acknowledged(fut: Any) -> None:
    try:
        await fut
    except KafkaError as exc:
        raise _unavailable(exc) from exc


@dataclass
class BrokerCheck:
    """The last broker probe: did a metadata request succeed, when, and why not."""

    ok: bool = False
    checked_at: float = float("-inf")  # time.monotonic()
    error: str | None = "not checked yet"


@dataclass
class Worker:
    """What create_app builds: the faust app and the parts tests and the CLI need to reach."""

    app: faust.App
    settings: Settings
    metrics: Metrics
    redis: Redis
    store: StoryStore
    pipeline: ArticlePipeline | None = None
    broker_check: BrokerCheck = field(default_factory=BrokerCheck)
    # Topics the broker said it does not have, at the last check, and for how many in a row.
    missing_topics: tuple[str, ...] = ()
    topic_misses: int = 0


def build_extractor(settings: Settings) -> SignatureExtractor:
    return SignatureExtractor(
        load_lexicon(settings.tables_dir, settings.lexicon_cache_path),
        max_sentence_chars=settings.max_sentence_chars,
    )


def build_extraction(settings: Settings) -> ExtractionPool:
    """The extraction pool: WIREWATCH_EXTRACTION_PROCESSES processes (default: the cores this
    process may use), or extraction in the worker's own process when that is 1."""
    processes = settings.extraction_processes or default_processes()
    if processes <= 1:
        return ExtractionPool.in_process(build_extractor(settings))
    return ExtractionPool(
        processes=processes,
        tables_dir=settings.tables_dir,
        cache_dir=settings.lexicon_cache_path,
        max_sentence_chars=settings.max_sentence_chars,
    )


# Figure alerts, in the order their findings are sent for one article.
FIGURE_DETECTORS: tuple[StoryDetector, ...] = (
    FigureConflictDetector(),
    FigureUpdateDetector(),
    FigureDisputeDetector(),
    FigureInconsistencyDetector(),
)


def build_matcher(settings: Settings) -> StoryMatcher:
    weights = load_tables(settings.tables_dir)["matching"].get("weights", {})
    try:
        model = MatchWeights.from_mapping(weights)
    except ValueError as exc:
        raise TableError(f"{settings.tables_dir / 'matching.toml'}: {exc}") from exc
    return StoryMatcher(
        threshold=settings.match_threshold,
        window=timedelta(hours=settings.story_window_hours),
        merge_threshold=settings.match_merge_threshold,
        weights=model,
    )


def build_memory(settings: Settings) -> LongMemory | None:
    """Long memory for follow-ups, unless WIREWATCH_STORY_MEMORY_DAYS is 0."""
    if settings.story_memory_days <= 0:
        return None
    return LongMemory(horizon=timedelta(days=settings.story_memory_days))


def create_app(
    settings: Settings, *, metrics: Metrics | None = None, datadir: str | None = None
) -> Worker:
    """Build a worker from settings whose kafka_url and redis_url are set (embedded or not)."""
    if settings.kafka_url is None or settings.redis_url is None:
        raise ValueError("create_app needs kafka_url and redis_url; the CLI resolves embedded ones")
    metrics = metrics or Metrics.create()
    # Records dropped in a rebalance are fetched again even with nothing committed yet.
    faust_fixes.install()
    # Tables and the gazetteer (seconds of CPU) load before the worker joins its group: done
    # in a start-up task they blocked the event loop through the first rebalance, so heartbeats
    # and the partition recovery ran late. Bad tables also stop the worker before it joins.
    extraction = build_extraction(settings)
    matcher = build_matcher(settings)
    app = faust.App(
        settings.app_id,
        broker=broker_urls(settings.kafka_url),
        web_enabled=False,
        autodiscover=False,
        store="memory://",
        datadir=datadir or tempfile.mkdtemp(prefix="wirewatch-faust-"),
        # Topics are created up front by `wirewatch create-topics`; never implicitly.
        topic_allow_declare=False,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.heartbeat_interval_s,
        processing_guarantee=settings.processing_guarantee,
        producer_acks=-1,
        # The limit dead letters and signatures are built to fit under (settings).
        producer_max_request_size=settings.max_message_bytes,
        broker_credentials=faust_credentials(settings),
    )
    articles = app.topic(settings.topic(ARTICLES), key_serializer="raw", value_serializer="raw")
    signatures = app.topic(settings.topic(SIGNATURES), key_serializer="raw", value_serializer="raw")
    alerts = app.topic(settings.topic(ALERTS), key_serializer="raw", value_serializer="raw")
    deadletters = app.topic(
        settings.topic(DEADLETTERS), key_serializer="raw", value_serializer="raw"
    )

    redis = Redis.from_url(
        settings.redis_url.get_secret_value(),
        socket_timeout=5.0,
        socket_connect_timeout=5.0,
        health_check_interval=30,
        **redis_options(settings),
    )
    store = StoryStore(
        redis,
        metrics,
        prefix=settings.redis_prefix,
        ttl_seconds=int(settings.story_window_hours * 3600),
        memory_ttl_seconds=max(1, int(settings.story_memory_days * 86400)),
    )
    worker = Worker(app=app, settings=settings, metrics=metrics, redis=redis, store=store)
    pipeline = ArticlePipeline(
        extraction=extraction,
        store=store,
        sink=FaustSink(signatures, alerts, deadletters),
        metrics=metrics,
        matcher=matcher,
        emerging=EmergingStoryDetector(
            min_sources=settings.emerging_min_sources,
            window=timedelta(hours=settings.emerging_window_hours),
            escalation_factor=settings.emerging_escalation_factor,
            escalation_min_extra=settings.emerging_escalation_min_extra,
            quiet_after=timedelta(hours=settings.emerging_quiet_hours),
        ),
        figures=FIGURE_DETECTORS,
        max_article_bytes=settings.max_article_bytes,
        max_message_bytes=settings.max_message_bytes,
        story_window=timedelta(hours=settings.story_window_hours),
        memory=build_memory(settings),
        published_at_floor=settings.published_at_floor,
        published_at_max_skew=timedelta(hours=settings.published_at_max_skew_hours),
        state_retry=RetryPolicy(
            "story update",
            (RedisError, ValueError, KeyError),
            attempts=settings.state_attempts,
            max_backoff_s=settings.retry_max_backoff_s,
        ),
        redis_retry=RetryPolicy(
            "redis",
            (RedisConnectionError, RedisTimeoutError),
            max_backoff_s=settings.retry_max_backoff_s,
        ),
        sink_retry=RetryPolicy(
            "publish", (SinkUnavailable,), max_backoff_s=settings.retry_max_backoff_s
        ),
        dlq_limit=DlqLimit(settings.max_consecutive_internal_errors),
        alert_lease=timedelta(seconds=settings.alert_lease_s),
    )
    worker.pipeline = pipeline
    setattr(app, faust_fixes.REFETCH_HOOK, metrics.records_refetched.inc)
    broker_requests.install(metrics.broker_requests)

    # Pool processes load their tables now, before the worker joins its group.
    extraction.start_sync()

    async def close_pool(_app: Any, **_kwargs: Any) -> None:
        extraction.close()

    # mode types handlers with mypy_extensions VarArg/NamedArg, which mypy cannot match here.
    app.on_before_shutdown.connect(close_pool)  # type: ignore[arg-type]

    @app.task
    async def start_up() -> None:
        log.info("security: %s", describe_security(settings))
        if settings.metrics_port:
            await _serve_http(worker)

    @app.agent(articles, name="process_articles")
    async def process_articles(stream: faust.StreamT) -> None:
        # Up to batch_size messages, or what arrived within batch_wait_ms: a lone article
        # waits at most that long. noack_take leaves acknowledging to us: a message is
        # acknowledged only once its outcome is, and never past a halt.
        wait = settings.batch_wait_ms / 1000
        # StreamT does not declare noack_take; faust.Stream (what the agent gets) has it.
        take = stream.noack_take  # type: ignore[attr-defined]
        async for events in take(settings.batch_size, within=wait):
            # The pipeline never raises: every message ends as a signature or a dead letter,
            # or the pipeline halts before it. An exception escaping here would make faust
            # restart the agent past the batch, losing it.
            result = await pipeline.handle_batch([_inbound(e.message) for e in events])
            finished = events[: len(result.outcomes)]
            for event in finished:  # in order: faust commits up to the first gap
                await stream.ack(event)
            if result.commit_now:
                # A processing failure is committed at once: redelivered after a crash, it
                # could succeed and end with a second outcome. Before a halt, so is all that
                # finished.
                await app.consumer.commit()
            last = {e.message.tp: e.message.offset for e in finished}
            for tp, offset in last.items():
                _observe_lag(worker, tp, offset)
            if result.halted:
                await pipeline.park()

    async def forget_revoked_lag(_app: Any, *args: Any, signal: Any, **_kwargs: Any) -> None:
        # faust sends (app, revoked_set). Another worker owns these partitions now and reports
        # their lag; a series left here would hold its last value and keep alerts firing.
        revoked: Set[Any] = args[0] if args else set()
        worker.metrics.forget_lag((tp.topic, tp.partition) for tp in revoked)

    # mode types handlers with mypy_extensions VarArg/NamedArg, which mypy cannot match here.
    app.on_partitions_revoked.connect(forget_revoked_lag)  # type: ignore[arg-type]

    if settings.summary_interval_s:
        summary = ThroughputSummary(metrics)

        @app.timer(interval=settings.summary_interval_s)
        async def log_throughput() -> None:
            # The operator's "is it keeping up?" without Prometheus: one line per interval.
            log.info("%s", summary.line(time.monotonic()))

    @app.timer(interval=10.0)
    async def refresh_story_gauges() -> None:
        # Counting stories costs a Redis round trip; every 10 s is plenty for a dashboard.
        if worker.pipeline is not None:
            try:
                await worker.pipeline.refresh_gauges()
            except RedisError as exc:
                log.warning("story gauges not refreshed: %s", exc)

    @app.timer(interval=TOPIC_CHECK_INTERVAL_S)
    async def watch_topics() -> None:
        # A broker that lost its data answers metadata without our topics; the consumer then
        # fails every commit and, once they are recreated, may skip offsets. Say so, and exit
        # for the supervisor, which restarts us against the recreated topics.
        missing = await _missing_topics(worker, (articles, signatures, alerts, deadletters))
        if missing is None:
            return  # no answer: the broker check reports that
        worker.missing_topics = missing
        worker.topic_misses = worker.topic_misses + 1 if missing else 0
        worker.metrics.broker_topics_missing.set(len(missing))
        if not missing:
            return
        log.error("the broker has no topic(s) %s (check %d of %d)",
                  ", ".join(missing), worker.topic_misses, TOPIC_MISSES_TO_EXIT)  # fmt: skip
        if worker.topic_misses >= TOPIC_MISSES_TO_EXIT:
            log.critical(
                "the broker lost topic(s) %s: exiting so the worker restarts against the "
                "recreated topics (`wirewatch create-topics`); see docs/runbook.md",
                ", ".join(missing),
            )
            await worker.app.crash(BrokerLostTopics(missing))

    @app.timer(interval=10.0)
    async def refresh_lag() -> None:
        # Per-message updates miss a stalled worker; refresh from the fetcher's view too.
        try:
            assignment = worker.app.consumer.assignment()
        except Exception:
            return
        mine = [tp for tp in assignment if tp.topic == articles.get_topic_name()]
        for tp in mine:
            position = await worker.app.consumer.position(tp)
            if position is not None:
                _observe_lag(worker, tp, position - 1)
        # Set first, then prune: a scrape in between never sees an owned partition vanish.
        worker.metrics.retain_lag((tp.topic, tp.partition) for tp in mine)

    return worker


def _inbound(message: Any) -> Inbound:
    headers = message.headers or []
    return Inbound(
        value=message.value,
        key=message.key,
        headers=dict(headers.items() if isinstance(headers, dict) else headers),
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
    )


class BrokerLostTopics(RuntimeError):
    """The broker answers but does not have the worker's topics any more."""

    def __init__(self, missing: tuple[str, ...]) -> None:
        super().__init__(f"the broker lost topic(s): {', '.join(missing)}")
        self.missing = missing


async def _missing_topics(worker: Worker, topics: tuple[Any, ...]) -> tuple[str, ...] | None:
    """Our topics the broker's metadata lacks; None when the broker did not answer."""
    client = _producer_client(worker.app)
    if client is None:
        return None
    try:
        metadata = await asyncio.wait_for(client.fetch_all_metadata(), CHECK_TIMEOUT_S)
    except Exception:
        return None
    if not metadata.brokers():
        return None
    known = set(metadata.topics())
    return tuple(sorted(name for t in topics if (name := t.get_topic_name()) not in known))


def _observe_lag(worker: Worker, tp: Any, offset: int) -> None:
    try:
        high = worker.app.consumer.highwater(tp)
    except Exception:  # lag is best effort; never fail an article over a metric
        return
    if high is not None:
        lag = max(0, int(high) - offset - 1)
        worker.metrics.set_lag(tp.topic, tp.partition, lag)


@dataclass(frozen=True)
class Readiness:
    """The answer /readyz gives: each check, and for a failed one, why (no secrets)."""

    redis: bool
    broker: bool
    assignment: bool
    errors: dict[str, str]
    # False once the pipeline stopped consuming (DlqLimit, or no way to dead-letter).
    consuming: bool = True

    @property
    def ready(self) -> bool:
        return self.redis and self.broker and self.assignment and self.consuming

    def as_json(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "redis": self.redis,
            "broker": self.broker,
            "assignment": self.assignment,
            "consuming": self.consuming,
            "errors": self.errors,
        }


async def readiness(worker: Worker) -> Readiness:
    """Probe Redis and the broker without blocking the loop; read the assignment."""
    errors: dict[str, str] = {}
    redis_ok, broker_ok = await asyncio.gather(_redis_ok(worker), _broker_ok(worker))
    if not redis_ok[0]:
        errors["redis"] = redis_ok[1]
    if not broker_ok:
        errors["broker"] = worker.broker_check.error or "unreachable"
    elif worker.missing_topics:
        broker_ok = False
        errors["broker"] = f"the broker has no topic(s) {', '.join(worker.missing_topics)}"
    halted = worker.pipeline.halted if worker.pipeline is not None else None
    if halted:
        errors["consuming"] = f"stopped consuming: {halted}"
    try:
        assigned = bool(worker.app.consumer.assignment())
    except Exception as exc:
        assigned = False
        errors["assignment"] = _reason(exc)
    else:
        if not assigned:
            errors["assignment"] = "no partitions assigned (joining the group, or idle replica)"
        elif worker.app.rebalancing:
            # Until faust has sought and resumed its partitions, it is not consuming them.
            assigned = False
            errors["assignment"] = "rebalancing: partitions are being reassigned"
    result = Readiness(
        redis=redis_ok[0],
        broker=broker_ok,
        assignment=assigned,
        errors=errors,
        consuming=not halted,
    )
    worker.metrics.up.set(1 if result.ready else 0)
    return result


async def _redis_ok(worker: Worker) -> tuple[bool, str]:
    try:
        return bool(await asyncio.wait_for(worker.redis.ping(), CHECK_TIMEOUT_S)), ""
    except Exception as exc:
        return False, _reason(exc)


async def _broker_ok(worker: Worker) -> bool:
    """A cluster metadata round trip on the producer's own connection (same credentials)."""
    check = worker.broker_check
    now = time.monotonic()
    if now - check.checked_at < BROKER_CHECK_TTL_S:
        return check.ok
    client = _producer_client(worker.app)
    if client is None:
        ok, error = False, "producer not started"
    else:
        try:
            await asyncio.wait_for(client.fetch_all_metadata(), CHECK_TIMEOUT_S)
            ok, error = True, None
        except Exception as exc:
            ok, error = False, _reason(exc)
    worker.broker_check = BrokerCheck(ok=ok, checked_at=time.monotonic(), error=error)
    return ok


def _producer_client(app: faust.App) -> Any:
    # faust has no public "is the cluster there" call; its producer's aiokafka client does.
    # Reached through a private attribute, so any surprise reads as "not reachable".
    producer = getattr(app.producer, "_producer", None)
    return getattr(producer, "client", None)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {CHECK_TIMEOUT_S:g}s"
    return f"{type(exc).__name__}: {exc}"[:200]


async def _serve_http(worker: Worker) -> None:
    exposition = make_aiohttp_handler(worker.metrics.registry)

    async def metrics_view(request: web.Request) -> web.StreamResponse:
        # Readiness first, so wirewatch_worker_ready in this scrape is current; then
        # prometheus_client's own handler (content negotiation, OpenMetrics, gzip).
        await readiness(worker)
        return await exposition(request)

    async def live(_: web.Request) -> web.Response:
        return web.json_response({"live": True})

    async def ready(_: web.Request) -> web.Response:
        result = await readiness(worker)
        return web.json_response(result.as_json(), status=200 if result.ready else 503)

    http = web.Application()
    http.add_routes(
        [web.get("/metrics", metrics_view), web.get("/healthz", live), web.get("/readyz", ready)]
    )
    runner = web.AppRunner(http, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, worker.settings.metrics_host, worker.settings.metrics_port)
    await site.start()
    log.info(
        "metrics on http://%s:%d/metrics",
        worker.settings.metrics_host,
        worker.settings.metrics_port,
    )
