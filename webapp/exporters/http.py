"""One JSON-over-HTTP client for the exporters: timeouts, credentials, rate limits, call counting.

Rate limits: an HTTP 429 is retried after its ``Retry-After`` (seconds or an HTTP date, capped at
``max_wait``), at most ``retries`` times; Bitbucket Data Center's token bucket headers
(``X-RateLimit-Remaining``, ``X-RateLimit-FillRate``, ``X-RateLimit-Interval-Seconds``) make the client
pause before the next request when the bucket is empty, instead of running into 429s.
"""
from __future__ import annotations

import email.utils
import time

import requests

__all__ = ["ApiClient", "ApiError"]


class ApiError(RuntimeError):
    """A request failed (connection, status >= 400 after retries, or a body that is not JSON)."""


class ApiClient:
    """GET JSON from ``base_url`` for ``exporter`` (an :class:`~webapp.exporters.base.Exporter`)."""

    def __init__(self, base_url: str, exporter, auth=None, timeout: float = 15.0, retries: int = 3,
                 max_wait: float = 60.0, sleep=time.sleep, headers: dict | None = None):
        self.base = base_url.rstrip("/")
        self.exporter = exporter
        self.timeout = timeout
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.session.headers.update(headers or {})
        if isinstance(auth, tuple):
            self.session.auth = auth
        elif isinstance(auth, str):
            self.session.headers["Authorization"] = f"Bearer {auth}"
        self._pause_until = 0.0

    def get(self, path: str, api: str, params: dict | None = None, ok404: bool = False):
        """The JSON body of ``GET base + path``; ``api`` names the endpoint for the call counter.

        Returns None for a 404 when ``ok404``. Raises ApiError otherwise on failure.
        """
        url = self.base + path
        for attempt in range(self.retries + 1):
            wait = self._pause_until - time.monotonic()
            if wait > 0:
                self.sleep(min(wait, self.max_wait))
            self.exporter.call(api)
            try:
                r = self.session.get(url, params=params, timeout=self.timeout)
            except requests.RequestException as exc:
                raise ApiError(f"{api}: {type(exc).__name__}") from None
            self._note_bucket(r.headers)
            if r.status_code == 429 and attempt < self.retries:
                self.exporter.rate_limited[api] += 1
                self.sleep(self._retry_after(r.headers.get("Retry-After")))
                continue
            if r.status_code == 404 and ok404:
                return None
            if r.status_code >= 400:
                if r.status_code == 429:
                    self.exporter.rate_limited[api] += 1
                raise ApiError(f"{api}: HTTP {r.status_code}")
            try:
                return r.json()
            except ValueError:
                raise ApiError(f"{api}: the answer is not JSON") from None
        raise ApiError(f"{api}: rate limited")  # pragma: no cover - the loop returns or raises

    def _retry_after(self, value: str | None) -> float:
        if not value:
            return min(1.0, self.max_wait)
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError):
                return min(1.0, self.max_wait)
            seconds = when - time.time()
        return max(0.0, min(seconds, self.max_wait))

    def _note_bucket(self, headers) -> None:
        try:
            remaining = int(headers.get("X-RateLimit-Remaining", "1"))
        except ValueError:
            return
        if remaining > 0:
            return
        try:
            fill = float(headers.get("X-RateLimit-FillRate", "1")) or 1.0
            interval = float(headers.get("X-RateLimit-Interval-Seconds", "1"))
        except ValueError:
            fill, interval = 1.0, 1.0
        # an empty bucket gets `fill` tokens every `interval` seconds: wait for one
        self._pause_until = time.monotonic() + min(interval / fill, self.max_wait)

    def pages(self, path: str, api: str, params: dict | None = None, limit: int = 100, max_pages: int = 1000):
        """Every ``values`` item of a Bitbucket-style paged resource (``start``/``isLastPage``/``nextPageStart``)."""
        start = 0
        for _ in range(max_pages):
            page = self.get(path, api, {**(params or {}), "start": start, "limit": limit})
            if not isinstance(page, dict):
                raise ApiError(f"{api}: a page is not an object")
            yield from page.get("values") or []
            if page.get("isLastPage", True) or page.get("nextPageStart") is None:
                return
            start = int(page["nextPageStart"])
