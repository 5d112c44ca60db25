"""Extraction on every core: a batch of articles split over a process pool, lexicon loaded once
per process; a process that dies or hangs costs a retry, never an article.

The worker's event loop only does I/O; signature extraction is pure CPU and holds the GIL, so
one process extracts on one core at most. ExtractionPool runs `extract_article` in `processes`
pebble worker processes (spawned, so they inherit no threads or sockets from the worker; each
loads the compiled lexicon from the disk cache in ~0.2 s). With processes=1 it runs in the
calling process instead, with nothing to pickle.

What comes back is already serialised (the signature as JSON bytes, the story member and claims
as the JSON the Redis scripts store, the furniture fingerprints): the worker's own process
publishes and writes them without touching a pydantic model, and unpickling a few strings costs
~2 us where a Signature object costs ~100 us.

Failure policy (pebble reports a dead process as ProcessExpired and a hung one as a timeout,
after killing and replacing it): a chunk that fails is retried one article per task; an article
that fails alone twice is an `ExtractionFailed` with `crashed=True`, which the worker
dead-letters as `extraction_failed`. An exception inside extraction is an `ExtractionFailed`
at once (a bug is deterministic; retrying it would only repeat it).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detectors.furniture import fingerprints
from detectors.signature import SignatureExtractor
from detectors.story import Claim, Member
from topics.articles import Article
from workers.embedded import _die_with_parent
from workers.lexicon_cache import load_lexicon

log = logging.getLogger(__name__)

# Chunks per process in one batch: more than one evens out articles of uneven length.
CHUNKS_PER_PROCESS = 2
# Attempts an article gets alone after its chunk failed, before it is given up.
SOLO_ATTEMPTS = 2


def default_processes() -> int:
    """The cores this process may run on (respects taskset/cgroup pinning), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Job:
    """One article to extract, with the learned furniture of its source."""

    article: Article
    known_furniture: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Extracted:
    """One article's signature and what the worker writes for it, serialised."""

    article_id: str
    signature_json: bytes
    member_json: str
    # (claim id, claim JSON) per figure claim, as the story's Redis hash holds them.
    claims: tuple[tuple[str, str], ...]
    # detectors.furniture fingerprints of the article's paragraphs, for per-source counting.
    fingerprints: tuple[str, ...]
    seconds: float

    def member(self) -> Member:
        return Member.from_json(self.member_json)


@dataclass(frozen=True)
class ExtractionFailed:
    """Extraction raised (a bug), or its process died or hung on this article twice."""

    article_id: str
    detail: str
    crashed: bool = False


Outcome = Extracted | ExtractionFailed


def extract_article(extractor: SignatureExtractor, job: Job) -> Outcome:
    """Extract one article; an exception becomes an ExtractionFailed carrying its traceback."""
    article = job.article
    started = time.perf_counter()
    try:
        signature = extractor.extract(article, known_furniture=job.known_furniture)
        member = Member.from_signature(signature)
        claims = tuple((c.claim_id, c.to_json()) for c in Claim.from_signature(signature))
        return Extracted(
            article_id=article.id,
            signature_json=signature.model_dump_json().encode(),
            member_json=member.to_json(),
            claims=claims,
            fingerprints=tuple(fingerprints(article.text)),
            seconds=time.perf_counter() - started,
        )
    except Exception as exc:  # a bug on one article: a dead letter with its traceback, not a stop
        trace = traceback.format_exc(limit=8)
        return ExtractionFailed(article.id, f"{type(exc).__name__}: {exc}\n{trace}")


# -- inside a pool process -----------------------------------------------------------------------
_EXTRACTOR: SignatureExtractor | None = None


def _initialise(tables_dir: Path, cache_dir: Path | None, max_sentence_chars: int) -> None:
    global _EXTRACTOR
    # A worker killed with SIGKILL cannot stop its pool: the processes go with it instead.
    _die_with_parent()
    _EXTRACTOR = SignatureExtractor(
        load_lexicon(tables_dir, cache_dir), max_sentence_chars=max_sentence_chars
    )


def _extract_chunk(jobs: list[Job]) -> list[Outcome]:
    if _EXTRACTOR is None:
        raise RuntimeError("pool process has no extractor (initializer did not run)")
    return [extract_article(_EXTRACTOR, job) for job in jobs]


def _ready() -> int:
    if _EXTRACTOR is None:
        raise RuntimeError("pool process has no extractor (initializer did not run)")
    return os.getpid()


# -- in the worker -------------------------------------------------------------------------------
@dataclass
class PoolStats:
    """What went wrong so far, for the worker's metrics."""

    chunk_failures: int = 0
    solo_retries: int = 0
    given_up: int = 0
    last_error: str | None = field(default=None, repr=False)


