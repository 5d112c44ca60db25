"""Distinctive keys of an article's event: what a follow-up weeks later still names.

A charge, a court date or a funeral is reported days or weeks after the shooting, with new
words around the same few specifics: the victim's and suspect's full names, the street address
("the 4800 block of Madyson Ridge Drive"), the bar or store where it happened. These keys are
kept (detectors.memory, workers.store) after a story stops taking ordinary matches, so the
follow-up can find its story. Officials (a spokesman, a sheriff) recur across a beat's stories,
so only people named without an office or role count; how distinctive a key really is, is
measured at match time by how many remembered stories carry it.

Keys: "person:<slug>" (an actor id), "addr:<block>-<street>" for a numbered address (the number
rounded down to its hundred block, so "4817 Main St." and "the 4800 block of Main Street"
agree), "street:<street>" for a street named without a number, "venue:<slug>" for a named
business or venue ("Club Blu", "the Lakeside Tavern"), "org:<slug>" for a named organisation
that is not a public body.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from detectors.lexicon import slugify
from topics.signatures import Actor

MAX_KEYS: Final = 24

_SUFFIXES: Final = {
    "street": "st", "st": "st", "avenue": "ave", "ave": "ave", "av": "ave", "road": "rd",
    "rd": "rd", "drive": "dr", "dr": "dr", "boulevard": "blvd", "blvd": "blvd", "lane": "ln",
    "ln": "ln", "court": "ct", "ct": "ct", "place": "pl", "pl": "pl", "parkway": "pkwy",
    "pkwy": "pkwy", "highway": "hwy", "hwy": "hwy", "circle": "cir", "cir": "cir",
    "terrace": "ter", "ter": "ter", "way": "way", "trail": "trl", "trl": "trl", "pike": "pike",
    "square": "sq", "plaza": "plz", "expressway": "expy", "freeway": "fwy",
}  # fmt: skip
_DIRECTIONS: Final = {
    "north": "n", "south": "s", "east": "e", "west": "w", "n": "n", "s": "s", "e": "e",
    "w": "w", "ne": "ne", "nw": "nw", "se": "se", "sw": "sw", "northeast": "ne",
    "northwest": "nw", "southeast": "se", "southwest": "sw",
}  # fmt: skip
_SUFFIX_RE = "|".join(sorted((s.capitalize() for s in _SUFFIXES), key=len, reverse=True))
_NAME_WORD = r"(?:[A-Z][a-zA-Z'\-]{1,20}|\d{1,3}(?:st|nd|rd|th))"
# Bounded repetitions and no nested quantifiers: linear on any text.
_ADDRESS = re.compile(
    r"\b(?:(?P<number>\d{1,6})\s+(?:block\s+of\s+)?)?"
    r"(?P<name>(?:(?:North|South|East|West|[NSEW]\.?)\s+)?" + _NAME_WORD
    + r"(?:\s+" + _NAME_WORD + r"){0,2})\s+(?P<suffix>" + _SUFFIX_RE + r")\b\.?"
)  # fmt: skip
# Capitalised words that open a sentence or a name but are no part of a street's name.
_NOT_STREET: Final = frozenset(
    """the a an on at in near of and from to by police when where""".split()
)
_VENUE_NOUNS: Final = (
    "bar", "nightclub", "club", "lounge", "tavern", "pub", "grill", "restaurant", "cafe",
    "motel", "hotel", "inn", "apartments", "mall", "store", "market", "gas station", "church",
    "barbershop", "liquor store", "strip club", "saloon", "diner", "bistro",
)  # fmt: skip
_VENUE_NOUN_RE = "|".join(sorted(_VENUE_NOUNS, key=len, reverse=True))
# "the Lakeside Tavern", "Pulse nightclub", and "Club Blu".
_VENUE = re.compile(
    r"\b(?P<name>[A-Z][A-Za-z'&\-]{1,20}(?:\s+[A-Z][A-Za-z'&\-]{1,20}){0,3})\s+(?P<noun>(?i:"
    + _VENUE_NOUN_RE
    + r"))\b|\b(?P<lead>Club|Bar|Lounge|Cafe)\s+(?P<after>[A-Z][A-Za-z'&\-]{1,20})\b"
)
# Words that make an organisation a public body (police, courts, agencies): these recur in
# every story of a beat and identify none.
_PUBLIC_BODY: Final = frozenset(
    """police department dept office sheriff sheriff's court courts county city state
    government district attorney attorney's bureau patrol troopers agency administration
    council commission service services school schools university college hospital news
    times post herald tribune press radio tv television fire rescue ems coroner examiner
    prison jail corrections federal national stoppers media network group unit division
    images""".split()
)
MAX_SCAN_CHARS: Final = 24_000


def addresses(text: str) -> list[str]:
    """Street keys the text names, in order, each once ("addr:4800-madyson-ridge-dr")."""
    found: dict[str, None] = {}
    for match in _ADDRESS.finditer(text[:MAX_SCAN_CHARS]):
        words = match["name"].replace(".", "").split()
        if words and words[0].lower() in _NOT_STREET:
            words = words[1:]
        if not words or (len(words) == 1 and words[0].lower() in _DIRECTIONS):
            continue
        if words[0].lower() in _DIRECTIONS and len(words) > 1:
            words[0] = _DIRECTIONS[words[0].lower()]
        street = slugify(" ".join([*words, _SUFFIXES[match["suffix"].lower().rstrip(".")]]))
        if not street:
            continue
        number = match["number"]
        if number is not None:
            block = int(number) // 100 * 100
            found.setdefault(f"addr:{block}-{street}", None)
        found.setdefault(f"street:{street}", None)
    return list(found)


def venues(text: str) -> list[str]:
    """Named businesses and venues ("venue:club-blu"), in order, each once."""
    found: dict[str, None] = {}
    for match in _VENUE.finditer(text[:MAX_SCAN_CHARS]):
        if match["lead"]:
            words, noun = [match["after"]], match["lead"]
        else:
            words, noun = match["name"].split(), match["noun"]
        while words and words[0].lower() in _NOT_STREET:
            words = words[1:]
        if not words or any(w.lower() in _PUBLIC_BODY for w in words):
            continue
        found.setdefault(f"venue:{slugify(' '.join([*words, noun]))}", None)
    return list(found)


def event_keys(actors: Iterable[Actor], private: frozenset[str], text: str) -> list[str]:
    """The article's distinctive keys: private people named in full, addresses, venues and
    named organisations that are not public bodies; at most MAX_KEYS."""
    keys: dict[str, None] = {}
    for actor in actors:
        if actor.id in private and actor.id.count("-") >= 1:
            # First and last name only: "Brantley Jack Ralston" is "Brantley Ralston" later.
            parts = actor.id.split(":", 1)[1].split("-")
            keys.setdefault(f"person:{parts[0]}-{parts[-1]}", None)
    for key in addresses(text):
        keys.setdefault(key, None)
    for key in venues(text):
        keys.setdefault(key, None)
    for actor in actors:
        if actor.kind == "organisation" and actor.id.startswith("org:"):
            words = actor.id[4:].split("-")
            if not any(w in _PUBLIC_BODY for w in words):
                keys.setdefault(actor.id, None)
    return list(keys)[:MAX_KEYS]
