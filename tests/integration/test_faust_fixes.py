"""The rebalance fix against the real broker: records faust drops are fetched again.

faust drops records fetched while its flow is stopped (a rebalance landing during a fetch) and
asks the consumer to seek back to committed offsets; aiokafka leaves a partition with nothing
committed where it is, so those records were never delivered (a worker idled with work
waiting). Here a real group consumer fetches, "drops" what it got, and seeks back.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from tests.conftest import Services
from tests.integration.helpers import ROOT
from workers import faust_fixes

pytestmark = pytest.mark.services


async def _fetch_drop_and_seek_back(url: str, topic: str, group: str) -> list[int]:
    producer = AIOKafkaProducer(bootstrap_servers=url)
    await producer.start()
    for i in range(3):
        await producer.send_and_wait(topic, f"m{i}".encode())
    await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=url, group_id=group, auto_offset_reset="earliest",
        enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=1000,
    )  # fmt: skip
    await consumer.start()
    try:
        dropped = await consumer.getmany(timeout_ms=10_000)
        assert sum(len(records) for records in dropped.values()) == 3
        # What faust's consumer thread is to the fix: the consumer and the app's reset policy.
        thread = SimpleNamespace(
            _ensure_consumer=lambda: consumer,
            app=SimpleNamespace(conf=SimpleNamespace(consumer_auto_offset_reset="earliest")),
        )
        await faust_fixes._seek_to_committed_or_reset(thread)
        again = await consumer.getmany(timeout_ms=10_000)
        return [r.offset for records in again.values() for r in records]
    finally:
        await consumer.stop()


def test_records_dropped_before_any_commit_are_fetched_again(
    services: Services, unique: str
) -> None:
    url = services.kafka_url.removeprefix("kafka://")
    topic = f"t{unique}-fix"
    admin = KafkaAdminClient(bootstrap_servers=url)
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()
    assert asyncio.run(_fetch_drop_and_seek_back(url, topic, f"g{unique}")) == [0, 1, 2]


def test_install_patches_faust_once() -> None:
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    faust_fixes.install()
    patched = AIOKafkaConsumerThread.seek_to_committed
    faust_fixes.install()
    assert AIOKafkaConsumerThread.seek_to_committed is patched
    assert patched is faust_fixes._seek_to_committed


def test_a_batch_dropped_mid_way_when_the_flow_stops_is_read_again(
    services: Services, unique: str, tmp_path: Path
) -> None:
    # The real faust consumer on the real broker: its flow stops (as in a rebalance) while the
    # fetcher is inside a fetched batch, and faust drops the rest of that batch.
    url = services.kafka_url.removeprefix("kafka://")
    topic = f"t{unique}-drop"
    admin = KafkaAdminClient(bootstrap_servers=url)
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=url)
    for i in range(30):
        producer.send(topic, value=f"m{i}".encode())
    producer.flush()
    producer.close()
    out = tmp_path / "probe.json"
    probe = subprocess.run(
        [sys.executable, "-m", "tests.integration.faust_drop_probe", services.kafka_url, topic,
         f"g{unique}", "30", str(out)],
        cwd=ROOT, capture_output=True, timeout=90,
    )  # fmt: skip
    assert out.exists(), probe.stdout.decode()[-2000:]
    result = json.loads(out.read_text())
    assert sorted(set(result["seen"])) == list(range(30)), "records were lost"
    assert result["refetched"] >= 1, "the probe did not reach the mid-batch drop"
