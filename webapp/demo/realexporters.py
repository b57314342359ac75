"""The project's real exporters, run by the demo platform against real or API-faithful sources:

* ``iceberg-exporter``: the Iceberg exporter reading a real pyiceberg SQL catalog on SQLite
  (``lakehouse.py``: tables appended, compacted and expired; one data file lost behind Iceberg's back);
* ``bitbucket-exporter`` and ``journey-exporter``: the Bitbucket and journey exporters polling the demo's
  Bitbucket, Jenkins, Argo CD and Kubernetes APIs (``deliveryapis.py``).

Each exporter serves its own ``/metrics`` on a loopback port; the demo Prometheus scrapes them like any
target, with the first cluster's label. Their history before the demo started is what they reported then:
the Iceberg exporter's was recorded while the lakehouse was built with past commit times
(``components/lakehouse.py``); the journey exporter's is computed from the same delivery flow and checked
against the exporter by a test (``components/journey.py``). The Bitbucket exporter's series start with
the demo's live data.
"""
from __future__ import annotations

import logging
import pathlib
import threading

from .lakehouse import INSTANCE

__all__ = ["RealExporters"]

log = logging.getLogger(__name__)

ICEBERG_REFRESH = 300.0      # the design's 5 minutes (the lakehouse changes only when the demo builds it)
DELIVERY_REFRESH = 30.0      # shorter than the time between two deployments of one demo application
WARM_UP = 3600.0             # the journey exporter first replays the last hour of the delivery APIs


class ReplayClock:
    """The delivery APIs' clock: a fixed time while the journey exporter warms up, then the real one."""

    def __init__(self):
        self.fixed: float | None = None

    def __call__(self) -> float:
        import time
        return time.time() if self.fixed is None else self.fixed


class RealExporters:
    """Start and stop the real exporters of the demo; ``targets`` lists (job, instance, port)."""

    def __init__(self, folder: pathlib.Path, history_since: float | None = None, world=None):
        self.folder = pathlib.Path(folder)
        self.history_since = history_since     # start of the backfilled journey history (world epoch)
        self.world = world                     # whose lakehouse history the Iceberg exporter continues
        self.clock = ReplayClock()
        self.servers = []
        self.apis = None
        self.targets: list[tuple[str, str, int]] = []
        self.notes: list[str] = []

    def start(self) -> RealExporters:
        from ..exporters.base import Server
        threads = []
        try:
            iceberg = self._iceberg()
        except ImportError as exc:   # installed without the `iceberg` extra
            iceberg = None
            self.notes.append(f"Iceberg exporter not started: {exc} (pip install '.[iceberg]')")
        if iceberg is not None:
            threads.append(threading.Thread(target=iceberg.run_once, daemon=True))
            self._serve(Server, iceberg, "iceberg-exporter", INSTANCE)
        from ..exporters.bitbucket import BitbucketExporter, BitbucketSettings
        from ..exporters.journey import JourneyExporter, JourneySettings
        from .deliveryapis import DeliveryApiServer
        self.apis = DeliveryApiServer(clock=self.clock).start()
        u = self.apis.url
        bb = BitbucketExporter(BitbucketSettings(url=f"{u}/bitbucket", refresh_seconds=DELIVERY_REFRESH))
        jr = JourneyExporter(JourneySettings(argocd_url=f"{u}/argocd", jenkins_url=f"{u}/jenkins",
                                             bitbucket_url=f"{u}/bitbucket", kubernetes_url=f"{u}/kubernetes",
                                             airflow_url=f"{u}/airflow", airflow_credentials=("demo", "demo"),
                                             spark_history_url=f"{u}/spark-history",
                                             refresh_seconds=DELIVERY_REFRESH))
        self._warm_up(jr)
        for exp, job, inst in ((bb, "bitbucket-exporter", "bitbucket-exporter.scm.svc:9561"),
                               (jr, "journey-exporter", "journey-exporter.monitoring.svc:9562")):
            threads.append(threading.Thread(target=exp.run_once, daemon=True))
            self._serve(Server, exp, job, inst)
        # the first refresh before Prometheus' first scrape, so the demo starts with data
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        for s in self.servers:
            s.start(refresh=True, initial=False)
        return self

    def _warm_up(self, exporter) -> None:
        """Seed the exporter with the backfilled history (components/journey.py) up to an hour ago, then
        replay the last hour at its refresh interval: it starts knowing each application's last finished
        deployment (it can follow only the newest one to its pods) and its counters continue the history."""
        import time

        from .components.journey import seed
        now = time.time()
        t = now - WARM_UP
        if self.history_since is not None:
            seed(exporter, self.history_since, t)
        while True:
            # the last step is "now" itself: everything the backfilled history counts is observed
            self.clock.fixed = min(t, now)
            exporter.run_once()
            if t >= now:
                break
            t += DELIVERY_REFRESH
        self.clock.fixed = None

    def _iceberg(self):
        from ..exporters.iceberg import IcebergExporter, IcebergSettings
        from .lakehouse import CATALOG, build_lakehouse
        catalog = build_lakehouse(self.folder / "lakehouse")
        exporter = IcebergExporter(catalog, IcebergSettings(catalog=CATALOG, refresh_seconds=ICEBERG_REFRESH))
        if self.world is not None:
            from .components.lakehouse import LakehouseHistory, seed
            history = LakehouseHistory(self.folder / "lakehouse")
            if history.targets(self.world):
                seed(exporter, history.observations(self.world))
        return exporter

    def _serve(self, server_cls, exporter, job: str, instance: str) -> None:
        server = server_cls(exporter, "127.0.0.1", 0)
        self.servers.append(server)
        self.targets.append((job, instance, server.port))

    def stop(self) -> None:
        for s in self.servers:
            try:
                s.stop()
            except OSError:
                pass
        self.servers = []
        if self.apis is not None:
            self.apis.stop()
            self.apis = None
