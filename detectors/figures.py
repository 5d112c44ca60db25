"""Figure claims: qualified numbers as intervals, what they count, the action, who says so."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from detectors.lexicon import Lexicon
from detectors.roles import (
    NO_MODEL,
    Decision,
    RoleModel,
    Site,
    decide,
    decide_with_confidence,
    period_of,
    revised,
)
from topics.signatures import Count, Perpetrator, Qualifier, Section

Token = tuple[str, int, int]

_DIGITS = re.compile(r"\d{1,3}(?:,\d{3}){1,4}(?:\.\d{1,3})?|\d{1,12}(?:\.\d{1,6})?")
NUMBER_WORDS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES: dict[str, float] = {
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
}
# Vague plurals as intervals: "dozens" is at least two dozen and fewer than a hundred.
VAGUE: dict[str, tuple[float, float]] = {
    "dozens": (24, 99),
    "scores": (40, 99),
    "hundreds": (200, 999),
    "thousands": (2_000, 9_999),
    "millions": (2_000_000, 9_999_999),
    "tens of thousands": (20_000, 99_999),
    "hundreds of thousands": (200_000, 999_999),
    "tens of millions": (20_000_000, 99_999_999),
}
# Qualifier phrases before a number, and how each shapes the interval.
_QUALIFIERS: dict[tuple[str, ...], str] = {
    ("up", "to"): "upper",
    ("as", "many", "as"): "upper",
    ("no", "more", "than"): "upper",
    ("not", "more", "than"): "upper",
    ("at", "most"): "upper",
    ("a", "maximum", "of"): "upper",
    ("as", "much", "as"): "upper",
    ("at", "least"): "lower",
    ("no", "fewer", "than"): "lower",
    ("no", "less", "than"): "lower",
    ("not", "less", "than"): "lower",
    ("a", "minimum", "of"): "lower",
    ("upwards", "of"): "lower",
    ("more", "than"): "more",
    ("over",): "more",
    ("in", "excess", "of"): "more",
    ("above",): "more",
    ("fewer", "than"): "fewer",
    ("less", "than"): "fewer",
    ("under",): "fewer",
    ("below",): "fewer",
    ("about",): "approx",
    ("around",): "approx",
    ("approximately",): "approx",
    ("some",): "approx",
    ("roughly",): "approx",
    ("an", "estimated"): "approx",
    ("estimated",): "approx",
    ("approx",): "approx",
    ("circa",): "approx",
    ("an", "approximate"): "approx",
    ("round", "about"): "approx",
    ("nearly",): "nearly",
    ("almost",): "nearly",
    ("close", "to"): "nearly",
    ("just", "under"): "nearly",
    ("just", "shy", "of"): "nearly",
}
_ANY_DIGIT = re.compile(r"\d")
# Words that can start a figure written out: a sentence without one (or a digit) is skipped.
_NUMBERISH = frozenset(
    [*NUMBER_WORDS, *VAGUE, *_SCALES, "dozen", "tens", "half"]
    + [
        f"{tens}-{unit}"
        for tens in ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
        for unit in ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    ]
)
_LABEL_WORDS = frozenset(
    """stage game round chapter article section page number flight route highway interstate
    magnitude level category grade phase episode season week platform gate room exit unit
    squad class no precinct ward channel district apartment suite lot""".split()
)
_SINGLE_PEOPLE = frozenset(
    """man woman boy girl teen teenager child baby toddler person suspect victim officer
    driver passenger student worker resident gunman shooter motorist pedestrian cyclist
    soldier civilian journalist deputy trooper bystander father mother son daughter infant
    wife husband girlfriend boyfriend friend brother sister nephew niece cousin uncle aunt
    grandson granddaughter grandmother grandfather stepson stepdaughter fiancee fiance
    roommate neighbor neighbour clerk employee customer guard owner""".split()
)
_MULTIPLES = {"double": 2.0, "triple": 3.0, "quadruple": 4.0, "quintuple": 5.0}
_KILLINGS = frozenset(
    "homicide homicides murder murders killing killings slaying slayings fatality".split()
)
# What a named person's singular figure may say happened to them.
_PERSON_ACTIONS = frozenset({"killed", "injured", "shot", "arrested"})
_DETERMINERS = frozenset({"the", "a", "an", "this", "that"})
_NOT_NAMES = frozenset(
    """police the a an this that these those he she they it we i you his her their its our
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december mr mrs ms dr sheriff officer
    officers deputies chief county city state news""".split()
)
# "his wife", "their son": a determiner that introduces one known person.
_ONE_PERSON_DETERMINERS = frozenset({"a", "an", "his", "her", "their", "another"})
# Verbs that say what happened to their subject: "a man died" (but "a man shot..." is the
# shooter, so no other verb after the noun counts).
_INTRANSITIVE_DEATH = frozenset({"died", "dies", "perished", "drowned", "succumbed"})
# "No deaths were reported": the noun carries the action.
_ZERO_NOUNS: dict[str, tuple[str, str]] = {
    "deaths": ("death", "killed"),
    "fatalities": ("death", "killed"),
    "injuries": ("injury", "injured"),
    "casualties": ("casualty", "killed"),
    "arrests": ("arrest", "arrested"),
}
_OF_THEM = frozenset({("of", "them"), ("of", "those"), ("of", "these"), ("of", "which")})
_ZERO_WORDS = frozenset({"no", "nobody", "none", "neither"})
_FIGURE_OPENERS = frozenset({"a", "an", "no", "nobody"})
# A verb does not reach a figure across these: "trapped after a mine collapsed".
_SUBORDINATE = frozenset({"after", "before", "when", "because", "until", "whereas"})
_A_SCALES = frozenset({"dozen", "hundred", "thousand", "million", "billion"})
_MAX_QUALIFIER = max(len(words) for words in _QUALIFIERS)
_MONTHS = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
_CURRENCY = frozenset({"$", "£", "€", "¥", "₴", "₽", "#", "+", "№"})
_CLOCK = frozenset({"am", "pm", "a.m", "p.m", "o'clock", "gmt", "utc", "bst", "cet", "est"})
_AGE_WORDS = frozenset(
    {"year-old", "years-old", "month-old", "months-old", "week-old", "day-old", "year-olds"}
)
_SCORE_PREV = frozenset(
    {
        "voted",
        "vote",
        "votes",
        "won",
        "win",
        "wins",
        "lost",
        "lose",
        "beat",
        "beating",
        "defeated",
        "drew",
        "draw",
        "score",
        "scored",
        "scoreline",
        "margin",
        "tally",
        "led",
        "leading",
        "trailed",
        "trailing",
    }
)
_SCORE_NEXT = frozenset(
    {
        "win",
        "victory",
        "defeat",
        "loss",
        "draw",
        "votes",
        "vote",
        "lead",
        "margin",
        "scoreline",
        "in",
        "against",
        "with",
    }
)
_STREET = frozenset(
    {
        "street",
        "st",
        "road",
        "rd",
        "avenue",
        "ave",
        "lane",
        "boulevard",
        "blvd",
        "way",
        "drive",
        "place",
        "square",
        "terrace",
        "crescent",
        "court",
        "freeway",
        "highway",
        "interstate",
        "route",
        "parkway",
        "expressway",
        "pike",
        "circle",
    }
)
# Words that end the noun phrase naming what is counted.
_THING_STOP = frozenset(
    """a an the and or but nor of in on at to by with from into over under after before during
    since until while when where which who whom whose that this these those there here it its
    he she they we you i his her their our your my me him them us is are was were be been being
    has have had do does did will would can could should may might must shall not no than as
    about above across against along amid among around behind below beside between beyond
    despite down inside near off onto outside through throughout toward towards upon via within
    without according including so if then also just only even still already more most other
    another such per each every all both either neither overnight today yesterday said says
    reported according last next for monday tuesday wednesday thursday friday saturday sunday
    january february march april june july august september october november december
    morning afternoon evening night""".split()
)
_PASSIVE = frozenset({"was", "were", "is", "are", "been", "be"})
_ANAPHORA = (
    ("of", "those"),
    ("of", "them"),
    ("of", "which"),
    ("of", "these"),
    ("another",),
    ("including",),
    ("and",),
    ("while",),
)
_DEFINITE = frozenset({"the", "these", "those", "both", "its", "their", "his", "her", "our", "all"})
_CLAUSE_WORDS = frozenset({"while", "whereas", "but", "although", "though"})
_CLAUSE_MARKS = frozenset({",", ";", ":", "(", ")", "-", '"'})
# Nouns a crowd estimate is "at" or "of": "put the crowd at 24,000", "a turnout of 9,000".
_CROWD_WORDS = frozenset({"crowd", "crowds", "turnout", "attendance"})
_HARD_CLAUSE = re.compile(r";|\b(?:while|whereas|but|although)\b")
_PRONOUNS = frozenset(
    {
        "it",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "this",
        "that",
        "which",
        "who",
        "there",
        "officials said",
    }
)
_SPEECH = (
    r"(?:said|says|reported|reports|claimed|claims|told|announced|stated|confirmed|added"
    r"|estimated|warned|rejected|disputed|contested"
    # "organisers put the crowd at 60,000": an estimate, not any "put".
    r"|put(?=\s{1,3}(?:the\s{1,3})?(?:crowd|turnout|attendance|toll|number)\b))"
)
_ACCORDING = re.compile(r"\baccording to\s{1,3}([^,.;:\"()]{2,80})", re.IGNORECASE)
# "The governor's office, however, said 23": an aside between the claimant and the verb.
_ASIDE = r"(?:\s{0,3},\s{0,3}(?:however|though|meanwhile|in turn|for (?:its|their|his|her) part),)?"
_SAID_AFTER = re.compile(
    r"(?:^|[,\"]\s{0,3})([^,.;:\"()]{2,80}?)" + _ASIDE + r"\s{1,3}" + _SPEECH + r"\b"
)
_SAID_BEFORE = re.compile(
    r"\b" + _SPEECH + r"\s{1,3}(the\s[^,.;:\"()]{2,60}|[A-Z][^,.;:\"()]{2,60})(?=[,.;]|$)"
)
# Cheap test before the three attribution regexes: most sentences attribute nothing.
_SPEECH_HINT = re.compile(
    r"said|says|reported|reports|claimed|claims|told|announced|stated|confirmed|added"
    r"|estimated|warned|according|rejected|disputed|contested|put"
)
MAX_COUNTS = 100
# The first sentences of the body (with four or more tokens) are its lead.
LEAD_SENTENCES = 2
# General words for what a raid is made of: "thwarted dozens of these attacks" refers back.
_EVENT_NOUNS = frozenset(
    "attack assault strike raid incursion wave target object projectile one".split()
)
_DEMONSTRATIVES = frozenset({"these", "those", "such"})
_PEOPLE_KEYS = frozenset(
    """person child man woman civilian casualty troop fighter victim officer people boy girl
    teen teenager student resident adult worker soldier elderly""".split()
)
_ATTACKERS = frozenset(
    """gunman shooter suspect attacker assailant bomber perpetrator killer gunmen shooters
    attackers""".split()
)
_PERP_OUT = frozenset({"besides", "excluding", "plus"})
# A place further than this many characters from a figure does not scope it.
PLACE_REACH = 300
# Further than this many tokens apart, a verb is not about the figure.
MAX_ACTION_DISTANCE = 12


# Words a number is the size of, not a count in an event: "a town of 4,500".
_SIZE_NOUNS = frozenset(
    """population community town city village county suburb borough township neighborhood
    neighbourhood district school enrollment enrolment campus capacity size area""".split()
)
_LEGAL = frozenset("count counts charge charges felony felonies misdemeanor misdemeanors".split())
_KIN = frozenset(
    """father mother parent dad mom mum grandfather grandmother grandparent stepfather
    stepmother""".split()
)
_GALLERY = frozenset("image images photo photos picture pictures slide video gallery item".split())
_CALL_WORDS = frozenset(
    "call calls called calling dial dialed dialled dialing dialling dispatcher operator".split()
)
# Page furniture counted: "212 comments", "(2 images)", "1,024 shares".
_FURNITURE_COUNTS = frozenset(
    """comment comments image images photo photos view views share shares like likes reply
    replies follower followers subscriber subscribers video videos picture pictures""".split()
)
_TIME_UNITS = frozenset("year month week day hour minute decade century".split())


@dataclass(frozen=True)
class _Candidate:
    """A number the finder may take for a figure, with the words either side of it."""

    tokens: list[Token]
    low: list[str]
    index: int  # the number's first token
    after: int  # the token after the number
    value: float
    word: str
    prev: str
    nxt: str
    is_digits: bool
    headline: bool = False  # the sentence is in title case

    def at(self, position: int) -> str:
        return self.low[position] if 0 <= position < len(self.low) else ""

    def glued_before(self) -> bool:
        i = self.index
        return i > 0 and self.tokens[i - 1][2] == self.tokens[i][1]


def _glued_to_word(c: _Candidate) -> bool:
    """ "ci_2231", "1:15", "5th", "9am", "20km": digits inside a word, an id or a unit."""
    tokens, i, after = c.tokens, c.index, c.after
    if c.glued_before() and (tokens[i - 1][0][-1].isalnum() or tokens[i - 1][0] in ":./"):
        return True
    return (
        after < len(tokens)
        and tokens[after][1] == tokens[after - 1][2]
        and (
            tokens[after][0][0].isalnum()
            or (tokens[after][0] in ":./" and c.at(after + 1)[:1].isdigit())
        )
    )


def _year(c: _Candidate) -> bool:
    if c.prev in ("'", "’") and len(c.word) == 2:
        return True  # "the '90 shooting"
    return "," not in c.word and "." not in c.word and len(c.word) == 4 and 1800 <= c.value <= 2100


def _leading_zero(c: _Candidate) -> bool:
    plain = c.word.replace(",", "")
    return len(plain) > 1 and plain[0] == "0" and "." not in plain


def _digit_groups(c: _Candidate) -> bool:
    """ "555 0134": digit groups a space apart, a phone number or code."""
    tokens, after = c.tokens, c.after
    return (
        after < len(tokens)
        and c.at(after)[:1].isdigit()
        and tokens[after][1] <= tokens[after - 1][2] + 1
    )


def _date(c: _Candidate) -> bool:
    """ "August 6", "6 August", "the 6th of August", "Feb. 25"."""
    return (
        c.prev in _MONTHS
        or c.nxt in _MONTHS
        or (c.nxt == "of" and c.at(c.after + 1) in _MONTHS)
        or (c.prev == "." and c.at(c.index - 2) in _MONTHS)
    )


def _age(c: _Candidate) -> bool:
    """ "a 20-year-old", "aged 20", "a 47-year old", "Danielle Lucero, 26, died", "ages 19
    and 41"."""
    low, after, i = c.low, c.after, c.index
    if c.prev in ("aged", "age", "ages") or c.nxt in _AGE_WORDS:
        return True
    if c.nxt == "-" and (c.at(after + 1) in _AGE_WORDS or c.at(after + 1).startswith("year-old")):
        return True
    if c.prev == "of" and c.at(i - 2) in _SINGLE_PEOPLE and not c.nxt[:1].isalpha():
        return True  # "a girl of 9"
    if c.prev in ("both", "each", "all") and c.nxt in (",", ")", ";") and c.value < 120:
        return True  # "two neighbours, both 19, were found"
    if c.nxt in ("yo", "yrs", "yr") or (c.nxt == "y" and c.at(after + 1) in ("/", "o")):
        return True  # "an 8 yo girl", "a 6 y/o boy"
    if c.nxt == "-" and c.at(after + 1) in ("and", "or", "to") and c.at(after + 2)[:1].isdigit():
        return True  # "a 12- and 16-year-old": the first age of a pair
    if (
        c.nxt in ("-", "year", "years")
        and c.at(after + (1 if c.nxt == "-" else 0)) in ("year", "years")
        and c.at(after + (2 if c.nxt == "-" else 1)) == "old"
    ):
        return True
    # An age set off by commas; at a sentence end only after a name ("for Jordan Clay, 20.").
    if c.is_digits and c.prev == "," and c.value < 120:
        if c.nxt in (",", ";", ")"):
            return True
        if c.nxt in (".", "") and i > 1 and c.tokens[i - 2][0][:1].isupper():
            return True
    if c.prev in (",", "and"):
        back = i - 1
        while back > max(0, i - 8) and (low[back] in (",", "and") or low[back].isdigit()):
            back -= 1
        if low[back] in ("ages", "aged"):
            return True
    return False


