"""Number-mention labels: list an article's candidate numbers for labelling, and check a label file.

A label points into an article by (set, article id, field, character offset of the number in the
raw field) and gives the mention's role; no article text is stored with it. Sets:

  gva    ../shared/data/gva-dev.jsonl   (pass with --data gva=PATH)
  fakes  ../shared/data/fakes-dev.jsonl (--data fakes=PATH)
  own    benchmarks/labelled/role_articles.jsonl (articles we wrote ourselves; default path)

    python benchmarks/role_labels.py list --data gva=../shared/data/gva-dev.jsonl --set gva ID...
    python benchmarks/role_labels.py check --data gva=... --data fakes=... LABELS.jsonl

`list` prints one JSON line per candidate with an empty "label" for a labeller to fill in, and a
`context` field to read by (strip it before saving: `check` refuses labels that carry text).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROLES = ("not_count", "total", "part", "subgroup", "increment", "background", "hypothetical")
OWN_ARTICLES = Path(__file__).parent / "labelled" / "role_articles.jsonl"
LAB_ARTICLES = Path(__file__).parent / "labelled" / "articles.jsonl"

_WORD = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
)
_SCALE = r"hundred|thousand|million|billion"
# What a labeller is asked about: every written number, digits or words, and vague amounts.
CANDIDATE = re.compile(
    r"\b(?:tens|hundreds) of (?:thousands|millions)\b"
    r"|\b(?:half an? |an? )?dozens?\b"
    r"|\b(?:scores|hundreds|thousands|millions)\b"
    r"|(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?: (?:thousand|million|billion)\b)?"
    r"|(?<![\d.,])\d+(?:\.\d+)?(?: (?:thousand|million|billion)\b)?"
    rf"|\b(?:{_WORD})(?:(?:-| | and )(?:{_WORD}|{_SCALE}))*\b"
    rf"|\b(?:an? )(?:{_SCALE})\b",
    re.IGNORECASE,
)


# Numbers inside a web address are never figures and cleaning drops them: not listed.
_URL = re.compile(r"(?:https?://|www\.)\S{1,2000}")


def candidates(text: str) -> Iterator[tuple[int, str]]:
    """(offset, surface) of every candidate number in raw text, outside web addresses."""
    urls = [match.span() for match in _URL.finditer(text)]
    for match in CANDIDATE.finditer(text):
        if any(start <= match.start() < end for start, end in urls):
            continue
        yield match.start(), match.group(0)


def load_articles(data: dict[str, str]) -> dict[tuple[str, str], dict]:
    """Articles by (set, id) from the data paths given, plus our own article sets."""
    paths = dict(data)
    paths.setdefault("own", str(OWN_ARTICLES))
    paths.setdefault("lab", str(LAB_ARTICLES))
    out: dict[tuple[str, str], dict] = {}
    for name, path in paths.items():
        if not Path(path).exists():
            continue
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    out[(name, row["id"])] = row
    return out


def _parse_data(values: list[str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for value in values:
        name, _, path = value.partition("=")
        if not path:
            raise SystemExit(f"--data wants NAME=PATH, got {value!r}")
        data[name] = path
    return data


def cmd_list(args: argparse.Namespace) -> int:
    articles = load_articles(_parse_data(args.data))
    for article_id in args.ids:
        row = articles.get((args.set, article_id))
        if row is None:
            print(f"no article {article_id!r} in set {args.set!r}", file=sys.stderr)
            return 2
        for field in ("title", "text"):
            text = row[field]
            for offset, surface in candidates(text):
                before = text[max(0, offset - args.before) : offset].replace("\n", " / ")
                after = text[offset + len(surface) : offset + len(surface) + args.after]
                print(
                    json.dumps(
                        {
                            "set": args.set,
                            "article_id": article_id,
                            "field": field,
                            "offset": offset,
                            "surface": surface,
                            "label": "",
                            "context": f"{before}[[{surface}]]{after.replace(chr(10), ' / ')}",
                        },
                        ensure_ascii=False,
                    )
                )
    return 0


def read_labels(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def check(labels: list[dict], articles: dict[tuple[str, str], dict]) -> list[str]:
    """Problems with a label list: bad roles, offsets that do not point at their surface,
    duplicates, copied text. Empty when the labels are usable."""
    problems: list[str] = []
    seen: set[tuple[str, str, str, int]] = set()
    for number, label in enumerate(labels, 1):
        key = (label.get("set"), label.get("article_id"), label.get("field"), label.get("offset"))
        where = f"line {number} ({key[0]}/{key[1]} {key[2]}@{key[3]})"
        if label.get("label") not in ROLES:
            problems.append(f"{where}: label {label.get('label')!r} not one of {ROLES}")
        if "context" in label or "text" in label:
            problems.append(f"{where}: carries article text; keep only the reference")
        if key in seen:
            problems.append(f"{where}: labelled twice")
        seen.add(key)  # type: ignore[arg-type]
        row = articles.get((key[0], key[1]))  # type: ignore[arg-type]
        if row is None:
            problems.append(f"{where}: article not found (pass its set with --data)")
            continue
        text = row.get(key[2] or "", "")
        surface = label.get("surface", "")
        if text[key[3] : key[3] + len(surface)] != surface:  # type: ignore[index,operator]
            problems.append(f"{where}: offset does not point at {surface!r}")
    return problems


def cmd_check(args: argparse.Namespace) -> int:
    articles = load_articles(_parse_data(args.data))
    labels = [label for path in args.labels for label in read_labels(path)]
    problems = check(labels, articles)
    for problem in problems:
        print(problem)
    roles = Counter(label.get("label") for label in labels)
    sets = Counter(label.get("set") for label in labels)
    docs = len({(label.get("set"), label.get("article_id")) for label in labels})
    print(f"{len(labels)} labels over {docs} articles; sets {dict(sets)}; roles {dict(roles)}")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="print an article's candidate numbers to label")
    listing.add_argument("--data", action="append", default=[], metavar="NAME=PATH")
    listing.add_argument("--set", required=True)
    listing.add_argument("--before", type=int, default=160)
    listing.add_argument("--after", type=int, default=100)
    listing.add_argument("ids", nargs="+")
    listing.set_defaults(func=cmd_list)
    checking = sub.add_parser("check", help="validate label files against the articles")
    checking.add_argument("--data", action="append", default=[], metavar="NAME=PATH")
    checking.add_argument("labels", nargs="+")
    checking.set_defaults(func=cmd_check)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
