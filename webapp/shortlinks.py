"""Short links for long views: `/s/<id>` redirects to the view's full path and query string.

A view with many filters makes a URL of several kilobytes (ten clusters and fifty namespaces: over
4 KB), too long to paste into a chat or a ticket. The share button stores such a URL under the
first 16 hex digits of its SHA-256 and hands out `/s/<id>`. The store must be shared by every
worker and replica: Redis when `DATAOPS_REDIS_URL` is set, else a folder on this host
(`DATAOPS_SHORT_LINKS_DIR`), which the workers of one `serve` share. Only paths of this app are
stored (never another site: no open redirect), bounded in length.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from urllib.parse import urlsplit

from flask_caching import Cache

MAX_URL_LENGTH = 65536        # bytes of path and query; far above any view the pickers can build
SHORTEN_ABOVE = 2000          # the share button shortens links longer than this (what chat tools keep)
LINK_SECONDS = 400 * 86400    # a short link lives as long as the longest range the app shows
_ID = re.compile(r"^[0-9a-f]{16}$")


class ShortLinkError(ValueError):
    """A URL that cannot be stored, or an id that names nothing."""


def short_id(path: str) -> str:
    """The id of a path: the same view always gets the same short link."""
    return hashlib.sha256(path.encode("utf-8")).hexdigest()[:16]


def checked_path(url: str) -> str:
    """An app path (`/capacity?var-cluster=a`) from what the browser sent; raises ShortLinkError.

    Absolute URLs keep only their path and query (the link is for this app, whatever its host).
    """
    if not isinstance(url, str) or not url:
        raise ShortLinkError("no URL to shorten")
    if len(url) > MAX_URL_LENGTH:
        raise ShortLinkError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        raise ShortLinkError("only paths of this app can be shortened")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise ShortLinkError("the URL has control characters")
    if path.startswith("/s/"):
        raise ShortLinkError("that is already a short link")
    return path + (f"?{parts.query}" if parts.query else "")


class ShortLinks:
    """The short-link store of one app (see the module docstring for where it keeps links)."""

    def __init__(self, server, redis_url: str | None, folder: str | None = None):
        if redis_url:
            config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url, "CACHE_KEY_PREFIX": "dataops:s:"}
        else:
            folder = folder or os.path.join(tempfile.gettempdir(), "dataops-monitor-links")
            config = {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": folder, "CACHE_THRESHOLD": 100000}
        config["CACHE_DEFAULT_TIMEOUT"] = LINK_SECONDS
        self._cache = Cache(config=config)
        self._cache.init_app(server, config=config)

    def store(self, url: str) -> str:
        """Store a view's URL; returns its id. Raises ShortLinkError for what is not an app path."""
        path = checked_path(url)
        key = short_id(path)
        self._cache.set(key, path, timeout=LINK_SECONDS)
        return key

    def resolve(self, key: str) -> str:
        """The path stored under `key`; raises ShortLinkError when the id is malformed or unknown."""
        if not isinstance(key, str) or not _ID.match(key):
            raise ShortLinkError("not a short link")
        path = self._cache.get(key)
        if not isinstance(path, str):
            raise ShortLinkError("this short link is unknown or has expired")
        return path
