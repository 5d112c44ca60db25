"""Counts the Kafka requests this process's aiokafka clients send, by API: what the throughput
benchmark divides by articles for "broker requests per article" (issue 11).

aiokafka has no hook for requests, so its client's one `send` (every produce, fetch, commit,
heartbeat and metadata request goes through it) is wrapped, once per process.
"""

from __future__ import annotations

from typing import Any

from aiokafka.client import AIOKafkaClient
from prometheus_client import Counter

# Kafka API keys -> the label the metric uses (workers.metrics.BROKER_REQUESTS).
_API_NAMES = {0: "produce", 1: "fetch", 3: "metadata", 8: "offset_commit", 12: "heartbeat"}
_PATCHED = "_wirewatch_counts_requests"
# The counter of the app built last (one worker process builds one; tests may build several).
_counters: list[Counter] = []


def request_name(request: Any) -> str:
    return _API_NAMES.get(getattr(request, "API_KEY", -1), "other")


def install(counter: Counter) -> None:
    """Count every request from now on in `counter` (labelled by request)."""
    _counters[:] = [counter]
    if getattr(AIOKafkaClient, _PATCHED, False):
        return
    original = AIOKafkaClient.send

    async def send(self: AIOKafkaClient, node_id: Any, request: Any, **kwargs: Any) -> Any:
        for current in _counters:
            current.labels(request_name(request)).inc()
        return await original(self, node_id, request, **kwargs)

    AIOKafkaClient.send = send  # type: ignore[method-assign]
    setattr(AIOKafkaClient, _PATCHED, True)
