"""Failure policy objects: retry schedules, the consecutive-failure limit, the event clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.policy import DlqLimit, EventClock, RetryPolicy

T0 = datetime(2026, 3, 14, 7, 40, tzinfo=UTC)


class Flaky:
    """Fails with `error` the first `failures` calls, then returns the call count."""

    def __init__(self, failures: int, error: type[Exception] = ConnectionError) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"failure {self.calls}")
        return self.calls


async def test_retry_policy_backs_off_exponentially_up_to_its_cap() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:  # the injected clock: nothing really waits
        slept.append(seconds)

    policy = RetryPolicy("redis", (ConnectionError,), first_backoff_s=0.1, max_backoff_s=1.0,
                         sleep=sleep)  # fmt: skip
    flaky = Flaky(failures=6)
    assert await policy.call(flaky) == 7
    assert slept == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


async def test_retry_policy_gives_up_after_its_attempts_and_reraises() -> None:
    async def sleep(seconds: float) -> None:
        pass

    policy = RetryPolicy("state", (KeyError,), attempts=3, sleep=sleep)
    flaky = Flaky(failures=10, error=KeyError)
    with pytest.raises(KeyError):
        await policy.call(flaky)
    assert flaky.calls == 3


async def test_retry_policy_does_not_retry_other_errors() -> None:
    async def sleep(seconds: float) -> None:
        raise AssertionError("no retry expected")

    flaky = Flaky(failures=1, error=ValueError)
    with pytest.raises(ValueError):
        await RetryPolicy("redis", (ConnectionError,), sleep=sleep).call(flaky)
    assert flaky.calls == 1


def test_dlq_limit_stops_at_n_in_a_row_and_a_success_resets_it() -> None:
    limit = DlqLimit(3)
    assert limit.allow("internal_error", "boom")
    assert limit.allow("extraction_failed", "boom")
    limit.success()
    assert limit.allow("internal_error", "a")
    assert limit.allow("internal_error", "b")
    assert not limit.allow("state_failed", "c")
    assert "3 processing failures in a row" in limit.reason and "state_failed: c" in limit.reason


def test_dlq_limit_zero_never_stops() -> None:
    limit = DlqLimit(0)
    assert all(limit.allow("internal_error", "x") for _ in range(1000))


def test_event_clock_ignores_one_far_future_outlier() -> None:
    clock = EventClock(k=3)
    assert clock.high_water() is None
    for minutes in range(10):
        clock.observe(T0 + timedelta(minutes=minutes))
    clock.observe(T0 + timedelta(days=3000))  # one message from the far future
    assert clock.high_water() == T0 + timedelta(minutes=8)
    # Late (earlier) articles do not pull it back.
    clock.observe(T0 - timedelta(days=30))
    assert clock.high_water() == T0 + timedelta(minutes=8)
    # The stream itself moving on moves it.
    for minutes in (20, 21, 22):
        clock.observe(T0 + timedelta(minutes=minutes))
    assert clock.high_water() == T0 + timedelta(minutes=21)


def test_event_clock_with_fewer_than_k_articles_uses_the_earliest() -> None:
    clock = EventClock(k=3)
    clock.observe(T0)
    assert clock.high_water() == T0
    clock.observe(T0 + timedelta(hours=1))
    assert clock.high_water() == T0
