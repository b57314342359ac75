"""The engine's cache: JSON values (never pickles), with single-flight misses.

Backends: an in-process TTL dictionary (default) or Redis (`DATAOPS_REDIS_URL`, shared by workers
and replicas). Values are stored as JSON text, so someone who can write to Redis can change what a
panel shows, but cannot run code in the app (flask-caching's Redis backend unpickles what it reads).
Concurrent misses of one key in one process wait for the first fetch instead of all hitting the
source (flask-caching has no such merge).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)
_MISSING = object()


class MemoryBackend:
    """Bounded in-process store of JSON text with expiry (least recently set evicted first)."""

    def __init__(self, max_items: int = 5000):
        self.max_items = max_items
        self._items: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._items[key]
                return None
            return item[1]

    def set(self, key: str, text: str, timeout: int) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + timeout, text)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class NullBackend:
    """Keeps nothing (benchmarks and tests of the uncached path)."""

    def get(self, key: str) -> None:
        return None

    def set(self, key: str, text: str, timeout: int) -> None:
        return None


class RedisBackend:
    """Redis strings under a prefix, with SETEX expiry (redis-py, the `redis` extra)."""

    def __init__(self, url: str, prefix: str = "dataops:"):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix

    def get(self, key: str) -> str | None:
        raw = self._redis.get(self.prefix + key)
        return raw.decode("utf-8") if raw is not None else None

    def set(self, key: str, text: str, timeout: int) -> None:
        self._redis.set(self.prefix + key, text.encode("utf-8"), ex=max(1, int(timeout)))


class JsonCache:
    """get/set of JSON-safe values over a backend; a broken backend or value reads as a miss."""

    def __init__(self, backend=None, default_timeout: int = 300):
        self.backend = backend if backend is not None else MemoryBackend()
        self.default_timeout = default_timeout
        self._inflight: dict[str, Future] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        """The cached value, or None (miss, expired, unreadable)."""
        try:
            text = self.backend.get(key)
        except Exception as exc:  # a cache outage must not fail a panel
            log.warning("cache read failed: %s", type(exc).__name__)
            return None
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        """Store a JSON-safe value (ValueError/TypeError for anything else: a bug, not data)."""
        text = json.dumps(value, separators=(",", ":"), allow_nan=True)
        try:
            self.backend.set(key, text, self.default_timeout if timeout is None else timeout)
        except Exception as exc:
            log.warning("cache write failed: %s", type(exc).__name__)

    def get_or_fetch(self, key: str, fetch: Callable[[], Any], timeout: int,
                     cacheable: Callable[[Any], bool] = lambda _: True) -> tuple[Any, bool]:
        """(value, hit): from the cache, or from `fetch()` once for all concurrent callers of `key`.

        Exceptions of `fetch` reach every waiting caller and are never cached."""
        hit = self.get(key)
        if hit is not None:
            return hit, True
        with self._lock:
            future = self._inflight.get(key)
            leader = future is None
            if leader:
                future = self._inflight[key] = Future()
        if not leader:
            return future.result(), False
        try:
            value = fetch()
            if value is not None and cacheable(value):
                self.set(key, value, timeout)
            future.set_result(value)
            return value, False
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)
