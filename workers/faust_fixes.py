"""Fixes for faust-streaming on aiokafka: records dropped in a rebalance must be fetched again.

When a rebalance lands while faust's fetcher has a getmany parked in aiokafka, that call can
return the new assignment's records while faust's flow is still stopped. faust drops them and
calls `perform_seek` to "seek back to committed offsets" (faust/transport/consumer.py, the
`else` branch of `Consumer.getmany`). aiokafka's `seek_to_committed` only seeks a partition
whose committed offset is > 0 (aiokafka/consumer/consumer.py, `if offset and offset > 0`),
so a partition with nothing committed yet (a new group, or before the first commit) keeps its
advanced position: the dropped records are never delivered, and the worker looks stalled.

Here a partition with no committed offset is reset by the group's auto_offset_reset policy,
and one committed at 0 is sought to 0, which is what "seek back to committed" means.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

log = logging.getLogger(__name__)

_PATCHED = "_wirewatch_seek_to_committed"


def _no_committed(offset: int | None) -> bool:
    return offset is None or offset < 0


async def _seek_to_committed_or_reset(self: Any) -> Mapping[Any, int]:
    consumer = self._ensure_consumer()
    committed: Mapping[Any, int] = await consumer.seek_to_committed()
    for tp, offset in committed.items():
        if offset == 0:
            consumer.seek(tp, 0)
    unset = [tp for tp, offset in committed.items() if _no_committed(offset)]
    if unset:
        if self.app.conf.consumer_auto_offset_reset == "latest":
            await consumer.seek_to_end(*unset)
        else:
            await consumer.seek_to_beginning(*unset)
    return committed


async def _seek_to_committed(self: Any) -> Mapping[Any, int]:
    return await self.call_thread(_seek_to_committed_or_reset, self)  # type: ignore[no-any-return]


# -- records dropped in the middle of a batch -------------------------------------------------
# faust's Consumer.getmany walks one fetched batch and stops early (`break`) when its flow stops
# or the group generation changes mid-batch; the rest of the batch is dropped while aiokafka's
# fetch position is already past it, so unless a rebalance seeks the partition back later, those
# records are never delivered. (Its fetch loop also abandons the hand-over of a record when the
# flow stops, `wait_first(callback(message), suspend_flow.wait())`.) Here, when a batch was not
# walked to its end with the flow on, the partitions are sought back to their committed offsets
# (as faust's own flow-stopped branch does): the dropped records are fetched again; anything
# already processed but not committed is processed again, which the pipeline's per-article
# idempotence absorbs.
_PATCHED_GETMANY = "_wirewatch_getmany"
# An app attribute: called each time a dropped batch is sought back (the worker's metric).
REFETCH_HOOK = "wirewatch_on_refetch"


class _Batch:
    """The scheduler's iterator over one fetched batch, remembering whether it ran out."""

    def __init__(self, records: Iterator[Any]) -> None:
        self._records = records
        self.exhausted = False

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            return next(self._records)
        except StopIteration:
            self.exhausted = True
            raise


class _Scheduler:
    """Stands in for the consumer's scheduler for one getmany call."""

    def __init__(self, consumer: Any, inner: Any) -> None:
        self._consumer = consumer
        self._inner = inner
        self.batch: _Batch | None = None

    def iterate(self, records: Any) -> Iterator[Any]:
        self._consumer.scheduler = self._inner  # one batch per getmany: put it back now
        self.batch = _Batch(iter(self._inner.iterate(records)))
        return self.batch


def _refetching_getmany(original: Callable[..., AsyncIterator[Any]]) -> Any:
    async def getmany(self: Any, timeout: float) -> AsyncIterator[Any]:
        scheduler = _Scheduler(self, self.scheduler)
        self.scheduler = scheduler
        try:
            async for item in original(self, timeout):
                yield item
        finally:
            if self.scheduler is scheduler:
                self.scheduler = scheduler._inner
        batch = scheduler.batch
        # Walked to its end with the flow still on: every record was handed over. Otherwise
        # the loop broke early, or a flow stop cut the hand-over of the last one short.
        if self.should_stop:
            return  # shutting down: the next start reads from the committed offsets anyway
        if batch is not None and not (batch.exhausted and self.flow_active):
            log.warning("faust dropped the rest of a fetched batch (rebalance); seeking back")
            hook = getattr(self.app, REFETCH_HOOK, None)
            if hook is not None:
                hook()
            await self.perform_seek()

    return getmany


def install() -> None:
    """Idempotent: one worker process builds one app, tests may build several."""
    if not getattr(AIOKafkaConsumerThread, _PATCHED, False):
        AIOKafkaConsumerThread.seek_to_committed = _seek_to_committed  # type: ignore[method-assign]
        setattr(AIOKafkaConsumerThread, _PATCHED, True)
    if not getattr(Consumer, _PATCHED_GETMANY, False):
        Consumer.getmany = _refetching_getmany(Consumer.getmany)  # type: ignore[method-assign]
        setattr(Consumer, _PATCHED_GETMANY, True)
