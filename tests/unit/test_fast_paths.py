"""The fast paths in cleaning and tokenising give exactly what the plain regexes give."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.cleaning import _DOTTED, _DOTTED_MAP, _SAINT, _TOKEN, _undot, tokenize
from detectors.dates import _NUMERIC, _dateparse, _numeric_date

# The patterns as they were before the fast paths: the reference they must agree with.
SAINT_PLAIN = re.compile(r"\b(St|ST|Ft|FT|Mt|MT)\.(?= [A-Z])")


def _undot_plain(text: str) -> str:
    return _DOTTED.sub(lambda m: _DOTTED_MAP.get(m.group(1).lower(), m.group(1)), text)


def _tokens_plain(text: str) -> list[tuple[str, int, int]]:
    return [(m[0], m.start(), m.end()) for m in _TOKEN.finditer(text)]


# Long enough to pass _undot's candidate loop and reach its finditer fallback.
DOTTED_TEXT = st.text(alphabet="uUsSaAkKnNeEdDcCpPmM. xX_1\n\u017f\u212a\u00e9", max_size=120)
SAINT_TEXT = st.text(alphabet="SFMtT. AZa_\u00e91\n", max_size=30)
TOKEN_CHARS = list("aZq 19,.'-s_\n\t\u00e9\u00bd\u00b2\u0130\u03a3!\"(")
TOKEN_TEXT = st.text(alphabet=st.sampled_from(TOKEN_CHARS), max_size=60)


@settings(max_examples=3000, deadline=None)
@given(DOTTED_TEXT)
def test_undot_matches_the_plain_substitution(text: str) -> None:
    assert _undot(text) == _undot_plain(text)


@settings(max_examples=3000, deadline=None)
@given(SAINT_TEXT)
def test_the_saint_pattern_matches_the_word_boundary_form(text: str) -> None:
    assert _SAINT.sub(r"\1", text) == SAINT_PLAIN.sub(r"\1", text)


@settings(max_examples=3000, deadline=None)
@given(TOKEN_TEXT, st.integers(min_value=0, max_value=5))
def test_tokenize_matches_the_unicode_pattern_ascii_or_not(text: str, offset: int) -> None:
    expected = [(w, s + offset, e + offset) for w, s, e in _tokens_plain(text)]
    assert tokenize(text, offset) == expected


def test_known_cases() -> None:
    assert _undot("u.u.n. and U.S.A. at 9 a.m.") == "u.UN and USA. at 9 am"
    # Past the candidate loop, with a candidate that fails its word boundary just there.
    for many in ("U.S. " * 7 + "xa.m. and a.m.", "U.S. " * 8 + "xa.m. A.M. U.S.A.M. " * 3):
        assert _undot(many) == _undot_plain(many)
    assert _SAINT.sub(r"\1", "St. Louis, ASt. Bar, Mt. Vernon") == "St Louis, ASt. Bar, Mt Vernon"


def test_numeric_dates_with_a_four_digit_year_read_as_dateparser_reads_them() -> None:
    # Every month 1-12 and day 0-32, padded and not, in an ordinary, a far and a zero year
    # (dateparser takes ~1.5 ms a span, so the sample is bounded).
    spans = [
        form % (month, day, year)
        for month in range(1, 13)
        for day in range(0, 33)
        for year, form in (("2013", "%d/%d/%s"), ("0000", "%02d/%02d/%s"), ("2099", "%d/%02d/%s"))
    ]
    for span in spans:
        match = _NUMERIC.fullmatch(span)
        assert match is not None
        assert _numeric_date(match) == _dateparse.__wrapped__(span), span
    # Forms outside the fast path still go to dateparser (day-first when the month is > 12).
    match = _NUMERIC.fullmatch("13/4/2013")
    assert match is not None and _numeric_date(match) == _dateparse.__wrapped__("13/4/2013")
