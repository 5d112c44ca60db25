"""The Redis story store: candidate index, atomic idempotent story updates, alert bookkeeping."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from detectors.matching import TermStats
from detectors.memory import CARD_MEMBERS, Recall
from detectors.memory import card as memory_card
from detectors.story import Claim, Member, StoryProfile, StorySnapshot
from workers.metrics import Metrics

T = TypeVar("T")

# All keys of one story share the hash tag {story_id}, so each script touches one slot and runs
# unchanged on Redis Cluster. Adding is idempotent per article id (a member already present is a
# no-op) and refused once the story was merged away: the caller follows the redirect it returns.
_ADD_MEMBERS = """
local members, claims, meta, redirect = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local target = redis.call('GET', redirect)
if target then
  return {'redirect', target}
end
local ttl, n_members = tonumber(ARGV[1]), tonumber(ARGV[2])
local added = 0
local i = 3
for _ = 1, n_members do
  local article_id, member_json, event_ts = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local n_claims = tonumber(ARGV[i + 3])
  i = i + 4
  if redis.call('HSETNX', members, article_id, member_json) == 1 then
    added = added + 1
    for _ = 1, n_claims do
      redis.call('HSET', claims, ARGV[i], ARGV[i + 1])
      i = i + 2
    end
    local last = tonumber(redis.call('HGET', meta, 'last_event_ts') or '-1e18')
    if tonumber(event_ts) > last then
      redis.call('HSET', meta, 'last_event_ts', event_ts)
    end
    local first = tonumber(redis.call('HGET', meta, 'created_event_ts') or '1e18')
    if tonumber(event_ts) < first then
      redis.call('HSET', meta, 'created_event_ts', event_ts)
    end
  else
    i = i + 2 * n_claims
  end
end
redis.call('EXPIRE', members, ttl)
redis.call('EXPIRE', claims, ttl)
redis.call('EXPIRE', meta, ttl)
return {'added', tostring(added)}
"""

# Marks a story as merged into another and hands back everything it held, in one step on its
# slot: after this no article can join it (the add script sees the redirect), so the copy the
# caller makes into the survivor is complete. Running it twice returns the same target.
_ABSORB = """
local members, claims, redirect, alerts, latest = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local target = redis.call('GET', redirect)
if not target then
  target = ARGV[1]
  redis.call('SET', redirect, target, 'EX', tonumber(ARGV[2]))
end
return {target, redis.call('HVALS', members), redis.call('HVALS', claims),
        redis.call('HGETALL', alerts), redis.call('HGETALL', latest)}
"""

# The alert ledger of a story: evidence key -> 'sent|<alert id>' or
# 'pending|<owner>|<lease end, ms>|<alert id>'. A worker takes a key to send its alert; another
# worker finding it pending waits for the owner to finish or its lease to end (a crash
# leftover), then sends under the same id. Time is the server's, so workers' clocks do not
# matter. Replies: {'send', id}, {'skip', ''} or {'wait', ms}.
_CLAIM_ALERT = """
local alerts = KEYS[1]
local field, alert_id, owner = ARGV[1], ARGV[2], ARGV[3]
local lease, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function take(id)
  redis.call('HSET', alerts, field, 'pending|' .. owner .. '|' .. (now + lease) .. '|' .. id)
  redis.call('EXPIRE', alerts, ttl)
  return {'send', id}
