"""Ours vs dateparser.search_dates (dates) and quantulum3 (figures) on the same texts.

Usage: python benchmarks/extraction_compare.py PATH [--limit N]

PATH is either the labelled set (benchmarks/labelled/articles.jsonl: gold dates and figures)
or ../shared/data/gva-dev.jsonl (gold incident date and killed/injured figures).
Dates, labelled set: P/R/F1 of the set of day-level dates each article names.
Dates, GVA: accuracy of the event date (search_dates: its first date, as a user would take).
Figures, labelled set: P/R/F1 of the numbers counted (gold figures with a single value;
  quantulum3 gives every quantity, ours the point value of every exact/approximate count).
Figures, GVA: share of articles whose killed and injured gold values are among the values
  found, and values found per article (a crude precision proxy).
Each tool is timed alone over the same texts (articles/s).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.extraction_common import article, extractor, rows
from detectors.cleaning import normalise, tokenize
from detectors.dates import find_dates
from topics.articles import Article
from topics.signatures import Signature


def prf(tp: int, fp: int, fn: int) -> str:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return f"P {p:.3f} R {r:.3f} F1 {f1:.3f}"


def timed(items: list[Article], run: Callable[[Article], Any]) -> tuple[list[Any], float]:
    started = time.perf_counter()
    out = [run(item) for item in items]
    return out, len(items) / (time.perf_counter() - started)


def our_values(signature: Signature) -> set[float]:
    values: set[float] = set()
    for count in signature.counts:
        if count.qualifier == "exact" and count.low is not None:
            values.add(count.low)
        elif count.qualifier == "approximate" and count.low is not None and count.high:
            values.add(round((count.low + count.high) / 2))
    return values


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("--limit", type=int, default=300)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")

    import dateparser.search

    try:
        from quantulum3 import parser as qparser
    except ImportError:  # pragma: no cover - reported, not fatal
        qparser = None

    data = list(rows(args.path, args.limit))
    items = [article(row) for row in data]
    labelled = "dates" in data[0]["gold"]
    ex = extractor()
    for item in items[:5]:
        ex.extract(item)  # warm up, as a running worker is

    ours, ours_rate = timed(items, ex.extract)

    def our_dates(item: Article) -> int:
        # The date stage alone, on the same raw text search_dates gets: like for like.
        text = normalise(item.text)
        return len(find_dates(text, item.published_at, tokenize(text)))

    _, our_dates_rate = timed(items, our_dates)

    def search(item: Article) -> list[date]:
        settings = {
            "RELATIVE_BASE": item.published_at.replace(tzinfo=None),
            "PREFER_DATES_FROM": "past",
        }
        try:
            found = dateparser.search.search_dates(item.text, languages=["en"], settings=settings)  # type: ignore[arg-type]
        except Exception:
            return []
        return [value.date() for _, value in (found or []) if isinstance(value, datetime)]

    theirs_dates, dates_rate = timed(items, search)

    def quantities(item: Article) -> set[float]:
        if qparser is None:
            return set()
        try:
            return {float(q.value) for q in qparser.parse(item.text)}
        except Exception:
            return set()

    theirs_values, q_rate = timed(items, quantities)

    print(f"articles: {len(items)} ({'labelled set' if labelled else 'GVA'})")
    if labelled:
        scores = {"ours": [0, 0, 0], "search_dates": [0, 0, 0]}
        for row, signature, found in zip(data, ours, theirs_dates, strict=True):
            gold = set(row["gold"]["dates"])
            for name, got in (
                ("ours", {d.date.isoformat() for d in signature.dates if d.granularity == "day"}),
                ("search_dates", {d.isoformat() for d in found}),
            ):
                scores[name][0] += len(got & gold)
                scores[name][1] += len(got - gold)
                scores[name][2] += len(gold - got)
        print(f"dates   ours          {prf(*scores['ours'])}  {ours_rate:8.0f} articles/s")
        print(f"dates   search_dates  {prf(*scores['search_dates'])}  {dates_rate:8.0f} articles/s")
        fig = {"ours": [0, 0, 0], "quantulum3": [0, 0, 0]}
        for row, signature, values in zip(data, ours, theirs_values, strict=True):
            gold_values = {
                float(f["low"])
                for f in row["gold"]["figures"]
                if f["low"] is not None and f["low"] == f["high"]
            }
            for name, got in (("ours", our_values(signature)), ("quantulum3", values)):
                fig[name][0] += len(got & gold_values)
                fig[name][1] += len(got - gold_values)
                fig[name][2] += len(gold_values - got)
        print(f"figures ours          {prf(*fig['ours'])}  {ours_rate:8.0f} articles/s")
        print(
            f"figures quantulum3    {prf(*fig['quantulum3'])}  {q_rate:8.0f} articles/s"
            + ("" if qparser else "  (quantulum3 not installed)")
        )
    else:
        ours_ok = theirs_ok = 0
        for row, signature, found in zip(data, ours, theirs_dates, strict=True):
            gold = row["gold"]["date"]
            ours_ok += signature.event_date is not None and signature.event_date.isoformat() == gold
            theirs_ok += bool(found) and found[0].isoformat() == gold
        n = len(items)
        print(f"event date  ours          accuracy {ours_ok / n:.3f}  {ours_rate:8.0f} articles/s")
        print(
            f"event date  search_dates  accuracy {theirs_ok / n:.3f}  {dates_rate:8.0f} articles/s"
        )
        for name, values_of in (
            ("ours", [our_values(s) for s in ours]),
            ("quantulum3", theirs_values),
        ):
            hits = total = found_values = 0
            for row, values in zip(data, values_of, strict=True):
                found_values += len(values)
                for key in ("num_killed", "num_injured"):
                    gold_value = int(row["gold"][key])
                    if gold_value > 0:
                        total += 1
                        hits += float(gold_value) in values
            rate = ours_rate if name == "ours" else q_rate
            print(
                f"figures {name:12s} killed/injured value found {hits / total:.3f}  "
                f"values/article {found_values / n:.1f}  {rate:8.0f} articles/s"
            )
    print(f"dates stage alone (normalise + tokenize + find_dates): {our_dates_rate:.0f} articles/s")
    print(
        f"speed ratio: whole extractor {ours_rate / dates_rate:.0f}x search_dates and "
        f"{ours_rate / q_rate:.0f}x quantulum3; date stage {our_dates_rate / dates_rate:.0f}x "
        "search_dates"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
