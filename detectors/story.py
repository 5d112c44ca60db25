"""What the detectors see of a story: its members, their figure claims and alerts already sent."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, Protocol

from topics import Alert, Count, Signature

_REGION_LEVELS = frozenset({"admin1", "region"})
# Figure-role rules (detectors/roles.py) that say an article tallies several incidents.
ROUNDUP_RULES = frozenset(
    {"rule:several_incidents", "rule:roundup_period", "rule:area_tally", "rule:day_span"}
)
_BROAD_LEVELS = _REGION_LEVELS | {"country"}


@dataclass(frozen=True)
class Member:
    """One article in a story, with the parts of its signature that matching needs."""

    article_id: str
    source: str
    published_at: datetime
    title: str
    actors: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    terms: frozenset[str] = frozenset()
    event_date: date | None = None
    # Regions (states, provinces, oblasts) the article's places lie in or that it names: two
    # cities of one name in different states have different regions.
    regions: frozenset[str] = frozenset()
    # The regions the text itself names ("Ohio", "Springfield, Ill."), not those inferred from
    # how a town was resolved: only these may veto a match (a homonym resolved to the wrong
    # state must not split a story).
    stated_regions: frozenset[str] = frozenset()
    # Names of the places below region level, lower-cased: the gazetteer sometimes resolves one
    # town to different homonyms in two articles ("Hamilton" in Ohio and in Ontario), so matching
    # also compares what the articles wrote.
    place_names: frozenset[str] = frozenset()
    # Every day the article names ("on Friday", "March 3"): a follow-up names the day of the
    # event it follows up.
    days: frozenset[date] = frozenset()
    # A stub or furniture page (Signature.thin): matched, never counted as a source.
    thin: bool = False
    # Distinctive keys (detectors.keys): full names, addresses, venues.
    keys: frozenset[str] = frozenset()
    # MinHash LSH bands of the text (detectors.neardup): shared bands mean a near-duplicate.
    bands: frozenset[str] = frozenset()
    # A roundup of several incidents (a weekend's shootings across a city): it shares words and
    # places with each of them and is the story of none.
    roundup: bool = False

    @classmethod
    def from_signature(cls, signature: Signature) -> Member:
        stated = {loc.id for loc in signature.locations if loc.level in _REGION_LEVELS}
        regions = set(stated)
        # A place the text pins down (its state named, or a big city no namesake rivals) states
        # its region as surely as the state's own name would.
        stated |= {
            loc.within
            for loc in signature.locations
            if loc.unambiguous and loc.within is not None and not loc.within.startswith("iso:")
        }
        regions |= {
            loc.within
            for loc in signature.locations
            if loc.within is not None and not loc.within.startswith("iso:")
        }
        return cls(
            article_id=signature.article_id,
            source=signature.source,
            published_at=signature.published_at,
            title=signature.title,
            actors=frozenset(actor.id for actor in signature.actors),
            places=frozenset(place.id for place in signature.locations),
            terms=frozenset(signature.terms),
            event_date=signature.event_date,
            regions=frozenset(regions),
            stated_regions=frozenset(stated),
            place_names=frozenset(
                loc.name.lower()
                for loc in signature.locations
                if loc.level not in _BROAD_LEVELS and not loc.id.startswith("iso:")
            ),
            days=frozenset(d.date for d in signature.dates if d.granularity == "day"),
            thin=signature.thin,
            roundup=any(c.decided_by in ROUNDUP_RULES for c in signature.counts),
            keys=frozenset(signature.keys),
            bands=frozenset(signature.text_bands),
        )

    # Typed tokens, built once per member: matching compares them against every candidate.
    @cached_property
    def actor_tokens(self) -> frozenset[str]:
        return frozenset(f"a:{a}" for a in self.actors)

    @cached_property
    def place_tokens(self) -> frozenset[str]:
        return frozenset(f"p:{p}" for p in self.places)

    @cached_property
    def term_tokens(self) -> frozenset[str]:
        return frozenset(f"t:{t}" for t in self.terms)

    @cached_property
    def key_tokens(self) -> frozenset[str]:
        # People and organisations are actors already; addresses and venues are new evidence.
        return frozenset(f"k:{k}" for k in self.keys if not k.startswith(("person:", "org:")))

    @cached_property
    def tokens(self) -> frozenset[str]:
        """Everything that identifies the article's event, as typed tokens for the index."""
        return self.actor_tokens | self.place_tokens | self.term_tokens | self.key_tokens

    def index_tokens(self) -> list[str]:
        """What the candidate index files the article under (sorted): its tokens, its event
        day and its near-duplicate bands."""
        tokens = set(self.tokens)
        if self.event_date is not None:
            tokens.add(f"d:{self.event_date.isoformat()}")
        tokens.update(f"b:{band}" for band in self.bands)
        return sorted(tokens)

    def to_json(self) -> str:
        return json.dumps(
            {
                "article_id": self.article_id,
                "source": self.source,
                "published_at": self.published_at.isoformat(),
                "title": self.title,
                "actors": sorted(self.actors),
                "places": sorted(self.places),
                "terms": sorted(self.terms),
                "event_date": self.event_date.isoformat() if self.event_date else None,
                "regions": sorted(self.regions),
                "stated_regions": sorted(self.stated_regions),
                "place_names": sorted(self.place_names),
                "days": sorted(d.isoformat() for d in self.days),
                "thin": self.thin,
                "roundup": self.roundup,
                "keys": sorted(self.keys),
                "bands": sorted(self.bands),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Member:
        doc = json.loads(raw)
        return cls(
            article_id=doc["article_id"],
            source=doc["source"],
            published_at=datetime.fromisoformat(doc["published_at"]),
            title=doc["title"],
            actors=frozenset(doc["actors"]),
            places=frozenset(doc["places"]),
            terms=frozenset(doc["terms"]),
            event_date=date.fromisoformat(doc["event_date"]) if doc["event_date"] else None,
            regions=frozenset(doc.get("regions", ())),
            stated_regions=frozenset(doc.get("stated_regions", ())),
            place_names=frozenset(doc.get("place_names", ())),
            days=frozenset(date.fromisoformat(d) for d in doc.get("days", ())),
            thin=bool(doc.get("thin", False)),
            roundup=bool(doc.get("roundup", False)),
            keys=frozenset(doc.get("keys", ())),
            bands=frozenset(doc.get("bands", ())),
        )


@dataclass(frozen=True)
class Claim:
    """One figure claim with its provenance."""

    claim_id: str
    article_id: str
    source: str
    published_at: datetime
    count: Count
    # The scope place's name as the article resolved it, so alerts can say "over Odesa Oblast".
    place_name: str | None = None

    @classmethod
    def from_signature(cls, signature: Signature) -> list[Claim]:
        names = {location.id: location.name for location in signature.locations}
        return [
            cls(
                claim_id=f"{signature.article_id}#{index}",
                article_id=signature.article_id,
                source=signature.source,
                published_at=signature.published_at,
                count=count,
                place_name=names.get(count.place) if count.place else None,
            )
            for index, count in enumerate(signature.counts)
        ]

    def to_json(self) -> str:
        return json.dumps(
            {
                "claim_id": self.claim_id,
                "article_id": self.article_id,
                "source": self.source,
                "published_at": self.published_at.isoformat(),
                "count": self.count.model_dump(mode="json"),
                "place_name": self.place_name,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> Claim:
        doc = json.loads(raw)
        return cls(
            claim_id=doc["claim_id"],
            article_id=doc["article_id"],
            source=doc["source"],
            published_at=datetime.fromisoformat(doc["published_at"]),
            count=Count.model_validate(doc["count"]),
            place_name=doc.get("place_name"),
        )


@dataclass(frozen=True)
class StoryProfile:
    """A candidate story as matching sees it: the union of its members' signatures."""

    story_id: str
    members: tuple[Member, ...]

    @property
    def actors(self) -> frozenset[str]:
        return frozenset().union(*(m.actors for m in self.members))

    @property
    def places(self) -> frozenset[str]:
        return frozenset().union(*(m.places for m in self.members))

    @property
    def terms(self) -> frozenset[str]:
        return frozenset().union(*(m.terms for m in self.members))

    @property
    def regions(self) -> frozenset[str]:
        return frozenset().union(*(m.regions for m in self.members))

    @property
    def created_at(self) -> datetime:
        return min(m.published_at for m in self.members)

    @property
    def event_dates(self) -> frozenset[date]:
        return frozenset(m.event_date for m in self.members if m.event_date is not None)

    @property
    def last_published_at(self) -> datetime:
        return max(m.published_at for m in self.members)


@dataclass(frozen=True)
class StorySnapshot:
    """A story's state after an update, read atomically from the store."""

    story_id: str
    members: tuple[Member, ...]
    claims: tuple[Claim, ...]
    # Alert topic (e.g. one figure of the story) -> id of the latest alert sent about it.
    latest_alerts: Mapping[str, str] = field(default_factory=dict)

    @property
    def members_by_id(self) -> dict[str, Member]:
        return {member.article_id: member for member in self.members}


@dataclass(frozen=True)
class Finding:
    """An alert a detector wants sent, and the topic it updates (one figure, or the story).

    `evidence` says what the alert says, independent of which story holds it and of which
    outlets repeated it (see `evidence_key`): the worker sends at most one alert per story and
    evidence key, and a merge carries the absorbed story's keys into the survivor. Empty: the
    alert id is the key.
    """

    alert: Alert
    topic: str
    evidence: str = ""

    @property
    def key(self) -> str:
        return self.evidence or self.alert.id


class StoryDetector(Protocol):
    """Anything that looks at a story snapshot and says which alerts it wants sent."""

    def check(self, story: StorySnapshot) -> list[Finding]: ...


def stable_id(prefix: str, *parts: Any) -> str:
    """A short id that depends only on `parts`: same evidence, same id.

    Alert ids take no story id: two stories that merge would otherwise name one alert twice.
    They take what the alert is about (kind, figure, values) and the earliest claims or
    articles that carry it, so the same values in two unrelated stories get different ids.
    """
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return f"{prefix}-{digest[:20]}"


def evidence_key(*parts: Any) -> str:
    """The key of what an alert says (kind, figure, values), whoever repeated it, in any story."""
    return stable_id("ev", *parts)


def earliest(claims: Iterable[Claim]) -> str:
    """The claim id of the earliest claim (event time, then id): an alert id's anchor."""
    return min((c.published_at, c.claim_id) for c in claims)[1]


def new_story_id(article_id: str) -> str:
    """A new story is named after its first article, so re-processing names it the same."""
    return stable_id("st", article_id)