def _digit_code(c: _Candidate) -> bool:
    """ "520-207-5012", "18-07-2016": three or more digit groups joined by hyphens."""
    tokens, i = c.tokens, c.index

    def joined(left: int) -> bool:  # tokens[left], "-", tokens[left + 2] written as one
        return (
            0 <= left
            and left + 2 < len(tokens)
            and tokens[left + 1][0] == "-"
            and tokens[left][2] == tokens[left + 1][1]
            and tokens[left + 1][2] == tokens[left + 2][1]
            and tokens[left][0][:1].isdigit()
            and tokens[left + 2][0][:1].isdigit()
        )

    return (joined(i) and joined(i + 2)) or (joined(i - 2) and (joined(i - 4) or joined(i)))


def _station(c: _Candidate) -> bool:
    tokens, i = c.tokens, c.index
    if c.after < len(tokens) and tokens[c.after][0] == "News":
        return True
    if c.prev == "news" and tokens[i - 1][0] == "News":
        return True
    before = tokens[i - 1][0] if i > 0 else ""
    return (
        c.is_digits
        and c.value < 100
        and 2 <= len(before) <= 5
        and before.isupper()
        and (before.isalpha())
    )


def _tenure(c: _Candidate) -> bool:
    """ "a 16-year veteran", "a 20-year sentence", "a three-month inquiry": a span of time
    used as an adjective."""
    return c.nxt == "-" and c.at(c.after + 1) in _TIME_UNITS


def _label(c: _Candidate) -> bool:
    """ "stage nine", "game 7", "route 66", "Source 1", "Flight 17": a number naming a thing.
    In a headline written in title case every word is capitalised, so there only the label
    words count ("Killed 1 and Injured 4" is two figures)."""
    if c.prev in _LABEL_WORDS or (c.is_digits and c.prev in _GALLERY):
        return True
    tokens, i = c.tokens, c.index
    return (
        c.is_digits
        and not c.headline
        and i > 1
        and tokens[i - 1][0][:1].isupper()
        and tokens[i - 1][0].isalpha()
        and c.prev not in ("about", "around", "some", "nearly", "almost", "over", "up")
    )


