"""Helpers for tests that run a real worker process against the embedded services."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from workers.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]


def worker_env(services: Any, unique: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "WIREWATCH_KAFKA_URL": services.kafka_url,
        "WIREWATCH_REDIS_URL": services.redis_url,
        "WIREWATCH_APP_ID": f"ww-{unique}",
        "WIREWATCH_TOPIC_PREFIX": f"t{unique}.",
        "WIREWATCH_REDIS_PREFIX": f"t{unique}",
        "WIREWATCH_SESSION_TIMEOUT_S": "2",
        "WIREWATCH_HEARTBEAT_INTERVAL_S": "0.5",
        "WIREWATCH_METRICS_PORT": "0",
    }
    env.update(extra)
    return env


def cli(
    env: dict[str, str], *args: str, timeout: float = 120, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "workers.cli", *args],
        env=env, cwd=ROOT, capture_output=True, timeout=timeout, input=stdin,
    )  # fmt: skip


@contextmanager
def running_worker(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    created = cli(env, "create-topics")
    assert created.returncode == 0, created.stderr.decode()
    # One log per worker process: two workers of one group must not write over each other.
    _, name = tempfile.mkstemp(prefix=f"worker-{env['WIREWATCH_APP_ID']}-", suffix=".log")
    log = open(name, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "run"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc.log_path = name  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop exactly the process we started, by its PID: SIGTERM, then SIGKILL after 20 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def produce(kafka_url: str, topic: str, values: list[bytes], key: bytes | None = None) -> None:
    producer = KafkaProducer(bootstrap_servers=kafka_url.removeprefix("kafka://"))
    for value in values:
        producer.send(topic, value=value, key=key)
    producer.flush()
    producer.close()


def consume(kafka_url: str, topic: str, count: int, timeout: float = 60) -> list[Any]:
    """Read `count` records from the start of every partition of `topic` (no end offsets)."""
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_url.removeprefix("kafka://"), group_id=None,
        enable_auto_commit=False, consumer_timeout_ms=200,
    )  # fmt: skip
    parts = consumer.partitions_for_topic(topic) or {0}
    tps = [TopicPartition(topic, p) for p in parts]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(records) < count and time.monotonic() < deadline:
        records.extend(consumer)
    consumer.close()
    return records


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


def metric_value(text: str, name: str, labels: dict[str, str] | None = None) -> float | None:
    want = ",".join(f'{k}="{v}"' for k, v in sorted((labels or {}).items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        if series == (f"{name}{{{want}}}" if want else name):
            return float(value)
    return None


def article(aid: str, source: str, published_at: str, title: str, text: str) -> bytes:
    return json.dumps(
        {"id": aid, "source": source, "published_at": published_at, "title": title, "text": text}
    ).encode()


__all__ = [
    "article",
    "cli",
    "consume",
    "free_port",
    "metric_value",
    "produce",
    "running_worker",
    "scrape",
    "worker_env",
]
