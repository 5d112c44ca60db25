"""The `articles` topic: what producers send us, and how raw bytes become an Article."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from topics.deadletters import IngestReason

ARTICLES = "articles"
SCHEMA_VERSION = 1
# One article is a news story, not a book: anything larger is a producer bug.
DEFAULT_MAX_BYTES = 1_000_000
# An article is a flat object; nesting deeper than this is not one of ours (and deep enough
# nesting would otherwise end in a RecursionError that depends on the caller's stack).
MAX_JSON_DEPTH = 64
# Years outside these (as written) are refused even when the caller sets no tighter range, so
# no date arithmetic downstream (windows, "next year", a week before) can leave datetime's
# years 1..9999. The schema's pattern says the same; the worker adds its configured floor and
# clock skew on top.
EARLIEST_YEAR, LATEST_YEAR = 1000, 8999
# How much of a bad value an error message quotes.
_QUOTE_CHARS = 80

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
# What the article schema asks of published_at: the same, in years EARLIEST..LATEST_YEAR.
PUBLISHED_AT_SCHEMA_PATTERN = r"^(?=(?:1[0-9]{3}|[2-8][0-9]{3})-)" + PUBLISHED_AT_PATTERN[1:]


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

    def __init__(self, reason: IngestReason, detail: str) -> None:
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
        raise InvalidArticle("invalid_published_at", f"published_at {_quote(value)} {exc}") from exc
    except OverflowError as exc:
        # A leap second or an offset at the very ends of datetime's years 1..9999.
        raise InvalidArticle(
            "published_at_out_of_range", f"published_at {_quote(value)} is out of range"
        ) from exc
    doc["published_at"] = parsed.isoformat()


def _quote(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 1] + "…"


def _too_deep(doc: object, limit: int) -> bool:
    """Whether any value nests deeper than `limit` (iterative: no recursion on hostile input)."""
    stack: list[tuple[object, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _loads(text: str) -> Any:
    """json.loads with every failure named: the C decoder raises three kinds of error."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidArticle(
            "not_json", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise InvalidArticle("too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH}") from exc
    except ValueError as exc:
        # Python refuses integers of more than sys.get_int_max_str_digits() digits (4,300).
        raise InvalidArticle("number_too_large", f"a JSON number is too long: {exc}") from exc
    if _too_deep(doc, MAX_JSON_DEPTH):
        raise InvalidArticle("too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH}")
    return doc


_FIELDS = ("schema_version", *(name for name in Article.model_fields if name != "schema_version"))


def _reason_for(error: ValidationError) -> tuple[IngestReason, str]:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "article"
    kind = first["type"]
    if kind == "json_invalid":
        # What json.loads accepts and pydantic's parser does not: an escaped lone surrogate
        # ("\\ud800"), which is no Unicode character and cannot be encoded as UTF-8 again.
        return "invalid_unicode", f"not valid Unicode text: {first['msg']}"
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


def parse_article(
    raw: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> Article:
    """Decode and validate one message value, raising InvalidArticle with a stable reason.

    Returns an Article or raises InvalidArticle, whatever the bytes: every way the input can
    be wrong has a named reason (tests/unit/test_articles_contract.py checks that property).
    `published_at` must be written in years 1000..8999 and lie in [not_before, not_after].
    """
    if len(raw) > max_bytes:
        raise InvalidArticle("too_large", f"{len(raw)} bytes is over the {max_bytes}-byte limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArticle("invalid_utf8", f"not UTF-8 at byte {exc.start}") from exc
    doc = _loads(text)
    if not isinstance(doc, dict):
        raise InvalidArticle("not_an_object", f"expected a JSON object, got {type(doc).__name__}")
    version = doc.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise InvalidArticle(
            "unsupported_schema_version",
            f"schema_version {_quote(version)}; this worker reads {SCHEMA_VERSION}",
        )
    if isinstance(version, float):
        doc["schema_version"] = SCHEMA_VERSION  # JSON has one number type: 1.0 is 1

    _normalise_published_at(doc)
    # Only the fields we read are validated (and re-encoded): what else a producer sends is
    # ignored, however large or nested.
    fields = {name: doc[name] for name in _FIELDS if name in doc}
    try:
        # Round-trip through JSON so strict mode parses the date-time string as JSON would.
        article = Article.model_validate_json(json.dumps(fields), strict=True)
    except ValidationError as exc:
        reason, detail = _reason_for(exc)
        raise InvalidArticle(reason, detail) from exc
    when = article.published_at
    if not EARLIEST_YEAR <= when.year <= LATEST_YEAR:
        raise InvalidArticle(
            "published_at_out_of_range",
            f"published_at {when.isoformat()} is outside years {EARLIEST_YEAR}..{LATEST_YEAR}",
        )
    if (not_before is not None and when < not_before) or (
        not_after is not None and when > not_after
    ):
        raise InvalidArticle(
            "published_at_out_of_range",
            f"published_at {when.isoformat()} is outside "
            f"{not_before.isoformat() if not_before else '…'} .. "
            f"{not_after.isoformat() if not_after else '…'}",
        )
    return article
