"""Killed/injured figures, event date and city on the Gun Violence Archive dev set.

Usage: python benchmarks/extraction_gva.py PATH [--limit N] [--show KIND] [--examples N]

PATH is ../shared/data/gva-dev.jsonl (see its README). For each article the extracted killed
(injured) figure is the largest point value among its counts whose action is "killed"
("injured"; with no injured count, the people "shot" less those killed). Against the
incident's final gold figure it is:
  exact    equal to gold (gold 0 and nothing reported also counts as exact)
  under    below gold: an early report may honestly give fewer
  over     above gold: wrong
  missing  nothing reported though gold is above 0
Event date matches when Signature.event_date equals gold date; city matches when a location
names the gold city_or_county. --show killed:over (or date, city) prints failing examples.

Then the figure-role measures (issue 10): of all killed (injured) claims about people that
extraction calls the event's `total`, the share whose interval holds the gold number; and of
the articles whose incident has deaths (injuries), the share with such a claim.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.extraction_common import article, extractor, rows
from topics.signatures import Count, Signature

_PAREN = re.compile(r"\s*\(.*?\)")


def point(count: Count) -> float | None:
    """One number for an interval: exact and lower bounds give low, upper bounds give high."""
    if count.qualifier in ("exact", "lower_bound", "range", "vague") and count.low is not None:
        return count.low
    if count.qualifier == "approximate" and count.low is not None and count.high is not None:
        return round((count.low + count.high) / 2)
    return count.high


def figure(signature: Signature, action: str) -> float | None:
    values = [point(c) for c in signature.counts if c.action == action]
    present = [v for v in values if v is not None]
    return max(present) if present else None


def injured(signature: Signature) -> float | None:
    """The injured figure; failing that, people shot less those killed ("four shot, one
    fatally" is three injured)."""
    direct = figure(signature, "injured")
    if direct is not None:
        return direct
    shot = figure(signature, "shot")
    if shot is None:
        return None
    return max(0.0, shot - (figure(signature, "killed") or 0.0))


_PEOPLE_THINGS = frozenset(
    """person people man woman child boy girl teen teenager victim officer civilian student
    resident adult suspect bystander deputy trooper youth""".split()
)


def people_totals(signature: Signature, action: str) -> list[Count]:
    """The article's total claims of people killed (injured): what alerts compare."""
    return [
        c
        for c in signature.counts
        if c.role == "total"
        and c.action == action
        and (c.thing_key is None or c.thing_key in _PEOPLE_THINGS)
    ]


def holds(count: Count, gold: int) -> bool:
    low = count.low if count.low is not None else float("-inf")
    high = count.high if count.high is not None else float("inf")
    return low <= gold <= high


def grade(found: float | None, gold: int) -> str:
    if found is None:
        return "exact" if gold == 0 else "missing"
    if found == gold:
        return "exact"
    return "under" if found < gold else "over"


def city_key(text: str) -> str:
    text = _PAREN.sub("", text).lower().strip().replace(".", "")
    for short, full in (("st ", "saint "), ("ft ", "fort "), ("mt ", "mount ")):
        if text.startswith(short):
            text = full + text[len(short) :]
    for suffix in (" county", " parish", " township"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text


def city_matches(signature: Signature, gold_city: str) -> bool:
    want = city_key(gold_city)
    if not want:
        return False
    for location in signature.locations:
        names = [location.name, *location.mentions]
        if any(city_key(name) == want for name in names):
            return True
    return False


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--show", default="", help="killed:over, injured:missing, date, city")
    parser.add_argument("--examples", type=int, default=5)
    args = parser.parse_args()

    ex = extractor()
    grades: dict[str, Counter[str]] = {"killed": Counter(), "injured": Counter()}
    dates = cities = total = 0
    # action -> [claims, claims holding gold, articles with gold > 0, of which with a hit]
    roles = {"killed": [0, 0, 0, 0], "injured": [0, 0, 0, 0]}
    shown = 0
    elapsed = 0.0
    for row in rows(args.path, args.limit):
        gold = row["gold"]
        item = article(row)
        started = time.perf_counter()
        signature = ex.extract(item)
        elapsed += time.perf_counter() - started
        total += 1
        outcome: dict[str, str] = {}
        for action, key in (("killed", "num_killed"), ("injured", "num_injured")):
            found = figure(signature, action) if action == "killed" else injured(signature)
            outcome[action] = grade(found, int(gold[key]))
            grades[action][outcome[action]] += 1
        for action, key in (("killed", "num_killed"), ("injured", "num_injured")):
            want = int(gold[key])
            claims = people_totals(signature, action)
            hits = sum(holds(c, want) for c in claims)
            tally = roles[action]
            tally[0] += len(claims)
            tally[1] += hits
            if want > 0:
                tally[2] += 1
                tally[3] += hits > 0
        date_ok = signature.event_date is not None and (
            signature.event_date.isoformat() == gold["date"]
        )
        city_ok = city_matches(signature, gold["city_or_county"])
        dates += date_ok
        cities += city_ok
        wanted = args.show
        failing = (
            (wanted == "date" and not date_ok)
            or (wanted == "city" and not city_ok)
            or (":" in wanted and outcome.get(wanted.split(":")[0]) == wanted.split(":")[1])
        )
        if failing and shown < args.examples:
            shown += 1
            print("=" * 100)
            print(row["id"], row["published_at"], gold)
            print("TITLE:", row["title"])
            print("TEXT:", item.text[:1500].replace("\n", " / "))
            print(
                "EVENT DATE:",
                signature.event_date,
                [(d.text, str(d.date)) for d in signature.dates][:8],
            )
            print("LOCATIONS:", [(loc.name, loc.level, loc.within) for loc in signature.locations])
            for count in signature.counts:
                print(
                    f"  COUNT {count.text!r} [{count.low},{count.high}] {count.thing_key} "
                    f"{count.action} | {count.sentence[:140]}"
                )
    if not total:
        print("no articles")
        return 1
    print(f"articles: {total}  extraction: {total / elapsed:.0f} articles/s")
    for action in ("killed", "injured"):
        g = grades[action]
        share = "  ".join(
            f"{k} {100 * g[k] / total:5.1f}%" for k in ("exact", "under", "over", "missing")
        )
        print(
            f"{action:8s} {share}  (exact or under {100 * (g['exact'] + g['under']) / total:.1f}%)"
        )
    for action in ("killed", "injured"):
        claims, hits, articles, covered = roles[action]
        print(
            f"{action} total claims about people holding the gold number: {hits}/{claims} = "
            f"{hits / max(1, claims):.3f} (target >= 0.90); articles with {action} > 0 that "
            f"have one: {covered}/{articles} = {covered / max(1, articles):.3f} (target >= 0.70)"
        )
    print(f"event date matches gold: {100 * dates / total:.1f}%")
    print(f"city matches gold:       {100 * cities / total:.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