def _model_name(c: _Candidate) -> bool:
    """ "K-9", "AR-15", "Su-25", "COVID-19": letters, a hyphen and the number, written as one."""
    tokens, i = c.tokens, c.index
    return (
        i > 1
        and c.prev == "-"
        and c.glued_before()
        and tokens[i - 2][2] == tokens[i - 1][1]
        and tokens[i - 2][0][-1:].isalpha()
    )


def _gallery(c: _Candidate) -> bool:
    """ "Image 5 of 16", "photo 3 of 12", "1 / 2": a position in a gallery or a page list."""
    if c.prev == "of" and c.at(c.index - 2)[:1].isdigit() and c.at(c.index - 3) in _GALLERY:
        return True
    if c.prev == "/" and c.at(c.index - 2)[:1].isdigit():
        return True
    return c.nxt == "/" and c.at(c.after + 1)[:1].isdigit()


def _clock(c: _Candidate) -> bool:
    """ "pronounced dead at 5", "until 11 on Sunday": a time of day without am/pm."""
    if c.prev not in ("at", "until", "till") or c.value > 24 or c.value != int(c.value):
        return False
    return not c.nxt or not c.nxt[0].isalpha() or c.nxt in _THING_STOP


def _magnitude(c: _Candidate) -> _Figure | None:
    """ "A magnitude 6.1 quake", "a 6.1-magnitude earthquake", "magnitude-7": the event's own
    measure. Its interval is what the written precision allows: 6.1 is [6.05, 6.15]."""
    if not c.is_digits or c.value >= 10:
        return None
    first = c.index
    if c.prev == "magnitude":
        first = c.index - 1
    elif c.prev == "-" and c.at(c.index - 2) == "magnitude":
        first = c.index - 2
    elif not (c.nxt == "magnitude" or (c.nxt == "-" and c.at(c.after + 1) == "magnitude")):
        return None
    decimals = len(c.word.partition(".")[2])
    half = 0.5 * 10.0**-decimals
    return _Figure(
        first=first,
        number_end=c.after,
        last=c.after - 1,
        low=round(c.value - half, 6),
        high=round(c.value + half, 6),
        qualifier="approximate" if decimals == 0 else "exact",
        thing_words=["magnitude"],
        thing_key="magnitude",
        action="measured",
        fixed_action="measured",
        number_at=c.index,
        kind="magnitude",
    )


# Numbers that are not counts, each with the reason it is refused (tests/unit has a row per
# reason). They are checked before the figure's range, qualifier and noun are read.
NOT_A_COUNT: tuple[tuple[str, Callable[[_Candidate], bool]], ...] = (
    ("money", lambda c: c.prev in _CURRENCY),
    ("percentage", lambda c: c.nxt in ("%", "per", "percent")),
    ("clock_time", lambda c: c.nxt in _CLOCK or _clock(c)),
    ("citation", lambda c: c.prev == "[" and c.nxt == "]"),
    ("model_name", _model_name),
    ("glued_to_word", lambda c: c.is_digits and _glued_to_word(c)),
    ("year", lambda c: c.is_digits and _year(c)),
    ("id_or_code", lambda c: c.is_digits and _leading_zero(c)),
    ("phone", lambda c: c.is_digits and _digit_groups(c)),
    ("date", _date),
    ("age", _age),
    ("tenure", _tenure),
    ("address", lambda c: c.nxt == "block"),
    ("kinship", lambda c: c.prev == "of" and c.at(c.index - 2) in _KIN),
    ("digit_code", _digit_code),
    # "dialled 911", "a 999 call": an emergency number.
    (
        "emergency_number",
        lambda c: (
            c.word in ("911", "999", "112") and (c.prev in _CALL_WORDS or c.nxt in _CALL_WORDS)
        ),
    ),
    # "Wave 3 News", "FOX 12", "KSLA 12", "Action News 5": a broadcaster's name.
    ("station", _station),
    ("gallery", _gallery),
    ("label", _label),
)


@dataclass
class _Figure:
    first: int  # first token (qualifier included)
    number_end: int  # token after the number or range
    last: int  # last token of the figure and its thing
    low: float | None
    high: float | None
    qualifier: Qualifier
    thing_words: list[str]
    thing_key: str | None
    action: str | None = None
    inherits: bool = False
    including: bool = False
    partitive: bool = False
    # Set by the phrase itself ("no deaths", "a man was killed"): the nearest verb cannot
    # override it.
    fixed_action: str | None = None
    # Token span of the verb a singular figure used: no other figure may take that verb.
    verb: tuple[int, int] = (-1, -1)
    number_at: int = -1  # first token of the number itself (after any qualifier)
    vague: bool = False
    word_number: bool = False
    # "number", "zero" ("no deaths"), "singular" ("a man was killed"), "magnitude".
    kind: str = "number"
    refers_back: bool = False  # "dozens of these attacks": counts what came before

    def __post_init__(self) -> None:
        if self.number_at < 0:
            self.number_at = self.first


@dataclass(frozen=True)
class Mention:
    """One number the finder looked at and what became of it (for benchmarks and debugging)."""

    section: Section
    start: int  # offset of the number in the cleaned text (in the title for section "title")
    surface: str
    decision: Decision
    decided_by: str
    site: Site | None


@dataclass(frozen=True)
class _Pending:
    """A figure read but not yet decided: its site and the Count fields already known."""

    figure: _Figure
    site: Site
    number: Token
    count: dict[str, Any]
    sentence_no: int  # the sentence's position in the article (title first)


_BREAKDOWN = frozenset({"part", "increment", "subgroup"})
_CITY_AUTHORITY = frozenset(
    "military city mayor mayor's municipal council administration governor regional police".split()
)
# The scope of a figure said to cover a whole country ("55 drones were shot down across the
# country", "nationwide"): never the same figure as one city's.
NATIONWIDE = "scope:nationwide"
_COUNTRY_WORDS = frozenset({"country", "nation"})


def _nationwide(site: Site) -> bool:
    low = site.low
    window = low[max(0, site.first - 6) : min(len(low), site.last + 8)]
    if "nationwide" in window or "countrywide" in window:
        return True
    return any(
        window[i] in ("across", "throughout")
        and window[i + 1] == "the"
        and window[i + 2] in _COUNTRY_WORDS
        for i in range(len(window) - 2)
    )


def _whole_of(
    role: str,
    pending: _Pending,
    counts: list[Count],
    placed: list[tuple[_Pending, str, int | None]],
) -> int | None:
    """The index (in `counts`) of the total a breakdown figure belongs to, decided here so no
    detector has to re-read the sentence.

    A `part` belongs to the nearest total before it in its own sentence ("fifteen civilians,
    among them 11 children"), or, when it opens its sentence, to the last total of the same
    thing in the sentence before ("83 drones were launched. Of those, 55 were shot down").
    An increment or subgroup belongs to that whole only when it follows such a part in the
    same sentence and counts the same thing ("... and another 30 were lost"). A part of a part
    ("three civilians, two of them elderly") belongs to no whole: nested shares are not added.
    """
    site = pending.site
    opens = site.first <= 3
    for k in range(len(placed) - 1, -1, -1):
        other, other_role, other_whole = placed[k]
        gap = pending.sentence_no - other.sentence_no
        if gap > 1 or (gap == 1 and not (role == "part" and opens)):
            return None
        same_thing = _kin_things(other.site.thing_key, site.thing_key)
        if gap == 0 and other_role == "part":
            if role == "part" and "rule:of_them" in _cue_names(site):
                return None  # "two of them": a share of that part, not of the whole
            if other_whole is not None and other.site.thing_key == site.thing_key:
                return other_whole
            continue
        if other_role != "total":
            continue
        if role == "part" and (gap == 0 or same_thing):
            return k
        return None
    return None


def _kin_things(a: str | None, b: str | None) -> bool:
    """Whether two counted things can be a whole and its part: the same thing, or both people
    ("civilians" and "children", "his neighbour" and "three more people")."""
    return a == b or (_is_people(a) and _is_people(b))


def _is_people(thing: str | None) -> bool:
    return thing in _PEOPLE_KEYS or thing in _SINGLE_PEOPLE


def _cue_names(site: Site) -> set[str]:
    return {f"rule:{name}" for name, hit in site.hits.items() if hit}


@dataclass
class _ArticleState:
    """What the finder carries from sentence to sentence of one article."""

    pending: list[_Pending] = field(default_factory=list)
    previous: _Figure | None = None
    last_claimant: str | None = None
    # (action, thing) -> intervals already counted in this article.
    values: dict[tuple[str | None, str | None], list[tuple[float | None, float | None]]] = field(
        default_factory=dict
    )
    sentence_no: int = 0
    year: int | None = None
    # Content words of the title: the main event's vocabulary.
    title_words: set[str] = field(default_factory=set)
    # The last countable thing the article spoke of ("drones") and the last place named.
    referent: str | None = None
    referent_place: str | None = None

    def remember_referents(self, things: list[str], spans: list[tuple[int, int, str]]) -> None:
        for key in things:
            if key not in _EVENT_NOUNS and key not in _PEOPLE_KEYS:
                self.referent = key
        if spans:
            self.referent_place = spans[-1][2]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


