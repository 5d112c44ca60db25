"""Figure alerts across articles: conflicts, and revisions of figures that grow.

Claims are grouped into figures by (action, thing, place); within a group two claims are about
one quantity only when `same_figure` says so. Each pair of such claims from different articles
is then `compatible` (intervals overlap), an `updated` (a growing figure rising in a later
report), `revised_down` (a growing figure falling: never silently accepted, so a conflict), or a
plain `conflict`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal

from detectors.story import Claim, Finding, StorySnapshot, earliest, evidence_key, stable_id
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
# Wording that marks a figure as a revision of an earlier one.
_UPDATE_WORDS = re.compile(
    r"\b(?:rose|risen|rises|rising|climbed|climbs|climbing|increased|jumped|grew|grown|"
    r"up from|now stands|has reached|revised)\b",
    re.IGNORECASE,
)

_FILLER = frozenset(
    "the a an of for and said says say told according to its their his her head spokesperson "
    "spokesman spokeswoman".split()
)
# Actions whose figures count people: "the death toll rose to 7" counts people unsaid.
_PEOPLE_ACTIONS: Final = frozenset(
    {"killed", "injured", "arrested", "displaced", "missing", "evacuated", "rescued", "captured"}
)


# A figure that is only part of the story's total: "killed two more people", "another 30",
# "including two children", "of the 83 launched, 55…", or one about another incident.
_INCREMENT_AFTER = re.compile(
    r"^\W{0,2}(?:more|others?|additional|further|of (?:the|those|these|them|its|their))\b"
    # A narrower group: "two were seriously injured", "one person was pronounced dead on the
    # scene", "four people inside the building".
    r"|^[^.;]{0,40}\b(?:seriously|critically|severely|gravely|on the scene|at the scene|inside|"
    r"initial|also|(?:critical|serious|grave|stable|fair) condition)\b",
    re.IGNORECASE,
)
_PART_BEFORE = re.compile(
    r"\b(?:another|other|of (?:the|those|these|them|which)|includ(?:ing|ed|es|e)|among them)\b"
    r"[^.;]{0,80}$",
    re.IGNORECASE,
)
_ELSEWHERE = re.compile(
    r"\b(?:separate(?:ly)?|unrelated|previous(?:ly)?|earlier this (?:year|month)|last year|"
    r"other (?:shootings|incidents|attacks)|another (?:shooting|incident|attack)|"
    r"in (?:19|20)\d\d|weekend|citywide|across the city|so far this year|this year|"
    # Roundups: "among 11 people shot from Tuesday afternoon to early Wednesday", "one of 10
    # people killed in shootings", "80 people were killed in the city in November alone".
    r"in (?:separate |unrelated )?shootings|"
    r"from (?:midday |noon |early |late )?(?:mon|tues|wednes|thurs|fri|satur|sun)day\b"
    r"[^.;]{0,40}\bto|"
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
    r" alone)\b",
    re.IGNORECASE,
)
# "two women were shot in the hand while another woman...", "a second woman", "two male
# students were hospitalized along with the female student": the figure is a subgroup.
_SUBGROUP_AFTER = (
    r"^[^.;]{{0,100}}\b(?:another|a second|a third|along with (?:a|an|the))\s(?:\S+\s)?{}s?\b"
)


def is_total(claim: Claim) -> bool:
    """Whether the claim states the story's figure, not a part, an increment or an aside.

    Only totals are compared across articles: "he killed two more people" does not dispute
    "four people were killed", and "a woman was wounded" is one victim, not the count.
    """
    count = claim.count
    if count.text.strip().lower() in ("a", "an"):
        return False
    sentence = count.sentence
    if _ELSEWHERE.search(sentence):
        return False
    # We do not know which occurrence of the text is the figure: any that reads as a part
    # makes the claim a part (precision first).
    lowered, text = sentence.lower(), count.text.lower()
    at = lowered.find(text)
    while at >= 0:
        if _INCREMENT_AFTER.search(sentence[at + len(text) :]):
            return False
        if _PART_BEFORE.search(sentence[:at]):
            return False
        thing = count.thing_key
        if thing and re.search(_SUBGROUP_AFTER.format(re.escape(thing)), lowered[at + len(text) :]):
            return False
        at = lowered.find(text, at + 1)
    return True


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
    claimant = same_claimant(a, b)
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
    worded = bool(_UPDATE_WORDS.search(later.count.sentence))
    if compatible(earlier, later):
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
        if article_scope and key[2] is not None:
            places[(claim.article_id, key[0], key[1])].add(key[2])
    groups: dict[FigureKey, list[Claim]] = defaultdict(list)
    for claim, key in keyed:
        scope = places.get((claim.article_id, key[0], key[1]))
        if key[2] is None and scope is not None and len(scope) == 1:
            key = (key[0], key[1], next(iter(scope)))
        groups[key].append(claim)
    for key in sorted(groups, key=lambda k: (k[0], k[1], k[2] or "")):
        yield key, sorted(groups[key], key=lambda c: (c.published_at, c.claim_id))


def related_pairs(claims: list[Claim]) -> Iterator[tuple[Claim, Claim, Relation]]:
    """(earlier, later, relation) for claims from different articles about one quantity."""
    values: dict[str, set[Interval]] = defaultdict(set)
    for c in claims:
        values[c.article_id].add(interval(c))
    ambiguous = frozenset(aid for aid, seen in values.items() if len(seen) > 1)
    for i, a in enumerate(claims):
        for b in claims[i + 1 :]:
            if a.article_id == b.article_id or not same_figure(a, b, ambiguous):
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
        for a, b, rel in related_pairs(claims):
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
            rises = [(a, b) for a, b, rel in related_pairs(claims) if rel == "updated"]
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
