"""One article through the pipeline: validate, extract, publish, update the story, alert."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol, TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from detectors.emerging import EmergingStoryDetector
from detectors.furniture import fingerprints
from detectors.matching import StoryMatcher, merged_finding
from detectors.memory import LongMemory
from detectors.signature import SignatureExtractor
from detectors.story import Claim, Finding, Member, StoryDetector, new_story_id
from topics import Alert, Article, DeadLetter, InvalidArticle, Signature, parse_article
from workers.metrics import Metrics
from workers.store import Absorbed, StoryStore

log = logging.getLogger(__name__)
T = TypeVar("T")

# Headers `wirewatch replay` puts on what it publishes, so it can count what was processed.
REPLAY_HEADER = "wirewatch-replay"
SEQ_HEADER = "wirewatch-seq"

Outcome = Literal["processed", "deadlettered"]


@dataclass(frozen=True)
class Inbound:
    """A consumed message, as the pipeline needs it (no faust types beyond this point)."""

    value: bytes | None
    key: bytes | None
    headers: Mapping[str, bytes]
    topic: str
    partition: int
    offset: int


class Sink(Protocol):
    """Where results go; each call returns once the broker has acknowledged the record."""

    async def signature(self, signature: Signature) -> None: ...

    async def alert(self, alert: Alert) -> None: ...

    async def deadletter(self, letter: DeadLetter, key: bytes | None) -> None: ...


@dataclass(frozen=True)
class Assignment:
    """Where matching put an article, and the stories its arrival merged into that one."""

    story_id: str
    score: float
    added: bool
    absorbed: tuple[Absorbed, ...] = ()


async def assign_story(
    store: StoryStore,
    matcher: StoryMatcher,
    member: Member,
    claims: Iterable[Claim],
    since: datetime,
    memory: LongMemory | None = None,
) -> Assignment:
    """Match an article to a story and add it there: the one path the worker and benchmarks run.

    An article no active story takes may still follow up a remembered one (`memory`: its
    distinctive keys agree; detectors/memory.py). Idempotent per article id: a redelivered
    article goes where it went the first time.
    """
    held = await store.story_of(member.article_id)
    if held is not None:
        added = await store.add_article(held, member, claims)
        return Assignment(story_id=added.story_id, score=1.0, added=added.added)

    candidates, stats = await store.candidates(member, since)
    ranked = matcher.rank(member, candidates, stats)
    created = {p.story_id: p.created_at for p in candidates}
    chosen, score = ranked[0] if ranked else (None, 0.0)
    if score < matcher.threshold:
        chosen = None
        if memory is not None:
            recall = await store.recall(member, member.published_at - memory.horizon)
            chosen, _ = memory.follow_up(member, recall)
    fresh_id = new_story_id(member.article_id)
    story_id = await store.claim_article(member.article_id, chosen or fresh_id)
    added = await store.add_article(story_id, member, claims)
    if memory is not None:
        await store.remember(added.story_id, [member])
    if chosen is not None:
        others = matcher.also_same(ranked, chosen)
    else:
        # A new story: another worker may have started the same one a moment ago, invisible to
        # the first look. Look again now ours is indexed; whichever worker looks second sees both.
        seen = set(created)
        fresh, stats = await store.candidates(member, since)
        fresh = [p for p in fresh if p.story_id not in seen and p.story_id != added.story_id]
        created.update({p.story_id: p.created_at for p in fresh})
        others = [s for s, v in matcher.rank(member, fresh, stats) if v >= matcher.threshold]

    current, current_created = added.story_id, created.get(added.story_id, member.published_at)
    absorbed: list[Absorbed] = []
    for other in others:
        other_created = created[other]
        if other == current:
            continue
        # The older story survives, so concurrent workers merge in the same direction.
        if (other_created, other) < (current_created, current):
            gone = await store.merge(current, other)
            current_created = other_created
        else:
            gone = await store.merge(other, current)
        current = gone.into
        absorbed.append(gone)
    return Assignment(story_id=current, score=score, added=added.added, absorbed=tuple(absorbed))


@dataclass
class ArticlePipeline:
    """The agent's body. Pure detectors do the thinking; this class only sequences I/O."""

    extractor: SignatureExtractor
    store: StoryStore
    sink: Sink
    metrics: Metrics
    matcher: StoryMatcher
    emerging: EmergingStoryDetector
    figures: Sequence[StoryDetector]
    max_article_bytes: int = 1_000_000
    story_window: timedelta = timedelta(days=7)
    # Closed stories' distinctive keys, for follow-ups weeks later (None: no long memory).
    memory: LongMemory | None = None
    state_attempts: int = 3
    max_backoff_s: float = 5.0
    _latest_event: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))

    async def handle(self, msg: Inbound) -> Outcome:
        started = time.perf_counter()
        self.metrics.articles_consumed.inc()
        self.metrics.last_article_timestamp.set(time.time())
        try:
            outcome, alert_ids = await self._handle(msg)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # A bug must not lose the article or stop the stream: it ends as a dead letter.
            log.exception("internal error on %s[%d]@%d", msg.topic, msg.partition, msg.offset)
            await self._deadletter(msg, "internal_error", f"{type(exc).__name__}: {exc}", None)
            outcome, alert_ids = "deadlettered", []
        run_id = msg.headers.get(REPLAY_HEADER)
        if run_id is not None:
            seq = msg.headers.get(SEQ_HEADER, str(msg.offset).encode()).decode()
            await self._retry_forever(
                "replay_done",
                lambda: self.store.replay_done(
                    run_id.decode(), seq, alert_ids, deadlettered=outcome == "deadlettered"
                ),
            )
        self.metrics.processing_seconds.observe(time.perf_counter() - started)
        return outcome

    async def _handle(self, msg: Inbound) -> tuple[Outcome, list[str]]:
        try:
            article = parse_article(msg.value or b"", max_bytes=self.max_article_bytes)
        except InvalidArticle as exc:
            await self._deadletter(msg, exc.reason, exc.detail, None)
            return "deadlettered", []

        known = await self._known_furniture(article.source)
        t0 = time.perf_counter()
        try:
            signature = self.extractor.extract(article, known_furniture=known)
        except Exception as exc:  # a bug in extraction must not stop the stream
            log.exception("extraction failed for article %r", article.id)
            await self._deadletter(
                msg, "extraction_failed", f"{type(exc).__name__}: {exc}", article.id
            )
            return "deadlettered", []
        elapsed = time.perf_counter() - t0
        self.metrics.extraction_seconds.observe(elapsed)
        self.metrics.stage_seconds.labels("extract").observe(elapsed)

        t0 = time.perf_counter()
        await self.sink.signature(signature)
        self.metrics.signatures_published.inc()
        self.metrics.stage_seconds.labels("publish_signature").observe(time.perf_counter() - t0)

        for attempt in range(1, self.state_attempts + 1):
            try:
                alert_ids = await self._track(article, signature)
            except (RedisConnectionError, RedisTimeoutError) as exc:
                # Redis down is not the article's fault: wait for it rather than lose state.
                await self._backoff("track", exc, attempt)
                continue
            except (RedisError, ValueError, KeyError) as exc:
                if attempt < self.state_attempts:
                    await self._backoff("track", exc, attempt)
                    continue
                log.exception("story update failed for article %r", article.id)
                await self._deadletter(
                    msg, "state_failed", f"{type(exc).__name__}: {exc}", article.id
                )
                return "deadlettered", []
            self.metrics.articles_processed.inc()
            return "processed", alert_ids
        # Only connection errors reach here: keep trying, the consumer must not skip the article.
        alert_ids = await self._retry_forever("track", lambda: self._track(article, signature))
        self.metrics.articles_processed.inc()
        return "processed", alert_ids

    async def _track(self, article: Article, signature: Signature) -> list[str]:
        """Match, update the story idempotently, run the detectors, send new alerts."""
        t0 = time.perf_counter()
        member = Member.from_signature(signature)
        assignment = await assign_story(
            self.store,
            self.matcher,
            member,
            Claim.from_signature(signature),
            since=article.published_at - self.story_window,
            memory=self.memory,
        )
        story_id = assignment.story_id
        await self.store.observe_furniture(
            article.source, story_id, fingerprints(article.text), article_id=article.id
        )
        log.debug("article %r -> story %s (score %.2f)", article.id, story_id, assignment.score)
        self.metrics.stage_seconds.labels("match").observe(time.perf_counter() - t0)

        t0 = time.perf_counter()
        snapshot = await self.store.snapshot(story_id)
        self.metrics.stage_seconds.labels("update_state").observe(time.perf_counter() - t0)

        t0 = time.perf_counter()
        findings: list[Finding] = [
            merged_finding(story_id, gone.story_id, gone.members, article.published_at)
            for gone in assignment.absorbed
        ]
        findings.extend(self.emerging.check_all(snapshot))
        for detector in self.figures:
            findings.extend(detector.check(snapshot))
        sent = []
        for finding in findings:
            alert = finding.alert
            if not await self.store.alert_pending(story_id, alert.id):
                continue
            await self.sink.alert(alert)
            await self.store.alert_sent(story_id, alert.id, finding.topic)
            if alert.kind == "story.emerging":
                await self.store.mark_emerging(story_id, alert.event_time)
            self.metrics.alerts_published.labels(alert.kind).inc()
            lag = (datetime.now(UTC) - alert.event_time).total_seconds()
            self.metrics.event_to_alert_seconds.observe(max(lag, 0.0))
            log.info("alert %s %s: %s", alert.kind, alert.id, alert.summary)
            sent.append(alert.id)
        self.metrics.stage_seconds.labels("detect").observe(time.perf_counter() - t0)

        if article.published_at > self._latest_event:
            self._latest_event = article.published_at
        return sent

    async def refresh_gauges(self) -> None:
        """Active and emerging story counts (event time); on a timer, not per article."""
        if self._latest_event.year == 1:
            return  # nothing processed yet
        active, emerging = await self.store.counts(self._latest_event - self.story_window)
        self.metrics.active_stories.set(active)
        self.metrics.emerging_stories.set(emerging)

    async def _known_furniture(self, source: str) -> frozenset[str]:
        """Learned furniture is an optimisation: without Redis, content rules still apply."""
        try:
            return await self.store.known_furniture(source)
        except RedisError as exc:
            log.warning(
                "learned furniture unavailable for %s (%s); using content rules", source, exc
            )
            return frozenset()

    async def _deadletter(
        self, msg: Inbound, reason: str, detail: str, article_id: str | None
    ) -> None:
        log.warning(
            "dead letter %s[%d]@%d: %s: %s", msg.topic, msg.partition, msg.offset, reason, detail
        )
        letter = DeadLetter(
            reason=reason,
            error=detail,
            article_id=article_id,
            topic=msg.topic,
            partition=msg.partition,
            offset=msg.offset,
            received_at=datetime.now(UTC),
            original_b64=DeadLetter.encode(msg.value or b""),
        )
        await self.sink.deadletter(letter, msg.key)
        self.metrics.articles_deadlettered.labels(reason).inc()

    async def _backoff(self, what: str, exc: BaseException, attempt: int) -> None:
        delay = min(self.max_backoff_s, 0.1 * 2 ** (attempt - 1))
        log.warning(
            "%s failed (%s: %s); retry %d in %.1fs", what, type(exc).__name__, exc, attempt, delay
        )
        await asyncio.sleep(delay)

    async def _retry_forever(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await call()
            except (RedisConnectionError, RedisTimeoutError) as exc:
                await self._backoff(what, exc, attempt)
