"""Each topic's sequence and its recent events, so a client that reconnects gets what it missed.

A topic is logged only while it is *watched*: a client subscribed to it within the last
`REALTIME_RESUME_SECONDS` (subscribing, and every consumer heartbeat, renews that). Events of
topics nobody watches cost one lookup and are not kept. Sequences only grow: a topic that starts
being watched again starts from the clock (milliseconds * 1000), above any sequence it had, and
`since()` answers None ("reload") for a client whose sequence is older than what is kept.

Two implementations with the same behaviour: Redis (REDIS_URL; shared by every server process;
one Lua script per committed transaction) and in-process memory (without Redis there is one server
process, and the in-memory channel layer reaches only it anyway). Presence (who has a topic open)
lives here too: members with an expiry, renewed by the consumer's heartbeat.
"""

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from django.conf import settings

Payload = dict[str, Any]


class TopicLog(Protocol):
    def watch(self, topics: list[str]) -> dict[str, int]:
        """Mark topics watched (renewing the mark); returns each one's current sequence."""

    def append(self, entries: list[tuple[str, Payload]]) -> list[tuple[str, int, Payload]]:
        """Give each event of a watched topic its sequence and keep it; others are dropped."""

    def since(self, topic: str, seq: int) -> list[tuple[int, Payload]] | None:
        """The kept events after `seq`, oldest first; None when some of them are no longer kept."""

    def watched(self, prefix: str) -> list[str]:
        """The watched topics starting with `prefix`."""

    def presence_join(self, topic: str, member: str) -> None: ...

    def presence_leave(self, topic: str, member: str) -> None: ...

    def presence_members(self, topic: str) -> list[str]: ...


def _now_ms() -> int:
    return int(time.time() * 1000)


def _sequence_base() -> int:
    return _now_ms() * 1000


# -- in-process ----------------------------------------------------------------------------------


@dataclass
class _MemoryTopic:
    seq: int
    base: int
    watched_until: float
    events: deque = field(default_factory=deque)


class MemoryTopicLog:
    def __init__(self, *, keep: int, resume_seconds: int, presence_seconds: int) -> None:
        self.keep = keep
        self.resume_seconds = resume_seconds
        self.presence_seconds = presence_seconds
        self.topics: dict[str, _MemoryTopic] = {}
        self.presence: dict[str, dict[str, float]] = {}
        self.lock = threading.Lock()
        self._highest = 0  # the highest sequence given out, so a new base is above it

    def _live(self, topic: str, now: float) -> _MemoryTopic | None:
        found = self.topics.get(topic)
        if found is not None and found.watched_until <= now:
            del self.topics[topic]
            return None
        return found

    def watch(self, topics: list[str]) -> dict[str, int]:
        now = time.monotonic()
        with self.lock:
            result = {}
            for topic in topics:
                found = self._live(topic, now)
                if found is None:
                    base = max(_sequence_base(), self._highest + 1)
                    self._highest = base
                    found = self.topics[topic] = _MemoryTopic(base, base, 0)
                found.watched_until = now + self.resume_seconds
                result[topic] = found.seq
            return result

    def append(self, entries: list[tuple[str, Payload]]) -> list[tuple[str, int, Payload]]:
        now = time.monotonic()
        stored = []
        with self.lock:
            for topic, payload in entries:
                found = self._live(topic, now)
                if found is None:
                    continue
                found.seq += 1
                self._highest = max(self._highest, found.seq)
                found.events.append((found.seq, payload))
                if len(found.events) > self.keep:
                    found.events.popleft()
                stored.append((topic, found.seq, payload))
        return stored

    def since(self, topic: str, seq: int) -> list[tuple[int, Payload]] | None:
        with self.lock:
            found = self._live(topic, time.monotonic())
            if found is None or seq < found.base:
                return None
            if seq >= found.seq:
                return []
            events = [e for e in found.events if e[0] > seq]
            if not events or events[0][0] != seq + 1:
                return None
            return events

    def watched(self, prefix: str) -> list[str]:
        now = time.monotonic()
        with self.lock:
            topics = self.topics.items()
            return [t for t, v in topics if t.startswith(prefix) and v.watched_until > now]

    def presence_join(self, topic: str, member: str) -> None:
        with self.lock:
            members = self.presence.setdefault(topic, {})
            members[member] = time.monotonic() + self.presence_seconds

    def presence_leave(self, topic: str, member: str) -> None:
        with self.lock:
            members = self.presence.get(topic, {})
            members.pop(member, None)
            if not members:
                self.presence.pop(topic, None)

    def presence_members(self, topic: str) -> list[str]:
        now = time.monotonic()
        with self.lock:
            members = self.presence.get(topic, {})
            for gone in [m for m, until in members.items() if until <= now]:
                del members[gone]
            return sorted(members)


# -- Redis ---------------------------------------------------------------------------------------