class FigureFinder:
    """Finds figure claims sentence by sentence; every scan is token-bounded."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lex = lexicon
        self._model = lexicon.role_model

    def find(
        self,
        text: str,
        sentences: list[tuple[int, int, list[Token]]],
        place_spans: list[tuple[int, int, str]],
        title: str = "",
        title_tokens: list[Token] | None = None,
        trace: list[Mention] | None = None,
        year: int | None = None,
    ) -> list[Count]:
        """Every figure claim of an article, each with its role decided once.

        The title is read first (section "title"; its offsets are into the title), then the
        body (the first sentences with words in them are the lead). `trace`, when given,
        receives every number looked at, counted or not, with what decided it.
        """
        state = _ArticleState(year=year)
        if title_tokens:
            state.title_words = {
                w.lower() for w, _, _ in title_tokens if len(w) > 3 and w.isalpha()
            } - _THING_STOP
        if title and title_tokens:
            self._sentence(title, 0, len(title), title_tokens, [], [], "title", 0, state, trace)
        state.previous = None
        place_starts = [span[0] for span in place_spans]
        index = 0
        for start, end, tokens in sentences:
            if len(state.pending) >= MAX_COUNTS:
                break
            section: Section = "lead" if index < LEAD_SENTENCES else "body"
            if len(tokens) >= 4:
                index += 1
            self._sentence(
                text, start, end, tokens, place_spans, place_starts, section, index, state, trace
            )
        return self._decide(state, trace)

    def _decide(self, state: _ArticleState, trace: list[Mention] | None) -> list[Count]:
        """Decide every figure's role once the whole article is read: whether a value is the
        largest the article gives for its action, or the one its title gives, is evidence."""
        largest: dict[str | None, float] = {}
        in_title: dict[str | None, set[tuple[float | None, float | None]]] = {}
        title_high: dict[str | None, float] = {}
        firsts: dict[str | None, int] = {}
        main_places: set[str] = set()
        # Per action: how many singular victims ("a man was killed") and numeric figures.
        numbers: Counter[str | None] = Counter()
        first_single: dict[str | None, int] = {}
        several: set[str | None] = set()
        for index, pending in enumerate(state.pending):
            site = pending.site
            value = _value(site)
            largest[site.action] = max(largest.get(site.action, 0.0), value)
            firsts.setdefault(site.action, index)
            if site.section == "title":
                in_title.setdefault(site.action, set()).add((site.low_value, site.high_value))
                title_high[site.action] = max(title_high.get(site.action, 0.0), value)
            if site.section != "body" and pending.count["place"]:
                main_places.add(pending.count["place"])
            kind = pending.figure.kind
            if kind == "singular" and _another(site):
                several.add(site.action)  # "a second man was killed": not one victim
            elif kind == "singular":
                first_single.setdefault(site.action, index)
            elif kind in ("number", "ordinal") and value > 1:
                numbers[site.action] += 1
        counts: list[Count] = []
        # Each emitted count's pending figure, role and whole, in the order of `counts`.
        placed: list[tuple[_Pending, str, int | None]] = []
        for index, pending in enumerate(state.pending):
            site = pending.site
            value = _value(site)
            headline = title_high.get(site.action)
            place = pending.count["place"]
            site.other_place = bool(main_places and place and place not in main_places)
            site.above_title = headline is not None and value > 3 * max(headline, 1.0)
            site.below_title = headline is not None and value < headline
            site.largest = value >= largest.get(site.action, 0.0)
            site.first_for_action = firsts.get(site.action) == index
            site.title_value = site.section != "title" and (
                (site.low_value, site.high_value) in in_title.get(site.action, set())
            )
            # The article's first single victim of an action stands for its toll when no other
            # figure gives one and nothing says there was a second ("another man", "also").
            lone = (
                first_single.get(site.action) == index
                and numbers[site.action] == 0
                and site.action not in several
            )
            decision, decided_by, confidence = _decide_kind(
                pending.figure.kind, site, self._model, lone, pending.figure.refers_back
            )
            if decided_by == "model" and _adds_to(site, state.pending[:index]):
                decision, decided_by, confidence = "increment", "rule:more", 1.0
            elif decided_by == "model" and _narrowed(site, pending, state.pending):
                decision, decided_by, confidence = "subgroup", "rule:narrower", 1.0
            if trace is not None:
                trace.append(Mention(site.section, pending.number[1], pending.number[0],
                                     decision, decided_by, site))  # fmt: skip
            if decision == "not_count":
                continue
            fields = pending.count
            if fields["place"] is None and _nationwide(site):
                fields = {**fields, "place": NATIONWIDE}
            if decided_by == "rule:lone_victim":
                # "A man was killed" says at least one died; not that no one else did.
                fields = {**fields, "low": 1.0, "high": None, "qualifier": "lower_bound"}
            part_of = None
            if decision in _BREAKDOWN:
                part_of = _whole_of(decision, pending, counts, placed)
            placed.append((pending, decision, part_of))
            counts.append(
                Count(
                    **fields,
                    role=decision,
                    decided_by=decided_by,
                    period=period_of(site),
                    revised=revised(site),
                    part_of=part_of,
                    confidence=round(confidence, 3),
                )
            )
        return counts

    def _sentence(
        self,
        text: str,
        start: int,
        end: int,
        tokens: list[Token],
        place_spans: list[tuple[int, int, str]],
        place_starts: list[int],
        section: Section,
        sentence_index: int,
        state: _ArticleState,
        trace: list[Mention] | None,
    ) -> None:
        state.sentence_no += 1
        low = [t[0].lower() for t in tokens]
        things_here = [self._lex.things[w] for w in low if w in self._lex.things]
        spans = self._sentence_places(place_spans, place_starts, start, end)
        if (
            _ANY_DIGIT.search(text, start, end) is None
            and _NUMBERISH.isdisjoint(low)
            and _ZERO_WORDS.isdisjoint(low)
            and _SINGLE_PEOPLE.isdisjoint(low)
            and "," not in low
            and _MULTIPLES.keys().isdisjoint(low)
        ):
            state.remember_referents(things_here, spans)
            return
        rejected: list[tuple[int, str]] = []
        headline = section == "title" or _title_case(tokens)
        figures = self._figures(tokens, low, rejected, headline)
        if trace is not None:
            for at, reason in rejected:
                trace.append(Mention(section, tokens[at][1], tokens[at][0], "not_count",
                                     f"rule:{reason}", None))  # fmt: skip
        singles = self._singulars(low, figures, tokens, headline)
        figures = sorted(figures + self._multiple(low, figures), key=lambda f: f.first)
        if not figures and not singles:
            state.remember_referents(things_here, spans)
            return
        used = {i for single in singles for i in range(*single.verb)}
        self._assign_actions(low, figures, used)
        for figure in figures:
            if figure.fixed_action is not None:
                figure.action = figure.fixed_action
        self._inherit(low, figures, state.previous)
        referent_place = self._refer_back(low, figures, state)
        if singles:
            figures = sorted(figures + singles, key=lambda figure: figure.first)
        sentence = text[start:end]
        claims = _claims(sentence) if _SPEECH_HINT.search(sentence) else []
        if claims and all(claim is None for _, claim in claims):
            # "..., it said": the source named in the sentence before.
            claims = [(position, state.last_claimant) for position, _ in claims]
        named = [claim for _, claim in claims if claim]
        if named:
            state.last_claimant = named[-1]
        # Clause ids and offsets only matter when a place is named in the sentence.
        clauses = _clause_ids(tokens) if spans else []
        token_starts = [t[1] for t in tokens] if spans else []
        span_starts = [span[0] for span in spans]
        quotes = _quote_depths(tokens)
        authority = self._city_authority(low) if not spans and "'s" in text[start:end] else None
        low_tuple = tuple(low)
        title_overlap = len(state.title_words.intersection(low))
        for figure in figures:
            if len(state.pending) >= MAX_COUNTS:
                break
            at = tokens[figure.first][1]
            number = tokens[figure.number_at]
            if figure.thing_key is None and figure.action is None:
                if trace is not None:
                    trace.append(Mention(section, number[1], number[0], "not_count",
                                         "rule:nothing_counted", None))  # fmt: skip
                continue
            claimant = _nearest_claim(claims, at - start, sentence)
            key = (figure.action, figure.thing_key)
            earlier = state.values.get(key, [])
            site = Site(
                low=low_tuple,
                first=figure.first,
                number_at=figure.number_at,
                number_end=figure.number_end,
                last=figure.last,
                low_value=figure.low,
                high_value=figure.high,
                qualifier=figure.qualifier,
                vague=figure.vague,
                word_number=figure.word_number,
                thing_key=figure.thing_key,
                action=figure.action,
                inherits=figure.inherits,
                partitive=figure.partitive,
                section=section,
                sentence_index=sentence_index,
                claimant=claimant is not None,
                quoted=quotes[figure.first] % 2 == 1,
                definite=figure.first > 0 and low[figure.first - 1] in _DEFINITE,
                title_overlap=title_overlap,
                year=state.year,
                earlier_same=len(earlier),
                earlier_equal=(figure.low, figure.high) in earlier,
                earlier_larger=any(
                    (hi if hi is not None else float("inf")) > (figure.high or 0.0)
                    for _, hi in earlier
                ),
            )
            state.values.setdefault(key, []).append((figure.low, figure.high))
            place = _place_for(figure, tokens, token_starts, spans, span_starts, clauses)
            if place is None:
                place = authority
            state.pending.append(
                _Pending(
                    figure=figure,
                    site=site,
                    number=number,
                    sentence_no=state.sentence_no,
                    count=dict(
                        # A single victim is shown as its phrase ("a 19-year-old man"), a
                        # figure as its number with qualifier ("up to a dozen").
                        text=text[
                            at : tokens[
                                figure.last if figure.kind == "singular" else figure.number_end - 1
                            ][2]
                        ],
                        low=_round(figure.low),
                        high=_round(figure.high),
                        qualifier=figure.qualifier,
                        thing=" ".join(figure.thing_words) or None,
                        thing_key=figure.thing_key,
                        action=figure.action,
                        claimant=claimant,
                        place=place or (referent_place if figure.refers_back else None),
                        sentence=sentence,
                        start=at,
                        section=section,
                        perpetrator=_perpetrator(low, figure),
                    ),
                )
            )
        state.previous = figures[-1]
        state.remember_referents(things_here, spans)

    def _city_authority(self, low: list[str]) -> str | None:
        """ "…, according to the head of Kyiv's military administration": a capital named as
        its own city authority scopes the figure to the city (entity finding reads a bare
        "Kyiv said" as the government, which scopes nothing)."""
        gazetteer = self._lex.gazetteer
        if gazetteer is None:
            return None
        for index, word in enumerate(low[:-1]):
            if not word.endswith("'s") or low[index + 1] not in _CITY_AUTHORITY:
                continue
            entry = self._lex.names.get(word[:-2])
            if entry is None:
                continue
            if entry.kind == "place" and entry.capital_of is not None:
                return entry.id
            if entry.kind == "seat":
                for place in gazetteer.candidates(word[:-2]):
                    if place.level == "city":
                        return place.id
        return None

    def _refer_back(
        self, low: list[str], figures: list[_Figure], state: _ArticleState
    ) -> str | None:
        """ "Air defences thwarted dozens of these attacks": a figure whose noun is a general
        event word introduced by "these"/"those"/"such" counts what the sentences before were
        about (the drones), and takes their place. Returns that place for such figures."""
        place: str | None = None
        for figure in figures:
            if figure.thing_key not in _EVENT_NOUNS or state.referent is None:
                continue
            between = low[figure.number_end : figure.last]
            if not _DEMONSTRATIVES.intersection(between):
                continue
            figure.thing_words = [state.referent]
            figure.thing_key = state.referent
            figure.refers_back = True
            place = state.referent_place
        return place

    @staticmethod
    def _sentence_places(
        place_spans: list[tuple[int, int, str]], starts: list[int], start: int, end: int
    ) -> list[tuple[int, int, str]]:
        left = bisect.bisect_left(starts, start)
        right = bisect.bisect_left(starts, end)
        return place_spans[left:right]

    # -- numbers -----------------------------------------------------------------------------

    def _singulars(
        self,
        low: list[str],
        figures: list[_Figure],
        tokens: list[Token] | None = None,
        headline: bool = False,
    ) -> list[_Figure]:
        """One person, when the phrase itself says what happened to them: "a man was killed",
        "a woman died", "arrested a 34-year-old woman", "killed his wife", "the victim died",
        "Jordan Clay, 20, was shot"."""
        out: list[_Figure] = []
        taken = {i for figure in figures for i in range(figure.first, figure.last + 1)}
        count = len(low)
        for index, word in enumerate(low):
            if index in taken:
                continue
            if word in _ORDINALS and index + 1 < count:
                # "A sixth suspect was arrested", "Second victim dies": the running count.
                noun = self._person_noun(low, index)
                if noun is not None:
                    action, verb = self._single_action(
                        low, index, noun, False, True, headline=headline
                    )
                    if action is not None and action in _PERSON_ACTIONS:
                        out.append(_ordinal_figure(index, noun, action, verb, _ORDINALS[word]))
                continue
            if (
                (index == 0 or low[index - 1] in (":", "-", ",", "|"))
                and word in _SINGLE_PEOPLE
                and (headline)
            ):
                # A headline drops its article: "Suspect arrested", "Teen killed in crash".
                action, verb = self._single_action(
                    low, index - 1, index, False, True, headline=True
                )
                if action is not None and action in _PERSON_ACTIONS:
                    out.append(_one_person(index, index, action, verb, low[index]))
                continue
            if word in _ONE_PERSON_DETERMINERS or word == "the":
                if index + 1 < count and low[index + 1] in _ORDINALS:
                    continue  # "a second man": the ordinal below counts him
                noun = self._person_noun(low, index)
                if noun is None:
                    continue
                # "the victim" refers to someone known: only what happened to them counts.
                before_ok = word != "the"
                after_ok = word in ("a", "an", "the", "another")
            elif tokens is None or not (word == "," or tokens[index][0][:1].isupper()):
                continue
            elif (
                word == ","
                and index > 0
                and index + 2 < count
                and low[index + 1].isdigit()
                and low[index + 2] == ","
                and _is_name(tokens, index - 1)
            ):
                # "Jordan Clay, 20, was killed", "killing David Reyes, 11, and...": a named
                # victim with an age; the verb may stand before the name. Not one of a list
                # ("Ana Ruiz, 20, and Li Wu, 31, were killed").
                noun, before_ok, after_ok = index + 2, False, True
                if noun + 1 < count and low[noun + 1] in ("and", "were"):
                    continue
                name_start = index - 1
                while name_start > 0 and _is_name(tokens, name_start - 1):
                    name_start -= 1
                action, verb = self._single_action(low, name_start, noun, True, True)
                if action is not None and action in _PERSON_ACTIONS:
                    out.append(_one_person(name_start, noun, action, verb))
                continue
            elif (
                index + 1 < count
                and _is_name(tokens, index)
                and _is_name(tokens, index + 1)
                and (index == 0 or not _is_name(tokens, index - 1))
                and (index == 0 or low[index - 1] not in _DETERMINERS)
            ):
                # "Jacob Reyes was killed", "Ana Ortiz died": a full name and what happened.
                end = index + 1
                while end + 1 < count and _is_name(tokens, end + 1):
                    end += 1
                action, verb = self._single_action(low, index, end, False, True)
                if action is not None and action in _PERSON_ACTIONS:
                    out.append(_one_person(index, end, action, verb))
                continue
            else:
                continue
            action, verb = self._single_action(low, index, noun, before_ok, after_ok)
            if action is None:
                continue
            out.append(
                _Figure(
                    first=index,
                    number_end=index + 1,
                    last=noun,
                    low=1.0,
                    high=1.0,
                    qualifier="exact",
                    thing_words=[low[noun]] if low[noun] != "," else ["person"],
                    thing_key=(
                        _thing_key(low[noun], self._lex.things) if low[noun] != "," else "person"
                    ),
                    action=action,
                    fixed_action=action,
                    verb=verb,
                    kind="singular",
                )
            )
        return out

    @staticmethod
    def _multiple(low: list[str], figures: list[_Figure]) -> list[_Figure]:
        """ "A double homicide", "the triple murder": two, three people killed."""
        out: list[_Figure] = []
        for index, word in enumerate(low[:-1]):
            value = _MULTIPLES.get(word)
            if value is not None and low[index + 1] in _KILLINGS:
                out.append(
                    _Figure(
                        first=index,
                        number_end=index + 1,
                        last=index + 1,
                        low=value,
                        high=value,
                        qualifier="exact",
                        thing_words=[],
                        thing_key=None,
                        action="killed",
                        fixed_action="killed",
                        word_number=True,
                    )
                )
        return out

    def _person_noun(self, low: list[str], index: int) -> int | None:
        """The person noun a determiner at `index` introduces, past an age or one adjective."""
        count = len(low)
        noun = index + 1
        if noun + 2 < count and low[noun][:1].isdigit() and low[noun + 1] == "-":
            noun += 3 if low[noun + 2] in _AGE_WORDS else 0
        for _ in range(2):  # "a young man", "a popular nightclub owner"
            if noun < count and low[noun] not in _SINGLE_PEOPLE and noun + 1 < count:
                if low[noun].isalpha() and low[noun] not in _THING_STOP:
                    noun += 1
        if noun >= count or low[noun] not in _SINGLE_PEOPLE:
            return None
        return noun

    def _single_action(
        self,
        low: list[str],
        index: int,
        noun: int,
        before_ok: bool,
        after_ok: bool,
        headline: bool = False,
    ) -> tuple[str | None, tuple[int, int]]:
        """What happened to one person: a passive verb or a death verb after the noun, or an
        action verb right before the determiner ("killed his wife")."""
        count = len(low)
        after = noun + 1
        if after + 1 < count and low[after] in ("who", "that") and low[after + 1] == "was":
            after += 1
        if after_ok and after < count and low[after] in ("was", "is", "were"):
            after += 1
            if after < count and low[after] in ("also", "then", "later", "fatally"):
                after += 1
            found = self._action_at(low, after) if after < count else None
            if found is not None:
                return found[1], (after, after + found[0])
        elif after_ok and after < count and low[after] in _INTRANSITIVE_DEATH:
            return "killed", (after, after + 1)
        elif after_ok and after < count and low[after] == "dead":
            return "killed", (after, after + 1)  # "left a teenage girl dead"
        elif after_ok and headline and after < count and low[after].endswith("ed"):
            # A headline's participle: "Sixth suspect arrested", "Teen killed in crash".
            found = self._action_at(low, after)
            if found is not None:
                return found[1], (after, after + found[0])
        if before_ok and index > 0:
            for back in range(max(0, index - 3), index):
                found = self._action_at(low, back)
                if found is not None and back + found[0] == index:
                    return found[1], (back, index)
        return None, (-1, -1)

    def _zero(self, low: list[str], index: int) -> _Figure | None:
        """ "No deaths", "no one", "nobody": a figure of zero."""
        word = low[index]
        nxt = low[index + 1] if index + 1 < len(low) else ""
        if word == "nobody" or (word == "no" and nxt == "one"):
            end = index + 1 if word == "nobody" else index + 2
            return _Figure(
                index, end, end - 1, 0.0, 0.0, "exact", ["people"], "person", kind="zero"
            )
        if word == "no" and nxt in _ZERO_NOUNS:
            thing, action = _ZERO_NOUNS[nxt]
            return _Figure(
                index, index + 2, index + 1, 0.0, 0.0, "exact", [nxt], thing,
                action=action, fixed_action=action, kind="zero",
            )  # fmt: skip
        return None

    def _figures(
        self,
        tokens: list[Token],
        low: list[str],
        rejected: list[tuple[int, str]] | None = None,
        headline: bool = False,
    ) -> list[_Figure]:
        figures: list[_Figure] = []
        count = len(tokens)
        # One comprehension finds the few tokens that can start a figure; the loop below
        # visits only those, so a long sentence of words costs one C-speed pass.
        starts = [
            i
            for i, word in enumerate(low)
            if word[0].isdigit() or word in _NUMBERISH or word in _FIGURE_OPENERS
        ]
        index = 0
        for start in starts:
            if start < index:
                continue
            index = start
            word = low[index]
            if word in ("no", "nobody"):
                zero = self._zero(low, index)
                if zero is not None:
                    figures.append(zero)
                    index = zero.number_end
                    continue
            if word in ("a", "an") and not (index + 1 < count and low[index + 1] in _A_SCALES):
                continue
            if word in ("no", "nobody"):
                continue
            parsed = _parse_number(tokens, low, index)
            if parsed is None:
                index += 1
                continue
            value, after, vague = parsed
            figure = self._figure(tokens, low, index, value, after, vague, headline)
            if isinstance(figure, str):
                if rejected is not None:
                    rejected.append((index, figure))
                index = max(after, index + 1)
                continue
            figures.append(figure)
            index = max(figure.number_end, index + 1)
        return figures

    def _figure(
        self,
        tokens: list[Token],
        low: list[str],
        index: int,
        value: float,
        after: int,
        vague: tuple[float, float] | None,
        headline: bool = False,
    ) -> _Figure | str:
        """The figure starting at tokens[index], or the named reason it is not a count."""
        lex = self._lex
        count = len(tokens)
        word = tokens[index][0]
        is_digits = word[0].isdigit()
        prev = low[index - 1] if index > 0 else ""
        nxt = low[after] if after < count else ""
        site = _Candidate(tokens, low, index, after, value, word, prev, nxt, is_digits, headline)
        magnitude = _magnitude(site)
        if magnitude is not None:
            return magnitude
        for reason, refuses in NOT_A_COUNT:
            if refuses(site):
                return reason

        # Ranges: "10-20", "10 to 20", "two or three", "between 10 and 20".
        first = index
        high_value: float | None = None
        number_end = after
        between = prev in ("between", "from")
        if (
            vague is None
            and after + 1 < count
            and (nxt in ("-", "to", "or") or (nxt == "and" and prev == "between"))
        ):
            second = _parse_number(tokens, low, after + 1)
            if second is not None and second[2] is None:
                high_value = second[0]
                number_end = second[1]
        if high_value is not None:
            # Scores and vote tallies are pairs, not ranges.
            window = low[max(0, index - 3) : index]
            tail = low[number_end] if number_end < count else ""
            if any(w in _SCORE_PREV for w in window) or tail in _SCORE_NEXT:
                return "score"
            a_text, b_text = word.replace(",", ""), tokens[number_end - 1][0].replace(",", "")
            digits = len(a_text) + len(b_text)
            if is_digits and a_text.isdigit() and b_text.isdigit() and digits >= 7:
                return "phone"  # "555-1234"
            if high_value < value:
                high_value = None
                number_end = after
        if high_value is not None and between:
            first = index - 1

        qualifier_kind = None
        if first == index:
            for size in range(min(_MAX_QUALIFIER, index), 0, -1):
                kind = _QUALIFIERS.get(tuple(low[index - size : index]))
                if kind is not None:
                    qualifier_kind = kind
                    first = index - size
                    break
        if (
            high_value is None
            and number_end < count
            and low[number_end] in ("or", "and")
            and number_end + 1 < count
            and low[number_end + 1] in ("more", "so")
        ):
            # "15 or more" / "15 or so"
            qualifier_kind = "lower" if low[number_end + 1] == "more" else "approx"
            number_end += 2

        # Streets: "10 Downing Street".
        for look in range(number_end, min(number_end + 3, count)):
            if low[look] in _STREET and tokens[look][0][:1].isupper():
                return "street_number"
            if not tokens[look][0][:1].isupper():
                break

        thing_words, last = self._thing(tokens, low, number_end)
        head = thing_words[-1].lower().rstrip("'s") if thing_words else ""
        # "20 km south" is a distance; "three barrel bombs" counts bombs (the head decides).
        lone = len(thing_words) <= 1 or not thing_words[-1].lower().endswith("s")
        if thing_words and (
            (lone and thing_words[0].lower() in lex.units)
            or (lone and thing_words[0].lower() in lex.durations)
            or head in lex.units
            or head in lex.durations
            or head in _MONTHS
        ):
            return "unit_or_duration"
        if number_end < count and (
            low[number_end] in lex.units or low[number_end] in lex.durations
        ):
            return "unit_or_duration"
        if head in _LEGAL:
            return "legal_count"  # "two counts of murder", "three felony charges"
        if head in _FURNITURE_COUNTS:
            return "page_furniture"  # "212 comments", "(2 images)"
        if first >= 2 and low[first - 1] == "of" and low[first - 2] in _SIZE_NOUNS:
            return "size"  # "a town of about 4,500", "a population of 2 million"
        if first >= 2 and low[first - 2 : first] == ["home", "to"]:
            return "size"
        if value == 1 and high_value is None and (not thing_words or nxt == "of"):
            # "one of the ...", "no one" - but "killed one and injured four" counts.
            counted = self._action_before(low, index) or self._action_at_safe(low, number_end)
            if nxt == "of" or not counted:
                return "pronoun_one"
        thing_key = _thing_key(thing_words[-1], lex.things) if thing_words else None
        crowd: str | None = None
        if not thing_words and first >= 2 and low[first - 1] in ("at", "of"):
            # "police put the crowd at 24,000", "a crowd of 5,000": people gathered.
            if low[first - 2] in _CROWD_WORDS:
                thing_words, thing_key, crowd = [tokens[first - 2][0]], "person", "gathered"

        low_bound, high_bound, qualifier = _interval(value, high_value, vague, qualifier_kind)
        for size in (3, 2):
            # "None of the 47 crew were injured": the figure is zero, the 47 only a frame.
            if (
                first >= size
                and low[first - size] in ("none", "neither")
                and (low[first - size + 1] == "of")
            ):
                first -= size
                low_bound, high_bound, qualifier = 0.0, 0.0, "exact"
                break
        partitive = first >= 2 and low[first - 2] == "of" and low[first - 1] in ("the", "those")
        return _Figure(
            partitive=partitive,
            first=first,
            number_end=number_end,
            last=max(last, number_end - 1),
            low=low_bound,
            high=high_bound,
            qualifier=qualifier,
            thing_words=thing_words,
            thing_key=thing_key,
            fixed_action=crowd,
            number_at=index,
            vague=vague is not None,
            word_number=not is_digits,
        )

    def _thing(self, tokens: list[Token], low: list[str], index: int) -> tuple[list[str], int]:
        """The noun phrase after a number: up to four words, ending before a verb or preposition."""
        count = len(tokens)
        if index < count and low[index] == "of":
            index += 1
            if index < count and low[index] in ("the", "these", "those", "them", "its", "their"):
                index += 1
        elif (
            index + 1 < count
            and low[index] in ("more", "other", "additional", "further", "extra")
            and low[index + 1][:1].isalpha()
            and low[index + 1] not in _THING_STOP
        ):
            index += 1  # "three more people", "two other men": the noun follows
        words: list[str] = []
        last = index - 1
        while index < count and len(words) < 4:
            word = tokens[index][0]
            lower = low[index]
            if not word[0].isalpha() or lower in _THING_STOP or self._action_at(low, index):
                break
            if lower.endswith("ing") and len(lower) > 5 and lower not in ("building", "buildings"):
                break
            if lower.endswith("ed") and len(lower) > 4 and words:
                break  # "workers walked out": the verb after the noun
            if lower.endswith("ed") and len(lower) > 4:
                following = low[index + 1] if index + 1 < count else ""
                if (
                    not following[:1].isalpha()
                    or following in _THING_STOP
                    or following.endswith("ed")
                ):
                    break
            words.append(word)
            last = index
            index += 1
        return words, last

    # -- actions -----------------------------------------------------------------------------

    def _action_before(self, low: list[str], index: int) -> bool:
        """Whether an action phrase ends right before tokens[index] ("killed one")."""
        for back in range(max(0, index - 3), index):
            found = self._action_at(low, back)
            if found is not None and back + found[0] == index:
                return True
        return False

    def _action_at_safe(self, low: list[str], index: int) -> bool:
        """Whether an action phrase starts at tokens[index] (or after "was"/"were")."""
        if index < len(low) and low[index] in ("was", "were", "is", "are"):
            index += 1
        return index < len(low) and self._action_at(low, index) is not None

    def _action_at(self, low: list[str], index: int) -> tuple[int, str] | None:
        options = self._lex.actions.get(low[index])
        if not options:
            return None
        for words, action in options:
            if tuple(low[index : index + len(words)]) == words:
                return len(words), action
        return None

    def _assign_actions(
        self, low: list[str], figures: list[_Figure], used: set[int] | None = None
    ) -> None:
        """Each verb goes to its nearest figure; each figure keeps its nearest verb."""
        actions = self._lex.actions
        verbs = [i for i, word in enumerate(low) if word in actions]
        if not verbs or not figures:
            return
        hard = _boundaries(low)
        firsts = [f.first for f in figures]
        best: dict[int, tuple[int, str]] = {}
        index = 0
        for verb_at in verbs:
            if verb_at < index:
                continue
            index = verb_at
            if used and index in used:
                continue
            found = self._action_at(low, index)
            if found is None:
                index += 1
                continue
            size, action = found
            v_first, v_last = index, index + size - 1
            position = bisect.bisect_right(firsts, v_first)
            options: list[tuple[int, int]] = []
            for candidate in (position - 1, position):
                if not 0 <= candidate < len(figures):
                    continue
                figure = figures[candidate]
                if figure.first <= v_first <= figure.last:
                    continue  # the verb is inside the thing phrase ("damaged buildings")
                if v_last < figure.first:
                    lo, hi = v_last, figure.first
                else:
                    lo, hi = figure.last, v_first
                if hi - lo > MAX_ACTION_DISTANCE or hard[hi] != hard[lo]:
                    continue
                # Commas separate clauses softly: "..., injuring three" still works.
                distance = (hi - lo) + 6 * sum(1 for k in range(lo, hi) if low[k] == ",")
                if v_first > figure.last and low[v_first - 1] in _PASSIVE:
                    # "...was killed and five others were wounded": the figure's own
                    # predicate beats a verb of the clause before, at equal distance.
                    distance -= 1
                if distance <= MAX_ACTION_DISTANCE:
                    options.append((distance, candidate))
            if options:
                distance, candidate = min(options)
                after_verb = [c for _, c in options if figures[c].first > v_last]
                if (
                    after_verb
                    and figures[after_verb[0]].first - v_last <= 3
                    and candidate != after_verb[0]
                    and (v_first == 0 or low[v_first - 1] not in _PASSIVE)
                    and all(
                        low[k][:1].isalpha()
                        for k in range(v_last + 1, figures[after_verb[0]].first)
                    )
                ):
                    # "Two car bombs killed at least 18 people": an active verb between two
                    # figures belongs to its object, the subject being the agent.
                    candidate = after_verb[0]
                    distance = dict((c, d) for d, c in options)[candidate]
                if candidate not in best or distance < best[candidate][0]:
                    best[candidate] = (distance, action)
            index += size
        for candidate, (_, action) in best.items():
            figures[candidate].action = action

    def _inherit(self, low: list[str], figures: list[_Figure], previous: _Figure | None) -> None:
        """ "Of those, 55 were shot down": a bare figure counts the thing counted just before."""
        before = previous
        for figure in figures:
            if figure.thing_key is None and before is not None and before.thing_key is not None:
                window = tuple(low[max(0, figure.first - 3) : figure.first])
                anaphora = any(
                    _ends_with(window, phrase) or phrase in _windows(window, len(phrase))
                    for phrase in _ANAPHORA
                )
                after = tuple(low[figure.number_end : figure.number_end + 2])
                anaphora = anaphora or after in _OF_THEM
                if (before.partitive and before is not previous) or anaphora:
                    figure.thing_words = list(before.thing_words)
                    figure.thing_key = before.thing_key
                    figure.inherits = True
                    including = "including" in low[max(0, figure.first - 3) : figure.first]
                    figure.including = including or (before.including and "and" in window)
                    if figure.including and figure.action is None:
                        figure.action = before.action
            before = figure


def _ends_with(window: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    return len(window) >= len(phrase) and window[-len(phrase) :] == phrase


def _windows(window: tuple[str, ...], size: int) -> set[tuple[str, ...]]:
    return {window[i : i + size] for i in range(0, max(0, len(window) - size + 1))}


_HARD_WORDS = frozenset({";", "(", ")"}) | _CLAUSE_WORDS | _SUBORDINATE


def _boundaries(low: list[str]) -> list[int]:
    """Hard clause ids: a verb never crosses a semicolon or a 'while'/'but' clause."""
    return list(accumulate(1 if word in _HARD_WORDS else 0 for word in low))


def _clause_ids(tokens: list[Token]) -> list[int]:
    ids: list[int] = []
    current = 0
    for word, _, _ in tokens:
        if word in _CLAUSE_MARKS or word.lower() in _CLAUSE_WORDS:
            current += 1
        ids.append(current)
    return ids


def _place_for(
    figure: _Figure,
    tokens: list[Token],
    token_starts: list[int],
    spans: list[tuple[int, int, str]],
    span_starts: list[int],
    clauses: list[int],
) -> str | None:
    """The place named in the figure's clause, else the nearest one named before it."""
    if not spans:
        return None
    clause = clauses[figure.first]
    figure_start = tokens[figure.first][1]
    # Only places within a few hundred characters can scope a figure; bisect keeps it cheap.
    left = bisect.bisect_left(span_starts, figure_start - PLACE_REACH)
    right = bisect.bisect_right(span_starts, figure_start + PLACE_REACH)
    same: list[tuple[int, str]] = []
    before: list[tuple[int, str]] = []
    for span_start, _, place_id in spans[left:right]:
        position = min(bisect.bisect_right(token_starts, span_start) - 1, len(tokens) - 1)
        if position < 0:
            continue
        if clauses[position] == clause:
            same.append((abs(span_start - figure_start), place_id))
        elif span_start < figure_start:
            before.append((figure_start - span_start, place_id))
    if same:
        return min(same)[1]
    if before:
        return min(before)[1]
    return None


