"""The project's real exporters, run by the demo platform against real or API-faithful sources:

* ``iceberg-exporter``: one Iceberg exporter per cluster, each reading that cluster's real pyiceberg SQL
  catalog on SQLite (``lakehouse.py``: tables appended, compacted and expired by the workload, which a
  writer process per cluster goes on applying as its operations fall due; one data file lost behind
  Iceberg's back);
* ``bitbucket-exporter`` and ``journey-exporter``: the Bitbucket and journey exporters polling the demo's
  Bitbucket, Jenkins, Argo CD and Kubernetes APIs (``deliveryapis.py``).

Each exporter serves its own ``/metrics`` on a loopback port; the demo Prometheus scrapes them like any
target, with its cluster's label (the delivery exporters: the first cluster's). Their history before the demo started is what they reported then:
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

ICEBERG_REFRESH = 300.0      # the design's 5 minutes
WRITER_PERIOD = 30.0         # how often the lakehouse writer applies the operations that fell due
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

    def __init__(self, folder: pathlib.Path, history_since: float | None = None, world=None, lakehouse=None):
        self.folder = pathlib.Path(folder)
        self.history_since = history_since     # start of the backfilled journey history (world epoch)
        self.world = world                     # whose lakehouses the Iceberg exporters read
        #: components.lakehouse.LakehouseHistory: where each cluster's lakehouse is, and its history
        self.lakehouse = lakehouse
        self.lakehouses: list[str] = []        # the clusters whose lakehouse a writer process advances
        self.writers: list = []                # those processes (components.lakehouse.live)
        self.clock = ReplayClock()
        self.servers = []
        self.apis = None
        self.targets: list[tuple[str, str, int, str]] = []   # (job, instance, port, cluster)
        self.notes: list[str] = []

    def start(self) -> RealExporters:
        from ..exporters.base import Server
        threads = []
        try:
            icebergs = self._iceberg()
        except ImportError as exc:   # installed without the `iceberg` extra
            icebergs = []
            self.notes.append(f"Iceberg exporter not started: {exc} (pip install '.[iceberg]')")
        for cluster, iceberg in icebergs:
            threads.append(threading.Thread(target=iceberg.run_once, daemon=True))
            self._serve(Server, iceberg, "iceberg-exporter", INSTANCE, cluster)
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
            self._serve(Server, exp, job, inst, self.world.clusters[0] if self.world is not None else "")
        # the first refresh before Prometheus' first scrape, so the demo starts with data
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        for s in self.servers:
            s.start(refresh=True, initial=False)
        self._start_writers()
        return self

    def _start_writers(self) -> None:
        """One process per cluster's lakehouse, committing the workload's operations as they fall due (with
        the real clock); its output goes to ``writer.log`` beside the catalog. It ends when its standard input
        closes: at ``stop``, or when this process dies."""
        import subprocess

        from .components.lakehouse import writer_command
        for cluster in self.lakehouses:
            folder = self.lakehouse.cluster_folder(cluster)
            with open(folder / "writer.log", "a") as out:
                self.writers.append(subprocess.Popen(writer_command(folder, self.world, cluster, WRITER_PERIOD),
                                                     stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT))

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

    def _iceberg(self) -> list:
        """[(cluster, IcebergExporter)]: one per cluster's lakehouse, seeded with what its history's exporter
        remembered. Waits for a lakehouse still building; none without a world and its lakehouse history."""

        from ..exporters.iceberg import IcebergExporter, IcebergSettings
        from .components.lakehouse import _available, seed
        from .lakehouse import CATALOG, SMALL_FILE_BYTES, open_catalog
        if self.world is None or self.lakehouse is None or not _available():
            return []
        out = []
        for cluster in self.world.clusters:
            observations = self.lakehouse.observations(self.world, cluster)    # built (or resumed) to now
            folder = self.lakehouse.cluster_folder(cluster)
            self.lakehouses.append(cluster)
            # its own connection to the catalog, as the exporter's process would have
            exporter = IcebergExporter(open_catalog(folder),
                                       IcebergSettings(catalog=CATALOG, refresh_seconds=ICEBERG_REFRESH,
                                                       small_file_bytes=SMALL_FILE_BYTES))
            seed(exporter, observations)
            out.append((cluster, exporter))
        return out

    def _serve(self, server_cls, exporter, job: str, instance: str, cluster: str) -> None:
        server = server_cls(exporter, "127.0.0.1", 0)
        self.servers.append(server)
        self.targets.append((job, instance, server.port, cluster))

    def stop(self) -> None:
        import subprocess
        for proc in self.writers:
            try:
                proc.stdin.close()
            except OSError:
                pass
        for proc in self.writers:
            try:
                proc.wait(timeout=60)      # a commit in progress finishes
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.writers = []
        for s in self.servers:
            try:
                s.stop()
            except OSError:
                pass
        self.servers = []
        if self.apis is not None:
            self.apis.stop()
            self.apis = None
