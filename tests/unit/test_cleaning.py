"""Cleaning: normalisation, furniture removal, sentence splitting, and the table loader."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from config.tables import TableError, load_tables
from detectors.cleaning import clean_text, normalise, split_sentences
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from topics.articles import Article

CONFIG = Path(__file__).resolve().parents[2] / "config"
LEXICON = Lexicon.from_tables(load_tables(CONFIG))
STORY = "Crews repaired the pier on the east side of the harbour."


def test_normalise_straightens_quotes_and_folds_compatibility_forms() -> None:
    assert normalise("\u201cIt\u2019s done\u201d \u2014 ﬁnal") == '"It\'s done"  -  final'
    assert normalise("U.S. troops at 9 a.m.") == "US troops at 9 am"


@pytest.mark.parametrize(
    "furniture",
    [
        "Sign up to our morning briefing. Get the top stories in your inbox.",
        "Read more: Ferry timetable changes | Bus fares frozen",
        "Share this story on social media",
        "We use cookies to improve your experience.",
        "[Support our reporting](https://example.com/support)",
        "https://example.com/some/very/long/path?with=query",
        "Live | Markets | Weather",
        "12m ago",
    ],
)
def test_furniture_lines_are_removed_and_counted(furniture: str) -> None:
    cleaned, removed = clean_text(f"{STORY}\n\n{furniture}", LEXICON)
    assert cleaned == STORY
    assert removed >= len(furniture.strip()) - 2


def test_footer_block_cuts_everything_after_it() -> None:
    footer = (
        "Comments & Moderation\nReaders are responsible for what they post. "
        "Moderators review reports during office hours from Monday to Friday."
    )
    cleaned, removed = clean_text(f"{STORY}\n{STORY}\n{footer}", LEXICON)
    assert cleaned == f"{STORY}\n{STORY}"
    assert removed > 100


def test_footer_phrase_early_in_the_text_does_not_cut_the_story() -> None:
    cleaned, _ = clean_text(f"Read more: earlier coverage\n{STORY}\n{STORY}\n{STORY}", LEXICON)
    assert cleaned == f"{STORY}\n{STORY}\n{STORY}"


def test_inline_markdown_link_is_dropped_but_its_sentence_kept() -> None:
    cleaned, removed = clean_text(f"{STORY} [Donate now](#)", LEXICON)
    assert cleaned == STORY
    assert removed == len("[Donate now](#)")


def test_furniture_yields_no_actors_places_figures_or_dates() -> None:
    furniture = (
        "Sign up to our Kyiv newsletter: 5 stories from Moscow every Monday.\n"
        "Read more: Putin meets 40 envoys | Zelenskyy in Tokyo on August 6\n"
        "Why are you making commenting on this site available to subscribers only? "
        "Because 200 readers in London asked on Friday, President Macron agreed."
    )
    article = Article(
        id="f1",
        source="test.example",
        published_at=datetime.fromisoformat("2026-03-14T09:00:00+00:00"),
        title="Pier repaired",
        text=f"{STORY}\n{STORY}\n{STORY}\n{furniture}",
    )
    signature = SignatureExtractor(LEXICON).extract(article)
    assert signature.actors == []
    assert signature.locations == []
    assert signature.counts == []
    assert signature.dates == []
    assert signature.furniture_chars > 200


def test_sentences_split_on_stops_but_not_on_abbreviations() -> None:
    text = 'Mr. Lee arrived. The U.S. envoy left at 9 p.m. on Friday. "Go," he said! Then quiet.'
    text = normalise(text)
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "Mr. Lee arrived.",
        "The US envoy left at 9 pm on Friday.",
        '"Go," he said!',
        "Then quiet.",
    ]


def test_newlines_always_end_sentences() -> None:
    text = "A headline without a stop\nThe story begins here."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "A headline without a stop",
        "The story begins here.",
    ]


def test_load_tables_reads_every_table() -> None:
    tables = load_tables(CONFIG)
    assert set(tables) == {
        "actors", "places", "actions", "furniture", "matching", "figure_roles"
    }


def test_missing_table_file_names_the_file(tmp_path: Path) -> None:
    for name in ("actors.toml", "places.toml", "actions.toml"):
        (tmp_path / name).write_text((CONFIG / name).read_text())
    with pytest.raises(TableError, match=r"furniture\.toml.*missing"):
        load_tables(tmp_path)


def test_malformed_table_file_names_the_file_and_problem(tmp_path: Path) -> None:
    for name in ("actors.toml", "places.toml", "actions.toml", "furniture.toml", "matching.toml"):
        (tmp_path / name).write_text((CONFIG / name).read_text())
    (tmp_path / "matching.toml").write_text("[weights]\nterms = 'high'\n")
    with pytest.raises(TableError, match=r"matching\.toml.*weights\.terms must be a number"):
        load_tables(tmp_path)
    (tmp_path / "matching.toml").write_text((CONFIG / "matching.toml").read_text())
    (tmp_path / "actions.toml").write_text("[actions\nkilled = ['killed'")
    with pytest.raises(TableError, match=r"actions\.toml.*malformed TOML"):
        load_tables(tmp_path)
    (tmp_path / "actions.toml").write_text("[actions]\nkilled = 'killed'\n")
    with pytest.raises(TableError, match=r"actions\.toml.*actions\.killed"):
        load_tables(tmp_path)
    assert issubclass(TableError, ValueError)


def test_learned_furniture_never_takes_a_template_line_that_reports_a_figure() -> None:
    from detectors.furniture import fingerprints

    # An outlet's nightly template: the same line but for its figure, so it fingerprints alike
    # in every story (digits are ignored) and is learned. It still carries the news; a meter
    # prompt learned the same way goes.
    template = "Air defences shot down 14 drones over the coastal district, the navy said."
    meter = "You have read 3 of your 5 free articles this month."
    known = frozenset(fingerprints(template.replace("14", "9") + "\n" + meter))
    article = Article(
        id="t1",
        source="test.example",
        published_at=datetime.fromisoformat("2026-03-14T09:00:00+00:00"),
        title="Night attack on the coast",
        text=f"{STORY}\n{template}\n{meter}",
    )
    signature = SignatureExtractor(LEXICON).extract(article, known_furniture=known)
    assert [c.low for c in signature.counts if c.action == "intercepted"] == [14]
    assert signature.furniture_chars >= len(meter)
