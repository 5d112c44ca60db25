"""Revisions, disputes and inconsistencies on hand-made claims (the detectors' own rules)."""

from datetime import UTC, date, datetime, timedelta

from detectors.conflicts import FigureConflictDetector, FigureUpdateDetector
from detectors.disputes import FigureDisputeDetector
from detectors.inconsistency import FigureInconsistencyDetector
from detectors.story import Claim, Member, StorySnapshot
from topics import Count

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def claim(
    aid: str,
    index: int,
    low: float | None,
    high: float | None,
    *,
    text: str | None = None,
    action: str = "killed",
    thing: str = "people",
    thing_key: str = "person",
    claimant: str | None = None,
    sentence: str | None = None,
    start: int = 0,
    hours: float = 0,
    role: str = "total",
    revised: bool = False,
    part_of: int | None = None,
) -> Claim:
    text = text or f"{low:g}"
    count = Count(
        text=text, low=low, high=high, qualifier="exact", thing=thing, thing_key=thing_key,
        action=action, claimant=claimant, sentence=sentence or f"{text} {thing} were {action}.",
        start=start, role=role, revised=revised, part_of=part_of,  # type: ignore[arg-type]
    )  # fmt: skip
    return Claim(f"{aid}#{index}", aid, f"{aid}.example", T0 + timedelta(hours=hours), count)


def snap(*claims: Claim, latest: dict[str, str] | None = None) -> StorySnapshot:
    return StorySnapshot("st-1", (), claims, latest or {})


# -- revisions -----------------------------------------------------------------------------------
def test_a_rising_death_toll_is_an_update_not_a_conflict() -> None:
    story = snap(claim("a", 0, 4, 4), claim("b", 0, 9, 9, hours=3))
    assert FigureConflictDetector().check(story) == []
    [update] = FigureUpdateDetector().check(story)
    assert update.alert.kind == "figures.updated"
    assert [c.value_text for c in update.alert.claims] == ["4", "9"]
    assert 'now "9"' in update.alert.summary and 'was "4"' in update.alert.summary


def test_each_new_high_supersedes_the_previous_update() -> None:
    first = FigureUpdateDetector().check(snap(claim("a", 0, 4, 4), claim("b", 0, 9, 9, hours=3)))[0]
    again = FigureUpdateDetector().check(
        snap(claim("a", 0, 4, 4), claim("b", 0, 9, 9, hours=3), claim("c", 0, 9, 9, hours=4))
    )[0]
    assert again.alert.id == first.alert.id  # a third outlet repeating 9 is not news
    later = FigureUpdateDetector().check(
        snap(
            claim("a", 0, 4, 4),
            claim("b", 0, 9, 9, hours=3),
            claim("c", 0, 12, 12, hours=5),
            latest={first.topic: first.alert.id},
        )
    )[0]
    assert later.alert.id != first.alert.id
    assert later.alert.supersedes == first.alert.id
    assert [c.value_text for c in later.alert.claims] == ["9", "12"]


def test_a_growing_figure_falling_later_is_a_conflict() -> None:
    [found] = FigureConflictDetector().check(
        snap(claim("a", 0, 9, 9), claim("b", 0, 4, 4, hours=2))
    )
    assert found.alert.summary.startswith("Figure revised down")
    assert (
        FigureUpdateDetector().check(snap(claim("a", 0, 9, 9), claim("b", 0, 4, 4, hours=2))) == []
    )


def test_measurements_that_do_not_grow_conflict_when_they_differ() -> None:
    kw = {"action": "measured", "thing": "magnitude", "thing_key": "magnitude"}
    story = snap(claim("a", 0, 6.1, 6.1, **kw), claim("b", 0, 6.4, 6.4, hours=2, **kw))  # type: ignore[arg-type]
    assert len(FigureConflictDetector().check(story)) == 1
    assert FigureUpdateDetector().check(story) == []


def test_update_wording_counts_as_later_at_the_same_time() -> None:
    rose = claim("b", 0, 9, 9, sentence="The death toll rose to 9, officials said.", revised=True)
    assert FigureConflictDetector().check(snap(claim("a", 0, 4, 4), rose)) == []
    assert len(FigureUpdateDetector().check(snap(claim("a", 0, 4, 4), rose))) == 1


