"""`figures.disputed`: named claimants giving different values for one figure, side by side."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from detectors.conflicts import (
    claimant_words,
    compatible,
    describe,
    figure_finding,
    figure_groups,
    interval,
    same_claimant,
    same_thing,
    topic_of,
)
from detectors.story import Claim, Finding, StorySnapshot, earliest, evidence_key, stable_id

KIND: Final = "figures.disputed"

# "police estimated 24,000, while organisers said more than 100,000": the contrast is stated.
_CONTRAST = re.compile(
    r"\b(?:while|whereas|but|however|although|disputed|disputes|contradict\w*|rejected|denied)\b",
    re.IGNORECASE,
)
# How far apart (characters) two claims may stand when a contrast word links them.
_NEAR = 400


def _head(claim: Claim) -> str:
    """The claim's sentence up to its figure."""
    at = claim.count.sentence.find(claim.count.text)
    return claim.count.sentence[: at if at >= 0 else 0]


def _linked(a: Claim, b: Claim) -> bool:
    """The article itself sets the two claims against each other.

    Either one sentence holds both, or the second claim's sentence opens its contrast before
    the figure ("Organisers, however, said 100,000"); a contrast after the figure ("55 were
    shot down, while another 30 were lost") is about something else.
    """
    if a.count.role != "total" or b.count.role != "total":
        return False  # a breakdown part is not a rival estimate
    if a.count.sentence == b.count.sentence:
        return True
    first, second = (a, b) if a.count.start <= b.count.start else (b, a)
    if second.count.start - first.count.start > _NEAR:
        return False
    return bool(_CONTRAST.search(_head(second)))


@dataclass(frozen=True)
class FigureDisputeDetector:
    """One alert per figure that an article reports as disputed between named claimants.

    Precision first: two claimants with different values for one key are only a dispute when an
    article puts them side by side (one sentence, or a contrast word close by). Elsewhere the
    same numbers are usually different scopes (the city's figure and the country's). The alert
    lists every claimant's position; outlets repeating a claimant's figure join that claimant,
    so the id depends on the set of (claimant, value) positions, not on who repeated them.
    """

    def check(self, story: StorySnapshot) -> list[Finding]:
        findings = []
        groups = dict(figure_groups(story, article_scope=True))
        for key, claims in groups.items():
            disputing: dict[str, Claim] = {}
            for i, a in enumerate(claims):
                for b in claims[i + 1 :]:
                    if a.article_id != b.article_id or compatible(a, b) or not same_thing(a, b):
                        continue
                    if same_claimant(a, b) is not False or not _linked(a, b):
                        continue
                    disputing[a.claim_id], disputing[b.claim_id] = a, b
            if not disputing:
                continue
            involved = list(disputing.values())
            # Other outlets' claims that agree with one of the positions (same claimant), also
            # when they name no place ("organisers said 45,000 attended the rally").
            unscoped = groups.get((key[0], key[1], None), []) if key[2] is not None else []
            for c in [*claims, *unscoped]:
                if c.claim_id not in disputing and any(
                    same_claimant(c, d) and compatible(c, d) for d in disputing.values()
                ):
                    involved.append(c)
            involved.sort(key=lambda c: (c.published_at, c.claim_id))
            positions = sorted(
                {
                    (" ".join(sorted(claimant_words(c.count.claimant))), interval(c))
                    for c in disputing.values()
                },
                key=str,
            )
            topic = topic_of(KIND, key)
            anchor = earliest(disputing.values())
            alert_id = stable_id("al", KIND, topic, positions, anchor)
            said = "; ".join(
                dict.fromkeys(
                    f'{c.count.claimant} says "{c.count.text}"'
                    for c in sorted(disputing.values(), key=lambda c: c.count.start)
                )
            )
            finding = figure_finding(
                story,
                kind=KIND,
                key=key,
                alert_id=alert_id,
                severity="info",
                summary=f"Disputed figure, {describe(key, involved)}: {said}",
                claims=involved,
                evidence=evidence_key(KIND, topic, positions),
            )
            findings.append(finding)
        return findings
