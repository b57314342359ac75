"""History of the real Iceberg exporter in the demo: what ``dataops-monitor exporter iceberg`` reported about
the demo's real lakehouse (``lakehouse.py``: one pyiceberg SQL catalog per cluster) before the demo started.
Live, the real exporter is scraped instead (``realexporters.py``; this component serves no live target:
``live = False``), and a writer goes on applying the workload's operations as their time comes.

Each cluster's lakehouse is built once per data folder, in a process of its own, with every operation of
``lakehouse.plan`` committed at its past time (the clock frozen per operation); a real exporter refreshes on
the design's 5-minute grid (where anything changed) and what it exposes then is kept (``history.json``
beside the catalog) and backfilled as step functions of time. So every backfilled ``iceberg_*`` series is
the exporter's own figure, and live scrapes, which read the same catalog, continue them. A demo restarted
later resumes: the operations due meanwhile are committed at their times and observed the same way.

Stories (relative to the world's anchor, first cluster):
``iceberg-file-lost`` (the design's DataLoss alert): a data file of ``finance.ledger_entries`` is deleted
behind Iceberg's back ``LOSS_LEAD`` before the anchor.
``iceberg-snapshots-piling``: the last snapshot expiry of ``raw.orders_cdc`` ran ``PILING_LEAD`` before the
anchor; its commits since push the snapshot count past 100 about 2.5 h before the anchor.
``iceberg-compaction-overdue``: ``raw.clickstream_events`` has had no compaction since
``lakehouse.COMPACTION_STOP_LEAD`` before the anchor; its data files pass 10,000 about 3 h before it.
"""
from __future__ import annotations

import json
import math
import pathlib
import shutil
import subprocess
import sys

import numpy as np

from ...exporters.iceberg import IcebergExporter, IcebergSettings
from ..core import HOUR, Families, Family, Target, target
from ..lakehouse import (CATALOG, COMPACTION_STOP_LEAD, INSTANCE, LOST_TABLE, PILING, PILING_TABLE,
                         SMALL_FILE_BYTES, Lakehouse, open_catalog, operations, write_json)
from ..world import World
from . import Component

LOSS_LEAD = 2 * HOUR
PILING_LEAD = 14 * HOUR
#: (namespace, table) -> segments (first operation, last operation, operations or None for the rest), in hours
#: before the anchor; each segment's operations evenly spread
WINDOWS = {LOST_TABLE: ((20.0, LOSS_LEAD / HOUR, None),), ("finance", "fx_rates"): ((18.0, 3.0, None),),
           ("audit", "access_log"): ((16.0, 1.0, None),),
           # created, 3 appends, the last expiry at PILING_LEAD; then about 8.6 commits an hour, none expired
           PILING_TABLE: ((20.0, PILING_LEAD / HOUR, 5), (PILING_LEAD / HOUR - 0.1, 0.1, None))}


def story_starts(world: World) -> dict[str, float]:
    return {"iceberg-file-lost": world.anchor - LOSS_LEAD, "iceberg-snapshots-piling": world.anchor - PILING_LEAD,
            "iceberg-compaction-overdue": world.anchor - COMPACTION_STOP_LEAD}


def schedule(anchor: float) -> list[float]:
    """Unix time of each operation of ``lakehouse.operations(PILING)``, given the world's anchor (whole
    seconds, so that commit times survive the millisecond snapshot timestamps)."""
    ops = operations(PILING)
    count: dict = {}
    for key, _kind in ops:
        count[key] = count.get(key, 0) + 1
    times: dict = {}
    for key, n in count.items():
        out: list[float] = []
        for first, last, k in WINDOWS[key]:
            k = n - len(out) if k is None else k
            out += [first - (first - last) * j / max(1, k - 1) for j in range(k)]
        times[key] = iter(out)
    return [float(math.floor(anchor - next(times[key]) * HOUR)) for key, _kind in ops]


