"""The demo's real lakehouse: a pyiceberg SQL catalog on SQLite with tables that live the way the
design's tables do (appends, a compaction, a snapshot expiry), one of which loses a data file behind
Iceberg's back (the design's DataLoss story, ``iceberg-file-lost``).

    cat = build_lakehouse(folder)          # idempotent per folder: reuses a built catalog
    cat.load_table(("finance", "ledger_entries"))
    build_lakehouse(folder, at=times.__getitem__, observe=seen)   # each operation committed at times[i]

With ``at``, every operation (table creation, append, compaction, expiry, the lost file) happens with the
clock frozen at ``at(i)`` (time-machine): its snapshot carries that commit time, so the demo can give the
lakehouse a history and backfill what the real exporter reported after each operation (``observe(i, t)``
runs after operation ``i``; ``components/lakehouse.py``).

The real Iceberg exporter (``webapp/exporters/iceberg.py``) reads this catalog in the demo and in the
tests. Every operation goes through pyiceberg, except the lost file, which is unlinked from the
warehouse directly (as an over-eager storage lifecycle rule or a mistaken ``rm`` would).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import pathlib
import urllib.parse

import numpy as np

__all__ = ["build_lakehouse", "catalog_properties", "operations", "CATALOG", "INSTANCE", "LOST_TABLE", "PILING",
           "PILING_TABLE", "TABLES", "append", "compact", "expire_all_but_current", "lose_one_data_file",
           "DemoTable", "Lakehouse", "Op", "WORKLOAD", "plan", "workload", "origin", "expire_keeping"]

CATALOG = "lakehouse"
#: the ``instance`` label of the real Iceberg exporter reading this catalog in the demo (live and backfilled)
INSTANCE = "iceberg-exporter-lakehouse.data-platform.svc:9560"
#: (namespace, table, appends before compaction, appends after, compact, expire, lose a file)
TABLES = (
    ("finance", "ledger_entries", 6, 3, True, True, True),
    ("finance", "fx_rates", 4, 2, True, True, False),
    ("audit", "access_log", 8, 0, False, False, False),
)
LOST_TABLE = ("finance", "ledger_entries")
#: a table whose snapshot expiry stopped (story ``iceberg-snapshots-piling``): built only with the demo's
#: history (``operations(PILING)``), as its 124 commits take several seconds (each pyiceberg commit rewrites
#: metadata that grows with the snapshots kept)
PILING_TABLE = ("raw", "orders_cdc")
PILING = ((PILING_TABLE, ("create",) + ("append",) * 3 + ("expire",) + ("append",) * 120),)


def catalog_properties(folder: pathlib.Path) -> dict[str, str]:
    """pyiceberg properties of the demo catalog: ``PYICEBERG_CATALOG__LAKEHOUSE__<KEY>`` in the environment."""
    folder = pathlib.Path(folder).resolve()
    return {"type": "sql", "uri": f"sqlite:///{folder / 'catalog.db'}",
            "warehouse": f"file://{folder / 'warehouse'}"}


def open_catalog(folder: pathlib.Path, name: str = CATALOG):
    """A pyiceberg SqlCatalog on the demo catalog under ``folder`` (each caller its own connection, as the
    exporter's and the writers' processes would have)."""
    from pyiceberg.catalog.sql import SqlCatalog
    props = catalog_properties(folder)
    return SqlCatalog(name, **{k: v for k, v in props.items() if k != "type"})


def write_json(path: pathlib.Path, data) -> None:
    """Write ``data`` as JSON through a temporary file, so a reader never sees half of it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def _batch(n: int, rows: int = 50):
    import pyarrow as pa
    base = n * rows
    return pa.table({"id": pa.array(range(base, base + rows), pa.int64()),
                     "amount": pa.array([float(i % 97) for i in range(base, base + rows)], pa.float64()),
                     "note": pa.array([f"row {i}" for i in range(base, base + rows)], pa.string())})


def append(table, n: int) -> None:
    """Commit one append (one small data file) of batch ``n``."""
    table.append(_batch(n))


def compact(table) -> None:
    """Rewrite every data file of the current snapshot into one file, keeping every record. pyiceberg
    0.12 cannot write Iceberg's ``replace`` summary, so the rewrite commits as an ``overwrite`` that
    removes more files than it adds and keeps the record count (the exporter counts both as compaction)."""
    from pyiceberg.io.pyarrow import _dataframe_to_data_files

    data = table.scan().to_arrow()
    old = [t.file for t in table.scan().plan_files()]
    with table.transaction() as tx:
        with tx.update_snapshot().overwrite() as producer:
            for f in old:
                producer.delete_data_file(f)
            for f in _dataframe_to_data_files(tx.table_metadata, df=data, io=table.io):
                producer.append_data_file(f)


