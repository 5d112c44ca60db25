"""The Redis story store: candidate index, atomic idempotent story updates, alert bookkeeping."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from detectors.story import Claim, Member, StoryProfile, StorySnapshot
from workers.metrics import Metrics

T = TypeVar("T")

# All keys of one story share the hash tag {story_id}, so this script touches one slot and runs
# unchanged on Redis Cluster. It is idempotent per article id: a member already present is a no-op.
_ADD_ARTICLE = """
local members, claims, meta = KEYS[1], KEYS[2], KEYS[3]
local article_id, member_json = ARGV[1], ARGV[2]
local ttl, event_ts = tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('HEXISTS', members, article_id) == 1 then
  return 0
end
redis.call('HSET', members, article_id, member_json)
local i = 5
while i < #ARGV do
  redis.call('HSET', claims, ARGV[i], ARGV[i + 1])
  i = i + 2
end
local last = tonumber(redis.call('HGET', meta, 'last_event_ts') or '0')
if event_ts > last then
  redis.call('HSET', meta, 'last_event_ts', ARGV[4])
end
redis.call('HSETNX', meta, 'created_event_ts', ARGV[4])
redis.call('EXPIRE', members, ttl)
redis.call('EXPIRE', claims, ttl)
redis.call('EXPIRE', meta, ttl)
return 1
"""

AnyRedis = Redis | RedisCluster


def article_key(prefix: str, article_id: str) -> str:
    """Article id -> the story it was assigned to (set once, expires with the window)."""
    return f"{prefix}:article:{{{article_id}}}"


def final_story_sync(client: Any, prefix: str, story_id: str) -> str:
    """The story a story id stands for now (itself until stories merge), for sync callers."""
    return story_id


def replay_key(prefix: str, run_id: str, part: str) -> str:
    """Where the worker records a replay's progress: 'done', 'dead' and 'alerts' sets."""
    return f"{prefix}:replay:{{{run_id}}}:{part}"


