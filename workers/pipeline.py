"""One article through the pipeline: validate, extract, publish, update the story, alert."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

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
from topics.deadletters import DeadLetterReason, deadletter_key
from workers.metrics import Metrics
from workers.policy import DlqLimit, EventClock, RetryPolicy, Sleep
from workers.store import Absorbed, StoryStore

log = logging.getLogger(__name__)

# Headers `wirewatch replay` puts on what it publishes, so it can count what was processed.
REPLAY_HEADER = "wirewatch-replay"
SEQ_HEADER = "wirewatch-seq"

# "failed": dead-lettered for a processing reason (extraction_failed, state_failed, ...). Bad
# input fails the same way every time; a processing failure may not, so a redelivery could end
# differently (a signature after a dead letter). The worker commits its offset at once.
Outcome = Literal["processed", "deadlettered", "failed"]


@dataclass(frozen=True)
class Inbound:
    """A consumed message, as the pipeline needs it (no faust types beyond this point)."""

    value: bytes | None
    key: bytes | None
    headers: Mapping[str, bytes]
    topic: str
    partition: int
    offset: int


class SinkUnavailable(Exception):
    """The broker did not take a record for a reason that passes (down, leader moving):
    the pipeline retries until it does. Any other error from a sink is a failure."""


class Sink(Protocol):
    """Where results go; each call returns once the broker has acknowledged the record.

    A sink raises SinkUnavailable for errors worth waiting out, anything else for the rest.
    """

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
        if memory is not None:
            # A first pass that died before remembering leaves the keys out: idempotent, so
            # a redelivery writes them.
            await store.remember(added.story_id, [member])
        if added.story_id == held:
            return Assignment(story_id=held, score=1.0, added=added.added)
        # Its story was merged away since. If this article's first pass made that merge and
        # died half-way, merging again (idempotent) finishes the copy and its alert.
        gone = await store.merge(held, added.story_id)
        redone = (gone,) if gone.direct else ()
        return Assignment(gone.into, score=1.0, added=added.added, absorbed=redone)

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


Result = tuple[Outcome, list[str]]
# Room for a record's framing and headers under the producer's limit.
_RECORD_OVERHEAD = 4_096


def fit_alert(alert: Alert, max_bytes: int) -> Alert:
    """The alert, its evidence lists cut until it fits in one message (same id, same kind).

    Detectors cap nothing on purpose (every claim is evidence); a story of thousands of
    articles must still not make an alert the broker refuses.
    """
    while len(alert.model_dump_json()) > max_bytes and (alert.claims or alert.articles):
        alert = alert.model_copy(
            update={
                "claims": alert.claims[: len(alert.claims) // 2],
                "articles": alert.articles[: len(alert.articles) // 2],
            }
        )
    return alert


@dataclass
class ArticlePipeline:
    """The agent's body. Pure detectors do the thinking; this class only sequences I/O.

    Every message ends as exactly one outcome: a signature (published last, once the story
    state and alerts are done) or one dead letter with a reason. If it can do neither (the
    dead-letter topic refuses the record, or too many failures in a row), it parks without
    returning, so the offset is never committed, and says why (`halted`).
    """

    extractor: SignatureExtractor
    store: StoryStore
    sink: Sink
    metrics: Metrics
    matcher: StoryMatcher
    emerging: EmergingStoryDetector
    figures: Sequence[StoryDetector]
    max_article_bytes: int = 1_000_000
    max_message_bytes: int = 1_000_000
    story_window: timedelta = timedelta(days=7)
    # Closed stories' distinctive keys, for follow-ups weeks later (None: no long memory).
    memory: LongMemory | None = None
    published_at_floor: datetime = datetime(1970, 1, 1, tzinfo=UTC)
    published_at_max_skew: timedelta = timedelta(days=1)
    # Redis down or slow: wait for it rather than lose state.
    redis_retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy("redis", (RedisConnectionError, RedisTimeoutError))
    )
    # Other state errors: a few tries, then the article is dead-lettered as state_failed.
    state_retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(
            "story update", (RedisError, ValueError, KeyError), attempts=3
        )
    )
    # The broker not taking records: wait, never skip.
    sink_retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy("publish", (SinkUnavailable,))
    )
    dlq_limit: DlqLimit = field(default_factory=lambda: DlqLimit(5))
    alert_lease: timedelta = timedelta(seconds=10)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Sleep = asyncio.sleep
    # Names this process in alert pending marks.
    owner: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    events: EventClock = field(default_factory=EventClock)
    halted: str | None = None

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
            log.exception(
                "internal error on %s[%d]@%d (key %r)",
                msg.topic, msg.partition, msg.offset, _key_text(msg.key),
            )  # fmt: skip
            outcome, alert_ids = await self._fail(msg, "internal_error", exc, None)
        run_id = msg.headers.get(REPLAY_HEADER)
        if run_id is not None:
            await self._replay_done(msg, run_id, outcome, alert_ids)
        self.metrics.processing_seconds.observe(time.perf_counter() - started)
        return outcome

    async def _replay_done(
        self, msg: Inbound, run_id: bytes, outcome: Outcome, alert_ids: list[str]
    ) -> None:
        """Tell `wirewatch replay` the message is finished. Its outcome is published already:
        a failure here must not escape the agent (faust would skip the next message)."""
        seq = msg.headers.get(SEQ_HEADER, str(msg.offset).encode()).decode(errors="replace")
        try:
            await self.redis_retry.call(
                lambda: self.store.replay_done(
                    run_id.decode(errors="replace"), seq, alert_ids,
                    deadlettered=outcome != "processed",
                )
            )  # fmt: skip
        except Exception:
            log.exception("could not record replay progress for %s[%d]@%d",
                          msg.topic, msg.partition, msg.offset)  # fmt: skip

    async def _handle(self, msg: Inbound) -> Result:
        try:
            article = parse_article(
                msg.value or b"",
                max_bytes=self.max_article_bytes,
                not_before=self.published_at_floor,
                not_after=self.clock() + self.published_at_max_skew,
            )
        except InvalidArticle as exc:
            # Bad input is the producer's, not ours: it neither counts towards the DlqLimit
            # nor resets it.
            await self._deadletter(msg, exc.reason, exc.detail, None)
            return "deadlettered", []

        known = await self._known_furniture(article.source, article.id)
        t0 = time.perf_counter()
        try:
            signature = self.extractor.extract(article, known_furniture=known)
        except Exception as exc:
            log.exception("extraction failed for article %r", article.id)
            return await self._fail(msg, "extraction_failed", exc, article.id)
        elapsed = time.perf_counter() - t0
        self.metrics.extraction_seconds.observe(elapsed)
        self.metrics.stage_seconds.labels("extract").observe(elapsed)

        size = len(signature.model_dump_json().encode())
        if size > self.max_message_bytes - _RECORD_OVERHEAD:
            # Bounded by construction (clipped sentences, capped lists); reaching here is a bug.
            detail = f"signature of {size} bytes is over the {self.max_message_bytes}-byte limit"
            return await self._fail(msg, "signature_too_large", detail, article.id)

        try:
            alert_ids = await self.state_retry.call(
                lambda: self.redis_retry.call(lambda: self._track(article, signature))
            )
        except (RedisError, ValueError, KeyError) as exc:
            log.exception("story update failed for article %r", article.id)
            return await self._fail(msg, "state_failed", exc, article.id)

        # The signature goes last: an article whose state update failed is one dead letter,
        # never a signature and a dead letter.
        t0 = time.perf_counter()
        await self.sink_retry.call(lambda: self.sink.signature(signature))
        self.metrics.signatures_published.inc()
        self.metrics.stage_seconds.labels("publish_signature").observe(time.perf_counter() - t0)
        self.metrics.articles_processed.inc()
        self.dlq_limit.success()
        self.events.observe(article.published_at)
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
            article.source,
            story_id,
            fingerprints(article.text),
            article_id=article.id,
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
            alert = await self._send_once(story_id, finding)
            if alert is None:
                continue
            if alert.kind == "story.emerging":
                await self.store.mark_emerging(story_id, alert.event_time)
            self.metrics.alerts_published.labels(alert.kind).inc()
            lag = (datetime.now(UTC) - alert.event_time).total_seconds()
            self.metrics.event_to_alert_seconds.observe(max(lag, 0.0))
            log.info("alert %s %s: %s", alert.kind, alert.id, alert.summary)
            sent.append(alert.id)
        self.metrics.stage_seconds.labels("detect").observe(time.perf_counter() - t0)
        return sent

    async def _send_once(self, story_id: str, finding: Finding) -> Alert | None:
        """Send a finding's alert unless this story already sent its evidence; None if not.

        Another worker holding the ledger entry is sending it now, or died doing so: wait for
        it to finish or for its lease to run out, then send under the id it used.
        """
        while True:
            claim = await self.store.claim_alert(
                story_id,
                finding.key,
                finding.alert.id,
                owner=self.owner,
                lease_s=self.alert_lease.total_seconds(),
            )
            if claim.action == "skip":
                return None
            if claim.action == "send":
                break
            await self.sleep(min(max(claim.wait_s, 0.05), self.alert_lease.total_seconds()))
        alert = finding.alert
        if claim.alert_id != alert.id:
            alert = alert.model_copy(update={"id": claim.alert_id})
        alert = fit_alert(alert, self.max_message_bytes - _RECORD_OVERHEAD)
        await self.sink_retry.call(lambda: self.sink.alert(alert))
        await self.store.alert_sent(story_id, finding.key, alert.id, finding.topic)
        return alert

    async def refresh_gauges(self) -> None:
        """Active and emerging story counts (event time); on a timer, not per article."""
        latest = self.events.high_water()
        if latest is None:
            return  # nothing processed yet
        active, emerging = await self.store.counts(latest - self.story_window)
        self.metrics.active_stories.set(active)
        self.metrics.emerging_stories.set(emerging)

    async def _known_furniture(self, source: str, article_id: str) -> frozenset[str]:
        """Learned furniture is an optimisation: without Redis, content rules still apply."""
        try:
            return await self.store.known_furniture(source, article_id)
        except RedisError as exc:
            log.warning(
                "learned furniture unavailable for %s (%s); using content rules", source, exc
            )
            return frozenset()

    async def _fail(
        self, msg: Inbound, reason: DeadLetterReason, error: BaseException | str,
        article_id: str | None,
    ) -> Result:  # fmt: skip
        """A processing failure: a dead letter, unless it is one too many in a row."""
        detail = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.metrics.processing_failures.labels(reason).inc()
        if not self.dlq_limit.allow(reason, detail):
            await self._halt(msg, self.dlq_limit.reason)
        await self._deadletter(msg, reason, detail, article_id)
        return "failed", []

    async def _deadletter(
        self, msg: Inbound, reason: DeadLetterReason, detail: str, article_id: str | None
    ) -> None:
        log.warning(
            "dead letter %s[%d]@%d (key %r): %s: %s",
            msg.topic, msg.partition, msg.offset, _key_text(msg.key), reason, detail[:500],
        )  # fmt: skip
        letter = DeadLetter.build(
            reason=reason,
            error=detail,
            article_id=article_id,
            topic=msg.topic,
            partition=msg.partition,
            offset=msg.offset,
            received_at=datetime.now(UTC),
            original=msg.value or b"",
            max_message_bytes=self.max_message_bytes,
        )
        key = deadletter_key(msg.key)
        try:
            await self.sink_retry.call(lambda: self.sink.deadletter(letter, key))
        except Exception as exc:
            # Nowhere to put the outcome: never ack a message that has none.
            log.exception("could not publish the dead letter for %s[%d]@%d",
                          msg.topic, msg.partition, msg.offset)  # fmt: skip
            await self._halt(msg, f"dead-letter topic refused a record: {type(exc).__name__}")
        self.metrics.articles_deadlettered.labels(reason).inc()

    async def _halt(self, msg: Inbound, why: str) -> None:
        """Stop consuming: park here (the message stays uncommitted) and report not ready.

        A restart resumes from this message. Returns only by cancellation (shutdown).
        """
        self.halted = why
        self.metrics.halted.set(1)
        log.critical(
            "stopped consuming at %s[%d]@%d: %s. Fix the cause and restart the worker; it "
            "resumes from this message.", msg.topic, msg.partition, msg.offset, why,
        )  # fmt: skip
        await asyncio.Event().wait()


def _key_text(key: bytes | None) -> str | None:
    if key is None:
        return None
    text = key[:200].decode("utf-8", "replace")
    return text if len(key) <= 200 else text + "…"
