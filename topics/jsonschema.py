"""JSON Schema files for every topic's records, so consumers in any language can validate.

Regenerate after changing a record: `python -m topics.jsonschema` (a unit test checks they agree).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from topics.alerts import SCHEMA_VERSION as ALERT_VERSION
from topics.alerts import Alert
from topics.articles import SCHEMA_VERSION as ARTICLE_VERSION
from topics.articles import Article
from topics.deadletters import SCHEMA_VERSION as DEADLETTER_VERSION
from topics.deadletters import DeadLetter
from topics.signatures import SCHEMA_VERSION as SIGNATURE_VERSION
from topics.signatures import Signature

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

RECORDS: dict[str, tuple[type[BaseModel], int]] = {
    "article": (Article, ARTICLE_VERSION),
    "signature": (Signature, SIGNATURE_VERSION),
    "alert": (Alert, ALERT_VERSION),
    "deadletter": (DeadLetter, DEADLETTER_VERSION),
}


def schema_for(name: str) -> dict[str, Any]:
    model, version = RECORDS[name]
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:wirewatch:schema:{name}:v{version}"
    if name == "article":
        # The wire format also accepts a bare date (taken as 00:00 UTC).
        schema["properties"]["published_at"] = {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ],
            "description": schema["properties"]["published_at"].get("description", ""),
            "title": "Published At",
        }
    return schema


def render(name: str) -> str:
    return json.dumps(schema_for(name), indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name in RECORDS:
        (SCHEMA_DIR / f"{name}.schema.json").write_text(render(name))
        print(f"wrote {SCHEMA_DIR / f'{name}.schema.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
