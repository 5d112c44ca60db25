"""The extractor end to end: the Odesa demo stream, determinism, terms, any text."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.tables import load_tables
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from topics.articles import Article, parse_article
from topics.signatures import Signature

ROOT = Path(__file__).resolve().parents[2]
EXTRACTOR = SignatureExtractor(Lexicon.from_tables(load_tables(ROOT / "config")))
ODESA_PLACE = "geonames:698740"


@pytest.fixture(scope="module")
def demo() -> dict[str, Signature]:
    lines = (ROOT / "examples" / "odesa-port.jsonl").read_bytes().splitlines()
    signatures = [EXTRACTOR.extract(parse_article(line)) for line in lines if line.strip()]
    return {s.article_id: s for s in signatures}


def _odesa(demo: dict[str, Signature]) -> list[Signature]:
    return [s for s in demo.values() if "leeds" not in s.article_id]


def test_demo_has_four_odesa_articles_and_one_about_leeds(demo: dict[str, Signature]) -> None:
    assert len(demo) == 5
    assert len(_odesa(demo)) == 4


def test_each_odesa_article_has_one_intercepted_drone_figure_in_one_place(
    demo: dict[str, Signature],
) -> None:
    intervals = {}
    places = set()
    for signature in _odesa(demo):
        drones = [
            c for c in signature.counts if c.action == "intercepted" and c.thing_key == "drone"
        ]
        assert len(drones) == 1, signature.article_id
        intervals[signature.article_id] = (drones[0].low, drones[0].high)
        places.add(drones[0].place)
    assert len(places) == 1 and None not in places
    assert intervals["hw-20260314-odesa"] == (0, 15)
    assert intervals["cp-odesa-port-raid"] == (0, 15)
    assert intervals["dl-2026-03-14-0412"] == (pytest.approx(13.5), pytest.approx(16.5))
    assert intervals["rn-odesa-drones-1030"] == (24, 99)


def test_each_odesa_article_reports_three_injured(demo: dict[str, Signature]) -> None:
    for signature in _odesa(demo):
        # The body's figure; a headline giving the toll again is read too (section "title").
        injured = [
            c for c in signature.counts if c.action == "injured" and c.section != "title"
        ]
        assert len(injured) == 1, signature.article_id
        assert injured[0].low == 3
        assert injured[0].high in (3, None)
        assert injured[0].thing_key in ("person", "worker")


def test_odesa_articles_share_russia_and_odesa_but_not_with_leeds(
    demo: dict[str, Signature],
) -> None:
    for signature in _odesa(demo):
        assert "country:RU" in {a.id for a in signature.actors}
        assert ODESA_PLACE in {loc.id for loc in signature.locations}
        assert signature.event_date == date(2026, 3, 14)
    leeds = demo["nh-leeds-cycle-budget"]
    leeds_ids = {a.id for a in leeds.actors} | {loc.id for loc in leeds.locations}
    assert leeds_ids
    for signature in _odesa(demo):
        ids = {a.id for a in signature.actors} | {loc.id for loc in signature.locations}
        assert not ids & leeds_ids


def test_leeds_article_has_no_figure_claims_and_a_friday_event(
    demo: dict[str, Signature],
) -> None:
    leeds = demo["nh-leeds-cycle-budget"]
    assert leeds.counts == []  # 40 km is a distance, 52 to 31 a vote, three years a duration
    assert leeds.event_date == date(2026, 3, 13)


def test_furniture_in_the_demo_is_removed(demo: dict[str, Signature]) -> None:
    first = demo["hw-20260314-odesa"]
    assert first.furniture_chars > 100
    assert all("briefing" not in c.sentence for c in first.counts)


def test_terms_are_lower_case_content_words_with_headline_words_first() -> None:
    article = Article(
        id="t1",
        source="test.example",
        published_at=datetime.fromisoformat("2026-03-14T09:00:00+00:00"),
        title="Ferry strike halts crossings",
        text="The ferry operator said the strike, the first in 12 years, would end soon. "
        "The union said the strike was about pay.",
    )
    terms = EXTRACTOR.extract(article).terms
    assert terms[:2] == ["strike", "ferry"]
    assert all(t == t.lower() and t.isalpha() for t in terms)
    assert "the" not in terms and "said" not in terms and "12" not in terms
    assert len(terms) <= 20


def test_extraction_is_deterministic(demo: dict[str, Signature]) -> None:
    line = (ROOT / "examples" / "odesa-port.jsonl").read_bytes().splitlines()[0]
    assert EXTRACTOR.extract(parse_article(line)) == EXTRACTOR.extract(parse_article(line))


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_extract_returns_a_signature_for_any_text(text: str) -> None:
    # extract catches nothing: a bug on any text fails here (the worker dead-letters it).
    article = Article(
        id="h1",
        source="test.example",
        published_at=datetime.fromisoformat("2026-03-14T09:00:00+00:00"),
        title="x " + text[:50],
        text="x " + text,
    )
    signature = EXTRACTOR.extract(article)
    assert signature.article_id == "h1"
    for count in signature.counts:
        assert count.low is None or count.low >= 0
        assert count.high is None or count.low is None or count.high >= count.low


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "up to",
                "12",
                "dozens",
                "of",
                "drones",
                "Kyiv",
                "said",
                "on",
                "Saturday",
                ",",
                "Mr",
                "Zelensky",
                "the",
                "Kremlin",
                "region",
                "-",
                "1,200",
                "a",
                "dozen",
                "\n",
                "Read more:",
                "[x](#)",
                "August",
                "6",
                "'s",
                "between",
                "and",
            ]
        ),
        max_size=60,
    )
)
def test_extract_is_deterministic_on_newsy_word_salad(words: list[str]) -> None:
    article = Article(
        id="h2",
        source="test.example",
        published_at=datetime.fromisoformat("2024-11-16T12:00:00+00:00"),
        title="Salad",
        text="x " + " ".join(words),
    )
    signature = EXTRACTOR.extract(article)
    assert isinstance(signature, Signature) and signature.article_id == "h2"
    assert EXTRACTOR.extract(article) == signature
    for count in signature.counts:
        assert count.text in count.sentence
