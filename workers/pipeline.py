"""The worker's pipeline: a batch of messages validated, extracted, placed in stories, alerted
on and published, each message ending as exactly one signature or one dead letter."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from detectors.emerging import KIND as EMERGING
from detectors.emerging import EmergingStoryDetector
from detectors.matching import StoryMatcher, merged_finding
from detectors.memory import LongMemory
from detectors.signature import SignatureExtractor
from detectors.story import Claim, Finding, Member, StoryDetector, new_story_id
from topics import Alert, Article, DeadLetter, InvalidArticle, parse_article
from topics.deadletters import DeadLetterReason, deadletter_key
from workers.extraction_pool import Extracted, ExtractionFailed, ExtractionPool, Job
from workers.metrics import Metrics
from workers.policy import DlqLimit, EventClock, RetryPolicy, Sleep
from workers.store import (
    Absorbed,
    AlertRequest,
    Joining,
    ReplayMark,
    SentAlert,
    StoryStore,
)
from workers.tracking import Item, Step, StoryTracker

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


# What a sink call returns: completes once the broker has acknowledged the record.
Ack = Awaitable[None]


class Sink(Protocol):
    """Where results go. Each call hands one record to the producer and returns its `Ack`
    without waiting for it, so a batch's records travel together and are awaited once.

    A sink raises SinkUnavailable (from the call or from the Ack) for errors worth waiting
    out, anything else for the rest.
    """

    async def signature(self, article_id: str, value: bytes) -> Ack: ...

    async def alert(self, alert: Alert) -> Ack: ...

    async def deadletter(self, letter: DeadLetter, key: bytes | None) -> Ack: ...


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


@dataclass(frozen=True)
class BatchResult:
    """What became of a batch: the outcomes of its first `len(outcomes)` messages, each
    published and acknowledged by the broker. If `halted`, the pipeline stopped consuming at
    the next message: it and everything after it must not be acknowledged."""

    outcomes: list[Outcome]
    halted: bool = False

    @property
    def commit_now(self) -> bool:
        """A processing failure's offset is committed at once (see Outcome); so is all that
        finished before a halt."""
        return self.halted or "failed" in self.outcomes


@dataclass(eq=False)
class _Message:
    """One message's way through a batch."""

    index: int
    inbound: Inbound
    article: Article | None = None
    extracted: Extracted | None = None
    member: Member | None = None
    outcome: Outcome | None = None
    reason: DeadLetterReason | None = None
    detail: str = ""
    story_id: str | None = None
    alert_ids: list[str] = field(default_factory=list)
    # Its outcome record was acknowledged by the broker.
    delivered: bool = False
    # Its replay progress was recorded (or it carries no replay header).
    marked: bool = False
    # The broker refused one of its alerts for good: it fails (internal_error).
    alert_error: str | None = None

    @property
    def article_id(self) -> str | None:
        return self.article.id if self.article is not None else None

    def where(self) -> str:
        msg = self.inbound
        return f"{msg.topic}[{msg.partition}]@{msg.offset}"


