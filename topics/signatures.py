"""The `signatures` topic: one enriched record per article, a product in itself."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SIGNATURES = "signatures"
# 2: Count gained role, period, section, decided_by, confidence, perpetrator, revised, part_of
# (what a figure means).
SCHEMA_VERSION = 2

ActorKind = Literal["person", "organisation", "country", "government", "group"]
LocationLevel = Literal["country", "admin1", "admin2", "region", "city", "district", "place"]
Qualifier = Literal["exact", "upper_bound", "lower_bound", "approximate", "range", "vague"]
Granularity = Literal["day", "week", "month", "year"]
# What a figure is to its article's event, decided once in extraction (detectors/roles.py):
#   total        the event's own count ("at least 41 killed")
#   part         a breakdown of a stated total ("including two children", "of those, 55")
#   subgroup     a narrower group of the event ("two of the victims", "another woman")
#   increment    an addition to an earlier figure ("two more", "a further 30")
#   background   another incident, period or a tally ("300,000 killed since 2011")
#   hypothetical intent, threat, capacity or attempt ("tried to kill two officers")
# Only totals of the same scope are compared across sources.
Role = Literal["total", "part", "subgroup", "increment", "background", "hypothetical"]
Section = Literal["title", "lead", "body"]
Perpetrator = Literal["included", "excluded"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Actor(_Record):
    """Someone acting in the story: a canonical id and every surface form seen."""

    id: str = Field(description="Canonical id, e.g. 'country:KP', 'person:takeshi-iwaya'.")
    name: str
    kind: ActorKind
    mentions: list[str] = Field(default_factory=list)


class Location(_Record):
    """A place where something happens, resolved to a gazetteer entry when we know it."""

    id: str = Field(description="'iso:UA', 'geonames:703448', or 'name:<slug>' when unresolved.")
    name: str
    level: LocationLevel
    within: str | None = Field(default=None, description="Id of the containing place.")
    mentions: list[str] = Field(default_factory=list)
    unambiguous: bool = Field(
        default=False,
        description="The text pins this place down: it names the place's state, or the place is "
        "a big city whose namesakes are all far smaller. Only such places and the regions the "
        "text names may keep two articles apart as being in different states.",
    )


class Count(_Record):
    """One figure claim: a quantity as an interval, what is counted, and who says so."""

    text: str = Field(description="The figure as written, e.g. 'up to a dozen'.")
    low: float | None = Field(description="Lower bound; null when unbounded below.")
    high: float | None = Field(description="Upper bound; null when unbounded above.")
    qualifier: Qualifier
    thing: str | None = Field(default=None, description="The thing counted as written.")
    thing_key: str | None = Field(default=None, description="Normalised head noun, e.g. 'drone'.")
    action: str | None = Field(default=None, description="Action class from config/actions.toml.")
    claimant: str | None = None
    place: str | None = Field(
        default=None,
        description="Location id the figure is scoped to; 'scope:nationwide' for a figure "
        "said to cover a whole country.",
    )
    sentence: str
    start: int = Field(description="Character offset of the figure in the cleaned text.")
    # Defaults only let a schema-1 record (still in Redis during an upgrade) load; such a
    # figure is never compared, because only totals are.
    role: Role = Field(default="background", description="What the figure is to the event.")
    period: str | None = Field(
        default=None, description="The period the figure counts, as written ('since 2011')."
    )
    section: Section = Field(
        default="body", description="Where it stands: the title, the lead sentence, the body."
    )
    decided_by: str = Field(
        default="legacy",
        description="The named rule ('rule:including') or 'model' that decided the role.",
    )
    perpetrator: Perpetrator | None = Field(
        default=None,
        description="Whether a killed/injured figure says it counts the attacker, when it does.",
    )
    revised: bool = Field(
        default=False, description="Worded as a revision of an earlier figure ('rose to 12')."
    )
    confidence: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="How sure the decision is: the scorer's probability of the role it chose, "
        "1.0 when a named rule decided.",
    )
    part_of: int | None = Field(
        default=None,
        description="For a breakdown (part, or an increment/subgroup continuing one): the index "
        "in this signature's counts of the total it breaks down.",
    )
    # `sentence` is clipped around the figure to a bound (WIREWATCH_MAX_SENTENCE_CHARS), so a
    # signature stays far below the message limit whatever the article's punctuation.
    sentence_start: int | None = Field(
        default=None, description="Offset of the whole sentence in the cleaned text."
    )
    sentence_end: int | None = Field(
        default=None,
        description="End offset of the whole sentence in the cleaned text; when it is more "
        "than len(sentence) past sentence_start, `sentence` is a clipped part of it.",
    )


class DateMention(_Record):
    """A date expression resolved against the article's publication time."""

    text: str
    date: date
    granularity: Granularity = "day"
    start: int


class Signature(_Record):
    """The event signature of one article."""

    schema_version: int = SCHEMA_VERSION
    article_id: str
    source: str
    published_at: AwareDatetime
    title: str
    actors: list[Actor] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    counts: list[Count] = Field(default_factory=list)
    dates: list[DateMention] = Field(default_factory=list)
    event_date: date | None = Field(
        default=None, description="The date the article is mainly about."
    )
    terms: list[str] = Field(default_factory=list, description="Distinctive lower-case terms.")
    furniture_chars: int = Field(default=0, description="Characters of site furniture removed.")
    analysed_chars: int | None = Field(
        default=None,
        description="Characters of cleaned text analysed; offsets above count in this text.",
    )
    truncated: bool = Field(
        default=False,
        description="True when the article went on past what was analysed (a bounded prefix "
        "keeps extraction time bounded); its later figures and places are not in here.",
    )
    # Added within schema 2 (defaults keep older records loading; no consumer must read them).
    thin: bool = Field(
        default=False,
        description="No event content was left after cleaning (a stub, a captcha or a page of "
        "site furniture): the article is still assigned to a story, but never counts as a "
        "source for story.emerging.",
    )
    keys: list[str] = Field(
        default_factory=list,
        description="Distinctive keys of the article's event, kept for weeks to join "
        "follow-ups: people named in full who are not officials ('person:jane-doe'), street "
        "addresses ('addr:4800-madyson-ridge-dr'), named venues and businesses "
        "('org:<slug>').",
    )
    text_bands: list[str] = Field(
        default_factory=list,
        description="MinHash LSH band keys of the cleaned text's word shingles: articles "
        "sharing bands are near-duplicates (syndicated copies, lightly edited copies).",
    )
