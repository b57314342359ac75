"""The app factory: `create_app(settings)` builds the Flask server and the Dash app on it."""
from __future__ import annotations

import logging
import os
import pathlib
import time

import dash
from dash import Dash, html
from flask import Flask, Response, jsonify, request

from . import requestlog
from .engine import QueryEngine
from .metrics import AppMetrics
from .prometheus import PrometheusClient
from .runtime import EXTENSION, Runtime
from .settings import Settings, SettingsError
from .sources import build_sources, source_health, transport

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES_DIR = ROOT / "pages"
ASSETS_DIR = ROOT / "assets"
log = logging.getLogger(__name__)
# Dash's own page, declaring its language (screen readers pick their voice from it).
INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>
"""
READY_PROBE_SECONDS = 2.0  # /readyz reports the sources' health from probes this fresh


def _cache(settings: Settings):
    """The engine's cache: JSON values (never pickles) in process, or in Redis when configured."""
    from .sources.cache import JsonCache, MemoryBackend, RedisBackend

    backend = RedisBackend(settings.redis_url) if settings.redis_url else MemoryBackend()
    return JsonCache(backend, settings.cache_default_timeout)


def _scope_provider(settings: Settings):
    """The current request's tenant scope, from the portal's group header (everything without tenancy)."""
    if not settings.tenancy_file:
        return lambda: ()
    from flask import has_request_context

    from .tenancy import ScopeError, load_tenancy
    try:
        tenancy = load_tenancy(settings.tenancy_file)
    except ScopeError as exc:
        raise SettingsError(f"DATAOPS_TENANCY_FILE: {exc}") from None

    def scope():
        if not has_request_context():
            return None  # no request, no groups: nothing
        # Repeated headers are folded into one comma-joined value by the WSGI server.
        return tenancy.scope_for(", ".join(request.headers.getlist(tenancy.header)) or None)
    return scope


def create_app(settings: Settings) -> Dash:
    """Build the app for these settings (the data source URL must be set)."""
    if not settings.prometheus_url:
        raise SettingsError("DATAOPS_PROMETHEUS_URL is not set (use `dataops-monitor demo` for the demo platform)")
    from components.callbacks import register_callbacks
    from components.panel_service import install_panel_cache

    from .compression import enable_compression

    server = Flask("dataops_monitor")
    metrics = AppMetrics()
    credentials = dict(settings.source_credentials)
    client = PrometheusClient(settings.prometheus_url, settings.query_timeout_seconds, settings.thanos_params,
                              session=transport.session(credentials.get("prometheus"), source="prometheus"))
    cache = _cache(settings)
    sources = build_sources(settings, cache, credentials, prometheus_client=client)
    engine = QueryEngine(client, cache, settings.max_concurrent_queries, metrics, scope=_scope_provider(settings),
                         sources=sources, cluster_label=settings.cluster_label,
                         critical_services=settings.critical_services)
    server.extensions[EXTENSION] = Runtime(settings, client, engine, metrics)

    app = Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        assets_folder=str(ASSETS_DIR),
        suppress_callback_exceptions=True,
        title="DataOps Monitor",
        update_title=None,
        serve_locally=True,
    )
    app.index_string = INDEX_STRING
    app.layout = html.Div([dash.page_container], id="app-root")
    _add_file_dashboards(app, settings)
    from components.panel_menu import install_panel_menu
    install_panel_menu(server)
    register_callbacks(app)
    install_panel_cache(server, settings.redis_url)
    enable_compression(server)
    _add_endpoints(server, metrics)
    _add_short_links(server, settings)
    _add_headers(server, settings, metrics)
    requestlog.install(server, app.callback_map, metrics)
    return app


def _add_file_dashboards(app: Dash, settings: Settings) -> None:
    """Load the dashboards folder (if set) and serve each file at /d/<uid>."""
    if not settings.dashboards_dir:
        return
    from components.file_pages import register_file_pages

    from .catalog import DASHBOARDS
    from .dashboards import EXTENSION as DASHBOARDS_EXTENSION, DashboardFileError, load_dir
    try:
        loaded = load_dir(settings.dashboards_dir, reserved_paths=[d.path for d in DASHBOARDS.values()])
    except DashboardFileError as exc:
        raise SettingsError(f"DATAOPS_DASHBOARDS_DIR: {exc}") from None
    clash = [d.spec.uid for d in loaded if d.spec.uid in DASHBOARDS]
    if clash:
        raise SettingsError(f"DATAOPS_DASHBOARDS_DIR: uid {clash[0]!r} is a built-in dashboard's id")
    app.server.extensions[DASHBOARDS_EXTENSION] = {d.spec.uid: d for d in loaded}
    register_file_pages(loaded)


