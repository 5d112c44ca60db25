"""Batches give the answers one article at a time gives (issue 11, "Same answers").

The pipeline in-process with a recording sink and the real store: a stream of our own (drone
raids, each reported by four outlets, one contradicting the others' figure; with a producer's
duplicate, bad input and a redelivered stretch) handled in batches of several sizes must end
with the same stories, the same alerts and the same outcomes as batches of one.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from tests.integration import recording
from tests.integration.recording import RecordingSink
from tests.streams.events import T0, raid_articles
from workers.metrics import Metrics
from workers.pipeline import ArticlePipeline, Inbound
from workers.store import StoryStore, article_key

pytestmark = pytest.mark.services

NOW = T0 + timedelta(days=60)


def make_pipeline(store: StoryStore, sink: RecordingSink, **overrides: Any) -> ArticlePipeline:
    return recording.make_pipeline(store, sink, **{"clock": lambda: NOW, **overrides})


@pytest.fixture
async def client(services: Any) -> AsyncIterator[Redis]:
    client = Redis.from_url(services.redis_url)
    yield client
    await client.aclose()


def inbound(values: Sequence[bytes]) -> list[Inbound]:
    return [Inbound(v, b"k", {}, "articles", 0, offset) for offset, v in enumerate(values)]


def own_stream() -> list[bytes]:
    """Five raids (twenty articles), a producer's duplicate, two bad inputs, and the first
    six messages delivered again at the end (a redelivery after a restart)."""
    raids = raid_articles(5)
    values = [*raids[:6], raids[5], b"{not json", *raids[6:13], b"[1, 2]", *raids[13:]]
    return [*values, *values[:6]]


async def run(
    client: Redis, prefix: str, values: Sequence[bytes], size: int, **overrides: Any
) -> tuple[dict[str, str], list[tuple[str, str, str]], list[str], StoryStore, Metrics]:
    """Handle `values` in batches of `size`: (article -> final story, alerts as (id, kind,
    story), outcome per message, the store, the metrics)."""
    metrics = Metrics.create()
    store = StoryStore(client, metrics, prefix=prefix, ttl_seconds=3600)
    sink = RecordingSink()
    pipeline = make_pipeline(store, sink, metrics=metrics, **overrides)
    messages = inbound(values)
    outcomes: list[str] = []
    for start in range(0, len(messages), size):
        result = await pipeline.handle_batch(messages[start : start + size])
        assert not result.halted
        outcomes.extend(result.outcomes)
    # Looked up through a store of its own, so the pipeline's metrics count only its own trips.
    lookup = StoryStore(client, Metrics.create(), prefix=prefix, ttl_seconds=3600)
    stories = {}
    for signature in sink.signatures:
        held = await client.get(article_key(prefix, signature.article_id))
        assert held is not None
        stories[signature.article_id] = await lookup.final_story(held.decode())
    alerts = [(a.id, a.kind, a.story_id) for a in sink.alerts]
    return stories, alerts, outcomes, store, metrics


@pytest.mark.parametrize("size", [2, 5, 16, 64])
async def test_batches_give_the_stories_alerts_and_outcomes_of_one_at_a_time(
    client: Redis, unique: str, size: int
) -> None:
    values = own_stream()
    one = await run(client, f"t{unique}one", values, 1)
    many = await run(client, f"t{unique}many", values, size)
    assert many[0] == one[0]  # every article in the same story
    assert many[1] == one[1]  # the same alerts, in the same order
    assert many[2] == one[2]  # the same outcome for every message
    # The stream is what it says: five stories, each emerging with one figure conflict, and
    # the duplicate and the redelivered messages raise nothing again.
    assert len(set(one[0].values())) == 5
    kinds = sorted(kind for _, kind, _ in one[1])
    assert kinds == ["figures.conflict"] * 5 + ["story.emerging"] * 5
    assert one[2].count("deadlettered") == 2


async def test_two_articles_of_one_new_story_in_one_batch_end_in_one_story(
    client: Redis, unique: str
) -> None:
    first, second = raid_articles(1)[:2]
    stories, alerts, outcomes, store, _ = await run(client, f"t{unique}", [first, second], 2)
    assert outcomes == ["processed", "processed"]
    (story,) = set(stories.values())
    snapshot = await store.snapshot(story)
    assert sorted(m.article_id for m in snapshot.members) == sorted(stories)
    keys = [k async for k in client.scan_iter(match=f"t{unique}:story:*:members")]
    assert len(keys) == 1, keys  # no second story was started for the second article
    assert alerts == []  # two outlets: not emerging yet


async def test_a_batch_applies_each_story_in_published_at_order(client: Redis, unique: str) -> None:
    """Articles arriving out of event-time order inside one batch are applied in published_at
    order: the same stories and alerts as the stream in order, one at a time."""
    ordered = raid_articles(3)
    shuffled = list(ordered)
    random.Random(7).shuffle(shuffled)
    assert shuffled != ordered
    one = await run(client, f"t{unique}one", ordered, 1)
    many = await run(client, f"t{unique}many", shuffled, len(shuffled))
    # Alert ids name their evidence (who emerged with whom, which outlet contradicted which),
    # which depends on the order the articles were applied in.
    assert many[0] == one[0]
    assert many[1] == one[1]


async def test_redis_round_trips_per_article_fall_with_the_batch(
    client: Redis, unique: str
) -> None:
    values = raid_articles(6)

    def per_article(metrics: Metrics) -> float:
        trips = metrics.registry.get_sample_value("wirewatch_redis_round_trips_total")
        assert trips is not None
        return trips / len(values)

    single = per_article((await run(client, f"t{unique}a", values, 1))[4])
    batched = per_article((await run(client, f"t{unique}b", values, len(values)))[4])
    # One at a time, each article costs its own reads and writes; a batch shares them.
    assert single >= 5
    assert batched <= 0.5, batched


async def test_a_redelivered_batch_changes_nothing_and_sends_nothing_again(
    client: Redis, unique: str
) -> None:
    values = raid_articles(2)
    metrics = Metrics.create()
    store = StoryStore(client, metrics, prefix=f"t{unique}", ttl_seconds=3600)
    sink = RecordingSink()
    pipeline = make_pipeline(store, sink, metrics=metrics)
    messages = inbound(values)
    await pipeline.handle_batch(messages)
    sent = [a.id for a in sink.alerts]
    members = {k: await client.hkeys(k) async for k in _member_keys(client, unique)}
    again = await pipeline.handle_batch(messages)
    assert again.outcomes == ["processed"] * len(values)
    assert [a.id for a in sink.alerts] == sent  # nothing sent twice
    assert {k: await client.hkeys(k) async for k in _member_keys(client, unique)} == members
    assert len(sink.signatures) == 2 * len(values)  # at least once: the signature again


async def _member_keys(client: Redis, unique: str) -> AsyncIterator[bytes]:
    async for key in client.scan_iter(match=f"t{unique}:story:*:members"):
        yield key
