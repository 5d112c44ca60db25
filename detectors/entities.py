"""Actors and places: table-driven names, titles, possessives, demonyms and seats of power."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from detectors.extract_gazetteer import MAX_PLACE_WORDS, GeoPlace
from detectors.lexicon import MAX_NAME_WORDS, REGION_WORDS, Entry, Lexicon, name_key, slugify
from topics.signatures import Actor, Location

Token = tuple[str, int, int]

# A place name right after one of these is where something happens, not who acts.
LOCATIVE = frozenset(
    {
        "in",
        "at",
        "to",
        "into",
        "from",
        "over",
        "near",
        "across",
        "around",
        "outside",
        "inside",
        "towards",
        "toward",
        "throughout",
        "within",
        "above",
        "via",
        "through",
        "beyond",
        "off",
        "visiting",
        "visit",
        "visits",
        "visited",
        "reached",
        "arrived",
        "entered",
        "entering",
        "of",
        "on",
        "onto",
        "under",
        "below",
        "between",
        "along",
    }
)
# A capital followed by one of these is acting ("Pyongyang is aiding", "Moscow said").
_ACTING_NEXT = frozenset(
    {
        "declined",
        "declines",
        "vowed",
        "urged",
        "demanded",
        "signed",
        "is",
        "was",
        "has",
        "had",
        "have",
        "said",
        "says",
        "will",
        "would",
        "wants",
        "wanted",
        "accused",
        "accuses",
        "denied",
        "denies",
        "claimed",
        "claims",
        "insists",
        "insisted",
        "warned",
        "warns",
        "announced",
        "announces",
        "aiding",
        "aids",
        "aided",
        "supports",
        "supported",
        "responded",
        "rejected",
        "rejects",
        "condemned",
        "condemns",
        "called",
        "calls",
        "sent",
        "sends",
        "launched",
        "plans",
        "planned",
        "threatened",
        "threatens",
        "agreed",
        "agrees",
        "refused",
        "refuses",
        "hopes",
        "believes",
        "sees",
        "may",
        "might",
        "could",
        "should",
        "must",
        "did",
        "does",
        "to",
    }
)
# Mid-sentence, these capitalised words start a name rather than being function words.
_NAME_STARTERS = frozenset({"new", "just", "high", "first", "old", "one", "live"})
# Nouns that make a demonym an actor: "Kenyan runner", "Dutch customs", "Israeli strikes".
_AGENT_NOUNS = frozenset(
    """troops soldiers forces force army navy military police officials official authorities
    officers diplomats diplomat customs intelligence media state court judge prosecutors
    investigators runner runners player players team athletes rebels fighters militants
    company firm group retailer carmaker airline bank regulators lawmakers leaders leader
    delegation negotiators envoy counterpart drones missiles strikes strike jets warplanes
    ships warships vessels aircraft shelling artillery attack attacks raid raids operation
    offensive missile drone jet warplane ship warship army unit sources citizens nationals
    nationalists voters workers farmers students
    activists protesters people man woman men women tourists pilot pilots crew""".split()
)
# Verbs a company or agency does: with one of these next, an unknown single name acts.
_ORG_VERBS = frozenset(
    """ordered opened opens closed closes cut cuts recalled recalling is are reported reports
    agreed agrees posted posts raised raises bought buys sold sells launched hired fired
    grounded grounds confirmed confirms issued issues declined dismissed blamed denied""".split()
)
# "sanctions against Moscow", "ties between Tokyo and Seoul": the government, not the city.
_ACTING_PREV = frozenset(
    {"against", "with", "between", "and", "by", "urged", "accused", "pressure", "told", "warned"}
)
# "Kyiv's Obolon district", "Odesa's port": a possessive that still names a place.
_PLACE_NOUNS = frozenset(
    {
        "port",
        "district",
        "region",
        "city",
        "centre",
        "center",
        "outskirts",
        "suburbs",
        "suburb",
        "streets",
        "street",
        "airport",
        "residents",
        "mayor",
        "downtown",
        "harbour",
        "harbor",
        "river",
        "skyline",
        "metro",
        "subway",
        "neighbourhood",
        "neighborhood",
        "old",
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
    }
)
# Capitalised words that start sentences or headlines but never names.
FUNCTION_WORDS = frozenset(
    """a an the and or but if then so yet nor for of in on at to by with from into over under
    after before during since until while when where why how what which who whom whose this that
    these those there here it its he she they we you i his her their our your my me him them us
    is are was were be been being has have had do does did will would can could should may might
    must shall not no yes all any both each every few many more most much other some such only
    own same than too very just also even still already however meanwhile moreover furthermore
    although though because as about above across against along amid amidst among around
    behind below beneath beside besides beyond despite down inside near off onto outside
    through throughout toward towards upon via within without according following including
    last next recent recently earlier later today yesterday tomorrow tonight now once again
    mr mrs ms dr sir madam fortunately unfortunately overall instead indeed perhaps
    nevertheless nonetheless thus hence therefore otherwise elsewhere further
    high low new old first second third one two three four five six seven eight nine ten
    just related live breaking update updated exclusive analysis opinion comment watch
    read more see photo video""".split()
)
_CALENDAR = frozenset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday mon tue tues wed thu thur thurs fri sat sun""".split()
)
# Capitalised words that make a run a thing or place name, never a person's name.
_NOT_PERSON = frozenset(
    """war world day sea ocean river street road avenue lane north south east west eastern
    western northern southern central new great old national international united federal
    republic state states kingdom island islands mount lake bay gulf cup league airport
    station square bridge park museum ii iii iv v vi plan formula treaty agreement accord
    summit conference act bill law operation covid christmas easter ramadan olympics games
    prize award championship series festival empire union city county province region
    district oblast border front line victory peace security energy power hurricane typhoon
    storm cyclone tropical stadium arena centre center plant factory mall hall tower palace
    finals final open grand prix marathon tour stage game games match
    drive trail boulevard parkway circle terrace st ave blvd rd ln calle pike highway hwy
    interstate expressway side fort township village heights gardens apartments complex
    plaza shooting shootings homicide homicides murder murders robbery assault stabbing
    crash vigil funeral trial update weather traffic video photos gallery caption close
    comments""".split()
)
# A run ending in one of these names a street ("Bank Street"), whatever words it holds.
_STREET_WORDS = frozenset(
    """street st avenue ave road rd drive dr boulevard blvd lane ln way parkway pkwy circle
    court ct terrace place pl trail highway hwy pike""".split()
)
# Words that only qualify a generic body ("Local News", "Breaking News"): no organisation.
_GENERIC_QUALIFIERS = frozenset(
    """local breaking latest top more national world daily live video photo photos watch
    business sports weather community state regional area""".split()
)
# Common surnames that look like plural nicknames: "Serena Williams" is no team.
_PLURAL_SURNAMES = frozenset(
    """williams jones davis harris adams roberts edwards collins stevens evans phillips hughes
    rogers morris reynolds richards simmons matthews myers perkins powers watkins hopkins
    jenkins gibbs hawkins peters james owens banks wells brooks rhodes lewis burns sanders
    walters daniels fields andrews woods stephens parsons rivers waters holmes norris ellis
    mathis curtis haynes hayes hodges bates giles reeves lyons""".split()
)
# First words of club names in European sport ("Real Betis", "Bayern Munich").
_CLUB_PREFIXES = frozenset(
    """real sporting atletico atlético athletic inter dynamo dinamo olympique racing sparta
    bayern bayer borussia eintracht hertha werder hajduk partizan spartak lokomotiv""".split()
)
# Words of a compound people ("African American", "Native American"), not a company name.
_ADJECTIVAL = re.compile(r"(?:an|ian|ese|ish|ic)$|^(?:native|latin|anglo)$")
_CONNECTORS = frozenset({"of", "the", "de", "von", "der", "van", "al", "bin", "la", "le", "du"})
_GOVERNMENT_LOWER = frozenset(
    {
        "government",
        "ministry",
        "cabinet",
        "parliament",
        "military",
        "leadership",
        "regime",
        "authorities",
        "coalition",
    }
)


