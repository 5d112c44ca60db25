"""The extraction pool: the same outcomes as in-process extraction, and a process that dies or
hangs costs a retry, never an article."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.tables import load_tables
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from detectors.story import Member
from tests.unit.pool_helpers import CRASH_ONCE, crash_on_cue
from topics.articles import Article
from workers.extraction_pool import (
    Extracted,
    ExtractionFailed,
    ExtractionPool,
    Job,
    default_processes,
    extract_article,
)
from workers.lexicon_cache import load_lexicon

CONFIG = Path(__file__).resolve().parents[2] / "config"
EXTRACTOR = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG)))
START = datetime(2025, 5, 2, 8, 0, tzinfo=UTC)


def _article(number: int, *, title: str | None = None, source: str = "pool.example") -> Article:
    return Article(
        id=f"pool-{number}",
        source=source,
        published_at=START + timedelta(minutes=number),
        title=title or f"Storm damage in Tulsa, number {number}",
        text=(
            f"Crews in Tulsa, Oklahoma, cleared {number + 2} fallen trees on Tuesday, the city "
            f"said. At least {number} homes lost power.\nRead more: subscribe to our newsletter."
        ),
    )


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExtractionPool]:
    # One pool for the module, its processes loading the compiled lexicon from a cache (each
    # crash starts a new process).
    cache = tmp_path_factory.mktemp("lexicon-cache")
    load_lexicon(CONFIG, cache)  # written once here, loaded by every process the pool starts
    with_pool = ExtractionPool(
        processes=2,
        tables_dir=CONFIG,
        cache_dir=cache,
        timeout_s=1.0,
        chunk_function=crash_on_cue,
    )
    yield with_pool
    with_pool.close()


def _ids(outcomes: list[Extracted | ExtractionFailed]) -> list[str]:
    return [o.article_id for o in outcomes]


def test_extract_article_serialises_what_the_worker_writes() -> None:
    article = _article(3)
    outcome = extract_article(EXTRACTOR, Job(article))
    assert isinstance(outcome, Extracted)
    signature = EXTRACTOR.extract(article)
    assert json.loads(outcome.signature_json) == json.loads(signature.model_dump_json())
    assert outcome.member() == Member.from_signature(signature)
    assert [claim_id for claim_id, _ in outcome.claims] == [
        f"{article.id}#{i}" for i in range(len(signature.counts))
    ]
    assert outcome.fingerprints  # the furniture line is tracked


def test_in_process_pool_extracts_in_order() -> None:
    pool = ExtractionPool(processes=1, tables_dir=CONFIG, cache_dir=None, extractor=EXTRACTOR)
    jobs = [Job(_article(n)) for n in range(5)]
    outcomes = asyncio_run(pool.extract(jobs))
    assert _ids(outcomes) == [j.article.id for j in jobs]
    assert all(isinstance(o, Extracted) for o in outcomes)


async def test_pooled_outcomes_equal_in_process_outcomes(pool: ExtractionPool) -> None:
    jobs = [Job(_article(n)) for n in range(11)]
    pooled = await pool.extract(jobs)
    local = [extract_article(EXTRACTOR, job) for job in jobs]
    assert _ids(pooled) == _ids(local)
    for a, b in zip(pooled, local, strict=True):
        assert isinstance(a, Extracted) and isinstance(b, Extracted)
        assert (a.signature_json, a.member_json, a.claims, a.fingerprints) == (
            b.signature_json,
            b.member_json,
            b.claims,
            b.fingerprints,
        )


async def test_a_process_that_dies_loses_no_article(pool: ExtractionPool) -> None:
    jobs = [Job(_article(n)) for n in range(8)]
    jobs.insert(3, Job(_article(99, title="crash")))
    before = pool.stats.given_up
    outcomes = await pool.extract(jobs)
    assert _ids(outcomes) == [j.article.id for j in jobs]
    failed = [o for o in outcomes if isinstance(o, ExtractionFailed)]
    assert [f.article_id for f in failed] == ["pool-99"]
    assert failed[0].crashed and "died" in failed[0].detail
    assert pool.stats.given_up == before + 1
    # The pool replaced the dead process and goes on extracting.
    again = await pool.extract([Job(_article(50))])
    assert isinstance(again[0], Extracted)


async def test_a_crash_that_does_not_repeat_is_only_a_retry(
    pool: ExtractionPool, tmp_path: Path
) -> None:
    jobs = [Job(_article(n, source=f"{CRASH_ONCE}{tmp_path}")) for n in range(2)]
    outcomes = await pool.extract(jobs)
    assert all(isinstance(o, Extracted) for o in outcomes), outcomes
    assert _ids(outcomes) == [j.article.id for j in jobs]


async def test_a_hung_process_is_replaced_and_its_article_given_up(pool: ExtractionPool) -> None:
    jobs = [Job(_article(1)), Job(_article(77, title="hang")), Job(_article(2))]
    outcomes = await pool.extract(jobs)
    assert _ids(outcomes) == ["pool-1", "pool-77", "pool-2"]
    assert isinstance(outcomes[0], Extracted) and isinstance(outcomes[2], Extracted)
    hung = outcomes[1]
    assert isinstance(hung, ExtractionFailed) and hung.crashed and "timed out" in hung.detail


def test_an_extraction_bug_is_a_failure_at_once_not_a_retry() -> None:
    class Broken(SignatureExtractor):
        def extract(self, article: Article, known_furniture: frozenset[str] = frozenset()):  # type: ignore[no-untyped-def]
            raise KeyError("boom")

    outcome = extract_article(Broken(EXTRACTOR._lexicon), Job(_article(1)))
    assert isinstance(outcome, ExtractionFailed)
    assert not outcome.crashed and outcome.detail.startswith("KeyError: 'boom'")


def test_default_processes_is_the_usable_cores() -> None:
    assert default_processes() >= 1


def asyncio_run(coro):  # type: ignore[no-untyped-def]
    import asyncio

    return asyncio.run(coro)
