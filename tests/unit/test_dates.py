"""Dates resolved against publication time, and the event date rule."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from detectors.dates import event_date, find_dates

SATURDAY = datetime.fromisoformat("2024-11-16T12:00:00+00:00")  # a Saturday


def resolved(text: str, published: datetime = SATURDAY) -> list[tuple[str, date, str]]:
    return [(m.text, m.date, m.granularity) for m in find_dates(text, published)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The minister arrived on Saturday.", date(2024, 11, 16)),
        ("The minister arrived Saturday morning.", date(2024, 11, 16)),
        ("The two leaders spoke on Friday.", date(2024, 11, 15)),
        ("Shelling continued on Tuesday night.", date(2024, 11, 12)),
        ("The minister arrived last Saturday.", date(2024, 11, 9)),
        ("The vote is due next Monday.", date(2024, 11, 18)),
    ],
)
def test_weekdays_resolve_to_the_latest_such_day(text: str, expected: date) -> None:
    assert [day for _, day, _ in resolved(text)] == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The push began on August 6.", date(2024, 8, 6)),
        ("The push began on 6 August 2023.", date(2023, 8, 6)),
        ("The election was held on November 5, 2024.", date(2024, 11, 5)),
        ("The file is dated 2024-11-16.", date(2024, 11, 16)),
        ("The summit opens on November 18.", date(2024, 11, 18)),
        ("The deal was signed on December 25.", date(2023, 12, 25)),
        ("The deal was signed on the 3rd of March.", date(2024, 3, 3)),
        ("The deal was signed on Sept. 9.", date(2024, 9, 9)),
    ],
)
def test_explicit_dates_and_the_missing_year_rule(text: str, expected: date) -> None:
    assert [day for _, day, _ in resolved(text)] == [expected]


@pytest.mark.parametrize(
    ("text", "expected", "granularity"),
    [
        ("Talks resume today.", date(2024, 11, 16), "day"),
        ("Talks collapsed yesterday.", date(2024, 11, 15), "day"),
        ("Drones struck the port overnight.", date(2024, 11, 16), "day"),
        ("Drones struck the port last night.", date(2024, 11, 15), "day"),
        ("Fighting broke out last week.", date(2024, 11, 4), "week"),
        ("Prices rose last month.", date(2024, 10, 1), "month"),
        ("He hopes to end the war next year.", date(2025, 1, 1), "year"),
    ],
)
def test_relative_expressions(text: str, expected: date, granularity: str) -> None:
    assert [(day, g) for _, day, g in resolved(text)] == [(expected, granularity)]


def test_ordinary_words_are_not_dates() -> None:
    assert resolved("Troops may march south if the talks fail.") == []


def test_offsets_point_at_the_text() -> None:
    text = "He left. The talks ended on Friday."
    (mention,) = find_dates(text, SATURDAY)
    assert text[mention.start :].startswith(mention.text)


def test_event_date_prefers_the_lead_then_the_most_frequent_then_publication() -> None:
    lead = "Talks ended on Friday. Aides spoke on Monday. More on Monday."
    dates = find_dates(lead, SATURDAY)
    assert event_date([], dates, lead.index("Aides") + 25, SATURDAY) == date(2024, 11, 15)
    later = "No date here. Nor here. It happened on Monday and resumed on Monday, not Tuesday."
    assert event_date([], find_dates(later, SATURDAY), 23, SATURDAY) == date(2024, 11, 11)
    assert event_date([], [], 0, SATURDAY) == date(2024, 11, 16)