def seed(exporter: IcebergExporter, observations: list[tuple[float, dict]]) -> None:
    """Give a fresh exporter what it would remember had it been running through the history: the newest
    compaction of each table, which a snapshot expiry removes from the metadata (a restarted exporter
    cannot see it again)."""
    from ...exporters.iceberg import TableState
    if not observations:
        return
    for (name, labels), value in observations[-1][1].items():
        if name == "iceberg_table_last_compaction_timestamp_seconds":
            lab = dict(labels)
            exporter.tables[(lab["database"], lab["table"])] = TableState(last_compaction=value)


def _available() -> bool:
    try:
        import pyiceberg  # noqa: F401
        import time_machine  # noqa: F401
    except ImportError:      # installed without the `iceberg` extra: no lakehouse, no history
        return False
    return True


class LakehouseHistory(Component):
    name = "lakehouse"
    jobs = ("iceberg-exporter",)
    live = False       # the real exporter is scraped live

    def __init__(self, folder: pathlib.Path):
        self.folder = pathlib.Path(folder)
        self._history: dict[str, tuple[float, list]] = {}
        self._building: dict[str, tuple[subprocess.Popen, pathlib.Path]] = {}

    def cluster_folder(self, cluster: str) -> pathlib.Path:
        """The catalog, warehouse and ``history.json`` of one cluster's lakehouse."""
        return self.folder / cluster

    def targets(self, world: World) -> list[Target]:
        if not _available():
            return []
        # its own path: one real exporter per cluster's catalog
        return [target("iceberg-exporter", cl, INSTANCE, per_instance=True, component=self.name)
                for cl in world.clusters]

    # ---------------------------------------------------------------- building
    def _saved(self, cluster: str) -> dict | None:
        try:
            return json.loads((self.cluster_folder(cluster) / "history.json").read_text())
        except (OSError, ValueError):
            return None

    def prepare(self, world: World, until: float, clusters=None) -> None:
        """Start building (or resuming) each cluster's lakehouse up to ``until`` (Unix s) in the background,
        one process per cluster (``clusters``: these only); ``observations`` waits for it. Nothing to do where ``history.json`` of this
        anchor reaches within 10 minutes of ``until`` (the live writer applies what is due after that)."""
        if not _available():
            return
        for cl in clusters or world.clusters:
            saved = self._saved(cl)
            if cl in self._building or (saved is not None and saved.get("anchor") == world.anchor
                                        and (saved.get("until") or 0) >= until - 600):
                continue
            log = self.folder / f"build-{cl}.log"
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(log, "w") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", __name__, str(self.cluster_folder(cl)), world.scale.name,
                     str(world.seed), repr(world.anchor), cl, repr(until)],
                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            self._building[cl] = (proc, log)

    def _wait(self, cluster: str) -> None:
        proc, log = self._building.pop(cluster)
        try:
            code = proc.wait(timeout=900)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = "timed out after 900 s"
        if code != 0:
            raise RuntimeError(f"building the demo lakehouse of {cluster} failed ({code}):\n"
                               f"{log.read_text()[-3000:]}")

    def observations(self, world: World, cluster: str | None = None) -> list[tuple[float, dict]]:
        """[(time, {(metric, sorted label pairs): value})] of ``cluster``'s lakehouse (default: the first),
        in time order. Builds it (a minute or so) unless this folder holds it for this anchor."""
        cluster = cluster or world.clusters[0]
        cached = self._history.get(cluster)
        if cached is not None and cached[0] == world.anchor and cluster not in self._building:
            return cached[1]
        saved = self._saved(cluster)
        if cluster not in self._building and (saved is None or saved.get("anchor") != world.anchor):
            # to the anchor: the demo prepares to now itself (DemoPlatform), and a world of a fixed anchor
            # (tests) gets the same lakehouse on any date
            self.prepare(world, world.anchor, [cluster])
        if cluster in self._building:
            self._wait(cluster)
            saved = self._saved(cluster)
        obs = [(o["t"], {(name, tuple(tuple(x) for x in labels)): value for name, labels, value in o["samples"]})
               for o in saved["observations"]]
        self._history[cluster] = (world.anchor, obs)
        return obs

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        obs = self.observations(world, tgt.cluster)
        at = np.array([t for t, _ in obs])
        keys: dict = {}
        for _t, samples in obs:
            for key in samples:
                keys.setdefault(key, None)
        for name, labels in keys:
            values = np.array([samples.get((name, labels), np.nan) for _t, samples in obs])
            F(name, "gauge").add(dict(labels), _step(at, values))
        return F.list()


