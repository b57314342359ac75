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
import pathlib
import re
import tempfile
import time
from urllib.parse import urlsplit

MAX_URL_LENGTH = 65536        # bytes of path and query; far above any view the pickers can build
SHORTEN_ABOVE = 2000          # the share button shortens links longer than this (what chat tools keep)
LINK_SECONDS = 400 * 86400    # a short link lives as long as the longest range the app shows
MAX_LINKS = 100000            # links kept in a folder store (the oldest go first)
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


class FolderBackend:
    """One file per link in a folder that every worker of one host sees; writes are atomic, links
    older than `LINK_SECONDS` are gone, and the oldest go first beyond `max_items`."""

    def __init__(self, folder: str, max_items: int = MAX_LINKS):
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.max_items = max_items

    def get(self, key: str) -> str | None:
        path = self.folder / key
        try:
            if time.time() - path.stat().st_mtime > LINK_SECONDS:
                return None
            return path.read_text(encoding="utf-8")
        except OSError:
            return None

    def set(self, key: str, text: str, timeout: int) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".new-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, self.folder / key)
        entries = [p for p in self.folder.iterdir() if _ID.match(p.name)]
        if len(entries) > self.max_items:
            for old in sorted(entries, key=lambda p: p.stat().st_mtime)[:len(entries) - self.max_items]:
                old.unlink(missing_ok=True)


class ShortLinks:
    """The short-link store of one app (see the module docstring for where it keeps links)."""

    def __init__(self, redis_url: str | None, folder: str | None = None):
        if redis_url:
            from .sources.cache import RedisBackend
            self._backend = RedisBackend(redis_url, prefix="dataops:s:")
        else:
            self._backend = FolderBackend(folder or os.path.join(tempfile.gettempdir(), "dataops-monitor-links"))

    def store(self, url: str) -> str:
        """Store a view's URL; returns its id. Raises ShortLinkError for what is not an app path."""
        path = checked_path(url)
        key = short_id(path)
        self._backend.set(key, path, LINK_SECONDS)
        return key

    def resolve(self, key: str) -> str:
        """The path stored under `key`; raises ShortLinkError when the id is malformed or unknown."""
        if not isinstance(key, str) or not _ID.match(key):
            raise ShortLinkError("not a short link")
        path = self._backend.get(key)
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ShortLinkError("this short link is unknown or has expired")
        return path
