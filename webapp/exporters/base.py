"""What every exporter of ours shares: settings read once, a refresh loop, the HTTP endpoints and the
self-metrics of ``docs/metric-contract.md`` (``dataops_exporter_*``).

An exporter subclasses :class:`Exporter`, implements :meth:`Exporter.refresh` (one pass over its
source; it records API calls with :meth:`Exporter.call` and per-object failures with
:meth:`Exporter.error`) and :meth:`Exporter.families` (the metric families of the last pass, built
from its own state). :func:`serve` runs it: ``/metrics``, ``/healthz`` (process up) and ``/readyz``
(the last refresh reached the source).
"""
from __future__ import annotations

import logging
import math
import os
import pathlib
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from ..settings import SettingsError

__all__ = ["Exporter", "Histogram", "serve", "env_number", "env_url", "env_list", "read_credentials"]

log = logging.getLogger(__name__)


def env_number(env: Mapping[str, str], name: str, default, kind: type, low: float, high: float):
    """``env[name]`` as ``kind`` within [low, high], or ``default`` when unset; SettingsError names the variable."""
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high or (isinstance(value, float) and math.isnan(value)):
        raise SettingsError(f"{name} must be between {low} and {high}, got {raw!r}")
    return value


def env_url(env: Mapping[str, str], name: str, required: bool = False) -> str | None:
    """An http(s) base URL without its trailing slash; None when unset and not required."""
    from ..settings import _url
    raw = env.get(name)
    if raw in (None, ""):
        if required:
            raise SettingsError(f"{name} is not set")
        return None
    return _url(name, raw)


