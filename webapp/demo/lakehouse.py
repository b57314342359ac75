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

import datetime as dt
import pathlib
import urllib.parse

__all__ = ["build_lakehouse", "catalog_properties", "operations", "CATALOG", "INSTANCE", "LOST_TABLE", "PILING",
           "PILING_TABLE", "TABLES", "append", "compact", "expire_all_but_current", "lose_one_data_file"]

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

    from pyiceberg.catalog.sql import SqlCatalog

    folder = pathlib.Path(folder).resolve()
    done = folder / "built"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "warehouse").mkdir(exist_ok=True)
    props = catalog_properties(folder)
    catalog = SqlCatalog(name, **{k: v for k, v in props.items() if k != "type"})
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
