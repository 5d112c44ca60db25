"""Figure alerts across articles: conflicts, and revisions of figures that grow.

Claims are grouped into figures by (action, thing, place); within a group two claims are about
one quantity only when `same_figure` says so. Each pair of such claims from different articles
is then `compatible` (intervals overlap), an `updated` (a growing figure rising in a later
report), `revised_down` (a growing figure falling: never silently accepted, so a conflict), or a
plain `conflict`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from detectors.figures import NATIONWIDE
from detectors.story import (
    Claim,
    Finding,
    Member,
    StorySnapshot,
    earliest,
    evidence_key,
    stable_id,
)
from topics import Alert, ClaimEvidence
from topics.alerts import AlertKind, Severity

KIND: Final = "figures.conflict"
UPDATED: Final = "figures.updated"

FigureKey = tuple[str, str, str | None]
Interval = tuple[float | None, float | None]
Relation = Literal["compatible", "updated", "revised_down", "conflict"]
FigureKind = AlertKind

# Figures that grow as news comes in: a later, higher report is a revision, not a dispute.
GROWING: Final = frozenset(
    {"killed", "injured", "arrested", "displaced", "missing", "evacuated", "rescued", "captured"}
)
_FILLER = frozenset(
    "the a an of for and said says say told according to its their his her head spokesperson "
    "spokesman spokeswoman".split()
)
# Words that name no one in particular: "officials said" is not a claimant that could be
# set against "the governor said".
_ANONYMOUS = frozenset("officials official authorities sources source reports media local".split())
# Actions whose figures count people: "the death toll rose to 7" counts people unsaid.
_PEOPLE_ACTIONS: Final = frozenset(
    {"killed", "injured", "arrested", "displaced", "missing", "evacuated", "rescued", "captured"}
)


def is_total(claim: Claim) -> bool:
    """Whether the claim states the story's own figure. Extraction decided it once
    (detectors/roles.py); only totals are compared across articles."""
    return claim.count.role == "total"


def figure_key(claim: Claim) -> FigureKey | None:
    """Claims can only be about one figure when action, thing and scope agree."""
    count = claim.count
    thing = count.thing_key
    if thing is None and count.action in _PEOPLE_ACTIONS:
        thing = "person"
    if count.action is None or thing is None:
        return None
    return (count.action, thing, count.place)


def claimant_words(text: str | None) -> frozenset[str]:
    """The content words of a claimant, for comparing 'the air force' with 'Ukraine's air force'."""
    if not text:
        return frozenset()
    cleaned = text.lower().replace("'s", " ").replace("’s", " ")
    return frozenset(w for w in cleaned.replace(",", " ").split() if w not in _FILLER)


def same_source_of_figure(a: Claim, b: Claim) -> bool | None:
    """Like `same_claimant`, across articles: "officials said" names no one in particular,
    so it is never set against "the governor said" (within one article it still can be:
    "officials said 12, but the opposition said 40" is a dispute)."""
    wa, wb = claimant_words(a.count.claimant), claimant_words(b.count.claimant)
    if not wa or not wb or wa <= _ANONYMOUS or wb <= _ANONYMOUS:
        return None
    return bool(wa & wb)


def same_claimant(a: Claim, b: Claim) -> bool | None:
    """True/False when both claims name who says so; None when either does not."""
    wa, wb = claimant_words(a.count.claimant), claimant_words(b.count.claimant)
    if not wa or not wb:
        return None
    return bool(wa & wb)


def _modifiers(claim: Claim) -> frozenset[str]:
    """Capitalised words before the counted noun ('Ukrainian drones', 'Shahed drones')."""
    thing = claim.count.thing or ""
    return frozenset(w.lower() for w in thing.split()[:-1] if w[:1].isupper())


def same_thing(a: Claim, b: Claim) -> bool:
    ma, mb = _modifiers(a), _modifiers(b)
    return not (ma and mb and not (ma & mb))


