"""Matching, the emerging-story detector and the figure-conflict detector on hand-made stories."""

from datetime import UTC, date, datetime, timedelta

from detectors.conflicts import FigureConflictDetector, compatible
from detectors.emerging import EmergingStoryDetector
from detectors.matching import StoryMatcher
from detectors.story import Claim, Member, StoryProfile, StorySnapshot, new_story_id
from topics import Count

T0 = datetime(2026, 3, 14, 6, 0, tzinfo=UTC)


def member(aid: str, source: str, minutes: int, **kw: object) -> Member:
    return Member(
        article_id=aid,
        source=source,
        published_at=T0 + timedelta(minutes=minutes),
        title=f"title {aid}",
        **kw,  # type: ignore[arg-type]
    )


def claim(
    aid: str, source: str, low: float | None, high: float | None, text: str, **kw: object
) -> Claim:
    fields: dict[str, object] = {
        "text": text,
        "low": low,
        "high": high,
        "qualifier": "exact",
        "thing": "drones",
        "thing_key": "drone",
        "action": "intercepted",
        "place": "name:odesa-region",
        "sentence": f"{text} drones were shot down.",
        "start": 0,
        "role": "total",
    }
    fields.update(kw)
    return Claim(
        claim_id=f"{aid}#0",
        article_id=aid,
        source=source,
        published_at=T0,
        count=Count(**fields),  # type: ignore[arg-type]
    )


# -- matching ------------------------------------------------------------------------------------
ODESA = dict(
    actors=frozenset({"country:RU", "person:petro-marchuk"}),
    places=frozenset({"geonames:698740"}),
    terms=frozenset({"odesa", "port", "drones", "grain"}),
    event_date=date(2026, 3, 14),
)


def test_same_event_matches_and_lookalike_elsewhere_does_not() -> None:
    matcher = StoryMatcher()
    story = StoryProfile("st-1", (member("a", "one.example", 0, **ODESA),))
    same = member("b", "two.example", 30, **ODESA)
    assert matcher.choose(same, [story])[0] == "st-1"

    # The same kind of attack the same morning on Kharkiv, in another oblast: vetoed outright.
    kharkiv = {
        **ODESA,
        "places": frozenset({"geonames:706483", "name:kharkiv-oblast"}),
        "regions": frozenset({"name:kharkiv-oblast"}),
        "stated_regions": frozenset({"name:kharkiv-oblast"}),
        "place_names": frozenset({"kharkiv"}),
        "terms": frozenset({"kharkiv", "drones", "power", "grid"}),
        "actors": frozenset({"country:RU", "person:oleh-syniehubov"}),
    }
    odesa_story = StoryProfile(
        "st-2",
        (
            member(
                "d",
                "one.example",
                0,
                **{
                    **ODESA,
                    "regions": frozenset({"name:odesa-oblast"}),
                    "stated_regions": frozenset({"name:odesa-oblast"}),
                },
            ),
        ),
    )
    elsewhere = member("c", "three.example", 30, **kharkiv)
    assert matcher.score(elsewhere, odesa_story) == 0.0
    assert matcher.choose(elsewhere, [odesa_story])[0] is None

    # Without states to compare, another town and other words still keep it out.
    no_regions = member(
        "e",
        "three.example",
        30,
        **{**kharkiv, "regions": frozenset(), "stated_regions": frozenset()},
    )
    assert matcher.choose(no_regions, [story])[0] is None
    assert matcher.score(no_regions, story) < matcher.score(same, story)


def test_week_later_event_is_a_new_story() -> None:
    matcher = StoryMatcher()
    story = StoryProfile("st-1", (member("a", "one.example", 0, **ODESA),))
    later = member("b", "two.example", 60 * 24 * 7, **{**ODESA, "event_date": date(2026, 3, 21)})
    assert matcher.choose(later, [story])[0] is None


def test_a_follow_up_that_names_the_event_day_joins_a_week_later() -> None:
    matcher = StoryMatcher(window=timedelta(days=14))
    story = StoryProfile("st-1", (member("a", "one.example", 0, **ODESA),))
    week = 60 * 24 * 7
    follow_up = member(
        "b", "two.example", week, **{**ODESA, "event_date": date(2026, 3, 21),
                                     "days": frozenset({date(2026, 3, 14), date(2026, 3, 21)})},
    )  # fmt: skip
    assert matcher.choose(follow_up, [story])[0] == "st-1"
    # The same words with no reference back to the 14th: the next attack, a new story.
    next_attack = member("c", "two.example", week, **{**ODESA, "event_date": date(2026, 3, 21)})
    assert matcher.score(next_attack, story) == 0.0


def test_unrelated_article_starts_a_new_story() -> None:
    matcher = StoryMatcher()
    story = StoryProfile("st-1", (member("a", "one.example", 0, **ODESA),))
    leeds = member(
        "l",
        "four.example",
        5,
        actors=frozenset({"org:leeds-city-council"}),
        places=frozenset({"geonames:2644688"}),
        terms=frozenset({"cycle", "lanes", "council"}),
        event_date=date(2026, 3, 13),
    )
    assert matcher.choose(leeds, [story]) == (None, 0.0)


