"""Property tests: extraction of arbitrary text returns a bounded, well-formed Signature.

The extractor catches nothing, so any bug it has on some text fails these tests (in the worker
the same bug is an `extraction_failed` dead letter: tests/integration/test_pipeline.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.tables import load_tables
from detectors.furniture import clean, fingerprints
from detectors.lexicon import Lexicon
from detectors.signature import MAX_TITLE_CHARS, SignatureExtractor
from topics.articles import Article
from topics.signatures import Signature

CONFIG = Path(__file__).resolve().parents[2] / "config"
SENTENCE_LIMIT = 120
EXTRACTOR = SignatureExtractor(
    Lexicon.from_tables(load_tables(CONFIG)), max_sentence_chars=SENTENCE_LIMIT
)
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
def test_extraction_returns_a_well_formed_signature(text: str) -> None:
    article = _article(text)
    signature = EXTRACTOR.extract(article)
    assert isinstance(signature, Signature)
    assert signature.article_id == "p1"
    # Cleaned text, not the raw: normalising may lengthen it ("¼" becomes "1/4").
    assert signature.analysed_chars is not None
    for count in signature.counts:
        assert count.low is None or count.high is None or count.low <= count.high
        assert count.sentence
        assert len(count.sentence) <= SENTENCE_LIMIT
        assert count.sentence_start is not None and count.sentence_end is not None
        assert count.sentence_start <= count.start < count.sentence_end
        assert count.sentence_end <= signature.analysed_chars
    # The record a consumer reads parses back to the same signature.
    assert Signature.model_validate_json(signature.model_dump_json()) == signature


def test_sentences_are_clipped_around_the_figure_with_their_span() -> None:
    # No full stop anywhere: the whole text is one sentence of thousands of characters.
    filler = " ".join(f"word{i}" for i in range(600))
    text = f"{filler} and police said 14 people were injured in the crash {filler}"
    signature = EXTRACTOR.extract(_article(text))
    (count,) = [c for c in signature.counts if c.text == "14"]
    assert count.action == "injured"
    assert len(count.sentence) <= SENTENCE_LIMIT
    assert "14 people were injured" in count.sentence
    assert (count.sentence_start, count.sentence_end) == (0, len(text))
    assert not signature.truncated


def test_long_text_says_where_analysis_stopped() -> None:
    paragraph = "Crews cleared 12 roads after the storm in the valley on Monday.\n"
    signature = EXTRACTOR.extract(_article(paragraph * 2000))
    assert signature.truncated
    assert signature.analysed_chars is not None and 0 < signature.analysed_chars < 130_000
    short = EXTRACTOR.extract(_article(paragraph * 3))
    assert not short.truncated


def test_title_is_bounded_in_the_signature() -> None:
    article = _article("Body.").model_copy(update={"title": "T" * 50_000})
    assert len(EXTRACTOR.extract(article).title) == MAX_TITLE_CHARS


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_furniture_functions_never_raise(text: str) -> None:
    keys = fingerprints(text)
    cleaned, removed = clean(text, frozenset(keys))
    assert removed >= 0
    assert fingerprints(cleaned) == [] or not set(fingerprints(cleaned)) & set(keys)
