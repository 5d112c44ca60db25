"""The JSON Schema files: in step with the records, and valid for what we produce."""

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from detectors.conflicts import FigureConflictDetector
from detectors.story import Claim, StorySnapshot
from topics import Count
from topics.jsonschema import RECORDS, SCHEMA_DIR, render

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_committed_schema_matches_the_record(name: str) -> None:
    committed = (SCHEMA_DIR / f"{name}.schema.json").read_text()
    assert committed == render(name), "run `python -m topics.jsonschema` and commit the result"


def test_example_articles_validate_against_the_article_schema() -> None:
    schema = json.loads((SCHEMA_DIR / "article.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    lines = (EXAMPLES / "odesa-port.jsonl").read_text().splitlines()
    assert lines
    for line in lines:
        validator.validate(json.loads(line))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"id": "x", "source": "s", "title": "t", "text": "x"})


def test_a_conflict_alert_validates_against_the_alert_schema() -> None:
    t0 = datetime(2026, 3, 14, 7, 40, tzinfo=UTC)

    def claim(aid: str, low: float, high: float, text: str) -> Claim:
        count = Count(
            text=text, low=low, high=high, qualifier="vague", thing="drones", thing_key="drone",
            action="intercepted", sentence=f"{text} drones were shot down.", start=0,
            role="total",
        )  # fmt: skip
        return Claim(f"{aid}#0", aid, f"{aid}.example", t0, count)

    snapshot = StorySnapshot(
        "st-1", (), (claim("a", 0, 12, "up to a dozen"), claim("b", 24, 99, "dozens"))
    )
    alert = FigureConflictDetector().check(snapshot)[0].alert
    schema = json.loads((SCHEMA_DIR / "alert.schema.json").read_text())
    jsonschema.validate(json.loads(alert.model_dump_json()), schema)
