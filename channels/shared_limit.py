"""One provider limit shared by every replica: the pacing of `channels.pace` kept in Redis.

With `REDIS_URL` set, each channel's pace lives in one Redis hash instead of each process's memory, so
three replicas together send at the provider's limit (not three times it) and a replica that starts or
dies changes nothing anyone has to configure. The algorithm is exactly `Pace`/`RecipientLimiter`/
`ChannelPacer`'s, run atomically by one Lua script on Redis's clock:

- the channel's grid of slots (`next`, advanced by `1 / (rate × (1 − headroom))` per reserved slot,
  catching up at most `catch_up` seconds) and its window log (a list of the last `count` sends, each
  moved to the latest time it can have arrived when a replica hears its answer);
- the learned rate: multiplied by `decrease` on a channel-wide 429 (at most once per `window`, whichever
  replica saw it) and climbed back by `increase` × configured per second of accepted sends (each
  replica reports its accepted sends with its next reservation);
- flood waits: a long `retry_after` holds the channel for every replica; a chat's 429 holds that chat;
- per-chat spacing: each chat's next-allowed time (and its last two sends), expiring when idle.

The process keeps its local `Pace` and `RecipientLimiter` as a mirror of what Redis answered, so the
lane's synchronous questions (is the channel held? when may this chat go?) are answered without a round
trip. Whether a 429 concerned a chat is decided from this replica's own recent sends to it (the replica
that wrote twice to a chat is almost always the one that hears the 429). If Redis cannot be reached the
replica paces in-process (and says so in the log) until it can again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.asyncio import Redis
from redis.exceptions import RedisError

from channels.pace import HOLD_AFTER, MARGIN, Clock, Sleep, Slot
from channels.ratelimit import ChannelLimit, ChannelPacer, Scope
from storage.models.contacts import Channel

log = logging.getLogger(__name__)

# KEYS: channel hash, chat hash, window log (newest first). ARGV: op, then numbers (see `_call`). Times
# are Redis's clock (seconds); a replica's own times reach it only as durations.
# Returns strings: Lua numbers would be truncated to integers on the way out.
SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local op = ARGV[1]
local configured, headroom = tonumber(ARGV[2]), tonumber(ARGV[3])
local decrease, increase = tonumber(ARGV[4]), tonumber(ARGV[5])
local floor, window = tonumber(ARGV[6]), tonumber(ARGV[7])
local accepted, retry_after, hold_after = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local chat_interval, burst, ttl = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
local slot_at = tonumber(ARGV[14])
local count, catch_up, margin = tonumber(ARGV[15]), tonumber(ARGV[16]), tonumber(ARGV[17])
local c = redis.call('HMGET', KEYS[1], 'next', 'held', 'rate', 'last_dec', 'seq')
local nxt = tonumber(c[1]) or -1e18
local held = tonumber(c[2]) or -1e18
local rate = tonumber(c[3]) or configured
local last_dec = tonumber(c[4]) or -1e18
local seq = tonumber(c[5]) or 0
local reserved = -1
for i = 18, #ARGV - 1, 2 do
  local index = seq - 1 - tonumber(ARGV[i])
  if index >= 0 and index < count then
    local arrived = now - tonumber(ARGV[i + 1])
    local entry = tonumber(redis.call('LINDEX', KEYS[3], index))
    if entry ~= nil and arrived > entry then redis.call('LSET', KEYS[3], index, tostring(arrived)) end
  end
end
if rate > configured then rate = configured end
for _ = 1, accepted do
  if rate >= configured then break end
  rate = math.min(configured, rate + increase * configured / (rate * (1 - headroom)))
end
local result = 'ok'
local chat_wait = 0
if op == 'reserve' then
  local interval = 1 / (rate * (1 - headroom))
  local grid = math.max(nxt, held)
  if now - grid > catch_up then grid = now end
  local at = math.max(now, grid)
  local allowed = math.max(1, math.min(count, math.floor(rate * window + 1e-9)))
  if redis.call('LLEN', KEYS[3]) >= allowed then
    local span = math.max(window, allowed / rate) + margin * window
    at = math.max(at, tonumber(redis.call('LINDEX', KEYS[3], allowed - 1)) + span)
  end
  nxt = math.max(grid, at - catch_up) + interval
  redis.call('LPUSH', KEYS[3], tostring(at))
  redis.call('LTRIM', KEYS[3], 0, count - 1)
  redis.call('EXPIRE', KEYS[3], 86400)
  reserved = seq
  seq = seq + 1
  result = tostring(at - now)
  chat_wait = at
elseif op == 'chat' or op == 'hold_chat' or op == 'refused' then
  if op == 'refused' then
    if retry_after > hold_after then held = math.max(held, now + retry_after) end
    if now - last_dec >= window then
      last_dec = now
      rate = math.max(floor, rate * decrease)
    end
  end
  if chat_interval > 0 then
    local s = redis.call('HMGET', KEYS[2], 'next', 'last')
    local cnext, clast = tonumber(s[1]), tonumber(s[2])
    if op == 'chat' then
      if held > slot_at then
        result = 'void'
      elseif cnext ~= nil and cnext - (burst - 1) * chat_interval - now > 0 then
        result = 'wait'
        chat_wait = cnext - (burst - 1) * chat_interval - now
      else
        local prev = clast or now
        cnext = math.max(cnext or now, now) + chat_interval
        redis.call('HSET', KEYS[2], 'next', tostring(cnext), 'last', tostring(now), 'prev', tostring(prev))
      end
    else
      cnext = math.max(cnext or now, now + retry_after)
      redis.call('HSET', KEYS[2], 'next', tostring(cnext))
    end
    if cnext ~= nil then
      redis.call('PEXPIRE', KEYS[2], math.ceil((math.max(cnext - now, 0) + ttl) * 1000))
    end
  elseif op == 'chat' and held > slot_at then
    result = 'void'
  end
end
redis.call('HSET', KEYS[1], 'next', tostring(nxt), 'held', tostring(held), 'rate', tostring(rate),
           'last_dec', tostring(last_dec), 'seq', tostring(seq))
redis.call('EXPIRE', KEYS[1], 86400)
return {result, tostring(math.max(held - now, 0)), tostring(rate), tostring(chat_wait), tostring(reserved)}
"""


class SharedLimitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    redis_url: str | None = Field(default=None, description="shared rate limit across replicas when set")
    redis_key_prefix: str = Field(default="civicbot:pace:", description="one prefix per bot/sender account")


class SharedPacer(ChannelPacer):
    """A `ChannelPacer` whose pace, holds and per-chat spacing are kept in Redis for all replicas."""

    def __init__(
        self,
        limit: ChannelLimit,
        redis: Redis,
        key: str,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_recipients: int = 100_000,
    ) -> None:
        super().__init__(limit, clock=clock, sleep=sleep, max_recipients=max_recipients)
        self.redis = redis
        self.key = key
        self.script = redis.register_script(SCRIPT)
        self._accepted = 0
        self._answered: list[tuple[int, float, float]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._local = False  # Redis unreachable: pacing in-process until it answers again

    def _chat_key(self, address: str) -> str:
        return f"{self.key}:chat:{address}"

    async def _call(
        self,
        op: str,
        address: str = "",
        *,
        retry_after: float = 0.0,
        burst: int = 1,
        slot_at: float = 0.0,
    ) -> list[str]:
        pace = self.pace
        chat_interval = self.recipients.interval if self.recipients is not None else 0.0
        ttl = self.recipients.window if self.recipients is not None else 0.0
        accepted, self._accepted = (self._accepted, 0) if op == "reserve" else (0, self._accepted)
        now = self.clock()
        answered = [number for seq, trip, at in self._answered for number in (seq, trip + now - at)]
        self._answered = []
        args: list[Any] = [
            op,
            pace.configured,
            pace.headroom,
            pace.decrease,
            pace.increase,
            pace.floor,
            pace.window,
            accepted,
            retry_after,
            HOLD_AFTER,
            chat_interval,
            burst,
            ttl,
            slot_at,
            pace.count,
            pace.catch_up,
            MARGIN,
            *answered,  # per answer since the last call: its slot's number, how long ago it may have arrived
        ]
        keys = [self.key, self._chat_key(address), f"{self.key}:log"]
        raw = await self.script(keys=keys, args=args)
        answer = [value.decode() if isinstance(value, bytes) else str(value) for value in raw]
        pace.rate = float(answer[2])  # mirror what every replica learned
        if (held := float(answer[1])) > 0:
            pace.hold(held)
        if self._local:
            self._local = False
            log.warning("shared rate limit in Redis reachable again for %s", self.key)
        return answer

    def _fallback(self, exc: Exception) -> None:
        if not self._local:
            self._local = True
            log.warning(
                "shared rate limit in Redis unreachable for %s (%s): pacing in-process", self.key, exc
            )

    async def acquire(self, address: str, *, reply: bool = False) -> Slot | None:
        burst = self.limit.reply_burst if reply else 1
        try:
            while True:
                reserved = await self._call("reserve")
                slot = Slot(int(reserved[4]), self.clock() + max(0.0, float(reserved[0])))
                if (wait := float(reserved[0])) > 0:
                    await self.sleep(wait)
                answer = await self._call("chat", address, burst=burst, slot_at=float(reserved[3]))
                result, chat_wait = answer[0], answer[3]
                if result == "void":
                    continue  # a flood wait began (on some replica) while we waited: this slot is void
                if result == "wait":
                    if self.recipients is not None:
                        self.recipients.hold(address, float(chat_wait))
                    return None
                if self.recipients is not None:
                    self.recipients.take(address)  # our own record: whether a 429 concerns this chat
                return slot
        except (RedisError, OSError) as exc:
            self._fallback(exc)
            return await super().acquire(address, reply=reply)

    def answered(self, slot: Slot, started: float) -> None:
        """Move the slot's entry in the shared log to the latest time its send can have arrived."""
        if self._local:
            super().answered(slot, started)
            return
        trip = self.pace.shortest_trip(self.clock() - started)
        self._answered.append((slot.seq, trip, self.clock()))  # goes with the next call to Redis

    def accepted(self) -> None:
        super().accepted()
        self._accepted += 1

    def throttled(self, address: str, retry_after: float) -> Scope:
        scope = super().throttled(address, retry_after)
        op = "hold_chat" if scope is Scope.RECIPIENT else "refused"
        self._spawn(self._share(op, address, retry_after=retry_after))
        return scope

    def _spawn(self, call: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(call)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _share(self, op: str, address: str = "", **numbers: Any) -> None:
        try:
            await self._call(op, address, **numbers)
        except (RedisError, OSError) as exc:
            self._fallback(exc)

    async def settled(self) -> None:
        """Wait until every 429 this replica saw is recorded in Redis (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


PacerFactory = Callable[[Channel, ChannelLimit], ChannelPacer]


def shared_pacers(settings: SharedLimitSettings | None = None) -> PacerFactory | None:
    """A maker of Redis-backed pacers (one key per channel) when `REDIS_URL` is set, else None: then each
    process paces in memory, as a lone replica should."""
    settings = settings or SharedLimitSettings()
    if not settings.redis_url:
        return None
    redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    prefix = settings.redis_key_prefix

    def make(channel: Channel, limit: ChannelLimit) -> ChannelPacer:
        return SharedPacer(limit, redis, prefix + channel.value)

    return make
