"""Per-gateway send rate limits that hold across every worker (MSG-03).

A limiter hands out *reservations*: "you may send n messages starting in w
seconds".  State is one number per gateway, the theoretical time the next
slot opens (as in GCRA), kept in Redis when REDIS_URL is set (atomic in a Lua
script, using Redis' clock so machines' clocks do not matter) and otherwise
in a small file under VAR_DIR guarded by flock (every process of the one
embedded machine shares it).

A Throttle is what a gateway calls before each request: it reserves slots
in small chunks, so a worker sending 5,000/s makes 250 Redis calls a second,
not 5,000.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from pathlib import Path

from django.conf import settings

_REDIS_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now - burst then tat = now - burst end
local start = tat
tat = tat + n * interval
redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil((tat - now) * 1000) + 60000)
return tostring(start - now)
"""


log = logging.getLogger("messaging.ratelimit")


class LocalLimiter:
    """This process alone: what the Redis limiter falls back to while Redis is unreachable."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tat: dict[str, float] = {}

    def reserve(self, key: str, rate: float, n: int, burst: float = 0.0) -> float:
        with self.lock:
            now = time.time()
            start = max(self.tat.get(key, 0.0), now - burst)
            self.tat[key] = start + n / rate
            return max(0.0, start - now)

    def reset(self, key: str) -> None:
        with self.lock:
            self.tat.pop(key, None)


class RedisLimiter:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.script = self.client.register_script(_REDIS_SCRIPT)
        self.fallback = LocalLimiter()

    def reserve(self, key: str, rate: float, n: int, burst: float = 0.0) -> float:
        import redis

        try:
            wait = float(self.script(keys=[f"nuanxin:rate:{key}"], args=[1.0 / rate, n, burst]))
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            # Sending goes on while Redis restarts, each process keeping the rate on
            # its own; several processes may then exceed it together, and the
            # provider's 429s (retried by the gateway) take up the slack.
            log.warning("rate limiter: Redis unreachable (%s); limiting this process alone", type(exc).__name__)
            return self.fallback.reserve(key, rate, n, burst)
        return max(0.0, wait)

    def reset(self, key: str) -> None:
        self.client.delete(f"nuanxin:rate:{key}")


class FileLimiter:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.rate"

    def reserve(self, key: str, rate: float, n: int, burst: float = 0.0) -> float:
        fd = os.open(self._path(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.read(fd, 64)
            now = time.time()
            try:
                tat = float(raw or b"0")
            except ValueError:
                tat = 0.0
            tat = max(tat, now - burst)
            start = tat
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, repr(tat + n / rate).encode())
            return max(0.0, start - now)
        finally:
            os.close(fd)  # closing releases the lock

    def reset(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass


_limiter = None
_limiter_lock = threading.Lock()


def limiter():
    global _limiter
    with _limiter_lock:
        wanted = ("redis", settings.REDIS_URL) if settings.REDIS_URL else ("file", str(settings.VAR_DIR))
        if _limiter is None or _limiter[0] != wanted:
            impl = RedisLimiter(settings.REDIS_URL) if settings.REDIS_URL else FileLimiter(
                Path(settings.VAR_DIR) / "ratelimit")
            _limiter = (wanted, impl)
        return _limiter[1]


class Throttle:
    """Blocks each caller until the gateway's global rate allows one more message.

    Thread-safe: a gateway may send a batch on several threads at once."""

    def __init__(self, key: str, rate: float, *, chunk: int | None = None, backend=None, sleep=time.sleep):
        self.key = key
        self.rate = float(rate)
        self.chunk = chunk or max(1, min(20, int(self.rate // 50) or 1))
        self.backend = backend
        self.sleep = sleep
        self.tokens = 0
        self.lock = threading.Lock()
        self.waited = 0.0

    def take(self, n: int = 1) -> None:
        if self.rate <= 0:
            return  # unlimited
        with self.lock:
            if self.tokens >= n:
                self.tokens -= n
                return
            want = max(n - self.tokens, self.chunk)
            wait = (self.backend or limiter()).reserve(self.key, self.rate, want)
            if wait > 0:
                # Sleeping under the lock is deliberate: every other thread of
                # this batch needs slots that open after these ones anyway.
                self.waited += wait
                self.sleep(wait)
            self.tokens += want - n
