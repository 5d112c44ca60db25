"""Text cleaning: unicode normalisation, site-furniture removal and sentence splitting."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from re import Match

from detectors.lexicon import Lexicon

_MAP = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2212": "-",
    "\u2014": " - ",
    "\u2015": " - ",
    "\u00a0": " ",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\u00ad": "",
    "\r": "\n",
    "\t": " ",
    "\u2028": "\n",
    "\u2029": "\n",
}
_REPLACEMENTS = tuple(_MAP.items())
# Dotted abbreviations would otherwise end sentences and split names ("U.S. troops").
_DOTTED = re.compile(r"\b(U\.S\.A?|U\.K\.|U\.N\.|E\.U\.|D\.C\.|a\.m\.|p\.m\.)(?!\w)", re.IGNORECASE)
_DOTTED_MARKERS = (".S.", ".s.", ".K.", ".k.", ".N.", ".n.", ".U.", ".u.", ".m.", ".M.", ".C.")
# Where a _DOTTED match can start: its first four characters, every case-insensitive form
# written out (the long s and the Kelvin sign fold to s and k). A plain class lets the regex
# engine skip ahead in C; the IGNORECASE alternation above is tried only at these places.
# Candidates _undot checks one by one before handing the rest of a text to _DOTTED.sub.
_UNDOT_LOOP = 8
_DOTTED_START = re.compile("[UuEeDdAaPp]\\.[Ss\u017fKk\u212aNnCcMmUu]\\.")
# "St. Louis", "Ft. Worth", "Mt. Vernon": the dot would end the sentence and split the name.
# (The word boundary is checked by a look-behind after the first letter, so the search can
# skip ahead to the next S, F or M.)
_SAINT = re.compile(r"([SFM](?<!\w[SFM])[tT])\.(?= [A-Z])")
_DOTTED_MAP = {
    "u.s.": "US",
    "u.s.a": "USA",
    "u.k.": "UK",
    "u.n.": "UN",
    "e.u.": "EU",
    "d.c.": "DC",
    "a.m.": "am",
    "p.m.": "pm",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \f\v]{2,}")
_MARKDOWN_LINK = re.compile(r"\[[^\[\]\n]{0,300}\]\([^()\s]{0,500}\)")
_URL = re.compile(
    r"(?:\bhttps?://|\bwww\.)[^\s<>\"]{1,2000}|\b[\w.+-]{1,64}@[\w-]{1,63}\.[\w.]{2,63}"
)
_EMPHASIS = re.compile(r"\*{2,3}|_{2,3}|^#{1,6}\s")
_AGO = re.compile(r"^\d{1,3}\s?(?:s|m|h|d|mins?|hrs?|hours?|days?)\s+ago$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[|\u2022\u00b7]")
_ALNUM = re.compile(r"[^\W_]")
_LEADING_JUNK = re.compile(r"^[^\w]{1,10}")
_SENTENCE_END = re.compile(r"[.!?]{1,3}[\"')\]]{0,2}(?=\s)|\n")
_LAST_WORD = re.compile(r"(\w{1,12})$")
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "gen",
        "lt",
        "col",
        "sgt",
        "capt",
        "gov",
        "sen",
        "rep",
        "prof",
        "no",
        "vs",
        "etc",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "inc",
        "ltd",
        "co",
        "corp",
        "jr",
        "sr",
        "mt",
        "ft",
        "approx",
        "est",
        "fig",
        "vol",
        "maj",
        "adm",
        "cmdr",
        "rev",
    }
)
# A line this long is a paragraph of story: drop only the furniture sentence inside it.
SHORT_LINE = 300


def normalise(text: str) -> str:
    """NFKC, straight quotes, plain dashes and spaces, no control or zero-width characters."""
    if text.isascii():
        # Most wire copy is ASCII: skip the per-character passes it cannot need.
        text = text.replace("\r", "\n").replace("\t", " ").replace("`", "'")
    else:
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        # A handful of str.replace calls beat a per-character translate on news-sized text.
        for char, replacement in _REPLACEMENTS:
            if char in text:
                text = text.replace(char, replacement)
    text = _CONTROL.sub("", text)
    if any(marker in text for marker in _DOTTED_MARKERS):
        text = _undot(text)
    if "t. " in text or "T. " in text:
        text = _SAINT.sub(r"\1", text)
    return text


def _undot(text: str) -> str:
    """_DOTTED.sub(...) tried only where _DOTTED_START finds a candidate: the same matches in
    the same left-to-right order, at a fraction of the cost on text with few. Past a handful of
    candidates it falls back to _DOTTED.sub, so a text made of them costs what it did."""
    parts: list[str] = []
    position = last = 0
    for _ in range(_UNDOT_LOOP):
        candidate = _DOTTED_START.search(text, position)
        if candidate is None:
            break
        match = _DOTTED.match(text, candidate.start())
        if match is None:
            position = candidate.start() + 1
            continue
        parts.append(text[last : match.start()])
        parts.append(_dotted_form(match))
        last = position = match.end()
    else:
        # Many candidates: the plain substitution is the faster way through such a text.
        return _DOTTED.sub(_dotted_form, text)
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


def _dotted_form(match: re.Match[str]) -> str:
    return _DOTTED_MAP.get(match.group(1).lower(), match.group(1))


def _is_link_list(line: str) -> bool:
    if len(line) >= SHORT_LINE or _SEPARATORS.search(line) is None:
        return False
    separators = len(_SEPARATORS.findall(line))
    return separators >= 2 or line[-1] not in '.!?"'


def _drop_furniture_sentences(line: str, lexicon: Lexicon) -> tuple[str, int]:
    pattern = lexicon.furniture_line
    if pattern is None:
        return line, 0
    kept: list[str] = []
    removed = 0
    for start, end in split_sentences(line):
        sentence = line[start:end]
        if pattern.search(sentence):
            removed += len(sentence)
        else:
            kept.append(sentence)
    return " ".join(kept), removed


def clean_text(text: str, lexicon: Lexicon) -> tuple[str, int]:
    """Return the article text without site furniture, and how many characters were removed."""
    lines = normalise(text).split("\n")
    total = sum(len(line) for line in lines)
    kept: list[str] = []
    removed = 0
    seen = 0
    for index, raw in enumerate(lines):
        position = seen
        seen += len(raw)
        line = _SPACES.sub(" ", raw.strip())
        if not line:
            continue
        before = len(line)
        # Cheap substring tests first: most lines have no link, URL or markdown at all.
        if "](" in line:
            line = _MARKDOWN_LINK.sub("", line)
        if "http" in line or "www." in line or "@" in line:
            line = _URL.sub("", line)
        if len(line) != before:
            removed += before - len(line)
            line = _SPACES.sub(" ", line).strip()
        if "**" in line or "__" in line or line.startswith("#"):
            line = _EMPHASIS.sub("", line).strip()
        if not line:
            continue
        probe = _LEADING_JUNK.sub("", line[:40]) if not line[0].isalnum() else line
        cut = lexicon.furniture_cut
        # A footer phrase ends the story only in its second half: mid-story it may be a
        # stray link, and cutting there would throw the rest of the story away.
        if cut is not None and cut.match(probe) and position >= total * 0.4:
            removed += len(line) + sum(len(rest.strip()) for rest in lines[index + 1 :])
            break
        if (
            _is_link_list(line)
            or _AGO.match(line)
            or _ALNUM.search(line, 0, SHORT_LINE) is None
            or (cut is not None and cut.match(probe))
        ):
            removed += len(line)
            continue
        pattern = lexicon.furniture_line
        lowered = line.lower()
        if (
            pattern is not None
            and lexicon.furniture_phrases.any_in(lowered)
            and pattern.search(line)
        ):
            if len(line) < SHORT_LINE:
                removed += len(line)
                continue
            line, dropped = _drop_furniture_sentences(line, lexicon)
            removed += dropped
            if not line:
                continue
        kept.append(line)
    return "\n".join(kept), removed


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) in text; newlines always end a sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group(0) != "\n":
            if match.group(0)[0] == ".":
                last = _LAST_WORD.search(text, max(0, match.start() - 12), match.start())
                if last and (
                    last.group(1).lower() in _ABBREVIATIONS
                    or (len(last.group(1)) == 1 and last.group(1).isupper())
                ):
                    continue
            following = text[match.end() : match.end() + 4].lstrip()
            if following and not (
                following[0].isupper() or following[0].isdigit() or following[0] in "\"'("
            ):
                continue
        end = match.end() if match.group(0) != "\n" else match.start()
        _append_span(text, start, end, spans)
        start = match.end()
    _append_span(text, start, len(text), spans)
    return spans


def _append_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


# Words (with inner hyphens and a possessive), numbers with separators, or one punctuation mark.
# Every repeat is bounded, so no input can make the scan backtrack.
_TOKEN = re.compile(
    r"[^\W\d_]{1,40}(?:-[^\W\d_]{1,30}){0,3}(?:'s\b|s'|')?"
    r"|\d{1,3}(?:,\d{3}){1,4}(?:\.\d{1,3})?(?![\d,]\d)"
    r"|\d{1,12}(?:\.\d{1,6})?"
    r"|[^\w\s]"
)


# The same pattern for ASCII text: there a letter is [A-Za-z], and a plain class matches about
# twice as fast as the Unicode "[^\W\d_]" (the other branches are unchanged).
_TOKEN_ASCII = re.compile(_TOKEN.pattern.replace(r"[^\W\d_]", "[A-Za-z]"))


def tokenize(text: str, offset: int = 0) -> list[tuple[str, int, int]]:
    """(token, start, end) for every word, number and punctuation mark, shifted by offset."""
    pattern = _TOKEN_ASCII if text.isascii() else _TOKEN
    matches = list(pattern.finditer(text))
    # map() over the unbound Match methods keeps the per-token work in C.
    starts: Iterable[int] = map(Match.start, matches)
    ends: Iterable[int] = map(Match.end, matches)
    if offset:
        starts = (start + offset for start in starts)
        ends = (end + offset for end in ends)
    return list(zip(map(Match.group, matches), starts, ends, strict=True))