def same_figure(a: Claim, b: Claim, ambiguous: frozenset[str]) -> bool:
    """Whether two claims with one figure key are about one quantity.

    Precision first: an alert an editor cannot trust is worse than a missed one. Claims from
    different claimants are different figures (a dispute is another alert kind); 'Ukrainian
    drones' and 'Shahed drones' are different things; and when an article gives several values
    for one key (drones downed over the city and over the country), its claims are matched
    only through a shared claimant, because the scope that tells them apart is not in the key.
    """
    if not same_thing(a, b):
        return False
    claimant = same_source_of_figure(a, b)
    if claimant is not None:
        return claimant
    return a.article_id not in ambiguous and b.article_id not in ambiguous


def low(claim: Claim) -> float:
    return claim.count.low if claim.count.low is not None else float("-inf")


def high(claim: Claim) -> float:
    return claim.count.high if claim.count.high is not None else float("inf")


def compatible(a: Claim, b: Claim) -> bool:
    """Whether both claims can be true at once: their intervals overlap."""
    return low(a) <= high(b) and low(b) <= high(a)


def relation(earlier: Claim, later: Claim) -> Relation:
    """How a later claim stands to an earlier one about the same figure."""
    growing = earlier.count.action in GROWING
    worded = later.count.revised
    if compatible(earlier, later) or reconciled(earlier, later):
        # "At least 4 dead", then "the toll has risen to 11": compatible, and still news.
        if growing and worded and earlier.count.high is None and low(later) > low(earlier):
            return "updated"
        return "compatible"
    if growing:
        is_later = later.published_at > earlier.published_at or worded
        if is_later and low(later) > high(earlier):
            return "updated"
        if is_later and high(later) < low(earlier):
            return "revised_down"
    return "conflict"


def reconciled(a: Claim, b: Claim) -> bool:
    """Whether the two agree once the attacker is counted alike: "four dead, including the
    gunman" and "three killed" are one toll. Only when an article says so."""
    for one, other in ((a, b), (b, a)):
        side = one.count.perpetrator
        if side is None or one.count.action != other.count.action:
            continue
        shift = -1.0 if side == "included" else 1.0
        if low(one) + shift <= high(other) and low(other) <= high(one) + shift:
            return True
    return False


def interval(claim: Claim) -> Interval:
    return (claim.count.low, claim.count.high)


def fmt(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def evidence_of(claim: Claim) -> ClaimEvidence:
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
        role=count.role,
        section=count.section,
        confidence=count.confidence,
        perpetrator=count.perpetrator,
    )


def describe(key: FigureKey, claims: list[Claim] | None = None) -> str:
    """The figure in words: "drone intercepted (Odesa Oblast)"; the place id if no name is known."""
    action, thing, place = key
    name = next((c.place_name for c in claims or [] if c.place_name), None)
    where = f" ({name or place})" if place else ""
    return f"{thing} {action}{where}"


def figure_finding(
    story: StorySnapshot,
    *,
    kind: FigureKind,
    key: FigureKey,
    alert_id: str,
    severity: Severity,
    summary: str,
    claims: list[Claim],
    evidence: str = "",
) -> Finding:
    """A figure alert with its evidence; it supersedes the last alert sent on the same figure."""
    topic = topic_of(kind, key)
    previous = story.latest_alerts.get(topic)
    alert = Alert(
        id=alert_id,
        kind=kind,
        story_id=story.story_id,
        severity=severity,
        summary=summary,
        event_time=max(c.published_at for c in claims),
        sources=sorted({c.source for c in claims}),
        figure=describe(key, claims),
        claims=[evidence_of(c) for c in claims],
        supersedes=previous if previous != alert_id else None,
    )
    return Finding(alert=alert, topic=topic, evidence=evidence)


def topic_of(kind: str, key: FigureKey) -> str:
    return f"{kind}|{key[0]}|{key[1]}|{key[2] or ''}"


