"""Shared plumbing of the optional REST data sources (Spark History Server, Airflow REST API).

* :class:`RestSourceError`: the one error type both clients raise (``kind``, ``message``, ``status``,
  ``user_message`` for a panel's error state);
* :func:`quote_segment` / :func:`validate_id`: path segments come from the URL (hostile input): they are
  validated (length, no control characters) and percent-quoted with ``safe=""`` so ``/``, ``..``, ``?``
  and ``#`` can never change the path that is requested;
* :class:`JsonGetter`: GET-JSON over its own ``requests.Session`` with a timeout on every call, no
  retries, and an optional cache (any object with ``get(key)`` / ``set(key, value, timeout=)``, such as
  the engine's JSON cache) keyed by the full URL.

Nothing here knows about Dash.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
import urllib.parse
from typing import Any, Callable

import requests

from .sources.base import SourceError
from .telemetry import traced_session

__all__ = ["RestSourceError", "JsonGetter", "quote_segment", "validate_id", "parse_time", "MAX_ID_LENGTH"]

MAX_ID_LENGTH = 256

_USER_MESSAGES = {
    "timeout": "{source} did not answer in time.",
    "unreachable": "{source} is unreachable.",
    "http": "{source} answered with an error (HTTP {status}).",
    "auth": "{source} refused the credentials (HTTP {status}).",
    "invalid_response": "{source} sent an answer that could not be read.",
    "invalid_id": "The requested id is not valid.",
}


class RestSourceError(SourceError):
    """Any failure talking to a REST data source.

    ``kind``: ``timeout`` | ``unreachable`` | ``http`` | ``auth`` | ``invalid_response`` | ``invalid_id``;
    ``status``: the HTTP status when there was one.
    """

    def __init__(self, kind: str, message: str, status: int | None = None, source: str = "The data source"):
        super().__init__(kind, message, status, source)

    @property
    def user_message(self) -> str:
        """A short sentence for the panel's error state (no URLs, no stack traces)."""
        if self.kind in ("forbidden", "not_found"):
            return super().user_message
        tmpl = _USER_MESSAGES.get(self.kind, "{source} failed.")
        return tmpl.format(source=self.source, status=self.status if self.status is not None else "?")

    def __repr__(self) -> str:
        return f"RestSourceError(kind={self.kind!r}, message={self.message!r}, status={self.status!r})"


def validate_id(value: Any, what: str = "id") -> str:
    """Return ``value`` as a string if it is an acceptable path id, else raise ``RestSourceError('invalid_id')``."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RestSourceError("invalid_id", f"{what} must be a string, not {type(value).__name__}")
    s = str(value)
    if not s or len(s) > MAX_ID_LENGTH:
        raise RestSourceError("invalid_id", f"{what} must be 1..{MAX_ID_LENGTH} characters")
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in s):
        raise RestSourceError("invalid_id", f"{what} contains control characters")
    return s


def quote_segment(value: Any, what: str = "id") -> str:
    """Validate and percent-quote one path segment (``/`` included: it can never add a segment).

    ``.`` and ``..`` alone would still be resolved by servers, so they are refused as well."""
    s = validate_id(value, what)
    if s in (".", ".."):
        raise RestSourceError("invalid_id", f"{what} must not be '.' or '..'")
    return urllib.parse.quote(s, safe="")


def parse_time(value: Any) -> dt.datetime | None:
    """Timestamps of both APIs as aware UTC datetimes.

    Accepts epoch milliseconds (Spark ``*Epoch`` fields), Spark's ``2026-11-26T09:29:52.719GMT`` and
    ISO 8601 (Airflow, ``Z`` or an offset). ``None``/``""``/unparseable -> ``None``."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if value <= 0:
            return None
        return dt.datetime.fromtimestamp(value / 1000.0, tz=dt.timezone.utc)
    if not isinstance(value, str):
        return None
    s = value.strip()
    if s.endswith("GMT"):
        s = s[:-3] + "+00:00"
    elif s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        t = dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(dt.timezone.utc)


class JsonGetter:
    """GET JSON from ``base_url`` + path with one ``requests.Session`` (thread-safe enough for reads)."""

    def __init__(self, base_url: str, timeout: float = 10.0, cache=None, source: str = "The data source",
                 cache_timeout: int = 30, cache_prefix: str = "rest:", session: requests.Session | None = None):
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        if not self.timeout > 0:
            raise ValueError("timeout must be > 0")
        self.cache = cache
        self.cache_timeout = cache_timeout
        self.cache_prefix = cache_prefix
        self.source = source
        # Metric label of the source: "Spark History Server" -> spark_history_server.
        self.session = session or traced_session(re.sub(r"\W+", "_", source.lower()).strip("_") or "rest")
        self.session.headers.update({"Accept": "application/json"})
        self._lock = threading.Lock()
        #: called with the response status before it is treated as an error; return True to retry once
        self.on_unauthorized: Callable[[], bool] | None = None

    def url(self, path: str, params: dict | None = None) -> str:
        u = self.base_url + path
        if params:
            u += "?" + urllib.parse.urlencode([(k, v) for k, v in params.items() if v is not None])
        return u

    def _err(self, kind: str, message: str, status: int | None = None) -> RestSourceError:
        return RestSourceError(kind, message, status, source=self.source)

    def get(self, path: str, params: dict | None = None, not_found_ok: bool = False, use_cache: bool = True) -> Any:
        """The decoded JSON of ``GET base_url + path?params``; ``None`` on 404 when ``not_found_ok``."""
        url = self.url(path, params)
        key = self.cache_prefix + url
        if use_cache and self.cache is not None:
            try:
                hit = self.cache.get(key)
            except Exception:  # a broken cache must not break the panel
                hit = None
            if hit is not None:
                return hit.get("v") if isinstance(hit, dict) else hit
        data = self._fetch(url, not_found_ok)
        if use_cache and self.cache is not None:
            try:
                self.cache.set(key, {"v": data}, timeout=self.cache_timeout)
            except Exception:
                pass
        return data

    def _fetch(self, url: str, not_found_ok: bool, retried: bool = False) -> Any:
        try:
            resp = self.session.get(url, timeout=self.timeout, allow_redirects=False)
        except requests.Timeout as e:
            raise self._err("timeout", f"GET {url} timed out after {self.timeout:g} s") from e
        except requests.RequestException as e:
            raise self._err("unreachable", f"GET {url} failed: {type(e).__name__}: {e}") from e
        status = resp.status_code
        if status == 404 and not_found_ok:
            return None
        if status in (401, 403):
            if not retried and self.on_unauthorized is not None and status == 401 and self.on_unauthorized():
                return self._fetch(url, not_found_ok, retried=True)
            raise self._err("auth", f"GET {url}: HTTP {status}: {resp.text[:200]}", status)
        if status != 200:
            raise self._err("http", f"GET {url}: HTTP {status}: {resp.text[:200]}", status)
        try:
            return resp.json()
        except ValueError as e:
            ctype = resp.headers.get("Content-Type", "")
            raise self._err("invalid_response", f"GET {url}: not JSON ({ctype}): {resp.text[:120]!r}", status) from e

    def close(self) -> None:
        self.session.close()


def as_int(v: Any, default: int = 0) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def as_float(v: Any) -> float | None:
    try:
        return None if v is None or isinstance(v, bool) else float(v)
    except (TypeError, ValueError):
        return None
