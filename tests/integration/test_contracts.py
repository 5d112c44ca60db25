"""The topic contracts as another language reads them: ajv (node) must accept exactly the
articles the worker accepts, and every record a real replay writes must validate."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import cli, consume, worker_env
from topics import InvalidArticle, parse_article
from topics.jsonschema import RECORDS, SCHEMA_DIR

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
NODE_DIR = ROOT / "tests" / "node"
README = ROOT / "README.md"

pytestmark = pytest.mark.skipif(
    NODE is None or not (NODE_DIR / "node_modules" / "ajv").is_dir(),
    reason="needs node and ajv: install Node.js, then `npm ci --prefix tests/node` (.ci/run does)",
)


def ajv(records: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Validate (schema name, value) pairs with ajv, formats asserted; one result per pair."""
    assert NODE is not None
    schemas = {
        name: json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text()) for name in RECORDS
    }
    payload = {"schemas": schemas, "records": [{"schema": s, "value": v} for s, v in records]}
    result = subprocess.run(
        [NODE, str(NODE_DIR / "validate.mjs")],
        input=json.dumps(payload), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answers: list[dict[str, Any]] = json.loads(result.stdout)
    assert len(answers) == len(records)
    return answers


def worker_accepts(doc: Any) -> bool:
    try:
        parse_article(json.dumps(doc).encode())
    except InvalidArticle:
        return False
    return True


BASE = {
    "id": "contract-1",
    "source": "desk.example",
    "published_at": "2026-03-14T08:15:00Z",
    "title": "Ferry service resumes after storm",
    "text": "The harbour authority reopened the ferry route on Saturday.",
}

CASES: list[tuple[str, dict[str, Any]]] = [
    ("as sent", {}),
    ("lower-case z", {"published_at": "2026-03-14T08:15:00z"}),
    ("lower-case t", {"published_at": "2026-03-14t08:15:00Z"}),
    ("nine fraction digits", {"published_at": "2026-03-14T08:15:00.123456789Z"}),
    ("negative offset", {"published_at": "2026-03-14T08:15:00-05:30"}),
    ("leap second", {"published_at": "2016-12-31T23:59:60Z"}),
    ("leap second in another zone", {"published_at": "2016-12-31T18:59:60-05:00"}),
    ("second 60 that is no leap second", {"published_at": "2026-03-14T12:30:60Z"}),
    ("bare date", {"published_at": "2026-03-14"}),
    ("no such day", {"published_at": "2026-02-30"}),
    ("no such day with a time", {"published_at": "2026-02-30T08:00:00Z"}),
    ("hour 24", {"published_at": "2026-03-14T24:00:00Z"}),
    ("space for T", {"published_at": "2026-03-14 08:15:00Z"}),
    ("no offset", {"published_at": "2026-03-14T08:15:00"}),
    ("ISO basic format", {"published_at": "20260314T081500Z"}),
    ("no seconds", {"published_at": "2026-03-14T08:15Z"}),
    ("offset without colon", {"published_at": "2026-03-14T08:15:00+0530"}),
    ("padded", {"published_at": " 2026-03-14"}),
    ("a number", {"published_at": 1773476100}),
    ("whitespace-only text", {"text": "   \n\t"}),
    ("empty title", {"title": ""}),
    ("whitespace-only id", {"id": " "}),
    ("padded id", {"id": "  contract-2  "}),
    ("text not a string", {"text": 5}),
    ("schema_version 1", {"schema_version": 1}),
    ("schema_version 1.0", {"schema_version": 1.0}),
    ("schema_version 2", {"schema_version": 2}),
    ("schema_version '1'", {"schema_version": "1"}),
    ("schema_version true", {"schema_version": True}),
    ("url null", {"url": None}),
    ("url a number", {"url": 7}),
    ("an extra field", {"section": "weather"}),
]


def test_ajv_and_the_worker_agree_on_every_case() -> None:
    docs = [{**BASE, **change} for _, change in CASES]
    docs.append({k: v for k, v in BASE.items() if k != "text"})  # a missing field
    names = [name for name, _ in CASES] + ["missing text"]
    answers = ajv([("article", doc) for doc in docs])
    disagree = [
        (name, worker_accepts(doc), answer["errors"])
        for name, doc, answer in zip(names, docs, answers, strict=True)
        if worker_accepts(doc) != answer["valid"]
    ]
    assert not disagree, disagree
    # The cases the issue names, both ways round.
    verdict = dict(zip(names, (a["valid"] for a in answers), strict=True))
    assert verdict["lower-case z"] and verdict["leap second"]
    assert not verdict["whitespace-only text"] and not verdict["schema_version 2"]


def test_ajv_and_the_worker_agree_on_mangled_timestamps() -> None:
    # A seeded fuzz of published_at: one or two characters of valid forms swapped for others
    # that could plausibly appear; one ajv call for all of them.
    rng = random.Random(13)
    seeds = [
        "2026-03-14T08:15:00Z",
        "2016-12-31T23:59:60+00:00",
        "2026-03-14",
        "2026-12-31T23:59:59.5-01:00",
    ]
    alphabet = "0123456789-:TtZz+. "
    values = set()
    while len(values) < 400:
        chars = list(rng.choice(seeds))
        for _ in range(rng.randint(1, 2)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        values.add("".join(chars))
    docs = [{**BASE, "published_at": v} for v in sorted(values)]
    answers = ajv([("article", doc) for doc in docs])
    disagree = [
        (doc["published_at"], worker_accepts(doc), answer["errors"][:1])
        for doc, answer in zip(docs, answers, strict=True)
        if worker_accepts(doc) != answer["valid"]
    ]
    assert not disagree, disagree[:10]
    # Not vacuous: the fuzz produced both verdicts.
    assert {answer["valid"] for answer in answers} == {True, False}


def _documented_headers() -> dict[str, set[str]]:
    """topic -> header names, from the README's Topics table (column 'headers')."""
    text = README.read_text()
    table = text[text.index("## Topics") :].split("\n\n")[1]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("|")]
    head = [cell.strip() for cell in rows[0]]
    column = head.index("headers")
    found: dict[str, set[str]] = {}
    for row in rows[2:]:
        topic = row[0].strip().strip("`")
        found[topic] = set(re.findall(r"`(wirewatch-[a-z-]+)`", row[column]))
    return found


@pytest.mark.services
def test_records_from_a_real_replay_validate_with_ajv(services, unique, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = worker_env(services, unique)
    prefix = env["WIREWATCH_TOPIC_PREFIX"]
    good = (ROOT / "examples" / "odesa-port.jsonl").read_text().splitlines()
    lower_z = {**BASE, "id": "contract-lower-z", "published_at": "2026-03-14T09:00:00z"}
    bad = [
        json.dumps({**BASE, "id": "contract-blank", "text": "   "}),
        json.dumps({**BASE, "id": "contract-v2", "schema_version": 2}),
        "{not json",
    ]
    path = tmp_path / "contract.jsonl"
    path.write_text("\n".join([*good, json.dumps(lower_z), *bad]) + "\n")

    result = cli(env, "replay", str(path), timeout=300)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    alerts = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert alerts, "the example should raise alerts"

    signatures = consume(services.kafka_url, f"{prefix}signatures", len(good) + 1)
    letters = consume(services.kafka_url, f"{prefix}articles.deadletter", len(bad))
    alert_records = consume(services.kafka_url, f"{prefix}alerts", len(alerts))
    assert len(signatures) == len(good) + 1 and len(letters) == len(bad)
    assert len(alert_records) == len(alerts)
    assert "contract-lower-z" in {json.loads(r.value)["article_id"] for r in signatures}
    reasons = sorted(json.loads(r.value)["reason"] for r in letters)
    assert reasons == ["empty_field", "not_json", "unsupported_schema_version"]

    records = (
        [("article", json.loads(line)) for line in [*good, json.dumps(lower_z)]]
        + [("signature", json.loads(r.value)) for r in signatures]
        + [("deadletter", json.loads(r.value)) for r in letters]
        + [("alert", json.loads(r.value)) for r in alert_records]
    )
    answers = ajv(records)
    invalid = [
        (name, a["errors"]) for (name, _), a in zip(records, answers, strict=True) if not a["valid"]
    ]
    assert not invalid, invalid

    # Headers: exactly the ones the README's topics table documents.
    documented = _documented_headers()
    for topic, recs in (
        ("signatures", signatures),
        ("alerts", alert_records),
        ("articles.deadletter", letters),
    ):
        seen = {name for r in recs for name, _ in (r.headers or [])}
        assert seen == documented[topic], (topic, seen, documented[topic])
