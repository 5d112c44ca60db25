"""Actors and places: aliases, titles, surnames, demonyms, seats of power, regions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from config.tables import load_tables
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from topics.articles import Article
from topics.signatures import Signature

CONFIG = Path(__file__).resolve().parents[2] / "config"
EXTRACTOR = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG)))


def extract(text: str, title: str = "News in brief") -> Signature:
    return EXTRACTOR.extract(
        Article(
            id="e1",
            source="test.example",
            published_at=datetime.fromisoformat("2026-03-14T09:00:00+00:00"),
            title=title,
            text=text,
        )
    )


def actors(signature: Signature) -> dict[str, list[str]]:
    return {actor.id: actor.mentions for actor in signature.actors}


def test_spelling_variants_and_honorifics_are_one_actor() -> None:
    signature = extract(
        "President Zelensky spoke first. Later Zelenskyy met aides, and Mr Zelenskyy left."
    )
    people = [a for a in signature.actors if a.kind == "person"]
    assert [p.id for p in people] == ["person:volodymyr-zelenskyy"]
    assert set(people[0].mentions) == {"Zelensky", "Zelenskyy"}


def test_demonym_means_the_country() -> None:
    signature = extract("Analysts say North Korean troops are training at a base.")
    assert "country:KP" in actors(signature)
    assert actors(signature)["country:KP"] == ["North Korean"]


def test_capital_acting_is_the_government_but_a_capital_as_place_stays_a_place() -> None:
    acting = extract("Officials believe Pyongyang is aiding the campaign.")
    government = [a for a in acting.actors if a.id == "gov:KP"]
    assert government and government[0].kind == "government"
    assert not acting.locations

    place = extract("The envoy arrived in Kyiv on a night train.")
    assert [loc.id for loc in place.locations] == ["geonames:703448"]
    assert not any(a.id.startswith("gov:") for a in place.actors)


def test_seat_of_power_and_possessive_capital_are_governments() -> None:
    signature = extract("The Kremlin said the talks failed, deepening Tokyo's concern.")
    found = actors(signature)
    assert found["gov:RU"] == ["Kremlin"]
    assert found["gov:JP"] == ["Tokyo"]


def test_possessive_country_is_the_country() -> None:
    signature = extract("Analysts discussed Russia's economy at length.")
    assert actors(signature) == {"country:RU": ["Russia"]}


def test_unknown_person_found_and_surname_maps_back() -> None:
    signature = extract(
        "Foreign Minister Ilona Varga met reporters. Varga said the deal would hold."
    )
    people = [a for a in signature.actors if a.kind == "person"]
    assert len(people) == 1
    assert people[0].id == "person:ilona-varga"
    assert people[0].name == "Ilona Varga"
    assert people[0].mentions == ["Ilona Varga", "Varga"]


def test_sentence_openers_are_not_people() -> None:
    signature = extract("However the plan stalled. Fortunately, Firefighters arrived quickly.")
    assert [a for a in signature.actors if a.kind == "person"] == []


def test_organisation_run_is_an_organisation_not_a_person_or_place() -> None:
    signature = extract("Millbrook City Council approved the budget.")
    assert [(a.id, a.kind) for a in signature.actors] == [
        ("org:millbrook-city-council", "organisation")
    ]


def test_country_ministry_is_the_government() -> None:
    signature = extract("Russia's Ministry of Defence issued a statement.")
    assert "gov:RU" in actors(signature)


def test_known_region_resolves_and_unknown_district_is_inside_its_city() -> None:
    signature = extract(
        "Debris fell over the Kharkiv region. Windows broke in Kyiv's Pechersk district."
    )
    by_id = {loc.id: loc for loc in signature.locations}
    assert by_id["geonames:706482"].level == "admin1"
    district = by_id["name:pechersk-district"]
    assert district.level == "district"
    assert district.within == "geonames:703448"


def test_unresolved_region_gets_a_name_id() -> None:
    signature = extract("Fires spread across the Westmarch province overnight.")
    assert [(loc.id, loc.level) for loc in signature.locations] == [
        ("name:westmarch-province", "region")
    ]


def test_title_case_headline_lines_do_not_invent_people() -> None:
    signature = extract("Harbour Cranes Resume Work After Long Winter Storm Season\nWork resumed.")
    assert [a for a in signature.actors if a.kind == "person"] == []


def test_acronyms_must_be_written_in_capitals() -> None:
    assert "country:US" in actors(extract("The US embassy closed."))
    assert actors(extract("Us and them, she sang.")) == {}


# -- names, organisations and place evidence (issue 14) ------------------------------------


def ids(text: str) -> set[str]:
    return {a.id for a in extract(text).actors}


def test_role_and_trade_words_are_not_part_of_a_name() -> None:
    found = ids("Neighbour Carla Mendez heard the shots. Quarterback Eli Fontaine threw twice.")
    assert {"person:carla-mendez", "person:eli-fontaine"} <= found
    assert not any("neighbour" in a or "quarterback" in a for a in found)
    assert "person:izaak-brandt" in ids("Twenty-year-old Izaak Brandt was arrested later.")


def test_officials_are_named_but_only_private_people_are_keys() -> None:
    signature = extract(
        "Sgt. Dora Kimani said Luis Ortega, 31, was found wounded near 410 Elm Street in "
        "Dayton late on Friday and taken to a hospital. Police spokesman Ray Dunn said no one "
        "else was hurt and that detectives were looking for a grey pickup seen nearby."
    )
    found = {a.id for a in signature.actors}
    assert {"person:dora-kimani", "person:luis-ortega", "person:ray-dunn"} <= found
    assert "person:luis-ortega" in signature.keys
    assert "person:dora-kimani" not in signature.keys
    assert "person:ray-dunn" not in signature.keys
    assert "addr:400-elm-st" in signature.keys


def test_clubs_and_companies_are_organisations_not_people() -> None:
    found = ids(
        "The Portland Foresters beat the Denver Nuggets on Friday. Real Valdemoro signed a "
        "winger, and Garnet Logistics said it would hire drivers."
    )
    assert {"org:denver-nuggets", "org:real-valdemoro", "org:garnet-logistics"} <= found
    assert not any(a.startswith("person:") for a in found)
    # A given name that is a town, then a surname ending in s, is still a person.
    assert "person:barry-williams" in ids("Barry Williams, who owns the shop, said he was shocked.")


def test_peoples_and_page_chrome_are_not_organisations() -> None:
    assert not any(a.startswith("org:") for a in ids("She was the first African American judge."))
    assert ids("Local News\nThe council met on Monday.") == set()


def test_a_country_opening_a_sentence_acts() -> None:
    assert "country:ZW" in ids("Zimbabwe hanged two men on Tuesday, rights groups said.")
    assert "person:jordan-okoro" in ids("Jordan Okoro said the shop had been robbed twice.")


def test_a_surname_is_a_place_only_with_place_evidence() -> None:
    places = {loc.name for loc in extract("John Patterson, 41, was charged. The son of Patterson "
                                          "said he was innocent.").locations}  # fmt: skip
    assert "Patterson" not in places
    places = {loc.name for loc in extract("A man was shot in Patterson, California.").locations}
    assert "Patterson" in places


def test_a_big_city_no_namesake_rivals_states_its_region_and_a_homonym_does_not() -> None:
    from detectors.matching import vetoed
    from detectors.story import Member

    def member(text: str) -> Member:
        return Member.from_signature(extract(text))

    # Two big cities in different states, neither state written: each name alone pins its
    # city down, so two ambushes a week apart in them are never one story.
    east = member("Gunmen shot four deputies outside a courthouse in Philadelphia overnight.")
    west = member("Four deputies were shot outside a courthouse in Phoenix overnight.")
    assert east.stated_regions and west.stated_regions
    assert vetoed(east, west)
    # A town whose name several states share keeps no state it was not told: no veto.
    town = member("Two deputies were shot outside a courthouse in Springfield overnight.")
    assert not town.stated_regions
    assert not vetoed(town, west)
    # The state written next to the town pins it down too.
    told = member("Two deputies were shot outside a courthouse in Springfield, Ohio, overnight.")
    assert told.stated_regions
