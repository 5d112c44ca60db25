"""The event-signature extractor: article in; actors, places, figures and dates out."""

from __future__ import annotations

import logging
from collections import Counter
from operator import itemgetter

from detectors import furniture
from detectors.cleaning import clean_text, normalise, split_sentences, tokenize
from detectors.dates import dateline, event_date, find_dates
from detectors.entities import FUNCTION_WORDS, EntityFinder
from detectors.figures import NUMBER_WORDS, FigureFinder, Mention
from detectors.keys import event_keys
from detectors.lexicon import Lexicon
from detectors.neardup import text_bands
from topics.articles import Article
from topics.signatures import Actor, Signature

log = logging.getLogger(__name__)

Token = tuple[str, int, int]

MAX_TERMS = 20
# Only this much cleaned text is analysed (about 4,000 words, longer than nearly any news
# story), so a megabyte of junk costs the same bounded time as a long article.
MAX_ANALYSED_CHARS = 24_000
# Raw text beyond this (furniture included) is never looked at.
MAX_RAW_CHARS = 60_000
MAX_TITLE_CHARS = 500
# Headline words say what the story is; they count this many times a body word.
TITLE_WEIGHT = 3
# Fewer words than this left after cleaning is a stub (a teaser, a tweet page, a captcha, an
# empty scrape), unless they say where and when or how many.
THIN_WORDS = 12
_TERM_STOP = FUNCTION_WORDS | frozenset(
    """said says say told tell according would could should also like make made take taken
    year years month months week weeks day days time times people new report reported reports
    reporting news article january february march april may june july august september october
    november december monday tuesday wednesday thursday friday saturday sunday however while
    since among amid per via into onto well back get got going went come came want wants need
    needs way ways part according added adding including include includes included whether
    around around another other others many much more most several will shall can may might
    must it's don't doesn't didn't isn't wasn't aren't that's there's he's she's they're we're
    i'm you're via yet ago""".split()
)


_SKIP_TERMS = _TERM_STOP | frozenset(NUMBER_WORDS)
_WORD = itemgetter(0)


