"""Story matching: which active story, if any, an article's signature belongs to."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from detectors.story import Finding, Member, StoryProfile, stable_id
from topics import Alert, ArticleRef

# Place ids at these levels pin an event down; countries alone do not (v1 gazetteer prefixes).
_BROAD_PLACE_PREFIXES = ("iso:",)


@dataclass(frozen=True)
class TermStats:
    """How many active stories carry each index token, out of how many active stories.

    The store reads these from the candidate index itself (the size of a token's posting list),
    so document frequencies cost no extra keys and expire with the window.
    """

    stories: int = 0
    df: Mapping[str, int] = field(default_factory=dict)

    def weight(self, token: str) -> float:
        """Smoothed inverse story frequency; a token no story has yet weighs like one story has
        (else the candidate's own tokens would count against it), and a token all have weighs 1."""
        return math.log((1 + self.stories) / max(1, self.df.get(token, 0))) + 1.0


def _specific(member: Member) -> frozenset[str]:
    """Places that pin the event down: not a country, not a whole state or region."""
    return frozenset(
        p for p in member.places - member.regions if not p.startswith(_BROAD_PLACE_PREFIXES)
    )


def _date_gap(day: date | None, days: frozenset[date]) -> int | None:
    if day is None or not days:
        return None
    return min(abs((day - d).days) for d in days)


@dataclass(frozen=True)
class StoryMatcher:
    """Scores an article against candidate stories.

    The score is the idf-weighted cosine between the article's tokens (actors, places, terms)
    and its closest member's (single link, so a story's later angles still attract follow-ups),
    moved up or down by event-date proximity. Place incompatibility is a hard veto: a shooting
    in Chicago is not one in Milwaukee, and a Springfield in another state is another place.
    """

    threshold: float = 0.2
    window: timedelta = timedelta(hours=72)
    # Event dates further apart than this lower the score by `date_penalty`; within one day
    # they raise it by `date_bonus` (extracted event dates are noisy: a soft signal).
    max_event_date_gap: timedelta = timedelta(days=2)
    date_bonus: float = 0.1
    date_penalty: float = 0.25
    # A second story scoring this high for one article is the same story: merge them.
    merge_threshold: float = 0.6

    def score(self, article: Member, story: StoryProfile, stats: TermStats | None = None) -> float:
        if article.published_at - story.last_published_at > self.window:
            return 0.0
        stats = stats or TermStats()
        best = 0.0
        for member in story.members:
            if not _places_compatible(article, member):
                return 0.0
            best = max(best, _cosine(article.tokens, member.tokens, stats))
        if best == 0.0:
            return 0.0
        gap = _date_gap(article.event_date, story.event_dates)
        if gap is not None:
            if gap <= 1:
                best += self.date_bonus
            elif gap > self.max_event_date_gap.days:
                best -= self.date_penalty
        return max(0.0, min(1.0, best))

    def rank(
        self,
        article: Member,
        candidates: Iterable[StoryProfile],
        stats: TermStats | None = None,
    ) -> list[tuple[str, float]]:
        """Candidates with a positive score, best first (ties by story id, for determinism)."""
        scored = [(story.story_id, self.score(article, story, stats)) for story in candidates]
        return sorted(((s, v) for s, v in scored if v > 0.0), key=lambda sv: (-sv[1], sv[0]))

    def choose(
        self,
        article: Member,
        candidates: Iterable[StoryProfile],
        stats: TermStats | None = None,
    ) -> tuple[str | None, float]:
        """The best story at or above the threshold, or (None, best score) for a new story."""
        ranked = self.rank(article, candidates, stats)
        if not ranked:
            return None, 0.0
        best_id, best = ranked[0]
        return (best_id, best) if best >= self.threshold else (None, best)

    def also_same(self, ranked: list[tuple[str, float]], chosen: str) -> list[str]:
        """Other stories the article ties to as strongly as a merge needs."""
        return [sid for sid, score in ranked if sid != chosen and score >= self.merge_threshold]


def _places_compatible(a: Member, b: Member) -> bool:
    mine, theirs = _specific(a), _specific(b)
    # Look-alike events in different cities are different stories.
    if mine and theirs and not (mine & theirs):
        return False
    # The same city name in two different states is two places.
    return not (a.regions and b.regions and not (a.regions & b.regions))


def _cosine(a: frozenset[str], b: frozenset[str], stats: TermStats) -> float:
    common = a & b
    if not common:
        return 0.0
    dot = sum(stats.weight(t) ** 2 for t in common)
    norm_a = math.sqrt(sum(stats.weight(t) ** 2 for t in a))
    norm_b = math.sqrt(sum(stats.weight(t) ** 2 for t in b))
    return dot / (norm_a * norm_b)


MERGED: Final = "story.merged"


def merged_finding(
    survivor: str, absorbed: str, members: Iterable[Member], at: datetime
) -> Finding:
    """The alert a consumer follows when two stories turn out to be one: same pair, same id."""
    refs = sorted(
        (
            ArticleRef(
                article_id=m.article_id, source=m.source, published_at=m.published_at,
                title=m.title,
            )
            for m in members
        ),
        key=lambda r: (r.published_at, r.article_id),
    )  # fmt: skip
    title = f' — "{refs[0].title}"' if refs else ""
    alert = Alert(
        id=stable_id("al", MERGED, survivor, absorbed),
        kind=MERGED,
        story_id=survivor,
        severity="info",
        summary=f"Story {absorbed} merged into {survivor} ({len(refs)} article(s)){title}",
        event_time=at,
        sources=sorted({r.source for r in refs}),
        articles=refs,
        related_story_ids=[absorbed],
    )
    return Finding(alert=alert, topic=f"{MERGED}|{absorbed}")
