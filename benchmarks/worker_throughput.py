"""Worker throughput on the real broker and redis-server: articles/s, latency, Redis and broker
cost per article, scaling over cores, memory.

Usage: python benchmarks/worker_throughput.py PATH [--articles N] [--configs 1x1,100x2]
                                             [--latency-seconds S] [--skip-pinned]

PATH is a JSONL file of articles (e.g. ../shared/data/gva-dev.jsonl). The stream is repeated
until it has N articles, each copy under new ids and 120 days later (so copies are new stories,
not members of the first copy's). Everything runs against embedded Tansu and redis-server
started for the run, with `wirewatch run` worker processes as an operator starts them.

Measured (printed under "Measured"):
- sustained articles/s of one worker after warm-up, for each BATCHxPOOL config (batch size,
  extraction processes): the stream is published first, then one worker drains it; the rate
  is taken from the broker timestamps of its outcome records (signatures and dead letters),
  the first 10% left out as warm-up (group join, first batches);
- p50/p99 latency from publish to the alert record at a steady offered load (default 200
  articles/s), and to the signature record; and for one lone article arriving at an idle
  worker (a third outlet's report of a story, which makes it emerge);
- Redis round trips and broker requests per article (the worker's own counters);
- two workers each pinned to one core against one worker pinned to one core, as a ratio;
- extraction articles/s per core on ~2 KB and ~4 KB articles (benchmarks/extraction_speed.py);
- worker memory (RSS, pool processes included) after the stream; Redis memory per 10,000
  articles.
Targets (issue 11): >= 1,000 articles/s; p99 <= 500 ms at 200/s; lone article <= 300 ms;
<= 0.5 Redis round trips per article; >= 1.7x on two pinned cores; >= 1,000 extraction
articles/s on 4 KB. The machine's load average is printed with the figures: on a shared
machine they are lower bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from redis import Redis  # noqa: E402

from workers.embedded import EmbeddedServices, free_port  # noqa: E402

MEASURED: list[str] = []
# Days between copies of the stream: beyond WIREWATCH_STORY_MEMORY_DAYS' default of 90.
COPY_SHIFT_DAYS = 120


def measured(line: str) -> None:
    MEASURED.append(line)
    print(f"  {line}", flush=True)


# -- the input stream ----------------------------------------------------------------------------
def stream(path: Path, count: int) -> list[tuple[str, bytes]]:
    """(article id, JSON bytes) for `count` articles: the file repeated under new ids, each
    copy 120 days later, past the story window and the long memory's 90 days (a copy inside the
    memory follows up its original's stories: merges, not the new stories a firehose brings);
    lines that are not JSON objects are kept as they are (dead letters)."""
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    out: list[tuple[str, bytes]] = []
    copy = 0
    while len(out) < count:
        for number, raw in enumerate(lines):
            if len(out) >= count:
                break
            try:
                doc = json.loads(raw)
            except ValueError:
                out.append((f"raw-{copy}-{number}", raw))
                continue
            if not isinstance(doc, dict):
                out.append((f"raw-{copy}-{number}", raw))
                continue
            if copy:
                doc["id"] = f"{doc.get('id')}~{copy}"
                shift = timedelta(days=COPY_SHIFT_DAYS * copy)
                doc["published_at"] = _shift(doc.get("published_at"), shift)
            out.append((str(doc.get("id")), json.dumps(doc).encode()))
        copy += 1
    return out


def _shift(value: Any, by: timedelta) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if len(value.strip()) == 10:
            return (datetime.fromisoformat(value.strip()) + by).date().isoformat()
        return (datetime.fromisoformat(value.replace("Z", "+00:00")) + by).isoformat()
    except ValueError:
        return value


# -- workers -------------------------------------------------------------------------------------
@dataclass
class Run:
    """One worker group's topics, keys and processes."""

    services: EmbeddedServices
    name: str
    extra: dict[str, str] = field(default_factory=dict)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"b{self.name}."

    def env(self, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
        env.update(
            {
                "WIREWATCH_KAFKA_URL": str(self.services.kafka_url),
                "WIREWATCH_REDIS_URL": str(self.services.redis_url),
                "WIREWATCH_APP_ID": f"bench-{self.name}",
                "WIREWATCH_TOPIC_PREFIX": self.prefix,
                "WIREWATCH_REDIS_PREFIX": f"b{self.name}",
                "WIREWATCH_SESSION_TIMEOUT_S": "4",
                "WIREWATCH_HEARTBEAT_INTERVAL_S": "1",
                "WIREWATCH_METRICS_PORT": str(port),
                "WIREWATCH_LOG_LEVEL": "warning",
            }
        )
        env.update(self.extra)
        return env

    def create_topics(self) -> None:
        out = subprocess.run(
            [sys.executable, "-m", "workers.cli", "create-topics"],
            env=self.env(0), cwd=ROOT, capture_output=True, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            raise RuntimeError(out.stderr.decode()[-2000:])

    def start(self, cpus: str | None = None) -> subprocess.Popen[bytes]:
        port = free_port()
        cmd = [sys.executable, "-m", "workers.cli", "run"]
        if cpus is not None:
            cmd = ["taskset", "-c", cpus, *cmd]
        log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{self.name}.log", "ab")
        proc = subprocess.Popen(
            cmd, env=self.env(port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        self.procs.append(proc)
        self.ports.append(port)
        return proc

    def stop(self) -> None:
        for proc in self.procs:  # only the processes this run started, by their handles
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def metrics(self) -> dict[str, float]:
        """Summed samples of every worker's /metrics (name{labels} -> value)."""
        total: dict[str, float] = {}
        for port in self.ports:
            try:
                text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
            except OSError:
                continue
            for line in text.decode().splitlines():
                if line.startswith("#") or not line.strip():
                    continue
                name, _, value = line.rpartition(" ")
                try:
                    total[name] = total.get(name, 0.0) + float(value)
                except ValueError:
                    pass
        return total

    def ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        for port in self.ports:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"worker on :{port} not ready") from None
                    time.sleep(0.2)


@contextmanager
def run(services: EmbeddedServices, extra: dict[str, str] | None = None) -> Iterator[Run]:
    current = Run(services, uuid.uuid4().hex[:8], dict(extra or {}))
    current.create_topics()
    try:
        yield current
    finally:
        current.stop()


def producer(services: EmbeddedServices) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=str(services.kafka_url).removeprefix("kafka://").split(","),
        linger_ms=5,
        batch_size=512 * 1024,
        max_request_size=2_000_000,
    )


class Outcomes:
    """Reads a run's signature, dead-letter and alert topics as they fill."""

    def __init__(self, current: Run) -> None:
        services = current.services
        self.consumer = KafkaConsumer(
            bootstrap_servers=str(services.kafka_url).removeprefix("kafka://").split(","),
            enable_auto_commit=False, group_id=None, consumer_timeout_ms=200,
        )  # fmt: skip
        names = [f"{current.prefix}{t}" for t in ("signatures", "articles.deadletter", "alerts")]
        parts = []
        for name in names:
            for p in sorted(self.consumer.partitions_for_topic(name) or {0}):
                parts.append(TopicPartition(name, p))
        self.consumer.assign(parts)
        self.consumer.seek_to_beginning(*parts)
        self.alerts_topic = names[2]
        # article key -> first outcome timestamp (s); alerts as (timestamp, document)
        self.done: dict[str, float] = {}
        self.alerts: list[tuple[float, dict[str, Any]]] = []

    def poll(self, timeout_ms: int = 200) -> None:
        for records in self.consumer.poll(timeout_ms=timeout_ms, max_records=10_000).values():
            for record in records:
                when = record.timestamp / 1000
                if record.topic == self.alerts_topic:
                    self.alerts.append((when, json.loads(record.value)))
                    continue
                key = (record.key or b"").decode("utf-8", "replace")
                self.done.setdefault(key, when)

    def wait(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.done) < count:
            self.poll()
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(self.done)} of {count} outcomes in {timeout:.0f}s")

    def wait_keys(self, keys: Iterable[str], timeout: float) -> None:
        """Until these articles have their outcomes (others may still be queued ahead)."""
        deadline = time.monotonic() + timeout
        while any(k not in self.done for k in keys):
            self.poll()
            if time.monotonic() > deadline:
                raise RuntimeError(f"no outcome for {sorted(set(keys) - set(self.done))}")

    def close(self) -> None:
        self.consumer.close()


def _distinct(articles: list[tuple[str, bytes]]) -> int:
    # Outcomes are counted per key, and a stream may repeat an id (GVA has a few).
    return len({key for key, _ in articles})


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the extraction pool), in MB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pids += [int(c) for c in children]
        except OSError:
            continue
    return total / 1024


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def sustained(times: Iterable[float], warmup: float = 0.1) -> tuple[float, int]:
    ordered = sorted(times)
    skip = max(1, int(len(ordered) * warmup))
    span = ordered[-1] - ordered[skip]
    return ((len(ordered) - 1 - skip) / span if span > 0 else float("nan")), len(ordered)


