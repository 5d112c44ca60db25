"""The compiled-lexicon cache: same answers from the pickle, rebuilt when the tables change."""

from __future__ import annotations

import pickle
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.tables import TableError, load_tables
from detectors.extract_gazetteer import load_gazetteer
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from topics.articles import Article
from workers.lexicon_cache import cache_key, load_lexicon

CONFIG = Path(__file__).resolve().parents[2] / "config"

ARTICLE = Article(
    id="cache-1",
    source="fixture.example",
    published_at=datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
    title="Fire crews in Springfield, Illinois rescue 14 people",
    text=(
        "Firefighters in Springfield, Illinois, rescued 14 people from a burning warehouse on "
        "Friday, the fire chief said. Two workers were taken to hospital in Chicago.\n"
        "Officials in Kyiv said at least 30 drones were shot down over the Odesa region."
    ),
)


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob("lexicon-*.pickle"))


def test_a_cached_lexicon_extracts_exactly_what_a_fresh_one_does(tmp_path: Path) -> None:
    fresh = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG))).extract(ARTICLE)
    built = load_lexicon(CONFIG, tmp_path)
    assert len(_files(tmp_path)) == 1
    loaded = load_lexicon(CONFIG, tmp_path)
    assert loaded is not built  # the second one came from the file
    assert SignatureExtractor(loaded).extract(ARTICLE) == fresh
    assert fresh.locations  # the article does exercise the gazetteer


def test_the_gazetteer_survives_pickling_lookup_for_lookup() -> None:
    gazetteer = load_gazetteer()
    copy = pickle.loads(pickle.dumps(gazetteer))
    for key in ("springfield", "odesa", "paris", "new york", "no such place anywhere"):
        assert copy.candidates(key) == gazetteer.candidates(key)
    assert copy.first_words == gazetteer.first_words
    assert copy.us_state("Calif.") == gazetteer.us_state("Calif.")
    assert copy.size == gazetteer.size


def test_an_edited_table_misses_the_cache_and_its_change_is_seen(tmp_path: Path) -> None:
    tables = tmp_path / "tables"
    shutil.copytree(CONFIG, tables, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    cache = tmp_path / "cache"
    before = load_lexicon(tables, cache)
    assert "zorblaxian" not in before.names
    actors = tables / "actors.toml"
    actors.write_text(
        actors.read_text()
        + '\n[[organisation]]\nid = "org:zorblax"\nname = "Zorblax Institute"\n'
        + 'aliases = ["Zorblaxian"]\n'
    )
    after = load_lexicon(tables, cache)
    assert after.names["zorblaxian"].id == "org:zorblax"
    assert len(_files(cache)) == 2
    assert cache_key(load_tables(tables)) != cache_key(load_tables(CONFIG))


def test_a_corrupt_cache_file_is_rebuilt_not_fatal(tmp_path: Path) -> None:
    load_lexicon(CONFIG, tmp_path)
    (path,) = _files(tmp_path)
    path.write_bytes(b"\x80\x05not a pickle")
    lexicon = load_lexicon(CONFIG, tmp_path)
    assert isinstance(lexicon, Lexicon)
    assert pickle.loads(path.read_bytes()).names == lexicon.names  # rewritten whole


def test_an_unwritable_cache_dir_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert isinstance(load_lexicon(CONFIG, blocker / "cache"), Lexicon)


def test_no_cache_dir_writes_nothing_and_table_errors_still_stop(tmp_path: Path) -> None:
    assert isinstance(load_lexicon(CONFIG, None), Lexicon)
    with pytest.raises(TableError, match="missing"):
        load_lexicon(tmp_path, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("table", ["figure_roles.toml", "furniture.toml", "matching.toml"])
def test_any_table_edit_changes_the_key(tmp_path: Path, table: str) -> None:
    tables = tmp_path / "tables"
    shutil.copytree(CONFIG, tables, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    before = cache_key(load_tables(tables))
    path = tables / table
    path.write_text(path.read_text() + "\n# an operator's note, and a changed value below\n")
    assert cache_key(load_tables(tables)) == before  # a comment changes no content
    text = path.read_text()
    changed = _change_a_number(text)
    assert changed != text
    path.write_text(changed)
    assert cache_key(load_tables(tables)) != before


def _change_a_number(text: str) -> str:
    """The first 'name = <number>' line with its number changed (a table's own value)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        name, sep, value = line.partition("=")
        try:
            number = float(value.strip())
        except ValueError:
            continue
        if sep and name.strip() and not line.lstrip().startswith("#"):
            lines[i] = f"{name}= {number + 1}"
            return "\n".join(lines) + "\n"
    return text + '\n[added]\nwords = ["zorblax"]\n'


def test_the_role_model_comes_back_from_the_cache(tmp_path: Path) -> None:
    built = load_lexicon(CONFIG, tmp_path)
    loaded = load_lexicon(CONFIG, tmp_path)
    assert loaded is not built
    assert loaded.role_model == built.role_model
