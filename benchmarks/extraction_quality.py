"""Precision, recall and F1 per signature field on a hand-labelled set, and articles/s.

Usage: python benchmarks/extraction_quality.py benchmarks/labelled/articles.jsonl [--show FIELD]

Each JSONL row is an article plus `gold`:
  actors      actor ids ("country:RU", "gov:KP", "person:oleh-syniehubov", "org:nato")
  places      canonical place names ("Kharkiv", "Sumy region", "Obolon district")
  figures     {low, high, thing_key, action, approx}: the interval an editor reads (null is
              unbounded; approx marks "about N", written as low = high = N)
  event_date  the day the article is mainly about; dates: every day-level date it names
Scoring: actors by id (also split into people, "person:" ids, and organisations, "org:" and
"group:" ids, so organisation recall shows on its own); places by name (location name or any
surface form, with region/oblast/province read alike); figures one-to-one by action, thing
and a compatible interval; dates as the set of day-level dates. --show FIELD prints the
misses for one field.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.extraction_common import article, extractor, rows
from topics.signatures import Count, Signature

_REGION = {"oblast": "region", "province": "region", "governorate": "region"}


def place_key(name: str) -> str:
    words = name.lower().replace("-", " ").split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(_REGION.get(word, word) for word in words)


def _close(a: float | None, b: float | None) -> bool:
    if a in (None, 0.0) and b in (None, 0.0):
        return True
    if a is None or b is None:
        return False
    return abs(a - b) <= max(0.5, 0.01 * abs(b))


def figure_matches(count: Count, gold: dict[str, Any]) -> bool:
    if count.action != gold["action"]:
        return False
    if gold["thing_key"] is not None and count.thing_key != gold["thing_key"]:
        return False
    if gold.get("approx"):
        value = float(gold["low"])
        low = count.low if count.low is not None else 0.0
        high = count.high if count.high is not None else float("inf")
        return low <= value <= high and high - low <= 0.25 * value
    return _close(count.low, gold["low"]) and _close(count.high, gold["high"])


class Score:
    """Counts of true positives, false positives and false negatives for one field."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add_sets(self, found: Iterable[str], gold: Iterable[str]) -> tuple[set[str], set[str]]:
        found_set, gold_set = set(found), set(gold)
        self.tp += len(found_set & gold_set)
        self.fp += len(found_set - gold_set)
        self.fn += len(gold_set - found_set)
        return found_set - gold_set, gold_set - found_set

    def line(self, name: str) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return (
            f"{name:8s} P {p:.3f}  R {r:.3f}  F1 {f1:.3f}  (tp {self.tp} fp {self.fp} fn {self.fn})"
        )


def score_figures(score: Score, signature: Signature, gold: list[dict[str, Any]]) -> list[str]:
    unmatched = list(signature.counts)
    misses: list[str] = []
    for item in gold:
        hit = next((c for c in unmatched if figure_matches(c, item)), None)
        if hit is None:
            score.fn += 1
            misses.append(f"missed {item}")
        else:
            score.tp += 1
            unmatched.remove(hit)
    score.fp += len(unmatched)
    misses += [f"extra {c.text!r} [{c.low},{c.high}] {c.thing_key} {c.action}" for c in unmatched]
    return misses


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("path", type=Path)
    parser.add_argument(
        "--show", default="", help="actors, people, orgs, places, figures or dates"
    )
    parser.add_argument("--repeat", type=int, default=20, help="timing passes over the set")
    args = parser.parse_args()

    data = list(rows(args.path))
    articles = [article(row) for row in data]
    ex = extractor()
    scores = {
        name: Score() for name in ("actors", "people", "orgs", "places", "figures", "dates")
    }
    events = 0
    for row, item in zip(data, articles, strict=True):
        gold = row["gold"]
        signature = ex.extract(item)
        misses: dict[str, list[str]] = {}
        extra, missed = scores["actors"].add_sets((a.id for a in signature.actors), gold["actors"])
        misses["actors"] = [f"extra {x}" for x in sorted(extra)] + [f"missed {x}" for x in missed]
        for name, prefixes in (("people", ("person:",)), ("orgs", ("org:", "group:"))):
            extra, missed = scores[name].add_sets(
                (a.id for a in signature.actors if a.id.startswith(prefixes)),
                (a for a in gold["actors"] if a.startswith(prefixes)),
            )
            misses[name] = [f"extra {x}" for x in sorted(extra)] + [f"missed {x}" for x in missed]
        found_places: set[str] = set()
        gold_places = {place_key(name) for name in gold["places"]}
        for location in signature.locations:
            keys = {place_key(location.name), *(place_key(m) for m in location.mentions)}
            found_places.add(next(iter(sorted(keys & gold_places)), place_key(location.name)))
        extra, missed = scores["places"].add_sets(found_places, gold_places)
        misses["places"] = [f"extra {x}" for x in sorted(extra)] + [f"missed {x}" for x in missed]
        misses["figures"] = score_figures(scores["figures"], signature, gold["figures"])
        day_dates = (d.date.isoformat() for d in signature.dates if d.granularity == "day")
        extra, missed = scores["dates"].add_sets(day_dates, gold["dates"])
        misses["dates"] = [f"extra {x}" for x in sorted(extra)] + [f"missed {x}" for x in missed]
        event_ok = signature.event_date is not None and (
            signature.event_date.isoformat() == gold["event_date"]
        )
        events += event_ok
        if not event_ok:
            misses["dates"].append(f"event {signature.event_date} != {gold['event_date']}")
        if args.show and misses.get(args.show):
            print(f"{row['id']} {row['title']}: {'; '.join(misses[args.show])}")

    started = time.perf_counter()
    for _ in range(args.repeat):
        for item in articles:
            ex.extract(item)
    elapsed = time.perf_counter() - started
    print(f"articles: {len(articles)}")
    for name, score in scores.items():
        print(score.line(name))
    print(f"event date accuracy {events / len(articles):.3f}")
    print(f"speed {args.repeat * len(articles) / elapsed:.0f} articles/s (short labelled articles)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
