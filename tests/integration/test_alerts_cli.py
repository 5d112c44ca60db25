"""`wirewatch alerts` follows the real alerts topic and renders the evidence as a table."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from detectors.conflicts import FigureConflictDetector
from detectors.story import Claim, StorySnapshot
from tests.integration.helpers import ROOT, cli, produce, worker_env
from topics import Count

pytestmark = pytest.mark.services


def _conflict_alert() -> bytes:
    t0 = datetime(2026, 3, 14, 7, 40, tzinfo=UTC)

    def claim(aid: str, low: float, high: float, text: str) -> Claim:
        count = Count(
            text=text, low=low, high=high, qualifier="vague", thing="drones", thing_key="drone",
            action="intercepted", sentence=f"{text} drones were shot down over the port.", start=0,
            role="total",
        )  # fmt: skip
        return Claim(f"{aid}#0", aid, f"{aid}.example", t0, count)

    snapshot = StorySnapshot(
        "st-x", (), (claim("one", 0, 15, "up to 15"), claim("two", 24, 99, "dozens"))
    )
    return FigureConflictDetector().check(snapshot)[0].alert.model_dump_json().encode()


def test_alerts_follows_the_topic_and_prints_a_table(services, unique) -> None:  # type: ignore[no-untyped-def]
    env = worker_env(services, unique)
    assert cli(env, "create-topics").returncode == 0
    produce(services.kafka_url, f"{env['WIREWATCH_TOPIC_PREFIX']}alerts", [_conflict_alert()])
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "alerts", "--from-beginning"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    out = b""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    try:
        while b"two.example" not in out and time.monotonic() < deadline:
            if selector.select(timeout=0.5):
                out += proc.stdout.read() or b""
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    text = out.decode()
    assert "figures.conflict" in text
    rows = [line.split() for line in text.splitlines() if line.startswith("    2026-")]
    assert [r[2] for r in rows] == ["one.example", "two.example"]
    assert " ".join(rows[0]).endswith("up to 15 [0, 15] one")
    assert " ".join(rows[1]).endswith("dozens [24, 99] two")