def expire_all_but_current(table) -> None:
    """Expire every snapshot but the current one (``expire_snapshots``)."""
    cur = table.current_snapshot().snapshot_id
    ids = [s.snapshot_id for s in table.metadata.snapshots if s.snapshot_id != cur]
    if ids:
        table.maintenance.expire_snapshots().by_ids(ids).commit()


def lose_one_data_file(table) -> str:
    """Delete the newest data file of the current snapshot from storage, not through Iceberg. Returns its path."""
    tasks = sorted(table.scan().plan_files(), key=lambda t: t.file.file_path)
    path = tasks[-1].file.file_path
    pathlib.Path(urllib.parse.urlsplit(path).path).unlink()
    return path


def operations(extra=()) -> list[tuple[tuple[str, str], str]]:
    """The build's operations in order: ((namespace, table), kind), kind one of ``create``, ``append``,
    ``compact``, ``expire``, ``lose``: those of ``TABLES``, then of ``extra`` (((namespace, table), kinds)
    pairs, e.g. ``PILING``). ``build_lakehouse(..., extra=extra)`` runs exactly these."""
    ops = []
    for ns, tbl, before, after, do_compact, do_expire, do_lose in TABLES:
        ops += [((ns, tbl), "create")] + [((ns, tbl), "append")] * before
        ops += [((ns, tbl), "compact")] * do_compact + [((ns, tbl), "append")] * after
        ops += [((ns, tbl), "expire")] * do_expire + [((ns, tbl), "lose")] * do_lose
    for key, kinds in extra:
        ops += [(tuple(key), kind) for kind in kinds]
    return ops


def build_lakehouse(folder: pathlib.Path, name: str = CATALOG, at=None, observe=None, extra=()):
    """Create (or reuse) the demo catalog under ``folder`` and return it (a pyiceberg SqlCatalog).

    ``at(i)``: Unix time (s) of operation ``i`` of ``operations(extra)``, increasing within each table; the
    operations run in time order. None: now, in the order of :func:`operations`.
    ``observe(i, t)``: called after operation ``i``, outside the frozen clock. Neither is called when the
    folder already holds a built catalog."""
    import contextlib


    folder = pathlib.Path(folder).resolve()
    done = folder / "built"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "warehouse").mkdir(exist_ok=True)
    catalog = open_catalog(folder, name)
    if done.exists():
        return catalog
    if at is not None:
        import time_machine
    ops = operations(extra)
    # in time order (each table's own operations keep theirs), so that what is observed after an operation
    # is the whole catalog as it stood at that time
    order = sorted(range(len(ops)), key=lambda i: (at(i), i)) if at is not None else range(len(ops))
    n = 0
    tables: dict = {}
    for i in order:
        (ns, tbl), kind = ops[i]
        t = at(i) if at is not None else None
        # time-machine freezes time.time() and datetime.now(), which pyiceberg reads for the snapshot's
        # timestamp-ms and the metadata's last-updated-ms
        with time_machine.travel(t, tick=False) if t is not None else contextlib.nullcontext():
            if kind == "create":
                if (ns,) not in [tuple(x) for x in catalog.list_namespaces()]:
                    catalog.create_namespace(ns)
                tables[ns, tbl] = catalog.create_table((ns, tbl), schema=_batch(0).schema,
                                                       properties={"created-by": "dataops-monitor demo"})
            elif kind == "append":
                append(tables[ns, tbl], n)
                n += 1
            elif kind == "compact":
                compact(tables[ns, tbl])
            elif kind == "expire":
                expire_all_but_current(tables[ns, tbl])
            else:
                lose_one_data_file(tables[ns, tbl])
        if observe is not None:
            observe(i, t)
    done.write_text(dt.datetime.now(dt.timezone.utc).isoformat())
    return catalog