@dataclass
class ArticlePipeline:
    """The agent's body. Pure detectors do the thinking; this class only sequences I/O.

    `handle_batch` takes the messages of one batch: it validates them, extracts their
    signatures on the extraction pool, places them in stories with a few Redis round trips
    for the whole batch (workers/tracking.py), runs the detectors and sends new alerts, then
    publishes every signature and dead letter and awaits the broker's acknowledgements once.

    Every message ends as exactly one outcome: a signature (published last, once its story
    state and alerts are done) or one dead letter with a reason. If it can have neither (the
    dead-letter topic refuses the record, or too many processing failures in a row), the
    pipeline stops there (`halted`): nothing from that message on is finished or acknowledged.
    """

    store: StoryStore
    sink: Sink
    metrics: Metrics
    matcher: StoryMatcher
    emerging: EmergingStoryDetector
    figures: Sequence[StoryDetector]
    # In-process extraction (tests); the worker passes `extraction`, its pool.
    extractor: SignatureExtractor | None = None
    extraction: ExtractionPool | None = None
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
    tracker: StoryTracker = field(init=False)

    def __post_init__(self) -> None:
        if self.extraction is None:
            if self.extractor is None:
                raise ValueError("ArticlePipeline needs an extractor or an extraction pool")
            self.extraction = ExtractionPool.in_process(self.extractor)
        self.tracker = StoryTracker(
            self.store, self.matcher, window=self.story_window, memory=self.memory
        )

    # -- the entry points -----------------------------------------------------------------------
    async def handle(self, msg: Inbound) -> Outcome:
        """One message as a batch of one. Parks (never returns) if the pipeline halts on it."""
        result = await self.handle_batch([msg])
        if result.halted:
            await self.park()
        return result.outcomes[0]

    async def handle_batch(self, inbound: Sequence[Inbound]) -> BatchResult:
        """Finish a batch's messages (see BatchResult). Never raises but for cancellation: a
        bug ends as a dead letter, never as a lost message or a stopped stream."""
        started = time.perf_counter()
        self.metrics.articles_consumed.inc(len(inbound))
        self.metrics.last_article_timestamp.set(time.time())
        self.metrics.batch_articles.observe(len(inbound))
        messages = [_Message(i, msg) for i, msg in enumerate(inbound)]
        try:
            finished = await self._batch(messages)
        except asyncio.CancelledError:
            raise
        except Exception:
            # A bug in the batch path must not cost the batch: its messages go again one at a
            # time, so the bug ends as one message's dead letter.
            log.exception("a batch of %d message(s) failed; handling them one at a time",
                          len(messages))  # fmt: skip
            finished = await self._one_at_a_time(messages)
        elapsed = time.perf_counter() - started
        for _ in range(finished):
            self.metrics.processing_seconds.observe(elapsed)
        outcomes = [m.outcome for m in messages[:finished]]
        assert all(o is not None for o in outcomes)
        return BatchResult([o for o in outcomes if o is not None], halted=finished < len(messages))

    async def park(self) -> None:
        """Stopped consuming: wait here (the message stays unacknowledged) until shutdown.

        A restart resumes from that message. Returns only by cancellation."""
        await asyncio.Event().wait()

    async def _one_at_a_time(self, messages: list[_Message]) -> int:
        for position, message in enumerate(messages):
            if message.delivered:
                await self._mark_replay([message])
                continue
            fresh = _Message(message.index, message.inbound)
            try:
                done = await self._batch([fresh])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("internal error on %s (key %r)", message.where(),
                              _key_text(message.inbound.key))  # fmt: skip
                fresh = _Message(message.index, message.inbound)
                self._fail(fresh, "internal_error", exc)
                done = await self._finish([fresh], self._walk([fresh]))
            messages[position] = fresh
            if not done:
                return position
        return len(messages)

    # -- one batch ------------------------------------------------------------------------------
    async def _batch(self, messages: list[_Message]) -> int:
        """Decide every message, send its outcome; returns how many finished (all, unless
        the pipeline halted at the next one)."""
        self._parse(messages)
        await self._extract([m for m in messages if m.outcome is None])
        await self._track([m for m in messages if m.outcome is None], messages)
        return await self._finish(messages, self._walk(messages))

    def _parse(self, messages: Iterable[_Message]) -> None:
        not_after = self.clock() + self.published_at_max_skew
        for message in messages:
            try:
                message.article = parse_article(
                    message.inbound.value or b"",
                    max_bytes=self.max_article_bytes,
                    not_before=self.published_at_floor,
                    not_after=not_after,
                )
            except InvalidArticle as exc:
                # Bad input is the producer's, not ours: it neither counts towards the
                # DlqLimit nor resets it.
                message.outcome, message.reason, message.detail = (
                    "deadlettered", exc.reason, exc.detail
                )  # fmt: skip

    async def _extract(self, messages: list[_Message]) -> None:
        if not messages:
            return
        articles = [m.article for m in messages if m.article is not None]
        known = await self._known_furniture([(a.source, a.id) for a in articles])
        jobs = [Job(a, known.get(a.id, frozenset())) for a in articles]
        t0 = time.perf_counter()
        assert self.extraction is not None
        results = await self.extraction.extract(jobs)
        self.metrics.stage_seconds.labels("extract").observe(time.perf_counter() - t0)
        limit = self.max_message_bytes - _RECORD_OVERHEAD
        for message, result in zip(messages, results, strict=True):
            if isinstance(result, ExtractionFailed):
                log.error("extraction failed for article %r: %s", result.article_id,
                          result.detail)  # fmt: skip
                self._fail(message, "extraction_failed", result.detail)
                continue
            self.metrics.extraction_seconds.observe(result.seconds)
            size = len(result.signature_json)
            if size > limit:
                # Bounded by construction (clipped sentences, capped lists); a bug if reached.
                detail = (
                    f"signature of {size} bytes is over the {self.max_message_bytes}-byte limit"
                )
                self._fail(message, "signature_too_large", detail)
                continue
            message.extracted = result
            message.member = result.member()

    async def _known_furniture(self, articles: list[tuple[str, str]]) -> dict[str, frozenset[str]]:
        """Per article id: its source's learned furniture, less what the article itself taught
        (redelivered, it reads as the first time). An optimisation: without Redis, content
        rules still apply."""
        try:
            return await self.store.known_furniture_many(articles)
        except RedisError as exc:
            log.warning("learned furniture unavailable (%s); using content rules", exc)
            return {}

    # -- story state, detectors and alerts ------------------------------------------------------
    async def _track(self, messages: list[_Message], batch: list[_Message]) -> None:
        """Place the articles in stories and alert, in published_at order (stable in stream
        order). A state error the retries do not clear is retried article by article, so one
        article's failure is that article's dead letter (state_failed)."""
        if not messages:
            return
        order = sorted(messages, key=lambda m: (_published(m), m.index))
        left = {m.index: m for m in order}
        t0 = time.perf_counter()
        detecting = 0.0

        async def detect(step: Step) -> None:
            nonlocal detecting
            started = time.perf_counter()
            await self._detect(step, left)
            detecting += time.perf_counter() - started

        async def attempt(which: list[_Message]) -> None:
            items = [_item(m) for m in which]

            async def track() -> object:
                return await self.tracker.track([i for i in items if i.key in left], detect)

            await self.state_retry.call(lambda: self.redis_retry.call(track))

        try:
            await attempt(order)
        except (RedisError, ValueError, KeyError) as exc:
            rest = [m for m in order if m.index in left]
            if len(rest) == 1:
                log.exception("story update failed for article %r", rest[0].article_id)
                left.pop(rest[0].index, None)
                self._fail(rest[0], "state_failed", exc)
                rest = []
            else:
                log.warning("story update of a batch failed (%s: %s); retrying %d article(s) "
                            "one at a time", type(exc).__name__, exc, len(rest))  # fmt: skip
            # In stream order, stopping where the DlqLimit stops the worker anyway: a Redis
            # that refuses every write must not cost each article of a large batch its retries.
            for message in sorted(rest, key=lambda m: m.index):
                before = batch[: batch.index(message)]
                if self._walk(before)[0] < len(before):
                    break
                try:
                    await attempt([message])
                except (RedisError, ValueError, KeyError) as error:
                    if left.pop(message.index, None) is None:
                        continue  # placed and alerted on before the error: it is done
                    log.exception("story update failed for article %r", message.article_id)
                    self._fail(message, "state_failed", error)
        for message in messages:
            if message.outcome is None and message.index not in left:
                self._decide(message)
        self.metrics.stage_seconds.labels("match").observe(time.perf_counter() - t0 - detecting)
        self.metrics.stage_seconds.labels("detect").observe(detecting)

    async def _detect(self, step: Step, left: dict[int, _Message]) -> None:
        """Run the detectors for each placed article on its story as that article left it,
        then claim, send and record the new alerts of the whole step."""
        wanted: list[tuple[_Message, str, Finding]] = []
        latest: dict[str, dict[str, str]] = {}
        sent: dict[str, set[str]] = {}
        for placed in step.placed:
            message = left[placed.key]
            story_id = placed.story_id
            message.story_id = story_id
            state = step.states[story_id]
            if story_id not in latest:
                latest[story_id] = dict(state.latest_alerts)
                sent[story_id] = set(state.sent)
            snapshot = state.snapshot(without=step.later(placed), latest=latest[story_id])
            findings: list[Finding] = [
                merged_finding(story_id, gone.story_id, gone.members, placed.member.published_at)
                for gone in placed.absorbed
            ]
            findings.extend(self.emerging.check_all(snapshot))
            for detector in self.figures:
                findings.extend(detector.check(snapshot))
            for finding in findings:
                # Sent already (the ledger as read), or raised by an earlier article here.
                if finding.key in sent[story_id]:
                    continue
                sent[story_id].add(finding.key)
                latest[story_id][finding.topic] = finding.alert.id
                wanted.append((message, story_id, finding))
        await self._send_alerts(wanted)
        for placed in step.placed:
            # Decided now, not at the end of the batch: a later article's failure must see
            # this one as finished (the DlqLimit walk in _track).
            self._decide(left.pop(placed.key))

    async def _send_alerts(self, wanted: list[tuple[_Message, str, Finding]]) -> None:
        """Claim each alert's ledger entry (one round trip), send those this worker owns,
        await the broker once, and record them sent (one round trip).

        Another worker holding an entry is sending that alert now, or died doing so: wait for
        it to finish or for its lease to run out, then send under the id it used. What this
        worker claimed is sent before it waits: holding its own entries while waiting for
        another's, two workers could each outwait the other's lease and both send."""
        lease = self.alert_lease.total_seconds()
        pending = wanted
        while pending:
            requests = [AlertRequest(sid, f.key, f.alert.id) for _, sid, f in pending]
            claims = await self.store.claim_alerts(requests, owner=self.owner, lease_s=lease)
            to_send: list[tuple[_Message, str, Finding, Alert]] = []
            waiting, wait_s = [], lease
            for entry, claim in zip(pending, claims, strict=True):
                message, story_id, finding = entry
                if claim.action == "send":
                    alert = finding.alert
                    if claim.alert_id != alert.id:
                        alert = alert.model_copy(update={"id": claim.alert_id})
                    alert = fit_alert(alert, self.max_message_bytes - _RECORD_OVERHEAD)
                    to_send.append((message, story_id, finding, alert))
                elif claim.action == "wait":
                    waiting.append(entry)
                    wait_s = min(wait_s, claim.wait_s)
            await self._publish_alerts(to_send)
            pending = waiting
            if pending:
                await self.sleep(min(max(wait_s, 0.05), lease))

    async def _publish_alerts(self, to_send: list[tuple[_Message, str, Finding, Alert]]) -> None:
        """Send claimed alerts, await the broker once, record the acknowledged ones sent."""
        if not to_send:
            return
        errors = await self._send_all(
            [_alert_sender(self.sink, alert) for _, _, _, alert in to_send]
        )
        done: list[SentAlert] = []
        for (message, story_id, finding, alert), error in zip(to_send, errors, strict=True):
            if error is not None:
                # The broker refused the alert for good: the article that raised it fails.
                log.error("alert %s for article %r refused: %s", alert.id, message.article_id,
                          error)  # fmt: skip
                message.alert_error = message.alert_error or f"{type(error).__name__}: {error}"
                continue
            emerging_at = alert.event_time if alert.kind == EMERGING else None
            done.append(SentAlert(story_id, finding.key, alert.id, finding.topic, emerging_at))
            message.alert_ids.append(alert.id)
            self.metrics.alerts_published.labels(alert.kind).inc()
            lag = (datetime.now(UTC) - alert.event_time).total_seconds()
            self.metrics.event_to_alert_seconds.observe(max(lag, 0.0))
            log.info("alert %s %s: %s", alert.kind, alert.id, alert.summary)
        await self.store.alerts_sent(done)

    # -- outcomes -------------------------------------------------------------------------------
    def _decide(self, message: _Message) -> None:
        """A placed article whose alerts are done: processed, unless the broker refused one of
        its alerts for good."""
        if message.outcome is not None:
            return
        if message.alert_error is not None:
            self._fail(message, "internal_error", message.alert_error)
        else:
            message.outcome = "processed"

    def _fail(
        self, message: _Message, reason: DeadLetterReason, error: BaseException | str
    ) -> None:
        """A processing failure: a dead letter, unless it is one too many in a row (_walk)."""
        detail = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        message.outcome, message.reason, message.detail = "failed", reason, detail
        self.metrics.processing_failures.labels(reason).inc()

    def _walk(self, messages: Sequence[_Message]) -> tuple[int, DlqLimit]:
        """The DlqLimit over the messages in stream order: how many may finish (the rest
        start at the processing failure that is one too many, or at an undecided message),
        and the limit's state after them."""
        limit = copy.copy(self.dlq_limit)
        for position, message in enumerate(messages):
            if message.outcome == "processed":
                limit.success()
            elif message.outcome == "failed":
                assert message.reason is not None
                if not limit.allow(message.reason, message.detail):
                    return position, limit
            elif message.outcome is None:
                return position, limit
        return len(messages), limit

    async def _finish(self, messages: list[_Message], walked: tuple[int, DlqLimit]) -> int:
        """Publish the outcomes of the messages that may finish and await the broker; then
        record replay progress. Returns how many finished; halts at the next one if not all.

        Signatures and bad-input dead letters go together. A processing failure's dead letter
        goes after them, alone and in order: once it is acknowledged its offset is committed at
        once (see Outcome), and a refusal must leave no later processing failure published."""
        limit, dlq = walked
        why = dlq.reason
        t0 = time.perf_counter()
        first = [
            (p, m) for p, m in enumerate(messages[:limit])
            if m.outcome in ("processed", "deadlettered") and not m.delivered
        ]  # fmt: skip
        errors = await self._send_all([self._record(m) for _, m in first])
        converted = False
        refused: tuple[int, BaseException] | None = None
        for (position, message), error in zip(first, errors, strict=True):
            if error is None:
                self._delivered(message)
            elif message.outcome == "processed":
                # Signatures are bounded; a refusal is a bug. The article is a dead letter.
                log.error("the broker refused the signature of article %r: %s",
                          message.article_id, error)  # fmt: skip
                self._fail(message, "internal_error", error)
                converted = True
            elif refused is None:
                refused = (position, error)
        if converted:
            limit, dlq = self._walk(messages)
            why = dlq.reason
        if refused is not None and refused[0] < limit:
            limit, why = refused[0], _refusal(messages[refused[0]], refused[1])
        for position, message in enumerate(messages[:limit]):
            if message.outcome == "failed" and not message.delivered:
                (error,) = await self._send_all([self._record(message)])
                if error is not None:
                    limit, why = position, _refusal(message, error)
                    break
                self._delivered(message)
        self.metrics.stage_seconds.labels("publish_signature").observe(time.perf_counter() - t0)
        self.dlq_limit = dlq
        if limit < len(messages):
            self._halt(messages[limit], why)
        await self._mark_replay(messages[:limit])
        return limit

    def _record(self, message: _Message) -> Callable[[], Awaitable[Ack]]:
        """The call that hands a message's outcome record to the sink."""
        if message.outcome == "processed":
            assert message.article is not None and message.extracted is not None
            article_id, value = message.article.id, message.extracted.signature_json
            return lambda: self.sink.signature(article_id, value)
        assert message.reason is not None
        msg = message.inbound
        letter = DeadLetter.build(
            reason=message.reason,
            error=message.detail,
            article_id=message.article_id,
            topic=msg.topic,
            partition=msg.partition,
            offset=msg.offset,
            received_at=datetime.now(UTC),
            original=msg.value or b"",
            max_message_bytes=self.max_message_bytes,
        )
        key = deadletter_key(msg.key)
        return lambda: self.sink.deadletter(letter, key)

    def _delivered(self, message: _Message) -> None:
        message.delivered = True
        if message.outcome == "processed":
            assert message.article is not None
            self.metrics.signatures_published.inc()
            self.metrics.articles_processed.inc()
            self.events.observe(message.article.published_at)
            log.debug("article %r -> story %s", message.article.id, message.story_id)
            return
        assert message.reason is not None
        log.warning(
            "dead letter %s (key %r): %s: %s", message.where(),
            _key_text(message.inbound.key), message.reason, message.detail[:500],
        )  # fmt: skip
        self.metrics.articles_deadlettered.labels(message.reason).inc()

    async def _send_all(
        self, calls: Sequence[Callable[[], Awaitable[Ack]]]
    ) -> list[Exception | None]:
        """Hand every record to the sink in order, then await all acknowledgements; a record
        the broker could not take for a passing reason is sent again until it is. Returns the
        lasting error per record (None: acknowledged)."""
        acks: list[Ack | Exception] = []
        for call in calls:
            try:
                acks.append(await call())
            except SinkUnavailable as exc:
                acks.append(exc)
            except Exception as exc:
                acks.append(exc)

        async def once(call: Callable[[], Awaitable[Ack]]) -> None:
            await (await call())

        async def settle(
            call: Callable[[], Awaitable[Ack]], ack: Ack | Exception
        ) -> Exception | None:
            try:
                if isinstance(ack, Exception):
                    raise ack
                await ack
            except SinkUnavailable:
                try:
                    await self.sink_retry.call(lambda: once(call))
                except Exception as exc:
                    return exc
            except Exception as exc:
                return exc
            return None

        return list(await asyncio.gather(*(settle(c, a) for c, a in zip(calls, acks, strict=True))))

    async def _mark_replay(self, messages: Sequence[_Message]) -> None:
        """Tell `wirewatch replay` the messages are finished. Their outcomes are published
        already: a failure here must not escape the agent (faust would skip the next message)."""
        marks: list[tuple[_Message, ReplayMark]] = []
        for message in messages:
            run_id = message.inbound.headers.get(REPLAY_HEADER)
            if message.marked or run_id is None:
                message.marked = True
                continue
            default = str(message.inbound.offset).encode()
            seq = message.inbound.headers.get(SEQ_HEADER, default).decode(errors="replace")
            mark = ReplayMark(
                run_id.decode(errors="replace"), seq, tuple(message.alert_ids),
                deadlettered=message.outcome != "processed",
            )  # fmt: skip
            marks.append((message, mark))
        if not marks:
            return
        try:
            await self.redis_retry.call(
                lambda: self.store.replay_marks([mark for _, mark in marks])
            )
        except Exception:
            log.exception("could not record replay progress for %d message(s) from %s",
                          len(marks), marks[0][0].where())  # fmt: skip
            return
        for message, _ in marks:
            message.marked = True

    def _halt(self, message: _Message, why: str) -> None:
        """Stop consuming at this message: report not ready and say why. The caller parks
        without acknowledging it; a restart resumes from it."""
        self.halted = why
        self.metrics.halted.set(1)
        log.critical(
            "stopped consuming at %s: %s. Fix the cause and restart the worker; it resumes "
            "from this message.", message.where(), why,
        )  # fmt: skip

    async def refresh_gauges(self) -> None:
        """Active and emerging story counts (event time); on a timer, not per article."""
        latest = self.events.high_water()
        if latest is None:
            return  # nothing processed yet
        active, emerging = await self.store.counts(latest - self.story_window)
        self.metrics.active_stories.set(active)
        self.metrics.emerging_stories.set(emerging)


def _refusal(message: _Message, error: BaseException) -> str:
    log.error("could not publish the dead letter for %s: %s", message.where(), error)
    return f"dead-letter topic refused a record: {type(error).__name__}"


def _published(message: _Message) -> datetime:
    assert message.article is not None
    return message.article.published_at


def _item(message: _Message) -> Item:
    assert message.extracted is not None and message.member is not None
    extracted = message.extracted
    join = Joining(message.member, extracted.member_json, extracted.claims)
    return Item(message.index, message.member, join, extracted.fingerprints)


def _alert_sender(sink: Sink, alert: Alert) -> Callable[[], Awaitable[Ack]]:
    return lambda: sink.alert(alert)


def _key_text(key: bytes | None) -> str | None:
    if key is None:
        return None
    text = key[:200].decode("utf-8", "replace")
    return text if len(key) <= 200 else text + "…"