def _step(at: np.ndarray, values: np.ndarray):
    """The value of the last observation at or before each time; NaN before the first."""
    def fn(ts):
        i = np.searchsorted(at, ts, side="right") - 1
        return np.where(i >= 0, values[np.maximum(i, 0)], np.nan)
    return fn


def record(folder: pathlib.Path, world: World, cluster: str, until: float) -> dict:
    """Build ``cluster``'s lakehouse under ``folder`` up to ``until`` (resuming one of this anchor, else from
    scratch), refreshing a real Iceberg exporter on the refresh grid; returns the ``history.json`` content
    {"anchor", "until", "observations": [{"t", "samples": [[name, labels, value]]}]}. Freezes this process's
    clock while it commits: run it in a process of its own (``LakehouseHistory.prepare``)."""

    folder = pathlib.Path(folder)
    try:
        saved = json.loads((folder / "history.json").read_text())
    except (OSError, ValueError):
        saved = None
    if saved is None or saved.get("anchor") != world.anchor:
        shutil.rmtree(folder, ignore_errors=True)     # a lakehouse of another anchor, or half built
        saved = {"anchor": world.anchor, "until": None, "observations": []}
    lakehouse = Lakehouse(folder, world, cluster)
    # the exporter on its own connection to the catalog, as a separate process would be
    exporter = IcebergExporter(open_catalog(folder),
                               IcebergSettings(catalog=CATALOG, small_file_bytes=SMALL_FILE_BYTES))
    out = saved["observations"]

    def observe(t: float) -> None:
        exporter.refresh()
        out.append({"t": t, "samples": [[s.name, sorted(s.labels.items()), s.value]
                                         for fam in exporter.families() for s in fam.samples]})

    if out:
        seed(exporter, [(o["t"], {(n, tuple(tuple(x) for x in lab)): v for n, lab, v in o["samples"]})
                        for o in out[-1:]])
        done = lakehouse.applied_until
        if done is not None and done > out[-1]["t"]:
            observe(done)     # what the live writer left: the state the resumed history starts from
    lakehouse.advance(until, frozen=True, observe=observe)
    saved["until"] = until
    return saved


def live(folder: pathlib.Path, world: World, cluster: str, period: float) -> None:
    """The live writer of ``cluster``'s lakehouse: every ``period`` seconds, commit the operations that fell
    due (with the real clock), until standard input closes (the demo stopped, or died).

    A process of its own, as a real lakehouse's writers are: pyiceberg commits on a shared thread pool, and
    in the demo's process a test runner that stops its server threads by raising in them could leave one of
    that pool's tasks never finished, and every commit after it waiting forever."""
    import select
    import time
    import traceback
    lakehouse = Lakehouse(folder, world, cluster)
    while True:
        try:
            lakehouse.advance(time.time())
        except Exception:  # noqa: BLE001 - one failed commit must not end the workload
            traceback.print_exc()
            sys.stderr.flush()
        ready, _, _ = select.select([sys.stdin], [], [], period)
        if ready and not sys.stdin.buffer.read1(1):
            return


def writer_command(folder: pathlib.Path, world: World, cluster: str, period: float) -> list[str]:
    """The command line of :func:`live` for one cluster's lakehouse."""
    return [sys.executable, "-m", __name__, "--live", repr(period), str(folder), world.scale.name, str(world.seed),
            repr(world.anchor), cluster]


def _main(argv: list[str]) -> None:
    from ..world import build_world
    if argv[0] == "--live":
        period, folder, scale, seed_, anchor, cluster = argv[1:]
        live(pathlib.Path(folder), build_world(scale, int(seed_), float(anchor)), cluster, float(period))
        return
    folder, scale, seed_, anchor, cluster, until = argv
    folder = pathlib.Path(folder)
    history = record(folder, build_world(scale, int(seed_), float(anchor)), cluster, float(until))
    write_json(folder / "history.json", history)


if __name__ == "__main__":
    _main(sys.argv[1:])
