"""A batch's articles placed in stories: read → plan (detectors.assignment) → write, in rounds.

A round costs four Redis round trips whatever its size: the candidate index and the stories
already holding any of the articles (one pipeline), the candidate stories the plan needs (one),
the articles' story claims (SET NX, one), and every touched story's update as one Lua call on
its own slot plus the index and furniture writes (one). The pure planner decides in between.
It stops at an article whose placement needs stories that were not read, or that merges two
stories; the next round starts there.

On one worker the result is what one-at-a-time matching (`workers.pipeline.assign_story`)
gives, article for article: the planner sees the index as the batch's earlier articles left
it, including a new story's second look. Across workers, a new story looks once more after it
is written, for stories another worker indexed meanwhile (one round trip: ids only), and merges
with them as the one-at-a-time second look would.

The detectors run per round (`Detect`), before the round's planned merge, so an alert raised
under a story that is then merged away is in its ledger when the survivor adopts it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from detectors.assignment import (
    Assignment,
    Pending,
    needed_stories,
    plan_assignments,
    recall_wanted,
)
from detectors.matching import StoryMatcher
from detectors.memory import LongMemory
from detectors.story import Member
from workers.store import Absorbed, Joining, Observation, StoryState, StoryStore

log = logging.getLogger(__name__)

# Redirect chains are short (the survivor of a merge is the older story); this bounds a loop.
_MAX_REDIRECTS = 16
# The fewest articles a round looks at (see StoryTracker.track).
_MIN_LOOKAHEAD = 16


@dataclass(frozen=True)
class Item:
    """One article to place: the caller's key for it, its member record and what is written."""

    key: int
    member: Member
    join: Joining
    fingerprints: tuple[str, ...] = ()


@dataclass
class Placed:
    """Where an article went (after merges), with the stories its arrival merged into that one."""

    key: int
    member: Member
    story_id: str
    score: float
    absorbed: list[Absorbed] = field(default_factory=list)


@dataclass
class Step:
    """Articles the detectors look at now, in the order they were applied, with their stories
    as written. `later` says, per story, which of the step's articles were added after each
    one: the story as that article left it is the written state without them."""

    placed: list[Placed]
    states: dict[str, StoryState]
    added: dict[str, list[str]]

    def later(self, placed: Placed) -> list[str]:
        order = self.added.get(placed.story_id, [])
        aid = placed.member.article_id
        return order[order.index(aid) + 1 :] if aid in order else []


Detect = Callable[[Step], Awaitable[None]]


class NoProgress(ValueError):
    """The planner could place nothing with what it asked for (a bug, not an outage)."""


