"""The seed story: five versions of one wire story, as one story, through extraction and the
figure detectors. Prints each version's total figures and every figure alert.

    python benchmarks/seed_story.py ../shared/seeds

Expected: the "up to a dozen" vs "dozens" drones conflict fires; the troop figures ("up to",
"as many as", "approximately 12,000") and the 83 / 55 / 35 / 20 / 11 drone figures raise no
conflict (the original's parts exceeding its whole is a `figures.inconsistent`).
Each file is taken as one article: its first line is the title, the rest the text, all
published on the story's day an hour apart, in file order.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.figure_alerts import DETECTORS
from config.settings import CONFIG_DIR
from config.tables import load_tables
from detectors.lexicon import Lexicon
from detectors.signature import SignatureExtractor
from detectors.story import Claim, Member, StorySnapshot
from topics import Article

DAY = datetime(2024, 11, 16, 8, 0, tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    files = sorted(p for p in Path(args[0]).glob("*.txt"))
    extractor = SignatureExtractor(Lexicon.from_tables(load_tables(CONFIG_DIR)))
    members: list[Member] = []
    claims: list[Claim] = []
    for hour, path in enumerate(files):
        title, _, text = path.read_text(encoding="utf-8").partition("\n")
        article = Article(
            id=path.stem,
            source=f"{path.stem}.seed",
            published_at=DAY + timedelta(hours=hour),
            title=title.strip() or path.stem,
            text=text.strip() or title,
        )
        signature = extractor.extract(article)
        members.append(Member.from_signature(signature))
        claims.extend(Claim.from_signature(signature))
        print(f"== {path.name}")
        for count in signature.counts:
            if count.role != "total" or count.action is None:
                continue
            print(
                f"   total {count.text!r} [{count.low}, {count.high}] {count.thing_key} "
                f"{count.action} place={count.place} ({count.decided_by} {count.confidence} "
                f"{count.section})"
            )
    story = StorySnapshot("seed", tuple(members), tuple(claims))
    print("\nalerts:")
    for detector in DETECTORS:
        for finding in detector.check(story):
            print(f"  {finding.alert.kind}: {finding.alert.summary[:220]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