def _claims(sentence: str) -> list[tuple[int, str | None]]:
    """Attributions in a sentence as (position, claimant); None marks a bare pronoun ("it said")."""
    claims: list[tuple[int, str | None]] = []
    for match in _ACCORDING.finditer(sentence):
        claims.append((match.start(), _tidy_claimant(match.group(1))))
    for match in _SAID_AFTER.finditer(sentence):
        claims.append((match.start(1), _tidy_claimant(match.group(1))))
    for match in _SAID_BEFORE.finditer(sentence):
        claims.append((match.start(1), _tidy_claimant(match.group(1))))
    claims.sort(key=lambda claim: claim[0])
    return claims


def _nearest_claim(
    claims: list[tuple[int, str | None]], position: int, sentence: str
) -> str | None:
    """The attribution nearest the figure, preferring one in the same while/but clause."""
    if not claims:
        return None
    cuts = [m.start() for m in _HARD_CLAUSE.finditer(sentence)]
    clause = bisect.bisect_right(cuts, position)
    named = [
        (bisect.bisect_right(cuts, at) != clause, abs(at - position), claim)
        for at, claim in claims
        if claim
    ]
    return min(named)[2] if named else None


def _tidy_claimant(text: str) -> str | None:
    text = text.strip(" \"'")
    for lead in (
        "and ", "but ", "as ", "while ", "whereas ", "although ", "meanwhile ",
        # "a figure the opposition rejected": the opposition says otherwise.
        "a figure that ", "a figure which ", "a figure ", "a number ", "a toll ",
    ):  # fmt: skip
        if text.lower().startswith(lead):
            text = text[len(lead) :]
    words = text.split()
    if not words or len(words) > 8 or text.lower() in _PRONOUNS:
        return None
    if any(ch.isdigit() for ch in text):
        return None
    return text


