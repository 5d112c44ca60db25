"""Liveness, readiness and `wirewatch status` against real worker processes and real services."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.integration.helpers import cli, free_port, running_worker, worker_env
from workers.embedded import EmbeddedServices

pytestmark = pytest.mark.services


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read())


def _wait_for(url: str, want_ready: bool, timeout: float = 60) -> dict[str, Any]:
    """Poll /readyz until it says `want_ready`; return the last answer either way."""
    deadline = time.monotonic() + timeout
    answer: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            _, answer = _get(f"{url}/readyz")
        except OSError:  # not listening yet
            answer = {}
        if answer.get("ready") is want_ready:
            return answer
        time.sleep(0.3)
    return answer


def test_ready_worker_answers_probes_and_status_exits_0(services, unique) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = worker_env(services, unique, WIREWATCH_METRICS_PORT=str(port))
    url = f"http://127.0.0.1:{port}"
    with running_worker(env) as worker:
        answer = _wait_for(url, want_ready=True)
        assert answer == {
            "ready": True, "redis": True, "broker": True, "assignment": True, "consuming": True,
            "errors": {},
        }, answer  # fmt: skip
        assert _get(f"{url}/healthz") == (200, {"live": True})

        # The default URL comes from the same settings the worker reads.
        status = cli(env, "status")
        out = status.stdout.decode()
        assert status.returncode == 0, out + status.stderr.decode()
        assert f"wirewatch worker at {url}: READY" in out
        for check in ("broker", "redis", "assignment"):
            assert f"  {check:11} ok" in out
        assert "articles    0 consumed, 0 processed, 0 dead-lettered" in out

        as_json = cli(env, "status", "--json", "--url", url)
        assert as_json.returncode == 0
        assert json.loads(as_json.stdout)["ready"] is True
        assert worker.poll() is None


def test_worker_that_loses_redis_is_live_but_not_ready(unique) -> None:  # type: ignore[no-untyped-def]
    # Redis must answer at start (the start-up check), so it goes away afterwards; a private
    # pair of services, since stopping the session's Redis would break every other test.
    with EmbeddedServices() as private:
        assert private.kafka_url and private.redis_url
        port = free_port()
        env = worker_env(private, unique, WIREWATCH_METRICS_PORT=str(port))
        url = f"http://127.0.0.1:{port}"
        with running_worker(env):
            assert _wait_for(url, want_ready=True)["ready"] is True
            redis = next(p for p in private._procs if p.name == "redis")
            redis.popen.terminate()
            redis.popen.wait(timeout=20)
            answer = _wait_for(url, want_ready=False)
            assert answer["ready"] is False and answer["redis"] is False, answer
            assert answer["broker"] is True and answer["assignment"] is True, answer
            assert "redis" in answer["errors"]
            assert _get(f"{url}/healthz") == (200, {"live": True})

            status = cli(env, "status", "--url", url)
            out = status.stdout.decode()
            assert status.returncode == 1, out
            assert "NOT READY" in out and "  redis       FAIL" in out


def test_worker_without_redis_at_start_stops_before_joining(services, unique) -> None:  # type: ignore[no-untyped-def]
    dead = free_port()  # nothing listens there
    env = worker_env(services, unique, WIREWATCH_CONNECT_TIMEOUT_S="2")
    env["WIREWATCH_REDIS_URL"] = f"redis://127.0.0.1:{dead}/0"
    result = cli(env, "run", timeout=60)
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert f"Redis at 127.0.0.1:{dead} did not answer within 2s" in lines[0]


def test_losing_the_broker_makes_the_worker_not_ready(unique) -> None:  # type: ignore[no-untyped-def]
    # A private broker: stopping the shared session one would break every other test.
    with EmbeddedServices() as private:
        assert private.kafka_url and private.redis_url
        port = free_port()
        env = worker_env(private, unique, WIREWATCH_METRICS_PORT=str(port))
        url = f"http://127.0.0.1:{port}"
        with running_worker(env):
            assert _wait_for(url, want_ready=True)["ready"] is True
            broker = next(p for p in private._procs if p.name == "broker")
            broker.popen.terminate()
            broker.popen.wait(timeout=20)
            answer = _wait_for(url, want_ready=False)
            assert answer["ready"] is False and answer["broker"] is False, answer
            assert answer["redis"] is True, answer
            assert "broker" in answer["errors"]


def test_status_with_no_worker_listening_exits_1(unique) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "WIREWATCH_METRICS_PORT": str(free_port())}
    status = cli(env, "status", timeout=30)
    assert status.returncode == 1
    assert b"no worker answers at http://127.0.0.1:" in status.stderr
