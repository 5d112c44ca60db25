"""Runs the labelled figure cases (tests/cases/figures.jsonl) through extraction and detectors.

Each case is one story: a few short articles (written for this project) and the figure alert
kinds an editor would expect from them ([] for compatible wording and traps).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from config.settings import CONFIG_DIR
from config.tables import load_tables
from detectors.conflicts import FigureConflictDetector, FigureUpdateDetector
from detectors.disputes import FigureDisputeDetector
from detectors.inconsistency import FigureInconsistencyDetector
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from detectors.story import Claim, Member, StorySnapshot
from topics import Article

CASES = Path(__file__).resolve().parent / "figures.jsonl"
KINDS = ("figures.conflict", "figures.updated", "figures.disputed", "figures.inconsistent")


@dataclass
class Outcome:
    name: str
    expected: list[str]
    fired: list[str]
    summaries: list[str] = field(default_factory=list)


def run_cases(path: Path = CASES) -> list[Outcome]:
    extractor = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG_DIR)))
    detectors = (
        FigureConflictDetector(),
        FigureUpdateDetector(),
        FigureDisputeDetector(),
        FigureInconsistencyDetector(),
    )
    outcomes = []
    for line in path.read_text().splitlines():
        case = json.loads(line)
        members, claims = [], []
        for i, doc in enumerate(case["articles"]):
            article = Article(
                id=f"case-{i}",
                source=doc["source"],
                published_at=datetime.fromisoformat(doc["published_at"].replace("Z", "+00:00")),
                title=doc["title"],
                text=doc["text"],
            )
            signature = extractor.extract(article)
            members.append(Member.from_signature(signature))
            claims.extend(Claim.from_signature(signature))
        story = StorySnapshot("case", tuple(members), tuple(claims))
        findings = [f for d in detectors for f in d.check(story)]
        outcomes.append(
            Outcome(
                name=case["name"],
                expected=sorted(case["expect"]),
                fired=sorted({f.alert.kind for f in findings}),
                summaries=[f.alert.summary for f in findings],
            )
        )
    return outcomes


def scores(outcomes: list[Outcome]) -> dict[str, tuple[float, float, int, int, int]]:
    """Per kind: (precision, recall, true positives, false positives, false negatives)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for o in outcomes:
        for kind in KINDS:
            if kind in o.fired and kind in o.expected:
                tp[kind] += 1
            elif kind in o.fired:
                fp[kind] += 1
            elif kind in o.expected:
                fn[kind] += 1
    result = {}
    for kind in KINDS:
        p = tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else 1.0
        r = tp[kind] / (tp[kind] + fn[kind]) if tp[kind] + fn[kind] else 1.0
        result[kind] = (p, r, tp[kind], fp[kind], fn[kind])
    return result
