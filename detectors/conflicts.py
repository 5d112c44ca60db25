"""The figure-conflict detector: claims about the same figure whose intervals cannot both hold."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from detectors.story import Claim, Finding, StorySnapshot, stable_id
from topics import Alert, ClaimEvidence

KIND: Final = "figures.conflict"

FigureKey = tuple[str, str, str | None]


def figure_key(claim: Claim) -> FigureKey | None:
    """Two claims are about the same figure when action, thing and scope agree (v1)."""
    count = claim.count
    if count.action is None or count.thing_key is None:
        return None
    return (count.action, count.thing_key, count.place)


_FILLER = frozenset(
    "the a an of for and said says say told according to its their his her head spokesperson "
    "spokesman spokeswoman official officials".split()
)


def _words(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    cleaned = text.lower().replace("'s", " ").replace("’s", " ")
    return frozenset(w for w in cleaned.replace(",", " ").split() if w not in _FILLER)


def same_claimant(a: Claim, b: Claim) -> bool | None:
    """True/False when both claims name who says so; None when either does not."""
    wa, wb = _words(a.count.claimant), _words(b.count.claimant)
    if not wa or not wb:
        return None
    return bool(wa & wb)


def _modifiers(claim: Claim) -> frozenset[str]:
    """Capitalised words before the counted noun ('Ukrainian drones', 'Shahed drones')."""
    thing = claim.count.thing or ""
    return frozenset(w.lower() for w in thing.split()[:-1] if w[:1].isupper())


def same_figure(a: Claim, b: Claim, ambiguous: frozenset[str]) -> bool:
    """Whether two claims with one figure key are about one quantity.

    Precision first: an alert an editor cannot trust is worse than a missed one. Claims from
    different claimants are different figures (a dispute is another alert kind); 'Ukrainian
    drones' and 'Shahed drones' are different things; and when an article gives several values
    for one key (drones downed over the city and over the country), its claims are matched
    only through a shared claimant, because the scope that tells them apart is not in the key.
    """
    ma, mb = _modifiers(a), _modifiers(b)
    if ma and mb and not (ma & mb):
        return False
    claimant = same_claimant(a, b)
    if claimant is not None:
        return claimant
    return a.article_id not in ambiguous and b.article_id not in ambiguous


def compatible(a: Claim, b: Claim) -> bool:
    """Whether both claims can be true at once: their intervals overlap."""
    lo_a = a.count.low if a.count.low is not None else float("-inf")
    hi_a = a.count.high if a.count.high is not None else float("inf")
    lo_b = b.count.low if b.count.low is not None else float("-inf")
    hi_b = b.count.high if b.count.high is not None else float("inf")
    return lo_a <= hi_b and lo_b <= hi_a


def _interval(claim: Claim) -> tuple[float | None, float | None]:
    return (claim.count.low, claim.count.high)


def _fmt(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _evidence(claim: Claim) -> ClaimEvidence:
    count = claim.count
    return ClaimEvidence(
        article_id=claim.article_id,
        source=claim.source,
        published_at=claim.published_at,
        value_text=count.text,
        low=count.low,
        high=count.high,
        qualifier=count.qualifier,
        thing=count.thing,
        action=count.action,
        claimant=count.claimant,
        sentence=count.sentence,
    )


def describe(key: FigureKey) -> str:
    action, thing, place = key
    where = f" ({place})" if place else ""
    return f"{thing} {action}{where}"


@dataclass(frozen=True)
class FigureConflictDetector:
    """One alert per figure whose claims from different articles cannot all hold.

    The alert id depends on the distinct conflicting intervals, so another outlet repeating a
    value already in the picture sends nothing new, while a new conflicting value sends a new
    alert that supersedes the previous one for the same figure.
    """

    def check(self, story: StorySnapshot) -> list[Finding]:
        groups: dict[FigureKey, list[Claim]] = defaultdict(list)
        for claim in story.claims:
            key = figure_key(claim)
            if key is not None:
                groups[key].append(claim)
        alerts = []
        for key in sorted(groups, key=lambda k: (k[0], k[1], k[2] or "")):
            alert = self._check_figure(story, key, groups[key])
            if alert is not None:
                alerts.append(alert)
        return alerts

    def _check_figure(
        self, story: StorySnapshot, key: FigureKey, claims: list[Claim]
    ) -> Finding | None:
        claims = sorted(claims, key=lambda c: (c.published_at, c.claim_id))
        values: dict[str, set[tuple[float | None, float | None]]] = defaultdict(set)
        for c in claims:
            values[c.article_id].add(_interval(c))
        ambiguous = frozenset(aid for aid, seen in values.items() if len(seen) > 1)
        conflicting: set[str] = set()
        pairs: set[tuple[tuple[float | None, float | None], ...]] = set()
        for i, a in enumerate(claims):
            for b in claims[i + 1 :]:
                # One article stating two figures for one key is a scope problem, not a dispute.
                if a.article_id == b.article_id or compatible(a, b):
                    continue
                if not same_figure(a, b, ambiguous):
                    continue
                conflicting.update((a.claim_id, b.claim_id))
                pair = sorted([_interval(a), _interval(b)], key=lambda iv: (iv[0] or 0, iv[1] or 0))
                pairs.add(tuple(pair))
        if not conflicting:
            return None
        topic = f"{KIND}|{key[0]}|{key[1]}|{key[2] or ''}"
        alert_id = stable_id("al", KIND, story.story_id, topic, sorted(pairs, key=str))
        previous = story.latest_alerts.get(topic)
        evidence = [_evidence(c) for c in claims if c.claim_id in conflicting]
        positions = sorted(
            {
                (c.count.text, _fmt(c.count.low), _fmt(c.count.high), c.source)
                for c in claims
                if c.claim_id in conflicting
            }
        )
        said = "; ".join(f'{src} says "{text}" ({lo}–{hi})' for text, lo, hi, src in positions)
        alert = Alert(
            id=alert_id,
            kind=KIND,
            story_id=story.story_id,
            severity="warning",
            summary=f"Sources disagree on {describe(key)}: {said}",
            event_time=max(c.published_at for c in claims if c.claim_id in conflicting),
            sources=sorted({e.source for e in evidence}),
            figure=describe(key),
            claims=evidence,
            supersedes=previous if previous != alert_id else None,
        )
        return Finding(alert=alert, topic=topic)
