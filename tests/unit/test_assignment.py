"""plan_assignments places a batch exactly as one-at-a-time matching does.

The reference is an in-memory model of the store (sorted sets with ZADD GT, ZCOUNT and
ZREVRANGEBYSCORE LIMIT, member hashes) driven one article at a time the way
workers.pipeline.assign_story drives Redis; the batch side reads the same model once per
round (truncating postings as the store does), plans, writes the plan, and plans again
whatever was deferred.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from detectors.assignment import (
    Assignment,
    CardRead,
    IndexRead,
    Pending,
    Plan,
    Postings,
    StoryRead,
    _Overlay,
    candidate_floor,
    index_tokens,
    needed_stories,
    plan_assignments,
    recall_floor,
)
from detectors.matching import StoryMatcher, TermStats
from detectors.memory import LongMemory
from detectors.memory import card as memory_card
from detectors.story import Member, StoryProfile, new_story_id

WINDOW = timedelta(days=7)
MAX_CANDIDATES = 25
T0 = datetime(2030, 6, 1, 6, 0, tzinfo=UTC)


@dataclass
class Model:
    """The store's index and stories, in memory, with Redis' ordering rules."""

    index: dict[str, dict[str, float]] = field(default_factory=dict)
    stories: dict[str, float] = field(default_factory=dict)
    members: dict[str, dict[str, Member]] = field(default_factory=dict)
    articles: dict[str, str] = field(default_factory=dict)

    def zrev(self, token: str, floor: float, limit: int) -> list[tuple[str, float]]:
        scored = [(s, v) for s, v in self.index.get(token, {}).items() if v >= floor]
        scored.sort(key=lambda e: (e[1], e[0]), reverse=True)
        return scored[:limit]

    def zcount(self, token: str, floor: float) -> int:
        return sum(1 for v in self.index.get(token, {}).values() if v >= floor)

    def add(self, story_id: str, member: Member) -> None:
        members = self.members.setdefault(story_id, {})
        if member.article_id in members:
            return
        members[member.article_id] = member
        ts = member.published_at.timestamp()
        for token in index_tokens(member):
            postings = self.index.setdefault(token, {})
            postings[story_id] = max(postings.get(story_id, ts), ts)
        self.stories[story_id] = max(self.stories.get(story_id, ts), ts)

    def profile(self, story_id: str) -> StoryProfile | None:
        members = self.members.get(story_id)
        return StoryProfile(story_id, tuple(members.values())) if members else None


def _look(model: Model, member: Member, postings: int) -> tuple[TermStats, list[StoryProfile]]:
    """What StoryStore.candidates returns for the article, on the model."""
    floor = candidate_floor(member, WINDOW)
    tokens = index_tokens(member)
    stats = TermStats(
        stories=sum(1 for v in model.stories.values() if v >= floor),
        df={t: model.zcount(t, floor) for t in tokens},
    )
    hits: dict[str, float] = {}
    for token in tokens:
        weight = stats.weight(token)
        for sid, _ in model.zrev(token, floor, postings):
            hits[sid] = hits.get(sid, 0.0) + weight
    ranked_ids = sorted(hits, key=lambda s: (-hits[s], s))[:MAX_CANDIDATES]
    return stats, [p for s in ranked_ids if (p := model.profile(s)) is not None]


def one_at_a_time(
    model: Model,
    members: Sequence[Member],
    matcher: StoryMatcher,
    postings: int,
    merges: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, str]:
    """The worker's path for one article (workers.pipeline.assign_story), repeated. Merges
    it would make are recorded in `merges`, not made (the streams rarely call for one)."""
    out: dict[str, str] = {}
    for member in members:
        held = model.articles.get(member.article_id)
        if held is not None:
            model.add(held, member)
            out[member.article_id] = held
            continue
        stats, profiles = _look(model, member, postings)
        ranked = matcher.rank(member, profiles, stats)
        chosen, score = ranked[0] if ranked else (None, 0.0)
        if score < matcher.threshold:
            chosen = None
        story_id = chosen or new_story_id(member.article_id)
        model.articles[member.article_id] = story_id
        model.add(story_id, member)
        out[member.article_id] = story_id
        if chosen is not None:
            others = tuple(matcher.also_same(ranked, chosen))
        else:
            # The second look, once the new story is indexed.
            seen = {p.story_id for p in profiles} | {story_id}
            stats, fresh = _look(model, member, postings)
            fresh = [p for p in fresh if p.story_id not in seen]
            others = tuple(
                s for s, v in matcher.rank(member, fresh, stats) if v >= matcher.threshold
            )
        if others and merges is not None:
            merges[member.article_id] = others
    return out


def read(model: Model, pending: Sequence[Pending], postings: int) -> IndexRead:
    """What the store's batch read returns for these articles."""
    floors: dict[str, list[float]] = {}
    all_floors = []
    for item in pending:
        floor = candidate_floor(item.member, WINDOW)
        all_floors.append(floor)
        for token in index_tokens(item.member):
            floors.setdefault(token, []).append(floor)
    tokens = {}
    for token, wanted in floors.items():
        low = min(wanted)
        entries = model.zrev(token, low, postings)
        tokens[token] = Postings(
            entries=entries,
            complete=model.zcount(token, low) <= postings,
            floor=low,
            counts={f: model.zcount(token, f) for f in wanted},
        )
    return IndexRead(
        stories={f: sum(1 for v in model.stories.values() if v >= f) for f in all_floors},
        story_scores={},
        tokens=tokens,
    )


