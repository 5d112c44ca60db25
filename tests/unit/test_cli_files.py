"""How `wirewatch publish`/`replay`/`extract` read article files: the bytes the worker gets."""

from __future__ import annotations

import json
from pathlib import Path

from topics import parse_article
from workers import cli


def test_a_json_article_is_published_as_written_not_re_escaped(tmp_path: Path) -> None:
    # Non-ASCII text re-encoded with \\u escapes grew a valid 990 KB article past the limit.
    text = "Повінь у Херсоні: евакуйовано 40 будинків. " * 2000
    doc = {"id": "uk-1", "source": "ua.example", "published_at": "2026-03-14T08:00:00Z",
           "title": "Повінь", "text": text}  # fmt: skip
    raw = json.dumps(doc, ensure_ascii=False).encode()
    path = tmp_path / "one.json"
    path.write_bytes(raw)
    (line,) = cli._read_lines(path, source=None, published_at=None)
    assert line.raw == raw
    assert parse_article(line.raw, max_bytes=len(raw)).text == text.strip()


def test_a_json_list_keeps_utf8(tmp_path: Path) -> None:
    docs = [{"id": f"a{i}", "source": "s.example", "published_at": "2026-03-14", "title": "Ça",
             "text": "Crème brûlée."} for i in range(2)]  # fmt: skip
    path = tmp_path / "many.json"
    path.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    lines = cli._read_lines(path, source=None, published_at=None)
    assert [json.loads(line.raw) for line in lines] == docs
    assert all("Crème".encode() in line.raw for line in lines)
