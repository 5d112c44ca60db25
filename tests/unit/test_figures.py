"""Figure claims: intervals per qualifier, thing, action, and what is not a figure."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from config.tables import load_tables
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from topics.articles import Article
from topics.signatures import Count

CONFIG = Path(__file__).resolve().parents[2] / "config"
EXTRACTOR = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG)))


def counts(text: str) -> list[Count]:
    article = Article(
        id="t1",
        source="test.example",
        published_at=datetime.fromisoformat("2026-03-14T09:00:00+00:00"),
        title="Test story",
        text=text,
    )
    return EXTRACTOR.extract(article).counts


def only(text: str) -> Count:
    found = counts(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("phrase", "low", "high", "qualifier"),
    [
        ("15", 15, 15, "exact"),
        ("up to 15", 0, 15, "upper_bound"),
        ("as many as 15", 0, 15, "upper_bound"),
        ("no more than 15", 0, 15, "upper_bound"),
        ("at least 15", 15, None, "lower_bound"),
        ("more than 15", 16, None, "lower_bound"),
        ("over 15", 16, None, "lower_bound"),
        ("about 20", 18, 22, "approximate"),
        ("around 20", 18, 22, "approximate"),
        ("approximately 20", 18, 22, "approximate"),
        ("some 20", 18, 22, "approximate"),
        ("roughly 20", 18, 22, "approximate"),
        ("an estimated 20", 18, 22, "approximate"),
        ("nearly 20", 18, 20, "approximate"),
        ("almost 20", 18, 20, "approximate"),
        ("dozens of", 24, 99, "vague"),
        ("hundreds of", 200, 999, "vague"),
        ("thousands of", 2000, 9999, "vague"),
        ("tens of thousands of", 20000, 99999, "vague"),
        ("a dozen", 12, 12, "exact"),
        ("up to a dozen", 0, 12, "upper_bound"),
        ("between 10 and 20", 10, 20, "range"),
        ("10-20", 10, 20, "range"),
        ("12,000", 12000, 12000, "exact"),
        ("1.5 million", 1_500_000, 1_500_000, "exact"),
        ("twenty-five", 25, 25, "exact"),
        ("seven", 7, 7, "exact"),
    ],
)
def test_each_qualifier_gives_its_interval(
    phrase: str, low: float | None, high: float | None, qualifier: str
) -> None:
    count = only(f"Air defence crews shot down {phrase} drones near the harbour on Tuesday.")
    assert count.qualifier == qualifier
    assert count.low == pytest.approx(low) if low is not None else count.low is None
    assert count.high == pytest.approx(high) if high is not None else count.high is None
    assert count.thing_key == "drone"
    assert count.action == "intercepted"


def _overlap(a: Count, b: Count) -> bool:
    a_low, b_low = a.low or 0, b.low or 0
    a_high = a.high if a.high is not None else float("inf")
    b_high = b.high if b.high is not None else float("inf")
    return a_low <= b_high and b_low <= a_high


def test_up_to_a_dozen_and_dozens_cannot_both_be_true() -> None:
    dozen = only("The navy said it intercepted up to a dozen drones.")
    dozens = only("The navy said it intercepted dozens of drones.")
    assert not _overlap(dozen, dozens)


def test_compatible_wordings_of_twelve_thousand_overlap() -> None:
    wordings = ["up to 12,000", "as many as 12,000", "approximately 12,000", "some 12,000"]
    found = [only(f"Officials believe {w} soldiers were sent to the front.") for w in wordings]
    for first in found:
        for second in found:
            assert _overlap(first, second), (first.text, second.text)
    assert {c.thing_key for c in found} == {"troop"}
    assert {c.action for c in found} == {"deployed"}


@pytest.mark.parametrize(
    "text",
    [
        "The bridge was completed in 1998 and reopened in 2024.",
        "The sirens sounded at 9am and again at 1:15 am.",
        "The sirens sounded at 4:30 in the morning.",
        "The suspect, aged 34, was held near the station.",
        "Councillors voted 52 to 31 in favour of the scheme.",
        "The home side won 3-1 after extra time.",
        "The offensive began on August 6 and paused on 5 November.",
        "Turnout rose by 12% and then by 4 per cent.",
        "It was the third attack this month and the 5th this year.",
        "The talks lasted three years and the ceasefire held for nine days.",
        "The route will run for 40 kilometres along the coast.",
        "The repairs cost $15 million and £2,000 was raised.",
        "Call the hotline on 020 7946 0321 for details.",
        "Protesters gathered outside 10 Downing Street.",
        "Police said the victim was a 47-year old woman from the east side.",
        "Detectives reopened the '90 shooting of a shop owner.",
        "Police obtained an arrest warrant for Dario Menks, 20.",
        "The victims, ages 19 and 41, were found in the house.",
    ],
)
def test_things_that_are_not_figure_claims(text: str) -> None:
    assert counts(text) == []


def test_an_age_is_not_a_figure_but_a_man_arrested_is_one_arrest() -> None:
    found = counts("A 20-year-old man was arrested near the station.")
    # One man named alone says at least one was arrested.
    assert [(c.low, c.high, c.thing_key, c.action) for c in found] == [
        (1, None, "man", "arrested")
    ]


@pytest.mark.parametrize(
    ("text", "thing_key", "action"),
    [
        ("None of the 47 crew were injured.", "crew", "injured"),
        ("No deaths were reported after the quake.", "death", "killed"),
        ("Police said no arrests had been made.", "arrest", "arrested"),
        ("No one was hurt in the blaze.", "person", "injured"),
    ],
)
def test_negation_gives_a_zero_figure(text: str, thing_key: str, action: str) -> None:
    found = counts(text)
    assert [(c.low, c.high, c.thing_key, c.action) for c in found] == [(0, 0, thing_key, action)]


@pytest.mark.parametrize(
    "text",
    [
        "A magnitude 6.1 earthquake struck the coast.",
        "He crashed on stage nine of the race.",
        "A man stabbed two people before running off.",
    ],
)
def test_labels_and_agents_are_not_counted_as_victims(text: str) -> None:
    found = counts(text)
    assert all(c.low != 6.1 and c.low != 9 for c in found)
    assert all(not (c.thing_key == "man" and c.low == 1) for c in found)


@pytest.mark.parametrize(
    ("text", "thing_key", "action", "low"),
    [
        ("Fifteen drones were shot down over the bay.", "drone", "intercepted", 15),
        ("The blast hit a depot, injuring three dock workers.", "worker", "injured", 3),
        ("Three people were injured when the roof fell.", "person", "injured", 3),
        ("Shelling hit the market, wounding three people.", "person", "injured", 3),
        ("At least three workers were hurt in the fire.", "worker", "injured", 3),
        ("The strike left four civilians dead.", "civilian", "killed", 4),
        ("Police arrested 12 people after the march.", "person", "arrested", 12),
        ("Russia launched 40 Shahed drones at the city.", "drone", "launched", 40),
        ("Around 800 soldiers crossed into the province.", "troop", "deployed", 720),
    ],
)
def test_thing_and_action_in_active_passive_and_participial_sentences(
    text: str, thing_key: str, action: str, low: float
) -> None:
    count = only(text)
    assert count.thing_key == thing_key
    assert count.action == action
    assert count.low == pytest.approx(low)


def test_thing_keeps_its_written_form() -> None:
    count = only("Russia launched 40 Shahed drones at the city.")
    assert count.thing == "Shahed drones"
    assert count.text == "40"


def test_claimant_place_sentence_and_offset() -> None:
    text = "Crews shot down up to 9 drones over the Odesa region, the regional military said."
    count = only(text)
    assert count.claimant == "the regional military"
    assert count.place == "geonames:698738"
    assert count.sentence == text
    assert text[count.start :].startswith("up to 9")


@pytest.mark.parametrize(
    ("text", "claimant"),
    [
        ("The governor's office, however, said 23 people were injured.", "The governor's office"),
        (
            "Officials said 12 died, a figure the opposition rejected, saying 90 were killed.",
            "the opposition",
        ),
        ("Organisers put the crowd at 60,000.", "Organisers"),
    ],
)
def test_asides_rejections_and_crowd_estimates_name_their_claimant(
    text: str, claimant: str
) -> None:
    assert counts(text)[-1].claimant == claimant


def test_a_crowd_put_at_a_number_is_people_gathered() -> None:
    count = only("Police put the crowd at 24,000 on Saturday.")
    assert (count.low, count.thing, count.thing_key, count.action) == (
        24000, "crowd", "person", "gathered",
    )  # fmt: skip


def test_according_to_names_the_claimant() -> None:
    count = only("Nine drones were downed overnight, according to the air force.")
    assert count.claimant == "the air force"


def test_it_said_takes_the_claimant_of_the_previous_sentence() -> None:
    found = counts(
        "The air force said 40 drones were launched. Of those, 30 were shot down, it said."
    )
    assert [c.claimant for c in found] == ["The air force", "The air force"]
    assert found[1].thing_key == "drone"
    assert found[1].action == "intercepted"


def test_each_figure_in_a_list_gets_its_own_place() -> None:
    found = counts(
        "The ministry said it destroyed 30 drones, including 20 over the Kursk region "
        "and 10 over the Bryansk region."
    )
    assert [(c.low, c.thing_key, c.action) for c in found] == [
        (30, "drone", "intercepted"),
        (20, "drone", "intercepted"),
        (10, "drone", "intercepted"),
    ]
    assert [c.place for c in found[1:]] == ["geonames:538555", "geonames:571473"]


def test_huge_numbers_of_digits_do_not_become_counts() -> None:
    assert counts("Reference " + "7" * 5000 + " was filed.") == []


def test_critical_condition_is_an_injury_not_the_death_before_it() -> None:
    found = counts("A man died at the scene, two people are in critical condition.")
    assert [(c.low, c.action) for c in found if c.low == 2] == [(2, "injured")]