def batched(
    model: Model,
    members: Sequence[Member],
    matcher: StoryMatcher,
    postings: int,
    size: int,
    merges: dict[str, tuple[str, ...]] | None = None,
) -> tuple[dict[str, str], int]:
    out: dict[str, str] = {}
    rounds = 0
    for start in range(0, len(members), size):
        todo = [Pending(m, model.articles.get(m.article_id)) for m in members[start : start + size]]
        extra: set[str] = set()
        while todo:
            rounds += 1
            index = read(model, todo, postings)
            wanted = needed_stories(
                todo, index, window=WINDOW, max_candidates=MAX_CANDIDATES, postings=postings
            )
            wanted |= extra
            stories = {
                s: StoryRead(s, None, tuple(model.members.get(s, {}).values())) for s in wanted
            }
            index.story_scores = {s: model.stories.get(s) for s in wanted}
            plan = plan_assignments(
                todo, index, stories, matcher,
                window=WINDOW, max_candidates=MAX_CANDIDATES, postings=postings,
            )  # fmt: skip
            assert plan.assignments or plan.wanted - extra, plan.stopped
            extra |= plan.wanted
            for assignment in plan.assignments:
                member = next(m for m in members if m.article_id == assignment.article_id)
                _write(model, assignment, member)
                out[assignment.article_id] = assignment.story_id
                if assignment.merge and merges is not None:
                    merges[assignment.article_id] = tuple(s for s, _ in assignment.merge)
            todo = [
                Pending(p.member, model.articles.get(p.member.article_id)) for p in plan.deferred
            ]
    return out, rounds


def _write(model: Model, assignment: Assignment, member: Member) -> None:
    model.articles.setdefault(assignment.article_id, assignment.story_id)
    model.add(model.articles[assignment.article_id], member)


