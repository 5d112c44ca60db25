"""JSON Schema files for every topic's records, so consumers in any language can validate.

Regenerate after changing a record: `python -m topics.jsonschema` (a unit test checks they agree).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from topics.alerts import SCHEMA_VERSION as ALERT_VERSION
from topics.alerts import Alert
from topics.articles import PUBLISHED_AT_SCHEMA_PATTERN, Article
from topics.articles import SCHEMA_VERSION as ARTICLE_VERSION
from topics.deadletters import REASONS, DeadLetter
from topics.deadletters import SCHEMA_VERSION as DEADLETTER_VERSION
from topics.signatures import SCHEMA_VERSION as SIGNATURE_VERSION
from topics.signatures import Signature

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

RECORDS: dict[str, tuple[type[BaseModel], int]] = {
    "article": (Article, ARTICLE_VERSION),
    "signature": (Signature, SIGNATURE_VERSION),
    "alert": (Alert, ALERT_VERSION),
    "deadletter": (DeadLetter, DEADLETTER_VERSION),
}


def _require_every_property(schema: dict[str, Any]) -> None:
    """Output records always carry every field (null when empty), so a consumer's generated
    types should not make them optional: mark all of them required, nested records too."""
    for node in [schema, *schema.get("$defs", {}).values()]:
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])


def schema_for(name: str) -> dict[str, Any]:
    model, version = RECORDS[name]
    # Articles are what producers send (validation: what we accept); everything else is what
    # the worker emits (serialization: what we write).
    mode: JsonSchemaMode = "validation" if name == "article" else "serialization"
    schema = model.model_json_schema(mode=mode)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:wirewatch:schema:{name}:v{version}"
    # A reader of version N reads exactly N: anything else is refused (dead-lettered).
    schema["properties"]["schema_version"] = {
        "const": version,
        "description": "Record format version; a reader refuses any other.",
        "title": "Schema Version",
    }
    if name == "article":
        # The worker's own expression (topics/articles.py), not only format: date-time, which
        # most validators treat as an annotation unless told to assert formats.
        schema["properties"]["published_at"] = {
            "type": "string",
            "pattern": PUBLISHED_AT_SCHEMA_PATTERN,
            "anyOf": [{"format": "date-time"}, {"format": "date"}],
            "description": schema["properties"]["published_at"].get("description", ""),
            "title": "Published At",
        }
    else:
        _require_every_property(schema)
    if name == "deadletter":
        schema["properties"]["reason"] = {
            "enum": list(REASONS),
            "description": "Why the message was not processed; also the metric's label.",
            "title": "Reason",
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
