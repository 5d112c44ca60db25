"""What a figure is to its article's event: total, part, subgroup, increment, background or
hypothetical, decided once per number mention in extraction.

Two layers decide, in order:
1. Named rules (`RULES`): structural wording that settles the role whatever the topic
   ("including two children" is a part, "two more" an increment, "tried to kill two" an intent).
2. A multinomial logistic scorer over the mention's context (`RoleModel`), fitted on labelled
   mentions by benchmarks/fit_roles.py; its weights are the operator table
   config/figure_roles.toml. It may also say `not_count` ("one of the neighbours said").

Numbers that are not counts at all (ages, dates, model names...) never get here: the figure
finder refuses them with a named reason first (detectors/figures.py, NOT_A_COUNT).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Literal

from topics.signatures import Role, Section

Decision = Literal[
    "not_count", "total", "part", "subgroup", "increment", "background", "hypothetical"
]
CLASSES: Final[tuple[Decision, ...]] = (
    "not_count",
    "total",
    "part",
    "subgroup",
    "increment",
    "background",
    "hypothetical",
)

# Cue word groups. They name general ways English marks a number's relation to the event,
# not any one article's words; the scorer learns how much each is worth.
_CUES: Final[dict[str, frozenset[str]]] = {
    # Intent, threat, attempt, capacity, condition.
    "intent": frozenset(
        """tried try tries trying attempt attempted attempting attempts plan plans planned
        planning plot plotted plotting threaten threatens threatened threatening threat hope
        hoped hopes hoping intend intended intends intending aim aimed aims aiming vow vowed
        vows want wanted wants wanting could would might may can capable capacity enough
        risk risks potentially possibly conspiracy conspired conspiring if unless expected
        seek seeks sought goal""".split()
    ),
    # Explicit breakdown of a stated whole.
    "part": frozenset("including include includes included among comprising whom".split()),
    # Something added to a figure already given.
    "increment": frozenset("more additional another further extra other others".split()),
    # Periods, tallies and statistics: a count of many incidents.
    "tally": frozenset(
        """total totals tally tallies toll homicide homicides murders statistics rate record
        records annual annually yearly citywide nationwide statewide countrywide so-far
        year-to-date cumulative overall figures monitor observatory since war conflict
        uprising revolution crisis each per every annually nationwide""".split()
    ),
    "period": frozenset(
        """year years month months week weeks weekend decade decades since
        january february march april june july august september october november december
        alone during throughout""".split()
    ),
    # Another incident than the article's own.
    "elsewhere": frozenset(
        """separate separately unrelated earlier previous previously prior last ago former
        similar anniversary another other history historic deadliest worst""".split()
    ),
    # A narrower group of the event's people.
    "subgroup": frozenset(
        """one two three of victims dead wounded injured outside inside scene critical serious
        seriously critically minor stable condition remaining second third later""".split()
    ),
    # Growth of a figure: "the toll rose to 12".
    "update": frozenset(
        "rose risen rises climbed climbs reached now brings bringing raising".split()
    ),
    "negation": frozenset("no not none never without nobody".split()),
}
_PERIOD = re.compile(
    r"\b(?:since (?:the (?:start|beginning|outbreak) of |the )?[\w'-]+(?: [\w'-]+){0,3}"
    r"|(?:so far |earlier )?this (?:year|month|week|decade|century)"
    r"|(?:last|past|previous) (?:year|month|week|decade)"
    r"|(?:over|in|during) the (?:past|last|previous) (?:\w+ )?(?:days|weeks|months|years)"
    r"|in (?:19|20)\d\d\b"
    r"|in (?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december) alone"
    r"|year[- ]to[- ]date|to date|for the year"
    # "from Friday evening to Sunday morning": a span of days, a roundup's period.
    r"|from (?:early |late )?(?:mon|tues|wednes|thurs|fri|satur|sun)day(?: \w+)?"
    r" (?:to|until|through) (?:early |late )?(?:mon|tues|wednes|thurs|fri|satur|sun)day)",
)
_INTENT_FRAMES: Final = (
    ("tried", "to"), ("trying", "to"), ("try", "to"), ("attempted", "to"), ("attempting", "to"),
    ("attempt", "to"), ("plotted", "to"), ("plotting", "to"), ("planned", "to"),
    ("planning", "to"), ("plans", "to"), ("plan", "to"), ("threatened", "to"),
    ("threatening", "to"), ("threatens", "to"), ("hoped", "to"), ("hoping", "to"),
    ("intended", "to"), ("intending", "to"), ("aimed", "to"), ("vowed", "to"),
    ("wanted", "to"), ("conspired", "to"), ("conspiracy", "to"), ("enough", "to"),
    ("capable", "of"), ("could",), ("would",), ("might",),
)  # fmt: skip
_INCLUDING: Final = frozenset({"including", "includes", "included", "comprising"})
_OF_THEM: Final = frozenset({"them", "those", "these", "whom", "which"})
_MORE_AFTER: Final = frozenset({"more", "additional", "further", "extra"})
_MORE_BEFORE: Final = frozenset({"another", "further", "additional"})
_PEOPLE: Final = frozenset(
    """person man woman child boy girl teen teenager victim officer civilian student
    resident troop fighter soldier worker casualty adult suspect protester""".split()
)
_PERFECT: Final = frozenset({"has", "have"})
_HARD: Final = frozenset({";", "while", "whereas", "but", "although", "though"})
# Tokens that end the stretch of words around a figure that features look at.
_WINDOW = 4


@dataclass(eq=False)
class Site:
    """One figure mention as the decision sees it (built by detectors.figures.FigureFinder).

    Not frozen: the finder fills in the article-level fields (`largest`, `title_value`, ...)
    once the whole article is read, before anything reads the cached rule verdicts."""

    low: tuple[str, ...]  # the sentence's lower-cased tokens
    first: int  # first token of the figure, qualifier included
    number_at: int  # first token of the number itself
    number_end: int  # token after the number
    last: int  # last token of the figure and the noun phrase it counts
    low_value: float | None
    high_value: float | None
    qualifier: str
    vague: bool
    word_number: bool
    thing_key: str | None
    action: str | None
    inherits: bool
    partitive: bool
    section: Section
    sentence_index: int
    claimant: bool
    quoted: bool
    # Earlier figures of the article for the same action and thing, and whether one of them
    # had the same value (a repeated total, or the whole that this one breaks down).
    earlier_same: int = 0
    earlier_equal: bool = False
    earlier_larger: bool = False
    definite: bool = False  # "the four victims", "all five": a reference to a known group
    # Known once the whole article is read: the largest value the article gives for this
    # action, the article's first figure for it, the same value as its title's figure.
    largest: bool = False
    first_for_action: bool = False
    title_value: bool = False

    # Derived once at construction: every rule reads the clause.
    clause: tuple[int, int] = field(init=False)
    clause_set: frozenset[str] = field(init=False)
    clause_text: str = field(init=False)

    def __post_init__(self) -> None:
        self.clause = _clause_of(self.low, self.first, self.last)
        start, end = self.clause
        words = self.low[start:end]
        self.clause_set = frozenset(words)
        self.clause_text = " ".join(words)

    @cached_property
    def period(self) -> str | None:
        return _period_of(self)

    @cached_property
    def hits(self) -> dict[str, bool]:
        """Each named rule's verdict on this mention, evaluated once."""
        return {name: predicate(self) for name, _, predicate in (*RULES, *CUE_RULES)}

    @cached_property
    def features(self) -> dict[str, float]:
        return _features(self)
    # Its place is named and is not where the title and lead's figures are.
    other_place: bool = False
    # Against the title's figure for the same action: far larger (a war-wide toll beside a
    # strike's) or smaller (a subgroup).
    above_title: bool = False
    below_title: bool = False
    # Content words the figure's sentence shares with the title (the main event's words).
    title_overlap: int = 0
    # The article's publication year (a figure in a clause naming an earlier year counts
    # another period's event).
    year: int | None = None


