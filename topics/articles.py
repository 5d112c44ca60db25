"""The `articles` topic: what producers send us, and how raw bytes become an Article."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

ARTICLES = "articles"
SCHEMA_VERSION = 1
# One article is a news story, not a book: anything larger is a producer bug.
DEFAULT_MAX_BYTES = 1_000_000

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Article(BaseModel):
    """One news article as a producer sends it (JSON, UTF-8)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    schema_version: int = SCHEMA_VERSION
    id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
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


def _normalise_published_at(doc: dict[str, Any]) -> None:
    """Accept a bare date as midnight UTC; reject naive date-times instead of guessing a zone."""
    value = doc.get("published_at")
    if not isinstance(value, str):
        return
    text = value.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        if len(text) == 10:
            doc["published_at"] = datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat()
            return
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidArticle(
            "invalid_published_at", f"published_at {value!r} is not an RFC 3339 date-time"
        ) from exc
    if parsed.tzinfo is None:
        raise InvalidArticle(
            "invalid_published_at",
            f"published_at {value!r} has no UTC offset; add one, e.g. 'Z' or '+02:00'",
        )
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
    _normalise_published_at(doc)
    try:
        # Round-trip through JSON so strict mode parses the date-time string as JSON would.
        return Article.model_validate_json(json.dumps(doc), strict=True)
    except ValidationError as exc:
        reason, detail = _reason_for(exc)
        raise InvalidArticle(reason, detail) from exc
