"""The Redis story store: candidate index, atomic idempotent story updates, alert bookkeeping."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, TypeVar

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from detectors.assignment import (
    CardRead,
    IndexRead,
    Postings,
    StoryRead,
    candidate_floor,
    index_tokens,
    recall_floor,
)
from detectors.matching import TermStats
from detectors.memory import CARD_MEMBERS, Recall
from detectors.memory import card as memory_card
from detectors.story import Claim, Member, StoryProfile, StorySnapshot
from workers.metrics import Metrics

T = TypeVar("T")

# All keys of one story share the hash tag {story_id}, so each script touches one slot and runs
# unchanged on Redis Cluster. Adding is idempotent per article id (a member already present is a
# no-op) and refused once the story was merged away: the caller follows the redirect it returns.
# The adding loop both update scripts share: ARGV from 3 on holds, per article, its id, member
# JSON, event time, claim count and claims; it appends each id it adds to `added`.
_ADD_LOOP = """
local i = 3
for _ = 1, n_members do
  local article_id, member_json, event_ts = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local n_claims = tonumber(ARGV[i + 3])
  i = i + 4
  if redis.call('HSETNX', members, article_id, member_json) == 1 then
    added[#added + 1] = article_id
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
"""

_ADD_MEMBERS = (
    """
local members, claims, meta, redirect = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local target = redis.call('GET', redirect)
if target then
  return {'redirect', target}
end
local ttl, n_members = tonumber(ARGV[1]), tonumber(ARGV[2])
local added = {}
"""
    + _ADD_LOOP
    + """return {'added', tostring(#added)}
"""
)

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

# A batch's update of one story, in one call on its slot: the members and claims of the
# batch's articles that joined it (as _ADD_MEMBERS: idempotent per article id, refused once
# the story was merged away), then the story as the detectors need it: every member and claim,
# the latest alert per topic and the alert ledger (so findings already sent cost nothing).
# Replies {'redirect', target} or {'added', {article ids added}, members, claims, latest,
# ledger}.
_ADD_AND_READ = (
    """
local members, claims, meta, redirect = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local latest, ledger = KEYS[5], KEYS[6]
local target = redis.call('GET', redirect)
if target then
  return {'redirect', target}
end
local ttl, n_members = tonumber(ARGV[1]), tonumber(ARGV[2])
local added = {}
"""
    + _ADD_LOOP
    + """return {'added', added, redis.call('HVALS', members), redis.call('HVALS', claims),
        redis.call('HGETALL', latest), redis.call('HGETALL', ledger)}
"""
)

# _CLAIM_ALERT for several evidence keys of one story in one call: ARGV is owner, lease, ttl,
# then (field, alert id) pairs; the reply is (action, value) per pair, in order.
_CLAIM_ALERTS = """
local alerts = KEYS[1]
local owner, lease, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
local taken = false
local function take(field, id)
  redis.call('HSET', alerts, field, 'pending|' .. owner .. '|' .. (now + lease) .. '|' .. id)
  taken = true
  out[#out + 1] = 'send'
  out[#out + 1] = id
end
for i = 4, #ARGV, 2 do
  local field, alert_id = ARGV[i], ARGV[i + 1]
  local cur = redis.call('HGET', alerts, field)
  if not cur then
    take(field, alert_id)
  elseif string.sub(cur, 1, 4) == 'sent' then
    out[#out + 1] = 'skip'
    out[#out + 1] = ''
  else
    local p_owner, p_until, p_id = string.match(cur, '^pending|([^|]*)|([^|]*)|(.+)$')
    if not p_owner then
      take(field, alert_id)
    elseif p_owner == owner or now >= tonumber(p_until) then
      take(field, p_id)
    else
      out[#out + 1] = 'wait'
      out[#out + 1] = tostring(tonumber(p_until) - now)
    end
  end
end
if taken then redis.call('EXPIRE', alerts, ttl) end
return out
"""

# Alerts of one story the broker acknowledged: their ledger entries say 'sent', and each topic's
# latest alert is updated, in one step (what alert_sent's MULTI did for one alert).
# ARGV: ttl, n, then (field, alert id, topic or '') per alert.
_ALERTS_SENT = """
local alerts, latest = KEYS[1], KEYS[2]
local ttl, n = tonumber(ARGV[1]), tonumber(ARGV[2])
local topics = false
for i = 3, 2 + 3 * n, 3 do
  redis.call('HSET', alerts, ARGV[i], 'sent|' .. ARGV[i + 1])
  if ARGV[i + 2] ~= '' then
    redis.call('HSET', latest, ARGV[i + 2], ARGV[i + 1])
    topics = true
  end
end
redis.call('EXPIRE', alerts, ttl)
if topics then redis.call('EXPIRE', latest, ttl) end
return n
"""

# One replay run's progress for a batch, in one step on its slot: the alert ids are recorded
# with the messages that raised them, so a message counted done never lacks its alerts.
# ARGV: n_done, seqs..., n_dead, seqs..., alert ids...
_REPLAY_DONE = """
local done, dead, alerts = KEYS[1], KEYS[2], KEYS[3]
local n_done = tonumber(ARGV[1])
local n_dead = tonumber(ARGV[2 + n_done])
local first_alert = 3 + n_done + n_dead
for i = first_alert, #ARGV do redis.call('SADD', alerts, ARGV[i]) end
for i = 3 + n_done, 2 + n_done + n_dead do redis.call('SADD', dead, ARGV[i]) end
for i = 2, 1 + n_done do redis.call('SADD', done, ARGV[i]) end
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('EXPIRE', key, 86400) end
end
return n_done
"""

# Many sorted sets read in one call (a batch reads thousands of index keys: one command each
# cost the client more than the work). ARGV per key: how many entries to return (0: none),
# how many floors, the floors in ascending order. Reply per key: {entries newest first with
# scores (ZREVRANGEBYSCORE +inf <lowest floor> WITHSCORES LIMIT 0 n), {ZCOUNT per floor}}.
_READ_SORTED = """
local out = {}
local i = 1
for k = 1, #KEYS do
  local num, n_floors = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  i = i + 2
  local counts = {}
  for f = 1, n_floors do
    counts[f] = redis.call('ZCOUNT', KEYS[k], ARGV[i + f - 1], '+inf')
  end
  local entries = {}
  if num > 0 and n_floors > 0 then
    entries = redis.call('ZREVRANGEBYSCORE', KEYS[k], '+inf', ARGV[i], 'WITHSCORES', 'LIMIT', 0,
                         num)
  end
  i = i + n_floors
  out[k] = {entries, counts}
end
return out
"""

# Many sorted sets written in one call: per key ttl, GT (1: ZADD GT, 0: plain ZADD), a trim
# (0: none, 1: keep the n highest ranks, 2: keep the n lowest), n, how many (score, member)
# pairs, the pairs. Each key expires after ttl seconds.
_ZADD_MANY = """
local i = 1
for k = 1, #KEYS do
  local key = KEYS[k]
  local ttl, gt, trim = tonumber(ARGV[i]), ARGV[i + 1], tonumber(ARGV[i + 2])
  local n, pairs = tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
  i = i + 5
  for _ = 1, pairs do
    if gt == '1' then
      redis.call('ZADD', key, 'GT', ARGV[i], ARGV[i + 1])
    else
      redis.call('ZADD', key, ARGV[i], ARGV[i + 1])
    end
    i = i + 2
  end
  if trim == 1 then
    redis.call('ZREMRANGEBYRANK', key, 0, -n - 1)
  elseif trim == 2 then
    redis.call('ZREMRANGEBYRANK', key, n, -1)
  end
  redis.call('EXPIRE', key, ttl)
end
return #KEYS
"""

# Each article's story recorded unless one is (SET NX EX), and the story that holds it.
# ARGV: ttl, then one story id per key.
_CLAIM_MANY = """
local ttl = tonumber(ARGV[1])
local out = {}
for k = 1, #KEYS do
  redis.call('SET', KEYS[k], ARGV[k + 1], 'NX', 'EX', ttl)
  out[k] = redis.call('GET', KEYS[k])
end
return out
"""

# Keys per multi-key call on a single Redis: bounds how long one script holds the server.
_KEYS_PER_CALL = 2_000
# Trims of the sorted-set writes (_ZADD_MANY).
_NO_TRIM, _KEEP_HIGHEST, _KEEP_LOWEST = 0, 1, 2

# Redirect chains are short (a survivor is always the older story); this bounds a bad loop.
_MAX_REDIRECTS = 16
# A story's keys, in the order _ADD_AND_READ takes them.
_STORY_PARTS = ("members", "claims", "meta", "redirect", "latest", "alerts")
# Learned furniture: a paragraph seen in this many stories is furniture; counts live this long;
# the worker reads a source's known set at most this often (seconds).
_FURNITURE_MIN_STORIES = 3
_FURNITURE_TTL_S = 30 * 86400
_FURNITURE_CACHE_S = 60.0

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
# What read_stories returns: stories, their scores in the active set, memory cards.
_StoriesRead = tuple[dict[str, StoryRead], dict[str, float | None], dict[str, CardRead]]


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


@dataclass(frozen=True)
class Joining:
    """One article a batch adds to a story: its member record and claims, serialised."""

    member: Member
    member_json: str
    claims: tuple[tuple[str, str], ...]  # (claim id, claim JSON)


@dataclass(frozen=True)
class Observation:
    """One article's paragraph fingerprints, counted for its source's learned furniture."""

    source: str
    story_id: str
    article_id: str
    fingerprints: tuple[str, ...]


@dataclass(frozen=True)
class StoryState:
    """A story right after a batch's update: what the batch added and what the detectors read.

    `redirect` is set instead when the story had been merged away (nothing was added)."""

    story_id: str
    redirect: str | None = None
    added: frozenset[str] = frozenset()
    members: tuple[Member, ...] = ()
    claims: tuple[Claim, ...] = ()
    latest_alerts: Mapping[str, str] = field(default_factory=dict)
    # Evidence key -> ledger entry ('sent|<id>' or 'pending|...').
    ledger: Mapping[str, str] = field(default_factory=dict)

    def snapshot(
        self, without: Iterable[str] = (), latest: Mapping[str, str] | None = None
    ) -> StorySnapshot:
        """The snapshot, leaving out the members and claims of the articles in `without`;
        `latest` replaces the latest alerts read (alerts decided since)."""
        skip = set(without)
        return StorySnapshot(
            story_id=self.story_id,
            members=tuple(m for m in self.members if m.article_id not in skip),
            claims=tuple(c for c in self.claims if c.article_id not in skip),
            latest_alerts=dict(self.latest_alerts if latest is None else latest),
        )

    @property
    def sent(self) -> frozenset[str]:
        return frozenset(k for k, v in self.ledger.items() if v.startswith("sent|"))


@dataclass(frozen=True)
class AlertRequest:
    """An alert a batch wants to send: the story's ledger entry it takes, and the id it offers."""

    story_id: str
    key: str
    alert_id: str


@dataclass(frozen=True)
class SentAlert:
    """An alert the broker acknowledged, for the story's ledger and latest-alert topics."""

    story_id: str
    key: str
    alert_id: str
    topic: str | None
    # Set for story.emerging: the event time the emerging-story gauge counts from.
    emerging_at: datetime | None = None


@dataclass(frozen=True)
class ReplayMark:
    """A replayed message is finished: its sequence number, outcome and the alerts it raised."""

    run_id: str
    seq: str
    alert_ids: tuple[str, ...] = ()
    deadlettered: bool = False


def replay_key(prefix: str, run_id: str, part: str) -> str:
    """Where the worker records a replay's progress: 'done', 'dead' and 'alerts' sets."""
    return f"{prefix}:replay:{{{run_id}}}:{part}"


@dataclass
class _SortedWrites:
    """Sorted-set writes of one batch, merged per key (ZADD GT keeps the highest score, so a
    member written twice is written once), then sent as few _ZADD_MANY calls."""

    specs: dict[str, tuple[int, bool, int, int]] = field(default_factory=dict)
    pairs: dict[str, dict[str, float]] = field(default_factory=dict)

    def add(
        self, key: str, member: str, score: float, *, ttl: int, gt: bool = True,
        trim: int = _NO_TRIM, keep: int = 0,
    ) -> None:  # fmt: skip
        self.specs[key] = (ttl, gt, trim, keep)
        pairs = self.pairs.setdefault(key, {})
        if gt and member in pairs:
            score = max(score, pairs[member])
        pairs[member] = score

    def args(self, keys: Sequence[str]) -> list[Any]:
        out: list[Any] = []
        for key in keys:
            ttl, gt, trim, keep = self.specs[key]
            pairs = self.pairs[key]
            out += [ttl, int(gt), trim, keep, len(pairs)]
            for member, score in pairs.items():
                out += [score, member]
        return out


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
        # Per source: (expiry, known fingerprints, fingerprints each article tipped into them).
        self._furniture_cache: dict[
            str, tuple[float, frozenset[str], dict[str, frozenset[str]]]
        ] = {}

    @property
    def memory_postings(self) -> int:
        """Stories read per remembered key (what `recall` and the batch planner look at)."""
        return self._memory_postings

    @property
    def max_candidates(self) -> int:
        return self._max_candidates

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

    def _calls(self, keys: Iterable[str]) -> list[list[str]]:
        """Keys in groups one multi-key script may take: on a cluster, one hash slot per
        group (a script touches one slot); on one Redis, up to _KEYS_PER_CALL keys."""
        ordered = sorted(set(keys))
        if isinstance(self._r, RedisCluster):
            slots: dict[int, list[str]] = {}
            for key in ordered:
                slots.setdefault(self._r.keyslot(key), []).append(key)
            return list(slots.values())
        return [ordered[i : i + _KEYS_PER_CALL] for i in range(0, len(ordered), _KEYS_PER_CALL)]

    def _queue_reads(
        self, pipe: Any, reads: Mapping[str, tuple[int, Sequence[float]]]
    ) -> list[list[str]]:
        """Queue _READ_SORTED for {key: (entries wanted, floors ascending)}; returns the key
        groups in the order their replies come."""
        groups = self._calls(reads)
        for group in groups:
            args: list[Any] = []
            for key in group:
                num, floors = reads[key]
                args += [num, len(floors), *floors]
            pipe.eval(_READ_SORTED, len(group), *group, *args)
        return groups

    def _queue_writes(self, pipe: Any, writes: _SortedWrites) -> None:
        for group in self._calls(writes.specs):
            pipe.eval(_ZADD_MANY, len(group), *group, *writes.args(group))

    def _trip(self, count: int = 1) -> None:
        """Count round trips to Redis (a command or a pipeline each), for the per-article metric."""
        self._metrics.redis_round_trips.inc(count)

    async def _timed(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        """Time one operation; it costs one round trip unless it counts more with _trip."""
        started = time.perf_counter()
        self._trip()
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
            self._trip()
            held = await self._r.get(key)
            return held.decode() if isinstance(held, bytes) else str(held)

        return await self._timed("claim_article", claim)

    async def final_story(self, story_id: str) -> str:
        """The story a story id stands for now, following merge redirects."""

        async def follow() -> str:
            sid = story_id
            for step in range(_MAX_REDIRECTS):
                if step:
                    self._trip()
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
            self._trip()
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
            self._trip()
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

    # -- batches: read, decide (detectors.assignment), write -------------------------------------
    async def read_index(
        self,
        members: Sequence[Member],
        window: timedelta,
        memory_horizon: timedelta | None = None,
    ) -> tuple[dict[str, str], IndexRead]:
        """One round trip for a batch: the stories its articles already hold (redeliveries)
        and the candidate index as one-at-a-time matching reads it, for every article's window
        (what detectors.assignment.plan_assignments decides from); with `memory_horizon`, also
        the long memory's postings of the articles' distinctive keys, as `recall` reads them."""
        ids = sorted({m.article_id for m in members})
        floors: set[float] = set()
        wanted: dict[str, set[float]] = {}
        remembered: dict[str, set[float]] = {}
        for member in members:
            floor = candidate_floor(member, window)
            floors.add(floor)
            for token in index_tokens(member):
                wanted.setdefault(token, set()).add(floor)
            if memory_horizon is not None and len(member.keys) >= 2:
                since = recall_floor(member, memory_horizon)
                for key in member.keys:
                    remembered.setdefault(key, set()).add(since)
        story_floors = sorted(floors)
        tokens = sorted(wanted)
        keys = sorted(remembered)

        reads: dict[str, tuple[int, Sequence[float]]] = {
            self._stories(): (0, story_floors)
        }
        for token in tokens:
            reads[self._index(token)] = (self._postings, sorted(wanted[token]))
        for key in keys:
            reads[self._memory(key)] = (self._memory_postings, sorted(remembered[key]))

        async def fetch() -> tuple[dict[str, str], IndexRead]:
            pipe = self._r.pipeline(transaction=False)
            for article_id in ids:
                pipe.get(self._article(article_id))
            groups = self._queue_reads(pipe, reads)
            replies = await pipe.execute()
            held = {}
            for article_id, value in zip(ids, replies, strict=False):
                if value is not None:
                    held[article_id] = _s(value)
            sorted_sets: dict[str, tuple[list[Any], list[Any]]] = {}
            for group, reply in zip(groups, replies[len(ids) :], strict=True):
                for key, (entries, counts) in zip(group, reply, strict=True):
                    sorted_sets[key] = (entries, counts)

            def postings(key: str, limit: int) -> Postings:
                entries, counts = sorted_sets[key]
                floors = reads[key][1]
                pairs = [
                    (_s(entries[i]), float(entries[i + 1])) for i in range(0, len(entries), 2)
                ]
                by_floor = {f: int(c) for f, c in zip(floors, counts, strict=True)}
                return Postings(
                    entries=pairs, complete=by_floor[floors[0]] <= limit, floor=floors[0],
                    counts=by_floor,
                )  # fmt: skip

            _, story_counts = sorted_sets[self._stories()]
            stories = {f: int(c) for f, c in zip(story_floors, story_counts, strict=True)}
            read = {t: postings(self._index(t), self._postings) for t in tokens}
            memory = {k: postings(self._memory(k), self._memory_postings) for k in keys}
            return held, IndexRead(stories=stories, story_scores={}, tokens=read, memory=memory)

        return await self._timed("read_index", fetch)

    async def read_stories(
        self, story_ids: Iterable[str], cards: Iterable[str] = ()
    ) -> _StoriesRead:
        """One round trip: each story's redirect, members and score in the active-stories set;
        and for the stories in `cards`, whether they were merged away and their long-memory
        card (what `recall` reads)."""
        ids = sorted(set(story_ids))
        card_ids = sorted(set(cards))
        if not ids and not card_ids:
            return {}, {}, {}

        async def fetch() -> _StoriesRead:
            pipe = self._r.pipeline(transaction=False)
            for sid in ids:
                pipe.get(self._story(sid, "redirect"))
                pipe.hvals(self._story(sid, "members"))
                pipe.zscore(self._stories(), sid)
            for sid in card_ids:
                pipe.exists(self._story(sid, "redirect"))
                pipe.zrange(self._card(sid), 0, -1)
            replies = iter(await pipe.execute())
            stories, scores = {}, {}
            for sid in ids:
                redirect, values, score = next(replies), next(replies), next(replies)
                stories[sid] = StoryRead(
                    story_id=sid,
                    redirect=_s(redirect) if redirect is not None else None,
                    members=tuple(_member(v) for v in values),
                )
                scores[sid] = float(score) if score is not None else None
            read_cards = {}
            for sid in card_ids:
                redirected, values = next(replies), next(replies)
                read_cards[sid] = CardRead(bool(redirected), tuple(_member(v) for v in values))
            return stories, scores, read_cards

        return await self._timed("read_stories", fetch)

    async def claim_articles(self, wanted: Mapping[str, str]) -> dict[str, str]:
        """Record each article's story unless one is recorded (SET NX), in one round trip;
        returns the story that holds each (another worker's, when it was first)."""
        if not wanted:
            return {}
        ids = sorted(wanted)

        story_of = {self._article(aid): wanted[aid] for aid in ids}

        async def claim() -> dict[str, str]:
            pipe = self._r.pipeline(transaction=False)
            groups = self._calls(story_of)
            for group in groups:
                args: list[Any] = [self._ttl, *(story_of[key] for key in group)]
                pipe.eval(_CLAIM_MANY, len(group), *group, *args)
            replies = await pipe.execute()
            held = {
                key: _s(value)
                for group, reply in zip(groups, replies, strict=True)
                for key, value in zip(group, reply, strict=True)
            }
            return {aid: held[self._article(aid)] for aid in ids}

        return await self._timed("claim_articles", claim)

    async def write_batch(
        self,
        joins: Mapping[str, Sequence[Joining]],
        observations: Sequence[Observation] = (),
        *,
        remember: bool = False,
    ) -> dict[str, StoryState]:
        """A batch's writes in one round trip: per touched story one Lua call on its slot that
        adds the articles and reads the story back (StoryState), the index entries, the
        furniture counts and (`remember`) the long memory's keys and cards. A story merged away
        since it was read comes back as a redirect, its articles not added: the caller follows
        it and writes them again (its memory entries stay under the old id, which `recall`
        skips as merged away)."""
        story_ids = sorted(joins)
        counted = [seen for seen in observations if seen.fingerprints]

        async def write() -> dict[str, StoryState]:
            pipe = self._r.pipeline(transaction=False)
            # Furniture first, so their replies lead: each says how many paragraphs it learned.
            # As observe_furniture: nothing to count, nothing noted.
            for seen in counted:
                self._queue_observation(pipe, seen)
            for sid in story_ids:
                args: list[Any] = [self._ttl, len(joins[sid])]
                for join in joins[sid]:
                    member = join.member
                    args += [member.article_id, join.member_json, member.published_at.timestamp()]
                    args.append(len(join.claims))
                    for claim_id, claim_json in join.claims:
                        args += [claim_id, claim_json]
                keys = [self._story(sid, p) for p in _STORY_PARTS]
                pipe.eval(_ADD_AND_READ, len(keys), *keys, *args)
            writes = _SortedWrites()
            for sid in story_ids:
                self._index_writes(writes, sid, [j.member for j in joins[sid]])
                if remember:
                    self._remember_writes(writes, sid, [j.member for j in joins[sid]])
            self._queue_writes(pipe, writes)
            replies = await pipe.execute()
            for seen, learned in zip(counted, replies, strict=False):
                if int(learned) > 0:
                    # This worker's next batch from the source sees it at once.
                    self._furniture_cache.pop(seen.source, None)
            first = len(counted)
            return {sid: _story_state(sid, replies[first + i]) for i, sid in enumerate(story_ids)}

        return await self._timed("write_batch", write)

    async def read_state(self, story_id: str) -> StoryState:
        """A story as write_batch returns it (members, claims, latest alerts, ledger), for a
        story a merge changed after the batch wrote it."""

        async def read() -> StoryState:
            pipe = self._r.pipeline(transaction=True)  # one slot: a consistent read
            pipe.hvals(self._story(story_id, "members"))
            pipe.hvals(self._story(story_id, "claims"))
            pipe.hgetall(self._story(story_id, "latest"))
            pipe.hgetall(self._story(story_id, "alerts"))
            members, claims, latest, ledger = await pipe.execute()
            return _story_state(story_id, ["added", [], members, claims, _flat(latest),
                                           _flat(ledger)])  # fmt: skip

        return await self._timed("snapshot", read)

    async def recheck_postings(
        self, members: Sequence[Member], window: timedelta
    ) -> dict[str, list[str]]:
        """Each token's newest stories (ids only), for a new story's look after writing: what
        another worker indexed meanwhile shows up here."""
        wanted: dict[str, float] = {}
        for member in members:
            floor = candidate_floor(member, window)
            for token in index_tokens(member):
                wanted[token] = min(wanted.get(token, floor), floor)
        tokens = sorted(wanted)
        if not tokens:
            return {}

        reads = {self._index(t): (self._postings, [wanted[t]]) for t in tokens}

        async def fetch() -> dict[str, list[str]]:
            pipe = self._r.pipeline(transaction=False)
            groups = self._queue_reads(pipe, reads)
            replies = await pipe.execute()
            out: dict[str, list[str]] = {}
            by_key = {
                key: entries
                for group, reply in zip(groups, replies, strict=True)
                for key, (entries, _) in zip(group, reply, strict=True)
            }
            for token in tokens:
                entries = by_key[self._index(token)]
                out[token] = [_s(entries[i]) for i in range(0, len(entries), 2)]
            return out

        return await self._timed("recheck", fetch)

    async def claim_alerts(
        self, requests: Sequence[AlertRequest], *, owner: str, lease_s: float
    ) -> list[AlertClaim]:
        """claim_alert for a batch's alerts: one Lua call per story, in one round trip; the
        answers come back in the order asked."""
        if not requests:
            return []
        by_story: dict[str, list[int]] = {}
        for i, request in enumerate(requests):
            by_story.setdefault(request.story_id, []).append(i)

        async def claim() -> list[AlertClaim]:
            pipe = self._r.pipeline(transaction=False)
            for sid, positions in by_story.items():
                args: list[Any] = [owner, int(lease_s * 1000), self._ttl]
                for i in positions:
                    args += [requests[i].key, requests[i].alert_id]
                pipe.eval(_CLAIM_ALERTS, 1, self._story(sid, "alerts"), *args)
            replies = await pipe.execute()
            out: list[AlertClaim] = [AlertClaim("skip")] * len(requests)
            for reply, positions in zip(replies, by_story.values(), strict=True):
                for n, i in enumerate(positions):
                    out[i] = _alert_claim(reply[2 * n], reply[2 * n + 1])
            return out

        return await self._timed("claim_alerts", claim)

    async def alerts_sent(self, sent: Sequence[SentAlert]) -> None:
        """alert_sent (and mark_emerging) for a batch's acknowledged alerts, in one round trip."""
        if not sent:
            return
        by_story: dict[str, list[SentAlert]] = {}
        for alert in sent:
            by_story.setdefault(alert.story_id, []).append(alert)

        async def mark() -> None:
            pipe = self._r.pipeline(transaction=False)
            for sid, alerts in by_story.items():
                args: list[Any] = [self._ttl, len(alerts)]
                for a in alerts:
                    args += [a.key, a.alert_id, a.topic or ""]
                keys = [self._story(sid, "alerts"), self._story(sid, "latest")]
                pipe.eval(_ALERTS_SENT, 2, *keys, *args)
            emerging = {a.story_id: a.emerging_at for a in sent if a.emerging_at is not None}
            if emerging:
                key = f"{self._p}:emerging"
                pipe.zadd(key, {sid: at.timestamp() for sid, at in emerging.items()})
                pipe.expire(key, self._ttl)
            await pipe.execute()

        await self._timed("alerts_sent", mark)

    async def replay_marks(self, marks: Sequence[ReplayMark]) -> None:
        """replay_done for a batch: one Lua call per replay run, in one round trip."""
        if not marks:
            return
        runs: dict[str, list[ReplayMark]] = {}
        for mark in marks:
            runs.setdefault(mark.run_id, []).append(mark)

        async def record() -> None:
            pipe = self._r.pipeline(transaction=False)
            for run_id, items in runs.items():
                dead = [m.seq for m in items if m.deadlettered]
                alert_ids = sorted({a for m in items for a in m.alert_ids})
                args: list[Any] = [len(items), *(m.seq for m in items), len(dead), *dead]
                args += alert_ids
                keys = [self._replay(run_id, p) for p in ("done", "dead", "alerts")]
                pipe.eval(_REPLAY_DONE, 3, *keys, *args)
            await pipe.execute()

        await self._timed("replay_done", record)

    async def known_furniture_many(
        self, articles: Iterable[tuple[str, str]]
    ) -> dict[str, frozenset[str]]:
        """known_furniture for a batch's (source, article id) pairs, by article id: the cached
        sources free, the rest in one round trip."""
        wanted = list(articles)
        now = time.monotonic()
        missing = []
        for source in sorted({source for source, _ in wanted}):
            cached = self._furniture_cache.get(source)
            if cached is None or cached[0] <= now:
                missing.append(source)
        if missing:

            async def fetch() -> list[Any]:
                pipe = self._r.pipeline(transaction=False)
                for source in missing:
                    pipe.smembers(self._furniture(source, "known"))
                    pipe.hgetall(self._furniture(source, "tipped"))
                return list(await pipe.execute())

            replies = await self._timed("furniture_known", fetch)
            for i, source in enumerate(missing):
                self._cache_furniture(source, replies[2 * i], replies[2 * i + 1], now)
        return {
            article_id: _without_tipped(self._furniture_cache[source], article_id)
            for source, article_id in wanted
        }

    def _index_writes(
        self, writes: _SortedWrites, story_id: str, members: Sequence[Member]
    ) -> None:
        # The index is only a hint for matching: one key per token, not atomic with the story.
        # GT keeps the latest event time and still adds new members.
        latest = 0.0
        for member in members:
            ts = member.published_at.timestamp()
            latest = max(latest, ts)
            for token in index_tokens(member):
                writes.add(self._index(token), story_id, ts, ttl=self._ttl)
        if members:
            writes.add(self._stories(), story_id, latest, ttl=self._ttl)

    def _queue_observation(self, pipe: Any, seen: Observation) -> None:
        keys = [self._furniture(seen.source, p) for p in ("counts", "known", "seen", "tipped")]
        args: list[Any] = [
            seen.story_id, _FURNITURE_MIN_STORIES, self._furniture_max, _FURNITURE_TTL_S
        ]  # fmt: skip
        args += [seen.article_id, time.time(), *seen.fingerprints]
        pipe.eval(_OBSERVE_FURNITURE, len(keys), *keys, *args)

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
            writes = _SortedWrites()
            self._remember_writes(writes, story_id, members)
            self._queue_writes(pipe, writes)
            await pipe.execute()

        await self._timed("remember", write)

    def _remember_writes(
        self, writes: _SortedWrites, story_id: str, members: Iterable[Member]
    ) -> None:
        for member in members:
            if not member.keys:
                continue
            ts = member.published_at.timestamp()
            for key in sorted(member.keys):
                # Bounded: only the latest stories per key stay (more than a handful means
                # the key identifies nothing), and an idle key expires; reads skip entries
                # older than the horizon by their event time.
                writes.add(
                    self._memory(key), story_id, ts, ttl=self._memory_ttl, trim=_KEEP_HIGHEST,
                    keep=4 * self._memory_postings,
                )  # fmt: skip
            # The card keeps the story's earliest members (a sorted set by event time:
            # a redelivered article's entry is the same element, added once).
            writes.add(
                self._card(story_id), memory_card(member).to_json(), ts, ttl=self._memory_ttl,
                gt=False, trim=_KEEP_LOWEST, keep=CARD_MEMBERS,
            )  # fmt: skip

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
            self._trip()
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
            cached = self._cache_furniture(source, members, tips, now)
        return _without_tipped(cached, article_id)

    def _cache_furniture(
        self, source: str, members: Iterable[Any], tips: Mapping[Any, Any], now: float
    ) -> tuple[float, frozenset[str], dict[str, frozenset[str]]]:
        by_article: dict[str, set[str]] = {}
        for fp, article in tips.items():
            by_article.setdefault(_s(article), set()).add(_s(fp))
        cached = (
            now + _FURNITURE_CACHE_S,
            frozenset(_s(m) for m in members),
            {article: frozenset(fps) for article, fps in by_article.items()},
        )
        if len(self._furniture_cache) >= 5_000:
            self._furniture_cache.pop(next(iter(self._furniture_cache)))
        self._furniture_cache[source] = cached
        return cached

    async def observe_furniture(
        self,
        source: str,
        story_id: str,
        fingerprints: list[str],
        *,
        article_id: str,
        min_stories: int = _FURNITURE_MIN_STORIES,
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
        args: list[str | int | float] = [
            story_id, min_stories, self._furniture_max, _FURNITURE_TTL_S
        ]  # fmt: skip
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
        return _alert_claim(action, value)

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


def _without_tipped(
    cached: tuple[float, frozenset[str], dict[str, frozenset[str]]], article_id: str | None
) -> frozenset[str]:
    """A source's known furniture without the paragraphs `article_id` itself made furniture:
    redelivered, the article reads as it did the first time."""
    _, known, tipped = cached
    own = tipped.get(article_id) if article_id is not None else None
    return known - own if own else known


def _s(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@lru_cache(maxsize=16_384)
def _member(raw: bytes | str) -> Member:
    """A stored member record, parsed once: a story's members are read again with every batch
    that considers it, and a Member is immutable."""
    return Member.from_json(raw)


@lru_cache(maxsize=16_384)
def _claim(raw: bytes | str) -> Claim:
    return Claim.from_json(raw)


def _flat(mapping: Mapping[Any, Any]) -> list[Any]:
    return [item for pair in mapping.items() for item in pair]


def _pairs(flat: Sequence[Any]) -> dict[str, str]:
    return {_s(flat[i]): _s(flat[i + 1]) for i in range(0, len(flat), 2)}


def _story_state(story_id: str, reply: Sequence[Any]) -> StoryState:
    if _s(reply[0]) == "redirect":
        return StoryState(story_id=story_id, redirect=_s(reply[1]))
    _, added, members, claims, latest, ledger = reply
    return StoryState(
        story_id=story_id,
        added=frozenset(_s(a) for a in added),
        members=tuple(sorted((_member(m) for m in members), key=lambda m: m.article_id)),
        claims=tuple(sorted((_claim(c) for c in claims), key=lambda c: c.claim_id)),
        latest_alerts=_pairs(latest),
        ledger=_pairs(ledger),
    )


def _alert_claim(action: bytes | str, value: bytes | str) -> AlertClaim:
    verb = _s(action)
    if verb == "wait":
        return AlertClaim("wait", wait_s=int(_s(value)) / 1000)
    if verb == "send":
        return AlertClaim("send", alert_id=_s(value))
    return AlertClaim("skip")