# ---------------------------------------------------------------------------------------------- workload
#: records in each data file a workload commit writes, and in each file a compaction writes (COMPACTED_COPIES
#: small files' worth)
TEMPLATE_ROWS = 64
COMPACTED_COPIES = 64
#: the longest history the demo gives its lakehouse (hours): the commits before it would only make a first
#: start slower (a ``large`` demo's 336 h would be about 4,000 commits per cluster)
MAX_HISTORY_HOURS = 72.0
#: how often the demo's Iceberg exporter refreshes (the design's 5 minutes); the history observes the catalog
#: on this grid, as the exporter would have
REFRESH_SECONDS = 300.0
#: older than this before the anchor, the history keeps one observation an hour (as Thanos keeps 1-hour
#: downsampled data for old blocks): a first start of a 72-hour demo observes 46 hours less often
DETAILED_HISTORY_SECONDS = 26 * 3600.0
#: the demo's tables are small (a data file of TEMPLATE_ROWS records is about 2.3 KB, a compacted one about
#: 60 KB): its Iceberg exporter counts files below 8 KiB as small (``DATAOPS_ICEBERG_SMALL_FILE_BYTES``; the
#: default, 32 MiB, is Iceberg's compaction advice for real tables)
SMALL_FILE_BYTES = 8192
#: the demo's tables keep 10 previous metadata files and delete older ones, as a busy production table is
#: configured (Iceberg's default, 100 kept, would make each commit copy and write a metadata log of 100)
TABLE_PROPERTIES = {"created-by": "dataops-monitor demo", "write.metadata.previous-versions-max": "10",
                    "write.metadata.delete-after-commit.enabled": "true"}
#: template copies in an appended file of a ``big`` table: about 15 KB, above SMALL_FILE_BYTES
BIG_COPIES = 16


@dataclasses.dataclass(frozen=True)
class DemoTable:
    """One table of the demo's workload: commits arrive as Poisson events (``commits_per_hour``; fewer and larger
    than a real streaming table's, so that a first start commits a 72-hour history in about a minute), each
    appending ``files`` data files of ``copies`` * TEMPLATE_ROWS records; created with ``initial_files`` of
    them; a compaction (rewrite_data_files) every ``compact_hours`` (None: never) rewrites every file below
    the compacted size into files of COMPACTED_COPIES * TEMPLATE_ROWS records; expire_snapshots every ``expire_hours`` keeps the newest
    ``retain`` snapshots."""

    namespace: str
    name: str
    commits_per_hour: float
    files: int
    copies: int
    initial_files: int
    compact_hours: float | None
    expire_hours: float
    retain: int


def _T(namespace, name, commits_per_hour, files, initial_files, compact_hours, expire_hours, retain, big=False):
    return DemoTable(namespace, name, commits_per_hour, files, BIG_COPIES if big else 1, initial_files,
                     compact_hours, expire_hours, retain)


#: the demo's tables per cluster index (clusters after the second run the first three of the second's);
#: ``big``: its writers write files above the demo's small-file size (Spark batch jobs), else small files
#: (streaming and CDC ingestion)
WORKLOAD: dict[int, tuple[DemoTable, ...]] = {
    0: (_T("raw", "clickstream_events", 1, 480, 400, 6, 6, 10), _T("raw", "payments_cdc", 1, 16, 200, 6, 8, 10),
        _T("raw", "inventory_snapshots", 0.25, 24, 120, 12, 24, 5, big=True),
        _T("staging", "orders_enriched", 0.5, 20, 150, 8, 12, 10, big=True),
        _T("staging", "sessions", 0.5, 40, 300, 8, 12, 10, big=True),
        _T("staging", "customer_dim", 0.25, 4, 60, 24, 24, 5, big=True),
        _T("curated", "daily_sales", 0.1, 8, 40, 24, 24, 5, big=True),
        _T("curated", "customer_360", 0.25, 16, 80, 24, 24, 5, big=True),
        _T("curated", "product_catalog", 0.15, 2, 30, 24, 24, 5, big=True),
        _T("curated", "marketing_attribution", 0.25, 24, 100, 12, 24, 8, big=True),
        _T("ml", "features_user", 0.5, 48, 250, 8, 12, 10, big=True),
        _T("ml", "training_sets", 0.1, 30, 90, 24, 24, 3, big=True),
        _T("ml", "model_predictions", 1, 15, 200, 6, 12, 10, big=True)),
    1: (_T("raw", "iot_telemetry", 1, 60, 300, 6, 8, 10), _T("raw", "logs_app", 1, 50, 250, 6, 8, 10),
        _T("staging", "telemetry_agg", 0.25, 16, 100, 12, 24, 5, big=True),
        _T("curated", "device_health", 0.25, 6, 60, 24, 24, 5, big=True),
        _T("curated", "fleet_kpis", 0.1, 4, 40, 24, 24, 5, big=True),
        _T("ml", "anomaly_scores", 0.5, 12, 120, 8, 12, 10, big=True)),
}
#: story ``iceberg-compaction-overdue`` (first cluster): no compaction of this table since COMPACTION_STOP_LEAD
#: before the anchor; its 480 files a commit pass 10,000 about 3 h before the anchor
COMPACTION_STORY = ("raw", "clickstream_events")
COMPACTION_STOP_LEAD = 24 * 3600.0


