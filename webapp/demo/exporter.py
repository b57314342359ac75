"""Live exporter: one in-process HTTP server (prometheus_client exposition) serving every
simulated target at ``/metrics/<cluster>/<job>[/<instance>]``. Each path has its own registry
with one custom Collector that evaluates the target's series at the scrape time."""
from __future__ import annotations

import math
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

import numpy as np
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from .components import Component
from .core import om_family_name, om_type, round_significant
from .world import World


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class TargetCollector(Collector):
    """Evaluates one simulated target at the current time."""

    def __init__(self, world: World, component: Component, target, clock=time.time):
        self.world = world
        self.component = component
        self.target = target
        self.clock = clock

    def collect(self):
        t = float(self.clock())
        ts = np.array([t])
        for fam in self.component.families(self.world, self.target, t, t):
            typ = om_type(fam)
            m = Metric(om_family_name(fam), fam.help, typ)
            for s in fam.series:
                v = float(round_significant(np.asarray(s.fn(ts), dtype=np.float64))[0])
                if math.isnan(v):
                    continue
                m.add_sample(s.name, {k: val for k, val in s.labels.items() if val != ""}, v)
            if m.samples:
                yield m


class _Quiet(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass


class LiveExporter:
    def __init__(self, world: World, components: list[Component], host: str = "127.0.0.1", port: int = 0):
        self.registries: dict[str, CollectorRegistry] = {}
        self.targets = []
        for comp in components:
            for tgt in comp.targets(world):
                reg = CollectorRegistry(auto_describe=False)
                reg.register(TargetCollector(world, comp, tgt))
                self.registries[tgt.path] = reg
                self.targets.append(tgt)
        self.httpd = make_server(host, port, self._app, ThreadingWSGIServer, handler_class=_Quiet)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="demo-exporter", daemon=True)

    def _app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        reg = self.registries.get(path)
        if reg is None:
            if path in ("/", "/metrics"):
                body = "\n".join(sorted(self.registries)).encode()
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [body]
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"unknown target\n"]
        try:
            body = generate_latest(reg)
        except Exception as exc:  # pragma: no cover - visible as up == 0 in Prometheus
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [f"{type(exc).__name__}: {exc}\n".encode()]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
        return [body]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
