"""Long memory: a follow-up weeks later joins its story when their distinctive keys agree.

A story takes ordinary matches for the story window (7 days quiet, event time). Charges,
court dates, funerals and anniversaries come later and in other words, so the candidate index
and the model, which weigh time gaps, no longer find them. The worker keeps, for a horizon of
90 days, a compact index of each story's distinctive keys (detectors.keys: people named in
full who are not officials, street addresses, named venues and businesses) and a small card
of its first members; `follow_up` decides, from what that index returns, whether an article
that matched nothing is a follow-up of a remembered story.

The rule: at least `min_keys` distinct keys in common (an address and its street count once),
each carried by at most `max_stories` remembered stories (a police chief or a mayor named in
every story identifies none), and no place veto against any card member (another state and no
shared town). Measured on GVA (benchmarks/matching_gva.py): pairs sharing two such keys are the
same incident about five times as often as not; one shared name alone is wrong more often than
right.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta

from detectors.matching import vetoed
from detectors.story import Member, StoryProfile

# Members kept on a remembered story's card: its first reports carry the keys a follow-up
# names; later ones add little and cost memory.
CARD_MEMBERS = 8
# A card member's title is for a person reading the store, not for matching.
CARD_TITLE_CHARS = 160


@dataclass(frozen=True)
class Recall:
    """What the memory index gives back for one article."""

    # Remembered stories (their cards) sharing keys with the article.
    stories: list[StoryProfile] = field(default_factory=list)
    # story id -> the article's keys whose index lists that story.
    listed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # key -> how many remembered stories inside the horizon carry it.
    df: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LongMemory:
    """How long and how a closed story is remembered, and when a follow-up joins it."""

    horizon: timedelta = timedelta(days=90)
    min_keys: int = 2
    max_stories: int = 3

    def distinctive(self, keys: Iterable[str], df: Mapping[str, int]) -> frozenset[str]:
        """Keys carried by few enough remembered stories to identify one; a street is dropped
        when its numbered address is also there (one piece of evidence, not two)."""
        kept = {k for k in keys if 0 < df.get(k, 0) <= self.max_stories}
        numbered = {k.split("-", 1)[1] for k in kept if k.startswith("addr:") and "-" in k}
        return frozenset(k for k in kept if not (k.startswith("street:") and k[7:] in numbered))

    def follow_up(self, article: Member, recall: Recall) -> tuple[str | None, int]:
        """The remembered story the article follows up, with the number of keys that agree;
        (None, best count) when none qualifies. Ties go to the most recent story, then id."""
        mine = frozenset(article.keys)
        best: tuple[int, float, str] | None = None
        best_count = 0
        for story in recall.stories:
            theirs = recall.listed.get(story.story_id, frozenset()) | frozenset().union(
                *(m.keys for m in story.members)
            )
            shared = self.distinctive(mine & theirs, recall.df)
            best_count = max(best_count, len(shared))
            if len(shared) < self.min_keys:
                continue
            if any(vetoed(article, m) for m in story.members):
                continue
            rank = (len(shared), story.last_published_at.timestamp(), story.story_id)
            if best is None or rank > best:
                best = rank
        if best is None:
            return None, best_count
        return best[2], best[0]


def card(member: Member) -> Member:
    """What the memory keeps of a member: identity, places, keys; no terms or bands."""
    return replace(
        member,
        title=member.title[:CARD_TITLE_CHARS],
        terms=frozenset(),
        bands=frozenset(),
    )