@dataclass
class _Found:
    """What one article yields, accumulated across sentences."""

    actors: dict[str, Actor] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    place_spans: list[tuple[int, int, str]] = field(default_factory=list)
    full_names: dict[str, str] = field(default_factory=dict)
    pending_singles: list[str] = field(default_factory=list)
    # Single unknown names that act ("Volkswagen said", "TSMC opened"): organisations unless
    # they turn out to be the surname of someone named in full.
    acting_singles: list[str] = field(default_factory=list)
    runs: int = 0
    # People found by their own name, not introduced by an office or role ("Sgt.", "police
    # spokesman"): victims, suspects, witnesses. Officials recur across a beat's stories; these
    # identify one event (detectors.keys).
    private: set[str] = field(default_factory=set)
    # Countries ("FR") and US states ("US-CA") seen so far, to read ambiguous names.
    context: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Entities:
    """Actors and places of one article, plus where each place was named (for scoping figures)."""

    actors: list[Actor]
    locations: list[Location]
    place_spans: list[tuple[int, int, str]]
    # Ids of the people named in full without an office or role in front (see _Found.private).
    private: frozenset[str] = frozenset()


MAX_ENTITIES = 100
# A city this big may stand alone ("Houston police said") without a locative before it.
BIG_CITY = 100_000


_PLURAL_REGIONS = {
    "regions": "region",
    "provinces": "province",
    "oblasts": "oblast",
    "districts": "district",
    "counties": "county",
}
_DIRECTIONS = frozenset(
    """the northern southern eastern western central north south east west northeast
    northwest southeast southwest north-east north-west south-east south-west downtown
    rural suburban coastal neighbouring neighboring nearby""".split()
)
# Town names that are also everyday words: a place only after a locative.
_COMMON = frozenset(
    """man police best hope mobile independence liberty union victory justice commerce
    enterprise opportunity paradise friendship unity progress reform republic university
    college center centre church temple mission cross gate bridge park lake hill valley
    beach harbor harbour port bay springs rock stone wood forest field fields green
    march may june august""".split()
)


