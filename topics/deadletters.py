"""The `articles.deadletter` topic: input we could not process, with the bytes and the reason."""

from __future__ import annotations

import base64

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

DEADLETTERS = "articles.deadletter"
SCHEMA_VERSION = 1

# Every reason code a dead letter can carry (also the values of the metric's `reason` label).
DeadLetterReason = str
INGEST_REASONS = (
    "too_large",
    "invalid_utf8",
    "not_json",
    "not_an_object",
    "missing_field",
    "empty_field",
    "wrong_type",
    "invalid_published_at",
    "unsupported_schema_version",
    "invalid",
)
PROCESSING_REASONS = ("extraction_failed", "state_failed", "internal_error")
REASONS = INGEST_REASONS + PROCESSING_REASONS


class DeadLetter(BaseModel):
    """A message that ended here instead of as a signature; `original_b64` is its exact value."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: int = SCHEMA_VERSION
    reason: DeadLetterReason
    error: str = Field(description="What was wrong, for a person.")
    article_id: str | None = None
    topic: str
    partition: int
    offset: int
    received_at: AwareDatetime
    original_b64: str

    @property
    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)

    @staticmethod
    def encode(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")
