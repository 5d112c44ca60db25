"""Story matching on a labelled stream: quality, Redis cost and speed of matching + state update.

Usage: python benchmarks/matching_gva.py PATH [--limit N] [--window-days D] [--threshold T]
                                          [--memory-days D] [--weights TOML]
                                          [--signatures-cache PICKLE] [--assignments-out F]

PATH is a JSONL file of articles with a gold story id in `gold.incident` (e.g.
../shared/data/gva-dev.jsonl, see its README). Articles are streamed in `published_at` order
through signature extraction (with the furniture each source has taught so far, as the worker
does) and then through `workers.pipeline.assign_story` (the worker's own matching, long memory
and state update path) against a real redis-server started for the run. Prints pairwise
precision/recall/F1 and B-cubed F1 for the whole stream and for its first and second halves (fit
and choose on the first, report the second), stories vs gold, follow-ups published more than 7
days after every earlier article of their story and how many joined it, Redis commands and round
trips per article, Redis memory per 10,000 articles (and the long memory's share), the
near-duplicate keys' cost per article and articles/s through matching + state update.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import pickle
import sys
import time
import tomllib
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import Connection

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import CONFIG_DIR  # noqa: E402
from config.tables import load_tables  # noqa: E402
from detectors.furniture import fingerprints  # noqa: E402
from detectors.lexicon import Lexicon  # noqa: E402
from detectors.matching import MatchWeights, StoryMatcher  # noqa: E402
from detectors.memory import LongMemory  # noqa: E402
from detectors.neardup import text_bands  # noqa: E402
from detectors.signature import SignatureExtractor  # noqa: E402
from detectors.story import Claim, Member  # noqa: E402
from topics import InvalidArticle, Signature, parse_article  # noqa: E402
from workers.embedded import EmbeddedServices  # noqa: E402
from workers.metrics import Metrics  # noqa: E402
from workers.pipeline import assign_story  # noqa: E402
from workers.store import StoryStore  # noqa: E402


class CountingConnection(Connection):
    """Counts writes to the socket: one per command, or one per pipeline/transaction."""

    round_trips = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.round_trips += 1
        await super().send_packed_command(command, check_health)


def pairwise(pred: Mapping[str, str], gold: Mapping[str, str]) -> tuple[float, float, float]:
    def pairs(labels: Mapping[str, str]) -> set[tuple[str, str]]:
        groups: dict[str, list[str]] = collections.defaultdict(list)
        for item, label in labels.items():
            groups[label].append(item)
        out = set()
        for items in groups.values():
            items.sort()
            out |= {(a, b) for i, a in enumerate(items) for b in items[i + 1 :]}
        return out

    p, g = pairs(pred), pairs(gold)
    tp = len(p & g)
    precision = tp / len(p) if p else 1.0
    recall = tp / len(g) if g else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def bcubed(pred: Mapping[str, str], gold: Mapping[str, str]) -> tuple[float, float, float]:
    by_pred: dict[str, set[str]] = collections.defaultdict(set)
    by_gold: dict[str, set[str]] = collections.defaultdict(set)
    for item in pred:
        by_pred[pred[item]].add(item)
        by_gold[gold[item]].add(item)
    precision = recall = 0.0
    for item in pred:
        common = len(by_pred[pred[item]] & by_gold[gold[item]])
        precision += common / len(by_pred[pred[item]])
        recall += common / len(by_gold[gold[item]])
    precision, recall = precision / len(pred), recall / len(pred)
    return precision, recall, 2 * precision * recall / (precision + recall)


def late_follow_ups(
    rows: list[dict[str, Any]], pred: Mapping[str, str], days: float = 7.0
) -> tuple[int, int]:
    """(follow-ups, joined): articles of `pred` published more than `days` after every earlier
    article of their gold story in `rows` (the whole stream, in order), and how many of them
    matching put with at least one of those."""
    earlier: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    late = joined = 0
    for row in rows:
        gold = str(row["gold"]["incident"])
        day = row["published_at"][:10]
        before = earlier[gold]
        if before and row["id"] in pred:
            gap = min((_day(day) - _day(d)).days for d, _ in before)
            if gap > days:
                late += 1
                joined += any(pred.get(aid) == pred[row["id"]] for _, aid in before)
        before.append((day, row["id"]))
    return late, joined


def _day(text: str) -> date:
    return date.fromisoformat(text[:10])


def report(
    label: str,
    pred: Mapping[str, str],
    gold: Mapping[str, str],
    rows: list[dict[str, Any]] | None = None,
) -> None:
    """One line of figures; `rows` (the whole stream) adds the late follow-ups of `pred`."""
    p, r, f = pairwise(pred, gold)
    _, _, bf = bcubed(pred, gold)
    late = ""
    if rows is not None:
        n, joined = late_follow_ups(rows, pred)
        late = f"  follow-ups >7 d joined {joined}/{n}"
    print(
        f"{label:14} articles {len(pred):5}  pairwise P {p:.3f} R {r:.3f} F1 {f:.3f}  "
        f"B-cubed F1 {bf:.3f}  stories {len(set(pred.values()))} vs gold {len(set(gold.values()))}"
        f"{late}"
    )


def report_halves(
    rows: list[dict[str, Any]], final: Mapping[str, str], gold: Mapping[str, str]
) -> None:
    """The whole stream, then its first half (fit and choose there) and second (report)."""
    report("all", final, gold, rows)
    half = len(rows) // 2
    for label, part in (("first half", rows[:half]), ("second half", rows[half:])):
        ids = [row["id"] for row in part if row["id"] in final]
        # A follow-up counts against every earlier sibling, in either half.
        report(label, {i: final[i] for i in ids}, {i: gold[i] for i in ids}, rows)


def extract(rows: list[dict[str, Any]], cache: Path | None) -> list[Signature]:
    if cache is not None and cache.exists():
        cached: dict[str, Signature] = pickle.loads(cache.read_bytes())
        if all(row["id"] in cached for row in rows):
            return [cached[row["id"]] for row in rows]
    extractor = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG_DIR)))
    started = time.perf_counter()
    signatures = [extractor.extract(parse_article(json.dumps(row).encode())) for row in rows]
    elapsed = time.perf_counter() - started
    print(f"extraction     {len(rows) / elapsed:.1f} articles/s (not counted below)")
    if cache is not None:
        cache.write_bytes(pickle.dumps({s.article_id: s for s in signatures}))
    return signatures


def _parses(row: dict[str, Any]) -> bool:
    try:
        parse_article(json.dumps(row).encode())
    except InvalidArticle:
        return False
    return True


def command_calls(stats: Mapping[str, Any]) -> int:
    return sum(int(v["calls"]) for k, v in stats.items() if k.startswith("cmdstat_"))


async def run(
    redis_url: str,
    rows: list[dict[str, Any]],
    signatures: Mapping[str, Signature] | None,
    matcher: StoryMatcher,
    window: timedelta,
    memory: LongMemory | None,
    **store_options: int,
) -> dict[str, Any]:
    """Stream the rows through matching + state update. Without `signatures`, each article is
    extracted in turn with its source's learned furniture and then teaches it, as the worker
    does (extraction time is left out of the rate)."""
    extractor = (
        None if signatures is not None
        else SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG_DIR)))
    )  # fmt: skip
    pool = ConnectionPool.from_url(redis_url, connection_class=CountingConnection)
    client = Redis(connection_pool=pool)
    store = StoryStore(
        client,
        Metrics.create(),
        prefix="bench",
        ttl_seconds=int(window.total_seconds()),
        memory_ttl_seconds=int(memory.horizon.total_seconds()) if memory else 1,
        **store_options,
    )
    await client.ping()
    before_cmds = command_calls(await client.info("commandstats"))
    before_mem = int((await client.info("memory"))["used_memory"])
    CountingConnection.round_trips = 0
    assigned: dict[str, str] = {}
    merges = 0
    extracting = 0.0
    extracted: dict[str, Signature] = {}
    started = time.perf_counter()
    for row in rows:
        if signatures is not None:
            sig = signatures[row["id"]]
        else:
            assert extractor is not None
            article = parse_article(json.dumps(row).encode())
            known = await store.known_furniture(article.source)
            t0 = time.perf_counter()
            sig = extractor.extract(article, known_furniture=known)
            extracting += time.perf_counter() - t0
        assignment = await assign_story(
            store,
            matcher,
            Member.from_signature(sig),
            Claim.from_signature(sig),
            since=sig.published_at - window,
            memory=memory,
        )
        if signatures is None:
            await store.observe_furniture(
                sig.source,
                assignment.story_id,
                fingerprints(row["text"]),
                article_id=sig.article_id,
            )
        assigned[sig.article_id] = assignment.story_id
        extracted[sig.article_id] = sig
        merges += len(assignment.absorbed)
    elapsed = time.perf_counter() - started - extracting
    trips = CountingConnection.round_trips
    after_cmds = command_calls(await client.info("commandstats"))
    after_mem = int((await client.info("memory"))["used_memory"])
    long_memory = 0
    for pattern in ("bench:mem:*", "bench:memcard:*"):
        async for key in client.scan_iter(match=pattern, count=1000):
            long_memory += int(await client.memory_usage(key) or 0)
    final = {aid: await store.final_story(sid) for aid, sid in assigned.items()}
    await client.aclose()
    await pool.disconnect()
    n = len(assigned)
    return {
        "final": final,
        "merges": merges,
        "seconds": elapsed,
        # INFO commandstats counts the INFO call itself once.
        "commands": (after_cmds - before_cmds - 1) / n,
        "round_trips": trips / n,
        "memory_10k": (after_mem - before_mem) / n * 10_000,
        "long_memory_10k": long_memory / n * 10_000,
        "extraction_rate": n / extracting if extracting else 0.0,
        "signatures": extracted,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="only the first N articles")
    parser.add_argument(
        "--window-days", type=float, default=7.0, help="story window (inactivity) in days"
    )
    defaults = StoryMatcher()
    parser.add_argument(
        "--memory-days", type=float, default=90.0, help="long memory horizon; 0: none"
    )
    parser.add_argument("--memory-keys", type=int, default=LongMemory().min_keys)
    parser.add_argument("--memory-stories", type=int, default=LongMemory().max_stories)
    parser.add_argument("--threshold", type=float, default=defaults.threshold)
    parser.add_argument("--merge-threshold", type=float, default=defaults.merge_threshold)
    parser.add_argument(
        "--weights", type=Path, default=CONFIG_DIR / "matching.toml",
        help="TOML file with a [weights] table (default: the worker's config/matching.toml)",
    )  # fmt: skip
    parser.add_argument("--max-candidates", type=int, default=25, help="stories scored per article")
    parser.add_argument("--postings", type=int, default=40, help="latest stories read per token")
    parser.add_argument(
        "--signatures-cache",
        type=Path,
        help="pickle of signatures (tuning runs; outside the repo); extracted once, without "
        "the per-source furniture the worker learns as the stream goes",
    )
    parser.add_argument(
        "--assignments-out", type=Path, help="write {article_id, story_id} lines here"
    )
    parser.add_argument(
        "--signatures-out", type=Path,
        help="pickle the signatures as extracted in stream order, with learned furniture (what "
        "benchmarks/fit_matcher.py --signatures-cache should fit on; outside the repo)",
    )  # fmt: skip
    args = parser.parse_args()

    rows = [json.loads(line) for line in args.path.read_text().splitlines() if line.strip()]
    rows.sort(key=lambda r: r["published_at"])  # stable: file order within a day
    valid = [r for r in rows if _parses(r)]
    if len(valid) < len(rows):
        print(f"skipped        {len(rows) - len(valid)} article(s) the worker would dead-letter")
    rows = valid
    if args.limit:
        rows = rows[: args.limit]
    gold = {row["id"]: str(row["gold"]["incident"]) for row in rows}
    signatures = (
        {s.article_id: s for s in extract(rows, args.signatures_cache)}
        if args.signatures_cache is not None
        else None
    )
    texts = [row["text"] for row in rows]
    t0 = time.perf_counter()
    for text in texts:
        text_bands(text)
    near_dup_ms = (time.perf_counter() - t0) / len(texts) * 1000
    window = timedelta(days=args.window_days)
    matcher = StoryMatcher(
        threshold=args.threshold,
        window=window,
        merge_threshold=args.merge_threshold,
        weights=MatchWeights.from_mapping(
            tomllib.loads(args.weights.read_text()).get("weights", {})
        ),
    )
    with EmbeddedServices(want_kafka=False) as services:
        assert services.redis_url is not None
        result = asyncio.run(
            run(
                services.redis_url,
                rows,
                signatures,
                matcher,
                window,
                LongMemory(
                    horizon=timedelta(days=args.memory_days),
                    min_keys=args.memory_keys,
                    max_stories=args.memory_stories,
                )
                if args.memory_days
                else None,
                max_candidates=args.max_candidates,
                postings_per_token=args.postings,
            )
        )
    final: dict[str, str] = result["final"]
    print(
        f"matcher        threshold {matcher.threshold} merge {matcher.merge_threshold} "
        f"window {args.window_days:g} d  memory {args.memory_days:g} d  "
        f"weights {args.weights.name}"
    )
    report_halves(rows, final, gold)
    if args.signatures_out is not None:
        args.signatures_out.write_bytes(pickle.dumps(result["signatures"]))
    if args.assignments_out is not None:
        with args.assignments_out.open("w") as out:
            for aid, sid in final.items():
                out.write(json.dumps({"article_id": aid, "story_id": sid}) + "\n")
    n = len(final)
    print(f"merges         {result['merges']}")
    print(
        f"redis          {result['commands']:.1f} commands/article (incl. calls inside Lua), "
        f"{result['round_trips']:.1f} round trips/article"
    )
    print(
        f"redis memory   {result['memory_10k'] / 1e6:.1f} MB per 10,000 articles "
        f"(window {args.window_days:g} d, nothing expired); long memory (keys + cards) "
        f"{result['long_memory_10k'] / 1e6:.1f} MB of it"
    )
    print(f"near-dup keys  {near_dup_ms:.2f} ms per article (MinHash bands of the raw text)")
    if result["extraction_rate"]:
        print(
            f"extraction     {result['extraction_rate']:.1f} articles/s with learned furniture "
            "(not counted in the rate below)"
        )
    print(f"throughput     {n / result['seconds']:.1f} articles/s through matching + state update")
    return 0


if __name__ == "__main__":
    sys.exit(main())
