"""`wirewatch run` on the embedded default, fed from "another shell" with the command it prints:
the same alerts as `wirewatch replay`, a throughput line, and nothing left in the temp dir. And
`replay` at a terminal draws a live progress line."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import queue
import shlex
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest

from tests.integration.helpers import consume, free_port, metric_value, scrape, stop, worker_env

ROOT = Path(__file__).resolve().parents[2]
WIREWATCH = str(Path(sys.executable).with_name("wirewatch"))
EXAMPLE = ROOT / "examples" / "odesa-port.jsonl"


def user_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(extra)
    return env


class Lines:
    """Collects a stream's lines on a thread, so a chatty child never blocks on a full pipe."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[bytes]) -> None:
        for raw in stream:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            self._queue.put(line)

    def wait_for(self, needle: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if needle in line:
                return line
        raise AssertionError(
            f"no line with {needle!r}; last lines:\n" + "\n".join(self.lines[-40:])
        )


@contextmanager
def embedded_run(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], Lines]]:
    proc = subprocess.Popen(
        [WIREWATCH, "run"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        yield proc, Lines(proc.stderr)
    finally:
        stop(proc)


def _alert_keys(alerts: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((a["kind"], a["id"], a["story_id"]) for a in alerts)


@pytest.mark.services
def test_publish_to_a_running_worker_gives_the_alerts_replay_gives(  # type: ignore[no-untyped-def]
    services, unique, tmp_path: Path
) -> None:
    # The reference: replay of the README example, against the session's broker and Redis.
    replayed = subprocess.run(
        [WIREWATCH, "replay", str(EXAMPLE)], cwd=ROOT, env=worker_env(services, unique),
        capture_output=True, timeout=300,
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr.decode()[-3000:]
    expected = [json.loads(line) for line in replayed.stdout.decode().splitlines()]
    assert len(expected) == 2  # the README's promise

    # A person's first run: embedded everything, in a temp dir we can inspect afterwards.
    metrics_port = free_port()
    env = user_env(
        WIREWATCH_METRICS_PORT=str(metrics_port),
        WIREWATCH_SUMMARY_INTERVAL_S="1",
        TMPDIR=str(tmp_path),
    )
    with embedded_run(env) as (worker, stderr):
        hint = stderr.wait_for("wirewatch publish FILE", timeout=120)

        # Run the printed line as written, with the example as FILE.
        words = shlex.split(hint.strip())
        assignments = dict(
            w.split("=", 1) for w in words if "=" in w and w.startswith("WIREWATCH_")
        )
        command = [w for w in words if w not in {f"{k}={v}" for k, v in assignments.items()}]
        assert command == ["wirewatch", "publish", "FILE"], hint
        published = subprocess.run(
            [WIREWATCH, "publish", str(EXAMPLE)], cwd=ROOT, env={**user_env(), **assignments},
            capture_output=True, timeout=120,
        )  # fmt: skip
        assert published.returncode == 0, published.stderr.decode()
        assert b"in published_at order" in published.stderr

        deadline = time.monotonic() + 120
        processed = None
        while time.monotonic() < deadline:
            try:
                text = scrape(metrics_port)
            except OSError:  # the endpoint starts with the worker's tasks
                text = ""
            processed = metric_value(text, "wirewatch_articles_processed_total")
            if processed == 5:
                break
            time.sleep(0.5)
        assert processed == 5, "\n".join(stderr.lines[-40:])
        # While it runs, faust's data directory is in our temp dir, named after the worker.
        assert [p.name for p in tmp_path.glob("wirewatch-faust-*")], list(tmp_path.iterdir())
        # Every alert is sent before its article counts as processed; ask for one more than
        # replay gave so an extra one would show.
        records = consume(
            assignments["WIREWATCH_KAFKA_URL"], "alerts", len(expected) + 1, timeout=8
        )
        got = [json.loads(r.value) for r in records]
        assert _alert_keys(got) == _alert_keys(expected)

        # The periodic throughput line has counted them.
        stderr.wait_for("total 5 processed", timeout=30)
        assert worker.poll() is None
    assert worker.returncode is not None
    # faust's data directory went with the worker.
    assert not list(tmp_path.glob("wirewatch-faust-*"))


@pytest.mark.services
def test_replay_at_a_terminal_shows_a_live_progress_line(services, unique) -> None:  # type: ignore[no-untyped-def]
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    seen = bytearray()

    def pump() -> None:
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child side closed
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        result = subprocess.run(
            [WIREWATCH, "replay", str(EXAMPLE)], cwd=ROOT, env=worker_env(services, unique),
            stdout=subprocess.PIPE, stderr=child, stdin=subprocess.DEVNULL, timeout=300,
        )  # fmt: skip
    finally:
        os.close(child)
        reader.join(timeout=10)
        os.close(main)
    text = seen.decode(errors="replace")
    assert result.returncode == 0, text[-3000:]
    # tqdm's line: processed/total, a rate, and our dead letters and alerts so far.
    assert "replay:" in text and "5/5" in text and "article/s" in text, text[-2000:]
    assert "0 dead-lettered, 2 alert(s)" in text, text[-2000:]
    # And the summary every run prints, terminal or not.
    assert "5 article(s): 5 processed, 0 dead-lettered; 2 alert(s)" in text
    assert len(result.stdout.decode().splitlines()) == 2
