"""Figure alerts on a labelled stream, with stories taken from the labels: what figure meaning
alone (extraction + the figure detectors) makes of real news, matching left out.

    python benchmarks/figure_alerts.py ../shared/data/gva-dev.jsonl [--dump alerts.jsonl]
    python benchmarks/figure_alerts.py ../shared/data/fakes-dev.jsonl --stories day-location

GVA rows carry their incident (`gold.incident`): that is the story. FA-KES rows carry only a
`location` and a day: reports sharing both are taken as one story (the data set's README says
they are often about one incident). Articles are fed in `published_at` order; after each one
the four figure detectors run on its story, and every alert id is counted once (the worker's
own dedup). Prints alerts per 1,000 articles by kind; --dump writes each alert with its
evidence, for a person to read. The worker's real path (`wirewatch replay`) adds matching on
top: run it too before quoting end-to-end figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import CONFIG_DIR
from config.tables import load_tables
from detectors.conflicts import FigureConflictDetector, FigureUpdateDetector
from detectors.disputes import FigureDisputeDetector
from detectors.inconsistency import FigureInconsistencyDetector
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from detectors.story import Claim, Member, StorySnapshot
from topics import Article

DETECTORS = (
    FigureConflictDetector(),
    FigureUpdateDetector(),
    FigureDisputeDetector(),
    FigureInconsistencyDetector(),
)


def story_of(row: dict, mode: str) -> str:
    if mode == "gold":
        return str(row["gold"]["incident"])
    return f"{row['published_at'][:10]}|{str(row.get('location', '')).lower()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--stories", choices=("gold", "day-location"), default=None)
    parser.add_argument("--dump", type=Path, help="write every alert as a JSON line")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.path.read_text().splitlines() if line.strip()]
    mode = args.stories or ("gold" if rows and "gold" in rows[0] else "day-location")
    if args.limit:
        rows = rows[: args.limit]
    for row in rows:
        when = datetime.fromisoformat(row["published_at"].replace("Z", "+00:00"))
        row["_when"] = when if when.tzinfo else when.replace(tzinfo=UTC)
    rows.sort(key=lambda row: (row["_when"], row["id"]))
    extractor = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG_DIR)))
    members: dict[str, list[Member]] = defaultdict(list)
    claims: dict[str, list[Claim]] = defaultdict(list)
    latest: dict[str, dict[str, str]] = defaultdict(dict)
    sent: dict[str, dict] = {}
    kinds: Counter[str] = Counter()
    for row in rows:
        article = Article(
            id=row["id"],
            source=row["source"],
            published_at=row["_when"],
            title=row.get("title") or "-",
            text=row.get("text") or "-",
        )
        signature = extractor.extract(article)
        story = story_of(row, mode)
        members[story].append(Member.from_signature(signature))
        claims[story].extend(Claim.from_signature(signature))
        snapshot = StorySnapshot(story, tuple(members[story]), tuple(claims[story]), latest[story])
        for detector in DETECTORS:
            for finding in detector.check(snapshot):
                alert = finding.alert
                if alert.id in sent:
                    continue
                sent[alert.id] = json.loads(alert.model_dump_json())
                latest[story][finding.topic] = alert.id
                kinds[alert.kind] += 1
    per_thousand = 1000 / max(1, len(rows))
    print(f"{len(rows)} articles, {len(members)} stories ({mode}); figure alerts:")
    for kind in ("figures.conflict", "figures.updated", "figures.disputed", "figures.inconsistent"):
        print(
            f"  {kind:<22} {kinds[kind]:>4}  ({kinds[kind] * per_thousand:.1f} per 1,000 articles)"
        )
    if args.dump:
        with args.dump.open("w") as handle:
            for alert in sent.values():
                handle.write(json.dumps(alert) + "\n")
        print(f"wrote {len(sent)} alerts to {args.dump}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
