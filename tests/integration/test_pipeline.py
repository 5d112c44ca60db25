"""The pipeline through its public interface (handle), with a recording sink and the real store.

Every failure path ends as exactly one outcome per message: a signature, or one dead letter
with a named reason; a message that can have neither is never acknowledged (the pipeline
parks and says why). These tests drive `ArticlePipeline.handle`, so they keep guarding the
worker whatever its batching.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from detectors.signature import SignatureExtractor
from detectors.story import Claim, Member
from tests.integration import recording
from tests.integration.recording import RecordingSink, extractor
from tests.streams.events import T0, raid_articles
from topics import Article
from workers.metrics import Metrics
from workers.pipeline import ArticlePipeline, Inbound, SinkUnavailable
from workers.policy import DlqLimit
from workers.store import Joining, Observation, StoryState, StoryStore

pytestmark = pytest.mark.services

EXTRACTOR = extractor()
# The worker's clock: a month after the stream, so nothing in it is "from the future".
NOW = T0 + timedelta(days=30)


def make_pipeline(store: StoryStore, sink: RecordingSink, **overrides: Any) -> ArticlePipeline:
    return recording.make_pipeline(store, sink, **{"clock": lambda: NOW, **overrides})


@pytest.fixture
async def store(services: Any, unique: str) -> AsyncIterator[StoryStore]:
    client = Redis.from_url(services.redis_url)
    yield StoryStore(client, Metrics.create(), prefix=f"t{unique}", ttl_seconds=3600)
    await client.aclose()


def message(value: bytes, offset: int, key: bytes | None = b"k") -> Inbound:
    return Inbound(value=value, key=key, headers={}, topic="articles", partition=0, offset=offset)


def article(aid: str, text: str, *, when: str = "2026-03-02T06:00:00+00:00", **extra: Any) -> bytes:
    doc = {"id": aid, "source": "one.example", "published_at": when, "title": f"About {aid}",
           "text": text, **extra}  # fmt: skip
    return json.dumps(doc).encode()


def outcomes(sink: RecordingSink, inputs: list[bytes]) -> dict[int, list[str]]:
    """Offset -> the outcomes it got ('signature' or 'dead:<reason>'); offsets are indexes."""
    by_id: dict[str, int] = {}
    for offset, raw in enumerate(inputs):
        try:
            by_id[json.loads(raw)["id"]] = offset
        except Exception:
            continue
    seen: dict[int, list[str]] = {offset: [] for offset in range(len(inputs))}
    for signature in sink.signatures:
        seen[by_id[signature.article_id]].append("signature")
    for letter in sink.letters:
        seen[letter.offset].append(f"dead:{letter.reason}")
    return seen


def dead(value: Metrics, reason: str) -> float:
    sample = value.registry.get_sample_value(
        "wirewatch_articles_deadlettered_total", {"reason": reason}
    )
    return sample or 0.0


async def test_hostile_inputs_among_good_ones_each_get_exactly_one_outcome(
    store: StoryStore,
) -> None:
    sink = RecordingSink()
    pipeline = make_pipeline(store, sink, max_article_bytes=300_000, max_message_bytes=200_000)
    good = raid_articles(2)
    no_stops = " ".join(f"Crews counted {n} damaged homes and {n + 3} cars" for n in range(300))
    hostile = {
        "too_large": article("big", "x" * 400_000),
        "number_too_large": b'{"id": "n", "count": ' + b"9" * 5000 + b"}",
        "too_deep": b'{"id": "d", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "published_at_out_of_range": article("far", "Later.", when="9999-12-31T23:00:00-05:00"),
        "published_at_out_of_range ": article("tomorrow", "Soon.", when=(NOW + timedelta(
            days=2)).isoformat()),
        "invalid_published_at": article("bad-date", "When?", when="yesterday"),
        "invalid_utf8": b'{"id": "u", "text": "\xff"}',
        "invalid_unicode": article("s", "x").replace(b'"x"', b'"\\ud800"'),
        "not_json": b"{",
    }  # fmt: skip
    heavy = article("heavy", no_stops)  # valid: 10 KB of figures and no full stop
    inputs = [good[0], *hostile.values(), good[1], heavy, *good[2:]]
    for offset, raw in enumerate(inputs):
        assert await pipeline.handle(message(raw, offset)) in ("processed", "deadlettered")

    got = outcomes(sink, inputs)
    assert all(len(o) == 1 for o in got.values()), got
    expected = ["signature", *(f"dead:{r.strip()}" for r in hostile), "signature", "signature"]
    expected += ["signature"] * (len(good) - 2)
    assert [o[0] for o in got.values()] == expected
    big = next(letter for letter in sink.letters if letter.reason == "too_large")
    raw_big = hostile["too_large"]
    assert big.original_truncated and big.original_bytes == len(raw_big)
    assert big.original_sha256 == hashlib.sha256(raw_big).hexdigest()
    assert raw_big.startswith(base64.b64decode(big.original_b64))
    small = next(letter for letter in sink.letters if letter.reason == "not_json")
    assert not small.original_truncated and small.original == b"{"
    signature = next(s for s in sink.signatures if s.article_id == "heavy")
    assert len(signature.model_dump_json()) < 200_000
    assert signature.counts and all(len(c.sentence) <= 500 for c in signature.counts)


async def test_an_extraction_bug_is_a_dead_letter_a_metric_and_a_log_line(
    store: StoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    class Buggy(SignatureExtractor):
        def extract(self, article: Article, known_furniture: frozenset[str] = frozenset()) -> Any:
            if "poison" in article.text:
                raise ZeroDivisionError("a bug in a rule")
            return EXTRACTOR.extract(article, known_furniture)

    sink = RecordingSink()
    metrics = Metrics.create()
    pipeline = make_pipeline(store, sink, extractor=Buggy.__new__(Buggy), metrics=metrics)
    inputs = [article("a1", "A poison sentence."), raid_articles(1)[0]]
    with caplog.at_level(logging.ERROR, logger="workers.pipeline"):
        outs = [await pipeline.handle(message(raw, i)) for i, raw in enumerate(inputs)]
    assert outs == ["failed", "processed"]
    (letter,) = sink.letters
    assert letter.reason == "extraction_failed" and letter.article_id == "a1"
    assert "ZeroDivisionError: a bug in a rule" in letter.error
    assert [s.article_id for s in sink.signatures] == ["odesa-harbourwire"]
    assert dead(metrics, "extraction_failed") == 1.0
    assert any("extraction failed for article 'a1'" in r.getMessage() for r in caplog.records)


class FlakyStore(StoryStore):
    """The real store, with faults injected into the story update (a batch's write)."""

    faults: list[BaseException]

    async def write_batch(
        self,
        joins: Mapping[str, Sequence[Joining]],
        observations: Sequence[Observation] = (),
        *,
        remember: bool = False,
    ) -> dict[str, StoryState]:
        if self.faults:
            raise self.faults.pop(0)
        return await super().write_batch(joins, observations, remember=remember)


async def _flaky(services: Any, unique: str, faults: list[BaseException]) -> FlakyStore:
    client = Redis.from_url(services.redis_url)
    flaky = FlakyStore(client, Metrics.create(), prefix=f"t{unique}", ttl_seconds=3600)
    flaky.faults = faults
    return flaky


async def test_state_errors_retry_then_dead_letter_without_a_signature(
    services: Any, unique: str
) -> None:
    flaky = await _flaky(services, unique, [KeyError("lost"), ValueError("bad"), KeyError("x")])
    sink = RecordingSink()
    pipeline = make_pipeline(flaky, sink)
    first, second = raid_articles(1)[:2]
    assert await pipeline.handle(message(first, 0)) == "failed"
    assert [letter.reason for letter in sink.letters] == ["state_failed"]
    # Never both: the article whose story update failed has no signature.
    assert sink.signatures == []
    # A Redis outage is waited out, not dead-lettered.
    flaky.faults = [RedisConnectionError("down")] * 4
    assert await pipeline.handle(message(second, 1)) == "processed"
    assert [s.article_id for s in sink.signatures] == ["odesa-coastpost"]


async def test_an_exception_anywhere_is_an_internal_error_with_key_and_offset(
    store: StoryStore,
) -> None:
    sink = RecordingSink(faults={"signature": [RuntimeError("serializer bug")]})
    pipeline = make_pipeline(store, sink)
    assert await pipeline.handle(message(raid_articles(1)[0], 7, key=b"odesa")) == "failed"
    (letter,) = sink.letters
    assert (letter.reason, letter.offset, letter.partition) == ("internal_error", 7, 0)
    assert sink.keys == [b"odesa"]
    assert sink.signatures == []


async def test_the_broker_being_unavailable_is_waited_out(store: StoryStore) -> None:
    unavailable = [SinkUnavailable("leader moving")] * 3
    sink = RecordingSink(faults={"signature": list(unavailable), "alert": list(unavailable)})
    pipeline = make_pipeline(store, sink)
    inputs = raid_articles(1)
    assert [await pipeline.handle(message(raw, i)) for i, raw in enumerate(inputs)] == [
        "processed"
    ] * 4
    assert len(sink.signatures) == 4 and sink.letters == []
    assert sorted(a.kind for a in sink.alerts) == ["figures.conflict", "story.emerging"]


async def test_too_many_failures_in_a_row_stop_consuming_without_acking(
    store: StoryStore,
) -> None:
    class Broken(SignatureExtractor):
        def extract(self, article: Article, known_furniture: frozenset[str] = frozenset()) -> Any:
            raise RuntimeError("bad deploy")

    sink = RecordingSink()
    metrics = Metrics.create()
    pipeline = make_pipeline(
        store, sink, extractor=Broken.__new__(Broken), metrics=metrics, dlq_limit=DlqLimit(3)
    )
    inputs = raid_articles(1)
    # Bad input in between neither counts nor resets the run.
    assert await pipeline.handle(message(inputs[0], 0)) == "failed"
    assert await pipeline.handle(message(b"not json", 1)) == "deadlettered"
    assert await pipeline.handle(message(inputs[1], 2)) == "failed"
    third = asyncio.ensure_future(pipeline.handle(message(inputs[2], 3)))
    while pipeline.halted is None:
        assert not third.done(), "the pipeline returned instead of stopping"
        await asyncio.sleep(0.01)
    assert not third.done()  # parked: the message is neither dead-lettered nor acknowledged
    assert [letter.offset for letter in sink.letters] == [0, 1, 2]
    assert "3 processing failures in a row" in pipeline.halted
    assert "bad deploy" in pipeline.halted
    assert metrics.registry.get_sample_value("wirewatch_worker_halted") == 1.0
    third.cancel()
    with pytest.raises(asyncio.CancelledError):
        await third


async def test_a_dead_letter_the_broker_refuses_stops_consuming(store: StoryStore) -> None:
    sink = RecordingSink(faults={"deadletter": [RuntimeError("MessageSizeTooLargeError")]})
    pipeline = make_pipeline(store, sink)
    task = asyncio.ensure_future(pipeline.handle(message(b"not json", 0)))
    while pipeline.halted is None:
        assert not task.done(), "a message with no outcome was acknowledged"
        await asyncio.sleep(0.01)
    assert "dead-letter topic refused a record" in pipeline.halted
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_one_far_future_article_does_not_empty_the_story_index(store: StoryStore) -> None:
    sink = RecordingSink()
    metrics = Metrics.create()
    pipeline = make_pipeline(store, sink, metrics=metrics, clock=lambda: NOW)
    inputs = raid_articles(3)
    # Within the allowed clock skew, but 20 hours ahead of everything else.
    early = json.loads(inputs[0])
    early.update(id="ahead", published_at=(NOW + timedelta(hours=20)).isoformat())
    for offset, raw in enumerate([*inputs[:6], json.dumps(early).encode(), *inputs[6:]]):
        await pipeline.handle(message(raw, offset))
    await pipeline.refresh_gauges()
    # Three raids, three stories (plus the outlier's own); none pruned by the outlier.
    assert metrics.registry.get_sample_value("wirewatch_active_stories") >= 3


async def test_an_alert_sent_before_a_merge_is_not_sent_again(store: StoryStore) -> None:
    sink = RecordingSink()
    pipeline = make_pipeline(store, sink)
    inputs = raid_articles(1)
    for offset, raw in enumerate(inputs):
        await pipeline.handle(message(raw, offset))
    assert sorted(a.kind for a in sink.alerts) == ["figures.conflict", "story.emerging"]
    story = sink.alerts[0].story_id
    # Another worker's story of the same raid, older, absorbs ours (what matching does when an
    # article scores high for both).
    twin = Member(
        article_id="twin", source="twin.example", published_at=T0 - timedelta(hours=1),
        title="Drones over Odesa", event_date=T0.date(),
    )  # fmt: skip
    await store.add_article("st-twin", twin, list[Claim]())
    gone = await store.merge(story, "st-twin")
    assert gone.into == "st-twin"
    # Redelivering the stream (a restart from older offsets) sends the emerging and conflict
    # alerts again under neither the old nor a new id. (The merge above was made by hand, so
    # the first redelivered article, finding its story merged away, sends the merge's alert
    # that the merging worker would have sent.)
    for offset, raw in enumerate(inputs):
        await pipeline.handle(message(raw, offset))
    assert [a.kind for a in sink.alerts[2:]] == ["story.merged"]
    assert sink.alerts[2].related_story_ids == [story]
    ids = Counter(a.id for a in sink.alerts)
    assert max(ids.values()) == 1


async def test_two_workers_on_the_same_evidence_send_each_alert_once(
    services: Any, unique: str
) -> None:
    async def short_wait(seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.01))

    clients = [Redis.from_url(services.redis_url) for _ in range(2)]
    stores = [StoryStore(c, Metrics.create(), prefix=f"t{unique}", ttl_seconds=3600)
              for c in clients]  # fmt: skip
    sinks = [RecordingSink(), RecordingSink()]
    workers = [
        make_pipeline(stores[i], sinks[i], owner=f"worker-{i}", sleep=short_wait) for i in range(2)
    ]
    inputs = raid_articles(2)
    # Both workers get every article at once (a redelivery after a rebalance, worst case).
    for offset, raw in enumerate(inputs):
        await asyncio.gather(*(w.handle(message(raw, offset)) for w in workers))
    sent = [a.id for sink in sinks for a in sink.alerts]
    assert len(sent) == len(set(sent)), Counter(sent)
    kinds = Counter(a.kind for sink in sinks for a in sink.alerts)
    assert kinds == {"story.emerging": 2, "figures.conflict": 2}
    for client in clients:
        await client.aclose()


async def test_replaying_the_stream_gives_the_same_alert_ids(services: Any, unique: str) -> None:
    # What the fault tests compare against: two undisturbed runs, two key spaces, same ids.
    ids = []
    for run in ("a", "b"):
        client = Redis.from_url(services.redis_url)
        store = StoryStore(client, Metrics.create(), prefix=f"t{unique}{run}", ttl_seconds=3600)
        sink = RecordingSink()
        pipeline = make_pipeline(store, sink)
        for offset, raw in enumerate(raid_articles(3)):
            await pipeline.handle(message(raw, offset))
        ids.append([a.id for a in sink.alerts])
        await client.aclose()
    assert ids[0] == ids[1] and len(ids[0]) == 6
