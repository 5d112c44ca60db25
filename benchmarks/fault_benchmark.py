"""Faults against real workers on a real stream: what is lost, doubled or sent twice.

Usage: python benchmarks/fault_benchmark.py PATH [--limit N] [--hostile 10000] [--only NAME]

PATH is a JSONL file of articles (id, source, published_at, title, text), e.g.
../shared/data/gva-dev.jsonl. Starts an embedded broker and a redis-server with an append-only
file (fsync always: the harness counts finished inputs in Redis), then runs the stream in
published_at order through `wirewatch run` worker processes once per fault:

  worker kill      kill -9 of the worker at 40 %, restarted at once (one partition)
  five kills       kill -9 at 15, 30, 45, 60 and 75 %, restarted each time (one partition)
  one of two       two workers on two partitions, one killed at 40 % (the other takes over)
  redis restart    redis-server killed at 40 % and restarted 2 s later (one partition)
  hostile          N generated hostile inputs among the first articles (one partition)

and prints, per fault: inputs, lost (no outcome), two outcomes, doubled (an article in two
live stories), duplicate alert ids, agent restarts, stall after each fault (seconds until
every partition with work left moved again), and whether the alerts are those of an
undisturbed run (one-partition faults only: across partitions the order, and so matching,
differs). Target: all zero; stall <= 10 s after a worker kill.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.faults import (  # noqa: E402
    Fleet,
    OwnRedis,
    Progress,
    Report,
    account,
    fleet,
    produce,
    run_env,
)
from tests.integration.recording import undisturbed_alert_ids  # noqa: E402
from topics import InvalidArticle, parse_article  # noqa: E402
from workers.embedded import EmbeddedServices  # noqa: E402

Fault = Callable[[Fleet], None]


def load(path: Path, limit: int) -> list[bytes]:
    """The file's articles in published_at order (as `wirewatch replay` sends them)."""
    keyed = []
    for index, line in enumerate(path.read_bytes().splitlines()):
        if not line.strip():
            continue
        try:
            article = parse_article(line)
        except InvalidArticle:
            continue
        keyed.append((article.published_at, index, line))
    keyed.sort(key=lambda item: (item[0], item[1]))
    lines = [line for _, _, line in keyed]
    return lines[:limit] if limit else lines