# Keys: rt:seq:<topic> (counter), rt:base:<topic> (first sequence of this watch), rt:log:<topic>
# (sorted set: score = sequence, member = "<sequence>|<json>"), rt:watched (sorted set of topics,
# score = watched-until in ms), rt:presence:<topic> (sorted set of members, score = expiry in ms).
_WATCH = """
local now, ttl, base = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local out = {}
redis.call('ZREMRANGEBYSCORE', 'rt:watched', '-inf', now)
for i = 4, #ARGV do
  local t = ARGV[i]
  if redis.call('SET', 'rt:seq:' .. t, base, 'NX') then
    redis.call('SET', 'rt:base:' .. t, base)
    redis.call('DEL', 'rt:log:' .. t)
  end
  redis.call('EXPIRE', 'rt:seq:' .. t, ttl)
  redis.call('EXPIRE', 'rt:base:' .. t, ttl)
  redis.call('EXPIRE', 'rt:log:' .. t, ttl)
  redis.call('ZADD', 'rt:watched', now + ttl * 1000, t)
  out[#out + 1] = redis.call('GET', 'rt:seq:' .. t)
end
return out
"""
_APPEND = """
local now, keep = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV, 2 do
  local t = ARGV[i]
  local until_ms = redis.call('ZSCORE', 'rt:watched', t)
  if until_ms and tonumber(until_ms) > now and redis.call('EXISTS', 'rt:seq:' .. t) == 1 then
    local seq = redis.call('INCR', 'rt:seq:' .. t)
    local key = 'rt:log:' .. t
    redis.call('ZADD', key, seq, seq .. '|' .. ARGV[i + 1])
    redis.call('ZREMRANGEBYRANK', key, 0, -keep - 1)
    redis.call('EXPIRE', key, redis.call('TTL', 'rt:seq:' .. t))
    out[#out + 1] = i
    out[#out + 1] = seq
  end
end
return out
"""


class RedisTopicLog:
    def __init__(self, url: str, *, keep: int, resume_seconds: int, presence_seconds: int) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.keep = keep
        self.resume_seconds = resume_seconds
        self.presence_seconds = presence_seconds
        self._watch = self.client.register_script(_WATCH)
        self._append = self.client.register_script(_APPEND)

    def watch(self, topics: list[str]) -> dict[str, int]:
        if not topics:
            return {}
        seqs = self._watch(args=[_now_ms(), self.resume_seconds, _sequence_base(), *topics])
        return {topic: int(seq) for topic, seq in zip(topics, seqs, strict=True)}

    def append(self, entries: list[tuple[str, Payload]]) -> list[tuple[str, int, Payload]]:
        if not entries:
            return []
        args: list[Any] = [_now_ms(), self.keep]
        for topic, payload in entries:
            args += [topic, json.dumps(payload, separators=(",", ":"))]
        found = self._append(args=args)
        stored = []
        for at, seq in zip(found[::2], found[1::2], strict=True):
            topic, payload = entries[(int(at) - 3) // 2]
            stored.append((topic, int(seq), payload))
        return stored

    def since(self, topic: str, seq: int) -> list[tuple[int, Payload]] | None:
        pipe = self.client.pipeline(transaction=True)
        pipe.get(f"rt:seq:{topic}")
        pipe.get(f"rt:base:{topic}")
        pipe.zrangebyscore(f"rt:log:{topic}", f"({seq}", "+inf")
        current, base, members = pipe.execute()
        if current is None or base is None or seq < int(base):
            return None
        if seq >= int(current):
            return []
        events = []
        for member in members:
            number, _, body = member.decode().partition("|")
            events.append((int(number), json.loads(body)))
        if not events or events[0][0] != seq + 1:
            return None
        return events

    def watched(self, prefix: str) -> list[str]:
        found = self.client.zrangebyscore("rt:watched", f"({_now_ms()}", "+inf")
        return [t for t in (m.decode() for m in found) if t.startswith(prefix)]

    def presence_join(self, topic: str, member: str) -> None:
        key = f"rt:presence:{topic}"
        pipe = self.client.pipeline(transaction=True)
        pipe.zadd(key, {member: _now_ms() + self.presence_seconds * 1000})
        pipe.expire(key, self.presence_seconds)
        pipe.execute()

    def presence_leave(self, topic: str, member: str) -> None:
        self.client.zrem(f"rt:presence:{topic}", member)

    def presence_members(self, topic: str) -> list[str]:
        key = f"rt:presence:{topic}"
        pipe = self.client.pipeline(transaction=True)
        pipe.zremrangebyscore(key, "-inf", _now_ms())
        pipe.zrange(key, 0, -1)
        return sorted(m.decode() for m in pipe.execute()[1])


@cache
def topic_log() -> TopicLog:
    """The log of this process: Redis when REDIS_URL is set, else in memory."""
    options = {
        "keep": settings.REALTIME_KEEP_EVENTS,
        "resume_seconds": settings.REALTIME_RESUME_SECONDS,
        "presence_seconds": settings.REALTIME_PRESENCE_SECONDS,
    }
    if settings.REDIS_URL:
        return RedisTopicLog(settings.REDIS_URL, **options)
    return MemoryTopicLog(**options)
