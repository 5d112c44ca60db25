"""Property tests: extraction never raises and stays bounded on arbitrary text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.tables import load_tables
from detectors.furniture import clean, fingerprints
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from topics.articles import Article

CONFIG = Path(__file__).resolve().parents[2] / "config"
EXTRACTOR = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG)))
WORDS = st.sampled_from(
    "Russia launched up to 12 drones at Kyiv on Saturday , none of the 47 crew were injured"
    " Mr Sybiha said . 10-20 between and dozens ( ) [ ] 3/4/2013 March 5 a man was killed"
    " in Houston , Texas St. Louis U.S. 1,200 $ % 2024 9am aged 20 no deaths".split()
)
TEXT = st.one_of(
    st.text(min_size=1, max_size=400),
    st.lists(WORDS, min_size=1, max_size=80).map(" ".join),
)


def _article(text: str) -> Article:
    return Article(
        id="p1",
        source="prop.example",
        published_at=datetime(2026, 3, 14, 9, tzinfo=UTC),
        title="Property test",
        text=text if text.strip() else "x",
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_extraction_never_raises(text: str) -> None:
    # _extract, not extract: extract catches everything, and we want any bug to show here.
    signature = EXTRACTOR._extract(_article(text), frozenset(), None)
    assert signature.article_id == "p1"
    for count in signature.counts:
        assert count.low is None or count.high is None or count.low <= count.high
        assert count.sentence


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_furniture_functions_never_raise(text: str) -> None:
    keys = fingerprints(text)
    cleaned, removed = clean(text, frozenset(keys))
    assert removed >= 0
    assert fingerprints(cleaned) == [] or not set(fingerprints(cleaned)) & set(keys)