def workload(world, cluster: str) -> tuple[DemoTable, ...]:
    """The workload tables of ``cluster`` (a name of ``world.clusters``)."""
    ci = world.clusters.index(cluster)
    return WORKLOAD[min(ci, 1)] if ci < 2 else WORKLOAD[1][:3]


def origin(world) -> float:
    """When the demo's workload tables were created (Unix s): the start of the lakehouse's history."""
    hours = min(world.scale.history_hours, MAX_HISTORY_HOURS)
    return float(math.floor((world.anchor - hours * 3600 - REFRESH_SECONDS) / 60) * 60)


@dataclasses.dataclass(frozen=True, order=True)
class Op:
    """One lakehouse operation: at ``t`` (Unix s, whole seconds), on ``table`` ((namespace, name)), of
    ``kind`` create, append, compact, expire or lose; ``files``: data files an append writes (0: one batch
    through pyiceberg's writer, as the story tables do), of ``copies`` * TEMPLATE_ROWS records; ``retain``: snapshots an expiry keeps (0: only the
    current one)."""

    t: float
    seq: int
    table: tuple[str, str]
    kind: str
    files: int = 0
    copies: int = 1
    retain: int = 0


def plan(world, cluster: str, t0: float, t1: float) -> list[Op]:
    """The operations of ``cluster``'s lakehouse with ``t0 < t <= t1``, in time order: the workload tables'
    and, on the first cluster, the story tables' (``TABLES`` and ``PILING`` at ``story_schedule``). A pure
    function of the world: the history build and the live writer apply the same operations."""
    from .core import poisson_events, u1
    ops: list[Op] = []
    start = origin(world)
    first = cluster == world.clusters[0]
    for n, tb in enumerate(workload(world, cluster)):
        key = (tb.namespace, tb.name)
        k = world.key("lakehouse", cluster, *key)
        seq = 1_000_000 * (n + 1)
        ops += [Op(start, seq, key, "create"), Op(start + 1, seq + 1, key, "append", tb.initial_files, tb.copies)]
        rate = tb.commits_per_hour / 3600.0
        commits = poisson_events(k, start + 2, max(t1, start + 2) + 1, lambda x: np.full(x.shape, rate))
        ops += [Op(float(math.floor(c)), seq + 10 + i, key, "append", tb.files, tb.copies)
                for i, c in enumerate(commits)]
        horizon = max(t1, start) - start
        if tb.compact_hours:
            period = tb.compact_hours * 3600
            comp = [start + (j + 0.1 + 0.8 * u1(k, 2)) * period for j in range(int(horizon / period) + 1)]
            if first and key == COMPACTION_STORY:
                comp = [c for c in comp if c < world.anchor - COMPACTION_STOP_LEAD]
            ops += [Op(float(math.floor(c)), seq + 500_000 + j, key, "compact") for j, c in enumerate(comp)]
        period = tb.expire_hours * 3600
        ops += [Op(float(math.floor(start + (j + 0.1 + 0.8 * u1(k, 4)) * period)), seq + 800_000 + j, key,
                   "expire", retain=tb.retain) for j in range(int(horizon / period) + 1)]
    if first:
        times = story_schedule(world.anchor)
        for i, (key, kind) in enumerate(operations(PILING)):
            ops.append(Op(times[i], i, tuple(key), kind, files=1 if kind == "append" else 0))
    return sorted(op for op in ops if t0 < op.t <= t1)


def story_schedule(anchor: float) -> list[float]:
    """Unix time of each operation of ``operations(PILING)`` (the story tables), given the world's anchor."""
    from .components.lakehouse import schedule
    return schedule(anchor)


