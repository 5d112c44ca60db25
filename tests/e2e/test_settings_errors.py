"""A wrong setting, an unreachable broker or Redis, a taken metrics port: one line on stderr,
exit 2, promptly, and before any group is joined. Run as an operator would, as subprocesses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.embedded import free_port, redis_binary

ROOT = Path(__file__).resolve().parents[2]
WIREWATCH = str(Path(sys.executable).with_name("wirewatch"))
EXAMPLE = str(ROOT / "examples" / "odesa-port.jsonl")
# Loose on purpose: far below kafka-python's 30 s bootstrap wait the issue measured, far above
# what a loaded machine needs to start Python and print one line.
PROMPT_S = 20.0


def user_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(extra)
    return env


def run(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [WIREWATCH, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    return result, time.monotonic() - started


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


COMMANDS = [
    ("run",),
    ("publish", EXAMPLE),
    ("alerts",),
    ("create-topics",),
    ("replay", EXAMPLE),
]

BAD_SETTINGS = [
    ("WIREWATCH_LOG_LEVEL", "loud", "'debug', 'info', 'warning', 'error' or 'critical'"),
    ("WIREWATCH_PROCESSING_GUARANTEE", "maybe", "'at_least_once' or 'exactly_once'"),
    ("WIREWATCH_METRICS_PORT", "99999", "less than or equal to 65535"),
    ("WIREWATCH_KAFKA_URL", "not a url", "host:port, kafka://host:port or PLAINTEXT://host:port"),
    ("WIREWATCH_KAFKA_URL", "kafka://broker", "host:port, kafka://host:port"),
    ("WIREWATCH_KAFKA_SECURITY_PROTOCOL", "TLS", "'PLAINTEXT', 'SSL', 'SASL_PLAINTEXT' or"),
    ("WIREWATCH_KAFKA_SASL_MECHANISM", "GSSAPI", "'PLAIN', 'SCRAM-SHA-256' or 'SCRAM-SHA-512'"),
    ("WIREWATCH_ARTICLE_PARTITIONS", "0", "greater than or equal to 1"),
    ("WIREWATCH_CONNECT_TIMEOUT_S", "soon", "valid number"),
]


@pytest.mark.parametrize("command", [("run",), ("publish", EXAMPLE)], ids=lambda c: c[0])
@pytest.mark.parametrize(("name", "value", "allowed"), BAD_SETTINGS, ids=lambda v: str(v)[:24])
def test_a_bad_setting_is_one_line_naming_it(
    command: tuple[str, ...], name: str, value: str, allowed: str
) -> None:
    result, elapsed = run(user_env(**{name: value}), *command)
    line = one_line(result)
    assert result.returncode == 2
    assert line.startswith(f"wirewatch: bad configuration: {name}={value!r}: "), line
    assert allowed in line
    assert elapsed < PROMPT_S, f"took {elapsed:.1f}s"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_every_command_checks_settings_first(command: tuple[str, ...]) -> None:
    result, elapsed = run(user_env(WIREWATCH_KAFKA_URL="not a url"), *command)
    line = one_line(result)
    assert result.returncode == 2
    assert line.startswith("wirewatch: bad configuration: WIREWATCH_KAFKA_URL='not a url': ")
    assert elapsed < PROMPT_S, f"took {elapsed:.1f}s"


def test_a_secret_in_a_bad_setting_is_not_echoed() -> None:
    result, _ = run(user_env(WIREWATCH_REDIS_URL="http://:hunter2-ab@cache:6379"), "run")
    line = one_line(result)
    assert result.returncode == 2
    assert "WIREWATCH_REDIS_URL" in line and "redis://" in line
    assert "hunter2" not in result.stderr


def test_a_url_scheme_that_contradicts_the_protocol_is_refused() -> None:
    result, _ = run(user_env(WIREWATCH_KAFKA_URL="SSL://broker:9093"), "create-topics")
    line = one_line(result)
    assert result.returncode == 2
    assert "WIREWATCH_KAFKA_URL" in line and "WIREWATCH_KAFKA_SECURITY_PROTOCOL" in line


def test_an_unknown_variable_is_named_with_a_suggestion() -> None:
    # A typo would otherwise silently mean "embedded broker"; still a warning, not a stop.
    result, _ = run(user_env(WIREWATCH_KAFKA_URI="kafka://broker:9092"), "status", "--url", "x")
    assert "WIREWATCH_KAFKA_URI is not a wirewatch setting" in result.stderr
    assert "did you mean WIREWATCH_KAFKA_URL?" in result.stderr


@pytest.mark.parametrize("command", COMMANDS[:4], ids=lambda c: c[0])
def test_an_unreachable_broker_is_one_line_naming_the_address(command: tuple[str, ...]) -> None:
    port = free_port()  # nothing listens here
    env = user_env(
        WIREWATCH_KAFKA_URL=f"kafka://127.0.0.1:{port}",
        WIREWATCH_REDIS_URL="redis://127.0.0.1:9/0",
        WIREWATCH_CONNECT_TIMEOUT_S="2",
        WIREWATCH_METRICS_PORT="0",
    )
    result, elapsed = run(env, *command)
    line = one_line(result)
    assert result.returncode == 2
    assert f"127.0.0.1:{port} (connection refused)" in line
    assert "within 2s" in line and "WIREWATCH_KAFKA_URL" in line
    assert elapsed < PROMPT_S, f"took {elapsed:.1f}s"


def test_a_taken_metrics_port_stops_run_before_anything_else() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # The broker is unreachable too: the port check must come first, and fast.
        env = user_env(
            WIREWATCH_METRICS_PORT=str(port),
            WIREWATCH_KAFKA_URL=f"127.0.0.1:{free_port()}",
            WIREWATCH_CONNECT_TIMEOUT_S="30",
        )
        result, elapsed = run(env, "run")
    line = one_line(result)
    assert result.returncode == 2
    assert f"WIREWATCH_METRICS_PORT={port}: cannot listen on 127.0.0.1:{port}" in line
    assert elapsed < PROMPT_S, f"took {elapsed:.1f}s"


@pytest.fixture(scope="module")
def redis_with_password(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real redis-server that requires a password (ours to start and stop, by PID)."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis-auth")
    proc = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--requirepass", "right-pass", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.services
@pytest.mark.parametrize(
    ("userinfo", "expected"),
    [(":wrong-pass@", "refused the credentials"), ("", "needs a password")],
    ids=["wrong password", "no password"],
)
def test_redis_that_refuses_us_is_one_line_before_joining(  # type: ignore[no-untyped-def]
    services, redis_with_password: int, userinfo: str, expected: str
) -> None:
    env = user_env(
        WIREWATCH_KAFKA_URL=services.kafka_url,
        WIREWATCH_REDIS_URL=f"redis://{userinfo}127.0.0.1:{redis_with_password}/0",
        WIREWATCH_METRICS_PORT="0",
    )
    result, elapsed = run(env, "run")
    line = one_line(result)
    assert result.returncode == 2
    assert f"Redis at 127.0.0.1:{redis_with_password}" in line and expected in line, line
    assert "wrong-pass" not in result.stderr
    assert elapsed < PROMPT_S, f"took {elapsed:.1f}s"


def test_version_and_help() -> None:
    from importlib.metadata import version

    result, _ = run(user_env(), "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"wirewatch {version('wirewatch')}"

    from config.settings import Settings

    result, _ = run(user_env(), "--help")
    assert result.returncode == 0
    for field in Settings.model_fields:
        assert f"WIREWATCH_{field.upper()}" in result.stdout, field
    assert result.stdout.strip().splitlines()[-1].endswith("the Configuration table in README.md.")