def _per_article(metrics: dict[str, float], prefix: str, articles: int) -> str:
    values = [v for k, v in metrics.items() if k.split("{")[0] == prefix]
    if not values:
        return "n/a (this worker does not export it)"
    return f"{sum(values) / articles:.2f}"


# -- the measurements ----------------------------------------------------------------------------
def throughput(
    services: EmbeddedServices, articles: list[tuple[str, bytes]], batch: int, pool: int
) -> None:
    extra = {"WIREWATCH_BATCH_SIZE": str(batch), "WIREWATCH_EXTRACTION_PROCESSES": str(pool)}
    redis = Redis.from_url(str(services.redis_url))
    with run(services, extra) as current:
        send = producer(services)
        for key, value in articles:
            send.send(f"{current.prefix}articles", key=key.encode(), value=value)
        send.flush()
        send.close()
        memory_before = int(redis.info("memory")["used_memory"])
        outcomes = Outcomes(current)
        proc = current.start()
        outcomes.wait(_distinct(articles), timeout=3600)
        rate, n = sustained(outcomes.done.values())
        metrics = current.metrics()
        rss = rss_mb(proc.pid)
        memory = int(redis.info("memory")["used_memory"]) - memory_before
        outcomes.close()
    label = f"batch {batch:>4} x pool {pool}"
    measured(f"sustained {label}: {rate:7.0f} articles/s ({n} articles, warm-up excluded)")
    rt = _per_article(metrics, "wirewatch_redis_round_trips_total", n)
    requests = _per_article(metrics, "wirewatch_broker_requests_total", n)
    measured(f"  {label}: Redis round trips/article {rt}; broker requests/article {requests}")
    measured(
        f"  {label}: worker RSS after the stream {rss:.0f} MB (pool included); "
        f"Redis memory {memory / 1e6 * 10_000 / n:.1f} MB per 10,000 articles"
    )


