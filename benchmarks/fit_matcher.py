"""Fit the story-matching model (config/matching.toml) on a labelled stream.

Usage: python benchmarks/fit_matcher.py PATH [--window-days D] [--signatures-cache PICKLE]
                                           [--write [TOML]]

Fit on what the worker sees: `benchmarks/matching_gva.py PATH --signatures-out S.pickle`
extracts in stream order with each source's learned furniture; then `--signatures-cache
S.pickle` here. Without it, articles are extracted on their own (no learned furniture).

PATH is a JSONL file of articles with a gold story id in `gold.incident` (e.g.
../shared/data/gva-dev.jsonl). Articles are taken in `published_at` order; each is paired with
every earlier article inside the window that shares an index token with it (what the Redis
candidate index would offer), and `detectors.matching.pair_features` describes the pair. A
logistic regression (scikit-learn, L2, its strength chosen by cross-validation) is fitted on
the pairs whose later article lies in the first half of the stream; the second half is left
for `benchmarks/matching_gva.py` to score. Prints the pair counts, the held-out average
precision against the plain cosine's, and the [weights] table; --write puts it into
config/matching.toml (or the file given), which is what the worker reads.
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
            for token in members[old].index_tokens():
                holders[token].discard(old)
        tokens = member.index_tokens()
        df = {token: len(holders[token]) for token in tokens}
        stats = TermStats(stories=len(recent), df=df)
        candidates: set[int] = set()
        for token in tokens:
            if len(holders[token]) <= MAX_POSTINGS:
                candidates |= holders[token]
        for j in sorted(candidates):
            if _same_page(member, members[j]):
                # One page filed under two labels (a roundup of two incidents) says nothing
                # about matching: any matcher joins identical pages, and the label pair would
                # teach the model that a copy is another story.
                continue
            features = pair_features(member, members[j], stats)
            pairs.append((i, [features[k] for k in FEATURES], labels[i] == labels[j]))
        recent.append(i)
        for token in tokens:
            holders[token].add(i)
    return pairs


def _same_page(a: Member, b: Member) -> bool:
    return (
        a.title == b.title
        and a.bands == b.bands
        and a.tokens == b.tokens
        and a.source.split(":")[0] == b.source.split(":")[0]
    )


def fit(rows: list[tuple[list[float], bool]], seed: int = 0) -> tuple[list[float], float]:
    """L2 logistic regression (scikit-learn), its strength chosen by 5-fold log loss on the
    same rows; returns ([bias, *weights], C)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    x = [features for features, _ in rows]
    y = [int(same) for _, same in rows]
    search = GridSearchCV(
        LogisticRegression(max_iter=5000),
        {"C": [0.01, 0.1, 1.0, 10.0]},
        scoring="neg_log_loss",
        cv=5,
    )
    search.fit(x, y)
    model = search.best_estimator_
    return [float(model.intercept_[0]), *(float(w) for w in model.coef_[0])], float(
        search.best_params_["C"]
    )


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
    parser.add_argument(
        "--write", nargs="?", const=str(TABLE), metavar="TOML",
        help=f"write the fitted table (default {TABLE.relative_to(ROOT)})",
    )  # fmt: skip
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
    beta, strength = fit(train)
    print(f"fitted         scikit-learn LogisticRegression, C {strength:g} (5-fold log loss)")

    def prob(x: list[float]) -> float:
        z = beta[0] + sum(b * v for b, v in zip(beta[1:], x, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    cosine = FEATURES.index("cosine")
    print(
        f"second half    average precision {average_precision([(prob(x), y) for x, y in test]):.3f}"
        f" (plain cosine {average_precision([(x[cosine], y) for x, y in test]):.3f})"
    )
    table = to_toml(dict(zip(("bias", *FEATURES), beta, strict=True)))
    print()
    print(table[table.index("[weights]") :])
    if args.write:
        Path(args.write).write_text(table)
        print(f"wrote {args.write}")
    return 0


TABLE = ROOT / "config" / "matching.toml"
HEADER = """\
# Story matching: the weights of the logistic model that scores "this article reports the same
# event as that earlier one" (detectors/matching.py, MatchWeights). The score is a probability;
# an article joins the best story scoring at least WIREWATCH_MATCH_THRESHOLD.
#
# Written by benchmarks/fit_matcher.py, fitted on the first half of a labelled stream (the
# shipped table: the GVA US local-news stream from SemEval-2018 Task 5, kept outside this
# repository) and scored on the second half with benchmarks/matching_gva.py. Refit on a
# labelled stream of your own beat (one JSON article per line, gold story id in gold.incident):
#     python benchmarks/fit_matcher.py YOUR_STREAM.jsonl --write
# then choose WIREWATCH_MATCH_THRESHOLD on the same first half with
#     python benchmarks/matching_gva.py YOUR_STREAM.jsonl --threshold T
# A missing name keeps its built-in default (0 for the newer features); an unknown name stops
# the worker at start.
"""
MEANING = {
    "bias": "",
    "cosine": "idf-weighted cosine over all signature tokens",
    "actors": "... over actors only",
    "places": "... over places only",
    "terms": "... over distinctive words only",
    "surnames": "people's surnames both articles name (counted up to 3)",
    "same_place": "a town both name, by gazetteer id or as written",
    "other_place": "both name towns and none is shared",
    "other_region": "both name states and none is shared",
    "same_day": "event dates equal",
    "next_day": "event dates one day apart",
    "days_2_3": "two or three days apart",
    "days_apart": "more than three days apart",
    "published_gap": "times log(1 + days between the two publications)",
    "same_source": "the same outlet",
    "near_dup": "share of MinHash bands in common (a copy or a rewrite)",
    "same_address": "a street address, street or named venue both name",
    "shared_keys": "distinctive keys both name: full names, addresses, venues (up to 3)",
    "thin": "either article is a stub page",
    "roundup": "either article tallies several incidents (a weekend's shootings)",
}


def to_toml(weights: dict[str, float]) -> str:
    lines = [HEADER, "[weights]"]
    for name, value in weights.items():
        comment = MEANING.get(name, "")
        line = f"{name} = {value:.2f}"
        lines.append(f"{line:24}# {comment}" if comment else line)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
