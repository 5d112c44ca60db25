"""Story matching: which active story, if any, an article's signature belongs to."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from detectors.neardup import band_overlap
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
    # weight(t) ** 2 per token, computed once: ranking an article against 25 stories' members
    # asks for the same tokens' weights hundreds of times.
    _squares: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def weight(self, token: str) -> float:
        """Smoothed inverse story frequency; a token no story has yet weighs like one story has
        (else the candidate's own tokens would count against it), and a token all have weighs 1."""
        return math.log((1 + self.stories) / max(1, self.df.get(token, 0))) + 1.0

    def squared(self, token: str) -> float:
        """weight(token) ** 2, remembered."""
        value = self._squares.get(token)
        if value is None:
            value = self._squares[token] = self.weight(token) ** 2
        return value


def _specific(member: Member) -> frozenset[str]:
    """Places that pin the event down: not a country, not a whole state or region."""
    return frozenset(
        p for p in member.places - member.regions if not p.startswith(_BROAD_PLACE_PREFIXES)
    )


@dataclass(frozen=True)
class MatchWeights:
    """A logistic model of "these two articles report one event", feature by feature.

    Fitted by `benchmarks/fit_matcher.py` on the first half of a labelled stream; the worker reads
    the weights from config/matching.toml (these defaults are the last fit, for tests and for a
    name the table leaves out); the score is the model's probability.
    """

    bias: float = -3.18
    cosine: float = 4.18  # idf-weighted cosine over all tokens
    actors: float = 0.19  # ... over actors only
    places: float = 1.89  # ... over places only
    terms: float = 5.26  # ... over distinctive words only
    surnames: float = 1.43  # people's surnames both name (at most 3)
    same_place: float = 1.98  # a town both name (by gazetteer id or as written)
    other_place: float = -0.66  # both name towns, none in common
    other_region: float = -1.23  # both name states, none in common
    same_day: float = 0.51  # event dates
    next_day: float = 0.08
    days_2_3: float = -1.04
    days_apart: float = -1.56  # more than 3 days
    published_gap: float = -0.72  # log(1 + days between publications)
    same_source: float = -0.31  # an outlet rarely reports one event twice the same way
    near_dup: float = -0.82  # share of MinHash bands in common (a copy or a rewrite)
    same_address: float = 1.98  # a street address, street or named venue both name
    shared_keys: float = 1.90  # distinctive keys both name (full names, addresses; up to 3)
    thin: float = 0.94  # either article is a stub: its overlap says less
    roundup: float = -0.72  # either article tallies several incidents

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> MatchWeights:
        unknown = set(values) - set(FEATURES) - {"bias"}
        if unknown:
            raise ValueError(f"unknown matching weight(s): {', '.join(sorted(unknown))}")
        return cls(**{k: float(v) for k, v in values.items()})


FEATURES: Final = tuple(f for f in MatchWeights.__dataclass_fields__ if f != "bias")


def _surnames(member: Member) -> frozenset[str]:
    return frozenset(a.rsplit("-", 1)[-1] for a in member.actors if a.startswith("person:"))


def pair_features(article: Member, member: Member, stats: TermStats) -> dict[str, float]:
    """What the model sees of an article and one earlier member of a candidate story."""
    here, there = _specific(article), _specific(member)
    shared_place = bool(here & there) or bool(article.place_names & member.place_names)
    gap = None
    if article.event_date is not None and member.event_date is not None:
        gap = abs((article.event_date - member.event_date).days)
    published = max(0.0, (article.published_at - member.published_at).total_seconds() / 86400)
    return {
        "cosine": _cosine(article.tokens, member.tokens, stats),
        "actors": _cosine(article.actor_tokens, member.actor_tokens, stats),
        "places": _cosine(article.place_tokens, member.place_tokens, stats),
        "terms": _cosine(article.term_tokens, member.term_tokens, stats),
        "surnames": float(min(3, len(_surnames(article) & _surnames(member)))),
        "same_place": float(shared_place),
        "other_place": float(bool(here and there) and not shared_place),
        "other_region": float(_other_region(article, member)),
        "same_day": float(gap == 0),
        "next_day": float(gap == 1),
        "days_2_3": float(gap is not None and 2 <= gap <= 3),
        "days_apart": float(gap is not None and gap > 3),
        "published_gap": math.log1p(published),
        "same_source": float(article.source == member.source),
        "near_dup": band_overlap(article.bands, member.bands),
        "same_address": float(bool(article.key_tokens & member.key_tokens)),
        "shared_keys": float(min(3, len(article.keys & member.keys))),
        "thin": float(article.thin or member.thin),
        "roundup": float(article.roundup or member.roundup),
    }


@dataclass(frozen=True)
class StoryMatcher:
    """Scores an article against candidate stories.

    The score is the probability, under a logistic model over signature overlap (idf-weighted
    cosines of actors, places and terms, shared surnames), place agreement, event-date gap and
    publication gap, that the article reports the same event as the story's closest member
    (single link, so a story's later angles still attract follow-ups). Two vetoes are hard: a
    member in another state that shares no resolved town with the article — a shooting in
    Chicago is not one in Milwaukee, and a Springfield in another state is another place — and
    a member reporting an event of its own day more than `max_event_gap` before the article's,
    when neither names the other's day (a drone attack on Kyiv a week later is a new story).
    """

    threshold: float = 0.4
    window: timedelta = timedelta(days=7)
    # A second story scoring this high for one article is the same story: merge them.
    merge_threshold: float = 0.9
    weights: MatchWeights = field(default_factory=MatchWeights)
    # Two articles each reporting an event of their own publication day, further apart than
    # this, neither naming the other's day, report two events (the nightly drone attack).
    max_event_gap: timedelta = timedelta(days=3)

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.weights.bias + sum(getattr(self.weights, k) * v for k, v in features.items())
        return 1.0 / (1.0 + math.exp(-z))

    def score(self, article: Member, story: StoryProfile, stats: TermStats | None = None) -> float:
        if article.published_at - story.last_published_at > self.window:
            return 0.0
        stats = stats or TermStats()
        best = 0.0
        for member in story.members:
            if vetoed(article, member) or self._another_day(article, member):
                return 0.0
            if not (article.tokens & member.tokens):
                continue
            best = max(best, self.probability(pair_features(article, member, stats)))
        return best

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

    def _another_day(self, a: Member, b: Member) -> bool:
        """Both report "today's" event, days apart, and neither refers back to the other's day.

        Follow-ups ("charged on Monday in Friday's shooting") name the earlier day and stay;
        extracted event dates are noisy, so the date gap alone is only a soft feature.
        """
        if a.event_date is None or b.event_date is None:
            return False
        if abs((a.event_date - b.event_date).days) <= self.max_event_gap.days:
            return False
        fresh = a.event_date == a.published_at.date() and b.event_date == b.published_at.date()
        return fresh and b.event_date not in a.days and a.event_date not in b.days


def _other_region(a: Member, b: Member) -> bool:
    return bool(a.regions and b.regions and not (a.regions & b.regions))


def _other_stated_region(a: Member, b: Member) -> bool:
    return bool(
        a.stated_regions and b.stated_regions and not (a.stated_regions & b.stated_regions)
    )


def vetoed(a: Member, b: Member) -> bool:
    """Both texts name a state (or oblast), none in common, and no town resolved to the same
    gazetteer entry: another place.

    Only regions the texts state count: a town resolved without state evidence ("Springfield"
    taken for the most populous one) never vetoes. A shared town *name* does not lift the veto
    (Springfield, Illinois is not Springfield, Missouri); a shared id does.
    """
    return _other_stated_region(a, b) and not (_specific(a) & _specific(b))


def _cosine(a: frozenset[str], b: frozenset[str], stats: TermStats) -> float:
    common = a & b
    if not common:
        return 0.0
    dot = sum(stats.squared(t) for t in common)
    norm_a = math.sqrt(sum(stats.squared(t) for t in a))
    norm_b = math.sqrt(sum(stats.squared(t) for t in b))
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
