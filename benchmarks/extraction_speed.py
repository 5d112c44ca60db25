"""Extraction speed on one core: start-up, articles/s and p50/p99 on ~2 KB and ~4 KB articles,
worst adversarial case.

Usage: python benchmarks/extraction_speed.py [LABELLED_JSONL] [--articles N]

Start-up is timed in fresh processes: imports plus the compiled tables and gazetteer, built from
scratch (cold, writing the cache) and loaded from the cache (warm; target <= 1 s). The 1.5-2.5 KB
and 3-5 KB articles are synthesised by joining paragraphs of the labelled set (default
benchmarks/labelled/articles.jsonl) in a seeded random order. Adversarial inputs up to 1 MB
(digit runs, capitalised words, nested brackets, one 1 MB line, ...) are timed one by one.
Targets: >= 1,000 articles/s on 4 KB, p99 <= 20 ms, no input over 100 ms. Figures are CPU time
of this process (wall time would count other processes on a shared machine).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.extraction_common import ROOT, extractor, rows
from detectors.signature import SignatureExtractor
from topics.articles import Article

PUBLISHED = datetime(2025, 6, 14, 10, 0, tzinfo=UTC)


def synthesise(
    texts: list[str], count: int, seed: int = 7, sizes: tuple[int, int] = (3_000, 5_000)
) -> list[Article]:
    rng = random.Random(seed)
    out: list[Article] = []
    for number in range(count):
        target = rng.randint(*sizes)
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


_STARTUP = """
import sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
from pathlib import Path
from workers.lexicon_cache import load_lexicon
from detectors.signature import SignatureExtractor
SignatureExtractor(load_lexicon(Path({config!r}), Path({cache!r})))
print(time.perf_counter() - started)
"""


def startup_seconds(cache: Path) -> float:
    """Seconds from a fresh interpreter to a ready extractor (imports included)."""
    code = _STARTUP.format(root=str(ROOT), config=str(ROOT / "config"), cache=str(cache))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True)
    return float(out.stdout.strip())


def measure(ex: SignatureExtractor, articles: list[Article], label: str) -> None:
    for item in articles[:50]:
        ex.extract(item)  # warm caches and imports, as a long-running worker would be
    gc.collect()
    times: list[float] = []
    started = time.process_time()
    for item in articles:
        t0 = time.process_time()
        ex.extract(item)
        times.append(time.process_time() - t0)
    total = time.process_time() - started
    times.sort()
    sizes = [len(a.text) for a in articles]
    p50 = times[len(times) // 2] * 1000
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1000
    print(
        f"{label}: {len(articles) / total:.0f} articles/s on one core  "
        f"({len(articles)} articles, {min(sizes)}-{max(sizes)} chars, mean "
        f"{statistics.mean(sizes):.0f})  p50 {p50:.2f} ms  p99 {p99:.2f} ms  "
        f"max {times[-1] * 1000:.2f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "path", type=Path, nargs="?", default=ROOT / "benchmarks" / "labelled" / "articles.jsonl"
    )
    parser.add_argument("--articles", type=int, default=2_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wirewatch-bench-cache-") as cache:
        cold = startup_seconds(Path(cache))
        warm = min(startup_seconds(Path(cache)) for _ in range(3))
    print(f"start-up to a ready extractor: cold {cold:.2f} s (builds the cache), "
          f"warm {warm:.2f} s (target <= 1 s)")  # fmt: skip

    texts = [paragraph for row in rows(args.path) for paragraph in [str(row["text"])]]
    ex = extractor()
    measure(ex, synthesise(texts, args.articles, sizes=(1_500, 2_500)), "~2 KB")
    measure(ex, synthesise(texts, args.articles), "~4 KB")
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
