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

from detectors.memory import LongMemory
from detectors.story import Member
from tests.integration import recording
from tests.integration.recording import RecordingSink, matcher
from tests.streams.events import T0, raid_articles
from workers.metrics import Metrics
from workers.pipeline import ArticlePipeline, Inbound, assign_story
from workers.store import Joining, StoryStore, article_key
from workers.tracking import Item, Step, StoryTracker

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


def _follow_up_members() -> list[Member]:
    """A shooting, its follow-up five weeks later (other words; only its distinctive keys tie
    it back), and a stranger sharing one key: as test_store's long-memory test, in batches."""
    keys = frozenset({"person:dana-okafor", "addr:2700-larkspur-ave", "street:larkspur-ave"})
    return [
        Member(
            "shot", "gazette.example", T0, "Two wounded on Larkspur Avenue",
            terms=frozenset({"wounded", "larkspur", "market"}), keys=keys,
        ),
        Member(
            "charged", "courier.example", T0 + timedelta(days=35), "Man charged in spring attack",
            terms=frozenset({"charged", "arraignment", "bail"}),
            keys=frozenset({"person:dana-okafor", "street:larkspur-ave", "person:tom-ruiz"}),
        ),
        Member(
            "other", "courier.example", T0 + timedelta(days=36), "Man charged in robbery",
            terms=frozenset({"robbery", "pharmacy", "escaped"}),
            keys=frozenset({"person:tom-ruiz", "street:oak-st"}),
        ),
    ]  # fmt: skip


@pytest.mark.parametrize("split", [[3], [1, 2], [2, 1]])
async def test_the_long_memory_gives_in_batches_what_it_gives_one_at_a_time(
    client: Redis, unique: str, split: list[int]
) -> None:
    members = _follow_up_members()
    window, memory = timedelta(days=7), LongMemory()
    one = StoryStore(client, Metrics.create(), prefix=f"t{unique}one", ttl_seconds=3600)
    alone = [
        (await assign_story(one, matcher(), m, [], m.published_at - window, memory=memory))
        .story_id
        for m in members
    ]
    assert alone[1] == alone[0] != alone[2]  # the follow-up joins; the stranger does not

    many = StoryStore(client, Metrics.create(), prefix=f"t{unique}many", ttl_seconds=3600)
    tracker = StoryTracker(many, matcher(), window=window, memory=memory)

    async def detect(_step: Step) -> None:
        return None

    placed: dict[int, str] = {}
    start = 0
    for size in split:
        items = [
            Item(start + i, m, Joining(m, m.to_json(), ()))
            for i, m in enumerate(members[start : start + size])
        ]
        for key, where in (await tracker.track(items, detect)).items():
            placed[key] = where.story_id
        start += size
    batched = [placed[i] for i in range(len(members))]
    # Story ids name their first article, so equal ids mean the same stories.
    assert batched == alone
