"""History of the real Iceberg exporter in the demo: what ``dataops-monitor exporter iceberg`` reported about
the demo's real lakehouse (``lakehouse.py``) before the demo started. Live, the real exporter is scraped
instead (``realexporters.py``; this component serves no live target: ``live = False``).

The lakehouse is built once per data folder with every operation committed at a past time (the clock
frozen per operation), and the real exporter refreshes after each operation; what it exposes then is
kept (``history.json`` beside the catalog) and backfilled as step functions of time. So the backfilled
``iceberg_*`` series of the lakehouse's tables are the exporter's own figures, and live scrapes, which
read the finished catalog, continue them.

Stories (relative to the world's anchor, first cluster):
``iceberg-file-lost`` (the design's DataLoss alert): a data file of ``finance.ledger_entries`` is deleted
behind Iceberg's back ``LOSS_LEAD`` before the anchor.
``iceberg-snapshots-piling``: the last snapshot expiry of ``raw.orders_cdc`` ran ``PILING_LEAD`` before the
anchor; its commits since push the snapshot count past 100 about 2.5 h before the anchor.
"""
from __future__ import annotations

import json
import math
import pathlib
import shutil

import numpy as np

from ...exporters.iceberg import IcebergExporter, IcebergSettings
from ..core import HOUR, Families, Family, Target, target
from ..lakehouse import (CATALOG, INSTANCE, LOST_TABLE, PILING, PILING_TABLE, build_lakehouse, catalog_properties,
                         operations)
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
    return {"iceberg-file-lost": world.anchor - LOSS_LEAD, "iceberg-snapshots-piling": world.anchor - PILING_LEAD}


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
        self._history: tuple[float, list] | None = None

    def targets(self, world: World) -> list[Target]:
        if not _available():
            return []
        # its own path: the simulated Iceberg exporter serves /metrics/<first cluster>/iceberg-exporter
        return [target("iceberg-exporter", world.clusters[0], INSTANCE, per_instance=True, component=self.name)]

    def observations(self, world: World) -> list[tuple[float, dict]]:
        """[(time, {(metric, sorted label pairs): value})] after each lakehouse operation, in time order.
        Builds the lakehouse (a few seconds) unless this folder already holds it for this anchor."""
        if self._history is not None and self._history[0] == world.anchor:
            return self._history[1]
        path = self.folder / "history.json"
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            saved = None
        if saved is None or saved.get("anchor") != world.anchor:
            self._build(world.anchor)
            saved = json.loads(path.read_text())
        obs = [(o["t"], {(name, tuple(tuple(x) for x in labels)): value for name, labels, value in o["samples"]})
               for o in saved["observations"]]
        self._history = (world.anchor, obs)
        return obs

    def _build(self, anchor: float) -> None:
        """Build the lakehouse and write ``history.json`` in a process of its own: time-machine freezes the
        clock of the whole process, and the demo's live exporters and servers (other threads of this one)
        must go on reading the real clock."""
        import subprocess
        import sys
        proc = subprocess.run([sys.executable, "-m", __name__, str(self.folder), repr(anchor)],
                              capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise RuntimeError(f"building the demo lakehouse failed ({proc.returncode}):\n{proc.stderr[-3000:]}")

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        obs = self.observations(world)
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


def record(folder: pathlib.Path, anchor: float) -> list[dict]:
    """Build the lakehouse under ``folder`` (removed first) with its operations at ``schedule(anchor)``,
    refreshing a real Iceberg exporter after each one; returns [{"t", "samples": [[name, labels, value]]}].
    Freezes this process's clock while it commits: run it in a process of its own (``LakehouseHistory``)."""
    from pyiceberg.catalog.sql import SqlCatalog

    folder = pathlib.Path(folder)
    shutil.rmtree(folder, ignore_errors=True)     # a lakehouse of another anchor, or half built
    (folder / "warehouse").mkdir(parents=True)
    props = catalog_properties(folder)
    # the exporter on its own connection to the catalog, as a separate process would be
    exporter = IcebergExporter(SqlCatalog(CATALOG, **{k: v for k, v in props.items() if k != "type"}),
                               IcebergSettings(catalog=CATALOG))
    out: list[dict] = []

    def observe(_i: int, t: float) -> None:
        exporter.refresh()
        out.append({"t": t, "samples": [[s.name, sorted(s.labels.items()), s.value]
                                         for fam in exporter.families() for s in fam.samples]})

    build_lakehouse(folder, at=schedule(anchor).__getitem__, observe=observe, extra=PILING)
    return out


def _main(argv: list[str]) -> None:
    folder, anchor = pathlib.Path(argv[0]), float(argv[1])
    observations = record(folder, anchor)
    tmp = folder / "history.json.tmp"
    tmp.write_text(json.dumps({"anchor": anchor, "observations": observations}))
    tmp.replace(folder / "history.json")


if __name__ == "__main__":
    import sys
    _main(sys.argv[1:])