# -- disputes ------------------------------------------------------------------------------------
CROWD = {"action": "protested", "thing": "people", "thing_key": "person"}
SAID = "Police estimated the crowd at 24,000, while organisers said more than 100,000 marched."


def test_police_and_organisers_in_one_sentence_are_a_dispute() -> None:
    police = claim("a", 0, 24000, 24000, text="24,000", claimant="police", sentence=SAID, **CROWD)  # type: ignore[arg-type]
    organisers = claim(
        "a",
        1,
        100001,
        None,
        text="more than 100,000",
        claimant="organisers",
        sentence=SAID,
        start=40,
        **CROWD,  # type: ignore[arg-type]
    )
    # Another outlet repeating the police figure agrees with the police, not with "the story".
    repeat = claim("b", 0, 24000, 24000, text="24,000", claimant="the police", hours=1, **CROWD)  # type: ignore[arg-type]
    story = snap(police, organisers, repeat)
    [dispute] = FigureDisputeDetector().check(story)
    assert dispute.alert.kind == "figures.disputed"
    assert {c.claimant for c in dispute.alert.claims} == {"police", "organisers", "the police"}
    assert FigureConflictDetector().check(story) == []


def test_a_breakdown_part_is_not_a_rival_estimate() -> None:
    sentence = (
        "The city said about a dozen drones were downed, while the air force said that of the 80 "
        "drones launched, 55 were destroyed."
    )
    city = claim("a", 0, 10.8, 13.2, text="about a dozen", claimant="the city", sentence=sentence,
                 action="intercepted", thing="drones", thing_key="drone")  # fmt: skip
    force = claim("a", 1, 55, 55, text="55", claimant="the air force", sentence=sentence, start=90,
                  action="intercepted", thing="drones", thing_key="drone", role="part",
                  part_of=2)  # fmt: skip
    assert FigureDisputeDetector().check(snap(city, force)) == []


def test_different_claimants_far_apart_without_contrast_are_not_a_dispute() -> None:
    a = claim(
        "a", 0, 12, 12, claimant="the mayor", sentence="The mayor said 12 people were killed."
    )
    b = claim(
        "a", 1, 30, 30, claimant="the ministry",
        sentence="The ministry said 30 people were killed nationwide.", start=900,
    )  # fmt: skip
    assert FigureDisputeDetector().check(snap(a, b)) == []


# -- inconsistency -------------------------------------------------------------------------------
DRONES = {"thing": "drones", "thing_key": "drone"}


def test_parts_exceeding_their_whole_are_flagged_once_per_story() -> None:
    def article(aid: str) -> list[Claim]:
        whole = claim(
            aid,
            0,
            70,
            70,
            action="launched",
            claimant="the air force",
            sentence="Russia launched 70 drones overnight, the air force said.",
            **DRONES,
        )  # type: ignore[arg-type]
        breakdown = "Of those, 48 were shot down, while another 25 were jammed."
        parts = [
            claim(
                aid,
                1,
                48,
                48,
                action="intercepted",
                sentence=breakdown,
                start=60,
                role="part",
                part_of=0,
                **DRONES,
            ),  # type: ignore[arg-type]
            claim(
                aid,
                2,
                25,
                25,
                action="jammed",
                sentence=breakdown,
                start=85,
                role="increment",
                part_of=0,
                **DRONES,
            ),  # type: ignore[arg-type]
        ]
        return [whole, *parts]

    found = FigureInconsistencyDetector().check(snap(*article("a"), *article("b")))
    assert len(found) == 1
    alert = found[0].alert
    assert alert.kind == "figures.inconsistent"
    assert '= 73 of "70"' in alert.summary
    assert [c.value_text for c in alert.claims] == ["70", "48", "25"]