def clause(site: Site) -> tuple[int, int]:
    """Token range of the figure's clause: between semicolons and while/but boundaries, and
    never more than MAX_CLAUSE tokens either side (a 1 MB "sentence" is not one clause, and
    every rule reads this range)."""
    return site.clause


MAX_CLAUSE = 40


def _clause_of(low: tuple[str, ...], first: int, last: int) -> tuple[int, int]:
    start = first
    floor = max(0, first - MAX_CLAUSE)
    while start > floor and low[start - 1] not in _HARD:
        start -= 1
    end = last + 1
    ceiling = min(len(low), last + 1 + MAX_CLAUSE)
    while end < ceiling and low[end] not in _HARD:
        end += 1
    return start, end


def period_of(site: Site) -> str | None:
    return site.period


_PERIOD_HINTS: Final = frozenset(
    "since this last past previous year date alone from for years days weeks months".split()
)


def _period_of(site: Site) -> str | None:
    """The period the figure's clause says it counts ("since 2011", "this year"), if any."""
    if site.clause_set.isdisjoint(_PERIOD_HINTS) and _YEAR.search(site.clause_text) is None:
        return None
    match = _PERIOD.search(site.clause_text)
    return match.group(0) if match else None


def _has_frame(words: tuple[str, ...], frames: tuple[tuple[str, ...], ...]) -> bool:
    """Whether any frame occurs as consecutive words (one substring search per frame)."""
    text = f" {' '.join(words)} "
    return any(needle in text for needle in _needles(frames))