def test_story_id_is_stable_per_first_article() -> None:
    assert new_story_id("x") == new_story_id("x") != new_story_id("y")


# -- emerging ------------------------------------------------------------------------------------
def test_emerging_needs_distinct_sources_inside_the_window() -> None:
    detector = EmergingStoryDetector(min_sources=3, window=timedelta(hours=12))
    two_sources = StorySnapshot(
        "st-1",
        (
            member("a", "one.example", 0),
            member("b", "one.example", 10),
            member("c", "two.example", 20),
        ),
        (),
    )
    assert detector.check(two_sources) is None

    spread_out = StorySnapshot(
        "st-1",
        (
            member("a", "one.example", 0),
            member("b", "two.example", 60),
            member("c", "three.example", 60 * 13),
        ),
        (),
    )
    assert detector.check(spread_out) is None

    three = StorySnapshot(
        "st-1",
        (
            member("a", "one.example", 0),
            member("b", "two.example", 60),
            member("c", "three.example", 120),
        ),
        (),
    )
    finding = detector.check(three)
    assert finding is not None
    assert finding.alert.kind == "story.emerging"
    assert finding.alert.sources == ["one.example", "two.example", "three.example"]
    assert finding.alert.event_time == T0 + timedelta(minutes=120)

    # A fourth source adds evidence but it is the same story emerging: same id.
    four = StorySnapshot("st-1", (*three.members, member("d", "four.example", 130)), ())
    again = detector.check(four)
    assert again is not None and again.alert.id == finding.alert.id


# -- conflicts -----------------------------------------------------------------------------------
def test_compatible_wordings_do_not_conflict() -> None:
    claims = (
        claim("a", "one.example", 0, 12000, "up to 12,000", qualifier="upper_bound"),
        claim("b", "two.example", 0, 12000, "as many as 12,000", qualifier="upper_bound"),
        claim("c", "three.example", 10800, 13200, "approximately 12,000", qualifier="approximate"),
        claim("d", "four.example", 10800, 13200, "some 12,000", qualifier="approximate"),
    )
    assert FigureConflictDetector().check(StorySnapshot("st-1", (), claims)) == []


def test_up_to_a_dozen_against_dozens_conflicts_once() -> None:
    claims = (
        claim("a", "one.example", 0, 12, "up to a dozen", qualifier="upper_bound"),
        claim("b", "two.example", 0, 12, "up to a dozen", qualifier="upper_bound"),
        claim("c", "three.example", 24, 99, "dozens", qualifier="vague"),
    )
    findings = FigureConflictDetector().check(StorySnapshot("st-1", (), claims))
    assert len(findings) == 1
    alert = findings[0].alert
    assert alert.kind == "figures.conflict"
    assert {c.source for c in alert.claims} == {"one.example", "two.example", "three.example"}
    assert alert.figure == "drone intercepted (name:odesa-region)"
    assert "dozens" in alert.summary


def test_repeating_a_value_keeps_the_id_and_a_new_value_supersedes() -> None:
    detector = FigureConflictDetector()
    base = (
        claim("a", "one.example", 0, 12, "up to a dozen", qualifier="upper_bound"),
        claim("c", "three.example", 24, 99, "dozens", qualifier="vague"),
    )
    first = detector.check(StorySnapshot("st-1", (), base))[0]
    repeated = detector.check(
        StorySnapshot(
            "st-1", (), (*base, claim("d", "four.example", 24, 99, "dozens", qualifier="vague"))
        )
    )[0]
    assert repeated.alert.id == first.alert.id

    latest = {first.topic: first.alert.id}
    changed = detector.check(
        StorySnapshot("st-1", (), (*base, claim("e", "five.example", 200, 200, "200")), latest)
    )[0]
    assert changed.alert.id != first.alert.id
    assert changed.alert.supersedes == first.alert.id


def test_different_figures_and_same_article_do_not_conflict() -> None:
    claims = (
        claim("a", "one.example", 0, 12, "up to a dozen", qualifier="upper_bound"),
        # Same number, other place: a different figure.
        claim("b", "two.example", 55, 55, "55", place="iso:UA"),
        # Other action.
        claim("c", "three.example", 83, 83, "83", action="launched"),
    )
    assert FigureConflictDetector().check(StorySnapshot("st-1", (), claims)) == []
    same_article = (
        claim("a", "one.example", 0, 12, "up to a dozen"),
        Claim("a#1", "a", "one.example", T0, claim("a", "one.example", 55, 55, "55").count),
    )
    assert FigureConflictDetector().check(StorySnapshot("st-1", (), same_article)) == []


def test_open_intervals_overlap_correctly() -> None:
    at_least_14 = claim("a", "one.example", 14, None, "at least 14", qualifier="lower_bound")
    fourteen = claim("b", "two.example", 14, 14, "fourteen")
    ten = claim("c", "three.example", 10, 10, "10")
    assert compatible(at_least_14, fourteen)
    assert not compatible(at_least_14, ten)