def figure_groups(
    story: StorySnapshot, article_scope: bool = False
) -> Iterator[tuple[FigureKey, list[Claim]]]:
    """Claims grouped by figure key, each group in event-time order, keys in a stable order.

    With `article_scope`, a claim with no place takes the place that its own article gives the
    same action and thing, when the article gives exactly one ("police put the crowd at 24,000,
    while organisers said 100,000 marched in Madrid": both are Madrid's figure). Only disputes,
    which also need the article to set the claims against each other, use it: across a story
    "83 drones launched" and "12 drones launched at Kyiv" are different scopes.
    """
    keyed: list[tuple[Claim, FigureKey]] = []
    places: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for claim in story.claims:
        key = figure_key(claim)
        if key is None or not is_total(claim):
            continue
        keyed.append((claim, key))
        if article_scope and key[2] is not None and key[2] != NATIONWIDE:
            places[(claim.article_id, key[0], key[1])].add(key[2])
    groups: dict[FigureKey, list[Claim]] = defaultdict(list)
    for claim, key in keyed:
        scope = places.get((claim.article_id, key[0], key[1]))
        if key[2] is None and scope is not None and len(scope) == 1:
            key = (key[0], key[1], next(iter(scope)))
        groups[key].append(claim)
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2] or "")):
        yield key, sorted(groups[key], key=lambda c: (c.published_at, c.claim_id))


_SECTION_RANK: Final = {"title": 0, "lead": 1, "body": 2}


def headline_claims(claims: list[Claim]) -> list[Claim]:
    """Each article's claims for one figure, narrowed to its headline and lead when it gives
    several values: the title and first sentences carry the story's toll, a later value in
    the body is more often a narrower or older figure."""
    by_article: dict[str, list[Claim]] = defaultdict(list)
    for c in claims:
        by_article[c.article_id].append(c)
    kept: list[Claim] = []
    for group in by_article.values():
        if len({interval(c) for c in group}) > 1:
            best = min(_SECTION_RANK[c.count.section] for c in group)
            if best < _SECTION_RANK["body"]:
                group = [c for c in group if _SECTION_RANK[c.count.section] == best]
        kept.extend(group)
    return sorted(kept, key=lambda c: (c.published_at, c.claim_id))


# Figures that keep growing for days after the event (arrests over an investigation, people
# displaced or evacuated): a later day's report is still the same event's figure.
AFTERMATH: Final = frozenset({"arrested", "displaced", "evacuated", "rescued", "captured"})
# Two articles whose events are further apart than this report different events, unless one
# names the other's day (a follow-up).
EVENT_DAYS_APART: Final = 1


def same_event(a: Member | None, b: Member | None) -> bool:
    """Whether two articles can be reporting figures of one event: their events' days are
    unknown, within a day of each other, or one names the other's day ("charged on Monday in
    Friday's shooting"). A story can hold reports of several days' events (a war's strikes, a
    city's shootings); their tolls are not one figure."""
    if a is None or b is None or a.event_date is None or b.event_date is None:
        return True
    if abs((a.event_date - b.event_date).days) <= EVENT_DAYS_APART:
        return True
    return a.event_date in b.days or b.event_date in a.days


def related_pairs(
    claims: list[Claim], members: Mapping[str, Member] | None = None
) -> Iterator[tuple[Claim, Claim, Relation]]:
    """(earlier, later, relation) for claims from different articles about one quantity."""
    members = members or {}
    claims = headline_claims(claims)
    values: dict[str, set[Interval]] = defaultdict(set)
    for c in claims:
        values[c.article_id].add(interval(c))
    ambiguous = frozenset(aid for aid, seen in values.items() if len(seen) > 1)
    for i, a in enumerate(claims):
        for b in claims[i + 1 :]:
            if a.article_id == b.article_id or not same_figure(a, b, ambiguous):
                continue
            if a.count.action not in AFTERMATH and not same_event(
                members.get(a.article_id), members.get(b.article_id)
            ):
                continue
            yield a, b, relation(a, b)


