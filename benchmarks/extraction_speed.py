"""Extraction speed on one core: articles/s, p50/p99 on 3-5 KB articles, worst adversarial case.

Usage: python benchmarks/extraction_speed.py [LABELLED_JSONL] [--articles N]

The 3-5 KB articles are synthesised by joining paragraphs of the labelled set (default
benchmarks/labelled/articles.jsonl) in a seeded random order. Adversarial inputs up to 1 MB
(digit runs, capitalised words, nested brackets, one 1 MB line, ...) are timed one by one.
Targets: >= 1,000 articles/s, p99 <= 20 ms, no input over 100 ms.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.extraction_common import ROOT, extractor, rows
from topics.articles import Article

PUBLISHED = datetime(2025, 6, 14, 10, 0, tzinfo=UTC)


def synthesise(texts: list[str], count: int, seed: int = 7) -> list[Article]:
    rng = random.Random(seed)
    out: list[Article] = []
    for number in range(count):
        target = rng.randint(3_000, 5_000)
        parts: list[str] = []
        size = 0
        while size < target:
            part = rng.choice(texts)
            parts.append(part)
            size += len(part) + 2
        text = "\n\n".join(parts)[:target]
        out.append(
            Article(
                id=f"speed-{number}",
                source="bench.example",
                published_at=PUBLISHED,
                title=parts[0][:80],
                text=text,
            )
        )
    return out


def adversarial() -> dict[str, str]:
    mb = 1_000_000
    words = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel"]
    return {
        "digit run 1 MB": "7" * mb,
        "digits with separators": ("1,234,567 " * (mb // 10))[:mb],
        "capitalised words 1 MB": " ".join(words[i % 8] + str(i % 3) for i in range(mb // 8)),
        "capitalised name run": " ".join(words[i % 8] for i in range(mb // 7))[:mb],
        "nested brackets": ("(" * 5000 + "[" * 5000 + "x" + "]" * 5000 + ")" * 5000) * 50,
        "one 1 MB line of prose": (
            "Russia launched 48 drones at Ukraine on Saturday and 31 were shot down, "
        )
        * (mb // 72),
        "month and weekday soup": ("March 3 May Friday last week 2024-01-01 June " * (mb // 45)),
        "numbers and qualifiers": ("up to between 10 and 20 at least dozens of hundreds " * 20_000),
        "markdown links": ("[a](http://x.example/" + "a" * 400 + ") " * 2) * 1000,
        "dots and abbreviations": ("Mr. U.S. a.m. Dr. St. " * (mb // 22)),
        "no spaces letters": "a" * mb,
        "unicode mix": ("Zełenśkyj — «Київ» 12 000 дронів 😀 " * (mb // 36)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "path", type=Path, nargs="?", default=ROOT / "benchmarks" / "labelled" / "articles.jsonl"
    )
    parser.add_argument("--articles", type=int, default=2_000)
    args = parser.parse_args()

    texts = [paragraph for row in rows(args.path) for paragraph in [str(row["text"])]]
    articles = synthesise(texts, args.articles)
    ex = extractor()
    for item in articles[:50]:
        ex.extract(item)  # warm caches and imports, as a long-running worker would be
    gc.collect()
    times: list[float] = []
    started = time.perf_counter()
    for item in articles:
        t0 = time.perf_counter()
        ex.extract(item)
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - started
    times.sort()
    sizes = [len(a.text) for a in articles]
    print(
        f"articles: {len(articles)}  size {min(sizes)}-{max(sizes)} chars "
        f"(mean {statistics.mean(sizes):.0f})"
    )
    print(f"throughput {len(articles) / total:.0f} articles/s on one core")
    p50 = times[len(times) // 2] * 1000
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
    print(f"p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {times[-1] * 1000:.2f} ms")
    worst = 0.0
    for name, text in adversarial().items():
        item = Article(
            id="adv", source="bench.example", published_at=PUBLISHED, title=name, text=text
        )
        t0 = time.perf_counter()
        ex.extract(item)
        elapsed = (time.perf_counter() - t0) * 1000
        worst = max(worst, elapsed)
        print(f"  adversarial {name:28s} {len(text) / 1e6:5.2f} MB  {elapsed:7.1f} ms")
    print(f"worst adversarial {worst:.1f} ms (target <= 100 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
