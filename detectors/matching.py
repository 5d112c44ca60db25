"""Story matching: which active story, if any, an article's signature belongs to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from detectors.story import Member, StoryProfile

# Place ids at these levels pin an event down; countries alone do not (v1 gazetteer prefixes).
_BROAD_PLACE_PREFIXES = ("iso:",)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap coefficient: short articles are not punished for saying less."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _specific(places: frozenset[str]) -> frozenset[str]:
    return frozenset(p for p in places if not p.startswith(_BROAD_PLACE_PREFIXES))


@dataclass(frozen=True)
class StoryMatcher:
    """Scores an article against candidate stories; v1 is a weighted overlap with hard vetoes."""

    threshold: float = 0.35
    window: timedelta = timedelta(hours=72)
    max_event_date_gap: timedelta = timedelta(days=2)

    def score(self, article: Member, story: StoryProfile) -> float:
        if article.published_at - story.last_published_at > self.window:
            return 0.0
        if article.event_date is not None and story.event_dates:
            gap = min(abs(article.event_date - d) for d in story.event_dates)
            if gap > self.max_event_date_gap:
                return 0.0
        mine, theirs = _specific(article.places), _specific(story.places)
        # Look-alike events in different cities are different stories.
        if mine and theirs and not (mine & theirs):
            return 0.0
        return (
            0.3 * _overlap(article.actors, story.actors)
            + 0.3 * _overlap(article.places, story.places)
            + 0.4 * _overlap(article.terms, story.terms)
        )

    def choose(
        self, article: Member, candidates: Iterable[StoryProfile]
    ) -> tuple[str | None, float]:
        """The best story at or above the threshold, or (None, best score) for a new story."""
        best_id: str | None = None
        best = 0.0
        for story in sorted(candidates, key=lambda s: s.story_id):
            score = self.score(article, story)
            if score > best:
                best_id, best = story.story_id, score
        if best_id is not None and best >= self.threshold:
            return best_id, best
        return None, best