def _prev_word(tokens: list[Token], index: int) -> str:
    """The word before tokens[index], skipping "the" and directions ("in northern Mali")."""
    back = index - 1
    while back >= 0 and back >= index - 3 and tokens[back][0].lower() in _DIRECTIONS:
        back -= 1
    return tokens[back][0].lower() if back >= 0 else ""


def _choose(
    candidates: tuple[GeoPlace, ...], state: GeoPlace | None, context: set[str]
) -> GeoPlace:
    """The candidate in the named state, else in a country or state already seen, else the
    most populous (candidates come most populous first)."""
    if state is not None:
        for place in candidates:
            if place.country == "US" and place.admin1 == state.admin1:
                return place
    if context:
        for place in candidates:
            if f"US-{place.admin1}" in context and place.country == "US":
                return place
        for place in candidates:
            if place.country in context:
                return place
    return candidates[0]


# A big city is its name's reading when every namesake in the gazetteer has at most this share of
# its population ("Dallas" is the Texas city; "Birmingham" is not sure to be England's).
DOMINANT_SHARE = 0.1


def _dominant(place: GeoPlace, candidates: tuple[GeoPlace, ...]) -> bool:
    """A big city whose namesakes are all far smaller: the name alone pins it down."""
    if place.level != "city" or place.population < BIG_CITY:
        return False
    return all(
        other.population <= DOMINANT_SHARE * place.population
        for other in candidates
        if other is not place
    )


# Capitalised runs looked at per article: a long story has a few hundred; junk made of
# capitalised words stops here instead of costing time in proportion to its length.
MAX_RUNS = 800


def _strip_possessive(word: str) -> tuple[str, bool]:
    if "'" not in word:
        return word, False
    if word.endswith("'s"):
        return word[:-2], True
    if word.endswith("s'"):
        return word[:-1], True
    if word.endswith("'"):
        return word[:-1], False
    return word, False


def _is_capitalised(word: str) -> bool:
    return bool(word) and word[0].isupper()


def _is_titlecase(word: str) -> bool:
    if not word[:1].isupper():
        return False
    rest = word[1:]
    if rest.isascii():
        # ASCII: "has a lower-case letter" is "upper-casing changes it", without a generator.
        return not rest or rest != rest.upper()
    return any(ch.islower() for ch in rest)


def _split_tokens(tokens: list[Token]) -> list[Token]:
    """Split "Korea-Russia" into two names; keep "Jong-un" and "military-technical" whole."""
    if not any("-" in text and text[0].isupper() for text, _, _ in tokens):
        return tokens
    out: list[Token] = []
    for text, start, end in tokens:
        if "-" in text and any(part[:1].isupper() for part in text.split("-")[1:]):
            position = start
            for part in text.split("-"):
                if part:
                    out.append((part, position, position + len(part)))
                position += len(part) + 1
        else:
            out.append((text, start, end))
    return out


def _headline(tokens: list[Token]) -> bool:
    """Title Case lines (a headline repeated in the body) make every word look like a name."""
    if tokens and tokens[-1][0] in '.!?"':
        return False
    words = [t[0] for t in tokens if t[0][:1].isalpha() and len(t[0]) > 3]
    if len(words) < 5:
        return False
    capitalised = sum(1 for w in words if w[0].isupper())
    return capitalised >= 0.7 * len(words)


