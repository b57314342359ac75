"""``dataops-monitor exporter iceberg``: the Iceberg table metrics of ``docs/metric-contract.md`` section 1,
from any catalog pyiceberg supports (REST, Hive, Glue, SQL, ...).

Per refresh (every ``DATAOPS_ICEBERG_REFRESH`` seconds, default 300):

* list namespaces and tables (catalog calls);
* load each table (reads its current metadata JSON). When the metadata location is the one seen last
  time, nothing else is read; otherwise only the manifests written by the snapshots committed since the
  last refresh are read and their ADDED/DELETED entries applied to the table's file set (a full read of
  the current snapshot's manifests when the last seen snapshot is no longer an ancestor: rollback,
  replaced table, first refresh);
* list the table's storage location once (one listing call per table on object stores) and count the
  files the current snapshot references that are not there: ``iceberg_table_files_deleted_unexpectedly``.
  A file removed by a snapshot (delete, overwrite, compaction) or by snapshot expiry is no longer
  referenced, so it never counts; only files that vanished behind Iceberg's back do.

A table that fails (unreadable metadata, missing manifest, permissions) adds one to
``dataops_exporter_errors_total{source="table"}`` and keeps its last good values; the other tables go on.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from ..settings import SettingsError
from .base import Exporter, env_list, env_number, gauge

log = logging.getLogger(__name__)

SMALL_FILE_DEFAULT = 32 * 1024 * 1024
LABELS = ["catalog", "database", "table"]


@dataclasses.dataclass(frozen=True)
class IcebergSettings:
    """Settings of the Iceberg exporter (environment ``DATAOPS_ICEBERG_*``, flags override)."""

    catalog: str = "default"
    host: str = "127.0.0.1"
    port: int = 9560
    refresh_seconds: float = 300.0
    small_file_bytes: int = SMALL_FILE_DEFAULT
    namespaces: tuple[str, ...] = ()     # empty: every namespace of the catalog


def load_iceberg_settings(env: Mapping[str, str]) -> IcebergSettings:
    """Read ``DATAOPS_ICEBERG_*``; SettingsError names the variable. The catalog itself is configured
    the pyiceberg way (``PYICEBERG_CATALOG__<NAME>__*`` or ``.pyiceberg.yaml``)."""
    values: dict = {}
    if env.get("DATAOPS_ICEBERG_CATALOG"):
        values["catalog"] = _catalog_name("DATAOPS_ICEBERG_CATALOG", env["DATAOPS_ICEBERG_CATALOG"])
    if env.get("DATAOPS_EXPORTER_HOST"):
        values["host"] = env["DATAOPS_EXPORTER_HOST"]
    values["port"] = env_number(env, "DATAOPS_ICEBERG_PORT", IcebergSettings.port, int, 1, 65535)
    values["refresh_seconds"] = env_number(env, "DATAOPS_ICEBERG_REFRESH", 300.0, float, 1, 86400)
    values["small_file_bytes"] = env_number(env, "DATAOPS_ICEBERG_SMALL_FILE_BYTES", SMALL_FILE_DEFAULT, int,
                                            1, 1 << 40)
    values["namespaces"] = env_list(env, "DATAOPS_ICEBERG_NAMESPACES")
    return IcebergSettings(**values)


def _catalog_name(name: str, value: str) -> str:
    if not value.replace("_", "").replace("-", "").isalnum():
        raise SettingsError(f"{name} must be a catalog name (letters, digits, - and _), got {value!r}")
    return value


@dataclasses.dataclass
class TableState:
    """What the exporter knows of one table after a refresh."""

    metadata_location: str = ""
    snapshot_id: int | None = None
    files: dict[str, tuple[int, int, int]] = dataclasses.field(default_factory=dict)  # path -> (content, bytes, records)
    snapshots: int = 0
    metadata_bytes: int = 0
    last_commit: float | None = None
    last_compaction: float | None = None
    missing: int = 0
    #: path -> (scheme and netloc, path) as the storage listing names it, or None; kept between refreshes, as
    #: parsing every referenced path on each refresh was most of a refresh's time at 10,000 files
    normalised: dict = dataclasses.field(default_factory=dict)


def _is_compaction(snapshot) -> bool:
    """A rewrite: Iceberg's ``replace`` operation (Spark/Flink rewrite_data_files), or an ``overwrite`` that
    removed more files than it added and kept every record (how pyiceberg-based compactions commit)."""
    summary = snapshot.summary
    if summary is None:
        return False
    op = getattr(summary.operation, "value", str(summary.operation))
    if op == "replace":
        return True
    if op != "overwrite":
        return False
    get = summary.additional_properties.get
    try:
        return (int(get("deleted-data-files", 0)) > int(get("added-data-files", 0))
                and int(get("added-records", -1)) == int(get("deleted-records", -2)))
    except ValueError:
        return False


class IcebergExporter(Exporter):
    """Iceberg table metrics from one pyiceberg catalog (``catalog`` is a loaded pyiceberg Catalog)."""

    name = "iceberg"

    def __init__(self, catalog, settings: IcebergSettings):
        super().__init__()
        self.catalog = catalog
        self.settings = settings
        self.refresh_seconds = settings.refresh_seconds
        self.tables: dict[tuple[str, str], TableState] = {}

    # ------------------------------------------------------------------ listing
    def _namespaces(self) -> list[tuple[str, ...]]:
        if self.settings.namespaces:
            return [tuple(n.split(".")) for n in self.settings.namespaces]
        out, todo = [], [()]
        while todo:
            parent = todo.pop()
            self.call("list_namespaces")
            for ns in self.catalog.list_namespaces(parent) if parent else self.catalog.list_namespaces():
                ns = tuple(ns)
                if ns and ns not in out:
                    out.append(ns)
                    # SQL and REST catalogs list nested namespaces under their parent; a catalog that
                    # answers a parent with itself would loop without the check above
                    todo.append(ns)
        return out

    def refresh(self) -> None:
        seen: dict[tuple[str, str], TableState] = {}
        for ns in self._namespaces():
            self.call("list_tables")
            try:
                idents = self.catalog.list_tables(ns)
            except Exception as exc:  # noqa: BLE001 - one namespace failing is one error
                self.error("namespace", ".".join(ns), exc)
                continue
            for ident in idents:
                key = (".".join(ident[:-1]), ident[-1])
                old = self.tables.get(key)
                try:
                    seen[key] = self._refresh_table(ident, old)
                except Exception as exc:  # noqa: BLE001 - a broken table is one error, not a dead exporter
                    self.error("table", ".".join(key), exc)
                    if old is not None:
                        seen[key] = old
        with self.lock:
            self.tables = seen

    # ------------------------------------------------------------------ one table
    def _refresh_table(self, ident, old: TableState | None) -> TableState:
        self.call("load_table")
        table = self.catalog.load_table(ident)
        md = table.metadata
        st = dataclasses.replace(old) if old is not None else TableState()
        current = table.current_snapshot()
        if old is None or table.metadata_location != old.metadata_location:
            st.files = dict(st.files)
            self._apply_snapshots(table, st, current, old)
            st.normalised = {p: v for p, v in st.normalised.items() if p in st.files}
            st.metadata_location = table.metadata_location
            st.snapshots = len(md.snapshots)
            st.last_commit = current.timestamp_ms / 1000.0 if current is not None else None
            comps = [s.timestamp_ms / 1000.0 for s in md.snapshots if _is_compaction(s)]
            if comps:
                st.last_compaction = max(comps + ([st.last_compaction] if st.last_compaction else []))
            st.metadata_bytes = self._metadata_bytes(table, current)
        st.missing = self._missing(table, st.files, st.normalised)
        return st

    def _apply_snapshots(self, table, st: TableState, current, old: TableState | None) -> None:
        io = table.io
        if current is None:
            st.files, st.snapshot_id = {}, None
            return
        chain = []
        snap = current
        by_id = {s.snapshot_id: s for s in table.metadata.snapshots}
        while snap is not None and (old is None or snap.snapshot_id != old.snapshot_id):
            chain.append(snap)
            snap = by_id.get(snap.parent_snapshot_id) if snap.parent_snapshot_id is not None else None
        incremental = old is not None and old.snapshot_id is not None and snap is not None
        if not incremental:
            files: dict[str, tuple[int, int, int]] = {}
            self.call("read_manifest_list")
            for m in current.manifests(io):
                self.call("read_manifest")
                for e in m.fetch_manifest_entry(io, discard_deleted=True):
                    f = e.data_file
                    files[f.file_path] = (int(f.content), int(f.file_size_in_bytes), int(f.record_count))
            st.files = files
        else:
            for s in reversed(chain):
                self.call("read_manifest_list")
                for m in s.manifests(io):
                    if m.added_snapshot_id != s.snapshot_id:
                        continue
                    self.call("read_manifest")
                    for e in m.fetch_manifest_entry(io, discard_deleted=False):
                        if e.snapshot_id != s.snapshot_id:
                            continue
                        f = e.data_file
                        status = int(e.status)
                        if status == 1:    # ADDED
                            st.files[f.file_path] = (int(f.content), int(f.file_size_in_bytes), int(f.record_count))
                        elif status == 2:  # DELETED
                            st.files.pop(f.file_path, None)
        st.snapshot_id = current.snapshot_id

    def _metadata_bytes(self, table, current) -> int:
        io = table.io
        self.call("stat")
        total = len(io.new_input(table.metadata_location))
        if current is not None:
            self.call("stat")
            total += len(io.new_input(current.manifest_list))
            self.call("read_manifest_list")
            total += sum(int(m.manifest_length) for m in current.manifests(io))
        return total

    def _missing(self, table, files: dict, normalised: dict) -> int:
        """Referenced files absent from storage: one recursive listing of the table location when the
        FileIO is pyarrow's, else one existence check per file. ``normalised`` caches each path's parsed
        form (filled here)."""
        if not files:
            return 0
        io = table.io
        listed = self._listing(io, table.location())
        missing = 0
        for path in files:
            if path in normalised:
                norm = normalised[path]
            else:
                norm = normalised[path] = self._normalise(io, path)
            if listed is not None and norm is not None and norm[0] == listed[0]:
                if norm[1] not in listed[1]:
                    missing += 1
                continue
            self.call("stat")
            if not io.new_input(path).exists():
                missing += 1
        return missing

    @staticmethod
    def _normalise(io, path: str):
        parse = getattr(io, "parse_location", None)
        if parse is None:
            return None
        scheme, netloc, p = parse(path)
        return (scheme, netloc), p

    def _listing(self, io, location: str):
        """((scheme, netloc), set of paths) under ``location``, or None when the FileIO cannot list."""
        fs_by_scheme = getattr(io, "fs_by_scheme", None)
        if fs_by_scheme is None:
            return None
        from pyarrow.fs import FileSelector, FileType
        scheme, netloc, root = io.parse_location(location)
        fs = fs_by_scheme(scheme, netloc)
        self.call("list_storage")
        infos = fs.get_file_info(FileSelector(root, recursive=True, allow_not_found=True))
        return (scheme, netloc), {i.path for i in infos if i.type == FileType.File}

    # ------------------------------------------------------------------ exposition
    def families(self):
        cat = self.settings.catalog
        fams = {
            "snapshots": gauge("iceberg_table_snapshots", "Snapshots retained in the table metadata", LABELS),
            "data": gauge("iceberg_table_data_files", "Data files in the current snapshot", LABELS),
            "delete": gauge("iceberg_table_delete_files", "Position and equality delete files in the current snapshot",
                            LABELS),
            "small": gauge("iceberg_table_small_files",
                           f"Data files smaller than {self.settings.small_file_bytes} bytes", LABELS),
            "bytes": gauge("iceberg_table_total_bytes", "Bytes of the current snapshot's data files", LABELS),
            "records": gauge("iceberg_table_records", "Records in the current snapshot's data files", LABELS),
            "meta": gauge("iceberg_table_metadata_files_bytes",
                          "Current metadata JSON, manifest list and manifests", LABELS),
            "commit": gauge("iceberg_table_last_commit_timestamp_seconds", "Commit time of the current snapshot",
                            LABELS),
            "compaction": gauge("iceberg_table_last_compaction_timestamp_seconds",
                                "Commit time of the newest compaction (replace) snapshot seen", LABELS),
            "missing": gauge("iceberg_table_files_deleted_unexpectedly",
                             "Files the current snapshot references that are no longer in storage", LABELS),
        }
        small = self.settings.small_file_bytes
        for (db, name), st in sorted(self.tables.items()):
            lab = [cat, db, name]
            data = [v for v in st.files.values() if v[0] == 0]
            fams["snapshots"].add_metric(lab, st.snapshots)
            fams["data"].add_metric(lab, len(data))
            fams["delete"].add_metric(lab, len(st.files) - len(data))
            fams["small"].add_metric(lab, sum(1 for v in data if v[1] < small))
            fams["bytes"].add_metric(lab, sum(v[1] for v in data))
            fams["records"].add_metric(lab, sum(v[2] for v in data))
            fams["meta"].add_metric(lab, st.metadata_bytes)
            if st.last_commit is not None:
                fams["commit"].add_metric(lab, st.last_commit)
            if st.last_compaction is not None:
                fams["compaction"].add_metric(lab, st.last_compaction)
            fams["missing"].add_metric(lab, st.missing)
        return list(fams.values())


def build(settings: IcebergSettings) -> IcebergExporter:
    """Load the catalog named in the settings the pyiceberg way and wrap it in an exporter."""
    from pyiceberg.catalog import load_catalog
    try:
        catalog = load_catalog(settings.catalog)
    except Exception as exc:  # noqa: BLE001 - pyiceberg raises several kinds for a bad configuration
        raise SettingsError(f"cannot load the pyiceberg catalog {settings.catalog!r} "
                            f"(PYICEBERG_CATALOG__{settings.catalog.upper()}__* or .pyiceberg.yaml): "
                            f"{type(exc).__name__}: {exc}") from None
    return IcebergExporter(catalog, settings)


__all__ = ["IcebergExporter", "IcebergSettings", "load_iceberg_settings", "build", "TableState"]
