"""End-to-end throughput: a JSONL stream through `wirewatch replay` on the embedded services.

Usage: python benchmarks/replay_throughput.py PATH [--limit N]

PATH is a JSONL file of articles (id, source, published_at, title, text; extra fields are
ignored), e.g. ../shared/data/gva-dev.jsonl. Prints articles/s and alerts by kind.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="only the first N articles")
    args = parser.parse_args()

    lines = [line for line in args.path.read_text().splitlines() if line.strip()]
    if args.limit:
        lines = lines[: args.limit]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as tmp:
        tmp.write("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    wirewatch = str(Path(sys.executable).with_name("wirewatch"))
    started = time.perf_counter()
    result = subprocess.run(
        [wirewatch, "replay", tmp.name], env=env, capture_output=True, check=False
    )
    elapsed = time.perf_counter() - started
    os.unlink(tmp.name)
    if result.returncode != 0:
        sys.stderr.write(result.stderr.decode()[-4000:])
        return result.returncode
    kinds = collections.Counter(
        json.loads(line)["kind"] for line in result.stdout.decode().splitlines()
    )
    print(f"articles            {len(lines)}")
    print(f"wall time (s)       {elapsed:.1f}  (includes ~3 s of broker/Redis/worker start-up)")
    print(f"articles/s          {len(lines) / elapsed:.1f}")
    for kind, n in sorted(kinds.items()):
        print(f"alerts {kind:20} {n}  ({1000 * n / len(lines):.1f} per 1,000 articles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
