"""Learned site furniture: short paragraphs a source repeats across its articles are not news.

Content rules (config/furniture.toml, applied in detectors.cleaning) catch furniture anyone
would recognise; this module learns the rest per source: a paragraph that recurs in several
articles of one source (a newsroom's comment policy, its donation appeal, its "Advertisements"
line) is furniture for that source. It is pure and bounded; the worker keeps the counts in
Redis. The API:

    fingerprints(text) -> list[str]
        One stable fingerprint (16 hex chars) per paragraph worth tracking, in order, without
        repeats. A paragraph is a line; only lines of 12-300 characters are tracked (long
        lines are story). Case, spacing and digits are ignored, so "You've read 3 of 5
        articles" and "You've read 4 of 5 articles" share one fingerprint.

    furniture_set(counts, min_articles=MIN_ARTICLES) -> frozenset[str]
        From {fingerprint: number of that source's articles containing it} (e.g. a Redis hash
        per source, HINCRBY once per article per fingerprint), the fingerprints seen in at
        least min_articles articles.

    clean(text, known) -> tuple[str, int]
        text without the lines whose fingerprint is in known, and how many characters went.
        SignatureExtractor.extract(article, known_furniture=known) does this first.

    drop_chrome(text) -> tuple[str, int]
        Content cues that need no memory, for a source's very first articles: link-list
        shape (three or more short unpunctuated lines in a row: menus, related headlines),
        imperative prompts ("Click here to get alerts on your phone"), very short lines
        (captions, "Close", "Image 3 of 12", bylines, update stamps).

    FurnitureMemory(max_sources, max_per_source, min_articles)
        The same bookkeeping in process memory, least recently seen evicted first: for tests,
        the CLI, or a worker without Redis. observe(source, text) then known(source).

Suggested Redis use (one hash per source, bounded): HINCRBY wirewatch:furniture:{source} fp 1
for each fingerprint of an article (once per article id), HLEN check and trim to
MAX_PER_SOURCE by dropping fingerprints with count 1, and HGETALL -> furniture_set -> clean.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping

MIN_CHARS = 12
MAX_CHARS = 300
MIN_ARTICLES = 3
MAX_PER_SOURCE = 2_000
MAX_SOURCES = 5_000
# Fingerprints looked at per article: a page of ten thousand lines costs no more than this.
MAX_LINES = 400

_DIGITS = re.compile(r"\d+")
_WORDS = re.compile(r"[a-z][a-z'-]{0,30}")
_SPACE = re.compile(r"\s+")


def _key(line: str) -> str | None:
    stripped = line.strip()
    if not MIN_CHARS <= len(stripped) <= MAX_CHARS:
        return None
    normal = _SPACE.sub(" ", _DIGITS.sub("0", stripped.lower()))
    return hashlib.blake2b(normal.encode("utf-8", "replace"), digest_size=8).hexdigest()


def fingerprints(text: str) -> list[str]:
    """Fingerprints of the trackable paragraphs of text, in order, each once."""
    seen: dict[str, None] = {}
    for number, line in enumerate(text.splitlines()):
        if number >= MAX_LINES:
            break
        key = _key(line)
        if key is not None:
            seen.setdefault(key, None)
    return list(seen)


# A line of this many words or fewer, without a sentence's end, is a caption, a label, a
# button or a headline of another story, not reporting.
CHROME_WORDS = 8
# Lines of up to this many words, unpunctuated, three or more in a row: a list of links.
LIST_WORDS = 15
LIST_RUN = 3
_SENTENCE_END = tuple(".!?\"')…:;")
_PROMPT_VERBS = frozenset(
    """click tap sign subscribe download follow share watch listen like join log register
    continue support donate send submit get read see view enter scroll swipe visit check
    stay find sign-up signup""".split()
)
_PROMPT_OBJECTS = frozenset(
    """you your our us here now app newsletter newsletters story stories video videos photos
    gallery updates alerts notifications inbox email facebook twitter instagram page
    more""".split()
)
_DATELINE = re.compile(r"^[A-Z][A-Z .,'-]{1,40}(?:\([A-Za-z. ]{1,20}\))?\s*[-:]?$")
# A dated stamp ("March 4, 2013", "Posted 8/19/2013") near the top dates the story's
# weekdays (detectors.dates.dateline): short, but not chrome.
_STAMP = re.compile(r"\b(?:1[89]|20)\d\d\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")
STAMP_CHARS = 400
MAX_PROMPT_CHARS = 200


def _unpunctuated(line: str) -> bool:
    return not line.rstrip().endswith(_SENTENCE_END)


def _prompt(line: str) -> bool:
    """An imperative aimed at the reader: starts with a prompt verb, names them or the site."""
    if len(line) > MAX_PROMPT_CHARS:
        return False
    words = _WORDS.findall(line.lower())
    return bool(words) and words[0] in _PROMPT_VERBS and not _PROMPT_OBJECTS.isdisjoint(words)


def drop_chrome(text: str) -> tuple[str, int]:
    """text without lines whose shape says page chrome, and the characters removed.

    The first line is kept when it is a dateline ("ANCHORAGE -"): it says where the story is;
    so is a dated stamp near the top: it says when.
    """
    lines = text.split("\n")
    words = [len(line.split()) for line in lines]
    listy = [w <= LIST_WORDS and _unpunctuated(line) for line, w in zip(lines, words, strict=True)]
    in_run = [False] * len(lines)
    start = 0
    for index in range(len(lines) + 1):
        if index < len(lines) and listy[index]:
            continue
        if index - start >= LIST_RUN:
            for k in range(start, index):
                in_run[k] = True
        start = index + 1
    kept: list[str] = []
    removed = 0
    position = 0
    for index, line in enumerate(lines):
        top = position < STAMP_CHARS
        position += len(line) + 1
        dateline = not kept and _DATELINE.match(line.strip()) is not None
        stamp = top and _STAMP.search(line) is not None
        if not (dateline or stamp) and (
            in_run[index] or (words[index] <= CHROME_WORDS and _unpunctuated(line)) or _prompt(line)
        ):
            removed += len(line)
            continue
        kept.append(line)
    return "\n".join(kept), removed


def furniture_set(counts: Mapping[str, int], min_articles: int = MIN_ARTICLES) -> frozenset[str]:
    """The fingerprints a source has repeated in at least min_articles articles."""
    return frozenset(key for key, seen in counts.items() if seen >= min_articles)


def clean(
    text: str, known: frozenset[str], reports: Callable[[str], bool] | None = None
) -> tuple[str, int]:
    """text without its known-furniture lines, and the number of characters removed.

    Digits are ignored when lines are compared, so an outlet's template sentence ("Up to 16
    drones were shot down over the region, the air force said") repeats across its stories with
    only the figure changed: such a line is reporting, never furniture. `reports(line)` says
    which lines carry a figure with an action; they stay."""
    if not known:
        return text, 0
    kept: list[str] = []
    removed = 0
    for number, line in enumerate(text.splitlines()):
        key = _key(line) if number < MAX_LINES else None
        if key is not None and key in known and not (reports is not None and reports(line)):
            removed += len(line)
        else:
            kept.append(line)
    return "\n".join(kept), removed


class FurnitureMemory:
    """Per-source fingerprint counts in memory, bounded in sources and in entries per source."""

    def __init__(
        self,
        max_sources: int = MAX_SOURCES,
        max_per_source: int = MAX_PER_SOURCE,
        min_articles: int = MIN_ARTICLES,
    ) -> None:
        self.max_sources = max_sources
        self.max_per_source = max_per_source
        self.min_articles = min_articles
        self._sources: OrderedDict[str, OrderedDict[str, int]] = OrderedDict()

    def observe(self, source: str, text: str) -> None:
        """Count each paragraph of one article once for its source."""
        counts = self._sources.pop(source, None)
        if counts is None:
            counts = OrderedDict()
            if len(self._sources) >= self.max_sources:
                self._sources.popitem(last=False)
        self._sources[source] = counts
        for key in fingerprints(text):
            counts[key] = counts.pop(key, 0) + 1
            if len(counts) > self.max_per_source:
                counts.popitem(last=False)

    def known(self, source: str) -> frozenset[str]:
        """The fingerprints that are furniture for source."""
        return furniture_set(self._sources.get(source, {}), self.min_articles)

    def size(self) -> int:
        """Fingerprints held across all sources (never above max_sources * max_per_source)."""
        return sum(len(counts) for counts in self._sources.values())
