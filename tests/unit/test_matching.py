"""Matching scores, place compatibility, merge alerts and escalation on hand-made members."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from config.settings import CONFIG_DIR, Settings
from config.tables import TableError, load_tables
from detectors.emerging import EmergingStoryDetector
from detectors.matching import FEATURES, MatchWeights, StoryMatcher, TermStats, merged_finding
from detectors.story import Member, StoryProfile, StorySnapshot
from workers.app import build_matcher

T0 = datetime(2016, 7, 8, tzinfo=UTC)


def shooting(aid: str, source: str = "a.example", hours: float = 0, **kw: object) -> Member:
    fields: dict[str, object] = {
        "actors": frozenset({"org:police", "person:jane-doe"}),
        "places": frozenset({"geonames:springfield-il", "admin1:US-IL"}),
        "regions": frozenset({"admin1:US-IL"}),
        "stated_regions": frozenset({"admin1:US-IL"}),
        "place_names": frozenset({"springfield"}),
        "terms": frozenset({"shooting", "killed", "wounded", "party"}),
        "event_date": date(2016, 7, 8),
    }
    fields.update(kw)
    return Member(aid, source, T0 + timedelta(hours=hours), f"title {aid}", **fields)  # type: ignore[arg-type]


def test_a_city_of_the_same_name_in_another_state_is_another_story() -> None:
    story = StoryProfile("st-1", (shooting("a"),))
    missouri = shooting(
        "b",
        places=frozenset({"geonames:springfield-mo", "admin1:US-MO"}),
        regions=frozenset({"admin1:US-MO"}),
        stated_regions=frozenset({"admin1:US-MO"}),
        place_names=frozenset({"springfield"}),
    )
    assert StoryMatcher().score(missouri, story) == 0.0
    assert StoryMatcher().score(shooting("c"), story) > 0.9


def test_a_town_resolved_without_state_evidence_never_vetoes() -> None:
    # "Springfield" alone, taken for the most populous one (Missouri): the state is inferred,
    # not stated, so it cannot split the story; the model still weighs the rest.
    story = StoryProfile("st-1", (shooting("a"),))
    guessed = shooting(
        "b",
        places=frozenset({"geonames:springfield-mo"}),
        regions=frozenset({"admin1:US-MO"}),
        stated_regions=frozenset(),
        place_names=frozenset({"springfield"}),
    )
    assert StoryMatcher().score(guessed, story) > 0.5


def test_rare_shared_tokens_weigh_more_than_common_ones() -> None:
    story = StoryProfile("st-1", (shooting("a"),))
    df = {token: 900 for token in shooting("a").tokens}
    stats = TermStats(stories=1000, df={**df, "a:person:jane-doe": 1})
    common = shooting(
        "b", actors=frozenset({"org:police"}), places=frozenset(), regions=frozenset()
    )
    rare = shooting("c", actors=frozenset({"person:jane-doe"}), places=frozenset(),
                    regions=frozenset(), terms=frozenset({"shooting"}))  # fmt: skip
    assert stats.weight("a:person:jane-doe") > stats.weight("t:shooting")
    matcher = StoryMatcher()
    assert matcher.score(rare, story, stats) > matcher.score(common, story, stats)


def test_event_dates_far_apart_lower_the_score() -> None:
    story = StoryProfile("st-1", (shooting("a"),))
    matcher = StoryMatcher(window=timedelta(days=30))
    later = shooting("b", hours=24 * 9, event_date=date(2016, 7, 17))
    assert matcher.score(later, story) < matcher.score(shooting("c", hours=1), story)


def test_merge_candidates_and_merged_alert_are_stable() -> None:
    matcher = StoryMatcher(merge_threshold=0.6)
    ranked = [("st-1", 0.9), ("st-2", 0.7), ("st-3", 0.4)]
    assert matcher.also_same(ranked, "st-1") == ["st-2"]
    first = merged_finding("st-1", "st-2", [shooting("b")], T0)
    again = merged_finding("st-1", "st-2", [shooting("b")], T0)
    assert first.alert.id == again.alert.id
    assert first.alert.kind == "story.merged"
    assert first.alert.related_story_ids == ["st-2"]
    assert merged_finding("st-1", "st-3", [], T0).alert.id != first.alert.id


def test_escalating_fires_once_when_velocity_jumps_and_not_after_a_quiet_spell() -> None:
    detector = EmergingStoryDetector(
        min_sources=3, window=timedelta(hours=12), escalation_factor=2.0, escalation_min_extra=3
    )
    first = [shooting(f"a{i}", f"s{i}.example", hours=i) for i in range(3)]
    snap = StorySnapshot("st-1", tuple(first), ())
    assert [f.alert.kind for f in detector.check_all(snap)] == ["story.emerging"]
    burst = [shooting(f"b{i}", f"t{i}.example", hours=3 + i / 10) for i in range(6)]
    kinds = [f.alert.kind for f in detector.check_all(StorySnapshot("st-1", (*first, *burst), ()))]
    assert kinds == ["story.emerging", "story.escalating"]
    more = [shooting(f"c{i}", f"u{i}.example", hours=4 + i / 10) for i in range(6)]
    found = detector.check_all(StorySnapshot("st-1", (*first, *burst, *more), ()))
    assert len({f.alert.id for f in found if f.alert.kind == "story.escalating"}) == 1

    quiet = [shooting(f"q{i}", f"t{i}.example", hours=48 + i / 10) for i in range(6)]
    kinds = [f.alert.kind for f in detector.check_all(StorySnapshot("st-1", (*first, *quiet), ()))]
    assert kinds == ["story.emerging"]
    assert detector.is_closed(StorySnapshot("st-1", tuple(first), ()), T0 + timedelta(hours=30))


def test_the_shipped_table_names_every_weight_and_is_what_the_worker_uses(
    tmp_path: Path,
) -> None:
    # The table is the single source of the weights: a refit pastes new values there, so this
    # checks that it loads, is complete and reaches the matcher, not that it equals a default.
    shipped = load_tables(CONFIG_DIR)["matching"]["weights"]
    assert set(shipped) == {"bias", *FEATURES}
    assert build_matcher(Settings()).weights == MatchWeights.from_mapping(shipped)
    for table in CONFIG_DIR.glob("*.toml"):
        (tmp_path / table.name).write_text(table.read_text())
    refit = {**shipped, "same_source": float(shipped["same_source"]) - 1.5}
    (tmp_path / "matching.toml").write_text(
        "[weights]\n" + "".join(f"{k} = {float(v)!r}\n" for k, v in refit.items())
    )
    used = build_matcher(Settings(tables_dir=tmp_path))
    assert used.weights == MatchWeights.from_mapping(refit)
    assert used.weights.same_source == pytest.approx(float(shipped["same_source"]) - 1.5)
    with pytest.raises(ValueError, match=r"unknown matching weight.*trems"):
        MatchWeights.from_mapping({"trems": 1.0})


def test_a_weight_changes_the_score_in_its_direction() -> None:
    story = StoryProfile("st-1", (shooting("a"),))
    other_source = shooting("b", source="b.example")
    same_source = shooting("c")
    assert StoryMatcher().score(same_source, story) < StoryMatcher().score(other_source, story)
    kinder = StoryMatcher(weights=replace(MatchWeights(), same_source=0.0))
    assert kinder.score(same_source, story) == pytest.approx(kinder.score(other_source, story))


def test_a_misspelt_weight_stops_the_worker_naming_the_file(tmp_path: Path) -> None:
    for table in CONFIG_DIR.glob("*.toml"):
        (tmp_path / table.name).write_text(table.read_text())
    (tmp_path / "matching.toml").write_text("[weights]\ntrems = 5.0\n")
    with pytest.raises(TableError, match=r"matching\.toml.*unknown matching weight.*trems"):
        build_matcher(Settings(tables_dir=tmp_path))


def test_a_roundup_of_several_incidents_ties_less_to_any_one_of_them() -> None:
    story = StoryProfile("st-1", (shooting("a"),))
    roundup = replace(shooting("b", source="b.example"), roundup=True)
    plain = shooting("c", source="b.example")
    assert StoryMatcher().score(roundup, story) < StoryMatcher().score(plain, story)
