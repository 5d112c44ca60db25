"""The Redis story store against a real redis-server: atomic, idempotent, bounded."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import redis
from redis.asyncio import Redis

from detectors.story import Claim, Member
from topics import Count
from workers.metrics import Metrics
from workers.store import AlertClaim, StoryStore, final_story_sync

pytestmark = pytest.mark.services

T0 = datetime(2026, 3, 14, 7, 40, tzinfo=UTC)


def _member(aid: str, minutes: int = 0) -> Member:
    return Member(
        article_id=aid,
        source=f"{aid}.example",
        published_at=T0 + timedelta(minutes=minutes),
        title="Drones strike port",
        actors=frozenset({"country:RU"}),
        places=frozenset({"geonames:698740"}),
        terms=frozenset({"drones", "port"}),
    )


def _claim(aid: str) -> Claim:
    count = Count(text="15", low=15, high=15, qualifier="exact", sentence="15 drones.", start=0)
    return Claim(f"{aid}#0", aid, f"{aid}.example", T0, count)


async def _store(services, unique: str) -> tuple[StoryStore, Redis, Metrics]:  # type: ignore[no-untyped-def]
    client = Redis.from_url(services.redis_url)
    metrics = Metrics.create()
    return StoryStore(client, metrics, prefix=f"t{unique}", ttl_seconds=3600), client, metrics


async def test_add_article_is_idempotent_and_keys_expire(services, unique) -> None:  # type: ignore[no-untyped-def]
    store, client, metrics = await _store(services, unique)
    assert (await store.add_article("st-1", _member("a"), [_claim("a")])).added is True
    assert (await store.add_article("st-1", _member("a"), [_claim("a")])).added is False
    assert (await store.add_article("st-1", _member("b", 5), [_claim("b")])).added is True
    snap = await store.snapshot("st-1")
    assert [m.article_id for m in snap.members] == ["a", "b"]
    assert [c.claim_id for c in snap.claims] == ["a#0", "b#0"]
    keys = [k async for k in client.scan_iter(match=f"t{unique}:*")]
    assert keys, "the store wrote nothing"
    for key in keys:
        ttl = await client.ttl(key)
        assert 0 < ttl <= 3600, f"{key!r} has no expiry"
    # Every story key shares one hash tag, so one Lua call touches one cluster slot.
    story_keys = [k.decode() for k in keys if b":story:" in k]
    assert {k.split("{")[1].split("}")[0] for k in story_keys} == {"st-1"}
    assert (
        metrics.registry.get_sample_value(
            "wirewatch_redis_seconds_count", {"operation": "add_article"}
        )
        == 3
    )
    await client.aclose()


async def test_candidates_and_claims(services, unique) -> None:  # type: ignore[no-untyped-def]
    store, client, _ = await _store(services, unique)
    await store.add_article("st-1", _member("a"), [])
    found, stats = await store.candidates(_member("z", 30), since=T0 - timedelta(hours=1))
    assert [p.story_id for p in found] == ["st-1"]
    assert stats.stories == 1 and stats.df["t:port"] == 1
    # Outside the window (event time) the story is no candidate.
    assert (await store.candidates(_member("z"), since=T0 + timedelta(hours=1)))[0] == []

    assert await store.claim_article("z", "st-1") == "st-1"
    assert await store.claim_article("z", "st-2") == "st-1"
    assert await store.story_of("z") == "st-1"
    await client.aclose()


async def test_alert_bookkeeping_sends_once(services, unique) -> None:  # type: ignore[no-untyped-def]
    store, client, _ = await _store(services, unique)
    me = {"owner": "w1", "lease_s": 30.0}
    assert await store.claim_alert("st-1", "ev-1", "al-1", **me) == AlertClaim("send", "al-1")
    # Not yet marked sent (this worker retrying): it is still owed, under the same id.
    assert await store.claim_alert("st-1", "ev-1", "al-9", **me) == AlertClaim("send", "al-1")
    await store.alert_sent("st-1", "ev-1", "al-1", "figures.conflict|x")
    assert (await store.claim_alert("st-1", "ev-1", "al-1", **me)).action == "skip"
    snap = await store.snapshot("st-1")
    assert snap.latest_alerts == {"figures.conflict|x": "al-1"}
    await client.aclose()


async def test_another_workers_pending_alert_waits_for_its_lease(services, unique) -> None:  # type: ignore[no-untyped-def]
    store, client, _ = await _store(services, unique)
    assert (await store.claim_alert("st-1", "ev-1", "al-1", owner="w1", lease_s=30.0)).action == (
        "send"
    )
    # A second worker computing the same evidence (maybe under another id) must not send it
    # while the first holds the lease: it is told to wait, and for how long at most.
    other = await store.claim_alert("st-1", "ev-1", "al-2", owner="w2", lease_s=30.0)
    assert other.action == "wait" and 0 < other.wait_s <= 30.0
    # The first worker died: once its lease ends, the second sends under the first one's id.
    assert (await store.claim_alert("st-1", "ev-2", "al-3", owner="w1", lease_s=0.001)).action == (
        "send"
    )
    await asyncio.sleep(0.01)
    taken = await store.claim_alert("st-1", "ev-2", "al-4", owner="w2", lease_s=30.0)
    assert taken == AlertClaim("send", "al-3")
    await client.aclose()


async def test_merge_redirects_the_absorbed_story_and_moves_its_state(services, unique) -> None:  # type: ignore[no-untyped-def]
    store, client, _ = await _store(services, unique)
    await store.add_article("st-old", _member("a"), [_claim("a")])
    await store.add_article("st-new", _member("b", 5), [_claim("b")])
    gone = await store.merge("st-new", "st-old")
    assert gone.into == "st-old" and [m.article_id for m in gone.members] == ["b"]
    # Merging again (a redelivery, a second worker) changes nothing.
    assert (await store.merge("st-new", "st-old")).into == "st-old"
    snap = await store.snapshot("st-old")
    assert [m.article_id for m in snap.members] == ["a", "b"]
    assert [c.claim_id for c in snap.claims] == ["a#0", "b#0"]
    # A late article for the absorbed story lands in the survivor.
    late = await store.add_article("st-new", _member("c", 9), [])
    assert late.story_id == "st-old" and late.added
    assert await store.final_story("st-new") == "st-old"
    sync = redis.Redis.from_url(services.redis_url)
    assert final_story_sync(sync, f"t{unique}", "st-new") == "st-old"
    assert final_story_sync(sync, f"t{unique}", "st-other") == "st-other"
    sync.close()
    # The absorbed story is no candidate any more; the survivor is.
    found, _ = await store.candidates(_member("z", 30), since=T0 - timedelta(hours=1))
    assert [p.story_id for p in found] == ["st-old"]
    for key in [k async for k in client.scan_iter(match=f"t{unique}:*")]:
        assert 0 < await client.ttl(key) <= 3600, f"{key!r} has no expiry"
    await client.aclose()


async def test_a_merge_carries_the_absorbed_storys_sent_alerts(services, unique) -> None:  # type: ignore[no-untyped-def]
    store, client, _ = await _store(services, unique)
    me = {"owner": "w1", "lease_s": 30.0}
    await store.add_article("st-old", _member("a"), [])
    await store.add_article("st-new", _member("b", 5), [])
    await store.claim_alert("st-new", "ev-conflict", "al-1", **me)
    await store.alert_sent("st-new", "ev-conflict", "al-1", "figures.conflict|x")
    await store.claim_alert("st-old", "ev-emerging", "al-2", **me)
    await store.alert_sent("st-old", "ev-emerging", "al-2", "story.emerging")
    await store.merge("st-new", "st-old")
    # What the absorbed story sent is not sent again by the survivor, and stays the latest.
    assert (await store.claim_alert("st-old", "ev-conflict", "al-1", **me)).action == "skip"
    assert (await store.claim_alert("st-old", "ev-emerging", "al-2", **me)).action == "skip"
    snap = await store.snapshot("st-old")
    assert snap.latest_alerts == {"figures.conflict|x": "al-1", "story.emerging": "al-2"}
    await client.aclose()


async def test_a_new_sources_chrome_is_learned_from_its_first_articles(services, unique) -> None:  # type: ignore[no-untyped-def]
    from detectors.furniture import fingerprints

    store, client, _ = await _store(services, unique)
    prompt = "Get the latest local headlines in our morning briefing.\n"
    update = "The mayor said the library would stay closed until March.\n"
    # One story's own paragraph in three updates (three articles, one story) stays story.
    for n in range(3):
        await store.observe_furniture(
            "gazette.example", "st-9", fingerprints(update), article_id=f"up-{n}"
        )
    # A redelivered article counts once.
    for _ in range(3):
        await store.observe_furniture(
            "gazette.example", "st-1", fingerprints(prompt), article_id="a-1"
        )
    assert await store.known_furniture("gazette.example") == frozenset()
    # Three articles over two stories: the source's chrome, learned before a third story.
    await store.observe_furniture(
        "gazette.example", "st-1", fingerprints(prompt), article_id="a-2"
    )
    await store.observe_furniture(
        "gazette.example", "st-2", fingerprints(prompt), article_id="a-3"
    )
    assert await store.known_furniture("gazette.example") == frozenset(fingerprints(prompt))
    # a-3 made it furniture: redelivered after its count was recorded, it reads as it did the
    # first time (with the prompt), so its figures and alerts do not change; others do not.
    assert await store.known_furniture("gazette.example", "a-3") == frozenset()
    assert await store.known_furniture("gazette.example", "a-4") == frozenset(fingerprints(prompt))
    await client.aclose()


async def test_furniture_is_learned_across_stories_not_within_one(services, unique) -> None:  # type: ignore[no-untyped-def]
    from detectors.furniture import fingerprints

    store, client, _ = await _store(services, unique)
    appeal = "Support our newsroom: every contribution keeps us independent.\n"
    story_line = "The council said the bridge would reopen in the spring.\n"
    # One story repeating its own paragraph in three updates is not furniture...
    for n in range(3):
        await store.observe_furniture(
            "herald.example", "st-1", fingerprints(story_line), article_id=f"u{n}"
        )
    # ...a paragraph in three different stories of one source is...
    for n, story in enumerate(("st-1", "st-2", "st-3")):
        await store.observe_furniture(
            "herald.example", story, fingerprints(appeal), article_id=f"a{n}"
        )
    known = await store.known_furniture("herald.example")
    assert known == frozenset(fingerprints(appeal))
    # ...but one article delivered three times (redeliveries, merged stories) counts once.
    sign_off = "Reporting by our staff; editing by the desk.\n"
    for story in ("st-1", "st-2", "st-3"):
        await store.observe_furniture(
            "herald.example", story, fingerprints(sign_off), article_id="r1"
        )
    store._furniture_cache.clear()
    assert await store.known_furniture("herald.example") == frozenset(fingerprints(appeal))
    assert await store.known_furniture("other.example") == frozenset()
    for key in [k async for k in client.scan_iter(match=f"t{unique}:furniture:*")]:
        assert await client.ttl(key) > 0
    await client.aclose()


async def test_a_follow_up_weeks_later_joins_its_story_through_the_long_memory(  # type: ignore[no-untyped-def]
    services, unique
) -> None:
    from detectors.matching import StoryMatcher
    from detectors.memory import LongMemory
    from workers.pipeline import assign_story

    store, client, _ = await _store(services, unique)
    keys = frozenset({"person:dana-okafor", "addr:2700-larkspur-ave", "street:larkspur-ave"})
    shooting = Member(
        "shot", "gazette.example", T0, "Two wounded on Larkspur Avenue",
        terms=frozenset({"wounded", "larkspur", "market"}), keys=keys,
    )  # fmt: skip
    # Five weeks later, other words, no shared place token: only the keys tie it back.
    charged = Member(
        "charged", "courier.example", T0 + timedelta(days=35), "Man charged in spring attack",
        terms=frozenset({"charged", "arraignment", "bail"}),
        keys=frozenset({"person:dana-okafor", "street:larkspur-ave", "person:tom-ruiz"}),
    )  # fmt: skip
    stranger = Member(
        "other", "courier.example", T0 + timedelta(days=36), "Man charged in robbery",
        terms=frozenset({"robbery", "pharmacy", "escaped"}),
        keys=frozenset({"person:tom-ruiz", "street:oak-st"}),
    )  # fmt: skip
    matcher, memory = StoryMatcher(), LongMemory()
    window = timedelta(days=7)
    first = await assign_story(store, matcher, shooting, [], T0 - window, memory=memory)
    later = await assign_story(
        store, matcher, charged, [], charged.published_at - window, memory=memory
    )
    assert later.story_id == first.story_id
    # Idempotent: redelivered, it stays; a stranger sharing one key starts its own story.
    again = await assign_story(
        store, matcher, charged, [], charged.published_at - window, memory=memory
    )
    assert again.story_id == first.story_id and again.added is False
    alone = await assign_story(
        store, matcher, stranger, [], stranger.published_at - window, memory=memory
    )
    assert alone.story_id != first.story_id
    # Without the memory the follow-up is a story of its own.
    plain, _, _ = await _store(services, unique + "b")
    await assign_story(plain, matcher, shooting, [], T0 - window)
    assert (
        await assign_story(plain, matcher, charged, [], charged.published_at - window)
    ).story_id != first.story_id
    # Bounded: every memory key and card expires.
    for pattern in (f"t{unique}:mem:*", f"t{unique}:memcard:*"):
        found = [k async for k in client.scan_iter(match=pattern)]
        assert found
        for key in found:
            assert await client.ttl(key) > 0
    await client.aclose()


async def test_an_article_redelivered_after_months_of_later_news_is_not_counted_again(  # type: ignore[no-untyped-def]
    services, unique
) -> None:
    # A replay: one partition runs two months of event time ahead of another, then the lagging
    # partition's uncommitted articles are handed out again. Each still counts once.
    from detectors.furniture import fingerprints

    store, client, _ = await _store(services, unique)
    footer = "Send your tips to the newsroom desk at any hour of the day.\n"
    await store.observe_furniture("ledger.example", "st-1", fingerprints(footer), article_id="old")
    for n in range(40):  # later news of the source (itself learned: one line, digits aside)
        later = fingerprints(f"Council meets on day {n} about roads.\n")
        await store.observe_furniture(
            "ledger.example", f"st-{n + 2}", later, article_id=f"later-{n}"
        )
    for story in ("st-7", "st-8"):  # the old article, twice more, filed under other stories
        await store.observe_furniture(
            "ledger.example", story, fingerprints(footer), article_id="old"
        )
    store._furniture_cache.clear()
    assert not await store.known_furniture("ledger.example") & set(fingerprints(footer))
    await client.aclose()