class SignatureExtractor:
    """Builds one article's Signature; deterministic, pure, and never raises on any text."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon
        self._entities = EntityFinder(lexicon)
        self._figures = FigureFinder(lexicon)

    def extract(
        self,
        article: Article,
        known_furniture: frozenset[str] = frozenset(),
        trace: list[Mention] | None = None,
    ) -> Signature:
        """The article's signature; known_furniture holds detectors.furniture fingerprints of
        paragraphs this source repeats (the worker's per-source memory), removed first.
        `trace` receives every number looked at and what was decided about it, then two
        entries with start -1 carrying the cleaned title and text its offsets are into."""
        try:
            return self._extract(article, known_furniture, trace)
        except Exception:
            # A bug on one odd article must not stop the stream: log it, emit a bare signature.
            log.exception("signature extraction failed for article %s", article.id)
            return Signature(
                article_id=article.id,
                source=article.source,
                published_at=article.published_at,
                title=article.title,
                event_date=article.published_at.date(),
            )

    def _extract(
        self, article: Article, known_furniture: frozenset[str], trace: list[Mention] | None
    ) -> Signature:
        raw = article.text
        if len(raw) > MAX_RAW_CHARS:
            # Cleaning is linear but not free: a megabyte of junk is cut before it starts.
            cut = raw.rfind("\n", MAX_RAW_CHARS // 2, MAX_RAW_CHARS)
            raw = raw[: cut if cut > 0 else MAX_RAW_CHARS]
        dropped = len(article.text) - len(raw)
        if known_furniture:
            raw, learned = furniture.clean(raw, known_furniture)
            dropped += learned
        text, removed = clean_text(raw, self._lexicon)
        # Chrome by its shape (link lists, prompts, captions), before any source is learned.
        text, chrome = furniture.drop_chrome(text)
        removed += dropped + chrome
        if len(text) > MAX_ANALYSED_CHARS:
            cut = text.rfind(" ", MAX_ANALYSED_CHARS - 200, MAX_ANALYSED_CHARS)
            text = text[: cut if cut > 0 else MAX_ANALYSED_CHARS]
        title = " ".join(normalise(article.title[:MAX_TITLE_CHARS]).split())
        spans = split_sentences(text)
        tokens = tokenize(text)
        sentences = _group(tokens, spans)
        title_tokens = tokenize(title)

        entities = self._entities.find(text, [toks for _, _, toks in sentences], title_tokens)
        place_spans = sorted(entities.place_spans)
        counts = self._figures.find(
            text, sentences, place_spans, title, title_tokens, trace, article.published_at.year
        )
        if trace is not None:
            trace.append(Mention("title", -1, title, "not_count", "cleaned:title", None))
            trace.append(Mention("body", -1, text, "not_count", "cleaned:text", None))
        dates = find_dates(text, article.published_at, tokens)
        published = article.published_at
        posted = dateline(dates, published)
        if posted is not None:
            # The story's own "Posted March 2, 2013" beats a later crawl time as the day its
            # "Saturday" and "yesterday" are counted from.
            published = published.replace(year=posted.year, month=posted.month, day=posted.day)
            dates = find_dates(text, published, tokens)
        title_dates = find_dates(title, published, title_tokens)
        lead_end = spans[min(1, len(spans) - 1)][1] if spans else 0
        # A stub: next to nothing left, or text that names no place, figure, date or
        # organisation of its own (a sign-up confirmation, a cookie wall, a follow button).
        body_counts = any(c.section != "title" for c in counts)
        # A terse brief that says where and when or how many is news, however short.
        brief = bool(entities.place_spans) and bool(dates or body_counts)
        thin = (_words(tokens) < THIN_WORDS and not brief) or not (
            entities.place_spans
            or dates
            or body_counts
            or self._bodies_named(entities.actors, title_tokens)
        )

        return Signature(
            article_id=article.id,
            source=article.source,
            published_at=article.published_at,
            title=article.title,
            actors=entities.actors,
            locations=entities.locations,
            counts=counts,
            dates=dates,
            event_date=event_date(title_dates, dates, lead_end, published),
            terms=_terms(title_tokens, tokens),
            furniture_chars=removed,
            thin=thin,
            keys=[] if thin else event_keys(entities.actors, entities.private, text),
            text_bands=[] if thin else text_bands(text),
        )


    def _bodies_named(self, actors: list[Actor], title_tokens: list[Token]) -> bool:
        """An organisation, country or government the text names beyond its headline's."""
        bodies = {a.id for a in actors if a.kind != "person"}
        if not bodies:
            return False
        return bool(bodies - {a.id for a in self._entities.find("", [], title_tokens).actors})


def _group(tokens: list[Token], spans: list[tuple[int, int]]) -> list[tuple[int, int, list[Token]]]:
    """Tokens grouped by sentence span, in one pass over both sorted lists."""
    out: list[tuple[int, int, list[Token]]] = []
    index = 0
    for start, end in spans:
        while index < len(tokens) and tokens[index][1] < start:
            index += 1
        first = index
        while index < len(tokens) and tokens[index][2] <= end:
            index += 1
        out.append((start, end, tokens[first:index]))
    return out


def _words(tokens: list[Token]) -> int:
    """Words (not numbers or punctuation) among tokens, counting up to THIN_WORDS."""
    n = 0
    for word, _, _ in tokens:
        if word[0].isalpha():
            n += 1
            if n >= THIN_WORDS:
                break
    return n


def _terms(title_tokens: list[Token], tokens: list[Token]) -> list[str]:
    """Distinctive lower-case content words, headline words weighted, for story matching."""
    scores: Counter[str] = Counter()
    for weight, source in ((TITLE_WEIGHT, title_tokens), (1, tokens)):
        # Counting lower-cased words over map() keeps the per-token work in C; words that do not
        # start with a letter are dropped after counting (lower() never changes whether a first
        # character is a letter). Dict order keeps first-seen order, which breaks ties between
        # equally frequent terms.
        counted = Counter(map(str.lower, map(_WORD, source)))
        for lower, seen in counted.items():
            if not lower[0].isalpha():
                continue
            if "'" in lower:
                lower = lower[:-2] if lower.endswith("'s") else lower.rstrip("'")
            if len(lower) < 3 or lower in _SKIP_TERMS:
                continue
            scores[lower] += weight * seen
    return [term for term, _ in scores.most_common(MAX_TERMS)]