def env_list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma- or space-separated values; empty when unset."""
    return tuple(v for v in (env.get(name) or "").replace(",", " ").split() if v)


def read_credentials(name: str, path: str | None) -> tuple[str, str] | str | None:
    """Credentials from a file: ``user:password`` (HTTP basic) or a single token line (Bearer).

    Returns None without a file, ``(user, password)`` or the token; SettingsError when the file
    cannot be read or is empty. Only the first non-empty line counts, so a trailing newline is fine.
    """
    if not path:
        return None
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{name}: cannot read {path!r}: {exc.__class__.__name__}") from None
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if not line:
        raise SettingsError(f"{name}: {path!r} is empty")
    if ":" in line:
        user, _, password = line.partition(":")
        return user, password
    return line


class Histogram:
    """A cumulative histogram kept by the exporter (observations never go away, as a counter)."""

    def __init__(self, bounds: Iterable[float]):
        self.bounds = tuple(float(b) for b in bounds)
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        for i, b in enumerate(self.bounds):
            if value <= b:
                self.counts[i] += 1
                break
        else:
            self.counts[-1] += 1
        self.sum += value

    def buckets(self) -> list[tuple[str, int]]:
        out, acc = [], 0
        for b, c in zip(self.bounds + (math.inf,), self.counts):
            acc += c
            out.append(("+Inf" if b == math.inf else _le(b), acc))
        return out


def _le(b: float) -> str:
    return str(int(b)) if b == int(b) else repr(b)


class Exporter:
    """Base of the exporters: refresh bookkeeping and self-metrics. Subclasses set ``name``."""

    name = "exporter"
    refresh_seconds: float = 300.0

    def __init__(self):
        self.lock = threading.Lock()
        self.api_calls: dict[str, int] = defaultdict(int)
        self.rate_limited: dict[str, int] = defaultdict(int)
        self.errors: dict[tuple[str, str], int] = defaultdict(int)
        self.last_refresh: float | None = None
        self.last_duration: float | None = None
        self.ready = False
        self.last_error: str | None = None

    # -- for subclasses -------------------------------------------------------------------------
    def refresh(self) -> None:  # pragma: no cover - abstract
        """One pass over the source; raises only when the source as a whole is unreachable."""
        raise NotImplementedError

    def families(self) -> list[Metric]:  # pragma: no cover - abstract
        """The metric families of the exporter's current state."""
        raise NotImplementedError

    def call(self, api: str, n: int = 1) -> None:
        """Count ``n`` requests to ``api`` (an endpoint name, never a URL with ids in it)."""
        self.api_calls[api] += n

    def error(self, source: str, obj: str, exc: BaseException) -> None:
        """One object of ``source`` failed in this refresh; the rest of the refresh goes on."""
        self.errors[(source, obj)] += 1
        log.warning("%s exporter: %s %s: %s: %s", self.name, source, obj, type(exc).__name__, exc)

    # -- run --------------------------------------------------------------------------------------
    def run_once(self) -> bool:
        """Refresh once, keeping the previous state when the source is unreachable. True if it worked."""
        started = time.perf_counter()
        try:
            self.refresh()
        except Exception as exc:  # noqa: BLE001 - an unreachable source must not kill the exporter
            self.error("source", self.name, exc)
            self.ready, self.last_error = False, f"{type(exc).__name__}: {exc}"
            return False
        finally:
            self.last_duration = time.perf_counter() - started
            self.last_refresh = time.time()
        self.ready, self.last_error = True, None
        return True

    def collect(self):
        """prometheus_client collector protocol: the exporter's families plus its self-metrics."""
        with self.lock:
            yield from self.families()
            yield from self._self_metrics()

    def _self_metrics(self):
        lab = ["exporter"]
        g = GaugeMetricFamily("dataops_exporter_refresh_duration_seconds", "Wall time of the last refresh", labels=lab)
        if self.last_duration is not None:
            g.add_metric([self.name], self.last_duration)
        yield g
        g = GaugeMetricFamily("dataops_exporter_last_refresh_timestamp_seconds", "End of the last refresh",
                              labels=lab)
        if self.last_refresh is not None:
            g.add_metric([self.name], self.last_refresh)
        yield g
        c = CounterMetricFamily("dataops_exporter_api_calls", "Requests or metadata reads made",
                                labels=["exporter", "api"])
        for api, n in sorted(self.api_calls.items()):
            c.add_metric([self.name, api], n)
        yield c
        c = CounterMetricFamily("dataops_exporter_rate_limited", "HTTP 429 answers received",
                                labels=["exporter", "api"])
        for api, n in sorted(self.rate_limited.items()):
            c.add_metric([self.name, api], n)
        yield c
        c = CounterMetricFamily("dataops_exporter_errors", "Objects that failed in a refresh",
                                labels=["exporter", "source", "object"])
        for (source, obj), n in sorted(self.errors.items()):
            c.add_metric([self.name, source, obj], n)
        yield c

    def exposition(self) -> bytes:
        """The Prometheus text exposition of :meth:`collect`."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self)
        return generate_latest(registry)


def gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


def histogram_family(name: str, doc: str, labels: list[str], items: Iterable[tuple[list[str], Histogram]]):
    fam = HistogramMetricFamily(name, doc, labels=labels)
    for values, h in items:
        fam.add_metric(values, h.buckets(), h.sum)
    return fam


class _Handler(BaseHTTPRequestHandler):
    server_version = "dataops-exporter"

    def log_message(self, *args):  # scrapes every 15 s would flood the log
        return

    def do_GET(self):
        exp: Exporter = self.server.exporter  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            body, ctype, status = exp.exposition(), CONTENT_TYPE_LATEST, 200
        elif path == "/healthz":
            body, ctype, status = b"ok\n", "text/plain; charset=utf-8", 200
        elif path == "/readyz":
            if exp.ready:
                body, status = b"ready\n", 200
            else:
                body = f"not ready: {exp.last_error or 'no refresh yet'}\n".encode()
                status = 503
            ctype = "text/plain; charset=utf-8"
        else:
            body, ctype, status = b"Not Found\n", "text/plain; charset=utf-8", 404
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server:
    """The exporter's HTTP endpoints and its refresh thread, started and stopped together."""

    def __init__(self, exporter: Exporter, host: str, port: int):
        self.exporter = exporter
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.exporter = exporter  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, refresh: bool = True, initial: bool = True) -> Server:
        """Serve the endpoints; with ``refresh``, refresh every ``refresh_seconds`` (first at once
        when ``initial``, else after one interval: the caller has just refreshed)."""
        self._initial = initial
        t = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                             name=f"{self.exporter.name}-http", daemon=True)
        t.start()
        self._threads.append(t)
        if refresh:
            r = threading.Thread(target=self._loop, name=f"{self.exporter.name}-refresh", daemon=True)
            r.start()
            self._threads.append(r)
        return self

    def _loop(self) -> None:
        if not self._initial:
            self._stop.wait(self.exporter.refresh_seconds)
        while not self._stop.is_set():
            self.exporter.run_once()
            self._stop.wait(self.exporter.refresh_seconds)

    def stop(self) -> None:
        self._stop.set()
        if self._threads:       # shutdown() waits for serve_forever(), which only runs once started
            self.httpd.shutdown()
        self.httpd.server_close()
        for t in self._threads:
            t.join(timeout=10)


def serve(exporter: Exporter, host: str, port: int) -> int:
    """Serve until SIGINT/SIGTERM; returns the process exit code."""
    import signal
    server = Server(exporter, host, port).start()
    print(f"{exporter.name} exporter on {server.url}/metrics (refresh every {exporter.refresh_seconds:g}s)",
          flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0


def environ() -> Mapping[str, str]:
    return os.environ