class ExtractionPool:
    """extract(jobs) -> one Outcome per job, in order; processes=1 extracts in this process."""

    def __init__(
        self,
        *,
        processes: int,
        tables_dir: Path,
        cache_dir: Path | None,
        timeout_s: float = 10.0,
        max_sentence_chars: int = 500,
        extractor: SignatureExtractor | None = None,
        chunk_function: Callable[[list[Job]], list[Outcome]] = _extract_chunk,
    ) -> None:
        """chunk_function runs in the pool processes (tests pass one that crashes on cue)."""
        self.processes = max(1, processes)
        self._chunk_function = chunk_function
        self._tables_dir = tables_dir
        self._cache_dir = cache_dir
        self._timeout = timeout_s
        self._max_sentence_chars = max_sentence_chars
        self.stats = PoolStats()
        self._pool: Any = None
        self._lock = asyncio.Lock()
        self._extractor = extractor
        if self.processes == 1 and self._extractor is None:
            self._extractor = SignatureExtractor(
                load_lexicon(tables_dir, cache_dir), max_sentence_chars=max_sentence_chars
            )

    @classmethod
    def in_process(cls, extractor: SignatureExtractor) -> ExtractionPool:
        """Extraction in the calling process with this extractor (no tables to load)."""
        return cls(processes=1, tables_dir=Path(), cache_dir=None, extractor=extractor)

    @property
    def pooled(self) -> bool:
        return self.processes > 1

    async def start(self) -> None:
        """Start the processes and wait until each has loaded its lexicon."""
        if not self.pooled:
            return
        self._pool = self._new_pool()
        futures = [self._pool.schedule(_ready) for _ in range(self.processes)]
        await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))

    def start_sync(self, timeout_s: float = 120.0) -> None:
        """start() before the event loop runs (the worker starts its pool before it joins its
        group, so the first batch does not wait for processes to load their tables)."""
        if not self.pooled:
            return
        self._pool = self._new_pool()
        futures = [self._pool.schedule(_ready) for _ in range(self.processes)]
        for future in futures:
            future.result(timeout=timeout_s)

    async def _ensure_pool(self) -> None:
        async with self._lock:  # chunks of one batch run concurrently: start one pool, not three
            if self._pool is not None and self._pool.active:
                return
            if self._pool is not None:
                log.warning("extraction pool stopped; starting a new one")
                self.close()
            await self.start()

    def _new_pool(self) -> Any:
        from pebble import ProcessPool  # only the pooled mode needs it

        return ProcessPool(
            max_workers=self.processes,
            initializer=_initialise,
            initargs=(self._tables_dir, self._cache_dir, self._max_sentence_chars),
            context=multiprocessing.get_context("spawn"),
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool.join()
            self._pool = None

    async def extract(self, jobs: Sequence[Job]) -> list[Outcome]:
        if not jobs:
            return []
        if not self.pooled:
            # In a thread: the event loop keeps answering probes and timers meanwhile (the
            # GIL is released every few milliseconds), and only one batch extracts at a time.
            extractor = self._extractor
            assert extractor is not None
            return await asyncio.to_thread(lambda: [extract_article(extractor, j) for j in jobs])
        results: list[Outcome | None] = [None] * len(jobs)
        size = -(-len(jobs) // (self.processes * CHUNKS_PER_PROCESS))
        chunks = [list(range(i, min(i + size, len(jobs)))) for i in range(0, len(jobs), size)]
        outcomes = await asyncio.gather(
            *(self._run([jobs[i] for i in chunk]) for chunk in chunks), return_exceptions=True
        )
        retry: list[int] = []
        for chunk, outcome in zip(chunks, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                self._note_failure(outcome, [jobs[i] for i in chunk])
                self.stats.chunk_failures += 1
                retry.extend(chunk)
                continue
            for index, result in zip(chunk, outcome, strict=True):
                results[index] = result
        if retry:
            solo = await asyncio.gather(*(self._solo(jobs[i]) for i in retry))
            for index, result in zip(retry, solo, strict=True):
                results[index] = result
        return [r for r in results if r is not None]

    async def _run(self, jobs: list[Job]) -> list[Outcome]:
        # A hung process is killed after this long; generous, since the machine may be busy.
        timeout = self._timeout * (1 + len(jobs) / 20)
        await self._ensure_pool()
        future = self._pool.schedule(self._chunk_function, args=(jobs,), timeout=timeout)
        result: list[Outcome] = await asyncio.wrap_future(future)
        return result

    async def _solo(self, job: Job) -> Outcome:
        error: BaseException | None = None
        for _ in range(SOLO_ATTEMPTS):
            self.stats.solo_retries += 1
            try:
                (result,) = await self._run([job])
                return result
            except Exception as exc:  # the process died or hung again: try once more, then stop
                error = exc
                self._note_failure(exc, [job])
        self.stats.given_up += 1
        return ExtractionFailed(job.article.id, _describe(error), crashed=True)

    def _note_failure(self, error: BaseException, jobs: list[Job]) -> None:
        ids = ", ".join(job.article.id for job in jobs[:5])
        more = f" and {len(jobs) - 5} more" if len(jobs) > 5 else ""
        self.stats.last_error = _describe(error)
        log.warning("extraction of %s%s failed in the pool: %s", ids, more, _describe(error))


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "unknown pool failure"
    if isinstance(error, FutureTimeout | asyncio.TimeoutError):
        return "extraction process timed out and was replaced"
    code = getattr(error, "exitcode", None)
    if code is not None:
        return f"extraction process died (exit code {code}) and was replaced"
    return f"{type(error).__name__}: {error}"
