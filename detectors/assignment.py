"""Which story each article of a batch joins, decided from one read of the index: the batch's
`plan_assignments`, giving exactly what one-at-a-time matching gives.

One article at a time, matching reads the candidate index, decides, and writes; the next
article reads what the previous one wrote. A batch reads the index once for all its articles
(`IndexRead`, `StoryRead`: what the store's batch read returns) and decides here, article
after article in stream order, keeping an overlay of what the earlier articles of the batch
would have written (their stories' new members, their tokens' postings and counts), so that a
later article sees the index as it would have been after them: two articles of one new story
in one batch end in one story.

The overlay is exact with one approximation: a story the batch joins that is not among the
postings read for one of its tokens (a token of more than `postings` stories) is taken to be
listed there when one of its members carries the token, which is what the index holds unless
that token's key expired. When the read cannot say (a candidate whose members were not read,
a merge), planning stops at that article and returns the rest as `deferred`: the worker writes
what was planned, reads again and plans the rest.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from detectors.matching import StoryMatcher, TermStats
from detectors.memory import CARD_MEMBERS, LongMemory, Recall
from detectors.memory import card as memory_card
from detectors.story import Member, StoryProfile, new_story_id


def candidate_floor(member: Member, window: timedelta) -> float:
    """The oldest activity (event time, as a timestamp) a story may have to be a candidate."""
    return (member.published_at - window).timestamp()


def recall_floor(member: Member, horizon: timedelta) -> float:
    """The oldest event time (a timestamp) a remembered story may have for the long memory."""
    return (member.published_at - horizon).timestamp()


def index_tokens(member: Member) -> list[str]:
    """The index tokens an article is filed under (sorted): actors, places, terms, addresses,
    event day and near-duplicate bands (the store files it under the same)."""
    return member.index_tokens()


@dataclass
class Postings:
    """One token's stories as read: the newest first, counts per floor.

    `entries` is an exact prefix of the token's sorted set in ZREVRANGEBYSCORE order (score
    descending, then story id descending); `complete` says it holds every story scored at or
    above `floor`. `counts` holds ZCOUNT(token, f, +inf) for each floor f the batch asked.
    """

    entries: list[tuple[str, float]]
    complete: bool
    floor: float
    counts: dict[float, int]

    def score_of(self, story_id: str) -> float | None:
        for sid, score in self.entries:
            if sid == story_id:
                return score
        return None

    def top(self, floor: float, limit: int) -> list[str]:
        """ZREVRANGEBYSCORE token +inf floor LIMIT 0 limit."""
        out: list[str] = []
        for sid, score in self.entries:
            if score < floor or len(out) >= limit:
                break
            out.append(sid)
        return out


@dataclass
class IndexRead:
    """What the batch read of the candidate index returned."""

    # ZCOUNT(stories, f, +inf) for each floor f.
    stories: dict[float, int]
    # ZSCORE(stories, s) for the stories read in StoryRead (None: not in the set).
    story_scores: dict[str, float | None]
    tokens: dict[str, Postings]
    # The long memory's postings per distinctive key (read only when the memory is on).
    memory: dict[str, Postings] = field(default_factory=dict)


@dataclass(frozen=True)
class StoryRead:
    """One story as read: where it was merged to (None if not) and its members."""

    story_id: str
    redirect: str | None
    members: tuple[Member, ...]


@dataclass(frozen=True)
class Pending:
    """An article to place: its member record, and the story it already holds (a redelivery)."""

    member: Member
    held: str | None = None


@dataclass(frozen=True)
class Assignment:
    """Where one article goes: a story (new or existing), with what matching scored."""

    article_id: str
    story_id: str
    score: float
    new: bool
    # A redelivered article re-added to the story it already holds.
    held: bool = False
    # Other stories the article ties to strongly enough to merge (see StoryMatcher.also_same),
    # best first, with when each was created (the older survives a merge).
    merge: tuple[tuple[str, datetime], ...] = ()
    # When the story was created (its earliest member), for the merge direction.
    created_at: datetime | None = None
    # Stories matching looked at (a new story's second look skips them).
    seen: frozenset[str] = frozenset()


@dataclass
class Plan:
    """Assignments for a prefix of the batch, and the articles left for another read."""

    assignments: list[Assignment] = field(default_factory=list)
    deferred: list[Pending] = field(default_factory=list)
    # Why planning stopped early, for logs and tests.
    stopped: str | None = None
    # Stories the plan needed and was not given: read them for the next round.
    wanted: set[str] = field(default_factory=set)
    # Remembered stories whose memory cards the plan needed and was not given.
    wanted_cards: set[str] = field(default_factory=set)


def needed_stories(
    pending: Sequence[Pending],
    index: IndexRead,
    *,
    window: timedelta,
    max_candidates: int,
    postings: int,
    margin: int = 10,
) -> set[str]:
    """The stories whose members the plan will need: each article's top candidates by hits on
    the index as read (plus a margin, since the batch's own writes can reorder them) and the
    stories redelivered articles hold."""
    out: set[str] = set()
    for item in pending:
        if item.held is not None:
            out.add(item.held)
            continue
        floor = candidate_floor(item.member, window)
        tokens = index_tokens(item.member)
        stats = _stats(index, tokens, floor)
        hits = _hits(index, tokens, floor, stats, postings)
        out.update(_ranked(hits, max_candidates + margin))
    return out


def recall_wanted(
    member: Member, index: IndexRead, horizon: timedelta, *, postings: int, max_candidates: int
) -> list[str]:
    """The remembered stories whose cards `recall` reads for the article, as the store's
    recall picks them: those listed under at least two of its keys, most keys first."""
    keys = sorted(member.keys)
    if len(keys) < 2:
        return []
    floor = recall_floor(member, horizon)
    listed: dict[str, set[str]] = {}
    for key in keys:
        read = index.memory.get(key)
        if read is None:
            continue
        for sid in read.top(floor, postings):
            listed.setdefault(sid, set()).add(key)
    return sorted(
        (s for s, found in listed.items() if len(found) >= 2), key=lambda s: (-len(listed[s]), s)
    )[:max_candidates]


@dataclass(frozen=True)
class CardRead:
    """A remembered story's card as read: merged away, and its card members."""

    redirected: bool
    members: tuple[Member, ...]


def plan_assignments(
    pending: Sequence[Pending],
    index: IndexRead,
    stories: Mapping[str, StoryRead],
    matcher: StoryMatcher,
    *,
    window: timedelta,
    max_candidates: int,
    postings: int,
    memory: LongMemory | None = None,
    cards: Mapping[str, CardRead] | None = None,
    memory_postings: int = 16,
) -> Plan:
    """Place the batch's articles one after another, as one-at-a-time matching would.

    With `memory`, an article no active story takes may follow up a remembered one
    (StoryStore.recall, then LongMemory.follow_up), decided from the memory index as read
    (`index.memory`, `cards`) plus what the batch's earlier articles remember.

    Pure: `index` and `stories` are not modified."""
    plan = Plan()
    overlay = _Overlay(index, stories, cards or {})
    # An article twice in one batch: the second time it holds the story the first chose.
    placed: dict[str, str] = {}
    for position, item in enumerate(pending):
        member = item.member
        held_id = placed.get(member.article_id, item.held)
        if held_id is not None:
            read = stories.get(held_id)
            present = (read is None or read.redirect is None) and any(
                m.article_id == member.article_id for m in overlay.members(held_id)
            )
            assignment = Assignment(member.article_id, held_id, 1.0, new=False, held=True)
            plan.assignments.append(assignment)
            if not present:
                # A first pass that died half-way, or a story merged away since: the write
                # decides where it lands, and later articles must see that.
                plan.deferred = list(pending[position + 1 :])
                plan.stopped = f"{member.article_id} re-adds to {held_id}, not as read"
                return plan
            continue

        floor = candidate_floor(member, window)
        tokens = index_tokens(member)
        stats = overlay.stats(tokens, floor)
        hits = overlay.hits(tokens, floor, stats, postings)
        ranked_ids = _ranked(hits, max_candidates)
        profiles: list[StoryProfile] = []
        unknown = [sid for sid in ranked_ids if not overlay.known(sid)]
        if unknown:
            plan.deferred = list(pending[position:])
            plan.stopped = f"{member.article_id} needs stories not read: {', '.join(unknown[:3])}"
            plan.wanted = set(unknown)
            return plan
        for sid in ranked_ids:
            profile = overlay.profile(sid)
            if profile is not None:
                profiles.append(profile)
        ranked = matcher.rank(member, profiles, stats)
        created = {p.story_id: p.created_at for p in profiles}
        chosen, score = ranked[0] if ranked else (None, 0.0)
        if score < matcher.threshold:
            chosen = None
            if memory is not None and len(member.keys) >= 2:
                recall = overlay.recall(member, memory.horizon, postings=memory_postings,
                                        max_candidates=max_candidates)  # fmt: skip
                if isinstance(recall, set):
                    plan.deferred = list(pending[position:])
                    plan.stopped = f"{member.article_id} recalls cards not read"
                    plan.wanted_cards = recall
                    return plan
                chosen, _ = memory.follow_up(member, recall)
                if chosen is not None and not overlay.known(chosen):
                    # Joining a story not read: its members and score decide what the index
                    # holds after the join. Read it, then plan from here again.
                    plan.deferred = list(pending[position:])
                    plan.stopped = f"{member.article_id} follows up {chosen}, not read"
                    plan.wanted = {chosen}
                    return plan
        story_id = chosen or new_story_id(member.article_id)
        merge: tuple[tuple[str, datetime], ...] = ()
        if chosen is not None:
            merge = tuple((s, created[s]) for s in matcher.also_same(ranked, chosen))
            overlay.add(story_id, member)
        else:
            # A new story: one-at-a-time matching looks again once it is indexed (another
            # worker may have started the same story a moment ago). Its own entry changes the
            # token weights, so stories it did not consider may now rank: as that look would.
            overlay.add(story_id, member)
            second = _second_look(member, overlay, matcher, floor, tokens, postings,
                                  max_candidates, exclude=set(created) | {story_id})  # fmt: skip
            if isinstance(second, set):
                plan.deferred = list(pending[position:])
                plan.stopped = (
                    f"{member.article_id}'s second look needs stories not read: "
                    f"{', '.join(sorted(second)[:3])}"
                )
                plan.wanted = second
                return plan
            merge = second
        assignment = Assignment(
            member.article_id,
            story_id,
            score,
            new=chosen is None,
            merge=merge,
            created_at=created.get(story_id, member.published_at),
            seen=frozenset(created),
        )
        plan.assignments.append(assignment)
        placed[member.article_id] = story_id
        if merge:
            plan.deferred = list(pending[position + 1 :])
            plan.stopped = f"{member.article_id} merges {story_id} with {merge[0][0]}"
            return plan
    return plan


def _second_look(
    member: Member,
    overlay: _Overlay,
    matcher: StoryMatcher,
    floor: float,
    tokens: Sequence[str],
    postings: int,
    max_candidates: int,
    exclude: set[str],
) -> tuple[tuple[str, datetime], ...] | set[str]:
    """The stories a new story's second look would merge (with their creation times), or the
    stories it would need that were not read."""
    stats = overlay.stats(tokens, floor)
    hits = overlay.hits(tokens, floor, stats, postings)
    fresh = [sid for sid in _ranked(hits, max_candidates) if sid not in exclude]
    unknown = {sid for sid in fresh if not overlay.known(sid)}
    if unknown:
        return unknown
    profiles = [p for sid in fresh if (p := overlay.profile(sid)) is not None]
    created = {p.story_id: p.created_at for p in profiles}
    ranked = matcher.rank(member, profiles, stats)
    return tuple((sid, created[sid]) for sid, score in ranked if score >= matcher.threshold)


# -- the index as one-at-a-time matching would read it -------------------------------------------
def _stats(index: IndexRead, tokens: Sequence[str], floor: float) -> TermStats:
    df = {t: index.tokens[t].counts[floor] for t in tokens if t in index.tokens}
    return TermStats(stories=index.stories.get(floor, 0), df=df)


def _hits(
    index: IndexRead, tokens: Sequence[str], floor: float, stats: TermStats, postings: int
) -> dict[str, float]:
    # Same order of additions as StoryStore.candidates, so the float sums are the same.
    hits: dict[str, float] = {}
    for token in tokens:
        read = index.tokens.get(token)
        if read is None:
            continue
        weight = stats.weight(token)
        for sid in read.top(floor, postings):
            hits[sid] = hits.get(sid, 0.0) + weight
    return hits


def _ranked(hits: Mapping[str, float], limit: int) -> list[str]:
    return sorted(hits, key=lambda s: (-hits[s], s))[:limit]


class _Overlay:
    """The index and stories as read, plus what the batch's earlier articles added.

    Postings are copied when first written (a round reads thousands; an article writes a few
    dozen), so planning costs what the batch writes, not what it read."""

    def __init__(
        self,
        index: IndexRead,
        stories: Mapping[str, StoryRead],
        cards: Mapping[str, CardRead] | None = None,
    ) -> None:
        self._index = IndexRead(
            stories=dict(index.stories),
            story_scores=dict(index.story_scores),
            tokens=dict(index.tokens),
            memory=dict(index.memory),
        )
        self._owned: set[tuple[bool, str]] = set()
        self._stories = stories
        self._cards = cards or {}
        self._added: dict[str, list[Member]] = {}
        # Story -> its score in the stories set, as far as the overlay knows.
        self._story_scores: dict[str, float | None] = dict(index.story_scores)

    def known(self, story_id: str) -> bool:
        return story_id in self._stories or story_id in self._added

    def members(self, story_id: str) -> list[Member]:
        read = self._stories.get(story_id)
        base = list(read.members) if read is not None else []
        return base + self._added.get(story_id, [])

    def profile(self, story_id: str) -> StoryProfile | None:
        read = self._stories.get(story_id)
        if read is not None and read.redirect is not None:
            return None  # merged away: the store skips it too
        members = self.members(story_id)
        return StoryProfile(story_id=story_id, members=tuple(members)) if members else None

    def stats(self, tokens: Sequence[str], floor: float) -> TermStats:
        return _stats(self._index, tokens, floor)

    def hits(
        self, tokens: Sequence[str], floor: float, stats: TermStats, postings: int
    ) -> dict[str, float]:
        return _hits(self._index, tokens, floor, stats, postings)

    def _writable(self, memory: bool, key: str) -> Postings | None:
        table = self._index.memory if memory else self._index.tokens
        read = table.get(key)
        if read is None or (memory, key) in self._owned:
            return read
        read = Postings(list(read.entries), read.complete, read.floor, dict(read.counts))
        table[key] = read
        self._owned.add((memory, key))
        return read

    def add(self, story_id: str, member: Member) -> None:
        """What adding `member` to `story_id` writes: a member, postings (ZADD GT) and counts,
        and (StoryStore.remember) its distinctive keys in the long memory."""
        if any(m.article_id == member.article_id for m in self.members(story_id)):
            return  # the store's add is a no-op for a member already there
        before = self.members(story_id)
        self._added.setdefault(story_id, []).append(member)
        ts = member.published_at.timestamp()
        old = self._story_scores.get(story_id)
        if story_id not in self._story_scores and before:
            # Not read (a story the batch created): its score is its newest member's.
            old = max(m.published_at.timestamp() for m in before)
        for floor in self._index.stories:
            if ts >= floor and (old is None or old < floor):
                self._index.stories[floor] += 1
        self._story_scores[story_id] = ts if old is None else max(old, ts)
        implied = _scores_from_members(before, index_tokens)
        for token in index_tokens(member):
            read = self._writable(False, token)
            if read is None:
                continue  # no article of this batch reads it
            _zadd_gt(read, story_id, ts, implied.get(token))
        if member.keys:
            remembered = _scores_from_members(before, lambda m: sorted(m.keys))
            for key in sorted(member.keys):
                read = self._writable(True, key)
                if read is not None:
                    _zadd_gt(read, story_id, ts, remembered.get(key))

    def recall(
        self, member: Member, horizon: timedelta, *, postings: int, max_candidates: int
    ) -> Recall | set[str]:
        """What StoryStore.recall would return for the article now; or the remembered stories
        whose cards it needs and that were not read."""
        keys = sorted(member.keys)
        if len(keys) < 2:
            return Recall()
        floor = recall_floor(member, horizon)
        memory = self._index.memory
        df = {k: memory[k].counts[floor] for k in keys if k in memory}
        listed: dict[str, set[str]] = {}
        for key in keys:
            read = memory.get(key)
            if read is None:
                continue
            for sid in read.top(floor, postings):
                listed.setdefault(sid, set()).add(key)
        wanted = sorted(
            (s for s, found in listed.items() if len(found) >= 2),
            key=lambda s: (-len(listed[s]), s),
        )[:max_candidates]
        profiles: list[StoryProfile] = []
        unknown: set[str] = set()
        for sid in wanted:
            card = self._card(sid)
            if card is None:
                unknown.add(sid)
            elif card.members and not card.redirected:
                profiles.append(StoryProfile(story_id=sid, members=card.members))
        if unknown:
            return unknown
        return Recall(
            stories=profiles,
            listed={p.story_id: frozenset(listed[p.story_id]) for p in profiles},
            df=df,
        )

    def _card(self, story_id: str) -> CardRead | None:
        """A story's memory card as the store holds it now: the card read plus the batch's
        members with keys, the CARD_MEMBERS earliest (None: a card that was not read)."""
        read = self._cards.get(story_id)
        added = [memory_card(m) for m in self._added.get(story_id, []) if m.keys]
        if read is None:
            if story_id in self._stories or not added:
                return None
            read = CardRead(redirected=False, members=())
        if not added:
            return read
        entries = {(m.published_at.timestamp(), m.to_json()): m for m in read.members}
        for m in added:
            entries.setdefault((m.published_at.timestamp(), m.to_json()), m)
        kept = tuple(entries[k] for k in sorted(entries)[:CARD_MEMBERS])
        return CardRead(redirected=read.redirected, members=kept)


def _scores_from_members(
    members: Iterable[Member], filed: Callable[[Member], Iterable[str]]
) -> dict[str, float]:
    """A story's score under each token (or memory key) as its members imply: the newest
    member filed under it. Stands in for the score of a story beyond the prefix read."""
    out: dict[str, float] = {}
    for m in members:
        ts = m.published_at.timestamp()
        for token in filed(m):
            if ts > out.get(token, float("-inf")):
                out[token] = ts
    return out


def _order(entry: tuple[str, float]) -> tuple[float, str]:
    return (entry[1], entry[0])


def _zadd_gt(read: Postings, story_id: str, ts: float, implied: float | None) -> None:
    """ZADD token GT ts story_id, applied to the prefix and the counts that were read."""
    old = read.score_of(story_id)
    listed = old is not None
    if listed:
        read.entries = [e for e in read.entries if e[0] != story_id]
    elif not read.complete:
        # Beyond the prefix, or not listed: what its members imply (see the module docstring).
        old = implied
    new = ts if old is None else max(old, ts)
    for floor in read.counts:
        if new >= floor and (old is None or old < floor):
            read.counts[floor] += 1
    entry = (story_id, new)
    # Insert in descending (score, id) order if it falls inside the exact prefix: it was
    # listed (a score only grows), the prefix is the whole set, or it sorts above the last.
    keys = [_order(e) for e in reversed(read.entries)]  # ascending
    at = bisect.bisect_left(keys, _order(entry))
    if listed or read.complete or at > 0:
        read.entries.insert(len(read.entries) - at, entry)
