"""One panel's answer to the page, served from a cache of rendered panels.

A rendered panel (its Dash components as plain JSON data, and its state) is kept per panel and
view: the key is the panel's definition, the queries it sends (PromQL with the aligned start, end
and step), the tenant scope, the theme and the view's query string its links carry. So a warm page
is served, not recomputed, and concurrent misses of one key render once (single-flight in
`JsonCache`). Only complete answers are kept (ok or empty, no partial-data warnings).
"""
from __future__ import annotations

import hashlib
import json
import logging

from plotly.io.json import to_json_plotly as to_json
from flask import Flask

from webapp.catalog.model import Panel
from webapp.engine import INSTANT_ALIGN, QueryPlan, plan_query
from webapp.promql import TemplateError
from webapp.runner import run_panels
from webapp.sources.cache import JsonCache, MemoryBackend, RedisBackend
from webapp.viewstate import ViewState

from .panels import apply_theme, render_panel_body

log = logging.getLogger(__name__)
EXTENSION = "dataops.panel_cache"
# Rendered panels live as long as an instant query's cache entry: the key moves with the aligned
# range anyway, and a short life keeps a panel at most this stale after its data changes.
PANEL_TTL = INSTANT_ALIGN
KEPT_STATES = ("ok", "empty")


class SharedFlightCache(JsonCache):
    """A JsonCache over Redis whose misses are single-flight across processes too: the first
    process to miss a key takes a short Redis lock (SET NX PX) and renders; the others wait for
    the value to appear (or the lock to go, then render themselves). Within a process, JsonCache's
    own single-flight already holds the other threads."""

    POLL_SECONDS = 0.05

    def __init__(self, backend: RedisBackend, default_timeout: int, lock_seconds: float = 30.0):
        super().__init__(backend, default_timeout)
        self.lock_seconds = lock_seconds

    def get_or_fetch(self, key, fetch, timeout, cacheable=lambda _: True):
        return super().get_or_fetch(key, lambda: self._across(key, fetch, timeout, cacheable), timeout, cacheable)

    def _across(self, key, fetch, timeout, cacheable):
        import time

        redis, lock = self.backend._redis, self.backend.prefix + "lock:" + key
        try:
            leader = bool(redis.set(lock, b"1", nx=True, px=int(self.lock_seconds * 1000)))
        except Exception as exc:  # a Redis outage costs the coalescing, never the panel
            log.warning("panel lock failed: %s", type(exc).__name__)
            return fetch()
        if leader:
            try:
                value = fetch()
                if value is not None and cacheable(value):
                    self.set(key, value, timeout)  # before the lock goes, so waiters find it
                return value
            finally:
                redis.delete(lock)
        deadline = time.monotonic() + self.lock_seconds
        while time.monotonic() < deadline:
            value = self.get(key)
            if value is not None:
                return value
            if not redis.exists(lock):
                break  # the leader's answer was not kept (error, partial): render our own
            time.sleep(self.POLL_SECONDS)
        return fetch()


def install_panel_cache(server: Flask, redis_url: str | None) -> JsonCache:
    """The app's cache of rendered panels: in process, or in Redis (shared by workers, misses
    coalesced across them) when configured."""
    if redis_url:
        cache: JsonCache = SharedFlightCache(RedisBackend(redis_url, prefix="dataops:panel:"), PANEL_TTL)
    else:
        cache = JsonCache(MemoryBackend(max_items=2000), PANEL_TTL)
    server.extensions[EXTENSION] = cache
    return cache


def panel_cache() -> JsonCache | None:
    """The current app's cache of rendered panels (None outside a request or when not installed)."""
    from flask import current_app, has_app_context
    return current_app.extensions.get(EXTENSION) if has_app_context() else None


def _plans(panel: Panel, view: ViewState, extra) -> list[str]:
    out = []
    for query in panel.queries:
        try:
            plan: QueryPlan = plan_query(query.expr, view, panel.instant, panel.max_points, panel.min_step, extra)
            out.append(f"{plan.promql}|{plan.start:.0f}|{plan.end:.0f}|{plan.step}")
        except TemplateError as exc:
            out.append(f"error:{exc}")
    # Annotation queries too: a path variable only they use still tells one entity's panel from another's.
    from webapp.annotations import plan_annotations
    out += [f"{a.plan.promql}|{a.plan.start:.0f}|{a.plan.end:.0f}" if isinstance(a.plan, QueryPlan) else "error"
            for a in plan_annotations(panel, view, extra)]
    return out


def panel_key(panel: Panel, view: ViewState, extra, scope, query_string: str, datasource: str) -> str:
    """The cache key of a rendered panel for this view (sha256 of everything its answer depends on)."""
    raw = json.dumps([repr(panel), _plans(panel, view, extra), repr(scope), view.theme, view.zone.name, query_string,
                      datasource],
                     separators=(",", ":"))
    return "panel:" + hashlib.sha256(raw.encode()).hexdigest()


def datasource_of(runtime) -> str:
    """Which data source (and Thanos options) a rendered panel came from: part of its key, as
    several apps may share one Redis."""
    settings = runtime.settings
    return f"{settings.prometheus_url}|{sorted(settings.thanos_params.items())}"


def render_panel(runtime, panel: Panel, view: ViewState, extra, query_string: str) -> tuple[list, str]:
    """(children, state) of one panel, computed: its queries run, then its renderer."""
    data = run_panels(runtime.engine, [panel], view, extra)[panel.id]
    children, state = render_panel_body(data, query_string)
    if getattr(data, "warnings", ()):
        state = state + ":partial"  # not kept: the next refresh asks for a complete answer
    return apply_theme(children, view.theme), state


def serve_panel(runtime, cache: JsonCache | None, panel: Panel, view: ViewState, extra,
                query_string: str) -> tuple[list | dict, str]:
    """(children as components or their JSON data, state) of one panel, from the cache when it can."""
    if cache is None or panel.source != "prometheus":
        children, state = render_panel(runtime, panel, view, extra, query_string)
        return children, state.partition(":")[0]
    key = panel_key(panel, view, extra, runtime.engine.current_scope(), query_string, datasource_of(runtime))

    def fetch() -> dict:
        children, state = render_panel(runtime, panel, view, extra, query_string)
        # Plain JSON data: what Dash would send anyway, so a hit needs no figure building at all.
        return {"children": json.loads(to_json(children)), "state": state}
    value, _ = cache.get_or_fetch(key, fetch, PANEL_TTL, cacheable=lambda v: v["state"] in KEPT_STATES)
    return value["children"], value["state"].partition(":")[0]
