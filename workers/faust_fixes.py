"""A fix for faust-streaming on aiokafka: records dropped in a rebalance must be fetched again.

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

from collections.abc import Mapping
from typing import Any

from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

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


def install() -> None:
    """Idempotent: one worker process builds one app, tests may build several."""
    if not getattr(AIOKafkaConsumerThread, _PATCHED, False):
        AIOKafkaConsumerThread.seek_to_committed = _seek_to_committed  # type: ignore[method-assign]
        setattr(AIOKafkaConsumerThread, _PATCHED, True)
