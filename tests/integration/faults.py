"""Fault harness: real worker processes on real services, faults injected, every input accounted.

Used by tests/integration/test_faults.py (small streams, in CI) and benchmarks/fault_benchmark.py
(a real stream). Inputs are produced with the replay headers, so the worker records in Redis
which inputs it finished; the outcomes themselves are read back from the topics:

- lost: an input with neither a signature nor a dead letter;
- two outcomes: an input with a signature and a dead letter, or dead letters of two reasons;
- doubled: an article that is a member of more than one live story;
- duplicate alert ids: alert records sharing an id (at-least-once allows one per crash that
  lands between an alert's send and its ledger mark; see README "Guarantees");
- agent restarts: faust restarting the agent after an exception escaped it;
- stall: after each fault, how long until every partition with work left moved again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from workers.embedded import _die_with_parent, free_port, redis_binary
from workers.pipeline import REPLAY_HEADER, SEQ_HEADER
from workers.store import replay_key

ROOT = Path(__file__).resolve().parents[2]


# -- worker processes -----------------------------------------------------------------------------
@dataclass
class Fleet:
    """The worker processes of one test, started and killed by PID."""

    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)

    def start(self) -> subprocess.Popen[bytes]:
        _, log_path = tempfile.mkstemp(prefix=f"worker-{self.env['WIREWATCH_APP_ID']}-",
                                       suffix=".log")  # fmt: skip
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "workers.cli", "run"],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # no orphans if the harness itself is killed
            )  # fmt: skip
        self.procs.append(proc)
        self.logs.append(log_path)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """kill -9: no shutdown, no final commit."""
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        # Everything the harness needs is read before this; no orderly (slow) shutdown.
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)

    def log_text(self) -> str:
        return "\n".join(Path(p).read_text(errors="replace") for p in self.logs)

    def agent_restarts(self) -> int:
        """faust restarting a crashed agent (an exception escaped it), across all processes."""
        return sum(
            1
            for line in self.log_text().splitlines()
            if "process_articles" in line
            and ("Restarting dead" in line or "Crashed reason" in line)
            and "CancelledError" not in line
        )


def create_topics(env: dict[str, str]) -> None:
    from config.settings import Settings
    from workers.app import bootstrap_servers
    from workers.topics_admin import create_topics as create

    fields = {k.removeprefix("WIREWATCH_").lower(): v for k, v in env.items()
              if k.startswith("WIREWATCH_")}  # fmt: skip
    settings = Settings.model_validate(fields)
    assert settings.kafka_url is not None
    create(settings, bootstrap_servers(settings.kafka_url))


@contextmanager
def fleet(env: dict[str, str]) -> Iterator[Fleet]:
    create_topics(env)
    f = Fleet(env)
    try:
        yield f
    finally:
        f.stop_all()


# -- a redis-server we may kill -------------------------------------------------------------------
@dataclass
class OwnRedis:
    """A redis-server with an append-only file, on a fixed port, killable and restartable."""

    port: int = field(default_factory=free_port)
    workdir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="wirewatch-redis-"))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        # fsync on every write: the harness counts outcomes through Redis, and a test must not
        # depend on what `everysec` loses in its last second.
        self.proc = subprocess.Popen(
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", self.workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                if client.ping():
                    break
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


# -- producing and watching -----------------------------------------------------------------------
@dataclass(frozen=True)
class Produced:
    """Where each input went: (partition, offset) by sequence number."""

    run_id: str
    places: list[tuple[int, int]]


def produce(
    kafka_url: str,
    topic: str,
    values: Sequence[bytes],
    *,
    run_id: str,
    partition_of: Callable[[int], int] = lambda _i: 0,
) -> Produced:
    producer = KafkaProducer(
        bootstrap_servers=kafka_url.removeprefix("kafka://"),
        max_request_size=4_000_000,  # hostile inputs larger than the worker's limit, on purpose
        max_in_flight_requests_per_connection=1,
    )
    futures = [
        producer.send(
            topic,
            value=value,
            key=f"in-{i}".encode(),
            partition=partition_of(i),
            headers=[(REPLAY_HEADER, run_id.encode()), (SEQ_HEADER, str(i).encode())],
        )
        for i, value in enumerate(values)
    ]
    producer.flush()
    places = []
    for fut in futures:
        meta = fut.get(timeout=30)
        places.append((meta.partition, meta.offset))
    producer.close()
    return Produced(run_id, places)


@dataclass
class Progress:
    """Which inputs the workers finished, and when each was first seen finished."""

    client: redis.Redis
    prefix: str
    produced: Produced
    done_at: dict[int, float] = field(default_factory=dict)

    def poll(self, at: float | None = None) -> int:
        """Record what is done now; `at` dates what this poll first sees (see `fault`)."""
        done = self.client.smembers(replay_key(self.prefix, self.produced.run_id, "done"))
        now = time.monotonic() if at is None else at
        for raw in done:
            self.done_at.setdefault(int(raw), now)
        return len(self.done_at)

    def fault(self, fault: Callable[[], None]) -> float:
        """Apply a fault; return its time. What the workers finished before it (up to the
        kill itself) is dated before it, not when the next poll happens to see it."""
        at = time.monotonic()
        fault()
        self.poll(at=at - 1e-6)
        return at

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.poll() < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def stall_after(self, at: float) -> float | None:
        """Seconds from `at` until every partition with work left then had moved again."""
        pending: dict[int, list[int]] = defaultdict(list)
        for seq, (partition, _) in enumerate(self.produced.places):
            done = self.done_at.get(seq)
            if done is None or done > at:
                pending[partition].append(seq)
        waits = []
        for seqs in pending.values():
            times = [self.done_at[s] for s in seqs if s in self.done_at]
            if not times:
                return None  # never moved again
            waits.append(min(times) - at)
        return max(waits, default=0.0)


# -- accounting -----------------------------------------------------------------------------------
@dataclass
class Report:
    inputs: int
    lost: int
    two_outcomes: int
    doubled: int
    not_in_a_story: int
    duplicate_alert_ids: int
    repeated_records: int  # the same outcome published again after a redelivery (harmless)
    alert_ids: set[str]
    alert_kinds: Counter[str]
    reasons: Counter[str]
    agent_restarts: int = 0
    stalls: list[float | None] = field(default_factory=list)
    outcome_of: dict[int, list[str]] = field(default_factory=dict)


def _read_topic(kafka_url: str, topic: str, at_least: int, idle_s: float = 0.5,
                timeout: float = 60.0) -> list[Any]:  # fmt: skip
    """Every record of `topic` from the start: at least `at_least`, then until idle."""
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_url.removeprefix("kafka://"), group_id=None,
        enable_auto_commit=False, consumer_timeout_ms=int(idle_s * 1000),
        max_partition_fetch_bytes=4_000_000, fetch_max_bytes=8_000_000,
    )  # fmt: skip
    parts = consumer.partitions_for_topic(topic) or {0}
    tps = [TopicPartition(topic, p) for p in parts]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = list(consumer)
        records.extend(batch)
        if not batch and len(records) >= at_least:
            break
    consumer.close()
    return records


def account(
    kafka_url: str,
    client: redis.Redis,
    topic_prefix: str,
    redis_prefix: str,
    values: Sequence[bytes],
    produced: Produced,
) -> Report:
    """Read every outcome back from the topics and the story state from Redis."""
    dead_total = client.scard(replay_key(redis_prefix, produced.run_id, "dead"))
    done_total = client.scard(replay_key(redis_prefix, produced.run_id, "done"))
    signatures = _read_topic(kafka_url, f"{topic_prefix}signatures", int(done_total - dead_total))
    letters = _read_topic(kafka_url, f"{topic_prefix}articles.deadletter", int(dead_total))
    alerts = _read_topic(kafka_url, f"{topic_prefix}alerts", 0)

    article_articles = f"{topic_prefix}articles"
    seq_of_place = {place: seq for seq, place in enumerate(produced.places)}
    id_of_seq: dict[int, str] = {}
    for seq, value in enumerate(values):
        try:
            doc = json.loads(value)
            if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                id_of_seq[seq] = doc["id"].strip()
        except (ValueError, RecursionError):
            continue
    seqs_of_id: dict[str, list[int]] = defaultdict(list)
    for seq, aid in id_of_seq.items():
        seqs_of_id[aid].append(seq)

    outcome_of: dict[int, list[str]] = {seq: [] for seq in range(len(values))}
    sig_ids = Counter(json.loads(r.value)["article_id"] for r in signatures)
    for aid, n in sig_ids.items():
        for seq in seqs_of_id.get(aid, []):
            outcome_of[seq].extend(["signature"] * n)
    reasons: Counter[str] = Counter()
    for record in letters:
        letter = json.loads(record.value)
        if letter["topic"] != article_articles:
            continue
        seq = seq_of_place.get((letter["partition"], letter["offset"]))
        if seq is not None:
            outcome_of[seq].append(f"dead:{letter['reason']}")
            reasons[letter["reason"]] += 1

    lost = sum(1 for o in outcome_of.values() if not o)
    two = sum(1 for o in outcome_of.values() if len(set(o)) > 1)
    repeated = sum(len(o) - len(set(o)) for o in outcome_of.values())
    alert_counts = Counter(dict(r.headers or []).get("wirewatch-alert-id", b"").decode()
                           for r in alerts)  # fmt: skip

    # Story state: each processed article in exactly one live (not merged-away) story.
    membership: Counter[str] = Counter()
    for key in client.scan_iter(match=f"{redis_prefix}:story:*:members", count=1000):
        if client.exists(key.decode().replace(":members", ":redirect")):
            continue
        for member in client.hkeys(key):
            membership[member.decode()] += 1
    processed = {id_of_seq[s] for s, o in outcome_of.items() if "signature" in o}
    return Report(
        inputs=len(values),
        lost=lost,
        two_outcomes=two,
        doubled=sum(1 for aid in processed if membership[aid] > 1),
        not_in_a_story=sum(1 for aid in processed if membership[aid] == 0),
        duplicate_alert_ids=sum(n - 1 for n in alert_counts.values()),
        repeated_records=repeated,
        alert_ids=set(alert_counts),
        alert_kinds=Counter(
            dict(r.headers or []).get("wirewatch-kind", b"").decode() for r in alerts
        ),
        reasons=reasons,
        outcome_of=outcome_of,
    )


def run_env(kafka_url: str, redis_url: str, name: str, **extra: str) -> dict[str, str]:
    """A worker environment with its own topics, group and keys."""
    env = {
        **os.environ,
        "WIREWATCH_KAFKA_URL": kafka_url,
        "WIREWATCH_REDIS_URL": redis_url,
        "WIREWATCH_APP_ID": f"ww-{name}",
        "WIREWATCH_TOPIC_PREFIX": f"t{name}.",
        "WIREWATCH_REDIS_PREFIX": f"t{name}",
        "WIREWATCH_SESSION_TIMEOUT_S": "2",
        "WIREWATCH_HEARTBEAT_INTERVAL_S": "0.5",
        "WIREWATCH_METRICS_PORT": "0",
    }
    env.update(extra)
    return env
