"""The CLI as a user runs it: the README's replay, extract, and publish refusing bad files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
WIREWATCH = str(Path(sys.executable).with_name("wirewatch"))


def user_env(**extra: str) -> dict[str, str]:
    """A user's environment: no WIREWATCH_* settings, so the embedded default is used."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(extra)
    return env


@pytest.mark.services
def test_readme_replay_prints_one_emerging_and_one_conflict(services) -> None:  # type: ignore[no-untyped-def]
    # Exactly the README's command, from the repository root, with the embedded default.
    result = subprocess.run(
        [WIREWATCH, "replay", "examples/odesa-port.jsonl"],
        cwd=ROOT, env=user_env(), capture_output=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    alerts = [json.loads(line) for line in result.stdout.decode().splitlines()]
    schema = json.loads((ROOT / "topics" / "schemas" / "alert.schema.json").read_text())
    for alert in alerts:
        jsonschema.validate(alert, schema)
    kinds = sorted(a["kind"] for a in alerts)
    assert kinds == ["figures.conflict", "story.emerging"], result.stdout.decode()

    emerging = next(a for a in alerts if a["kind"] == "story.emerging")
    assert "northernherald.example" not in emerging["sources"]
    assert len(emerging["sources"]) == 3

    conflict = next(a for a in alerts if a["kind"] == "figures.conflict")
    by_source = {c["source"]: c for c in conflict["claims"]}
    assert "rapidnews.example" in by_source
    assert by_source["rapidnews.example"]["low"] == 24
    assert conflict["story_id"] == emerging["story_id"]
    # stderr says what happened, for the person at the terminal.
    assert b"5 article(s): 5 processed, 0 dead-lettered; 2 alert(s)" in result.stderr


def test_extract_prints_a_signature_for_a_plain_text_file(tmp_path: Path) -> None:
    path = tmp_path / "quake.txt"
    path.write_text(
        "Earthquake shakes coastal town\n"
        "A magnitude 5.1 earthquake struck near the coast of Chile on Tuesday, "
        "injuring at least 12 people, the national emergency office said.\n"
    )
    result = subprocess.run(
        [WIREWATCH, "extract", str(path), "--source", "desk.example",
         "--published-at", "2026-03-19T10:00:00Z"],
        cwd=ROOT, env=user_env(), capture_output=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    signature = json.loads(result.stdout)
    assert signature["article_id"] == "quake"
    assert signature["source"] == "desk.example"
    injured = [c for c in signature["counts"] if c["action"] == "injured"]
    assert injured and injured[0]["low"] == 12 and injured[0]["high"] is None
    assert signature["event_date"] == "2026-03-17"


def test_publish_refuses_a_bad_file_naming_file_and_line(tmp_path: Path) -> None:
    good = {
        "id": "a",
        "source": "s.example",
        "published_at": "2026-03-14T07:40:00Z",
        "title": "t",
        "text": "x",
    }
    path = tmp_path / "batch.jsonl"
    path.write_text(
        json.dumps(good) + "\n" + json.dumps({**good, "published_at": "soon"}) + "\n{oops\n"
    )
    # The refusal happens before any connection: this port has no broker behind it.
    result = subprocess.run(
        [WIREWATCH, "publish", str(path)],
        cwd=ROOT, env=user_env(WIREWATCH_KAFKA_URL="kafka://127.0.0.1:9"),
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    err = result.stderr.decode()
    assert f"{path}:2: invalid_published_at" in err
    assert f"{path}:3: not_json" in err
    assert "nothing published" in err


def test_commands_that_need_a_broker_say_so() -> None:
    result = subprocess.run(
        [WIREWATCH, "alerts"], cwd=ROOT, env=user_env(), capture_output=True, timeout=60
    )
    assert result.returncode != 0
    assert b"WIREWATCH_KAFKA_URL" in result.stderr
