"""The articles contract: what parses, and the stable reason for what does not."""

import json
from datetime import UTC, datetime

import pytest

from topics import InvalidArticle, parse_article


def _raw(**fields: object) -> bytes:
    doc: dict[str, object] = {
        "id": "a1",
        "source": "example.org",
        "published_at": "2026-03-14T07:40:00+00:00",
        "title": "Title",
        "text": "Body text.",
    }
    doc.update(fields)
    return json.dumps({k: v for k, v in doc.items() if v is not ...}).encode()


def test_valid_article_is_timezone_aware() -> None:
    article = parse_article(_raw(published_at="2026-03-14T09:40:00+02:00"))
    assert article.published_at == datetime(2026, 3, 14, 7, 40, tzinfo=UTC)
    assert article.published_at.utcoffset() is not None


def test_bare_date_is_midnight_utc() -> None:
    assert parse_article(_raw(published_at="2017-01-05")).published_at == datetime(
        2017, 1, 5, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe not utf-8", "invalid_utf8"),
        (b"{not json", "not_json"),
        (b"[1, 2]", "not_an_object"),
        (_raw(id=...), "missing_field"),
        (_raw(text="   "), "empty_field"),
        (_raw(id=42), "wrong_type"),
        (_raw(title=["a"]), "wrong_type"),
        (_raw(published_at="last Tuesday"), "invalid_published_at"),
        (_raw(published_at="2026-03-14T07:40:00"), "invalid_published_at"),
        (_raw(published_at=1710402000), "invalid_published_at"),
        (_raw(schema_version=2), "unsupported_schema_version"),
    ],
)
def test_bad_input_has_a_stable_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidArticle) as caught:
        parse_article(raw)
    assert caught.value.reason == reason
    assert caught.value.detail


def test_size_limit_is_checked_before_decoding() -> None:
    with pytest.raises(InvalidArticle) as caught:
        parse_article(_raw(text="x" * 2000), max_bytes=1000)
    assert caught.value.reason == "too_large"