@dataclass
class StoryTracker:
    """Places batches of articles in stories through the store; `track` is the one entry."""

    store: StoryStore
    matcher: StoryMatcher
    window: timedelta
    max_candidates: int = 25
    postings: int = 40
    # Follow-ups of remembered stories (detectors/memory.py); None: no long memory.
    memory: LongMemory | None = None
    # Rounds and foreign-story looks, for tests and logs.
    rounds: int = 0
    foreign_merges: int = 0

    async def track(self, items: Sequence[Item], detect: Detect) -> dict[int, Placed]:
        """Place `items` (in the order given: the caller's application order), running
        `detect` after each round. Returns each item's placement by key."""
        placed: dict[int, Placed] = {}
        todo = list(items)
        # Stories and memory cards a round's plan asked for, read by the next round.
        extra: set[str] = set()
        extra_cards: set[str] = set()
        # A round reads for every article it looks at and stops at the first it cannot place
        # from that read (a merge, a story not read): when rounds stop early, look less far
        # ahead (twice what the last one placed), and further again once a round gets through.
        lookahead = len(todo)
        while todo:
            window, later = todo[:lookahead], todo[lookahead:]
            rest, extra, extra_cards = await self._round(
                window, extra, extra_cards, detect, placed
            )
            done = len(window) - len(rest)
            lookahead = 2 * len(window) if not rest else max(_MIN_LOOKAHEAD, 2 * done)
            todo = rest + later
        return placed

    async def _round(
        self,
        todo: list[Item],
        extra: set[str],
        extra_cards: set[str],
        detect: Detect,
        placed: dict[int, Placed],
    ) -> tuple[list[Item], set[str], set[str]]:
        self.rounds += 1
        store = self.store
        memory = self.memory
        horizon = memory.horizon if memory is not None else None
        members = [i.member for i in todo]
        held, index = await store.read_index(members, self.window, memory_horizon=horizon)
        pending = [Pending(i.member, held.get(i.member.article_id)) for i in todo]
        needed = needed_stories(
            pending, index, window=self.window, max_candidates=self.max_candidates,
            postings=self.postings,
        ) | extra  # fmt: skip
        cards = set(extra_cards)
        if horizon is not None:
            for member in members:
                cards.update(recall_wanted(member, index, horizon, postings=store.memory_postings,
                                           max_candidates=store.max_candidates))  # fmt: skip
            # A remembered story an article may follow up is read with the candidates: joining
            # it, the planner needs its members.
            needed |= cards
        stories, scores, read_cards = await store.read_stories(needed, cards)
        index.story_scores = scores
        plan = plan_assignments(
            pending, index, stories, self.matcher, window=self.window,
            max_candidates=self.max_candidates, postings=self.postings, memory=memory,
            cards=read_cards, memory_postings=store.memory_postings,
        )  # fmt: skip
        assignments = plan.assignments
        if not assignments:
            if not (plan.wanted - set(stories)) and not (plan.wanted_cards - set(read_cards)):
                raise NoProgress(f"the planner placed nothing: {plan.stopped}")
            return todo, extra | plan.wanted, extra_cards | plan.wanted_cards
        done, rest = todo[: len(assignments)], todo[len(assignments) :]
        log.debug("round %d: %d placed, %d left (%s)", self.rounds, len(done), len(rest),
                  plan.stopped)  # fmt: skip

        # Claims: the story an article is recorded in is the one it joins (another worker's,
        # if it got there first).
        wanted: dict[str, str] = {}
        for a in assignments:
            if not a.held:
                wanted.setdefault(a.article_id, a.story_id)
        claimed = await store.claim_articles(wanted) if wanted else {}
        targets: list[str] = []
        for a in assignments:
            target = claimed.get(a.article_id, a.story_id)
            read = stories.get(target)
            if a.held and read is not None and read.redirect is not None:
                target = await store.final_story(target)
            targets.append(target)

        merging = assignments[-1] if assignments[-1].merge else None
        joins: dict[str, list[Joining]] = {}
        for item, target in zip(done, targets, strict=True):
            joins.setdefault(target, []).append(item.join)
        observations = [
            Observation(i.member.source, t, i.member.article_id, i.fingerprints)
            for i, t, a in zip(done, targets, assignments, strict=True)
            if a is not merging
        ]
        states = await store.write_batch(joins, observations, remember=memory is not None)
        states, moved = await self._follow_redirects(states, joins)
        targets = [_resolve(moved, t) for t in targets]

        here = [
            Placed(item.key, item.member, target, a.score)
            for item, target, a in zip(done, targets, assignments, strict=True)
        ]
        added_to: dict[str, list[str]] = {}
        for p, target in zip(here, targets, strict=True):
            # An article twice in the batch (a producer's duplicate, a redelivery) was added
            # once: listed once, so its second placement sees the story as the first left it.
            ids = added_to.setdefault(target, [])
            if p.member.article_id in states[target].added and p.member.article_id not in ids:
                ids.append(p.member.article_id)
        # A redelivered article whose story was merged away since: merging again (idempotent)
        # finishes a merge its first pass may have left half-done, and re-raises its alert.
        for p, a, ahead in zip(here, assignments, pending[: len(assignments)], strict=True):
            if a.held and ahead.held == a.story_id and p.story_id != a.story_id:
                gone = await store.merge(a.story_id, p.story_id)
                if gone.direct:
                    p.absorbed.append(gone)
        # A new story: stories another worker started meanwhile (not in anything this round
        # read) are looked at as the one-at-a-time second look would.
        universe = set(stories) | set(states) | set(targets) | set(moved)
        universe.update(sid for p in index.tokens.values() for sid, _ in p.entries)
        fresh = [(p, a) for p, a in zip(here, assignments, strict=True)
                 if a.new and p.story_id == a.story_id]  # fmt: skip
        if fresh:
            merged = await self._foreign_look(fresh, universe)
            if merged:
                moved.update(merged)
                for p in here:
                    p.story_id = _resolve(moved, p.story_id)
        touched = {p.story_id for p in here}
        for sid in sorted(touched - set(states)):
            states[sid] = await store.read_state(sid)
        for sid in sorted(touched & set(moved.values())):
            states[sid] = await store.read_state(sid)

        added: dict[str, list[str]] = {}
        for target, ids in added_to.items():
            added.setdefault(_resolve(moved, target), []).extend(ids)
        first = here[:-1] if merging is not None else here
        await detect(Step(first, states, added))
        for p in here:
            placed[p.key] = p
        if merging is not None:
            last = here[-1]
            created = merging.created_at or last.member.published_at
            final, absorbed = await self._merge(last.story_id, created, merging.merge)
            last.story_id = final
            last.absorbed.extend(absorbed)
            item = done[-1]
            await store.observe_furniture(
                item.member.source, final, list(item.fingerprints),
                article_id=item.member.article_id,
            )  # fmt: skip
            state = await store.read_state(final)
            await detect(Step([last], {final: state}, {}))
        return rest, extra | plan.wanted, extra_cards | plan.wanted_cards

    async def _follow_redirects(
        self, states: dict[str, StoryState], joins: dict[str, list[Joining]]
    ) -> tuple[dict[str, StoryState], dict[str, str]]:
        """Stories merged away between the read and the write: write their articles where
        they went (what add_article does one at a time)."""
        moved: dict[str, str] = {}
        for _ in range(_MAX_REDIRECTS):
            redirected = {sid: st.redirect for sid, st in states.items() if st.redirect}
            if not redirected:
                return states, moved
            again: dict[str, list[Joining]] = {}
            for sid, target in redirected.items():
                assert target is not None
                moved[sid] = target
                again.setdefault(target, []).extend(joins[sid])
                del states[sid]
            written = await self.store.write_batch(again, remember=self.memory is not None)
            for sid, state in written.items():
                states[sid] = state
                joins[sid] = again[sid]
        raise ValueError(f"stories redirect more than {_MAX_REDIRECTS} times")

    async def _foreign_look(
        self, fresh: list[tuple[Placed, Assignment]], universe: set[str]
    ) -> dict[str, str]:
        store = self.store
        postings = await store.recheck_postings([p.member for p, _ in fresh], self.window)
        foreign = {sid for ids in postings.values() for sid in ids} - universe
        if not foreign:
            return {}
        moved: dict[str, str] = {}
        for p, a in fresh:
            since = p.member.published_at - self.window
            candidates, stats = await store.candidates(p.member, since)
            others = [c for c in candidates if c.story_id in foreign]
            created = {c.story_id: c.created_at for c in others}
            ranked = self.matcher.rank(p.member, others, stats)
            merge = tuple((s, created[s]) for s, v in ranked if v >= self.matcher.threshold)
            if not merge:
                continue
            self.foreign_merges += len(merge)
            log.info("article %r: a story another worker started is the same: %s",
                     p.member.article_id, ", ".join(s for s, _ in merge))  # fmt: skip
            start = _resolve(moved, p.story_id)
            final, absorbed = await self._merge(start, a.created_at or p.member.published_at,
                                                merge)  # fmt: skip
            p.absorbed.extend(absorbed)
            for gone in absorbed:
                moved[gone.story_id] = gone.into
            p.story_id = final
        return moved

    async def _merge(
        self, story_id: str, created: datetime, others: Sequence[tuple[str, datetime]]
    ) -> tuple[str, list[Absorbed]]:
        """Merge `others` with the article's story, the older surviving (so concurrent workers
        merge in the same direction): as assign_story does."""
        current, current_created = story_id, created
        absorbed: list[Absorbed] = []
        for other, other_created in others:
            if other == current:
                continue
            if (other_created, other) < (current_created, current):
                gone = await self.store.merge(current, other)
                current_created = other_created
            else:
                gone = await self.store.merge(other, current)
            current = gone.into
            absorbed.append(gone)
        return current, absorbed


def _resolve(moved: dict[str, str], story_id: str) -> str:
    for _ in range(_MAX_REDIRECTS):
        if story_id not in moved:
            return story_id
        story_id = moved[story_id]
    return story_id
