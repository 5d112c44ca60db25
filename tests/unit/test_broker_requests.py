"""Kafka requests are counted under the API they call (workers/broker_requests.py)."""

from __future__ import annotations

from aiokafka.protocol.commit import OffsetCommitRequest
from aiokafka.protocol.fetch import FetchRequest
from aiokafka.protocol.group import HeartbeatRequest, JoinGroupRequest
from aiokafka.protocol.metadata import MetadataRequest
from aiokafka.protocol.produce import ProduceRequest

from workers.broker_requests import request_name
from workers.metrics import BROKER_REQUESTS


def test_each_request_type_has_its_label() -> None:
    names = [
        request_name(r)
        for r in (ProduceRequest, FetchRequest, OffsetCommitRequest, HeartbeatRequest,
                  MetadataRequest, JoinGroupRequest)
    ]  # fmt: skip
    assert names == ["produce", "fetch", "offset_commit", "heartbeat", "metadata", "other"]
    assert set(names) <= set(BROKER_REQUESTS)


def test_something_without_an_api_key_is_other() -> None:
    assert request_name(object()) == "other"
