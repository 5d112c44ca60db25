"""Operator-editable tables (actors, places, actions, furniture, matching) read from TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

TABLE_FILES: dict[str, str] = {
    "actors": "actors.toml",
    "places": "places.toml",
    "actions": "actions.toml",
    "furniture": "furniture.toml",
    "matching": "matching.toml",
    "figure_roles": "figure_roles.toml",
}


class TableError(ValueError):
    """A table file is missing or malformed; the message names the file and the problem."""


def _check_list_of_strings(value: Any, where: str, filename: str) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TableError(f"{filename}: {where} must be a list of strings")


def _validate(key: str, data: dict[str, Any], filename: str) -> None:
    """Catch likely operator mistakes, so a typo fails at start rather than mid-stream."""
    if key == "actors":
        for section in ("person", "organisation", "group"):
            entries = data.get(section, [])
            if not isinstance(entries, list):
                raise TableError(f"{filename}: [[{section}]] must be an array of tables")
            for index, entry in enumerate(entries):
                if not isinstance(entry.get("id"), str) or not isinstance(entry.get("name"), str):
                    raise TableError(
                        f"{filename}: {section} #{index + 1} needs string 'id' and 'name'"
                    )
                where = f"{section} {entry['id']} aliases"
                _check_list_of_strings(entry.get("aliases", []), where, filename)
        _check_list_of_strings(data.get("titles", {}).get("words", []), "titles.words", filename)
        _check_list_of_strings(
            data.get("role_words", {}).get("words", []), "role_words.words", filename
        )
    elif key == "places":
        for index, entry in enumerate(data.get("country", [])):
            if not isinstance(entry.get("iso"), str) or not isinstance(entry.get("name"), str):
                raise TableError(f"{filename}: country #{index + 1} needs string 'iso' and 'name'")
            for field in ("aliases", "demonyms", "seats"):
                where = f"country {entry['iso']} {field}"
                _check_list_of_strings(entry.get(field, []), where, filename)
        for index, entry in enumerate(data.get("place", [])):
            for field in ("id", "name", "level"):
                if not isinstance(entry.get(field), str):
                    raise TableError(f"{filename}: place #{index + 1} needs a string '{field}'")
            where = f"place {entry['id']} aliases"
            _check_list_of_strings(entry.get("aliases", []), where, filename)
    elif key == "actions":
        actions = data.get("actions", {})
        if not isinstance(actions, dict):
            raise TableError(f"{filename}: [actions] must be a table")
        for name, verbs in actions.items():
            _check_list_of_strings(verbs, f"actions.{name}", filename)
        for name, words in data.get("things", {}).items():
            _check_list_of_strings(words, f"things.{name}", filename)
    elif key == "matching":
        weights = data.get("weights", {})
        if not isinstance(weights, dict):
            raise TableError(f"{filename}: [weights] must be a table")
        for name, value in weights.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TableError(f"{filename}: weights.{name} must be a number")
    elif key == "figure_roles":
        for section in ("intercepts", "decision"):
            for name, value in (data.get(section, {}) or {}).items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise TableError(f"{filename}: {section}.{name} must be a number")
        for role, weights in (data.get("weights", {}) or {}).items():
            if not isinstance(weights, dict):
                raise TableError(f"{filename}: [weights.{role}] must be a table")
            for name, value in weights.items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise TableError(f"{filename}: weights.{role}.{name} must be a number")
    elif key == "furniture":
        for field in ("line_phrases", "cut_phrases"):
            _check_list_of_strings(data.get(field, []), field, filename)


def load_tables(directory: Path) -> dict[str, Any]:
    """Read the table files from directory; raise TableError naming any bad file."""
    tables: dict[str, Any] = {}
    for key, filename in TABLE_FILES.items():
        path = Path(directory) / filename
        try:
            raw = path.read_bytes()
        except FileNotFoundError as exc:
            raise TableError(f"{path}: table file is missing") from exc
        except OSError as exc:
            raise TableError(f"{path}: cannot read table file: {exc}") from exc
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise TableError(f"{path}: not UTF-8 at byte {exc.start}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise TableError(f"{path}: malformed TOML: {exc}") from exc
        try:
            _validate(key, data, str(path))
        except (AttributeError, TypeError) as exc:
            raise TableError(f"{path}: unexpected structure: {exc}") from exc
        tables[key] = data
    return tables
