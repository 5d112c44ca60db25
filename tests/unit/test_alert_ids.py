"""Alert ids and evidence keys: the same evidence gives the same id in any story (so a merge
does not rename an alert), unrelated stories with equal values get different ids, and an outlet
repeating a value keeps the evidence key (so nothing is sent again)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from detectors.conflicts import FigureConflictDetector, FigureUpdateDetector
from detectors.disputes import FigureDisputeDetector
from detectors.emerging import EmergingStoryDetector
from detectors.inconsistency import FigureInconsistencyDetector
from detectors.story import Claim, Finding, Member, StorySnapshot
from topics import Count

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def claim(aid: str, low: float, high: float, *, hours: float = 0, **kw: object) -> Claim:
    fields: dict[str, object] = {
        "text": f"{low:g}", "low": low, "high": high, "qualifier": "exact", "thing": "people",
        "thing_key": "person", "action": "killed", "sentence": f"{low:g} people were killed.",
        "start": 0, "role": "total",
    }  # fmt: skip
    fields.update(kw)
    count = Count.model_validate(fields)
    return Claim(f"{aid}#0", aid, f"{aid}.example", T0 + timedelta(hours=hours), count)


def member(aid: str, minutes: int) -> Member:
    return Member(aid, f"{aid}.example", T0 + timedelta(minutes=minutes), f"title {aid}")


def conflict(story_id: str, *claims: Claim) -> Finding:
    # Drones shot down do not grow as news comes in: different values conflict.
    drones = {"action": "intercepted", "thing": "drones", "thing_key": "drone"}
    claims = tuple(
        Claim(c.claim_id, c.article_id, c.source, c.published_at,
              c.count.model_copy(update=drones))
        for c in claims
    )  # fmt: skip
    (finding,) = FigureConflictDetector().check(StorySnapshot(story_id, (), claims))
    return finding


def test_a_conflicts_id_does_not_depend_on_the_story_that_holds_it() -> None:
    claims = (claim("a", 2, 2), claim("b", 5, 5, hours=1))
    here, there = conflict("st-absorbed", *claims), conflict("st-survivor", *claims)
    assert here.alert.id == there.alert.id
    assert here.key == there.key
    assert here.alert.story_id != there.alert.story_id


def test_equal_values_in_unrelated_stories_get_different_ids() -> None:
    # Two drone raids on different nights, each with "2 shot down" against "5 shot down": two
    # alerts a consumer deduplicating on id must both see.
    one = conflict("st-1", claim("a", 2, 2), claim("b", 5, 5))
    other = conflict("st-2", claim("x", 2, 2), claim("y", 5, 5))
    assert one.alert.id != other.alert.id
    assert one.key == other.key  # the same evidence, which each story sends once


def test_a_late_repeat_of_a_value_keeps_the_evidence_key() -> None:
    first = conflict("st-1", claim("a", 2, 2, hours=2), claim("b", 5, 5, hours=3))
    # Another outlet says 2 too, published earlier but processed later.
    repeat = conflict(
        "st-1", claim("a", 2, 2, hours=2), claim("b", 5, 5, hours=3), claim("c", 2, 2, hours=1)
    )
    assert repeat.key == first.key
    # A new value is new evidence.
    new = conflict("st-1", claim("a", 2, 2), claim("b", 5, 5), claim("d", 9, 9))
    assert new.key != first.key


def test_updates_disputes_and_inconsistencies_are_story_independent() -> None:
    rise = (claim("a", 4, 4), claim("b", 9, 9, hours=3))
    (u1,) = FigureUpdateDetector().check(StorySnapshot("st-1", (), rise))
    (u2,) = FigureUpdateDetector().check(StorySnapshot("st-2", (), rise))
    assert (u1.alert.id, u1.key) == (u2.alert.id, u2.key)

    said = "Police said 3 people were killed, while the family said 7 people were killed."
    dispute = (
        claim("a", 3, 3, claimant="police", sentence=said, text="3", start=12),
        claim("a", 7, 7, claimant="the family", sentence=said, text="7", start=58),
    )
    dispute = (dispute[0], Claim("a#1", "a", "a.example", T0, dispute[1].count))
    d1 = FigureDisputeDetector().check(StorySnapshot("st-1", (), dispute))
    d2 = FigureDisputeDetector().check(StorySnapshot("st-2", (), dispute))
    assert d1 and [(f.alert.id, f.key) for f in d1] == [(f.alert.id, f.key) for f in d2]

    breakdown = "Of those, 48 were shot down, while another 25 were jammed."
    drones = {"thing": "drones", "thing_key": "drone"}
    parts = (
        claim("a", 70, 70, action="launched", claimant="the air force", text="70", start=0,
              sentence="Russia launched 70 drones overnight, the air force said.", **drones),
        claim("a", 48, 48, action="intercepted", sentence=breakdown, text="48", start=60,
              role="part", part_of=0, **drones),
        claim("a", 25, 25, action="jammed", sentence=breakdown, text="25", start=85,
              role="increment", part_of=0, **drones),
    )  # fmt: skip
    parts = tuple(Claim(f"a#{i}", "a", "a.example", T0, c.count) for i, c in enumerate(parts))
    i1 = FigureInconsistencyDetector().check(StorySnapshot("st-1", (), parts))
    i2 = FigureInconsistencyDetector().check(StorySnapshot("st-2", (), parts))
    assert i1 and [(f.alert.id, f.key) for f in i1] == [(f.alert.id, f.key) for f in i2]


def test_a_story_emerges_once_whichever_story_id_it_ends_under() -> None:
    members = (member("a", 0), member("b", 30), member("c", 60))
    (e1,) = EmergingStoryDetector().check_all(StorySnapshot("st-1", members, ()))
    (e2,) = EmergingStoryDetector().check_all(StorySnapshot("st-2", members, ()))
    assert e1.alert.id == e2.alert.id and e1.key == e2.key
    # Any story's emergence has the same evidence key: each story emerges once, and a merge
    # carries the key over, so the survivor of two emerged stories does not emerge again.
    other = (member("x", 0), member("y", 30), member("z", 60))
    (e3,) = EmergingStoryDetector().check_all(StorySnapshot("st-3", other, ()))
    assert e3.key == e1.key and e3.alert.id != e1.alert.id
