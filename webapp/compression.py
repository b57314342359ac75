"""Response compression (flask-compress): brotli or gzip for HTML, JSON, JavaScript and CSS.

Callback answers are compressed on every response (they differ each time); the static files
(Dash's component suites, `plotly.min.js` among them at 4.8 MB, and `/assets/`) are compressed
once per file and encoding and kept in memory, so a crowd of first visits costs no extra CPU.
Dash's own `compress=True` offers gzip only and no such cache.
"""
from __future__ import annotations

import threading

from flask import Flask, Request
from flask_compress import Compress

STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
             "image/svg+xml"]
_DYNAMIC = "-"


class StaticCompressedCache:
    """flask-compress cache backend that keeps only static files' compressed bytes.

    Keys come from `static_key`; dynamic responses get the key `<algorithm>;-`, which is never
    stored, so two different callback answers can never share an entry."""

    def __init__(self, max_bytes: int = 64 * 2**20):
        self.max_bytes = max_bytes
        self._items: dict[str, bytes] = {}
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        if key.endswith(";" + _DYNAMIC):
            return None
        with self._lock:
            return self._items.get(key)

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";" + _DYNAMIC):
            return
        with self._lock:
            if key in self._items or self._size + len(value) > self.max_bytes:
                return
            self._items[key] = value
            self._size += len(value)


def static_key(request: Request) -> str:
    """The cache key of a static file (path with its fingerprint or `?m=` version), else `-`."""
    if request.method == "GET" and request.path.startswith(STATIC_PREFIXES):
        return request.full_path
    return _DYNAMIC


def enable_compression(server: Flask) -> Compress:
    """Compress what `server` answers for clients that accept brotli or gzip."""
    server.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_BR_LEVEL=5,
        COMPRESS_LEVEL=6,
        COMPRESS_MIMETYPES=MIMETYPES,
        COMPRESS_MIN_SIZE=500,
        COMPRESS_STREAMS=False,
        COMPRESS_CACHE_BACKEND=StaticCompressedCache,
        COMPRESS_CACHE_KEY=static_key,
    )
    return Compress(server)