def test_breakdowns_that_fit_and_unrelated_figures_are_not_flagged() -> None:
    sentence = "The army destroyed 35 drones, including 20 over the border and 11 over the coast."
    fits = [
        claim("a", 0, 35, 35, action="intercepted", sentence=sentence, **DRONES),  # type: ignore[arg-type]
        claim(
            "a",
            1,
            20,
            20,
            action="intercepted",
            sentence=sentence,
            start=40,
            role="part",
            part_of=0,
            **DRONES,
        ),  # type: ignore[arg-type]
        claim(
            "a",
            2,
            11,
            11,
            action="intercepted",
            sentence=sentence,
            start=60,
            role="part",
            part_of=0,
            **DRONES,
        ),  # type: ignore[arg-type]
    ]
    assert FigureInconsistencyDetector().check(snap(*fits)) == []
    unrelated = [
        claim(
            "b",
            0,
            10,
            10,
            action="launched",
            sentence="Ten drones were launched at the port.",
            **DRONES,
        ),  # type: ignore[arg-type]
        claim(
            "b",
            1,
            40,
            40,
            action="intercepted",
            sentence="Air defences downed 40 drones last week.",
            start=200,
            **DRONES,
        ),  # type: ignore[arg-type]
    ]
    assert FigureInconsistencyDetector().check(snap(*unrelated)) == []


# -- only totals are compared ----------------------------------------------------------------
def test_only_totals_are_compared() -> None:
    """Extraction decides a figure's role (tests/unit/test_roles.py); detectors only read it."""
    four = claim("a", 0, 4, 4, text="four", sentence="The rampage left four people dead.")
    for role in ("part", "subgroup", "increment", "background", "hypothetical"):
        other = claim("b", 0, 2, 2, text="two", role=role)
        story = snap(four, other)
        assert FigureConflictDetector().check(story) == [], role
        assert FigureUpdateDetector().check(story) == [], role
    # A plain total that disagrees is still a conflict.
    three = claim("b", 0, 3, 3, text="three", sentence="Police said three people were killed.")
    assert len(FigureConflictDetector().check(snap(four, three))) == 1


def test_a_stated_perpetrator_reconciles_a_toll() -> None:
    """ "Four dead, including the gunman" and "three killed" are one toll."""
    with_gunman = claim("a", 0, 4, 4, text="Four")
    with_gunman = Claim(
        with_gunman.claim_id, "a", "a.example", T0,
        with_gunman.count.model_copy(update={"perpetrator": "included"}),
    )  # fmt: skip
    victims = claim("b", 0, 3, 3, text="three", hours=1)
    assert FigureConflictDetector().check(snap(with_gunman, victims)) == []
    # Without the article saying so, the same numbers disagree.
    assert len(FigureConflictDetector().check(snap(claim("a", 0, 4, 4), victims))) == 1


def test_an_article_giving_several_values_is_read_by_its_headline() -> None:
    """The title's toll stands for the article; a body value differing from it is a narrower
    or older figure, not a second position."""
    title = claim("a", 0, 5, 5, text="5")
    title = Claim(title.claim_id, "a", "a.example", T0,
                  title.count.model_copy(update={"section": "title"}))  # fmt: skip
    body = claim("a", 1, 2, 2, text="two", start=80)
    other = claim("b", 0, 5, 5, text="five", hours=1)
    assert FigureConflictDetector().check(snap(title, body, other)) == []


def _member(aid: str, event: str, days: tuple[str, ...] = ()) -> Member:
    return Member(
        article_id=aid, source=f"{aid}.example", published_at=T0, title=aid,
        event_date=date.fromisoformat(event), days=frozenset(date.fromisoformat(d) for d in days),
    )  # fmt: skip


def test_tolls_of_events_days_apart_are_not_one_figure() -> None:
    """A story can hold several days' strikes: their tolls are not one figure, unless one
    article names the other's day (a follow-up); arrests keep growing after the event."""
    a = claim("a", 0, 5, 5)
    b = claim("b", 0, 9, 9, hours=200)
    apart = StorySnapshot("st-1", (_member("a", "2026-05-01"), _member("b", "2026-05-09")), (a, b))
    assert FigureConflictDetector().check(apart) == []
    assert FigureUpdateDetector().check(apart) == []
    follow_up = StorySnapshot(
        "st-1",
        (_member("a", "2026-05-01"), _member("b", "2026-05-09", days=("2026-05-01",))),
        (a, b),
    )
    assert len(FigureUpdateDetector().check(follow_up)) == 1
    arrests = (claim("a", 0, 0, 0, action="arrested"), claim("b", 0, 2, 2, action="arrested",
                                                             hours=200))  # fmt: skip
    later = StorySnapshot("st-1", apart.members, arrests)
    assert len(FigureUpdateDetector().check(later)) == 1