def _thing_key(word: str, table: Mapping[str, str]) -> str:
    """The normalised head noun: the [things] synonym if listed, else a rule-based singular."""
    lower = word.lower()
    if lower.endswith("'s"):
        lower = lower[:-2]
    lower = lower.rstrip("'")
    if lower in table:
        return str(table[lower])
    if len(lower) > 4 and lower.endswith("men") and lower not in ("omen", "semen"):
        lower = lower[:-3] + "man"  # "fishermen", "gunmen", "policemen"
    elif len(lower) > 4 and lower.endswith("ies"):
        lower = lower[:-3] + "y"
    elif lower.endswith(("ches", "shes", "sses", "xes", "zes")):
        lower = lower[:-2]
    elif lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(lower) > 3:
        lower = lower[:-1]
    return str(table.get(lower, lower))


def _interval(
    value: float, high: float | None, vague: tuple[float, float] | None, kind: str | None
) -> tuple[float | None, float | None, Qualifier]:
    if vague is not None:
        if kind == "upper":
            return 0.0, vague[1], "upper_bound"
        if kind in ("lower", "more"):
            return vague[0], None, "lower_bound"
        return vague[0], vague[1], "vague"
    if high is not None:
        return value, high, "range"
    if kind == "upper":
        return 0.0, value, "upper_bound"
    if kind == "lower":
        return value, None, "lower_bound"
    if kind == "more":
        return (value + 1 if value == int(value) else value), None, "lower_bound"
    if kind == "fewer":
        return 0.0, max(0.0, value - 1 if value == int(value) else value), "upper_bound"
    if kind == "approx":
        return value * 0.9, value * 1.1, "approximate"
    if kind == "nearly":
        return value * 0.9, value, "approximate"
    return value, value, "exact"


