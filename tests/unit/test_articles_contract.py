"""The articles contract: what parses, and the stable reason for what does not."""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from topics import Article, InvalidArticle, parse_article
from topics.deadletters import INGEST_REASONS


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


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"1" * 5000, "number_too_large"),
        (_raw(extra={"deep": [[["fine"]]]}), None),
        (b'{"id": ' + b"7" * 4400 + b"}", "number_too_large"),
        (b"[" * 100_000, "too_deep"),
        (b'{"id": "a", "nested": ' + b"[" * 70 + b"]" * 70 + b"}", "too_deep"),
        (_raw(published_at="9999-12-31T23:00:00-05:00"), "published_at_out_of_range"),
        (_raw(published_at="0001-01-01T00:30:00+01:00"), "published_at_out_of_range"),
        # Leap seconds at the ends of datetime's range (the next instant does not exist).
        (_raw(published_at="9999-12-31T23:59:60Z"), "published_at_out_of_range"),
        (_raw(published_at="0001-01-01T00:59:60+01:00"), "published_at_out_of_range"),
        (_raw(title="\\ud800").replace(b"\\\\ud800", b"\\ud800"), "invalid_unicode"),
    ],
)
def test_hostile_input_has_a_named_reason(raw: bytes, reason: str | None) -> None:
    if reason is None:  # the control row: an ordinary article with an extra field parses
        assert parse_article(raw).id == "a1"
        return
    with pytest.raises(InvalidArticle) as caught:
        parse_article(raw)
    assert caught.value.reason == reason
    assert len(caught.value.detail) < 400, "a detail never quotes the whole input"


def test_published_at_range_is_the_callers() -> None:
    floor = datetime(2000, 1, 1, tzinfo=UTC)
    ceiling = datetime(2026, 3, 15, tzinfo=UTC)
    ok = parse_article(_raw(), not_before=floor, not_after=ceiling)
    assert ok.published_at == datetime(2026, 3, 14, 7, 40, tzinfo=UTC)
    for when in ("1999-12-31T23:59:59Z", "2026-03-15T00:00:01Z"):
        with pytest.raises(InvalidArticle) as caught:
            parse_article(_raw(published_at=when), not_before=floor, not_after=ceiling)
        assert caught.value.reason == "published_at_out_of_range"


# Arbitrary JSON values, article-shaped objects with arbitrary field values, and raw bytes.
_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
_DATES = (
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
    | st.datetimes().map(lambda d: d.isoformat())
    | st.dates().map(lambda d: d.isoformat())
    | st.text(max_size=30)
)
_ARTICLES = st.fixed_dictionaries(
    {},
    optional={
        "schema_version": st.integers(0, 2) | _JSON,
        "id": st.text(max_size=20) | _JSON,
        "source": st.text(max_size=20) | _JSON,
        "published_at": _DATES | _JSON,
        "title": st.text(max_size=40) | _JSON,
        "text": st.text(max_size=200) | _JSON,
        "url": st.text(max_size=20) | _JSON,
    },
)


def _encode(value: object) -> bytes:
    return json.dumps(value).encode()


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        _JSON.map(_encode),
        _ARTICLES.map(_encode),
        _ARTICLES.map(lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "replace")),
        st.binary(max_size=300),
    )
)
def test_parse_article_returns_an_article_or_raises_a_named_error(raw: bytes) -> None:
    # Anything but an Article or InvalidArticle (a KeyError, an OverflowError, ...) fails here.
    try:
        article = parse_article(raw)
    except InvalidArticle as exc:
        assert exc.reason in INGEST_REASONS
        assert exc.detail
    else:
        assert isinstance(article, Article)
        assert article.published_at.utcoffset() is not None
        assert article.id and article.source and article.title.strip() and article.text.strip()
