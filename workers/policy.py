"""Failure policy as objects: how a failing call is retried, when the worker stops consuming,
and how far one article may move the worker's idea of event time."""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_never,
    wait_exponential,
)

from topics.deadletters import DeadLetterReason

log = logging.getLogger(__name__)
T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """Retry a call on `retry_on` errors with capped exponential backoff.

    `attempts=None` retries until it succeeds: for outages (Redis or the broker down) the
    worker waits rather than skip an article. Any other error is raised at once. `sleep` is
    injectable so tests run the schedule without waiting.
    """

    name: str
    retry_on: tuple[type[BaseException], ...]
    attempts: int | None = None
    first_backoff_s: float = 0.1
    max_backoff_s: float = 5.0
    sleep: Sleep = asyncio.sleep

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(self.retry_on),
            stop=stop_never if self.attempts is None else stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.first_backoff_s, max=self.max_backoff_s),
            sleep=self.sleep,
            before_sleep=self._log,
            reraise=True,
        )
        async def attempt() -> T:
            # tenacity awaits only what it sees as a coroutine function; callers pass lambdas.
            return await fn()

        return await retrying(attempt)

    def _log(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning(
            "%s failed (%s: %s); retry %d in %.1fs",
            self.name, type(exc).__name__, exc, state.attempt_number, delay,
        )  # fmt: skip


@dataclass
class DlqLimit:
    """Stop consuming after `limit` processing failures in a row (sentry arroyo's DlqLimit).

    A bug or a bad deploy fails every article the same way; dead-lettering them all would
    empty the stream into the dead-letter topic. Bad input (an ingest reason) neither counts
    nor resets the run: only a processed article does. `limit=0` never stops.
    """

    limit: int
    consecutive: int = 0
    last: str = ""

    def allow(self, reason: DeadLetterReason, detail: str) -> bool:
        """Record a processing failure; False when it is one too many (stop, do not ack)."""
        self.consecutive += 1
        self.last = f"{reason}: {detail}"[:300]
        return self.limit == 0 or self.consecutive < self.limit

    def success(self) -> None:
        self.consecutive = 0

    @property
    def reason(self) -> str:
        return f"{self.consecutive} processing failures in a row; last: {self.last}"


@dataclass
class EventClock:
    """The worker's event-time high-water mark: the k-th latest published_at seen.

    The plain maximum let one message dated 9999 move it, and the periodic prune then emptied
    the story index. With k > 1, k articles must agree before the mark moves; the input range
    check (WIREWATCH_PUBLISHED_AT_MAX_SKEW_HOURS) bounds how far even those can take it.
    """

    k: int = 3
    _latest: list[datetime] = field(default_factory=list)  # a min-heap of the k latest

    def observe(self, when: datetime) -> None:
        if len(self._latest) < self.k:
            heapq.heappush(self._latest, when)
        elif when > self._latest[0]:
            heapq.heapreplace(self._latest, when)

    def high_water(self) -> datetime | None:
        """None before anything was seen; with fewer than k, the earliest of those seen."""
        return self._latest[0] if self._latest else None