@dataclass(frozen=True)
class FigureConflictDetector:
    """One alert per figure whose claims from different articles cannot all hold.

    The alert id depends on the distinct conflicting intervals, so another outlet repeating a
    value already in the picture sends nothing new, while a new conflicting value sends a new
    alert that supersedes the previous one for the same figure. A growing figure that falls in
    a later report is a conflict too ("revised down"), never silently accepted.
    """

    def check(self, story: StorySnapshot) -> list[Finding]:
        findings = []
        for key, claims in figure_groups(story):
            finding = self._check_figure(story, key, claims)
            if finding is not None:
                findings.append(finding)
        return findings

    def _check_figure(
        self, story: StorySnapshot, key: FigureKey, claims: list[Claim]
    ) -> Finding | None:
        conflicting: set[str] = set()
        pairs: set[tuple[Interval, ...]] = set()
        revised_down = True
        for a, b, rel in related_pairs(claims, story.members_by_id):
            if rel not in ("conflict", "revised_down"):
                continue
            revised_down = revised_down and rel == "revised_down"
            conflicting.update((a.claim_id, b.claim_id))
            pair = sorted([interval(a), interval(b)], key=lambda iv: (iv[0] or 0, iv[1] or 0))
            pairs.add(tuple(pair))
        if not conflicting:
            return None
        topic = topic_of(KIND, key)
        involved = [c for c in claims if c.claim_id in conflicting]
        values = sorted(pairs, key=str)
        # Anchored on the earliest claim of each value, not on the story: ids survive merges.
        anchors = sorted(
            earliest(c for c in involved if interval(c) == iv)
            for iv in {interval(c) for c in involved}
        )
        alert_id = stable_id("al", KIND, topic, values, anchors)
        positions = sorted(
            {(c.count.text, fmt(c.count.low), fmt(c.count.high), c.source) for c in involved}
        )
        said = "; ".join(f'{src} says "{text}" ({lo}–{hi})' for text, lo, hi, src in positions)
        head = "Figure revised down" if revised_down else "Sources disagree"
        return figure_finding(
            story,
            kind=KIND,
            key=key,
            alert_id=alert_id,
            severity="warning",
            summary=f"{head} on {describe(key, involved)}: {said}",
            claims=involved,
            evidence=evidence_key(KIND, topic, values),
        )


@dataclass(frozen=True)
class FigureUpdateDetector:
    """`figures.updated`: a growing figure (deaths, injuries, arrests…) rose in a later report.

    Information, not a conflict. One alert per new highest value of a figure, naming the value
    it revises; the next rise supersedes it.
    """

    def check(self, story: StorySnapshot) -> list[Finding]:
        findings = []
        for key, claims in figure_groups(story):
            if key[0] not in GROWING:
                continue
            rises = [
                (a, b)
                for a, b, rel in related_pairs(claims, story.members_by_id)
                if rel == "updated"
            ]
            if not rises:
                continue
            # The newest rise: latest report, and the latest value it revised.
            old, new = max(
                rises, key=lambda p: (p[1].published_at, p[1].claim_id, p[0].published_at)
            )
            topic = topic_of(UPDATED, key)
            anchor = earliest(c for c in claims if interval(c) == interval(new))
            alert_id = stable_id("al", UPDATED, topic, interval(new), anchor)
            summary = (
                f'Figure updated: {describe(key, [old, new])} now "{new.count.text}" '
                f'({new.source}), was "{old.count.text}" ({old.source})'
            )
            finding = figure_finding(
                story,
                kind=UPDATED,
                key=key,
                alert_id=alert_id,
                severity="info",
                summary=summary,
                claims=[old, new],
                evidence=evidence_key(UPDATED, topic, interval(new)),
            )
            findings.append(finding)
        return findings