class EntityFinder:
    """Finds actors and places in cleaned text, sentence by sentence."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lex = lexicon

    def find(
        self,
        text: str,
        sentences: list[list[Token]],
        title_tokens: list[Token] | None = None,
    ) -> Entities:
        found = _Found()
        if title_tokens:
            # Headlines are Title Case: trust only the tables there, never guess a person.
            self._sentence(_split_tokens(title_tokens), found, dynamic=False, spans=False)
        hyphens = "-" in text
        for tokens in sentences:
            if len(found.actors) + len(found.locations) >= 2 * MAX_ENTITIES:
                break
            if hyphens and tokens and "-" in text[tokens[0][1] : tokens[-1][2]]:
                tokens = _split_tokens(tokens)
            self._sentence(tokens, found, dynamic=not _headline(tokens), spans=True)
        self._resolve_singles(found)
        actors = list(found.actors.values())[:MAX_ENTITIES]
        return Entities(
            actors=actors,
            locations=list(found.locations.values())[:MAX_ENTITIES],
            place_spans=found.place_spans,
            private=frozenset(found.private & {a.id for a in actors}),
        )

    # -- per sentence ------------------------------------------------------------------------

    def _sentence(self, tokens: list[Token], found: _Found, *, dynamic: bool, spans: bool) -> None:
        count = len(tokens)
        # One C-speed pass marks capitalised tokens; list.index then jumps from run to run
        # instead of stepping through the lower-case majority one token at a time.
        upper = [token[0][0].isupper() for token in tokens]
        index = 0
        while index < count:
            try:
                index = upper.index(True, index)
            except ValueError:
                return
            # A run: capitalised words, with connectors ("Ministry of Defence") inside it.
            end = index
            while end < count:
                current = tokens[end][0]
                if upper[end]:
                    if ("'" in current and _strip_possessive(current)[1]) or (
                        end + 1 < count and tokens[end + 1][1] > tokens[end][2] + 1
                    ):
                        end += 1
                        break
                    end += 1
                    continue
                if (
                    current.lower() in _CONNECTORS
                    and end > index
                    and end + 1 < count
                    and upper[end + 1]
                ):
                    end += 1
                    continue
                break
            found.runs += 1
            if found.runs > MAX_RUNS:
                return
            self._run(tokens, index, end, found, dynamic=dynamic, spans=spans)
            index = max(end, index + 1)

    def _run(
        self,
        tokens: list[Token],
        first: int,
        stop: int,
        found: _Found,
        *,
        dynamic: bool,
        spans: bool,
    ) -> None:
        """Resolve tokens[first:stop], a run of capitalised words."""
        lex = self._lex
        # Drop connectors hanging at the end of the run ("... of").
        while stop > first and tokens[stop - 1][0].lower() in _CONNECTORS:
            stop -= 1
        sentence_start = first == 0 or (first == 1 and tokens[0][0] in "\"'(")
        # Leading function words ("The", "In") are not names.
        while first < stop and tokens[first][0].lower() in FUNCTION_WORDS:
            if tokens[first][0].lower() in lex.titles or (
                tokens[first][0].isupper() and len(tokens[first][0]) > 1
            ):
                break  # "Mr" is a title and "US" an acronym, not function words
            if not sentence_start and tokens[first][0].lower() in _NAME_STARTERS:
                break  # mid-sentence "New South Wales", "Just Stop Oil" are names
            first += 1
            sentence_start = False
        if first >= stop:
            return
        words = [
            _strip_possessive(word) if "'" in word else (word, False)
            for word, _, _ in tokens[first:stop]
        ]
        possessive_last = words[-1][1]

        # "Kursk border region", "Obolon district": the run names a region.
        count = len(tokens)
        after = stop
        following = tokens[after][0].lower() if after < count else ""
        if following == "border":
            after += 1
            following = tokens[after][0].lower() if after < count else ""
        if not possessive_last and following in REGION_WORDS:
            self._region(tokens, first, stop, after, found, spans=spans)
            return
        if following in _PLURAL_REGIONS:
            # "the Kharkiv and Sumy regions": both names are regions.
            self._region(tokens, first, stop, after, found, spans=spans)
            if (
                first >= 2
                and tokens[first - 1][0] == "and"
                and _is_capitalised(tokens[first - 2][0])
            ):
                self._region(tokens, first - 2, first - 1, after, found, spans=spans)
            return

        lows = [word.lower() for word, _ in words]
        if dynamic and self._team(lows, words, found):
            return
        # An organisation name: a run carrying an organisation word ("Leeds City Council").
        if (
            dynamic
            and not self._lex.organisation_words.isdisjoint(lows)
            and self._organisation(tokens, first, stop, found)
        ):
            return

        index = first
        unknown: list[int] = []
        gazetteer_words = lex.gazetteer.first_words if lex.gazetteer is not None else None
        while index < stop:
            matched = 0
            offset = index - first
            longest = min(MAX_NAME_WORDS, stop - index, lex.first_words.get(lows[offset], 0))
            for size in range(longest, 0, -1):
                key = lows[offset] if size == 1 else " ".join(lows[offset : offset + size])
                entry = lex.names.get(key)
                if entry is None:
                    continue
                if (
                    entry.kind == "place"
                    and lex.gazetteer is not None
                    and index + size + 1 < len(tokens)
                    and tokens[index + size][0] == ","
                    and lex.gazetteer.us_state(tokens[index + size + 1][0]) is not None
                ):
                    continue  # "Paris, Texas": the gazetteer reads the state
                if entry.case_sensitive is not None:
                    # Acronyms must be written in capitals: "US" is a country, "Us" is not.
                    written = " ".join(
                        _strip_possessive(tokens[i][0])[0] for i in range(index, index + size)
                    )
                    if written.replace(".", "") != entry.case_sensitive.replace(".", ""):
                        continue
                if (
                    dynamic
                    and size == 1
                    and entry.kind in ("country", "place")
                    and index + 1 < stop
                    and _is_titlecase(tokens[index + 1][0])
                    and lows[offset + 1] not in lex.names
                    and lows[offset + 1] not in lex.titles
                    and lows[offset + 1] not in lex.role_words
                    and lows[offset + 1] not in lex.organisation_words
                    and lows[offset + 1] not in _NOT_PERSON
                    and lows[offset + 1] not in _GENERIC_QUALIFIERS
                    and lows[offset + 1] not in FUNCTION_WORDS
                    and not (lex.gazetteer and lex.gazetteer.candidates(lows[offset + 1]))
                ):
                    # "Jordan Smith", "Georgia Adams": a given name that is also a country or a
                    # town, followed by a surname, is a person.
                    continue
                if (
                    dynamic
                    and unknown
                    and unknown[-1] == index - 1
                    and entry.kind in ("country", "demonym", "place")
                ):
                    # "Air India", "Anglo American", "Real Madrid": a country or city inside
                    # a longer name is part of an organisation's name...
                    if entry.kind == "demonym" and all(
                        _ADJECTIVAL.search(lows[i - first]) for i in unknown
                    ):
                        return  # ...but "African American" is a people, not a company
                    name = " ".join(
                        _strip_possessive(tokens[i][0])[0] for i in range(unknown[0], stop)
                    )
                    self._add_actor(found, f"org:{slugify(name)}", name, "organisation", name)
                    return
                self._flush_unknown(tokens, unknown, found, dynamic, sentence_start)
                unknown = []
                self._entry(entry, tokens, index, index + size, found, spans=spans)
                matched = size
                break
            if matched:
                index += matched
                continue
            lower = lows[offset]
            # Only a word that starts some gazetteer name is worth the world-place rules.
            if gazetteer_words is not None and lower in gazetteer_words:
                matched = self._world_place(tokens, index, first, stop, lows, found, spans=spans)
                if matched:
                    if unknown:
                        self._flush_unknown(tokens, unknown, found, dynamic, sentence_start)
                        unknown = []
                    index += matched
                    continue
            if (
                lower in lex.titles
                or lower in lex.role_words
                or lower in FUNCTION_WORDS
                or lower in _CALENDAR
                or "-old" in lower  # "Twenty-one-year-old Izaak Bridges": an age, no name
            ):
                if unknown:
                    self._flush_unknown(tokens, unknown, found, dynamic, sentence_start)
                    unknown = []
            else:
                unknown.append(index)
            index += 1
        if unknown:
            self._flush_unknown(tokens, unknown, found, dynamic, sentence_start)

    def _world_place(
        self,
        tokens: list[Token],
        index: int,
        first: int,
        stop: int,
        lows: list[str],
        found: _Found,
        *,
        spans: bool,
    ) -> int:
        """A gazetteer place at tokens[index], accepted only with evidence; its size or 0.

        Most town names are also surnames or words ("Jackson said", "Mobile"), so a city
        needs a locative before it, a dateline, a ", State" after it, or (for a big city) a
        run of its own that is not acting."""
        gazetteer = self._lex.gazetteer
        if gazetteer is None:
            return 0
        offset = index - first
        longest = min(MAX_PLACE_WORDS, stop - index, gazetteer.first_words.get(lows[offset], 0))
        for size in range(longest, 0, -1):
            key = lows[offset] if size == 1 else " ".join(lows[offset : offset + size])
            candidates = gazetteer.candidates(key)
            if not candidates:
                continue
            end = index + size
            prev = _prev_word(tokens, index)
            if prev in ("and", "or") and found.place_spans and index >= 2:
                # "in Madrid and Lisbon": the second place inherits the first one's locative.
                prev = "in" if found.place_spans[-1][1] >= tokens[index - 2][2] else prev
            nxt = tokens[end][0] if end < len(tokens) else ""
            nxt_lower = nxt.lower()
            state = None
            if nxt == "," and end + 1 < len(tokens):
                state = gazetteer.us_state(tokens[end + 1][0])
            ends_run = end == stop
            possessive = "'" in tokens[end - 1][0] and _strip_possessive(tokens[end - 1][0])[1]
            dateline = (
                spans
                and tokens[index][1] < 3
                and (tokens[index][0].isupper() or nxt in ("-", "(", ",", ":"))
            )
            if lows[offset] in _CALENDAR:
                return 0  # "the March 4 shooting"
            located = (prev in LOCATIVE and index == first) or prev == "," or dateline
            capital = next((c for c in candidates if c.capital_of), None)
            if capital is not None and ends_run and not located:
                if self._capital_acts(bool(possessive), prev, nxt, nxt_lower):
                    iso = capital.capital_of or ""
                    name = self._lex.countries.get(iso, capital.country)
                    self._add_actor(
                        found, f"gov:{iso}", f"Government of {name}", "government", capital.name
                    )
                    return size
            country = next((c for c in candidates if c.level == "country"), None)
            opens = (
                country is not None
                and index == 0
                and ends_run
                and nxt[:1].islower()
                and lows[offset] not in _COMMON
            )
            if size == 1 and not located and not opens and (
                lows[offset] in _COMMON or index == 0
            ):
                # A capitalised common word, or a sentence's first word: not enough to say place
                # (but "Zimbabwe hanged...": a country opening a sentence acts).
                return 0
            if size == 1 and state is None and not dateline and lows[offset] in found.full_names:
                # "Patterson" after "John Patterson" is the man, not the town.
                return 0
            if country is not None:
                entry = Entry("country", f"country:{country.country}", country.name)
                self._entry(entry, tokens, index, end, found, spans=spans)
                return size
            place = _choose(candidates, state, found.context)
            if not ends_run and state is None and size == 1 and place.level == "city":
                return 0  # "Independence Avenue", "Chapel Hill Mall": part of a longer name
            big = (
                place.population >= BIG_CITY
                and ends_run
                and index == first
                and nxt_lower not in _ACTING_NEXT
            )
            if not (located or state is not None or big or place.level == "admin1"):
                return 0
            if place.level == "admin1" and not (located or ends_run):
                return 0
            surface = " ".join(_strip_possessive(tokens[i][0])[0] for i in range(index, end))
            self._add_location(
                found, place.id, place.name, place.level, place.within, surface,
                unambiguous=state is not None or _dominant(place, candidates),
            )  # fmt: skip
            found.context.add(place.country)
            if place.country == "US" and place.admin1:
                found.context.add(f"US-{place.admin1}")
            if spans:
                found.place_spans.append((tokens[index][1], tokens[end - 1][2], place.id))
            return size
        return 0

    def _flush_unknown(
        self,
        tokens: list[Token],
        indexes: list[int],
        found: _Found,
        dynamic: bool,
        sentence_start: bool,
    ) -> None:
        """Unmatched capitalised words: a new person (2-3 words) or perhaps a known surname."""
        if not indexes:
            return
        words = [_strip_possessive(tokens[i][0])[0] for i in indexes]
        contiguous = indexes[-1] - indexes[0] == len(indexes) - 1
        if len(words) == 1:
            word = words[0]
            lower = word.lower()
            if lower in _NOT_PERSON or lower in self._lex.organisation_words:
                return
            acronym = word.isupper() and 2 < len(word) <= 6 and word.isalpha()
            if _is_titlecase(word):
                found.pending_singles.append(word)
            if dynamic and (acronym or _is_titlecase(word)) and self._acts(tokens, indexes[0]):
                found.acting_singles.append(word)
            return
        if (
            not dynamic
            or not contiguous
            or len(words) > 3
            or not all(_is_titlecase(w) for w in words)
            or any(w.lower() in _NOT_PERSON or w.lower() in self._lex.units for w in words)
        ):
            return
        name = " ".join(words)
        surname = words[-1].lower()
        person_id = self._lex.person_surnames.get(surname)
        entry_id = person_id if person_id and self._known_full(person_id, name) else None
        actor_id = entry_id or f"person:{slugify(name)}"
        found.full_names.setdefault(surname, actor_id)
        self._add_actor(found, actor_id, name, "person", name)
        if entry_id is None and not self._titled(tokens, indexes[0]):
            found.private.add(actor_id)

    def _titled(self, tokens: list[Token], index: int) -> bool:
        """An office or role word just before the name ("Sgt. Ann Lee", "spokesman Al Roe")."""
        back = index - 1
        if back >= 0 and tokens[back][0] == ".":
            back -= 1
        return back >= 0 and tokens[back][0].lower().rstrip(".") in self._lex.titles

    def _known_full(self, person_id: str, name: str) -> bool:
        entry = self._lex.names.get(name_key(name))
        return entry is not None and entry.id == person_id

    @staticmethod
    def _acts(tokens: list[Token], index: int) -> bool:
        """The word at index is the subject of a verb or owns something next to it."""
        word = tokens[index][0]
        before = tokens[index - 1][0] if index > 0 else ""
        if before.lower() == "the" or (
            # "Officials said", "Rescuers reached": a plural common noun opening a sentence.
            word.endswith("s") and not word.isupper() and (index == 0 or before in "\"'(")
        ):
            return False
        if _strip_possessive(word)[1]:
            return index + 1 < len(tokens) and not tokens[index + 1][0][:1].isupper()
        nxt = tokens[index + 1][0].lower() if index + 1 < len(tokens) else ""
        return nxt != "to" and (nxt in _ACTING_NEXT or nxt in _ORG_VERBS)

    def _resolve_singles(self, found: _Found) -> None:
        """A surname alone ("Marchuk said") is the person named in full elsewhere; an unknown
        single name that acts and is nobody's surname is an organisation ("Maersk said")."""
        known = {name.lower() for actor in found.actors.values() for name in actor.mentions}
        for word in found.acting_singles:
            lower = word.lower()
            if lower in found.full_names or lower in known or lower in self._lex.person_surnames:
                continue
            self._add_actor(found, f"org:{slugify(word)}", word, "organisation", word)
            known.add(lower)
        for word in found.pending_singles:
            lower = word.lower()
            actor_id = found.full_names.get(lower)
            if actor_id is None:
                continue
            actor = found.actors.get(actor_id)
            if actor is not None and word not in actor.mentions:
                found.actors[actor_id] = actor.model_copy(
                    update={"mentions": [*actor.mentions, word]}
                )

    def _team(self, lows: list[str], words: list[tuple[str, bool]], found: _Found) -> bool:
        """A club: a place and a plural nickname ("Boston Celtics", "Toronto Maple Leafs"), or
        a club-name prefix ("Real Betis", "Bayern Munich")."""
        if len(lows) < 2 or len(lows) > 5:
            return False
        name = " ".join(word for word, _ in words)
        if lows[0] in _CLUB_PREFIXES and all(_is_titlecase(w) for w, _ in words):
            self._add_actor(found, f"org:{slugify(name)}", name, "organisation", name)
            return True
        last = lows[-1]
        if (
            not last.endswith("s")
            or last.endswith("ss")
            or last in _PLURAL_SURNAMES
            or last in _NOT_PERSON
            or not _is_titlecase(words[-1][0])
        ):
            return False
        for nickname in (1, 2):
            place = " ".join(lows[:-nickname])
            if not place or len(lows) - nickname < 1:
                continue
            entry = self._lex.names.get(place)
            known = entry is not None and entry.kind in ("place", "country")
            gazetteer = self._lex.gazetteer
            if not known and gazetteer is not None:
                # A team carries a big city's, a state's or a country's name; a small town's
                # name before a plural is more often a first name ("Barry Jenkins").
                known = any(
                    c.level in ("admin1", "country") or c.population >= BIG_CITY
                    for c in gazetteer.candidates(place)
                )
            if known and all(_is_titlecase(w) for w, _ in words[-nickname:]):
                self._add_actor(found, f"org:{slugify(name)}", name, "organisation", name)
                return True
        return False

    def _organisation(self, tokens: list[Token], first: int, stop: int, found: _Found) -> bool:
        lex = self._lex
        lowers = [_strip_possessive(tokens[i][0])[0].lower() for i in range(first, stop)]
        hits = [i for i, w in enumerate(lowers) if w in lex.organisation_words]
        if len(hits) == len(lowers):
            return True  # "Police said", "Congress": a generic body, not a named one
        if all(w in lex.organisation_words or w in _GENERIC_QUALIFIERS for w in lowers):
            return True  # "Local News", "Breaking News": page chrome, no one named
        if lowers[-1] in _STREET_WORDS:
            return True  # "Bank Street", "Church Road": a street, neither a body nor a person
        if not hits or name_key(" ".join(t[0] for t in tokens[first:stop])) in lex.names:
            return False
        last = hits[-1]
        start = 0
        owner: Entry | None = None
        # A leading country or demonym owns the body: "Japanese Foreign Ministry".
        for size in range(min(3, last), 0, -1):
            entry = lex.names.get(" ".join(lowers[:size]))
            if entry is not None and entry.kind in ("country", "demonym"):
                owner = entry
                start = size
                break
        if owner is None and first > 0:
            prev = tokens[first - 1][0]
            base, possessive = _strip_possessive(prev)
            entry = lex.names.get(name_key(base))
            if possessive and entry is not None and entry.kind in ("country", "demonym"):
                owner = entry
        surface = " ".join(_strip_possessive(tokens[i][0])[0] for i in range(first, stop))
        if owner is not None and start:
            self._entry(owner, tokens, first, first + start, found, spans=True)
        body = lowers[start : last + 1]
        if owner is not None and (
            any(w in lex.government_words for w in body) or " ".join(body) in lex.government_words
        ):
            iso = owner.id.split(":", 1)[1]
            self._add_actor(
                found,
                f"gov:{iso}",
                f"Government of {lex.countries.get(iso, iso)}",
                "government",
                surface,
            )
        else:
            self._add_actor(found, f"org:{slugify(surface)}", surface, "organisation", surface)
        return True

    def _region(
        self,
        tokens: list[Token],
        first: int,
        stop: int,
        word_at: int,
        found: _Found,
        *,
        spans: bool,
    ) -> None:
        lex = self._lex
        name_first = first
        # Leading countries/demonyms are owners, not part of the region's name.
        while name_first < stop - 1:
            entry = lex.names.get(name_key(tokens[name_first][0]))
            if entry is None or entry.kind not in ("country", "demonym"):
                break
            self._entry(entry, tokens, name_first, name_first + 1, found, spans=spans)
            name_first += 1
        name_first = max(name_first, stop - 3)
        name = " ".join(tokens[i][0] for i in range(name_first, stop))
        region_word = tokens[word_at][0].lower()
        region_word = _PLURAL_REGIONS.get(region_word, region_word)
        surface_end = tokens[word_at][2]
        surface = " ".join(t[0] for t in tokens[name_first : word_at + 1])
        within: str | None = None
        if name_first > 0:
            base, possessive = _strip_possessive(tokens[name_first - 1][0])
            entry = lex.names.get(name_key(base))
            if possessive and entry is not None:
                within = (
                    f"iso:{entry.id.split(':', 1)[1]}"
                    if entry.kind in ("country", "demonym")
                    else entry.id
                    if entry.kind == "place"
                    else None
                )
        place_id = lex.regions.get(name_key(name))
        if place_id is not None:
            info = lex.places[place_id]
            self._add_location(found, place_id, info.name, info.level, info.within, surface)
        else:
            level = "district" if region_word in ("district", "county") else "region"
            place_id = f"name:{slugify(name + ' ' + region_word)}"
            self._add_location(found, place_id, f"{name} {region_word}", level, within, surface)
        if spans:
            found.place_spans.append((tokens[name_first][1], surface_end, place_id))

    # -- one known name ----------------------------------------------------------------------

    def _entry(
        self,
        entry: Entry,
        tokens: list[Token],
        first: int,
        stop: int,
        found: _Found,
        *,
        spans: bool,
    ) -> None:
        lex = self._lex
        surface = " ".join(tokens[i][0] for i in range(first, stop))
        base, possessive = _strip_possessive(surface)
        prev = _prev_word(tokens, first)
        nxt = tokens[stop][0] if stop < len(tokens) else ""
        nxt_lower = nxt.lower()
        if entry.kind == "seat":
            self._add_actor(found, entry.id, entry.name, "government", base)
            return
        if entry.kind == "demonym":
            iso = entry.id.split(":", 1)[1]
            if not self._demonym_acts(tokens, first, stop):
                return  # "Chilean election", "Chinese yards": a modifier, nobody acting
            if self._government_follows(tokens, stop):
                self._add_actor(
                    found,
                    f"gov:{iso}",
                    f"Government of {entry.name}",
                    "government",
                    f"{base} {nxt}",
                )
                return
            self._add_actor(found, entry.id, entry.name, "country", base)
            return
        if entry.kind == "country":
            iso = entry.id.split(":", 1)[1]
            if possessive and self._government_follows(tokens, stop):
                self._add_actor(
                    found,
                    f"gov:{iso}",
                    f"Government of {entry.name}",
                    "government",
                    f"{surface} {nxt}",
                )
                return
            if possessive and _is_capitalised(nxt):
                return  # "Russia's Kursk region": the owner of a place, not an actor
            if prev in ("and", "or") and found.place_spans and first >= 2:
                if found.place_spans[-1][1] >= tokens[first - 2][2]:
                    prev = "in"  # "in Spain and Portugal"
            if prev in LOCATIVE and not possessive:
                self._add_location(found, f"iso:{iso}", entry.name, "country", None, base)
                if spans:
                    found.place_spans.append((tokens[first][1], tokens[stop - 1][2], f"iso:{iso}"))
                return
            self._add_actor(found, entry.id, entry.name, "country", base)
            return
        if entry.kind == "place":
            info = lex.places.get(entry.id)
            if entry.capital_of and self._capital_acts(possessive, prev, nxt, nxt_lower):
                iso = entry.capital_of
                self._add_actor(
                    found,
                    f"gov:{iso}",
                    f"Government of {lex.countries.get(iso, iso)}",
                    "government",
                    base,
                )
                return
            level = info.level if info else "place"
            within = info.within if info else None
            self._add_location(found, entry.id, entry.name, level, within, base)
            if spans:
                found.place_spans.append((tokens[first][1], tokens[stop - 1][2], entry.id))
            return
        kind = "organisation" if entry.kind == "organisation" else entry.kind
        self._add_actor(found, entry.id, entry.name, kind, base)
        if entry.kind == "person":
            words = name_key(entry.name).split()
            if words:
                found.full_names.setdefault(words[-1], entry.id)

    def _demonym_acts(self, tokens: list[Token], first: int, stop: int) -> bool:
        """ "North Korean troops", "French President", "Ukrainians": the country acts."""
        word = tokens[stop - 1][0]
        if word.endswith("s") and not word.endswith("ss"):
            return True  # a plural people noun: "Ukrainians", "the Sudanese"
        for look in range(stop, min(stop + 2, len(tokens))):
            nxt = tokens[look][0]
            lower = nxt.lower()
            if nxt[:1].isupper() or lower in self._lex.titles or lower in _AGENT_NOUNS:
                return True
            if lower in self._lex.organisation_words or lower in _GOVERNMENT_LOWER:
                return True
        return False

    def _government_follows(self, tokens: list[Token], stop: int) -> bool:
        # Capitalised bodies ("Russia's Ministry of Defence") are handled as organisations;
        # up to two lower-case words may qualify the body ("Georgia's interior ministry").
        for look in range(stop, min(stop + 3, len(tokens))):
            word = tokens[look][0]
            if not word[0].isalpha() or word[0].isupper():
                return False
            if word.lower() in _GOVERNMENT_LOWER:
                return True
        return False

    @staticmethod
    def _capital_acts(possessive: bool, prev: str, nxt: str, nxt_lower: str) -> bool:
        if possessive:
            return not (_is_capitalised(nxt) or nxt_lower in _PLACE_NOUNS)
        if prev in LOCATIVE and prev not in ("between", "against", "with"):
            return False
        if nxt_lower == "to" and prev in LOCATIVE:
            return False
        if nxt_lower in _ACTING_NEXT:
            return True
        return prev in _ACTING_PREV

    # -- accumulation ------------------------------------------------------------------------

    @staticmethod
    def _add_actor(found: _Found, actor_id: str, name: str, kind: str, mention: str) -> None:
        actor = found.actors.get(actor_id)
        if actor is None:
            if len(found.actors) >= MAX_ENTITIES:
                return
            found.actors[actor_id] = Actor(
                id=actor_id,
                name=name,
                kind=kind,  # type: ignore[arg-type]
                mentions=[mention],
            )
        elif mention not in actor.mentions and len(actor.mentions) < 20:
            found.actors[actor_id] = actor.model_copy(
                update={"mentions": [*actor.mentions, mention]}
            )

    @staticmethod
    def _add_location(
        found: _Found,
        place_id: str,
        name: str,
        level: str,
        within: str | None,
        mention: str,
        *,
        unambiguous: bool = False,
    ) -> None:
        location = found.locations.get(place_id)
        if location is None:
            if len(found.locations) >= MAX_ENTITIES:
                return
            found.locations[place_id] = Location(
                id=place_id,
                name=name,
                level=level,  # type: ignore[arg-type]
                within=within,
                mentions=[mention],
                unambiguous=unambiguous,
            )
            return
        update: dict[str, object] = {}
        if mention not in location.mentions and len(location.mentions) < 20:
            update["mentions"] = [*location.mentions, mention]
        if unambiguous and not location.unambiguous:
            update["unambiguous"] = True
        if update:
            found.locations[place_id] = location.model_copy(update=update)
