"""Shared fixtures: real embedded services for the integration and end-to-end tiers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from workers.embedded import EmbeddedServices


@dataclass(frozen=True)
class Services:
    kafka_url: str
    redis_url: str
    pids: tuple[int, ...]


@pytest.fixture(scope="session")
def _embedded() -> Iterator[EmbeddedServices]:
    with EmbeddedServices() as services:
        yield services


@pytest.fixture
def services(request: pytest.FixtureRequest, _embedded: EmbeddedServices) -> Services:
    """The real broker and redis-server; only for tests marked `services`."""
    if request.node.get_closest_marker("services") is None:
        pytest.fail("this test uses the broker/Redis: mark it @pytest.mark.services")
    assert _embedded.kafka_url and _embedded.redis_url
    return Services(_embedded.kafka_url, _embedded.redis_url, tuple(_embedded.pids))


@pytest.fixture
def unique() -> str:
    """A fresh name part, so each test has its own topics, group and Redis keys."""
    return uuid.uuid4().hex[:10]
