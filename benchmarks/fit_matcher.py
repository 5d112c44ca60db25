"""Fit the story-matching model (config/matching.toml) on a labelled stream.

Usage: python benchmarks/fit_matcher.py PATH [--window-days D] [--signatures-cache PICKLE]

PATH is a JSONL file of articles with a gold story id in `gold.incident` (e.g.
../shared/data/gva-dev.jsonl). Articles are taken in `published_at` order; each is paired with
every earlier article inside the window that shares an index token with it (what the Redis
candidate index would offer), and `detectors.matching.pair_features` describes the pair. A
logistic regression (L2, Newton's method, no dependencies) is fitted on the pairs whose later
article lies in the first half of the stream; the second half is left for
`benchmarks/matching_gva.py` to score. Prints the pair counts, the held-out average precision
against the plain cosine's, and a [weights] table to paste into config/matching.toml.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from matching_gva import _parses, extract  # noqa: E402

from detectors.matching import FEATURES, TermStats, pair_features  # noqa: E402
from detectors.story import Member  # noqa: E402

# A token more than this many earlier articles carry finds no candidates (like the store's cap).
MAX_POSTINGS = 200


def build_pairs(
    members: list[Member], labels: list[str], window: timedelta
) -> list[tuple[int, list[float], bool]]:
    """(index of the later article, features, same story?) for every candidate pair."""
    pairs: list[tuple[int, list[float], bool]] = []
    recent: collections.deque[int] = collections.deque()
    holders: dict[str, set[int]] = collections.defaultdict(set)
    for i, member in enumerate(members):
        while recent and members[recent[0]].published_at < member.published_at - window:
            old = recent.popleft()
            for token in members[old].tokens:
                holders[token].discard(old)
        df = {token: len(holders[token]) for token in member.tokens}
        stats = TermStats(stories=len(recent), df=df)
        candidates: set[int] = set()
        for token in member.tokens:
            if len(holders[token]) <= MAX_POSTINGS:
                candidates |= holders[token]
        for j in sorted(candidates):
            features = pair_features(member, members[j], stats)
            pairs.append((i, [features[k] for k in FEATURES], labels[i] == labels[j]))
        recent.append(i)
        for token in member.tokens:
            holders[token].add(i)
    return pairs


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the system is small and positive definite)."""
    n = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            for c in range(col, n + 1):
                a[r][c] -= factor * a[col][c]
    out = [0.0] * n
    for r in range(n - 1, -1, -1):
        out[r] = (a[r][n] - sum(a[r][c] * out[c] for c in range(r + 1, n))) / a[r][r]
    return out


def fit(rows: list[tuple[list[float], bool]], l2: float = 1.0, steps: int = 12) -> list[float]:
    """Logistic regression by Newton's method; returns [bias, *weights]."""
    dim = len(rows[0][0]) + 1
    beta = [0.0] * dim
    for _ in range(steps):
        grad = [0.0] * dim
        hess = [[0.0] * dim for _ in range(dim)]
        for x, y in rows:
            xs = [1.0, *x]
            z = sum(b * v for b, v in zip(beta, xs, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            w = p * (1.0 - p)
            err = (1.0 if y else 0.0) - p
            for a in range(dim):
                if xs[a] == 0.0:
                    continue
                grad[a] += err * xs[a]
                row = hess[a]
                wa = w * xs[a]
                for b in range(a, dim):
                    row[b] += wa * xs[b]
        for a in range(dim):
            for b in range(a):
                hess[a][b] = hess[b][a]
            if a:  # the bias is not penalised
                grad[a] -= l2 * beta[a]
                hess[a][a] += l2
        step = _solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return beta


def average_precision(scored: list[tuple[float, bool]]) -> float:
    ranked = sorted(scored, key=lambda sy: -sy[0])
    positives = sum(1 for _, y in ranked if y)
    hits, total = 0, 0.0
    for rank, (_, y) in enumerate(ranked, start=1):
        if y:
            hits += 1
            total += hits / rank
    return total / positives if positives else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("--window-days", type=float, default=30.0)
    parser.add_argument("--l2", type=float, default=1.0, help="ridge penalty on the weights")
    parser.add_argument(
        "--signatures-cache", type=Path, help="pickle of signatures (tuning runs; outside the repo)"
    )
    args = parser.parse_args()

    rows = [json.loads(line) for line in args.path.read_text().splitlines() if line.strip()]
    rows.sort(key=lambda r: r["published_at"])
    rows = [r for r in rows if _parses(r)]
    members = [Member.from_signature(s) for s in extract(rows, args.signatures_cache)]
    labels = [str(r["gold"]["incident"]) for r in rows]
    pairs = build_pairs(members, labels, timedelta(days=args.window_days))
    half = len(rows) // 2
    train = [(x, y) for i, x, y in pairs if i < half]
    test = [(x, y) for i, x, y in pairs if i >= half]
    print(
        f"pairs          {len(pairs)} ({sum(y for _, _, y in pairs)} same story); "
        f"fitting on the {len(train)} of the first half"
    )
    beta = fit(train, l2=args.l2)

    def prob(x: list[float]) -> float:
        z = beta[0] + sum(b * v for b, v in zip(beta[1:], x, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    cosine = FEATURES.index("cosine")
    print(
        f"second half    average precision {average_precision([(prob(x), y) for x, y in test]):.3f}"
        f" (plain cosine {average_precision([(x[cosine], y) for x, y in test]):.3f})"
    )
    print("\n[weights]")
    print(f"bias = {beta[0]:.2f}")
    for name, value in zip(FEATURES, beta[1:], strict=True):
        print(f"{name} = {value:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
