"""The `articles` topic: what producers send us, and how raw bytes become an Article."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

ARTICLES = "articles"
SCHEMA_VERSION = 1
# One article is a news story, not a book: anything larger is a producer bug.
DEFAULT_MAX_BYTES = 1_000_000

# Whitespace-only is empty: the worker strips, so the schema asks for one non-space character.
_NOT_BLANK = Field(json_schema_extra={"pattern": r"\S"})
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), _NOT_BLANK]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512), _NOT_BLANK
]

# published_at on the wire: an RFC 3339 date-time (section 5.6: 'T' and 'Z' in either case, any
# number of fraction digits, a leap second) or a bare full-date. The article JSON Schema carries
# this same expression as its pattern, so any consumer's validator agrees with the worker.
PUBLISHED_AT_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"([Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9]))?$"
)
_PUBLISHED_AT = re.compile(PUBLISHED_AT_PATTERN)


class Article(BaseModel):
    """One news article as a producer sends it (JSON, UTF-8)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    schema_version: int = SCHEMA_VERSION
    id: ShortText
    source: ShortText
    published_at: AwareDatetime = Field(
        description="Event time of the article: RFC 3339 with an offset, or a bare date "
        "(taken as 00:00 UTC)."
    )
    title: NonEmpty
    text: NonEmpty
    url: str | None = None


class InvalidArticle(ValueError):
    """Raw bytes that are not a valid article; `reason` is a short stable code for metrics."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def parse_published_at(text: str) -> datetime:
    """An RFC 3339 date-time, or a bare date taken as 00:00 UTC; ValueError for anything else
    (a naive date-time is refused rather than given a guessed zone)."""
    match = _PUBLISHED_AT.fullmatch(text)
    if match is None:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9:.]+", text):
            raise ValueError("has no UTC offset; add one, e.g. 'Z' or '+02:00'")
        raise ValueError("is not an RFC 3339 date-time (2026-03-14T08:15:00Z) or a date")
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError("is not a calendar date") from None
    if len(text) == 10:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
    fraction = match[6] or ""  # groups: month, day, time, hour, second, fraction, offset
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    tail = text[19 + len(fraction) :]
    if tail in ("Z", "z"):
        zone = UTC
    else:
        sign = -1 if tail[0] == "-" else 1
        zone = timezone(sign * timedelta(hours=int(tail[1:3]), minutes=int(tail[4:6])))
    if second < 60:
        return datetime(day.year, day.month, day.day, hour, minute, second, micro, zone)
    # A leap second exists only as 23:59:60 UTC; in POSIX time it is the next day's first
    # instant.
    before = datetime(day.year, day.month, day.day, hour, minute, 59, micro, zone)
    if before.astimezone(UTC).strftime("%H:%M") != "23:59":
        raise ValueError("has second 60 outside a leap second (23:59:60 UTC)")
    return before + timedelta(seconds=1)


def _normalise_published_at(doc: dict[str, Any]) -> None:
    """published_at as the model's strict parser reads it (see parse_published_at)."""
    value = doc.get("published_at")
    if not isinstance(value, str):
        return
    try:
        parsed = parse_published_at(value)
    except ValueError as exc:
        raise InvalidArticle("invalid_published_at", f"published_at {value!r} {exc}") from exc
    doc["published_at"] = parsed.isoformat()


def _reason_for(error: ValidationError) -> tuple[str, str]:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "article"
    kind = first["type"]
    if kind == "missing":
        return "missing_field", f"field {field!r} is required"
    if kind == "string_too_short":
        return "empty_field", f"field {field!r} is empty"
    if kind.endswith("_type") and field != "published_at":
        return "wrong_type", f"field {field!r}: {first['msg']}"
    if field == "published_at":
        return "invalid_published_at", f"published_at: {first['msg']}"
    if kind.endswith("_type") or kind in ("string_type", "int_type"):
        return "wrong_type", f"field {field!r}: {first['msg']}"
    return "invalid", f"field {field!r}: {first['msg']}"


def parse_article(raw: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Article:
    """Decode and validate one message value, raising InvalidArticle with a stable reason."""
    if len(raw) > max_bytes:
        raise InvalidArticle("too_large", f"{len(raw)} bytes is over the {max_bytes}-byte limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArticle("invalid_utf8", f"not UTF-8 at byte {exc.start}") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidArticle(
            "not_json", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    if not isinstance(doc, dict):
        raise InvalidArticle("not_an_object", f"expected a JSON object, got {type(doc).__name__}")
    version = doc.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise InvalidArticle(
            "unsupported_schema_version",
            f"schema_version {version!r}; this worker reads {SCHEMA_VERSION}",
        )
    if isinstance(version, float):
        doc["schema_version"] = SCHEMA_VERSION  # JSON has one number type: 1.0 is 1

    _normalise_published_at(doc)
    try:
        # Round-trip through JSON so strict mode parses the date-time string as JSON would.
        return Article.model_validate_json(json.dumps(doc), strict=True)
    except ValidationError as exc:
        reason, detail = _reason_for(exc)
        raise InvalidArticle(reason, detail) from exc
