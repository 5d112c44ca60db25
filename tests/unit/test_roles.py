"""What a number means: each not-a-count reason and each named role rule, one row per class,
in our own words; plus the role scorer's table and the links a breakdown carries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config.settings import CONFIG_DIR
from config.tables import load_tables
from detectors.figures import NOT_A_COUNT, Mention
from detectors.lexicon import Lexicon
from detectors.roles import CLASSES, CUE_RULES, NO_MODEL, RULES, RoleModel
from detectors.signature import SignatureExtractor
from topics import Article, Count

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def extractor() -> SignatureExtractor:
    return SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG_DIR)))


def _article(text: str, title: str = "Local news") -> Article:
    return Article(id="a1", source="desk.example", published_at=T0, title=title, text=text)


def _trace(extractor: SignatureExtractor, text: str, title: str = "Local news") -> list[Mention]:
    trace: list[Mention] = []
    extractor.extract(_article(text, title), trace=trace)
    return [m for m in trace if m.start >= 0]


def _counts(extractor: SignatureExtractor, text: str, title: str = "Local news") -> list[Count]:
    return extractor.extract(_article(text, title)).counts


# (reason, sentence, the number as written): the number is refused with that reason.
NOT_COUNTS = [
    ("money", "Bail was set at $25,000 for the driver.", "25,000"),
    ("percentage", "Turnout fell to 41 % in the district.", "41"),
    ("clock_time", "Police were called at 11 pm to the bar.", "11"),
    ("clock_time", "The victim was pronounced dead at 6 on Monday.", "6"),
    ("citation", "Dozens were hurt in the blast [31] near the depot.", "31"),
    ("model_name", "The suspect shot a police K-9 during the chase.", "9"),
    ("model_name", "He fired an AR-15 from the balcony.", "15"),
    ("glued_to_word", "Two men were hurt on the 5th floor.", "5"),
    ("year", "The plant has been closed since 1998 after a fire.", "1998"),
    ("id_or_code", "The case number is 0451 in the county file.", "0451"),
    ("date", "She died on Aug. 19 at a hospital in Reno.", "19"),
    ("date", "The rally is set for 12 September in the square.", "12"),
    ("age", "A 17-year-old was arrested after the robbery.", "17"),
    ("age", "Two cousins, both 23, were found dead in the car.", "23"),
    ("age", "Lena Ortiz, 34, was taken to hospital.", "34"),
    ("age", "An 8 yo girl was hurt by the stray round.", "8"),
    ("age", "Victims aged 19 and 44 were treated at the scene.", "19"),
    ("tenure", "A 14-year veteran of the force died on duty.", "14"),
    ("address", "Shots were fired in the 3100 block of Pine Street.", "3100"),
    ("kinship", "A mother of four was shot and killed on Sunday.", "four"),
    ("digit_code", "Tips can be phoned in on 555-204-7788 at any time.", "555"),
    ("emergency_number", "A neighbour dialled 911 after hearing shots.", "911"),
    ("station", "Viewers told Channel 8 News about the fire.", "8"),
    ("gallery", "Image 4 of 15 A man was shot on the corner.", "15"),
    ("label", "The crash closed Route 30 near the bridge.", "30"),
    ("size", "The blast shook a village of about 2,300 people.", "2,300"),
    ("legal_count", "He faces three counts of attempted murder.", "three"),
    ("page_furniture", "The story drew 214 comments by noon.", "214"),
    ("unit_or_duration", "The fire burned 40 acres before rain came.", "40"),
    ("pronoun_one", "One of the neighbours said she heard a scream.", "One"),
    ("street_number", "The office at 10 Harbour Street was evacuated.", "10"),
]


@pytest.mark.parametrize(("reason", "sentence", "surface"), NOT_COUNTS)
def test_each_not_a_count_reason_refuses_its_class(
    extractor: SignatureExtractor, reason: str, sentence: str, surface: str
) -> None:
    mentions = [m for m in _trace(extractor, sentence) if m.surface == surface]
    assert mentions, f"{surface!r} was not looked at"
    assert mentions[0].decision == "not_count"
    assert mentions[0].decided_by == f"rule:{reason}"


def test_every_not_a_count_reason_has_a_row() -> None:
    tested = {reason for reason, _, _ in NOT_COUNTS}
    # "score" and "phone" are refused inside range parsing, tested in test_figures.
    named = {reason for reason, _ in NOT_A_COUNT}
    assert named - tested == {"phone"} or named - tested == set()


# (rule, sentence, the number, expected role)
ROLE_RULES = [
    ("intent", "Prosecutors say he hoped to kill hundreds at the stadium.", "hundreds",
     "hypothetical"),
    ("intent", "He is accused of trying to kill 3 deputies at the roadblock.", "3",
     "hypothetical"),
    ("including", "Eleven people were hurt, including 4 children, officials said.", "4", "part"),
    ("of_those", "Russia fired 40 drones overnight. Of those, 31 were shot down.", "31", "part"),
    ("area_tally", "The killing raised the city's homicide total to 87 for the year.", "87",
     "background"),
    ("area_tally", "At least 19 people were shot in the city since Friday evening.",
     "At least 19", "background"),
    ("elsewhere", "It came a year after six people were shot at another apartment block.",
     "six", "background"),
    ("roundup_period", "Officers said 9 people were killed in shootings across the county "
     "so far this year.", "9", "background"),
    ("several_incidents", "Two dead, 8 wounded in separate shootings on the east side.", "8",
     "background"),
    ("earlier_year", "The 2009 attack on the base killed 13 soldiers.", "13", "background"),
    ("day_span", "He was one of 11 people shot from Tuesday afternoon to early Wednesday.",
     "11", "background"),
    ("one_of_several_groups", "Two women were shot in the arm while another woman was shot in "
     "the leg.", "Two", "subgroup"),
    ("identified", "Police released the identities of three victims on Friday.", "three",
     "subgroup"),
    ("charged", "He is accused of killing two men outside a bar.", "two", "subgroup"),
    ("risen_to", "By evening the death toll had risen to 14, officials said.", "14", "total"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "sentence", "surface", "role"), ROLE_RULES)
def test_each_named_role_rule_decides_its_class(
    extractor: SignatureExtractor, rule: str, sentence: str, surface: str, role: str
) -> None:
    counts = [c for c in _counts(extractor, sentence) if c.text == surface]
    assert counts, f"{surface!r} not counted"
    assert counts[0].role == role
    assert counts[0].decided_by == f"rule:{rule}"


def test_every_deciding_rule_has_a_row() -> None:
    assert {name for name, _, _ in RULES} == {rule for rule, _, _, _ in ROLE_RULES}
    assert {name for name, _, _ in CUE_RULES} >= {"roundup", "period", "more", "of_them"}


def test_a_tally_keeps_its_period(extractor: SignatureExtractor) -> None:
    sentence = "More than 250,000 people have been killed since the conflict began in 2011."
    (count,) = [c for c in _counts(extractor, sentence) if c.low == 250_001]
    assert count.role != "total"
    assert count.period is not None and count.period.startswith("since the conflict")


def test_a_headline_is_read_for_figures(extractor: SignatureExtractor) -> None:
    counts = _counts(extractor, "Police gave no details.", title="3 dead, 2 hurt in shooting")
    assert [(c.text, c.action, c.section) for c in counts] == [
        ("3", "killed", "title"),
        ("2", "injured", "title"),
    ]


def test_one_named_victim_is_at_least_one(extractor: SignatureExtractor) -> None:
    (count,) = _counts(extractor, "A man was shot and killed outside a bar on Friday.")
    assert (count.role, count.low, count.high, count.qualifier) == (
        "total",
        1.0,
        None,
        "lower_bound",
    )


def test_a_second_victim_makes_singles_subgroups(extractor: SignatureExtractor) -> None:
    counts = _counts(
        extractor, "A man was killed on Elm Road. Another man was killed a block away."
    )
    assert [c.role for c in counts] == ["subgroup", "subgroup"]


def test_a_double_homicide_is_two_killed(extractor: SignatureExtractor) -> None:
    (count,) = _counts(extractor, "Detectives are investigating a double homicide in Fresno.")
    assert (count.low, count.action) == (2.0, "killed")


def test_a_reference_back_counts_what_came_before(extractor: SignatureExtractor) -> None:
    text = (
        "Russian drones struck Lviv overnight, officials said. "
        "Air defences thwarted dozens of these attacks before dawn."
    )
    (count,) = [c for c in _counts(extractor, text) if c.text == "dozens"]
    assert (count.thing_key, count.action, count.role) == ("drone", "intercepted", "total")
    assert count.place is not None  # Lviv, from the sentence it refers back to


def test_a_breakdown_is_linked_to_its_whole(extractor: SignatureExtractor) -> None:
    text = (
        "Russia launched 60 drones overnight. Of those, 41 were shot down and another 25 were "
        "lost to jamming."
    )
    counts = _counts(extractor, text)
    by_text = {c.text: (i, c) for i, c in enumerate(counts)}
    whole_index, whole = by_text["60"]
    assert whole.role == "total" and whole.part_of is None
    assert by_text["41"][1].part_of == whole_index
    assert by_text["25"][1].part_of == whole_index


def test_a_share_of_a_part_is_not_summed_with_the_whole(extractor: SignatureExtractor) -> None:
    text = "Militants killed five civilians in the two villages. They killed three civilians "
    text += "in the town, two of them elderly men."
    counts = _counts(extractor, text)
    assert all(c.part_of is None for c in counts if c.text == "two")


def test_perpetrator_in_or_out_is_recorded(extractor: SignatureExtractor) -> None:
    inside = _counts(extractor, "Four people died, including the gunman, police said.")
    outside = _counts(extractor, "Three people were killed besides the gunman, police said.")
    assert [c.perpetrator for c in inside if c.text == "Four"] == ["included"]
    assert [c.perpetrator for c in outside if c.text == "Three"] == ["excluded"]


def test_the_shipped_scorer_table_loads_and_is_a_distribution(
    extractor: SignatureExtractor,
) -> None:
    model = extractor._figures._model
    assert model is not NO_MODEL
    assert set(model.intercepts) == set(CLASSES)
    probabilities = model.probabilities({"section=title": 1.0, "action=killed": 1.0})
    assert abs(sum(probabilities.values()) - 1.0) < 1e-9
    assert 0.0 < model.total_threshold < 1.0


def test_a_model_table_with_an_unknown_class_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown classes"):
        RoleModel.from_table({"intercepts": {"totl": 1.0}})


def test_no_model_keeps_every_undecided_figure_a_total() -> None:
    decision, _ = NO_MODEL.predict({"anything": 1.0})
    assert decision == "total"


# Groups narrower than the event's count, in one sentence each: none is read as the total.
NOT_TOTALS = [
    ("Two women were shot in the hand while another woman was shot in the leg.", "Two"),
    ("Police found two women shot, and a second woman hurt.", "two"),
    ("Two students were hospitalized along with the injured student.", "Two"),
    ("He was one of 11 people shot from Tuesday afternoon to early Wednesday.", "11"),
    ("80 people were killed in the city in November alone.", "80"),
    ("9 people were killed in shootings across the county.", "9"),
    ("One man died, two people are in critical condition and five others were hurt.", "two"),
    ("He killed two more people in carjackings.", "two"),
    ("The dead included two children.", "two"),
    ("In a separate shooting, two people were killed.", "two"),
    ("A shooting at the club killed two in 2013.", "two"),
    ("Four people were shot, two critically, in the park.", "two"),
]


@pytest.mark.parametrize(("sentence", "surface"), NOT_TOTALS)
def test_narrower_groups_tallies_and_asides_are_not_totals(
    extractor: SignatureExtractor, sentence: str, surface: str
) -> None:
    counts = [c for c in _counts(extractor, sentence) if c.text == surface]
    assert counts and all(c.role != "total" for c in counts), [
        (c.text, c.role) for c in _counts(extractor, sentence)
    ]


def test_an_ordinal_is_the_running_count(extractor: SignatureExtractor) -> None:
    counts = _counts(
        extractor, "Police gave no details.", title="Sixth Suspect Arrested in Mall Shooting"
    )
    assert [(c.low, c.high, c.action, c.decided_by) for c in counts] == [
        (6.0, None, "arrested", "rule:ordinal")
    ]


def test_a_headline_drops_its_article(extractor: SignatureExtractor) -> None:
    counts = _counts(extractor, "Police gave no details.", title="Teen Killed in Crash on Route 9")
    assert [(c.low, c.high, c.action) for c in counts] == [(1.0, None, "killed")]
    # In the body an active verb after the noun is what the person did, not what befell them.
    assert [c.action for c in _counts(extractor, "A man killed his wife on Friday.")] == ["killed"]
    (wife,) = _counts(extractor, "A man killed his wife on Friday.")
    assert wife.text == "his wife"
