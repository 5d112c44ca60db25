"""The worker process against the real broker and redis-server: dead letters, idempotency."""

from __future__ import annotations

import base64
import json
import time

import pytest
import redis

from tests.integration.helpers import (
    article,
    consume,
    free_port,
    metric_value,
    produce,
    running_worker,
    scrape,
    worker_env,
)

pytestmark = pytest.mark.services

GOOD = article(
    "good-1",
    "one.example",
    "2026-03-14T07:40:00Z",
    "Storm floods riverside homes",
    "Floodwater reached 40 homes in Riverton on Saturday, the fire service said.",
)

BAD: dict[str, bytes] = {
    "not_json": b"this is not json",
    "invalid_utf8": b'{"id": "x", "text": "\xff\xfe"}',
    "not_an_object": b'["a", "list"]',
    "missing_field": json.dumps(
        {"id": "m1", "source": "s", "published_at": "2026-03-14T07:40:00Z", "title": "t"}
    ).encode(),
    "empty_field": json.dumps(
        {
            "id": "e1",
            "source": "",
            "published_at": "2026-03-14T07:40:00Z",
            "title": "t",
            "text": "x",
        }
    ).encode(),
    "wrong_type": json.dumps(
        {"id": 7, "source": "s", "published_at": "2026-03-14T07:40:00Z", "title": "t", "text": "x"}
    ).encode(),
    "invalid_published_at": json.dumps(
        {"id": "d1", "source": "s", "published_at": "14/03/2026", "title": "t", "text": "x"}
    ).encode(),
    "too_large": json.dumps(
        {
            "id": "big",
            "source": "s",
            "published_at": "2026-03-14T07:40:00Z",
            "title": "t",
            "text": "x" * 5000,
        }
    ).encode(),
}


def test_bad_input_is_dead_lettered_and_the_worker_keeps_going(services, unique) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = worker_env(
        services, unique, WIREWATCH_METRICS_PORT=str(port), WIREWATCH_MAX_ARTICLE_BYTES="4000"
    )
    prefix = env["WIREWATCH_TOPIC_PREFIX"]
    with running_worker(env) as worker:
        produce(services.kafka_url, f"{prefix}articles", [*BAD.values(), GOOD])
        letters = consume(services.kafka_url, f"{prefix}articles.deadletter", len(BAD))
        signatures = consume(services.kafka_url, f"{prefix}signatures", 1)
        assert worker.poll() is None, "the worker died on bad input"

        by_reason = {}
        for record in letters:
            letter = json.loads(record.value)
            by_reason[letter["reason"]] = letter
            assert dict(record.headers)["wirewatch-reason"].decode() == letter["reason"]
        assert set(by_reason) == set(BAD)
        for reason, raw in BAD.items():
            assert base64.b64decode(by_reason[reason]["original_b64"]) == raw
            assert by_reason[reason]["error"]
        assert [json.loads(r.value)["article_id"] for r in signatures] == ["good-1"]

        # The story gauges refresh on a 10 s timer, so allow for one tick.
        deadline = time.monotonic() + 30
        text = ""
        while time.monotonic() < deadline:
            text = scrape(port)
            if (
                metric_value(text, "wirewatch_articles_processed_total") == 1.0
                and metric_value(text, "wirewatch_active_stories") == 1.0
            ):
                break
            time.sleep(0.2)
        assert metric_value(text, "wirewatch_active_stories") == 1.0
        assert metric_value(text, "wirewatch_articles_consumed_total") == len(BAD) + 1
        assert metric_value(text, "wirewatch_articles_processed_total") == 1.0
        for reason in BAD:
            assert (
                metric_value(text, "wirewatch_articles_deadlettered_total", {"reason": reason})
                == 1.0
            )


def test_reprocessing_an_article_counts_it_once(services, unique) -> None:  # type: ignore[no-untyped-def]
    env = worker_env(services, unique, WIREWATCH_EMERGING_MIN_SOURCES="2")
    prefix = env["WIREWATCH_TOPIC_PREFIX"]
    second = article(
        "good-2",
        "two.example",
        "2026-03-14T08:10:00Z",
        "Riverton homes flooded after storm",
        "Floodwater reached 40 homes in Riverton on Saturday, the fire service said.",
    )
    with running_worker(env):
        # The same article three times (a producer retry, a replay), then a second source.
        produce(services.kafka_url, f"{prefix}articles", [GOOD, GOOD, GOOD, second], key=b"k")
        consume(services.kafka_url, f"{prefix}signatures", 4)
        alerts = consume(services.kafka_url, f"{prefix}alerts", 1)
        time.sleep(1.0)  # give a wrongly duplicated alert time to appear
        alerts = consume(services.kafka_url, f"{prefix}alerts", 2, timeout=3)

    client = redis.Redis.from_url(services.redis_url)
    story_keys = list(client.scan_iter(match=f"t{unique}:story:*:members"))
    assert len(story_keys) == 1
    assert sorted(client.hkeys(story_keys[0])) == [b"good-1", b"good-2"]
    assert [json.loads(a.value)["kind"] for a in alerts] == ["story.emerging"]
