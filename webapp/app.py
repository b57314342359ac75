"""The app factory: `create_app(settings)` builds the Flask server and the Dash app on it."""
from __future__ import annotations

import logging
import pathlib
import time

import dash
from dash import Dash, html
from flask import Flask, Response, jsonify, request
from flask_caching import Cache
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .engine import QueryEngine
from .metrics import AppMetrics
from .prometheus import PrometheusClient
from .runtime import EXTENSION, Runtime
from .settings import Settings, SettingsError

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


def _cache(server: Flask, settings: Settings) -> Cache:
    if settings.redis_url:
        config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.redis_url,
                  "CACHE_KEY_PREFIX": "dataops:", "CACHE_DEFAULT_TIMEOUT": settings.cache_default_timeout}
    else:
        config = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 5000,
                  "CACHE_DEFAULT_TIMEOUT": settings.cache_default_timeout}
    return Cache(server, config=config)


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
        return tenancy.scope_for(request.headers.get(tenancy.header))
    return scope


def _rest_clients(settings: Settings, cache: Cache) -> dict:
    """The optional REST data sources of the Level 2 pages (absent when not configured)."""
    from .airflowapi import AirflowClient
    from .sparkhistory import SparkHistoryClient

    clients: dict = {"spark_history": None, "airflow": None}
    if settings.spark_history_url:
        clients["spark_history"] = SparkHistoryClient(settings.spark_history_url, settings.query_timeout_seconds, cache)
    if settings.airflow_api_url:
        clients["airflow"] = AirflowClient(settings.airflow_api_url, settings.query_timeout_seconds, cache)
    return clients


def create_app(settings: Settings) -> Dash:
    """Build the app for these settings (the data source URL must be set)."""
    if not settings.prometheus_url:
        raise SettingsError("DATAOPS_PROMETHEUS_URL is not set (use `dataops-monitor demo` for the demo platform)")
    from components.callbacks import register_callbacks

    server = Flask("dataops_monitor")
    metrics = AppMetrics()
    client = PrometheusClient(settings.prometheus_url, settings.query_timeout_seconds, settings.thanos_params)
    cache = _cache(server, settings)
    engine = QueryEngine(client, cache, settings.max_concurrent_queries, metrics, scope=_scope_provider(settings),
                         cluster_label=settings.cluster_label)
    server.extensions[EXTENSION] = Runtime(settings, client, engine, metrics, _rest_clients(settings, cache))

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
    register_callbacks(app)
    _add_endpoints(server, client, metrics)
    _add_headers(server, settings, metrics)
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


def _add_endpoints(server: Flask, client: PrometheusClient, metrics: AppMetrics) -> None:
    @server.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @server.get("/readyz")
    def readyz():
        if client.ready():
            return jsonify(status="ready", datasource="reachable")
        return jsonify(status="not ready", datasource="unreachable"), 503

    @server.get("/metrics")
    def app_metrics():
        return Response(generate_latest(metrics.registry), mimetype=CONTENT_TYPE_LATEST)


def _add_headers(server: Flask, settings: Settings, metrics: AppMetrics) -> None:
    ancestors = " ".join(settings.frame_ancestors)

    @server.before_request
    def start_timer():
        request.environ["dataops.started"] = time.perf_counter()

    @server.after_request
    def headers(response: Response) -> Response:
        # Only CSP frame-ancestors can allow a list of portal origins; X-Frame-Options would conflict.
        response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        endpoint = "dash-update" if request.path.startswith("/_dash-update") else (
            request.path if request.path in ("/healthz", "/readyz", "/metrics") else "page")
        started = request.environ.get("dataops.started")
        if started is not None:
            metrics.request_seconds.labels(endpoint).observe(time.perf_counter() - started)
        metrics.requests.labels(endpoint, str(response.status_code)).inc()
        return response