class Lakehouse:
    """The lakehouse of one cluster of the demo: a pyiceberg SQL catalog under ``folder``, written by
    :func:`plan`'s operations. ``advance(until)`` applies the operations due since the last call (the
    progress is kept in ``progress.json`` beside the catalog, so a restarted demo resumes).

    Workload appends register copies (hard links) of one small Parquet file per table, written once with the
    table's schema and field ids: each is a real data file with its own footer, read by pyiceberg to build the
    manifest entry, at no cost in disk or time (10,000 files of a table in a few seconds)."""

    def __init__(self, folder: pathlib.Path, world, cluster: str, name: str = CATALOG):
        self.folder = pathlib.Path(folder).resolve()
        self.world, self.cluster = world, cluster
        (self.folder / "warehouse").mkdir(parents=True, exist_ok=True)
        (self.folder / "templates").mkdir(exist_ok=True)
        self.catalog = open_catalog(self.folder, name)
        self._tables: dict = {}

    # ---------------------------------------------------------------- progress
    @property
    def applied_until(self) -> float | None:
        """Time of the newest operation applied (None: nothing yet)."""
        try:
            return float(json.loads((self.folder / "progress.json").read_text())["until"])
        except (OSError, ValueError, KeyError):
            return None

    def _save(self, until: float) -> None:
        write_json(self.folder / "progress.json", {"until": until})

    def advance(self, until: float, frozen: bool = False, observe=None) -> int:
        """Apply the operations due in (applied_until, until]; returns how many. ``frozen``: commit each with
        the clock frozen at its time (time-machine; a process of its own). ``observe(t)``: called on the
        REFRESH_SECONDS grid after the operations up to ``t`` (only where something changed, as an exporter
        refreshing then would report the same otherwise; hourly before DETAILED_HISTORY_SECONDS), and once at
        the end. RuntimeError when ``frozen`` and
        other threads run in this process."""
        import contextlib
        done = self.applied_until
        ops = plan(self.world, self.cluster, -math.inf if done is None else done, until)
        if frozen:
            import threading

            import time_machine
            others = [t.name for t in threading.enumerate()
                      if t is not threading.main_thread() and not t.name.startswith("ThreadPoolExecutor")]
            if others:
                # the frozen clock is the whole process's: a server thread would serve values of the past
                raise RuntimeError(f"advance(frozen=True) needs a process of its own; threads running: {others}")
        pending: float | None = None
        for op in ops:
            if observe is not None and pending is not None and op.t > pending:
                observe(pending)
                pending = None
            with time_machine.travel(op.t, tick=False) if frozen else contextlib.nullcontext():
                self.apply(op)
            self._save(op.t)
            if observe is not None and pending is None:
                grid = REFRESH_SECONDS if op.t >= self.world.anchor - DETAILED_HISTORY_SECONDS else 3600.0
                pending = math.ceil(op.t / grid) * grid
        if observe is not None and pending is not None:
            observe(pending)
        return len(ops)

    # ---------------------------------------------------------------- one operation
    def _table(self, key):
        if key not in self._tables:
            self._tables[key] = self.catalog.load_table(key)
        return self._tables[key]

    def apply(self, op: Op) -> None:
        """Commit one operation through pyiceberg (``lose``: unlink a data file behind Iceberg's back)."""
        ns, _name = op.table
        if op.kind == "create":
            if (ns,) not in [tuple(x) for x in self.catalog.list_namespaces()]:
                self.catalog.create_namespace(ns)
            self._tables[op.table] = self.catalog.create_table(op.table, schema=_batch(0).schema,
                                                               properties=TABLE_PROPERTIES)
            return
        table = self._table(op.table)
        table.refresh()
        if op.kind == "append" and not op.files:
            append(table, int(op.t) % 1_000_000)
        elif op.kind == "append":
            self._append_copies(table, op)
        elif op.kind == "compact" and op.seq >= 1_000_000:
            self._compact_copies(table, op.t)
        elif op.kind == "compact":
            compact(table)
        elif op.kind == "expire" and op.retain:
            expire_keeping(table, op.retain)
            self._delete_unreferenced(table)
        elif op.kind == "expire":
            expire_all_but_current(table)
        else:
            lose_one_data_file(table)

    def _template(self, table, copies: int) -> pathlib.Path:
        """A Parquet file of ``copies`` * TEMPLATE_ROWS records in the table's schema (with field ids)."""
        import pyarrow as pa
        import pyarrow.parquet as pq
        from pyiceberg.io.pyarrow import schema_to_pyarrow
        path = self.folder / "templates" / f"{'.'.join(table.name())}-{copies}.parquet"
        if not path.exists():
            rows = copies * TEMPLATE_ROWS
            data = pa.table({"id": pa.array(range(rows), pa.int64()),
                             "amount": pa.array([float(i % 997) / 7 for i in range(rows)], pa.float64()),
                             "note": pa.array([f"event {i:08d}" for i in range(rows)], pa.string())})
            pq.write_table(data.cast(schema_to_pyarrow(table.schema())), path)
        return path

    def _copies(self, table, template: pathlib.Path, t: float, count: int, tag: str) -> list:
        """``count`` hard links of ``template`` in the table's data folder, as DataFiles. The footer is read
        once (pyiceberg's own reading, with its schema check) and the entry copied per link: the links are
        the same bytes, and reading 10,000 identical footers took most of a commit's time."""
        from pyiceberg.io.pyarrow import parquet_file_to_data_file
        from pyiceberg.manifest import DataFile
        folder = pathlib.Path(urllib.parse.urlsplit(table.location()).path) / "data"
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for j in range(count):
            path = folder / f"{tag}-{int(t)}-{j:05d}.parquet"
            if not path.exists():
                os.link(template, path)
            if not out:
                first = parquet_file_to_data_file(table.io, table.metadata, f"file://{path}")
                out.append(first)
                continue
            clone = DataFile(*(first[i] for i in range(len(first))))
            clone[1] = f"file://{path}"          # position 1 of the data_file struct: file_path
            out.append(clone)
        return out

    def _append_copies(self, table, op: Op) -> None:
        files = self._copies(table, self._template(table, op.copies), op.t, op.files, "append")
        with table.transaction() as tx:
            with tx.update_snapshot().fast_append() as producer:
                for f in files:
                    producer.append_data_file(f)

    def _compact_copies(self, table, t: float) -> None:
        """rewrite_data_files: every data file below the compacted size (COMPACTED_COPIES * TEMPLATE_ROWS
        records) is rewritten into files of that size and one with the remainder; records are kept."""
        target = COMPACTED_COPIES * TEMPLATE_ROWS
        rewrite = [task.file for task in table.scan().plan_files() if task.file.record_count < target]
        full, rest = divmod(sum(f.record_count for f in rewrite) // TEMPLATE_ROWS, COMPACTED_COPIES)
        if len(rewrite) <= full + (rest > 0):
            return
        new = self._copies(table, self._template(table, COMPACTED_COPIES), t, full, "compacted")
        if rest:
            new += self._copies(table, self._template(table, rest), t, 1, "compacted-rest")
        with table.transaction() as tx:
            with tx.update_snapshot().overwrite() as producer:
                for f in rewrite:
                    producer.delete_data_file(f)
                for f in new:
                    producer.append_data_file(f)
        self._removed(table, lambda pending: pending + [[t, [f.file_path for f in rewrite]]])

    def _removed(self, table, change) -> list:
        """The files compactions of ``table`` removed and no expiry deleted yet: [[compaction time, [paths]]]
        in ``removed.json`` beside the catalog (the history build and the live writer share it)."""
        path = self.folder / "removed.json"
        try:
            removed = json.loads(path.read_text())
        except (OSError, ValueError):
            removed = {}
        key = ".".join(table.name())
        removed[key] = change(removed.get(key, []))
        write_json(path, removed)
        return removed[key]

    def _delete_unreferenced(self, table) -> None:
        """After an expiry, delete the data files that only expired snapshots referenced, as Spark's
        expire_snapshots does (pyiceberg's leaves them): those a compaction removed before the oldest
        snapshot kept. Orphans left behind would make every storage listing longer for ever."""
        oldest = min(s.timestamp_ms for s in table.metadata.snapshots) / 1000.0
        due: list = []

        def keep(pending: list) -> list:
            due.extend(p for t, paths in pending if t <= oldest for p in paths)
            return [entry for entry in pending if entry[0] > oldest]

        self._removed(table, keep)
        for p in due:
            try:
                os.unlink(urllib.parse.urlsplit(p).path)
            except FileNotFoundError:
                pass


def expire_keeping(table, retain: int) -> None:
    """expire_snapshots keeping the newest ``retain`` snapshots (and always the current one)."""
    cur = table.current_snapshot().snapshot_id
    snaps = sorted(table.metadata.snapshots, key=lambda s: (s.timestamp_ms, s.sequence_number or 0))
    ids = [s.snapshot_id for s in snaps[:-retain] if s.snapshot_id != cur]
    if ids:
        table.maintenance.expire_snapshots().by_ids(ids).commit()
