"""The story store, unchanged, on a real 3-master Redis Cluster started from the same binary."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio.cluster import RedisCluster

from detectors.matching import StoryMatcher
from detectors.story import Claim, Member
from topics import Count
from workers.embedded import free_port, redis_binary
from workers.metrics import Metrics
from workers.pipeline import assign_story
from workers.store import StoryStore

pytestmark = pytest.mark.services

T0 = datetime(2026, 3, 14, 7, 40, tzinfo=UTC)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """Three masters on free ports in a temp dir; stopped by PID when the module is done."""
    server = redis_binary()
    cli = str(Path(server).with_name("redis-cli"))
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="wirewatch-cluster-") as tmp:
        ports = [_cluster_port() for _ in range(3)]
        try:
            for port in ports:
                node = Path(tmp) / str(port)
                node.mkdir()
                procs.append(
                    subprocess.Popen(
                        [server, "--port", str(port), "--bind", "127.0.0.1",
                         "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                         "--save", "", "--appendonly", "no", "--dir", str(node)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                    )
                )  # fmt: skip
            for port in ports:
                _wait(lambda p=port: _cli(cli, p, "ping") == "PONG")
            subprocess.run(
                [cli, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
                 "--cluster-replicas", "0", "--cluster-yes"],
                check=True, capture_output=True, timeout=30,
            )  # fmt: skip
            for port in ports:
                _wait(lambda p=port: "cluster_state:ok" in _cli(cli, p, "cluster", "info"))
            yield f"redis://127.0.0.1:{ports[0]}"
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)


def _cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is a valid, free port too.

    Ephemeral ports run up to 60999, so a plain free port fails about a third of the time:
    its bus port would be past 65535 and the node never joins.
    """
    while True:
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def _cli(cli: str, port: int, *args: str) -> str:
    done = subprocess.run([cli, "-p", str(port), *args], capture_output=True, timeout=5)
    return done.stdout.decode().strip()


def _wait(ready: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError("the Redis Cluster did not come up")
        time.sleep(0.05)


def _member(
    aid: str, minutes: int, place: str = "geonames:698740", region: str = "name:odesa-oblast"
) -> Member:
    return Member(
        article_id=aid,
        source=f"{aid}.example",
        published_at=T0 + timedelta(minutes=minutes),
        title="Drones strike port",
        actors=frozenset({"country:RU", "person:petro-marchuk"}),
        places=frozenset({place, region}),
        regions=frozenset({region}),
        stated_regions=frozenset({region}),  # the oblast is named in the text
        terms=frozenset({"drones", "port", "grain", "odesa"}),
    )


def _claim(aid: str) -> Claim:
    count = Count(text="15", low=15, high=15, qualifier="exact", sentence="15 drones.", start=0)
    return Claim(f"{aid}#0", aid, f"{aid}.example", T0, count)


async def test_matching_state_merges_and_alerts_run_on_a_cluster(cluster: str, unique: str) -> None:
    client = RedisCluster.from_url(cluster)
    store = StoryStore(client, Metrics.create(), prefix=f"t{unique}", ttl_seconds=3600)
    matcher = StoryMatcher()
    since = T0 - timedelta(hours=1)

    first = await assign_story(store, matcher, _member("a", 0), [_claim("a")], since)
    second = await assign_story(store, matcher, _member("b", 5), [_claim("b")], since)
    assert second.story_id == first.story_id and second.added
    again = await assign_story(store, matcher, _member("b", 5), [_claim("b")], since)
    assert again.story_id == first.story_id and not again.added
    elsewhere = await assign_story(
        store, matcher, _member("c", 6, "geonames:706483", "name:kharkiv-oblast"), [], since
    )
    assert elsewhere.story_id != first.story_id

    # Two stories of one event (as two workers racing can make): merging crosses slots safely.
    await store.add_article("st-twin", _member("t", 7), [_claim("t")])
    gone = await store.merge("st-twin", first.story_id)
    assert gone.into == first.story_id
    assert await store.final_story("st-twin") == first.story_id
    snap = await store.snapshot(first.story_id)
    assert [m.article_id for m in snap.members] == ["a", "b", "t"]
    assert [c.claim_id for c in snap.claims] == ["a#0", "b#0", "t#0"]

    me = {"owner": "w1", "lease_s": 30.0}
    assert (await store.claim_alert(first.story_id, "ev-1", "al-1", **me)).action == "send"
    await store.alert_sent(first.story_id, "ev-1", "al-1", "story.emerging")
    assert (await store.claim_alert(first.story_id, "ev-1", "al-1", **me)).action == "skip"
    await store.mark_emerging(first.story_id, T0)
    assert await store.counts(since) == (2, 1)
    await client.aclose()


async def test_a_batch_is_placed_on_a_cluster_as_on_one_redis(cluster: str, unique: str) -> None:
    """The batched path (multi-key scripts grouped by hash slot on a cluster) places a batch
    as one at a time does, long memory included, and its alert ledger works there too."""
    from detectors.memory import LongMemory
    from workers.store import AlertRequest, Joining, SentAlert
    from workers.tracking import Item, Step, StoryTracker

    client = RedisCluster.from_url(cluster)
    keys = frozenset({"person:oksana-hlib", "addr:1400-prymorska-st"})
    members = [
        _member("a", 0),
        _member("b", 5),
        _member("c", 6, "geonames:706483", "name:kharkiv-oblast"),
        _member("a", 0),  # delivered twice in one batch
    ]
    members[0] = replace(members[0], keys=keys)
    members[3] = members[0]
    later = Member("trial", "court.example", T0 + timedelta(days=40), "Sentenced",
                   terms=frozenset({"sentenced"}), keys=keys)  # fmt: skip
    window, memory = timedelta(hours=1), LongMemory()

    one = StoryStore(client, Metrics.create(), prefix=f"t{unique}one", ttl_seconds=3600)
    alone = [
        (await assign_story(one, StoryMatcher(), m, [], m.published_at - window, memory=memory))
        .story_id
        for m in [*members, later]
    ]
    store = StoryStore(client, Metrics.create(), prefix=f"t{unique}", ttl_seconds=3600)
    tracker = StoryTracker(store, StoryMatcher(), window=window, memory=memory)

    async def detect(_step: Step) -> None:
        return None

    batch = [Item(i, m, Joining(m, m.to_json(), ())) for i, m in enumerate(members)]
    placed = await tracker.track(batch, detect)
    follow = await tracker.track([Item(9, later, Joining(later, later.to_json(), ()))], detect)
    assert [placed[i].story_id for i in range(4)] + [follow[9].story_id] == alone
    assert alone[0] == alone[1] == alone[3] == alone[4] != alone[2]

    story = alone[0]
    me = {"owner": "w1", "lease_s": 30.0}
    (claim,) = await store.claim_alerts([AlertRequest(story, "ev-1", "al-1")], **me)
    assert claim.action == "send"
    await store.alerts_sent([SentAlert(story, "ev-1", "al-1", "story.emerging", T0)])
    (claim,) = await store.claim_alerts([AlertRequest(story, "ev-1", "al-1")], **me)
    assert claim.action == "skip"
    await client.aclose()
