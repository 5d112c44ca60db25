"""Score the real worker's story assignments (`wirewatch replay --assignments`) on a labelled
stream, with the alerts it printed per 1,000 articles.

Usage:
    wirewatch replay PATH --assignments ASSIGNED.jsonl > ALERTS.jsonl
    python benchmarks/score_assignments.py PATH ASSIGNED.jsonl [--alerts ALERTS.jsonl]

PATH is the JSONL stream the replay read, with a gold story id in `gold.incident` (e.g.
../shared/data/gva-dev.jsonl). Prints what benchmarks/matching_gva.py prints for its own run
(pairwise P/R/F1, B-cubed F1, stories vs gold, follow-ups more than 7 days after their story
joined) for the whole stream and its halves (the second half is the held-out one), and, with
--alerts, the alerts by kind per 1,000 articles and how many figure alerts compare claims from
different gold stories: a matching change that merges look-alike incidents shows there as
invented figure conflicts.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from matching_gva import report_halves  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("assignments", type=Path)
    parser.add_argument("--alerts", type=Path, help="the replay's stdout (one alert per line)")
    args = parser.parse_args(argv)

    rows = [json.loads(line) for line in args.path.read_text().splitlines() if line.strip()]
    rows.sort(key=lambda r: r["published_at"])  # stable, as the replay orders them
    assigned = {
        doc["article_id"]: doc["story_id"]
        for doc in map(json.loads, args.assignments.read_text().splitlines())
    }
    rows = [row for row in rows if row["id"] in assigned]  # dead letters have no story
    gold = {row["id"]: str(row["gold"]["incident"]) for row in rows}
    report_halves(rows, {row["id"]: assigned[row["id"]] for row in rows}, gold)
    if args.alerts is not None:
        alerts = [json.loads(line) for line in args.alerts.read_text().splitlines() if line]
        kinds = collections.Counter(alert["kind"] for alert in alerts)
        # A figure alert whose claims come from articles of different gold stories was made
        # by a wrong match: the conflict is invented, not found.
        mixed = collections.Counter(
            alert["kind"]
            for alert in alerts
            if len({gold.get(c["article_id"]) for c in alert.get("claims") or []}) > 1
        )
        for kind, n in sorted(kinds.items()):
            across = f"; {mixed[kind]} across gold stories" if kind in mixed else ""
            print(
                f"alerts {kind:20} {n:4}  ({1000 * n / len(rows):.1f} per 1,000 articles{across})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
