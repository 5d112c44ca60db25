"""The pipeline in-process with a recording sink: for failure-path tests and for the
undisturbed baseline the fault tests and the fault benchmark compare against."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from config.settings import Settings
from detectors.emerging import EmergingStoryDetector
from detectors.matching import StoryMatcher
from detectors.signature import SignatureExtractor
from topics import Alert, DeadLetter, Signature
from workers.app import FIGURE_DETECTORS, build_extractor, build_matcher, build_memory
from workers.metrics import Metrics
from workers.pipeline import Ack, ArticlePipeline, Inbound, SinkUnavailable
from workers.policy import RetryPolicy
from workers.store import StoryStore

SETTINGS = Settings()


@cache
def extractor() -> SignatureExtractor:
    return build_extractor(SETTINGS)


@cache
def matcher() -> StoryMatcher:
    return build_matcher(SETTINGS)


async def _acknowledged() -> None:
    return None


@dataclass
class RecordingSink:
    """Keeps what the pipeline publishes; `faults` holds errors to raise, per call, in order.

    A record is kept when it is handed over (the broker takes it at once); the ack the
    pipeline awaits completes immediately."""

    signatures: list[Signature] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    keys: list[bytes | None] = field(default_factory=list)
    faults: dict[str, list[BaseException]] = field(default_factory=dict)

    def _fault(self, what: str) -> None:
        pending = self.faults.get(what)
        if pending:
            raise pending.pop(0)

    async def signature(self, article_id: str, value: bytes) -> Ack:
        self._fault("signature")
        signature = Signature.model_validate_json(value)
        assert signature.article_id == article_id
        self.signatures.append(signature)
        return _acknowledged()

    async def alert(self, alert: Alert) -> Ack:
        self._fault("alert")
        self.alerts.append(alert)
        return _acknowledged()

    async def deadletter(self, letter: DeadLetter, key: bytes | None) -> Ack:
        self._fault("deadletter")
        # What the broker would be sent must fit under the producer's limit.
        assert len(letter.model_dump_json().encode()) < SETTINGS.max_message_bytes
        self.letters.append(letter)
        self.keys.append(key)
        return _acknowledged()


async def no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


def make_pipeline(store: StoryStore, sink: Any, **overrides: Any) -> ArticlePipeline:
    """The worker's pipeline with the worker's defaults; retries do not really wait."""
    options: dict[str, Any] = {
        "extractor": extractor(),
        "store": store,
        "sink": sink,
        "metrics": Metrics.create(),
        "matcher": matcher(),
        "memory": build_memory(SETTINGS),
        "emerging": EmergingStoryDetector(),
        "figures": FIGURE_DETECTORS,
        "sleep": no_wait,
        "redis_retry": RetryPolicy(
            "redis", (RedisConnectionError, RedisTimeoutError), sleep=no_wait
        ),
        "state_retry": RetryPolicy(
            "story update", (RedisError, ValueError, KeyError), attempts=3, sleep=no_wait
        ),
        "sink_retry": RetryPolicy("publish", (SinkUnavailable,), sleep=no_wait),
    }
    options.update(overrides)
    return ArticlePipeline(**options)


async def undisturbed_alert_ids(
    redis_url: str, prefix: str, partitions: Sequence[Sequence[bytes]]
) -> list[str]:
    """The alert ids one undisturbed worker sends, partition after partition, in order."""
    client = Redis.from_url(redis_url)
    store = StoryStore(client, Metrics.create(), prefix=prefix)
    sink = RecordingSink()
    pipeline = make_pipeline(store, sink, clock=lambda: datetime.now(UTC))
    for p, values in enumerate(partitions):
        for offset, value in enumerate(values):
            await pipeline.handle(Inbound(value, None, {}, "articles", p, offset))
    await client.aclose()
    return [a.id for a in sink.alerts]
