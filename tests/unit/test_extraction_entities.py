"""Places from the world gazetteer, organisations found without a list, demonyms, datelines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from config.tables import load_tables
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from topics.articles import Article
from topics.signatures import Signature

CONFIG = Path(__file__).resolve().parents[2] / "config"
EXTRACTOR = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG)))


def extract(text: str, title: str = "Local news", published: str = "2025-06-14") -> Signature:
    return EXTRACTOR.extract(
        Article(
            id="e1",
            source="test.example",
            published_at=datetime.fromisoformat(published).replace(tzinfo=UTC),
            title=title,
            text=text,
        )
    )


def places(signature: Signature) -> dict[str, tuple[str, str | None]]:
    return {loc.name: (loc.level, loc.within) for loc in signature.locations}


def test_a_us_city_resolves_with_its_state() -> None:
    found = places(extract("Two men were hurt in a shooting in Hawthorne, California on Friday."))
    level, within = found["Hawthorne"]
    assert level == "city"
    assert within is not None and within == next(
        loc.id for loc in extract("He lives in California.").locations
    )


def test_the_state_after_a_comma_picks_the_right_city() -> None:
    found = extract("The festival was held in Paris, Texas, last weekend.").locations
    paris = next(loc for loc in found if loc.name == "Paris")
    assert paris.within != "iso:FR"


def test_a_dateline_names_the_city() -> None:
    assert "Memphis" in places(extract("MEMPHIS - A teenager was shot outside a school."))


def test_a_surname_that_is_also_a_town_is_not_a_place() -> None:
    found = extract("Officer Lee Jackson said the road was closed. Jackson said it reopened.")
    assert "Jackson" not in places(found)


def test_saint_abbreviation_does_not_split_the_city() -> None:
    assert "St. Louis" in places(extract("Four men were shot in St. Louis on Friday."))


def test_a_capital_acting_is_its_government() -> None:
    actors = {a.id for a in extract("Islamabad said its forces had destroyed five posts.").actors}
    assert "gov:PK" in actors


def test_unknown_single_names_that_act_are_organisations() -> None:
    actors = {a.id for a in extract("Volkswagen said on Monday it would cut jobs.").actors}
    assert "org:volkswagen" in actors


def test_a_country_inside_a_longer_name_is_an_organisation() -> None:
    actors = {a.id for a in extract("Air India grounded eight jets on Tuesday.").actors}
    assert "org:air-india" in actors
    assert "country:IN" not in actors


def test_demonyms_act_only_with_an_agent() -> None:
    acting = {a.id for a in extract("Kenyan runner Mary Wanjiru won the race.").actors}
    assert "country:KE" in acting
    modifier = {a.id for a in extract("The Chilean election goes to a run-off.").actors}
    assert "country:CL" not in modifier


def test_a_country_owning_a_place_is_not_an_actor() -> None:
    found = extract("Troops were deployed to Russia's Kursk region.")
    assert "country:RU" not in {a.id for a in found.actors}
    assert any(loc.name.startswith("Kursk") for loc in found.locations)


def test_a_dateline_stamp_is_the_base_for_weekdays() -> None:
    # Crawled a week later: "Saturday" is the Saturday before the story's own stamp.
    found = extract(
        "March 4, 2013\nA man was shot on Saturday night in Dallas, police said.",
        published="2013-03-11",
    )
    assert found.event_date == date(2013, 3, 2)


def test_reporting_today_is_not_the_event_date() -> None:
    found = extract(
        "The name of a man who was killed on Tuesday was released today by the coroner.",
        published="2013-01-05",
    )
    assert found.event_date == date(2013, 1, 1)