def hostile_inputs(count: int, seed: int = 12) -> list[bytes]:
    """`count` inputs a careless or hostile producer could send; a few are valid but odd."""
    rng = random.Random(seed)
    now = datetime.now(UTC)

    def doc(**fields: object) -> dict[str, object]:
        base: dict[str, object] = {
            "id": f"h-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}",
            "source": f"h{rng.getrandbits(32):x}.example",
            "published_at": "2016-05-04T10:00:00Z",
            "title": "A title",
            "text": "Police said 3 people were hurt.",
        }
        base.update(fields)
        return base

    def enc(d: object) -> bytes:
        return json.dumps(d).encode()

    def words(n: int) -> str:
        # Each odd article its own words (and below, its own outlet): hundreds of near-identical
        # articles make one ever-growing story whose every update costs more, a different
        # fault from the ones measured here (see the report on issue 12).
        own = [f"w{rng.getrandbits(40):x}" for _ in range(12)]
        return " ".join(
            str(rng.randint(1, 500)) if rng.random() < 0.15 else rng.choice(own)
            for _ in range(n)
        )

    makers: list[Callable[[], bytes]] = [
        lambda: rng.randbytes(rng.randint(0, 300)),
        lambda: enc(doc()).replace(b"hurt", b"hurt \xff\xfe"),
        lambda: b"{" + rng.randbytes(20),
        lambda: enc(rng.choice([[1, 2], 7, "text", None, True])),
        lambda: enc({k: v for k, v in doc().items() if k != rng.choice(list(doc()))}),
        lambda: enc(doc(**{rng.choice(["id", "source", "title", "text"]): rng.choice(["", " "])})),
        lambda: enc(doc(**{rng.choice(["id", "source", "title", "text", "published_at"]):
                           rng.choice([7, 1.5, [1], {"a": 1}, True, None])})),
        lambda: enc(doc(published_at=rng.choice(["yesterday", "14/03/2026", "2016-05-04T10:00",
                                                 "2016-13-45", "", "0000-00-00"]))),
        lambda: enc(doc(published_at=rng.choice(["9999-12-31T23:00:00-05:00",
                                                 "0001-01-01T00:30:00+01:00",
                                                 "1969-07-20T20:17:00Z",
                                                 (now + timedelta(days=rng.randint(2, 3000)))
                                                 .isoformat()]))),
        lambda: b'{"id": "n", "count": ' + b"9" * rng.randint(4301, 50_000) + b"}",
        lambda: b'{"id": "d", "x": ' + b"[" * (n := rng.randint(65, 100_000)) + b"]" * n + b"}",
        lambda: enc(doc(title="x")).replace(b'"x"', b'"\\ud800"'),
        lambda: enc(doc(schema_version=rng.choice([2, "1", 0, 1.5]))),
        # Valid but odd: no full stops, very long titles, control characters, huge text.
        lambda: enc(doc(text=words(rng.randint(500, 4000)))),
        lambda: enc(doc(title="T" * rng.randint(1000, 50_000), text=words(50))),
        lambda: enc(doc(text="\x00\x01 " + words(30) + " \u202e\ufeff")),
    ]
    out = [rng.choice(makers)() for _ in range(count)]
    # A few over the size limit (a dead letter of those cannot carry them whole).
    for i in range(0, count, max(1, count // 10)):
        out[i] = enc(doc(text="x" * 1_050_000))
    return out


def run(
    name: str,
    services: EmbeddedServices,
    own: OwnRedis,
    values: list[bytes],
    faults: list[tuple[float, Fault]],
    *,
    workers: int = 1,
    partitions: int = 1,
) -> tuple[Report, list[float | None], float]:
    assert services.kafka_url is not None
    unique = f"{name.replace(' ', '')}{uuid.uuid4().hex[:6]}"
    env = run_env(services.kafka_url, own.url, unique,
                  WIREWATCH_ARTICLE_PARTITIONS=str(partitions))  # fmt: skip
    client = redis.Redis.from_url(own.url)
    started = time.monotonic()
    with fleet(env) as f:
        for _ in range(workers):
            f.start()
        produced = produce(services.kafka_url, f"t{unique}.articles", values,
                           run_id=unique, partition_of=lambda i: i % partitions)  # fmt: skip
        progress = Progress(client, f"t{unique}", produced)
        marks = []
        for fraction, fault in faults:
            if not progress.wait_for(int(len(values) * fraction), 1800):
                break
            marks.append(progress.fault(lambda fault=fault: fault(f)))
        finished = progress.wait_for(len(values), 1800)
        if not finished:
            print(f"  {name}: timed out with {progress.poll()} of {len(values)} finished",
                  file=sys.stderr)  # fmt: skip
        stalls = [progress.stall_after(at) for at in marks]
        report = account(services.kafka_url, client, f"t{unique}.", f"t{unique}", values,
                         produced)  # fmt: skip
        report.agent_restarts = f.agent_restarts()
    client.close()
    return report, stalls, time.monotonic() - started


HEADER = (
    f"{'fault':14} {'inputs':>6} {'lost':>5} {'two':>4} {'doubled':>7} {'dup ids':>7} "
    f"{'restarts':>8} {'alerts':>6} {'same alerts':>14}  stall after each fault (s)"
)


def _print_row(
    name: str, report: Report, stalls: list[float | None], took: float, same: str, file: Any
) -> None:
    stall = ", ".join("never" if s is None else f"{s:.1f}" for s in stalls) or "-"
    print(
        f"{name:14} {report.inputs:>6} {report.lost:>5} {report.two_outcomes:>4} "
        f"{report.doubled:>7} {report.duplicate_alert_ids:>7} {report.agent_restarts:>8} "
        f"{len(report.alert_ids):>6} {same:>14}  {stall}   [{took:.0f} s]",
        file=file,
        flush=True,
    )


@contextmanager
def _stopping(own: OwnRedis) -> Iterator[None]:
    try:
        yield
    finally:
        own.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)  # fmt: skip
    parser.add_argument("path", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="only the first N articles")
    parser.add_argument("--hostile", type=int, default=10_000, help="hostile inputs (10,000)")
    parser.add_argument("--only", action="append", help="run only these faults (repeatable)")
    args = parser.parse_args()

    stream = load(args.path, args.limit)
    own = OwnRedis()
    own.start()
    rows = []
    with EmbeddedServices(want_redis=False) as services, _stopping(own):
        print(f"stream: {len(stream)} articles from {args.path}", file=sys.stderr)
        t0 = time.monotonic()
        baseline = set(asyncio.run(undisturbed_alert_ids(own.url, "baseline", [stream])))
        print(f"undisturbed run: {len(baseline)} alerts in {time.monotonic() - t0:.0f} s",
              file=sys.stderr)  # fmt: skip

        def kill_restart(f: Fleet) -> None:
            f.kill(f.procs[-1])
            f.start()

        def bounce_redis(_f: Fleet) -> None:
            own.kill()
            time.sleep(2.0)
            own.start()

        mixed: list[bytes] = []
        good = iter(stream[:300])
        for i, bad in enumerate(hostile_inputs(args.hostile)):
            if i % 30 == 0:
                mixed.append(next(good, bad))
            mixed.append(bad)
        plans: list[tuple[str, list[bytes], list[tuple[float, Fault]], int, int, bool]] = [
            ("worker kill", stream, [(0.4, kill_restart)], 1, 1, True),
            ("five kills", stream, [(f, kill_restart) for f in (0.15, 0.3, 0.45, 0.6, 0.75)],
             1, 1, True),
            ("one of two", stream, [(0.4, lambda f: f.kill(f.procs[0]))], 2, 2, False),
            ("redis restart", stream, [(0.4, bounce_redis)], 1, 1, True),
            ("hostile", mixed, [], 1, 1, False),
        ]  # fmt: skip
        for name, values, faults, workers, partitions, compare in plans:
            if args.only and name not in args.only:
                continue
            print(f"running: {name} ({len(values)} inputs)", file=sys.stderr)
            report, stalls, took = run(name, services, own, values, faults, workers=workers,
                                       partitions=partitions)  # fmt: skip
            same = "yes" if report.alert_ids == baseline else (
                f"no ({len(report.alert_ids ^ baseline)} differ)")  # fmt: skip
            rows.append((name, report, stalls, took, same if compare else "n/a"))
            _print_row(*rows[-1], file=sys.stderr)
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(report.alert_kinds.items()))
            print(f"  {name} alerts by kind: {kinds}", file=sys.stderr)
            if name == "hostile":
                reasons = ", ".join(f"{r} {n}" for r, n in report.reasons.most_common())
                print(f"  hostile dead letters by reason: {reasons}", file=sys.stderr)

    print(HEADER)
    for row in rows:
        _print_row(*row, file=sys.stdout)
    print("lost: no signature and no dead letter; two: a signature and a dead letter, or dead "
          "letters of two reasons; doubled: an article in two live stories; dup ids: alert "
          "records sharing an id")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
