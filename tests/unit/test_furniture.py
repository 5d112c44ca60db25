"""Learned furniture: per-source repeated paragraphs are found, bounded and removed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from config.tables import load_tables
from detectors.furniture import FurnitureMemory, clean, fingerprints, furniture_set
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from topics.articles import Article

CONFIG = Path(__file__).resolve().parents[2] / "config"
EXTRACTOR = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG)))
APPEAL = "Keep the Valley Courier free for everyone: chip in 5 dollars to Jane Okafor's team."


def story(number: int) -> str:
    return (
        f"Firefighters in Dunmore rescued {number + 2} people from a burning block on Sunday.\n"
        f"{APPEAL}\n"
        "The cause of the fire is not yet known, the fire service said."
    )


def test_fingerprints_ignore_case_spacing_and_digits_and_skip_long_lines() -> None:
    first = fingerprints("You've read 3 of 5 free articles this month.\n" + "x" * 400)
    second = fingerprints("you've  read 4 of 5 FREE articles this month.")
    assert first == second
    assert len(first) == 1


def test_fingerprints_are_unique_per_article() -> None:
    assert len(fingerprints(f"{APPEAL}\n{APPEAL}\nShort bit here.")) == 2


def test_memory_marks_a_paragraph_repeated_by_one_source_as_furniture() -> None:
    memory = FurnitureMemory(min_articles=3)
    for number in range(3):
        memory.observe("courier.example", story(number))
    known = memory.known("courier.example")
    assert fingerprints(APPEAL)[0] in known
    # Story lines also repeat here (same template), but the other source learns nothing.
    assert memory.known("other.example") == frozenset()
    text, removed = clean(story(9), known)
    assert APPEAL not in text
    assert removed >= len(APPEAL)


def test_two_sightings_are_not_enough() -> None:
    memory = FurnitureMemory(min_articles=3)
    memory.observe("a.example", APPEAL)
    memory.observe("a.example", APPEAL)
    assert memory.known("a.example") == frozenset()


def test_memory_is_bounded() -> None:
    memory = FurnitureMemory(max_sources=3, max_per_source=10)
    for source in range(10):
        for line in range(50):
            memory.observe(f"s{source}.example", f"Paragraph number {line} of the page footer.")
    assert memory.size() <= 30


def test_furniture_set_uses_the_threshold() -> None:
    assert furniture_set({"a": 3, "b": 2, "c": 9}, min_articles=3) == frozenset({"a", "c"})


def test_known_furniture_yields_no_actors_in_the_signature() -> None:
    known = frozenset(fingerprints(APPEAL))
    article = Article(
        id="f1",
        source="courier.example",
        published_at=datetime(2026, 3, 15, 9, tzinfo=UTC),
        title="Fire in Dunmore",
        text=story(1),
    )
    plain = EXTRACTOR.extract(article)
    cleaned = EXTRACTOR.extract(article, known_furniture=known)
    assert any("Okafor" in m for a in plain.actors for m in a.mentions)
    assert not any("Okafor" in m for a in cleaned.actors for m in a.mentions)
    assert cleaned.furniture_chars >= plain.furniture_chars + len(APPEAL)