def stream(seed: int, count: int, *, disorder: float = 0.0) -> list[Member]:
    """Articles about a handful of events, with shared common words, some outlets repeating
    and the odd id delivered twice; `disorder` hours of jitter put publication times out of
    stream order, as real feeds do."""
    rng = random.Random(seed)
    events = [
        {
            "place": f"geonames:{rng.randint(1, 9)}",
            "actors": {f"person:{rng.choice('abcdefgh')}-{rng.choice('xyz')}"},
            "terms": {f"w{rng.randint(0, 40)}" for _ in range(4)},
            "day": date(2030, 6, 1) + timedelta(days=rng.randint(0, 12)),
        }
        for _ in range(8)
    ]
    common = [f"c{i}" for i in range(6)]
    out: list[Member] = []
    for number in range(count):
        event = rng.choice(events)
        published = T0 + timedelta(hours=number * 1.5 + rng.uniform(-disorder, disorder))
        terms = set(event["terms"]) if rng.random() < 0.8 else {f"w{rng.randint(0, 40)}"}
        terms |= set(rng.sample(common, 2))
        out.append(
            Member(
                article_id=f"a{number}",
                source=f"s{rng.randint(0, 4)}.example",
                published_at=published,
                title=f"t{number}",
                actors=frozenset(event["actors"]) if rng.random() < 0.7 else frozenset(),
                places=frozenset({event["place"]}),
                terms=frozenset(terms),
                event_date=event["day"] if rng.random() < 0.8 else published.date(),
                place_names=frozenset({event["place"]}),
            )
        )
        if rng.random() < 0.05:
            out.append(out[-1])  # a producer's duplicate
    return out


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("postings", "size"), [(40, 50), (3, 50), (2, 7), (3, 1)])
@pytest.mark.parametrize("disorder", [0.0, 30.0])
def test_batches_place_every_article_where_one_at_a_time_does(
    seed: int, postings: int, size: int, disorder: float
) -> None:
    members = stream(seed, 80, disorder=disorder)
    matcher = StoryMatcher(threshold=0.5)
    expected_merges: dict[str, tuple[str, ...]] = {}
    got_merges: dict[str, tuple[str, ...]] = {}
    expected = one_at_a_time(Model(), members, matcher, postings, expected_merges)
    got, rounds = batched(Model(), members, matcher, postings, size, got_merges)
    assert got == expected
    assert got_merges == expected_merges
    # Some of these streams do join stories across articles, so the overlay is exercised.
    assert len(set(expected.values())) < len(expected)
    assert rounds >= -(-len(members) // size)


def test_two_articles_of_one_new_story_in_one_batch_end_in_one_story() -> None:
    first, second = (
        Member(
            article_id=f"n{i}",
            source=f"outlet{i}.example",
            published_at=T0 + timedelta(minutes=10 * i),
            title="Warehouse fire",
            actors=frozenset({"person:jo-bloggs"}),
            places=frozenset({"geonames:7"}),
            terms=frozenset({"warehouse", "fire", "harbour"}),
            event_date=T0.date(),
            place_names=frozenset({"dunmore"}),
        )
        for i in range(2)
    )
    pending = [Pending(first), Pending(second)]
    index = read(Model(), pending, 40)
    plan = plan_assignments(
        pending, index, {}, StoryMatcher(),
        window=WINDOW, max_candidates=MAX_CANDIDATES, postings=40,
    )  # fmt: skip
    assert plan.deferred == []
    a, b = plan.assignments
    assert a.new and a.story_id == new_story_id("n0")
    assert not b.new and b.story_id == a.story_id and b.score >= 0.5


def test_the_plan_does_not_modify_what_was_read() -> None:
    members = stream(3, 20)
    model = Model()
    one_at_a_time(model, members[:10], StoryMatcher(), 40)
    pending = [Pending(m) for m in members[10:]]
    index = read(model, pending, 40)
    before = repr(index)
    plan_assignments(
        pending, index, {}, StoryMatcher(),
        window=WINDOW, max_candidates=MAX_CANDIDATES, postings=40,
    )  # fmt: skip
    assert repr(index) == before


def test_a_candidate_that_was_not_read_defers_the_rest() -> None:
    members = stream(5, 30)
    model = Model()
    one_at_a_time(model, members[:20], StoryMatcher(), 40)
    pending = [Pending(m) for m in members[20:]]
    plan = plan_assignments(
        pending, read(model, pending, 40), {}, StoryMatcher(),
        window=WINDOW, max_candidates=MAX_CANDIDATES, postings=40,
    )  # fmt: skip
    # Nothing about the stories was read: the first article that has candidates stops there.
    assert plan.deferred and plan.stopped and "not read" in plan.stopped
    assert [a.article_id for a in plan.assignments] + [
        p.member.article_id for p in plan.deferred
    ] == [m.article_id for m in members[20:]]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("postings", [2, 3, 40])
def test_the_overlay_sees_the_index_as_the_store_would_after_each_article(
    seed: int, postings: int
) -> None:
    """Stats and candidate hits, article by article, equal the model's after the same writes
    (out-of-order times and truncated postings included)."""
    members = stream(seed, 90, disorder=40.0)
    matcher = StoryMatcher()
    model = Model()
    one_at_a_time(model, members[:40], matcher, postings)
    batch = members[40:]
    pending = [Pending(m) for m in batch]
    index = read(model, pending, postings)
    stories = {s: StoryRead(s, None, tuple(ms.values())) for s, ms in model.members.items()}
    index.story_scores = dict(model.stories)
    overlay = _Overlay(index, stories)
    truncated = 0
    for member in batch:
        floor = candidate_floor(member, WINDOW)
        tokens = index_tokens(member)
        want = TermStats(
            stories=sum(1 for v in model.stories.values() if v >= floor),
            df={t: model.zcount(t, floor) for t in tokens},
        )
        got = overlay.stats(tokens, floor)
        assert got == want, member.article_id
        for token in tokens:
            want_top = [sid for sid, _ in model.zrev(token, floor, postings)]
            assert index.tokens[token].top(floor, postings) is not None
            assert overlay._index.tokens[token].top(floor, postings) == want_top, token
            truncated += not overlay._index.tokens[token].complete
        (story_id,) = one_at_a_time(model, [member], matcher, postings).values()
        overlay.add(story_id, member)
    if postings < 40:
        assert truncated  # the approximated path is exercised


# -- the long memory in a batch -------------------------------------------------------------------
_KEYS = frozenset({"person:ines-varga", "addr:1200-quarry-rd", "street:quarry-rd"})


def _keyed(aid: str, days: int, terms: set[str], keys: frozenset[str] = _KEYS) -> Member:
    return Member(aid, f"{aid}.example", T0 + timedelta(days=days), aid,
                  terms=frozenset(terms), keys=keys)  # fmt: skip


def _memory_read(members: Sequence[Member], remembered: dict[str, Member]) -> IndexRead:
    """The memory index as the store reads it for `members`: each remembered story listed
    under its member's keys, scored by event time."""
    horizon = LongMemory().horizon
    memory: dict[str, Postings] = {}
    for member in members:
        floor = recall_floor(member, horizon)
        for key in member.keys:
            entries = sorted(
                ((sid, m.published_at.timestamp()) for sid, m in remembered.items()
                 if key in m.keys), key=lambda e: (e[1], e[0]), reverse=True,
            )  # fmt: skip
            read = memory.setdefault(key, Postings(entries, True, floor, {}))
            read.counts[floor] = sum(1 for _, ts in entries if ts >= floor)
    return IndexRead(stories={}, story_scores={}, tokens={}, memory=memory)


def _plan(
    members: Sequence[Member],
    stories: dict[str, StoryRead],
    remembered: dict[str, Member],
    cards: dict[str, CardRead],
) -> Plan:
    return plan_assignments(
        [Pending(m) for m in members], _memory_read(members, remembered), stories,
        StoryMatcher(), window=WINDOW, max_candidates=MAX_CANDIDATES, postings=40,
        memory=LongMemory(), cards=cards,
    )  # fmt: skip


def test_a_follow_up_of_a_story_not_read_asks_for_it_then_joins_it() -> None:
    old = _keyed("fire", 0, {"blaze", "warehouse"})
    later = _keyed("trial", 40, {"sentenced", "arson"})
    remembered = {"st-fire": old}
    # The card not read: the plan asks for it.
    first = _plan([later], {}, remembered, {})
    assert first.assignments == [] and first.wanted_cards == {"st-fire"}
    # The card read, but not the story: joining it needs its members.
    cards = {"st-fire": CardRead(False, (memory_card(old),))}
    second = _plan([later], {}, remembered, cards)
    assert second.assignments == [] and second.wanted == {"st-fire"}
    read = {"st-fire": StoryRead("st-fire", None, (old,))}
    (joined,) = _plan([later], read, remembered, cards).assignments
    assert (joined.story_id, joined.new) == ("st-fire", False)
    # Merged away since: recall skips it, and the article starts its own story.
    gone = {"st-fire": CardRead(True, (memory_card(old),))}
    (alone,) = _plan([later], read, remembered, gone).assignments
    assert alone.new and alone.story_id != "st-fire"


def test_a_follow_up_of_a_story_the_batch_started_joins_it_in_the_same_plan() -> None:
    # The first starts a story and remembers its keys; the second, weeks later in other
    # words, recalls it through what the first wrote, as it would one at a time.
    first = _keyed("rally", 0, {"march", "crowd"})
    second = _keyed("verdict", 45, {"jury", "acquitted"})
    stranger = _keyed("regatta", 46, {"sailing"}, frozenset({"person:ines-varga", "venue:x"}))
    plan = _plan([first, second, stranger], {}, {}, {})
    rally, verdict, regatta = plan.assignments
    assert plan.deferred == []
    assert rally.new and verdict.story_id == rally.story_id and not verdict.new
    assert regatta.new and regatta.story_id != rally.story_id  # one shared key is not enough
