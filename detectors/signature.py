"""The event-signature extractor: article in; actors, places, figures and dates out."""

from __future__ import annotations

import re
from bisect import bisect_right
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
from topics.signatures import Actor, Count, Signature

Token = tuple[str, int, int]

MAX_TERMS = 20
# Only this much cleaned text is analysed (about 4,000 words, longer than nearly any news
# story), so a megabyte of junk costs the same bounded time as a long article.
MAX_ANALYSED_CHARS = 24_000
# Raw text beyond this (furniture included) is never looked at.
MAX_RAW_CHARS = 60_000
MAX_TITLE_CHARS = 500
# A figure's sentence is clipped to this many characters around the figure: text without full
# stops would otherwise put 24,000 characters in each of 100 figures (a 2 MB signature).
DEFAULT_MAX_SENTENCE_CHARS = 500
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
_LINE_WORDS = re.compile(r"[a-z]+(?:'[a-z]+)?")


class SignatureExtractor:
    """Builds one article's Signature; deterministic and pure.

    It does not catch its own errors: a bug raises, and the worker turns it into an
    `extraction_failed` dead letter with a metric and a log line, never an empty signature.
    """

    def __init__(
        self, lexicon: Lexicon, *, max_sentence_chars: int = DEFAULT_MAX_SENTENCE_CHARS
    ) -> None:
        self._lexicon = lexicon
        self._entities = EntityFinder(lexicon)
        self._figures = FigureFinder(lexicon)
        self._max_sentence = max(40, max_sentence_chars)

    def _reports_a_figure(self, line: str) -> bool:
        """A line with digits and an action phrase ("16 drones were shot down"): reporting."""
        if not any(ch.isdigit() for ch in line):
            return False
        words = _LINE_WORDS.findall(line.lower())
        actions = self._lexicon.actions
        for i, word in enumerate(words):
            for form, _action in actions.get(word, ()):
                if tuple(words[i : i + len(form)]) == form:
                    return True
        return False

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
        raw = article.text
        truncated = False
        if len(raw) > MAX_RAW_CHARS:
            # Cleaning is linear but not free: a megabyte of junk is cut before it starts.
            cut = raw.rfind("\n", MAX_RAW_CHARS // 2, MAX_RAW_CHARS)
            raw = raw[: cut if cut > 0 else MAX_RAW_CHARS]
            truncated = True
        dropped = len(article.text) - len(raw)
        if known_furniture:
            raw, learned = furniture.clean(raw, known_furniture, self._reports_a_figure)
            dropped += learned
        text, removed = clean_text(raw, self._lexicon)
        # Chrome by its shape (link lists, prompts, captions), before any source is learned.
        text, chrome = furniture.drop_chrome(text)
        removed += dropped + chrome
        if len(text) > MAX_ANALYSED_CHARS:
            cut = text.rfind(" ", MAX_ANALYSED_CHARS - 200, MAX_ANALYSED_CHARS)
            text = text[: cut if cut > 0 else MAX_ANALYSED_CHARS]
            truncated = True
        title = " ".join(normalise(article.title[:MAX_TITLE_CHARS]).split())
        spans = split_sentences(text)
        tokens = tokenize(text)
        sentences = _group(tokens, spans)
        title_tokens = tokenize(title)

        entities = self._entities.find(text, [toks for _, _, toks in sentences], title_tokens)
        place_spans = sorted(entities.place_spans)
        counts = _clip_sentences(
            self._figures.find(
                text, sentences, place_spans, title, title_tokens, trace, article.published_at.year
            ),
            spans,
            len(title),
            self._max_sentence,
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
            title=article.title[:MAX_TITLE_CHARS],
            actors=entities.actors,
            locations=entities.locations,
            counts=counts,
            dates=dates,
            event_date=event_date(title_dates, dates, lead_end, published),
            terms=_terms(title_tokens, tokens),
            furniture_chars=removed,
            analysed_chars=len(text),
            truncated=truncated,
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


def _clip_sentences(
    counts: list[Count], spans: list[tuple[int, int]], title_chars: int, limit: int
) -> list[Count]:
    """Each count with its sentence's span, and the sentence clipped around the figure.

    The clip keeps the figure and as much context on each side as fits (the words just
    before and after a figure are what the detectors read), cut at spaces. A title's figure
    has the (cleaned) title as its sentence, and its offsets count in the title.
    """
    starts = [start for start, _ in spans]
    out = []
    for count in counts:
        if count.section == "title":
            s_start, s_end = 0, title_chars
        else:
            at = bisect_right(starts, count.start) - 1
            if at < 0:
                out.append(count)
                continue
            s_start, s_end = spans[at]
        sentence = count.sentence
        if len(sentence) > limit:
            offset = count.start - s_start  # the figure inside the sentence
            width = len(count.text)
            before = min(offset, max(0, (limit - width) // 2))
            lo = offset - before
            hi = min(len(sentence), lo + limit)
            lo = max(0, min(lo, hi - limit))
            if lo > 0:
                space = sentence.find(" ", lo, offset)
                lo = space + 1 if space >= 0 else lo
            if hi < len(sentence):
                space = sentence.rfind(" ", offset + width, hi)
                hi = space if space >= 0 else hi
            sentence = sentence[lo:hi]
        out.append(
            count.model_copy(
                update={"sentence": sentence, "sentence_start": s_start, "sentence_end": s_end}
            )
        )
    return out


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
