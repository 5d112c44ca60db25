"""The `articles.deadletter` topic: input we could not process, with the bytes and the reason."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

DEADLETTERS = "articles.deadletter"
SCHEMA_VERSION = 1

# Every reason code a dead letter can carry (also the values of the metric's `reason` label).
# A closed set: mypy catches a typo, the metric pre-creates one series per reason, and the
# JSON Schema lists them for consumers.
IngestReason = Literal[
    "too_large",
    "invalid_utf8",
    "invalid_unicode",
    "not_json",
    "number_too_large",
    "too_deep",
    "not_an_object",
    "missing_field",
    "empty_field",
    "wrong_type",
    "invalid_published_at",
    "published_at_out_of_range",
    "unsupported_schema_version",
    "invalid",
]
ProcessingReason = Literal[
    "extraction_failed", "signature_too_large", "state_failed", "internal_error"
]
DeadLetterReason = Literal[IngestReason, ProcessingReason]
INGEST_REASONS: tuple[IngestReason, ...] = get_args(IngestReason)
PROCESSING_REASONS: tuple[ProcessingReason, ...] = get_args(ProcessingReason)
REASONS: tuple[DeadLetterReason, ...] = INGEST_REASONS + PROCESSING_REASONS

# Room a dead letter's own fields, key, headers and the record framing take besides the copy
# of the original: the error text is clipped to MAX_ERROR_CHARS, the key to MAX_KEY_BYTES.
MAX_ERROR_CHARS = 2_000
MAX_KEY_BYTES = 1_024
_ENVELOPE_BYTES = 16_384


class DeadLetter(BaseModel):
    """A message that ended here instead of as a signature.

    `original_b64` is the exact value, or, when the value is too large to fit in one message
    with its base64 overhead, its first bytes (`original_truncated` is then true); either way
    `original_bytes` and `original_sha256` identify the whole original.
    """

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
    original_bytes: int | None = Field(
        default=None, description="Length of the original value in bytes."
    )
    original_sha256: str | None = Field(
        default=None, description="SHA-256 (hex) of the whole original value."
    )
    original_truncated: bool = Field(
        default=False, description="True when original_b64 holds only a prefix of the value."
    )

    @property
    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)

    @staticmethod
    def encode(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    @classmethod
    def build(
        cls,
        *,
        reason: DeadLetterReason,
        error: str,
        article_id: str | None,
        topic: str,
        partition: int,
        offset: int,
        received_at: datetime,
        original: bytes,
        max_message_bytes: int,
    ) -> DeadLetter:
        """A dead letter that always fits in `max_message_bytes` (the producer's limit)."""
        keep = original_budget(max_message_bytes)
        return cls(
            reason=reason,
            error=error if len(error) <= MAX_ERROR_CHARS else error[: MAX_ERROR_CHARS - 1] + "…",
            article_id=article_id[:512] if article_id else article_id,
            topic=topic,
            partition=partition,
            offset=offset,
            received_at=received_at,
            original_b64=cls.encode(original[:keep]),
            original_bytes=len(original),
            original_sha256=hashlib.sha256(original).hexdigest(),
            original_truncated=len(original) > keep,
        )


def original_budget(max_message_bytes: int) -> int:
    """How many bytes of the original a dead letter can carry: base64 makes 3 bytes 4."""
    return max(0, (max_message_bytes - _ENVELOPE_BYTES) * 3 // 4)


def deadletter_key(key: bytes | None) -> bytes | None:
    """The original key, or its SHA-256 (hex) when it is too long to carry."""
    if key is None or len(key) <= MAX_KEY_BYTES:
        return key
    return hashlib.sha256(key).hexdigest().encode()
