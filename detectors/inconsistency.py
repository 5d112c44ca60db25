"""`figures.inconsistent`: within one article, parts that add up to more than their whole."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from detectors.conflicts import (
    evidence_of,
    fmt,
    high,
    interval,
    is_total,
    low,
    same_claimant,
    same_thing,
)
from detectors.story import Claim, Finding, StorySnapshot, evidence_key, stable_id
from topics import Alert

KIND: Final = "figures.inconsistent"

# Actions whose figure holds others of different actions: of 83 launched, 55 shot down and
# 30 lost; of eight shot, two died.
_CONTAINERS = frozenset({"launched", "shot", "deployed", "fired"})


def _parts_of(whole: Claim, claims: list[Claim]) -> list[Claim]:
    """Claims the article itself presents as a breakdown of `whole`: extraction linked each
    to the total it breaks down ("including…", "of those, 55… and another 30…")."""
    index = whole.claim_id.rpartition("#")[2]
    parts: dict[tuple[str, float | None, float | None], Claim] = {}
    for c in claims:
        if c.count.part_of is None or str(c.count.part_of) != index:
            continue
        if not same_thing(whole, c) or same_claimant(whole, c) is False:
            continue
        if c.count.action not in (None, whole.count.action) and whole.count.action not in (
            _CONTAINERS
        ):
            continue  # "nine killed ... eight injured": another figure, not a share
        # A scraped page repeating its own sentence repeats the part, not the breakdown.
        parts.setdefault((c.count.sentence, c.count.low, c.count.high), c)
    return list(parts.values())


@dataclass(frozen=True)
class FigureInconsistencyDetector:
    """One alert per article whose breakdown of a figure exceeds the figure itself.

    The seed story's original says 83 drones were launched, 55 shot down and another 30 lost:
    85 of 83. Only breakdowns extraction tied to their whole count (Count.part_of), so two
    unrelated figures in one article are never added up.
    """

    def check(self, story: StorySnapshot) -> list[Finding]:
        by_article: dict[str, list[Claim]] = defaultdict(list)
        for claim in story.claims:
            by_article[claim.article_id].append(claim)
        findings: dict[str, Finding] = {}
        for article_id in sorted(by_article):
            claims = sorted(by_article[article_id], key=lambda c: c.count.start)
            for whole in claims:
                if whole.count.high is None or whole.count.thing_key is None:
                    continue
                if not is_total(whole):  # a roundup's "3 separate shootings" has no one whole
                    continue
                parts = _parts_of(whole, claims)
                if len(parts) < 2:
                    continue
                total = sum(max(low(p), 0.0) for p in parts)
                if total <= high(whole):
                    continue
                finding = self._finding(story, whole, parts, total)
                findings.setdefault(finding.key, finding)
        return list(findings.values())

    def _finding(
        self, story: StorySnapshot, whole: Claim, parts: list[Claim], total: float
    ) -> Finding:
        # Keyed on the figures, not the article: outlets repeating the same sums send nothing new.
        values = (whole.count.thing_key, interval(whole), sorted(interval(p) for p in parts))
        evidence = evidence_key(KIND, values)
        alert_id = stable_id("al", KIND, values, whole.claim_id)
        topic = f"{KIND}|{evidence}"
        breakdown = " + ".join(f'"{p.count.text}"' for p in parts)
        thing = whole.count.thing or whole.count.thing_key or "items"
        alert = Alert(
            id=alert_id,
            kind=KIND,
            story_id=story.story_id,
            severity="warning",
            summary=(
                f"Figures do not add up in {whole.source} ({whole.article_id}): "
                f'{breakdown} = {fmt(total)} of "{whole.count.text}" {thing}'
            ),
            event_time=whole.published_at,
            sources=[whole.source],
            figure=f"{thing} {whole.count.action or ''}".strip(),
            claims=[evidence_of(whole), *(evidence_of(p) for p in parts)],
        )
        return Finding(alert=alert, topic=topic, evidence=evidence)