def latency(services: EmbeddedServices, articles: list[tuple[str, bytes]], rate: float) -> None:
    with run(services) as current:
        current.start()
        current.ready()
        outcomes = Outcomes(current)
        send = producer(services)
        published: dict[str, float] = {}
        started = time.monotonic()
        for number, (key, value) in enumerate(articles):
            # A steady offered load: article n leaves at started + n / rate.
            delay = started + number / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            published[key] = time.time()
            send.send(f"{current.prefix}articles", key=key.encode(), value=value)
            if number % 20 == 0:
                send.flush()
                outcomes.poll(timeout_ms=0)
        send.flush()
        offered = len(articles) / (time.monotonic() - started)
        outcomes.wait(_distinct(articles), timeout=600)
        time.sleep(1.0)
        outcomes.poll()
        signature = [outcomes.done[k] - published[k] for k in published if k in outcomes.done]
        alert = _alert_latencies(outcomes.alerts, published)
        lone = _lone_articles(current, outcomes, send)
        send.close()
        outcomes.close()
    measured(
        f"latency at {offered:.0f} articles/s offered: alert p50 {_p(alert, 0.5)} ms, "
        f"p99 {_p(alert, 0.99)} ms ({len(alert)} alerts); signature p50 "
        f"{_p(signature, 0.5)} ms, p99 {_p(signature, 0.99)} ms"
    )
    each = ", ".join(f"{1000 * v:.0f}" for v in lone)
    measured(
        f"lone article at an idle worker: publish -> alert {each} ms "
        f"(median {1000 * statistics.median(lone):.0f} ms)"
        if lone
        else "lone article: no alert came back"
    )


def _p(values: Sequence[float], q: float) -> str:
    """A percentile in milliseconds, as text."""
    return f"{1000 * percentile(values, q):.0f}" if values else "n/a"


def _alert_latencies(
    alerts: list[tuple[float, dict[str, Any]]], published: dict[str, float]
) -> list[float]:
    """Alert record time minus the publish time of the latest article it names (the one whose
    arrival raised it)."""
    out = []
    for when, doc in alerts:
        ids = [a.get("article_id") for a in doc.get("articles") or []]
        ids += [c.get("article_id") for c in doc.get("claims") or []]
        times = [published[i] for i in ids if i in published]
        if times:
            out.append(when - max(times))
    return out


_LONE = (
    "Firefighters in {town} spent the night containing a warehouse fire on {street}, "
    "the {town} fire service said on Tuesday. {n} crews were sent and two workers were "
    "treated for smoke inhalation."
)