def _add_endpoints(server: Flask, metrics: AppMetrics) -> None:
    @server.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @server.get("/readyz")
    def readyz():
        # Ready while the app can serve: a data source outage shows on its panels (and in /metrics as
        # dataops_datasource_up), so it must not take every replica out of its Service. The probe
        # is fresh, bounded well inside the kubelet's timeout, and reported, never failed on.
        runtime = server.extensions.get(EXTENSION)
        health = source_health(runtime, max_age=0, wait=READY_PROBE_SECONDS) if runtime is not None else []
        return jsonify(status="ready", sources={h.name: h.up for h in health if h.configured})

    @server.get("/metrics")
    def app_metrics():
        runtime = server.extensions.get(EXTENSION)
        if runtime is not None:
            source_health(runtime)  # refreshes dataops_datasource_up{source}
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)


def _add_short_links(server: Flask, settings: Settings) -> None:
    """`POST /s` stores a long view's URL, `GET /s/<id>` goes back to it (see webapp/shortlinks.py)."""
    from flask import redirect

    from .server import worker_tmp_dir
    from .shortlinks import MAX_URL_LENGTH, ShortLinkError, ShortLinks

    # Without a folder setting, links live where the workers' heartbeats do (/dev/shm when writable):
    # shared by a host's workers, and writable on a read-only root filesystem.
    folder = None if settings.redis_url else (
        settings.short_links_dir or os.path.join(worker_tmp_dir(settings), "dataops-monitor-links"))
    links = ShortLinks(settings.redis_url, folder)
    server.extensions["dataops.shortlinks"] = links

    @server.before_request
    def bounded_url():
        if len(request.full_path) > MAX_URL_LENGTH:
            return Response(f"This link is longer than {MAX_URL_LENGTH} characters; share a short link "
                            "(the Share button makes one) instead.", status=414, mimetype="text/plain")
        return None

    @server.post("/s")
    def shorten():
        body = request.get_json(silent=True)
        try:
            key = links.store(body.get("url") if isinstance(body, dict) else None)
        except ShortLinkError as exc:
            return jsonify(error=str(exc)), 400
        return jsonify(id=key, path=f"/s/{key}")

    @server.get("/s/<key>")
    def follow(key: str):
        try:
            return redirect(links.resolve(key), code=302)
        except ShortLinkError as exc:
            return Response(f"{exc}. Ask for the full link again.", status=404, mimetype="text/plain")


def _add_headers(server: Flask, settings: Settings, metrics: AppMetrics) -> None:
    csp = content_security_policy(settings.frame_ancestors)

    @server.before_request
    def start_timer():
        request.environ["dataops.started"] = time.perf_counter()

    @server.after_request
    def headers(response: Response) -> Response:
        # Only CSP frame-ancestors can allow a list of portal origins; X-Frame-Options would conflict.
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        # Entity names are in our URLs: other origins get none of them.
        response.headers["Referrer-Policy"] = "same-origin"
        endpoint = "dash-update" if request.path.startswith("/_dash-update") else (
            request.path if request.path in ("/healthz", "/readyz", "/metrics") else "page")
        started = request.environ.get("dataops.started")
        if started is not None:
            metrics.request_seconds.labels(endpoint).observe(time.perf_counter() - started)
        metrics.requests.labels(endpoint, str(response.status_code)).inc()
        return response


def content_security_policy(frame_ancestors: tuple[str, ...]) -> str:
    """The app's Content-Security-Policy: its own origin only, framed by the portal origins.

    Dash's renderer starts from an inline script and Plotly compiles some functions at run time, so
    scripts need 'unsafe-inline' and 'unsafe-eval'; nothing is loaded from another origin."""
    return "; ".join((
        "default-src 'self'", "script-src 'self' 'unsafe-inline' 'unsafe-eval'", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'", "worker-src 'self' blob:",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'",
        f"frame-ancestors {' '.join(frame_ancestors)}"))