_NEEDLES: dict[int, tuple[str, ...]] = {}


def _needles(frames: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
    """The frames as padded strings, built once per frame table."""
    found = _NEEDLES.get(id(frames))
    if found is None:
        found = _NEEDLES[id(frames)] = tuple(f" {' '.join(frame)} " for frame in frames)
    return found


# -- named rules ------------------------------------------------------------------------------


def _intent(site: Site) -> bool:
    """An intent, attempt or modal frame governs the figure: "tried to kill two officers"."""
    start, _ = clause(site)
    before = site.low[max(start, site.first - 6) : site.first]
    return _has_frame(before, _INTENT_FRAMES)


def _including(site: Site) -> bool:
    """ "…, including two children": the figure breaks down one stated before it."""
    before = site.low[max(0, site.first - 3) : site.first]
    return any(word in _INCLUDING for word in before) or before[-2:] == ("among", "them")


def _of_them(site: Site) -> bool:
    """ "Of those, 55…", "two of them", "three of whom": a share of a stated whole."""
    before = site.low[max(0, site.first - 3) : site.first]
    after = site.low[site.number_end : site.number_end + 3]
    if len(after) >= 2 and after[0] == "of" and after[1] in _OF_THEM:
        # "two of them" is a share; "dozens of these attacks" only points back at a noun.
        return after[1] in ("them", "whom", "which") or len(after) < 3 or not after[2].isalpha()
    return "of" in before and any(word in _OF_THEM for word in before)


def _of_those_opening(site: Site) -> bool:
    """ "Of those, 55 were shot down", "of which 12 were children": a share of the whole just
    stated, introduced before the figure."""
    before = site.low[max(0, site.first - 3) : site.first]
    return (
        len(before) >= 2
        and "of" in before
        and bool({"those", "them", "these", "which", "whom"}.intersection(before))
    )


def _more(site: Site) -> bool:
    """ "Two more", "another 30", "a further five": an addition to an earlier figure."""
    after = site.low[site.number_end] if site.number_end < len(site.low) else ""
    before = site.low[site.first - 1] if site.first > 0 else ""
    return after in _MORE_AFTER or before in _MORE_BEFORE


_ROUNDUP_WORDS: Final = frozenset(
    """shootings stabbings incidents homicides killings separate unrelated citywide countywide
    statewide nationwide""".split()
)
_ACROSS: Final = frozenset({"city", "county", "state", "country", "region", "town"})


_ROUNDUP_HINTS: Final = frozenset(
    """shootings stabbings incidents homicides killings separate unrelated citywide countywide
    statewide nationwide across weekend""".split()
)


def _roundup(site: Site) -> bool:
    """ "Eleven shot in separate shootings", "one of 9 killed in shootings across the city",
    "8 dead in weekend violence": a figure that adds up several incidents."""
    if site.clause_set.isdisjoint(_ROUNDUP_HINTS):
        return False
    start, end = clause(site)
    words = site.low[start:end]
    if _ROUNDUP_WORDS.intersection(words):
        return True
    return any(
        words[i] == "across" and words[i + 2] in _ACROSS for i in range(len(words) - 2)
    ) or any(
        words[i] == "weekend" and words[i + 1] in ("violence", "shootings")
        for i in range(len(words) - 1)
    )


def _tally_period(site: Site) -> bool:
    """A period the figure counts over ("since 2011", "so far this year"): a tally."""
    return period_of(site) is not None


_REVISION: Final = frozenset(
    "rose risen rises rising climbed climbs climbing increased jumped grew grown revised".split()
)


def revised(site: Site) -> bool:
    """ "The toll rose to 12", "has now reached 9", "up from 4": worded as a revision."""
    start, _ = clause(site)
    before = site.low[max(start, site.first - 6) : site.first]
    if _REVISION.intersection(before) or ("now" in before and "stands" in before):
        return True
    return ("reached" in before and "has" in before) or before[-2:] == ("up", "from")


_AREA_POSSESSIVES: Final = frozenset(
    {"city's", "county's", "state's", "country's", "nation's", "town's", "region's"}
)
_AREA_NOUNS: Final = frozenset({"city", "county", "state", "country", "nation"})
_TALLY_NOUNS: Final = frozenset(
    "total tally homicide homicides murders killings shootings toll count".split()
)


def _area_tally(site: Site) -> bool:
    """A count for a whole area over a period or across incidents: "the city's homicide total
    reached 87 for the year", "19 people shot in the city since Friday", "3 killed in city
    shootings Monday"."""
    if site.clause_set.isdisjoint(_AREA_HINTS):
        return False
    start, end = clause(site)
    words = site.low[start:end]
    area = (
        bool(_AREA_POSSESSIVES.intersection(words))
        or any(
            words[i] == "in" and words[i + 1] == "the" and words[i + 2] in _AREA_NOUNS
            for i in range(len(words) - 2)
        )
        or any(
            words[i] in _AREA_NOUNS and words[i + 1] in _TALLY_NOUNS for i in range(len(words) - 1)
        )
    )
    return area and (
        _tally_period(site)
        or _roundup(site)
        or bool(_TALLY_NOUNS.intersection(words) and "for" in words and "year" in words)
    )


_EARLIER_FRAMES: Final = (
    ("a", "year", "after"), ("years", "after"), ("months", "after"), ("a", "year", "ago"),
    ("years", "ago"), ("in", "a", "separate"), ("in", "an", "unrelated"),
)  # fmt: skip
_OTHER_SITES: Final = frozenset(
    """shooting attack incident complex building school club bar party house home apartment
    street massacre raid strike bombing""".split()
)


def _elsewhere(site: Site) -> bool:
    """Another incident named as such: "a year after six were shot at another complex",
    "in a separate shooting"."""
    if site.clause_set.isdisjoint(_ELSEWHERE_HINTS):
        return False
    start, end = clause(site)
    words = site.low[start:end]
    if _has_frame(words, _EARLIER_FRAMES):
        return True
    return any(
        (words[i] == "another" and words[i + 1] in _OTHER_SITES)
        or (words[i] == "another" and i + 2 < len(words) and words[i + 2] in _OTHER_SITES)
        for i in range(len(words) - 1)
    )


_INCIDENTS: Final = frozenset({"shootings", "stabbings", "incidents", "attacks", "crashes"})
_MANY: Final = frozenset({"separate", "unrelated", "overnight", "weekend", "several"})
_SPANS: Final = frozenset({"night", "weekend", "day", "week", "month", "year", "summer"})


def _several_incidents(site: Site) -> bool:
    """A figure adding up several incidents: "2 dead, 8 wounded in separate shootings",
    "one killed, four wounded in overnight shootings", "a violent weekend", "a pair of
    shootings", "seven murdered in three shootings", "3 dead in South Side shootings"."""
    if site.clause_set.isdisjoint(_INCIDENT_HINTS):
        return False
    start, end = clause(site)
    words = site.low[start:end]
    for i, word in enumerate(words):
        if word == "violent" and i + 1 < len(words) and words[i + 1] in _SPANS:
            return True
        if word not in _INCIDENTS:
            continue
        before = words[max(0, i - 3) : i]
        if _MANY.intersection(before) or before[-2:] in (("pair", "of"), ("series", "of")):
            return True
        if before and (before[-1][:1].isdigit() or before[-1] in _NUMBER_WORDS):
            return True  # "three shootings", "12 separate incidents"
        # "in South Side shootings": shootings of an area, not one named event.
        if "in" in before and not {"the", "these", "those", "saturday's", "sunday's"} & set(before):
            return True
    return False


_NUMBER_WORDS: Final = frozenset(
    "two three four five six seven eight nine ten eleven twelve dozen".split()
)


def _earlier_year(site: Site) -> bool:
    """ "the Nov. 5, 2009, shooting that killed 13" in a later year's article: another event."""
    if site.year is None or _YEAR.search(site.clause_text) is None:
        return False
    if site.year is None:
        return False
    start, end = clause(site)
    return any(
        len(w) == 4 and w.isdigit() and 1900 <= int(w) < site.year for w in site.low[start:end]
    )


_CONDITIONS: Final = frozenset({"critical", "serious", "stable", "fair", "grave", "good"})
_ADVERBS: Final = frozenset({"seriously", "critically", "severely", "gravely", "slightly"})


def _narrower(site: Site) -> bool:
    """A group the sentence narrows by condition, identity or "also": "two are in critical
    condition", "two were seriously injured", "the identities of three victims", "two
    officers also wounded"."""
    low = site.low
    start, end = clause(site)
    after = low[site.number_end : min(end, site.last + 7)]
    if "condition" in after and _CONDITIONS.intersection(after):
        return True
    if _ADVERBS.intersection(after[:5]) or "also" in after[:4]:
        return True
    before = low[max(start, site.first - 3) : site.first]
    return before[-2:] == ("identities", "of") or before[-2:] == ("names", "of")


_SPAN = re.compile(
    r"\bfrom (?:early |late )?(?:mon|tues|wednes|thurs|fri|satur|sun)day(?: \w+)?"
    r" (?:to|until|through|and) (?:early |late )?(?:mon|tues|wednes|thurs|fri|satur|sun)day"
)


def _day_span(site: Site) -> bool:
    """ "11 people shot from Tuesday afternoon to early Wednesday": a count over days."""
    return _SPAN.search(site.clause_text) is not None


_ALONGSIDE: Final = (("another",), ("a", "second"), ("a", "third"), ("along", "with"))


def _one_of_several_groups(site: Site) -> bool:
    """ "Two women were shot in the hand while another woman was shot in the leg", "two
    students were hurt along with a third": the sentence counts more than this group."""
    if _ALONGSIDE_HINTS.isdisjoint(site.low[site.last + 1 : site.last + 1 + MAX_CLAUSE]):
        return False
    after = site.low[site.last + 1 : site.last + 1 + MAX_CLAUSE]
    thing = site.thing_key
    if thing is None:
        return False
    for i in range(len(after)):
        for frame in _ALONGSIDE:
            if after[i : i + len(frame)] != frame:
                continue
            nouns = after[i + len(frame) : i + len(frame) + 3]
            # The same kind of thing again: "two women ... another woman".
            if any(_singular(word) == thing for word in nouns):
                return True
    return False


def _singular(word: str) -> str:
    if word.endswith("men"):
        return word[:-3] + "man"
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _identified(site: Site) -> bool:
    """ "The identities of three victims", "the names of two of the dead": those named so
    far, not how many there were."""
    before = site.low[max(0, site.first - 3) : site.first]
    return before[-2:] in (("identities", "of"), ("names", "of"), ("identity", "of"))


_LEGAL_FRAMES: Final = (
    ("accused", "of"), ("charged", "with"), ("charged", "in"), ("charges", "in"),
    ("convicted", "of"), ("indicted", "in"), ("indicted", "for"), ("sentenced", "for"),
    ("guilty", "of"), ("trial", "for"), ("trial", "in"), ("filed", "in"),
)  # fmt: skip


def _charged(site: Site) -> bool:
    """ "Accused of killing two men", "charges filed in a double slaying": the killings a
    charge names, which are often fewer than the event's."""
    if _LEGAL_HINTS.isdisjoint(site.low[max(0, site.first - 4) : site.first]):
        return False
    start, _ = clause(site)
    # The charge names the figure itself: "accused of killing two", "charged in a double
    # slaying" - not "charged in the shooting that killed three".
    before = site.low[max(start, site.first - 4) : site.first]
    return any(before[i : i + 2] == frame for frame in _LEGAL_FRAMES for i in range(len(before)))


_WHOLE_PERIOD = re.compile(
    r"\b(?:(?:in|during|throughout|since) (?:january|february|march|april|may|june|july"
    r"|august|september|october|november|december)\b(?! \d)"
    r"|(?:in|over|during) the (?:past|last|previous) (?:\w+ )?(?:hours|days|weeks|months|years)"
    r"|(?:this|last|past) (?:week|month|year))"
)


def _whole_period(site: Site) -> bool:
    """A count over a span, not one event: "in May more than 60 were killed", "in the past
    24 hours", "this year"."""
    return _WHOLE_PERIOD.search(site.clause_text) is not None


def _roundup_period(site: Site) -> bool:
    """Several incidents over a period ("9 killed in shootings across the city from Friday to
    Sunday"): both a roundup's words and a period in the clause."""
    return _roundup(site) and _tally_period(site)


_RISEN_TO: Final = frozenset(
    "rose risen rises rising climbed climbs increased jumped grew reached revised raised".split()
)


def _risen_to(site: Site) -> bool:
    """ "The death toll rose to 7", "has reached 12", "now stands at 9": the current toll."""
    before = site.low[max(0, site.first - 3) : site.first]
    if before[-1:] == ("to",) and _RISEN_TO.intersection(before):
        return True
    toll = bool({"toll", "total", "number", "figure", "tally"}.intersection(site.low[: site.first]))
    return (toll and before[-1:] == ("reached",)) or before[-3:] == ("now", "stands", "at")


Rule = tuple[str, Role, Callable[[Site], bool]]
# Rules that decide on their own: each held at least 0.8 precision on the fitting half of the
# labelled mentions (benchmarks/fit_roles.py prints every rule's record).
RULES: Final[tuple[Rule, ...]] = (
    ("intent", "hypothetical", _intent),
    ("risen_to", "total", _risen_to),
    ("including", "part", _including),
    ("of_those", "part", _of_those_opening),
    ("roundup_period", "background", _roundup_period),
    ("area_tally", "background", _area_tally),
    ("elsewhere", "background", _elsewhere),
    ("several_incidents", "background", _several_incidents),
    ("earlier_year", "background", _earlier_year),
    ("day_span", "background", _day_span),
    ("one_of_several_groups", "subgroup", _one_of_several_groups),
    ("identified", "subgroup", _identified),
    ("charged", "subgroup", _charged),
)
# Rules too loose to decide alone ("two more" is often a new category, "since Friday" often
# the event's own span): they are features, and the scorer learns what each is worth.
CUE_RULES: Final[tuple[Rule, ...]] = (
    ("narrower", "subgroup", _narrower),
    ("whole_period", "background", _whole_period),
    ("roundup", "background", _roundup),
    ("of_them", "part", _of_them),
    ("more", "increment", _more),
    ("period", "background", _tally_period),
)


# Cheap tests before the rules that walk the clause: most clauses have none of these words.
_AREA_HINTS: Final = frozenset(
    {"city's", "county's", "state's", "country's", "nation's", "town's", "region's"}
    | {"city", "county", "state", "country", "nation"}
)
_ELSEWHERE_HINTS: Final = frozenset({"another", "after", "ago", "separate", "unrelated"})
_INCIDENT_HINTS: Final = frozenset(
    {"shootings", "stabbings", "incidents", "attacks", "crashes", "violent"}
)
_YEAR: Final = re.compile(r"\b(?:19|20)\d\d\b")
_ALONGSIDE_HINTS: Final = frozenset({"another", "second", "third", "along"})
_LEGAL_HINTS: Final = frozenset(
    {"accused", "charged", "charges", "convicted", "indicted", "sentenced", "guilty", "trial",
     "filed"}
)  # fmt: skip


# -- features ---------------------------------------------------------------------------------


def _year_in(words: tuple[str, ...]) -> bool:
    """A year named in the clause ("in 2013", "the 1999 shooting"): often another period."""
    return any(len(w) == 4 and w.isdigit() and 1900 <= int(w) <= 2099 for w in words)


def _bucket(value: float | None) -> str:
    if value is None:
        return "none"
    for bound, name in ((0, "0"), (1, "1"), (5, "2-5"), (20, "6-20"), (100, "21-100")):
        if value <= bound:
            return name
    return "101-1000" if value <= 1000 else "1000+"


def features(site: Site) -> dict[str, float]:
    """The mention's context as named binary features (the scorer's input), computed once."""
    return site.features


def _features(site: Site) -> dict[str, float]:
    low = site.low
    feats: dict[str, float] = {}
    for offset in range(1, 4):
        at = site.first - offset
        feats[f"L{offset}={low[at] if at >= 0 else '<s>'}"] = 1.0
        at = site.number_end + offset - 1
        feats[f"R{offset}={low[at] if at < len(low) else '</s>'}"] = 1.0
    after_thing = site.last + 1
    feats[f"T1={low[after_thing] if after_thing < len(low) else '</s>'}"] = 1.0
    start, end = clause(site)
    before = set(low[max(start, site.first - _WINDOW) : site.first])
    after = set(low[site.number_end : min(end, site.last + 1 + _WINDOW)])
    rest = set(low[start:end])
    for name, words in _CUES.items():
        if before & words:
            feats[f"cue:{name}:before"] = 1.0
        if after & words:
            feats[f"cue:{name}:after"] = 1.0
        if rest & words:
            feats[f"cue:{name}:clause"] = 1.0
    for name, hit in site.hits.items():
        if hit:
            feats[f"rule:{name}"] = 1.0
    feats[f"section={site.section}"] = 1.0
    if site.section != "title":
        feats[f"title_overlap={min(site.title_overlap, 3)}"] = 1.0
    feats[f"sentence={min(site.sentence_index, 5)}"] = 1.0
    feats[f"qualifier={site.qualifier}"] = 1.0
    feats[f"value={_bucket(site.low_value if site.low_value is not None else site.high_value)}"] = (
        1.0
    )
    if site.vague:
        feats["vague"] = 1.0
    if site.word_number:
        feats["word_number"] = 1.0
    thing = site.thing_key
    feats[f"thing={'none' if thing is None else ('people' if thing in _PEOPLE else 'other')}"] = 1.0
    feats[f"action={site.action or 'none'}"] = 1.0
    if thing is not None:
        feats[f"thing_key={thing}"] = 1.0  # kept by the fit only when seen often enough
    for flag, on in (
        ("inherits", site.inherits),
        ("partitive", site.partitive),
        ("claimant", site.claimant),
        ("quoted", site.quoted),
        ("earlier_same", site.earlier_same > 0),
        ("earlier_equal", site.earlier_equal),
        ("earlier_larger", site.earlier_larger),
        ("definite", site.definite),
        ("largest", site.largest),
        ("first_for_action", site.first_for_action),
        ("title_value", site.title_value),
        ("other_place", site.other_place),
        ("above_title", site.above_title),
        ("below_title", site.below_title),
        ("year_in_clause", _year_in(site.low[start:end])),
        ("perfect_tense", bool(_PERFECT.intersection(site.low[start:end]))),
        ("pluperfect", "had" in site.low[start:end]),
    ):
        if on:
            feats[flag] = 1.0
    return feats


# -- the scorer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleModel:
    """A multinomial logistic model over `features`: weights per class, from a TOML table.

    Inference is a sum of the weights of the features present, per class, then a softmax.
    `total_threshold` trades total recall for precision: below it, the next best role wins.
    """

    intercepts: Mapping[str, float]
    weights: Mapping[str, Mapping[str, float]]  # feature -> class -> weight
    total_threshold: float = 0.5
    # Headlines and leads state the story's toll far more reliably than the body does, so
    # each has its own threshold (fitted separately; the body's is stricter).
    headline_threshold: float | None = None
    body_threshold: float | None = None

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> RoleModel:
        intercepts = {str(k): float(v) for k, v in table.get("intercepts", {}).items()}
        unknown = set(intercepts) - set(CLASSES)
        if unknown:
            raise ValueError(f"figure_roles.toml: unknown classes {sorted(unknown)}")
        weights: dict[str, dict[str, float]] = {}
        for name in CLASSES:
            for feature, weight in table.get("weights", {}).get(name, {}).items():
                weights.setdefault(str(feature), {})[name] = float(weight)
        decision = table.get("decision", {})
        threshold = float(decision.get("total_threshold", 0.5))
        headline = decision.get("total_threshold_headline")
        body = decision.get("total_threshold_body")
        return cls(
            intercepts=intercepts,
            weights=weights,
            total_threshold=threshold,
            headline_threshold=None if headline is None else float(headline),
            body_threshold=None if body is None else float(body),
        )

    def threshold_for(self, section: str) -> float:
        chosen = self.body_threshold if section == "body" else self.headline_threshold
        return self.total_threshold if chosen is None else chosen

    def probabilities(self, feats: Mapping[str, float]) -> dict[Decision, float]:
        vectors = self._vectors
        scores = list(self._bias)
        for feature in feats:
            vector = vectors.get(feature)
            if vector is not None:
                for k, weight in vector:
                    scores[k] += weight  # features are binary: value 1
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        total = sum(exps)
        return {name: exps[k] / total for k, name in enumerate(CLASSES)}

    @cached_property
    def _bias(self) -> tuple[float, ...]:
        return tuple(self.intercepts.get(name, 0.0) for name in CLASSES)

    @cached_property
    def _vectors(self) -> dict[str, tuple[tuple[int, float], ...]]:
        """Feature -> (class index, weight) pairs, built once from the table."""
        index: dict[str, int] = {name: k for k, name in enumerate(CLASSES)}
        return {
            feature: tuple((index[name], weight) for name, weight in per_class.items())
            for feature, per_class in self.weights.items()
        }

    def predict(self, feats: Mapping[str, float], section: str = "body") -> tuple[Decision, float]:
        """The role and its probability (below the section's threshold a total gives way)."""
        probs = self.probabilities(feats)
        ranked = sorted(probs.items(), key=lambda item: -item[1])
        best, p = ranked[0]
        if best == "total" and p < self.threshold_for(section):
            best, p = ranked[1]
        return best, p


# With no fitted table the finder still works: every mention no rule decides is a total.
NO_MODEL: Final = RoleModel(intercepts={"total": 10.0}, weights={})


def decide(site: Site, model: RoleModel) -> tuple[Decision, str]:
    """The mention's role (or `not_count`) and what decided it: 'rule:<name>' or 'model'."""
    decision, decided_by, _ = decide_with_confidence(site, model)
    return decision, decided_by


def decide_with_confidence(site: Site, model: RoleModel) -> tuple[Decision, str, float]:
    """As `decide`, with how sure it is: 1.0 for a rule, the scorer's probability otherwise."""
    hits = site.hits
    for name, role, _ in RULES:
        if hits[name]:
            return role, f"rule:{name}", 1.0
    decision, probability = model.predict(features(site), site.section)
    return decision, "model", probability
