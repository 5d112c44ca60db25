"""`wirewatch alerts` renders a figure alert's evidence side by side, claimant by claimant."""

from datetime import UTC, datetime

from config.settings import CONFIG_DIR
from config.tables import load_tables
from detectors.disputes import FigureDisputeDetector
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from detectors.story import Claim, Member, StorySnapshot
from topics import Article
from workers.cli import render_alert

EXTRACTOR = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG_DIR)))


def _article(aid: str, source: str, hour: int, text: str) -> Article:
    at = datetime(2026, 4, 18, hour, tzinfo=UTC)
    return Article(id=aid, source=source, published_at=at, title="March", text=text)


def test_a_dispute_lists_each_claimant_and_every_claim_with_its_evidence() -> None:
    articles = [
        _article("a1", "one.example", 15, "Police put the crowd at 8,000, while organisers said "
                 "45,000 people attended the rally in Porto on Saturday."),
        _article("a2", "two.example", 17, "Organisers said 45,000 people attended the rally."),
    ]  # fmt: skip
    signatures = [EXTRACTOR.extract(a) for a in articles]
    story = StorySnapshot(
        "st-1",
        tuple(Member.from_signature(s) for s in signatures),
        tuple(c for s in signatures for c in Claim.from_signature(s)),
    )
    (finding,) = FigureDisputeDetector().check(story)
    text = render_alert(finding.alert)

    assert "figures.disputed" in text and "figure: person gathered (Porto)" in text
    assert "Police says '8,000'  (carried by one.example)" in text
    assert "organisers says '45,000'  (carried by one.example, two.example)" in text
    header = next(line for line in text.splitlines() if "value as written" in line)
    assert header.split() == [
        "published", "source", "claimant", "value", "as", "written", "interval", "article",
    ]  # fmt: skip
    rows = [line for line in text.splitlines() if "2026-04-18" in line and "Z " in line]
    assert len(rows) == len(finding.alert.claims) == 3
    assert any("two.example" in r and "[45000, 45000]" in r and "a2" in r for r in rows)
    assert '"Organisers said 45,000 people attended the rally."' in text
