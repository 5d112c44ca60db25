"""The fast paths in cleaning and tokenising give exactly what the plain regexes give."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.cleaning import _DOTTED, _DOTTED_MAP, _SAINT, _TOKEN, _undot, tokenize

# The patterns as they were before the fast paths: the reference they must agree with.
SAINT_PLAIN = re.compile(r"\b(St|ST|Ft|FT|Mt|MT)\.(?= [A-Z])")


def _undot_plain(text: str) -> str:
    return _DOTTED.sub(lambda m: _DOTTED_MAP.get(m.group(1).lower(), m.group(1)), text)


def _tokens_plain(text: str) -> list[tuple[str, int, int]]:
    return [(m[0], m.start(), m.end()) for m in _TOKEN.finditer(text)]


DOTTED_TEXT = st.text(alphabet="uUsSaAkKnNeEdDcCpPmM. xX_1\n\u017f\u212a\u00e9", max_size=40)
SAINT_TEXT = st.text(alphabet="SFMtT. AZa_\u00e91\n", max_size=30)
TOKEN_TEXT = st.text(
    alphabet=st.sampled_from(list("aZq 19,.'-s_\n\t\u00e9\u00bd\u00b2\u0130\u03a3!\"(")), max_size=60
)


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
    assert _SAINT.sub(r"\1", "St. Louis, ASt. Bar, Mt. Vernon") == "St Louis, ASt. Bar, Mt Vernon"
