"""Faults against real worker processes, the real broker and a real redis-server.

Each test runs our raid stream (tests/streams/events.py) through `wirewatch run` while a fault
happens, then reads every outcome back (tests/integration/faults.py) and checks: nothing lost,
nothing doubled, exactly one outcome per input, no duplicate alert ids, and the same alerts as
an undisturbed run of the pipeline in-process. Bounded: each waits at most 120 s.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis

from tests.integration.faults import (
    Fleet,
    OwnRedis,
    Progress,
    Report,
    account,
    create_topics,
    fleet,
    produce,
    run_env,
)
from tests.integration.recording import undisturbed_alert_ids
from tests.streams.events import raid_articles
from workers.embedded import EmbeddedServices

pytestmark = pytest.mark.services

RAIDS = 20  # 80 articles: seconds of work, so faults land mid-stream
# Small batches, so a fault lands mid-stream and between batches of one worker's work (a
# default batch would take the whole stream at once). test_worker_killed_mid_batch uses
# larger ones on the extraction pool.
BATCHES = {"WIREWATCH_BATCH_SIZE": "8"}


def _check(report: Report, expected_alerts: set[str], *, crashes: int = 0) -> None:
    bad = {seq: o for seq, o in report.outcome_of.items() if len(set(o)) != 1}
    assert report.lost == 0 and report.two_outcomes == 0, f"inputs without one outcome: {bad}"
    assert report.doubled == 0, "an article counted in two stories"
    assert report.not_in_a_story == 0, "a processed article is in no story"
    # At-least-once: a crash between an alert's send and its ledger mark may send it once more,
    # under the same id. Without a crash, never.
    assert report.duplicate_alert_ids <= crashes, report.duplicate_alert_ids
    assert report.agent_restarts == 0
    assert report.alert_ids == expected_alerts


@pytest.fixture(scope="module")
def undisturbed() -> Callable[[str, list[list[bytes]]], set[str]]:
    """Alert ids of an undisturbed in-process run, per stream (cached: stories are independent,
    so the raids' alerts do not depend on how raids are spread over partitions)."""
    cache: dict[int, set[str]] = {}

    def ids(redis_url: str, partitions: list[list[bytes]]) -> set[str]:
        key = hash(tuple(sorted(v for part in partitions for v in part)))
        if key not in cache:
            prefix = f"base{uuid.uuid4().hex[:8]}"
            cache[key] = set(asyncio.run(undisturbed_alert_ids(redis_url, prefix, partitions)))
        return cache[key]

    return ids


Fault = Callable[[Fleet], None]


def _run(
    env: dict[str, str],
    kafka_url: str,
    redis_url: str,
    values: list[bytes],
    *,
    partition_of: Callable[[int], int] = lambda _i: 0,
    workers: int = 1,
    faults: tuple[tuple[float, Fault], ...] = (),
) -> tuple[Report, list[float | None]]:
    """Run `values` through `workers` worker processes; apply each fault once that fraction
    of the inputs is done. Returns the accounting and the stall after each fault."""
    client = redis.Redis.from_url(redis_url)
    stalls: list[float | None] = []
    with fleet(env) as f:
        for _ in range(workers):
            f.start()
        produced = produce(
            kafka_url, f"{env['WIREWATCH_TOPIC_PREFIX']}articles", values,
            run_id=uuid.uuid4().hex[:12], partition_of=partition_of,
        )  # fmt: skip
        progress = Progress(client, env["WIREWATCH_REDIS_PREFIX"], produced)
        marks = []
        for fraction, fault in faults:
            assert progress.wait_for(int(len(values) * fraction), 120), f.log_text()[-3000:]
            marks.append(progress.fault(lambda fault=fault: fault(f)))
        assert progress.wait_for(len(values), timeout=120), f.log_text()[-3000:]
        stalls = [progress.stall_after(at) for at in marks]
        report = account(
            kafka_url, client, env["WIREWATCH_TOPIC_PREFIX"], env["WIREWATCH_REDIS_PREFIX"],
            values, produced,
        )  # fmt: skip
        report.agent_restarts = f.agent_restarts()
    client.close()
    return report, stalls


def test_worker_killed_and_redis_bounced_mid_stream(services, unique, undisturbed) -> None:  # type: ignore[no-untyped-def]
    """kill -9 of the worker at 25 % (restarted), then redis-server killed and restarted at
    60 %: one partition, so the alerts must be exactly an undisturbed run's."""
    values = raid_articles(RAIDS)
    own = OwnRedis()
    own.start()
    try:
        env = run_env(services.kafka_url, own.url, unique, WIREWATCH_ALERT_LEASE_S="3", **BATCHES)

        def kill_and_restart(f: Fleet) -> None:
            f.kill(f.procs[-1])
            f.start()

        def bounce_redis(_f: Fleet) -> None:
            own.kill()
            time.sleep(1.0)
            own.start()

        report, stalls = _run(
            env, services.kafka_url, own.url, values,
            faults=((0.25, kill_and_restart), (0.6, bounce_redis)),
        )  # fmt: skip
    finally:
        own.stop()
    _check(report, undisturbed(services.redis_url, [values]), crashes=1)
    assert None not in stalls, f"processing never resumed after a fault: {stalls}"


def test_one_of_two_workers_killed(services, unique, undisturbed) -> None:  # type: ignore[no-untyped-def]
    values = raid_articles(RAIDS)

    def raid(i: int) -> int:  # one raid's articles in one partition, in order
        return (i // 4) % 2

    env = run_env(services.kafka_url, services.redis_url, unique,
                  WIREWATCH_ARTICLE_PARTITIONS="2", WIREWATCH_ALERT_LEASE_S="3",
                  **BATCHES)  # fmt: skip
    report, stalls = _run(
        env, services.kafka_url, services.redis_url, values, partition_of=raid, workers=2,
        faults=((0.4, lambda f: f.kill(f.procs[0])),),
    )  # fmt: skip
    partitions = [[v for i, v in enumerate(values) if raid(i) == p] for p in (0, 1)]
    _check(report, undisturbed(services.redis_url, partitions), crashes=1)
    assert None not in stalls, "the survivor never took over the dead worker's partition"


def test_worker_killed_mid_batch(services, unique, undisturbed) -> None:  # type: ignore[no-untyped-def]
    """kill -9 while the worker is inside a batch (batches of 24, extraction on a pool of two
    processes), restarted: every input has one outcome, no article is in two stories, the
    alerts are an undisturbed run's, and an alert id repeats at most once (a kill between an
    alert's send and its ledger mark; see README "Guarantees")."""
    values = raid_articles(RAIDS)
    env = run_env(services.kafka_url, services.redis_url, unique, WIREWATCH_ALERT_LEASE_S="3",
                  WIREWATCH_BATCH_SIZE="24", WIREWATCH_EXTRACTION_PROCESSES="2")  # fmt: skip
    client = redis.Redis.from_url(services.redis_url)
    with fleet(env) as f:
        worker = f.start()
        produced = produce(services.kafka_url, f"t{unique}.articles", values, run_id="kill")
        progress = Progress(client, f"t{unique}", produced)
        # Killed as soon as the first batch is recorded finished: the worker is inside the
        # next one (the whole stream was published at once, so it never waits in between).
        deadline = time.monotonic() + 120
        while progress.poll() == 0:
            assert time.monotonic() < deadline, f.log_text()[-3000:]
            time.sleep(0.005)
        f.kill(worker)
        done_before = progress.poll()
        assert done_before < len(values), "the stream was finished before the kill"
        f.start()
        assert progress.wait_for(len(values), 120), f.log_text()[-3000:]
        report = account(services.kafka_url, client, f"t{unique}.", f"t{unique}", values,
                         produced)  # fmt: skip
        report.agent_restarts = f.agent_restarts()
    client.close()
    _check(report, undisturbed(services.redis_url, [values]), crashes=1)


def _article(aid: str, text: str, when: str = "2026-03-02T06:00:00+00:00") -> bytes:
    return json.dumps(
        {"id": aid, "source": "odd.example", "published_at": when, "title": aid, "text": text}
    ).encode()


def _hostile() -> list[tuple[bytes, str]]:
    """(input, expected outcome): each kind of hostile input the worker must name."""
    now = datetime.now(UTC)
    no_stops = " ".join(f"crews counted {n} damaged homes and {n + 3} cars" for n in range(2500))
    return [
        (_article("oversized", "x" * 140_000), "dead:too_large"),
        (b'{"id": "deep", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "dead:too_deep"),
        (b'{"id": "num", "n": ' + b"7" * 20_000 + b"}", "dead:number_too_large"),
        (_article("y9999", "Later.", "9999-12-31T23:00:00-05:00"),
         "dead:published_at_out_of_range"),
        (_article("ahead", "Soon.", (now + timedelta(days=2)).isoformat()),
         "dead:published_at_out_of_range"),
        (_article("year1", "Long ago.", "0001-01-01T00:30:00+01:00"),
         "dead:published_at_out_of_range"),
        (_article("surrogate", "x").replace(b'"x"', b'"\\udc00"'), "dead:invalid_unicode"),
        (b"\xff\xfe\x00", "dead:invalid_utf8"),
        (b"[1, 2, 3]", "dead:not_an_object"),
        (_article("no-stops", no_stops), "signature"),
    ]  # fmt: skip


def test_hostile_inputs_among_good_ones(services, unique, undisturbed) -> None:  # type: ignore[no-untyped-def]
    good = raid_articles(6)
    hostile = _hostile()
    values: list[bytes] = []
    expected: list[str] = []
    for i, raw in enumerate(good):
        values.append(raw)
        expected.append("signature")
        if i % 2 == 1 and hostile:
            bad, outcome = hostile.pop(0)
            values.append(bad)
            expected.append(outcome)
    limits = {"WIREWATCH_MAX_ARTICLE_BYTES": "120000", "WIREWATCH_MAX_MESSAGE_BYTES": "150000"}
    env = run_env(services.kafka_url, services.redis_url, unique, **limits, **BATCHES)
    report, _ = _run(env, services.kafka_url, services.redis_url, values)
    _check(report, undisturbed(services.redis_url, [good]))
    assert [sorted(set(report.outcome_of[i])) for i in range(len(values))] == [
        [e] for e in expected
    ]


@pytest.fixture
def own_broker() -> Iterator[EmbeddedServices]:
    with EmbeddedServices(want_redis=False) as broker:
        yield broker


def test_broker_losing_its_topics_is_said_and_survived(services, unique, own_broker) -> None:  # type: ignore[no-untyped-def]
    """The broker restarts empty: the worker says so and exits non-zero; restarted against the
    recreated topics, it processes what arrives there."""
    kafka_url = own_broker.kafka_url
    assert kafka_url is not None
    env = run_env(kafka_url, services.redis_url, unique)
    client = redis.Redis.from_url(services.redis_url)
    first, second = raid_articles(4)[:8], raid_articles(4)[8:]
    with fleet(env) as f:
        worker = f.start()
        produced = produce(kafka_url, f"t{unique}.articles", first, run_id="before")
        assert Progress(client, f"t{unique}", produced).wait_for(len(first), 120)

        # The broker dies and comes back on the same port with nothing: no topics, no offsets.
        (proc,) = own_broker._procs
        port = int(kafka_url.rsplit(":", 1)[1])
        proc.popen.kill()
        proc.popen.wait(timeout=10)
        own_broker._procs.clear()
        cmd = [own_broker_binary(), "broker", "--listener-url", f"tcp://127.0.0.1:{port}",
               "--advertised-listener-url", f"tcp://127.0.0.1:{port}"]  # fmt: skip
        assert own_broker._spawn("broker", cmd, lambda: _answers(port))
        code = worker.wait(timeout=90)
        log = f.log_text()
        assert code != 0
        assert "the broker lost topic(s)" in log

        # The operator (or the compose stack's topics service) recreates them; restarted, the
        # worker reads the new topics from their start.
        create_topics(env)
        f.start()
        produced = produce(kafka_url, f"t{unique}.articles", second, run_id="after")
        progress = Progress(client, f"t{unique}", produced)
        assert progress.wait_for(len(second), 120), f.log_text()[-3000:]
        report = account(kafka_url, client, f"t{unique}.", f"t{unique}", second, produced)
    assert report.lost == 0 and report.two_outcomes == 0
    client.close()


def own_broker_binary() -> str:
    from workers.embedded import broker_binary

    return broker_binary()


def _answers(port: int) -> bool:
    from workers.embedded import _kafka_answers

    return _kafka_answers(port)


def test_repeated_failures_stop_the_worker_instead_of_dead_lettering_the_stream(
    services, unique
) -> None:  # type: ignore[no-untyped-def]
    """Redis refusing every write (out of memory) fails each article's story update: after
    two failures in a row the worker stops consuming and says why, instead of dead-lettering
    the stream; restarted once Redis is fixed, it resumes from where it stopped."""

    from workers.embedded import free_port

    own = OwnRedis()
    own.start()
    port = free_port()
    env = run_env(
        services.kafka_url, own.url, unique,
        WIREWATCH_MAX_CONSECUTIVE_INTERNAL_ERRORS="2", WIREWATCH_METRICS_PORT=str(port),
    )  # fmt: skip
    values = raid_articles(2)
    client = redis.Redis.from_url(own.url)
    try:
        with fleet(env) as f:
            worker = f.start()
            ready = _readyz(port, until=lambda a: a.get("ready") is True)
            assert ready.get("ready") is True, ready
            client.config_set("maxmemory", "1")  # every write refused: OOM
            produced = produce(services.kafka_url, f"t{unique}.articles", values, run_id="oom")
            answer = _readyz(port, until=lambda a: a.get("consuming") is False)
            assert answer.get("consuming") is False, answer
            assert "2 processing failures in a row" in answer["errors"]["consuming"]
            assert "state_failed" in answer["errors"]["consuming"]
            assert worker.poll() is None  # alive, parked, not ready
            client.config_set("maxmemory", "0")
            f.kill(worker)
            f.start()  # the fix is deployed: it resumes from the message it stopped at
            progress = Progress(client, f"t{unique}", produced)
            # The first failure was dead-lettered before the worker stopped (its replay mark
            # was refused too, so it is not counted done); the rest are processed now.
            assert progress.wait_for(len(values) - 1, 120), f.log_text()[-3000:]
            report = account(services.kafka_url, client, f"t{unique}.", f"t{unique}", values,
                             produced)  # fmt: skip
    finally:
        client.close()
        own.stop()
    assert report.lost == 0 and report.two_outcomes == 0, report.outcome_of
    assert report.reasons == {"state_failed": 1}


def _readyz(port: int, until: Callable[[dict[str, object]], bool], timeout: float = 90) -> dict:  # type: ignore[type-arg]
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    answer: dict[str, object] = {}
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
                answer = json.loads(r.read())
        except urllib.error.HTTPError as exc:
            answer = json.loads(exc.read())
        except OSError:
            answer = {}
        if until(answer):
            return answer
        time.sleep(0.3)
    return answer
