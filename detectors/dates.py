"""Date mentions resolved against the publication time, and the date an article is about."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import compress
from operator import itemgetter

import dateparser

from detectors.cleaning import tokenize
from topics.signatures import DateMention, Granularity

_MONTH_NUMBERS: dict[str, int] = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
# Month names must be capitalised: "may" and "march" are also ordinary words.
_MONTH = (
    r"(?:(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December)\b|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?)"
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ISO = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DMY = re.compile(
    rf"(?<![\d,.])(\d{{1,2}})(?:st|nd|rd|th)?\s{{1,3}}(?:of\s{{1,3}})?({_MONTH})"
    r"(?:,?\s{1,3}(\d{4})(?!\d))?"
)
_MDY = re.compile(
    rf"\b({_MONTH})\s{{1,3}}(\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])(?:,?\s{{1,3}}(\d{{4}})(?!\d))?"
)
# US numeric dates with a year: "3/4/2013", "03/04/13".
_NUMERIC = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\d/])")
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\s{{1,3}}(\d{{4}})(?!\d)")
_WEEKDAY = re.compile(
    r"\b(?:(last|this|next|on|early|late)\s{1,3})?"
    r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"(?:\s{1,3}(morning|afternoon|evening|night))?"
)
_RELATIVE = re.compile(
    r"\b(today|tonight|yesterday|overnight|last\s{1,3}night|this\s{1,3}morning"
    r"|this\s{1,3}afternoon|this\s{1,3}evening|(?:last|this|next)\s{1,3}(?:week|month|year))\b",
    re.IGNORECASE,
)
# How far ahead of publication an undated "November 18" may point before we read it as last year.
AHEAD_DAYS = 2
MAX_DATES = 100
# dateparser is slow on a cold span; past this many distinct spans per article, parse by hand.
MAX_DATEPARSER_CALLS = 16


@lru_cache(maxsize=4096)
def _dateparse(span: str) -> date | None:
    """dateparser on one span we found (numeric forms, "3/4/2013"); never on whole texts."""
    settings = {"DATE_ORDER": "MDY", "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": True}
    try:
        result = dateparser.parse(span, languages=["en"], settings=settings)  # type: ignore[arg-type]
    except Exception:  # dateparser raises assorted errors on odd input; we fall back by hand
        return None
    return result.date() if result is not None else None


def _numeric_date(match: re.Match[str]) -> date | None:
    """A _NUMERIC match as a date. With a four-digit year and a month of 1-12 dateparser's
    answer is the plain month/day/year date (checked for every such month, day and year form
    in tests/unit/test_fast_paths.py), so it is computed here without the ~1.5 ms call; other
    forms (two-digit years, a first number over 12 read day-first) still go to dateparser."""
    month, day, year = match.groups()
    if len(year) == 4 and 1 <= int(month) <= 12:
        return _safe_date(int(year), int(month), int(day))
    return _dateparse(match.group(0))


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


class _Resolver:
    def __init__(self, published: date) -> None:
        self.published = published
        self.spans: set[str] = set()

    def explicit(self, span: str, month: int, day: int, year: int | None) -> date | None:
        """An explicit day our pattern already read in full; our rule picks a missing year.
        (dateparser on such a span costs ~4 ms cold and adds nothing.)"""
        if year is not None:
            return _safe_date(year, month, day)
        candidate = _safe_date(self.published.year, month, day)
        if candidate is None or candidate > self.published + timedelta(days=AHEAD_DAYS):
            # Undated days point back: "November 18" in a March story is last November.
            candidate = _safe_date(self.published.year - 1, month, day)
        return candidate

    def weekday(self, name: str, modifier: str | None) -> date:
        target = _WEEKDAYS.index(name.lower())
        today = self.published
        if modifier == "next":
            return today + timedelta(days=(target - today.weekday()) % 7 or 7)
        delta = (today.weekday() - target) % 7
        if modifier == "last" and delta == 0:
            delta = 7
        return today - timedelta(days=delta)

    def relative(self, phrase: str) -> tuple[date, Granularity]:
        words = phrase.lower().split()
        today = self.published
        if words == ["yesterday"] or words == ["last", "night"]:
            return today - timedelta(days=1), "day"
        # "Overnight" in a wire story means the night that ended on the publication morning.
        if len(words) == 1 or (
            words[0] == "this" and words[1] in ("morning", "afternoon", "evening")
        ):
            return today, "day"
        shift = {"last": -1, "this": 0, "next": 1}[words[0]]
        if words[1] == "week":
            monday = today - timedelta(days=today.weekday())
            return monday + timedelta(weeks=shift), "week"
        if words[1] == "month":
            month_index = today.year * 12 + today.month - 1 + shift
            return date(month_index // 12, month_index % 12 + 1, 1), "month"
        return date(today.year + shift, 1, 1), "year"


_MODIFIERS = frozenset({"last", "this", "next", "on", "early", "late"})
_WORD = itemgetter(0)
_RELATIVE_STARTS = ("today", "tonight", "yesterday", "overnight", "last", "this", "next")
# One dict lookup per token decides whether any date regex is worth trying there.
_TRIGGERS: dict[str, str] = {
    **{str(year): "year" for year in range(1800, 2200)},
    **{name.capitalize(): "month" for name in _MONTH_NUMBERS},
    **{name.capitalize(): "weekday" for name in _WEEKDAYS},
    **{
        form: "relative"
        for word in _RELATIVE_STARTS
        for form in (word, word.capitalize(), word.upper())
    },
}


def find_dates(
    text: str, published_at: datetime, tokens: list[tuple[str, int, int]] | None = None
) -> list[DateMention]:
    """Every date expression in text, resolved against the publication date.

    Regexes are tried only where a token could start a date (a month, weekday, year or
    relative word), so the cost follows the number of such words, not the text length."""
    if tokens is None:
        tokens = tokenize(text)
    resolver = _Resolver(published_at.date())
    iso: list[re.Match[str]] = []
    dmy: list[re.Match[str]] = []
    mdy: list[re.Match[str]] = []
    month_year: list[re.Match[str]] = []
    weekday: list[re.Match[str]] = []
    relative: list[re.Match[str]] = []
    limit = 4 * MAX_DATES

    def attempt(pattern: re.Pattern[str], position: int, into: list[re.Match[str]]) -> None:
        if len(into) < limit:
            match = pattern.match(text, position)
            if match is not None:
                into.append(match)

    # The trigger of every token, looked up in C; compress() then visits only the few that have
    # one, so a long text without dates costs two C passes.
    kinds = list(map(_TRIGGERS.get, map(_WORD, tokens)))
    for index in compress(range(len(kinds)), kinds):
        kind = kinds[index]
        start = tokens[index][1]
        if kind == "year":
            if index + 1 < len(tokens) and tokens[index + 1][0] == "-":
                attempt(_ISO, start, iso)
            continue
        if kind == "month":
            attempt(_MDY, start, mdy)
            attempt(_MONTH_YEAR, start, month_year)
            for back in range(1, 5):
                if index - back >= 0 and tokens[index - back][0][0].isdigit():
                    before = len(dmy)
                    attempt(_DMY, tokens[index - back][1], dmy)
                    if len(dmy) > before:
                        break
        elif kind == "weekday":
            previous = tokens[index - 1] if index > 0 else None
            if previous is not None and previous[0].lower() in _MODIFIERS:
                attempt(_WEEKDAY, previous[1], weekday)
            else:
                attempt(_WEEKDAY, start, weekday)
        else:
            attempt(_RELATIVE, start, relative)

    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], day: date | None, granularity: Granularity = "day") -> None:
        if day is None or len(found) >= MAX_DATES:
            return
        if any(match.start() < end and start < match.end() for start, end in taken):
            return
        taken.append((match.start(), match.end()))
        found.append(
            DateMention(text=match.group(0), date=day, granularity=granularity, start=match.start())
        )

    for match in iso:
        add(match, _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3))))
    if "/" in text:
        for match in _NUMERIC.finditer(text):
            if len(resolver.spans) >= MAX_DATEPARSER_CALLS:
                break
            resolver.spans.add(match.group(0))
            add(match, _numeric_date(match))
    for match in dmy:
        year = int(match.group(3)) if match.group(3) else None
        month = _MONTH_NUMBERS[match.group(2).lower().rstrip(".")]
        add(match, resolver.explicit(match.group(0), month, int(match.group(1)), year))
    for match in mdy:
        year = int(match.group(3)) if match.group(3) else None
        month = _MONTH_NUMBERS[match.group(1).lower().rstrip(".")]
        add(match, resolver.explicit(match.group(0), month, int(match.group(2)), year))
    for match in month_year:
        month = _MONTH_NUMBERS[match.group(1).lower().rstrip(".")]
        add(match, _safe_date(int(match.group(2)), month, 1), "month")
    for match in weekday:
        modifier = match.group(1).lower() if match.group(1) else None
        add(match, resolver.weekday(match.group(2), modifier))
    for match in relative:
        day, granularity = resolver.relative(match.group(1))
        add(match, day, granularity)
    found.sort(key=lambda mention: mention.start)
    return found


# A dated line this close to the top of the text is the story's own publication stamp.
DATELINE_CHARS = 400
DATELINE_MAX_DAYS = 60
_YEAR = re.compile(r"\d{4}")
# Words that date the reporting, not the event: "was released today".
_REPORTING_WORDS = frozenset({"today", "tonight", "this morning", "this afternoon", "this evening"})


def dateline(dates: list[DateMention], published_at: datetime) -> date | None:
    """The story's own dated stamp near the top ("January 1, 2013 7:18 PM") when it is a
    little before the given publication time (a later crawl or archive date)."""
    published = published_at.date()
    for mention in dates:
        if mention.start >= DATELINE_CHARS:
            break
        if mention.granularity != "day" or _YEAR.search(mention.text) is None:
            continue
        if published - timedelta(days=DATELINE_MAX_DAYS) <= mention.date < published:
            return mention.date
        return None
    return None


def event_date(
    title_dates: list[DateMention],
    dates: list[DateMention],
    lead_end: int,
    published_at: datetime,
) -> date:
    """The day the article is about: the headline's or lead's first day-date (a weekday or
    an explicit date before "today", which dates the reporting), else the most frequent
    day-date, else the publication date."""
    for mention in title_dates:
        if mention.granularity == "day":
            return mention.date
    lead = [m for m in dates if m.start < lead_end and m.granularity == "day"]
    # A stamp with a year at the very top is the publication line, not the event.
    if len(lead) > 1 and lead[0].start < DATELINE_CHARS and _YEAR.search(lead[0].text):
        lead = lead[1:]
    for mention in lead:
        if mention.text.lower() not in _REPORTING_WORDS:
            return mention.date
    for mention in lead:
        return mention.date
    days = [mention.date for mention in dates if mention.granularity == "day"]
    if days:
        counts = Counter(days)
        best = max(counts.values())
        return next(day for day in days if counts[day] == best)
    return published_at.date()