class StoryStore:
    """Story state in Redis. Connects lazily through the given client; every call is timed."""

    def __init__(
        self,
        client: AnyRedis,
        metrics: Metrics,
        *,
        prefix: str = "ww",
        ttl_seconds: int = 72 * 3600,
        max_candidates: int = 25,
    ) -> None:
        self._r = client
        self._metrics = metrics
        self._p = prefix
        self._ttl = ttl_seconds
        self._max_candidates = max_candidates
        self._add_article = client.register_script(_ADD_ARTICLE)

    # -- keys -----------------------------------------------------------------------------------
    def _story(self, story_id: str, part: str) -> str:
        return f"{self._p}:story:{{{story_id}}}:{part}"

    def _article(self, article_id: str) -> str:
        return article_key(self._p, article_id)

    def _index(self, token: str) -> str:
        return f"{self._p}:idx:{{{token}}}"

    def _stories(self) -> str:
        return f"{self._p}:stories"

    def _replay(self, run_id: str, part: str) -> str:
        return replay_key(self._p, run_id, part)

    async def _timed(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        started = time.perf_counter()
        try:
            return await call()
        except Exception:
            self._metrics.redis_errors.labels(operation).inc()
            raise
        finally:
            self._metrics.redis_seconds.labels(operation).observe(time.perf_counter() - started)

    async def ping(self) -> bool:
        return bool(await self._timed("ping", self._r.ping))

    # -- matching -------------------------------------------------------------------------------
    @staticmethod
    def index_tokens(member: Member) -> list[str]:
        tokens = [f"a:{a}" for a in member.actors] + [f"p:{p}" for p in member.places]
        tokens += [f"t:{t}" for t in sorted(member.terms)[:12]]
        return sorted(tokens)

    async def story_of(self, article_id: str) -> str | None:
        value = await self._timed("get_article", lambda: self._r.get(self._article(article_id)))
        return value.decode() if isinstance(value, bytes) else value

    async def claim_article(self, article_id: str, story_id: str) -> str:
        """Record the article's story unless one is recorded; return the story that holds."""
        key = self._article(article_id)

        async def claim() -> str:
            if await self._r.set(key, story_id, nx=True, ex=self._ttl):
                return story_id
            held = await self._r.get(key)
            return held.decode() if isinstance(held, bytes) else str(held)

        return await self._timed("claim_article", claim)

    async def candidates(self, member: Member, since: datetime) -> list[StoryProfile]:
        """Active stories sharing an index token with the article, most tokens in common first."""
        tokens = self.index_tokens(member)
        if not tokens:
            return []
        floor = since.timestamp()

        async def fetch() -> list[StoryProfile]:
            pipe = self._r.pipeline(transaction=False)
            for token in tokens:
                pipe.zrangebyscore(self._index(token), floor, "+inf")
            hits: dict[str, int] = {}
            for ids in await pipe.execute():
                for raw in ids:
                    sid = raw.decode() if isinstance(raw, bytes) else raw
                    hits[sid] = hits.get(sid, 0) + 1
            ranked = sorted(hits, key=lambda s: (-hits[s], s))[: self._max_candidates]
            pipe = self._r.pipeline(transaction=False)
            for sid in ranked:
                pipe.hvals(self._story(sid, "members"))
            profiles = []
            for sid, values in zip(ranked, await pipe.execute(), strict=True):
                if values:
                    members = tuple(Member.from_json(v) for v in values)
                    profiles.append(StoryProfile(story_id=sid, members=members))
            return profiles

        return await self._timed("candidates", fetch)

    # -- state ----------------------------------------------------------------------------------
    async def add_article(self, story_id: str, member: Member, claims: Iterable[Claim]) -> bool:
        """Add the article and its claims to the story atomically; False if it was there."""
        args: list[Any] = [
            member.article_id,
            member.to_json(),
            self._ttl,
            member.published_at.timestamp(),
        ]
        for claim in claims:
            args += [claim.claim_id, claim.to_json()]
        keys = [
            self._story(story_id, "members"),
            self._story(story_id, "claims"),
            self._story(story_id, "meta"),
        ]
        added = await self._timed("add_article", lambda: self._add_article(keys=keys, args=args))
        ts = member.published_at.timestamp()

        async def index() -> None:
            # The index is only a hint for matching: one key per token, not atomic with the story.
            pipe = self._r.pipeline(transaction=False)
            for token in self.index_tokens(member):
                # GT keeps the latest event time and still adds new members.
                pipe.zadd(self._index(token), {story_id: ts}, gt=True)
                pipe.expire(self._index(token), self._ttl)
            pipe.zadd(self._stories(), {story_id: ts}, gt=True)
            pipe.expire(self._stories(), self._ttl)
            await pipe.execute()

        await self._timed("index", index)
        return bool(added)

    async def snapshot(self, story_id: str) -> StorySnapshot:
        async def read() -> StorySnapshot:
            # One slot, so a MULTI reads a consistent story even on a cluster.
            pipe = self._r.pipeline(transaction=True)
            pipe.hvals(self._story(story_id, "members"))
            pipe.hvals(self._story(story_id, "claims"))
            pipe.hgetall(self._story(story_id, "latest"))
            members, claims, latest = await pipe.execute()
            return StorySnapshot(
                story_id=story_id,
                members=tuple(
                    sorted((Member.from_json(m) for m in members), key=lambda m: m.article_id)
                ),
                claims=tuple(
                    sorted((Claim.from_json(c) for c in claims), key=lambda c: c.claim_id)
                ),
                latest_alerts={_s(k): _s(v) for k, v in latest.items()},
            )

        return await self._timed("snapshot", read)

    # -- alerts ---------------------------------------------------------------------------------
    async def alert_pending(self, story_id: str, alert_id: str) -> bool:
        """True if this alert still has to be sent: new, or left pending by a crash."""
        key = self._story(story_id, "alerts")

        async def mark() -> bool:
            pipe = self._r.pipeline(transaction=True)
            pipe.hsetnx(key, alert_id, "pending")
            pipe.hget(key, alert_id)
            pipe.expire(key, self._ttl)
            _, state, _ = await pipe.execute()
            return _s(state) == "pending"

        return await self._timed("alert_pending", mark)

    async def alert_sent(self, story_id: str, alert_id: str, topic: str | None) -> None:
        async def mark() -> None:
            pipe = self._r.pipeline(transaction=True)
            pipe.hset(self._story(story_id, "alerts"), alert_id, "sent")
            if topic is not None:
                pipe.hset(self._story(story_id, "latest"), topic, alert_id)
                pipe.expire(self._story(story_id, "latest"), self._ttl)
            await pipe.execute()

        await self._timed("alert_sent", mark)

    # -- gauges ---------------------------------------------------------------------------------
    async def mark_emerging(self, story_id: str, at: datetime) -> None:
        key = f"{self._p}:emerging"

        async def mark() -> None:
            pipe = self._r.pipeline(transaction=False)
            pipe.zadd(key, {story_id: at.timestamp()})
            pipe.expire(key, self._ttl)
            await pipe.execute()

        await self._timed("mark_emerging", mark)

    async def counts(self, since: datetime) -> tuple[int, int]:
        """(active stories, emerging stories) with activity at or after `since` (event time)."""

        async def read() -> tuple[int, int]:
            pipe = self._r.pipeline(transaction=False)
            floor = since.timestamp()
            pipe.zcount(self._stories(), floor, "+inf")
            pipe.zcount(f"{self._p}:emerging", floor, "+inf")
            # Keep the global sets bounded: stories far outside the window are gone from Redis.
            pipe.zremrangebyscore(self._stories(), "-inf", floor - self._ttl)
            pipe.zremrangebyscore(f"{self._p}:emerging", "-inf", floor - self._ttl)
            active, emerging, _, _ = await pipe.execute()
            return int(active), int(emerging)

        return await self._timed("counts", read)

    # -- replay progress ------------------------------------------------------------------------
    async def replay_done(
        self, run_id: str, seq: str, alert_ids: Iterable[str], *, deadlettered: bool = False
    ) -> None:
        async def mark() -> None:
            pipe = self._r.pipeline(transaction=True)
            pipe.sadd(self._replay(run_id, "done"), seq)
            pipe.expire(self._replay(run_id, "done"), 86400)
            if deadlettered:
                pipe.sadd(self._replay(run_id, "dead"), seq)
                pipe.expire(self._replay(run_id, "dead"), 86400)
            ids = list(alert_ids)
            if ids:
                pipe.sadd(self._replay(run_id, "alerts"), *ids)
            pipe.expire(self._replay(run_id, "alerts"), 86400)
            await pipe.execute()

        await self._timed("replay_done", mark)


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