def _parse_number(
    tokens: list[Token], low: list[str], index: int
) -> tuple[float, int, tuple[float, float] | None] | None:
    """Parse a number starting at tokens[index]: (value, next index, vague interval or None)."""
    count = len(tokens)
    word = low[index]
    nxt = low[index + 1] if index + 1 < count else ""
    if word[:1].isdigit():
        if not _DIGITS.fullmatch(word):
            return None
        value = float(word.replace(",", ""))
        after = index + 1
        if nxt in ("thousand", "million", "billion"):
            value *= _SCALES[nxt]
            after += 1
        return value, after, None
    if word in ("tens", "hundreds") and nxt == "of" and index + 2 < count:
        phrase = f"{word} of {low[index + 2]}"
        if phrase in VAGUE:
            return 0.0, index + 3, VAGUE[phrase]
    if word in VAGUE:
        return 0.0, index + 1, VAGUE[word]
    if word in ("a", "an"):
        if nxt == "dozen":
            return 12.0, index + 2, None
        if nxt in _SCALES:
            return _SCALES[nxt], index + 2, None
        return None
    if word == "half" and nxt == "a" and index + 2 < count and low[index + 2] == "dozen":
        return 6.0, index + 3, None
    if word == "dozen":
        return 12.0, index + 1, None
    total = 0.0
    current = 0.0
    consumed = False
    position = index
    while position < count and position < index + 8:
        part = low[position]
        pieces = part.split("-")
        if all(piece in NUMBER_WORDS for piece in pieces) and len(pieces) <= 2:
            current += sum(NUMBER_WORDS[piece] for piece in pieces)
        elif part == "dozen" and consumed:
            current = (current or 1) * 12  # "two dozen"
            position += 1
            break
        elif part in _SCALES and consumed:
            current = (current or 1) * _SCALES[part]
            if _SCALES[part] >= 1000:
                total += current
                current = 0.0
        elif (
            part == "and"
            and consumed
            and position + 1 < count
            and low[position + 1] in NUMBER_WORDS
            and low[position - 1] in _SCALES
        ):
            position += 1
            continue
        else:
            break
        consumed = True
        position += 1
    if not consumed:
        return None
    return total + current, position, None