def _lone_articles(current: Run, outcomes: Outcomes, send: KafkaProducer) -> list[float]:
    """Three stories, each: two outlets report it, then (the worker idle) a third does, which
    makes the story emerge; the latency is the third article's publish -> its alert."""
    out = []
    # Each its own town and street: a shared street is a distinctive key the long memory would
    # follow a month later.
    places = (("Dunmore", "Harbour Road"), ("Kettering", "Mill Lane"), ("Ashby", "Station Street"))
    for number, (town, street) in enumerate(places):
        # In the past (the worker refuses dates ahead of its clock), a month apart, in order.
        day = (datetime.now(UTC) - timedelta(days=30 * (3 - number))).isoformat()
        ids = [f"lone-{current.name}-{number}-{i}" for i in range(3)]
        docs = [
            {
                "id": ids[i],
                "source": f"outlet{i}.example",
                "published_at": day,
                "title": f"Warehouse fire in {town}",
                "text": _LONE.format(town=town, street=street, n=4 + i),
            }
            for i in range(3)
        ]
        for doc in docs[:2]:
            send.send(f"{current.prefix}articles", key=doc["id"].encode(),
                      value=json.dumps(doc).encode())  # fmt: skip
        send.flush()
        # Its own two, not any two: after the steady load the worker may still be catching up.
        outcomes.wait_keys(ids[:2], timeout=600)
        time.sleep(2.0)  # idle: any batch wait has long run out
        seen = len(outcomes.alerts)
        sent = time.time()
        send.send(
            f"{current.prefix}articles", key=ids[2].encode(), value=json.dumps(docs[2]).encode()
        )
        send.flush()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            outcomes.poll()
            fresh = [w for w, d in outcomes.alerts[seen:] if d.get("kind") == "story.emerging"]
            if fresh:
                out.append(fresh[0] - sent)
                break
    return out


def pinned(services: EmbeddedServices, articles: list[tuple[str, bytes]]) -> None:
    if shutil.which("taskset") is None or len(os.sched_getaffinity(0)) < 2:
        measured("two pinned workers: skipped (needs taskset and two cores)")
        return
    cores = sorted(os.sched_getaffinity(0))[:2]
    rates = []
    for workers in (1, 2):
        with run(services) as current:
            send = producer(services)
            for key, value in articles:
                send.send(f"{current.prefix}articles", key=key.encode(), value=value)
            send.flush()
            send.close()
            outcomes = Outcomes(current)
            for core in cores[:workers]:
                current.start(cpus=str(core))
            outcomes.wait(_distinct(articles), timeout=3600)
            rates.append(sustained(outcomes.done.values())[0])
            outcomes.close()
    measured(
        f"pinned: one worker on one core {rates[0]:.0f} articles/s; two workers on two cores "
        f"{rates[1]:.0f} articles/s; ratio {rates[1] / rates[0]:.2f}x"
    )


def extraction() -> None:
    from benchmarks.extraction_common import extractor, rows
    from benchmarks.extraction_speed import synthesise

    texts = [str(row["text"]) for row in rows(ROOT / "benchmarks/labelled/articles.jsonl")]
    ex = extractor()
    for label, sizes in (("~2 KB", (1_500, 2_500)), ("~4 KB", (3_000, 5_000))):
        items = synthesise(texts, 600, sizes=sizes)
        for item in items[:50]:
            ex.extract(item)
        started = time.process_time()
        for item in items:
            ex.extract(item)
        rate = len(items) / (time.process_time() - started)
        measured(f"extraction {label}: {rate:.0f} articles/s per core (CPU time)")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("--articles", type=int, default=6_000)
    parser.add_argument("--configs", default="1x1,100x1,100x2,500x2", help="BATCHxPOOL,...")
    parser.add_argument("--latency-rate", type=float, default=200.0)
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--skip-pinned", action="store_true")
    args = parser.parse_args()

    articles = stream(args.path, args.articles)
    load = os.getloadavg()
    print(f"Measured (load average at start {load[0]:.1f} on {os.cpu_count()} cores)")
    with EmbeddedServices() as services:
        for config in filter(None, args.configs.split(",")):  # "": latency and scaling only
            batch, pool = (int(x) for x in config.split("x"))
            throughput(services, articles, batch, pool)
        count = int(args.latency_rate * args.latency_seconds)
        latency(services, stream(args.path, count + 1)[1:], args.latency_rate)
        if not args.skip_pinned:
            pinned(services, articles)
    extraction()
    load = os.getloadavg()
    print(f"(load average at the end {load[0]:.1f}, 1 min; {load[1]:.1f}, 5 min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
