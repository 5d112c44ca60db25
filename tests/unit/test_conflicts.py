"""When two claims are about one figure: claimants, modifiers and ambiguous scopes."""

from datetime import UTC, datetime

from detectors.conflicts import FigureConflictDetector
from detectors.story import Claim, StorySnapshot
from topics import Count

T0 = datetime(2026, 5, 2, 6, 0, tzinfo=UTC)


def claim(
    aid: str,
    index: int,
    low: float | None,
    high: float | None,
    text: str,
    claimant: str | None = None,
    thing: str = "drones",
) -> Claim:
    count = Count(
        text=text, low=low, high=high, qualifier="exact", thing=thing, thing_key="drone",
        action="intercepted", claimant=claimant, sentence=f"{text} {thing} were downed.", start=0,
        role="total",
    )  # fmt: skip
    return Claim(f"{aid}#{index}", aid, f"{aid}.example", T0, count)


def alerts(*claims: Claim) -> list[str]:
    found = FigureConflictDetector().check(StorySnapshot("st-1", (), claims))
    return [sorted(c.value_text for c in f.alert.claims) for f in found]  # type: ignore[misc]


def test_city_and_country_figures_from_different_claimants_do_not_conflict() -> None:
    # One outlet gives the city's figure and the air force's national one; another repeats both.
    assert (
        alerts(
            claim("a", 0, 0, 12, "up to a dozen", "the head of the city administration"),
            claim("a", 1, 61, 61, "61", "the air force"),
            claim("b", 0, 0, 12, "up to a dozen", "the city administration head"),
            claim("b", 1, 61, 61, "61", "the national air force"),
        )
        == []
    )


def test_same_claimant_different_value_conflicts() -> None:
    found = alerts(
        claim("a", 0, 0, 12, "up to a dozen", "the head of the city administration"),
        claim("a", 1, 61, 61, "61", "the air force"),
        claim("b", 0, 24, 99, "dozens", "the city administration"),
        claim("b", 1, 61, 61, "61", "the air force"),
    )
    assert found == [["dozens", "up to a dozen"]]


def test_unattributed_single_figures_are_compared() -> None:
    assert alerts(claim("a", 0, 0, 12, "up to a dozen"), claim("b", 0, 24, 99, "dozens")) == [
        ["dozens", "up to a dozen"]
    ]


def test_an_article_with_several_values_is_only_matched_through_its_claimant() -> None:
    # Article a says 12 (city) and 61 (country) without saying who; b says 61 only.
    assert (
        alerts(
            claim("a", 0, 12, 12, "12"), claim("a", 1, 61, 61, "61"), claim("b", 0, 61, 61, "61")
        )
        == []
    )


def test_differently_modified_things_are_different_figures() -> None:
    assert (
        alerts(
            claim("a", 0, 35, 35, "35", thing="Ukrainian drones"),
            claim("b", 0, 83, 83, "83", thing="Shahed drones"),
        )
        == []
    )
    # An unmodified thing can be either, so it is still compared.
    assert alerts(
        claim("a", 0, 35, 35, "35", thing="Ukrainian drones"), claim("b", 0, 83, 83, "83")
    ) == [["35", "83"]]


def test_the_figure_is_named_with_its_place_and_the_id_stays_stable() -> None:
    from dataclasses import replace

    def placed(aid: str, low: float, high: float, text: str, name: str | None) -> Claim:
        c = claim(aid, 0, low, high, text)
        return replace(
            c, count=c.count.model_copy(update={"place": "geonames:698738"}), place_name=name
        )

    named = FigureConflictDetector().check(
        StorySnapshot(
            "st-1",
            (),
            (
                placed("a", 0, 12, "up to a dozen", "Odesa Oblast"),
                placed("b", 24, 99, "dozens", None),
            ),
        )
    )[0]
    unnamed = FigureConflictDetector().check(
        StorySnapshot(
            "st-1",
            (),
            (placed("a", 0, 12, "up to a dozen", None), placed("b", 24, 99, "dozens", None)),
        )
    )[0]
    assert named.alert.figure == "drone intercepted (Odesa Oblast)"
    assert unnamed.alert.figure == "drone intercepted (geonames:698738)"
    assert named.alert.id == unnamed.alert.id
    # The name survives the trip through Redis.
    assert (
        Claim.from_json(placed("a", 0, 12, "x", "Odesa Oblast").to_json()).place_name
        == "Odesa Oblast"
    )