def _quote_depths(tokens: list[Token]) -> list[int]:
    """How many double quotes stand before each token: odd means inside a quotation."""
    depths: list[int] = []
    seen = 0
    for word, _, _ in tokens:
        depths.append(seen)
        if word == '"':
            seen += 1
    return depths


def _perpetrator(low: list[str], figure: _Figure) -> Perpetrator | None:
    """ "Four dead, including the gunman" counts him; "three killed besides the shooter" and
    "three victims and the gunman" do not. None when the sentence does not say."""
    if figure.action not in ("killed", "injured", "shot"):
        return None
    window = low[figure.number_end : figure.last + 10]
    for i, word in enumerate(window):
        if word not in _ATTACKERS:
            continue
        before = window[max(0, i - 3) : i]
        if "not" in before or _PERP_OUT.intersection(before) or before[-2:] == ["in", "addition"]:
            return "excluded"
        if "including" in before or "among" in before:
            return "included"
        if before[-2:] in (["and", "the"], ["as", "well"]) or before[-1:] == ["and"]:
            return "excluded"
    return None


def _decide_kind(
    kind: str, site: Site, model: RoleModel, lone: bool = False, refers_back: bool = False
) -> tuple[Decision, str, float]:
    """Figures the phrase itself settles skip the scorer: "a man was killed" is the event's
    count (at least one) when it is the article's only victim of that action (`lone`), else
    one victim among others; a magnitude is the event's own measure; "no deaths" is a total of
    zero unless a named rule (an intent, a breakdown) says otherwise."""
    if kind == "singular":
        return ("total", "rule:lone_victim", 1.0) if lone else ("subgroup", "rule:singular", 1.0)
    if kind == "magnitude":
        return "total", "rule:magnitude", 1.0
    if kind == "ordinal":
        return "total", "rule:ordinal", 1.0
    if refers_back or kind == "zero":
        decision, decided_by = decide(site, NO_MODEL)
        if decided_by != "model":
            return decision, decided_by, 1.0
        if refers_back:
            # "Air defences thwarted dozens of these attacks": the story's thing, counted again.
            return "total", "rule:refers_back", 1.0
        if site.section == "body" and site.action in ("killed", "injured"):
            # "No one was injured" deep in a story is mostly about a part of it (no officers,
            # no one else, a later fire), not the event's toll.
            return "subgroup", "rule:zero_aside", 1.0
        return "total", "rule:zero", 1.0
    return decide_with_confidence(site, model)


def _title_case(tokens: list[Token]) -> bool:
    """A headline-style sentence: nearly every longer word starts with a capital."""
    words = [word for word, _, _ in tokens if len(word) > 3 and word.isalpha()]
    return len(words) >= 3 and sum(word[0].isupper() for word in words) >= 0.8 * len(words)


def _value(site: Site) -> float:
    """A figure's size for comparisons: its upper bound, else its lower bound."""
    if site.high_value is not None:
        return site.high_value
    return site.low_value or 0.0


def _is_name(tokens: list[Token], index: int) -> bool:
    """Whether tokens[index] can be part of a person's name: a capitalised word that is not a
    function word, a day or a title."""
    word = tokens[index][0]
    return (
        len(word) > 1
        and word[0].isupper()
        and word.isalpha()
        and not word.isupper()
        and word.lower() not in _NOT_NAMES
        and word.lower() not in _THING_STOP
    )


def _one_person(
    first: int, last: int, action: str, verb: tuple[int, int], noun: str = "person"
) -> _Figure:
    """A named (or headline's bare) person's singular figure."""
    return _Figure(
        first=first,
        number_end=first + 1,
        last=last,
        low=1.0,
        high=1.0,
        qualifier="exact",
        thing_words=[noun],
        thing_key="person" if noun == "person" else noun,
        action=action,
        fixed_action=action,
        verb=verb,
        kind="singular",
    )


_ANOTHER = frozenset({"another", "second", "third", "also", "other", "both"})


def _another(site: Site) -> bool:
    """ "Another man was killed", "a second woman", "was also shot": one more victim."""
    return bool(_ANOTHER.intersection(site.low[max(0, site.first - 2) : site.last + 3]))


_GROWS_WITH = {"shot": {"killed", "injured"}, "killed": {"shot"}, "injured": {"shot"}}


def _narrowed(site: Site, pending: _Pending, article: list[_Pending]) -> bool:
    """ "One died, two are in critical condition and five others were hurt": a group picked
    out by its condition ("in critical condition", "seriously injured") is a subgroup when the
    article gives another figure for the same kind of harm."""
    low = site.low
    after = low[site.number_end : site.last + 7]
    words = set(after)
    narrowed = (
        ("condition" in words and bool(_CONDITIONS.intersection(words)))
        or bool(_CONDITION_ADVERBS.intersection(after[:5]))
        or "scene" in words  # "one was pronounced dead at the scene"
        or bool({"non-life-threatening", "minor"}.intersection(words))
        or ("treated" in words and "released" in words)
    )
    also = "also" in after[:4]
    if not narrowed and not also:
        return False
    related = _GROWS_WITH.get(site.action or "", set()) | {site.action, "shot"}
    # "Also" adds to a figure given before it; a condition narrows any other figure.
    others = article[: article.index(pending)] if also and not narrowed else article
    return any(
        other is not pending and other.site.action in related and other.figure.kind != "zero"
        for other in others
    )


_CONDITIONS = frozenset({"critical", "serious", "stable", "fair", "grave", "good"})
_CONDITION_ADVERBS = frozenset({"seriously", "critically", "severely", "gravely"})


def _adds_to(site: Site, before: list[_Pending]) -> bool:
    """ "…shot his neighbour, then killed three more people": "N more"/"another N" adds to a
    figure the article already gave for the same kind of thing and action. With another
    action it is a new figure ("ten killed and dozens more wounded")."""
    low = site.low
    after = low[site.number_end] if site.number_end < len(low) else ""
    previous = low[site.first - 1] if site.first > 0 else ""
    if after not in ("more", "additional", "further") and previous not in ("another", "further"):
        return False
    counted = [p for p in before if p.site.action is not None]
    if not counted:
        return True  # "he killed two more people": more than someone the text assumes
    related = _GROWS_WITH.get(site.action or "", set()) | {site.action}
    return any(
        _kin_things(p.site.thing_key, site.thing_key) and p.site.action in related for p in counted
    )


_ORDINALS = {
    "second": 2.0, "third": 3.0, "fourth": 4.0, "fifth": 5.0, "sixth": 6.0, "seventh": 7.0,
    "eighth": 8.0, "ninth": 9.0, "tenth": 10.0,
}  # fmt: skip


def _ordinal_figure(
    first: int, noun: int, action: str, verb: tuple[int, int], value: float
) -> _Figure:
    """ "A third suspect was arrested": at least three arrested so far."""
    return _Figure(
        first=first,
        number_end=first + 1,
        last=noun,
        low=value,
        high=None,
        qualifier="lower_bound",
        thing_words=["person"],
        thing_key="person",
        action=action,
        fixed_action=action,
        verb=verb,
        kind="ordinal",
    )
