"""Shared helpers for the extraction benchmarks: load the extractor and JSONL articles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from config.tables import load_tables
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from topics.articles import Article

ROOT = Path(__file__).resolve().parent.parent


def extractor() -> SignatureExtractor:
    """The extractor built from the operator tables shipped in config/."""
    return SignatureExtractor(Lexicon.from_tables(load_tables(ROOT / "config")))


def published(value: str) -> datetime:
    """A bare date or an RFC 3339 time as an aware datetime (bare dates are 00:00 UTC)."""
    if len(value) == 10:
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def rows(path: Path, limit: int = 0) -> Iterator[dict[str, Any]]:
    """JSON objects from a JSONL file, at most limit of them when limit > 0."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if limit and number >= limit:
                return
            if line.strip():
                yield json.loads(line)


def article(row: dict[str, Any]) -> Article:
    """An Article from one JSONL row (extra fields such as gold are ignored)."""
    return Article(
        id=str(row["id"]),
        source=str(row.get("source") or "bench"),
        published_at=published(str(row["published_at"])),
        title=str(row.get("title") or "").strip() or "untitled",
        text=str(row.get("text") or "").strip() or "(empty)",
    )