end
local cur = redis.call('HGET', alerts, field)
if not cur then return take(alert_id) end
if string.sub(cur, 1, 4) == 'sent' then return {'skip', ''} end
local p_owner, p_until, p_id = string.match(cur, '^pending|([^|]*)|([^|]*)|(.+)$')
if not p_owner then return take(alert_id) end
if p_owner == owner or now >= tonumber(p_until) then return take(p_id) end
return {'wait', tostring(tonumber(p_until) - now)}
"""

# After a merge: the absorbed story's ledger and latest alerts go into the survivor, so an
# alert sent under the absorbed story is not sent again. 'sent' wins over 'pending'; the
# survivor's own latest alert on a topic wins over the absorbed one's.
_ADOPT_ALERTS = """
local alerts, latest = KEYS[1], KEYS[2]
local ttl, n = tonumber(ARGV[1]), tonumber(ARGV[2])
local i = 3
for _ = 1, n do
  local field, value = ARGV[i], ARGV[i + 1]
  i = i + 2
  local cur = redis.call('HGET', alerts, field)
  if not cur or (string.sub(value, 1, 4) == 'sent' and string.sub(cur, 1, 4) ~= 'sent') then
    redis.call('HSET', alerts, field, value)
  end
end
while i < #ARGV do
  redis.call('HSETNX', latest, ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('EXPIRE', alerts, ttl)
redis.call('EXPIRE', latest, ttl)
return n
"""

# Redirect chains are short (a survivor is always the older story); this bounds a bad loop.
_MAX_REDIRECTS = 16

# Per source: per paragraph fingerprint "stories|last story|articles", and the set known as
# furniture. A paragraph is furniture once it was seen in `need` articles spread over at least
# two stories (from a source's first few articles on), or in `need` stories: a story's own
# paragraphs, repeated in one outlet's updates of it, stay story. All keys share the source's
# hash tag; the count hash is capped, and they expire when idle. Each article is counted once
# (a redelivery after a crash must not learn twice): `seen` holds the article ids counted,
# scored by when they were counted (wall clock: redeliveries are recent in processing order, not
# in event time; a replay spanning months, one partition ahead of another, must not forget an
# article it may be handed again) and trimmed to the latest 5,000 per source. A value written
# by an older worker ("n|story") reads as n stories and n articles. `tipped` names, per
# fingerprint learned, the article whose count made it furniture: that article, redelivered, is
# read without it, as it was the first time. Returns how many paragraphs became furniture.
_OBSERVE_FURNITURE = """
local counts, known, seen, tipped = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local story, need, cap, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local article, counted_at = ARGV[5], tonumber(ARGV[6])
if redis.call('ZADD', seen, 'NX', counted_at, article) == 0 then
  return -1
end
redis.call('ZREMRANGEBYRANK', seen, 0, -5001)
redis.call('EXPIRE', seen, ttl)
local size = redis.call('HLEN', counts)
local learned = 0
for i = 7, #ARGV do
  local fp = ARGV[i]
  local cur = redis.call('HGET', counts, fp)
  if cur then
    local ns, last, na, last_article = string.match(cur, '^(%d+)|([^|]*)|?(%d*)|?(.*)$')
    ns = tonumber(ns)
    na = tonumber(na) or ns
    if last_article ~= article then
      na = na + 1
      if last ~= story then ns = ns + 1 end
      redis.call('HSET', counts, fp, ns .. '|' .. story .. '|' .. na .. '|' .. article)
      if ns >= need or (ns >= 2 and na >= need) then
        if redis.call('SADD', known, fp) == 1 then
          learned = learned + 1
          redis.call('HSET', tipped, fp, article)
        end
      end
    end
  elseif size < cap then
    redis.call('HSET', counts, fp, '1|' .. story .. '|1|' .. article)
    size = size + 1
  end
end
redis.call('EXPIRE', counts, ttl)
if redis.call('EXISTS', known) == 1 then redis.call('EXPIRE', known, ttl) end
if redis.call('EXISTS', tipped) == 1 then redis.call('EXPIRE', tipped, ttl) end
return learned
"""

AnyRedis = Redis | RedisCluster


def article_key(prefix: str, article_id: str) -> str:
    """Article id -> the story it was assigned to (set once, expires with the window)."""
    return f"{prefix}:article:{{{article_id}}}"


def story_key(prefix: str, story_id: str, part: str) -> str:
    return f"{prefix}:story:{{{story_id}}}:{part}"


def final_story_sync(client: Any, prefix: str, story_id: str) -> str:
    """The story a story id stands for now (itself until stories merge), for sync callers."""
    for _ in range(_MAX_REDIRECTS):
        target = client.get(story_key(prefix, story_id, "redirect"))
        if target is None:
            return story_id
        story_id = _s(target)
    return story_id


@dataclass(frozen=True)
class Added:
    """Where an article ended up: the story (after redirects) and whether it was new there."""

    story_id: str
    added: bool


@dataclass(frozen=True)
class Absorbed:
    """What a merged-away story held, now copied into the survivor."""

    story_id: str
    into: str
    members: tuple[Member, ...]
    # False when the story had been redirected elsewhere before (a concurrent or earlier merge).
    direct: bool = True


@dataclass(frozen=True)
class AlertClaim:
    """The ledger's answer for one alert: send it (under `alert_id`), skip it, or wait."""

    action: Literal["send", "skip", "wait"]
    alert_id: str = ""
    wait_s: float = 0.0


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
        ttl_seconds: int = 7 * 24 * 3600,
        max_candidates: int = 25,
        postings_per_token: int = 40,
        memory_ttl_seconds: int = 90 * 24 * 3600,
        memory_postings: int = 16,
    ) -> None:
        self._r = client
        self._metrics = metrics
        self._p = prefix
        self._ttl = ttl_seconds
        self._max_candidates = max_candidates
        self._postings = postings_per_token
        self._memory_ttl = memory_ttl_seconds
        # Stories read per remembered key: a key more stories carry identifies none of them.
        self._memory_postings = memory_postings
        self._add_members = client.register_script(_ADD_MEMBERS)
        self._absorb = client.register_script(_ABSORB)
        self._observe = client.register_script(_OBSERVE_FURNITURE)
        self._claim_alert = client.register_script(_CLAIM_ALERT)
        self._adopt_alerts = client.register_script(_ADOPT_ALERTS)
        self._furniture_max = 2_000
        self._furniture_cache: dict[str, tuple[float, frozenset[str], dict[str, str]]] = {}

    # -- keys -----------------------------------------------------------------------------------
    def _story(self, story_id: str, part: str) -> str:
        return story_key(self._p, story_id, part)

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
        return member.index_tokens()

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

    async def final_story(self, story_id: str) -> str:
        """The story a story id stands for now, following merge redirects."""

        async def follow() -> str:
            sid = story_id
            for _ in range(_MAX_REDIRECTS):
                target = await self._r.get(self._story(sid, "redirect"))
                if target is None:
                    return sid
                sid = _s(target)
            return sid

        return await self._timed("final_story", follow)

    async def candidates(
        self, member: Member, since: datetime
    ) -> tuple[list[StoryProfile], TermStats]:
        """Active stories sharing index tokens with the article, the rarest shared tokens first.

        Each token's posting list is a sorted set scored by event time; its size inside the
        window is the token's story frequency, so the idf weights come with the same round trip.
        Only the latest postings of a common token are read: "shooting" alone finds nothing.
        """
        tokens = self.index_tokens(member)
        if not tokens:
            return [], TermStats()
        floor = since.timestamp()

        async def fetch() -> tuple[list[StoryProfile], TermStats]:
            pipe = self._r.pipeline(transaction=False)
            pipe.zcount(self._stories(), floor, "+inf")
            for token in tokens:
                pipe.zcount(self._index(token), floor, "+inf")
                pipe.zrevrangebyscore(
                    self._index(token), "+inf", floor, start=0, num=self._postings
                )
            replies = await pipe.execute()
            df = {t: int(replies[1 + 2 * i]) for i, t in enumerate(tokens)}
            stats = TermStats(stories=int(replies[0]), df=df)
            hits: dict[str, float] = {}
            for i, token in enumerate(tokens):
                weight = stats.weight(token)
                for raw in replies[2 + 2 * i]:
                    sid = _s(raw)
                    hits[sid] = hits.get(sid, 0.0) + weight
            ranked = sorted(hits, key=lambda s: (-hits[s], s))[: self._max_candidates]
            if not ranked:
                return [], stats
            pipe = self._r.pipeline(transaction=False)
            for sid in ranked:
                pipe.exists(self._story(sid, "redirect"))
                pipe.hvals(self._story(sid, "members"))
            replies = await pipe.execute()
            profiles = []
            for i, sid in enumerate(ranked):
                redirected, values = replies[2 * i], replies[2 * i + 1]
                if values and not redirected:
                    members = tuple(Member.from_json(v) for v in values)
                    profiles.append(StoryProfile(story_id=sid, members=members))
            return profiles, stats

        return await self._timed("candidates", fetch)

    # -- state ----------------------------------------------------------------------------------
    async def add_article(self, story_id: str, member: Member, claims: Iterable[Claim]) -> Added:
        """Add the article and its claims to the story atomically, following merge redirects.

        Returns the story that holds it and whether it was new there (False: a redelivery).
        """
        added = await self._add(story_id, [(member, list(claims))])
        await self._timed("index", lambda: self._index_members(added.story_id, [member]))
        return added

    async def _add(self, story_id: str, batch: list[tuple[Member, list[Claim]]]) -> Added:
        args: list[Any] = [self._ttl, len(batch)]
        for member, claims in batch:
            args += [member.article_id, member.to_json(), member.published_at.timestamp()]
            args.append(len(claims))
            for claim in claims:
                args += [claim.claim_id, claim.to_json()]
        sid = story_id
        for _ in range(_MAX_REDIRECTS):
            keys = [self._story(sid, part) for part in ("members", "claims", "meta", "redirect")]

            async def call(k: list[str] = keys) -> Any:
                return await self._add_members(keys=k, args=args)

            status, value = await self._timed("add_article", call)
            if _s(status) == "redirect":
                sid = _s(value)
                continue
            return Added(story_id=sid, added=int(_s(value)) > 0)
        raise ValueError(f"story {story_id} redirects more than {_MAX_REDIRECTS} times")

    async def _index_members(self, story_id: str, members: Iterable[Member]) -> None:
        # The index is only a hint for matching: one key per token, not atomic with the story.
        pipe = self._r.pipeline(transaction=False)
        latest = 0.0
        for member in members:
            ts = member.published_at.timestamp()
            latest = max(latest, ts)
            for token in self.index_tokens(member):
                # GT keeps the latest event time and still adds new members.
                pipe.zadd(self._index(token), {story_id: ts}, gt=True)
                pipe.expire(self._index(token), self._ttl)
        pipe.zadd(self._stories(), {story_id: latest}, gt=True)
        pipe.expire(self._stories(), self._ttl)
        await pipe.execute()

    async def merge(self, absorbed: str, survivor: str) -> Absorbed:
        """Merge story `absorbed` into `survivor`: redirect it, copy its members and claims.

        Idempotent, and safe against a concurrent merge: if `absorbed` was already redirected
        elsewhere, its members go there (the redirect target it returns) instead.
        """
        keys = [
            self._story(absorbed, p) for p in ("members", "claims", "redirect", "alerts", "latest")
        ]
        target, raw_members, raw_claims, ledger, latest = await self._timed(
            "absorb", lambda: self._absorb(keys=keys, args=[survivor, self._ttl])
        )
        members = [Member.from_json(m) for m in raw_members]
        by_article: dict[str, list[Claim]] = {m.article_id: [] for m in members}
        for raw in raw_claims:
            claim = Claim.from_json(raw)
            by_article.setdefault(claim.article_id, []).append(claim)
        into = _s(target)
        if into == absorbed:  # a merge into itself would lose the story
            raise ValueError(f"story {absorbed} cannot absorb itself")
        added = await self._add(into, [(m, by_article[m.article_id]) for m in members])

        async def reindex() -> None:
            await self._index_members(added.story_id, members)
            await self._r.zrem(self._stories(), absorbed)

        await self._timed("index", reindex)
        await self.remember(added.story_id, members)
        if ledger or latest:
            await self._adopt(added.story_id, list(ledger), list(latest))
        return Absorbed(
            story_id=absorbed,
            into=added.story_id,
            members=tuple(members),
            direct=into == survivor,
        )

    async def _adopt(self, story_id: str, ledger: list[Any], latest: list[Any]) -> None:
        keys = [self._story(story_id, "alerts"), self._story(story_id, "latest")]
        args: list[bytes | str | int] = [self._ttl, len(ledger) // 2, *ledger, *latest]
        await self._timed("adopt_alerts", lambda: self._adopt_alerts(keys=keys, args=args))

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

    # -- long memory ----------------------------------------------------------------------------
    def _memory(self, key: str) -> str:
        return f"{self._p}:mem:{{{key}}}"

    def _card(self, story_id: str) -> str:
        return f"{self._p}:memcard:{{{story_id}}}"

    async def remember(self, story_id: str, members: Iterable[Member]) -> None:
        """Keep the members' distinctive keys and a compact card of the story for the memory
        horizon (event time in the scores, wall time in the expiry), bounded per key."""
        members = [m for m in members if m.keys]
        if not members:
            return

        async def write() -> None:
            pipe = self._r.pipeline(transaction=False)
            for member in members:
                ts = member.published_at.timestamp()
                for key in sorted(member.keys):
                    index = self._memory(key)
                    pipe.zadd(index, {story_id: ts}, gt=True)
                    # Bounded: only the latest stories per key stay (more than a handful means
                    # the key identifies nothing), and an idle key expires; reads skip entries
                    # older than the horizon by their event time.
                    pipe.zremrangebyrank(index, 0, -(4 * self._memory_postings) - 1)
                    pipe.expire(index, self._memory_ttl)
                # The card keeps the story's earliest members (a sorted set by event time:
                # a redelivered article's entry is the same element, added once).
                card = self._card(story_id)
                pipe.zadd(card, {memory_card(member).to_json(): ts})
                pipe.zremrangebyrank(card, CARD_MEMBERS, -1)
                pipe.expire(card, self._memory_ttl)
            await pipe.execute()

        await self._timed("remember", write)

    async def recall(self, member: Member, since: datetime) -> Recall:
        """Remembered stories sharing at least two distinctive keys with the article: their
        cards, the keys that list each, and per key how many stories since `since` carry it."""
        keys = sorted(member.keys)
        if len(keys) < 2:
            return Recall()
        floor = since.timestamp()

        async def fetch() -> Recall:
            pipe = self._r.pipeline(transaction=False)
            for key in keys:
                pipe.zcount(self._memory(key), floor, "+inf")
                pipe.zrevrangebyscore(
                    self._memory(key), "+inf", floor, start=0, num=self._memory_postings
                )
            replies = await pipe.execute()
            df = {k: int(replies[2 * i]) for i, k in enumerate(keys)}
            listed: dict[str, set[str]] = {}
            for i, key in enumerate(keys):
                for raw in replies[2 * i + 1]:
                    listed.setdefault(_s(raw), set()).add(key)
            # A story sharing one key cannot pass the rule: read only those sharing two.
            wanted = sorted(
                (s for s, found in listed.items() if len(found) >= 2),
                key=lambda s: (-len(listed[s]), s),
            )[: self._max_candidates]
            if not wanted:
                return Recall(df=df)
            pipe = self._r.pipeline(transaction=False)
            for sid in wanted:
                pipe.exists(self._story(sid, "redirect"))
                pipe.zrange(self._card(sid), 0, -1)
            replies = await pipe.execute()
            profiles = []
            for i, sid in enumerate(wanted):
                redirected, values = replies[2 * i], replies[2 * i + 1]
                if values and not redirected:
                    cards = tuple(Member.from_json(v) for v in values)
                    profiles.append(StoryProfile(story_id=sid, members=cards))
            return Recall(
                stories=profiles,
                listed={p.story_id: frozenset(listed[p.story_id]) for p in profiles},
                df=df,
            )

        return await self._timed("recall", fetch)

    # -- learned furniture ----------------------------------------------------------------------
    def _furniture(self, source: str, part: str) -> str:
        return f"{self._p}:furniture:{{{source}}}:{part}"

    async def known_furniture(self, source: str, article_id: str | None = None) -> frozenset[str]:
        """Fingerprints of paragraphs this source repeats across stories (cached briefly).

        Without the paragraphs `article_id` itself made furniture: an article redelivered after
        its count was recorded reads as it did the first time (same figures, same alerts).
        """
        now = time.monotonic()
        cached = self._furniture_cache.get(source)
        if cached is None or cached[0] <= now:
            known_key = self._furniture(source, "known")
            tipped_key = self._furniture(source, "tipped")

            async def fetch() -> tuple[set[bytes], dict[bytes, bytes]]:
                pipe = self._r.pipeline(transaction=False)
                pipe.smembers(known_key)
                pipe.hgetall(tipped_key)
                members, tips = await pipe.execute()
                return members, tips

            members, tips = await self._timed("furniture_known", fetch)
            cached = (
                now + 60.0,
                frozenset(_s(m) for m in members),
                {_s(k): _s(v) for k, v in tips.items()},
            )
            if len(self._furniture_cache) >= 5_000:
                self._furniture_cache.pop(next(iter(self._furniture_cache)))
            self._furniture_cache[source] = cached
        _, known, tipped = cached
        if article_id is None or article_id not in tipped.values():
            return known
        return frozenset(fp for fp in known if tipped.get(fp) != article_id)

    async def observe_furniture(
        self,
        source: str,
        story_id: str,
        fingerprints: list[str],
        *,
        article_id: str,
        min_stories: int = 3,
    ) -> None:
        """Count each paragraph once per article and once per story; one seen in `min_stories`
        articles over at least two stories, or in `min_stories` stories, is furniture.

        Needing two stories keeps a story's own paragraphs, repeated in one outlet's updates,
        from being learned as furniture; counting articles learns a new source's chrome from
        its first few articles instead of its first three stories. An article is counted once,
        however often it is delivered.
        """
        if not fingerprints:
            return
        keys = [
            self._furniture(source, "counts"),
            self._furniture(source, "known"),
            self._furniture(source, "seen"),
            self._furniture(source, "tipped"),
        ]
        args: list[str | int | float] = [story_id, min_stories, self._furniture_max, 30 * 86400]
        args += [article_id, time.time()]
        args += fingerprints
        learned = await self._timed(
            "furniture_observe", lambda: self._observe(keys=keys, args=args)
        )
        if learned > 0:
            # This worker's next article from the source sees it at once, not a minute later.
            self._furniture_cache.pop(source, None)

    # -- alerts ---------------------------------------------------------------------------------
    async def claim_alert(
        self, story_id: str, key: str, alert_id: str, *, owner: str, lease_s: float
    ) -> AlertClaim:
        """Take the story's ledger entry for one alert's evidence key before sending it.

        `send`: this worker sends it, under the returned id (the id a crashed sender used, if
        it left the entry pending). `skip`: already sent. `wait`: another worker holds it.
        """
        args: list[str | int] = [key, alert_id, owner, int(lease_s * 1000), self._ttl]
        ledger = [self._story(story_id, "alerts")]
        action, value = await self._timed(
            "claim_alert", lambda: self._claim_alert(keys=ledger, args=args)
        )
        verb = _s(action)
        if verb == "wait":
            return AlertClaim("wait", wait_s=int(_s(value)) / 1000)
        if verb == "send":
            return AlertClaim("send", alert_id=_s(value))
        return AlertClaim("skip")

    async def alert_sent(self, story_id: str, key: str, alert_id: str, topic: str | None) -> None:
        async def mark() -> None:
            pipe = self._r.pipeline(transaction=True)
            pipe.hset(self._story(story_id, "alerts"), key, f"sent|{alert_id}")
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
