"""`figures.inconsistent`: within one article, parts that add up to more than their whole."""

from __future__ import annotations

import re
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

# A sentence that breaks down the figure before it: "Of those, 55 were shot down…".
_BREAKDOWN = re.compile(r"^\W*(?:of (?:those|them|these|which)|among them)\b", re.IGNORECASE)
# "…destroyed 35 drones, including 20 over Kursk and 11 over Bryansk": parts in one sentence.
_INCLUDING = re.compile(r"\b(?:including|of which|among them)\b", re.IGNORECASE)
# How far a breakdown sentence may follow its whole (characters of cleaned text).
_NEXT_SENTENCE = 600


def _offset_in_sentence(claim: Claim) -> int:
    """Where the figure stands in its sentence (-1 when its text is not found there)."""
    return claim.count.sentence.find(claim.count.text)


def _parts_of(whole: Claim, claims: list[Claim]) -> list[Claim]:
    """Claims the article itself presents as a breakdown of `whole`.

    Precision first: a part counts the same thing as the whole, stands after it, and is tied
    to it by the text: the next sentence opens "Of those…", or the whole's own sentence goes on
    "…, including …" with the parts after that word.
    """
    sentence = whole.count.sentence
    whole_at = _offset_in_sentence(whole)
    sentence_start = whole.count.start - max(whole_at, 0)
    including = _INCLUDING.search(sentence, max(whole_at, 0))
    parts: dict[int, Claim] = {}
    for c in claims:
        if c.count.start <= whole.count.start or c.count.thing_key != whole.count.thing_key:
            continue
        if interval(c) == interval(whole) and c.count.text.lower() == whole.count.text.lower():
            continue  # the same figure again (a scraped page repeating its own sentence)
        if not same_thing(whole, c) or same_claimant(whole, c) is False:
            continue
        if c.count.sentence == sentence and 0 <= c.count.start - sentence_start < len(sentence):
            # The same sentence occurrence: a part only after "including" (or "of which").
            at = c.count.start - sentence_start
            if including is not None and at > including.start():
                parts[c.count.start] = c
        elif (
            _BREAKDOWN.search(c.count.sentence)
            and c.count.start - whole.count.start < _NEXT_SENTENCE
            and c.count.start - sentence_start >= len(sentence)
        ):
            parts[c.count.start] = c
    return [parts[k] for k in sorted(parts)]


@dataclass(frozen=True)
class FigureInconsistencyDetector:
    """One alert per article whose breakdown of a figure exceeds the figure itself.

    The seed story's original says 83 drones were launched, 55 shot down and another 30 lost:
    85 of 83. Only explicit breakdowns count ("Of those, …", "including …"), so two unrelated
    figures in one article are never added up.
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
