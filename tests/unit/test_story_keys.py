"""Distinctive keys, near-duplicate bands, chrome by shape and the long-memory rule."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from detectors.emerging import EmergingStoryDetector
from detectors.furniture import drop_chrome
from detectors.keys import addresses, event_keys, venues
from detectors.memory import LongMemory, Recall, card
from detectors.neardup import BANDS, band_overlap, text_bands
from detectors.story import Member, StoryProfile, StorySnapshot
from topics.signatures import Actor

T0 = datetime(2019, 5, 4, 9, tzinfo=UTC)

REPORT = (
    "Two men were wounded late Friday when someone opened fire outside a corner market on "
    "Larkspur Avenue, police said. Officers found the first man in the 2700 block of Larkspur "
    "Avenue and the second a few doors away; both were taken to Mercy General with injuries "
    "that were not thought to be life-threatening. Investigators were still looking for a dark "
    "sedan seen leaving the area and asked anyone with video from the street to call them."
)


def test_numbered_addresses_agree_by_block_and_keep_their_street() -> None:
    first = addresses("Officers went to the 2700 block of Larkspur Avenue after midnight.")
    later = addresses("He lived at 2745 Larkspur Ave. with his aunt.")
    assert "addr:2700-larkspur-ave" in first and "addr:2700-larkspur-ave" in later
    assert "street:larkspur-ave" in first and "street:larkspur-ave" in later
    assert addresses("The crash closed North Fifth Street for an hour.") == ["street:n-fifth-st"]
    assert addresses("Nothing here names a road at all.") == []


def test_venues_are_named_businesses_not_public_bodies() -> None:
    found = venues("The fight began in the Copper Kettle Tavern and spilled out of Club Nova.")
    assert found == ["venue:copper-kettle-tavern", "venue:nova-club"]
    assert venues("He was taken to the County Jail store room.") == []


def test_event_keys_leave_out_officials_and_public_bodies() -> None:
    actors = [
        Actor(id="person:dana-okafor", name="Dana Okafor", kind="person"),
        Actor(id="person:lee-marsh", name="Lee Marsh", kind="person"),
        Actor(id="person:ana-maria-reyes", name="Ana Maria Reyes", kind="person"),
        Actor(id="org:riverside-police-department", name="x", kind="organisation"),
        Actor(id="org:harbor-freight", name="Harbor Freight", kind="organisation"),
    ]
    private = frozenset({"person:dana-okafor", "person:ana-maria-reyes"})  # Lee Marsh: a sergeant
    keys = event_keys(actors, private, "at 410 Elm Street")
    assert "person:dana-okafor" in keys and "person:ana-reyes" in keys
    assert "person:lee-marsh" not in keys
    assert "org:harbor-freight" in keys and "org:riverside-police-department" not in keys
    assert "addr:400-elm-st" in keys


def test_a_syndicated_copy_shares_bands_and_another_story_does_not() -> None:
    copy = REPORT.replace("police said", "police told reporters") + " Comments are closed."
    other = (
        "The county board voted on Tuesday to repave six miles of rural road next summer, "
        "paying for the work with a state grant and money left over from last year's budget. "
        "Board members said the roads had not been resurfaced in two decades and that school "
        "buses had been rerouted twice this spring because of potholes near the river."
    )
    mine, theirs, unrelated = (frozenset(text_bands(t)) for t in (REPORT, copy, other))
    assert len(mine) == BANDS
    assert band_overlap(mine, theirs) >= 0.5
    assert band_overlap(mine, unrelated) == 0.0
    assert text_bands("Too short to compare.") == []
    assert text_bands(REPORT) == text_bands(REPORT)  # stable across calls and workers


def test_chrome_goes_by_shape_and_the_story_stays() -> None:
    page = "\n".join(
        [
            "RIVERSIDE -",
            "May 3, 2019",
            REPORT,
            "Close",
            "Image 2 of 9",
            "Tap here to get breaking news alerts on your phone.",
            "Council approves new budget",
            "Bridge repairs start Monday",
            "High school wins state title",
            "The men's names were not released.",
        ]
    )
    text, removed = drop_chrome(page)
    assert text.split("\n") == [
        "RIVERSIDE -", "May 3, 2019", REPORT, "The men's names were not released."
    ]  # fmt: skip
    assert removed > 0


def member(aid: str, days: float, keys: set[str], **kw: object) -> Member:
    return Member(
        aid, f"{aid}.example", T0 + timedelta(days=days), f"title {aid}",
        keys=frozenset(keys), **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_follow_up_joins_when_two_distinctive_keys_agree() -> None:
    memory = LongMemory()
    shooting = member(
        "a", 0, {"person:dana-okafor", "addr:2700-larkspur-ave", "street:larkspur-ave"}
    )
    story = StoryProfile("st-1", (card(shooting),))
    df = {"person:dana-okafor": 1, "addr:2700-larkspur-ave": 1, "street:larkspur-ave": 1}
    charged = member("b", 30, {"person:dana-okafor", "street:larkspur-ave", "person:tom-ruiz"})
    recall = Recall(stories=[story], listed={}, df=df)
    assert memory.follow_up(charged, recall) == ("st-1", 2)
    # An address and its own street are one piece of evidence, not two.
    street_only = member("c", 30, {"addr:2700-larkspur-ave", "street:larkspur-ave"})
    assert memory.follow_up(street_only, recall)[0] is None
    # A key many remembered stories carry (a spokesman quoted in all of them) identifies none.
    crowded = Recall(stories=[story], df={**df, "person:dana-okafor": 9})
    assert memory.follow_up(charged, crowded)[0] is None


def test_a_follow_up_in_another_stated_state_is_vetoed() -> None:
    there = member("a", 0, {"person:dana-okafor", "person:tom-ruiz"},
                   stated_regions=frozenset({"admin1:US-OH"}))  # fmt: skip
    elsewhere = member("b", 20, {"person:dana-okafor", "person:tom-ruiz"},
                       stated_regions=frozenset({"admin1:US-TX"}))  # fmt: skip
    recall = Recall(
        stories=[StoryProfile("st-1", (there,))],
        df={"person:dana-okafor": 1, "person:tom-ruiz": 1},
    )
    assert LongMemory().follow_up(elsewhere, recall)[0] is None
    assert LongMemory().follow_up(replace(elsewhere, stated_regions=frozenset()), recall)[0] == (
        "st-1"
    )


def test_a_card_keeps_identity_and_keys_not_words() -> None:
    full = member("a", 0, {"person:dana-okafor"}, terms=frozenset({"shooting"}),
                  bands=frozenset({"0:ab"}), event_date=date(2019, 5, 3))  # fmt: skip
    kept = card(full)
    assert kept.keys == full.keys and kept.event_date == full.event_date
    assert not kept.terms and not kept.bands
    assert Member.from_json(kept.to_json()) == kept


def test_stub_pages_never_count_as_sources_for_emerging() -> None:
    detector = EmergingStoryDetector(min_sources=3)
    real = [member(f"r{i}", i / 24, set()) for i in range(2)]
    stubs = [replace(member(f"s{i}", 0.1 + i / 24, set()), thin=True) for i in range(3)]
    assert detector.check_all(StorySnapshot("st-1", tuple(real + stubs), ())) == []
    third = member("r3", 0.2, set())
    assert detector.check_all(StorySnapshot("st-1", (*real, *stubs, third), ()))


def test_a_page_with_no_event_content_is_thin_and_a_report_is_not() -> None:
    from pathlib import Path

    from config.tables import load_tables
    from detectors.lexicon import Lexicon
    from detectors.signature import SignatureExtractor
    from topics.articles import Article

    extractor = SignatureExtractor(
        Lexicon.from_tables(load_tables(Path(__file__).resolve().parents[2] / "config"))
    )

    def page(text: str) -> Article:
        return Article(id="p", source="herald.example", published_at=T0, title="A title",
                       text=text)  # fmt: skip

    confirm = (
        "Almost done! We have emailed you a link to confirm your account. Please open the "
        "message and follow the link to finish setting up your profile. If nothing arrives "
        "within a few minutes, look in your junk folder or ask us to send it again."
    )
    stub = extractor.extract(page(confirm))
    assert stub.thin and stub.keys == [] and stub.text_bands == []
    assert extractor.extract(page("Watch the video.")).thin
    # Short is not thin when it says where and when: a terse brief is news.
    assert not extractor.extract(page("Two men were shot in Dayton on Friday, police said.")).thin
    assert extractor.extract(page("Police investigate a shooting in Dayton.")).thin
    report = extractor.extract(page(REPORT.replace("late Friday", "late Friday in Dayton")))
    assert not report.thin and report.text_bands
