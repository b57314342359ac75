"""The Iceberg exporter against a real pyiceberg SQL catalog on SQLite (the issue's done-when scenario):
appends, a compaction, a snapshot expiry and one data file deleted behind Iceberg's back."""
from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import urllib.parse

import pytest
import requests

pytest.importorskip("pyiceberg")

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from webapp.demo import lakehouse  # noqa: E402
from webapp.exporters import build  # noqa: E402
from webapp.exporters.base import Server  # noqa: E402
from webapp.exporters.iceberg import IcebergExporter, IcebergSettings, load_iceberg_settings  # noqa: E402
from webapp.settings import SettingsError  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _table(name: str, db: str, tbl: str, values: dict) -> float | None:
    return values.get((name, (("catalog", "lakehouse"), ("database", db), ("table", tbl))))


@pytest.fixture(scope="module")
def catalog_dir(tmp_path_factory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("lakehouse")
    lakehouse.build_lakehouse(folder)
    return folder


@pytest.fixture
def env(catalog_dir) -> dict[str, str]:
    """The catalog configured the pyiceberg way, in the environment."""
    props = lakehouse.catalog_properties(catalog_dir)
    return {f"PYICEBERG_CATALOG__LAKEHOUSE__{k.upper()}": v for k, v in props.items()}


def _args(**kw) -> argparse.Namespace:
    base = dict(host=None, port=None, refresh=None, once=False, catalog="lakehouse", small_file_bytes=None)
    return argparse.Namespace(**{**base, **kw})


def test_done_when_scenario_counts_and_lost_file(env, catalog_dir):
    """As a user runs it: the catalog in PYICEBERG_CATALOG__LAKEHOUSE__*, `--catalog lakehouse --once`."""
    proc = subprocess.run([sys.executable, "-m", "webapp.cli", "exporter", "iceberg", "--catalog", "lakehouse",
                           "--once"], env={**os.environ, **env, "PYICEBERG_HOME": str(catalog_dir)},
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    values = _samples(proc.stdout)
    # ledger_entries: 6 appends compacted into 1 file, 3 more appends, all but the current snapshot
    # expired, then its newest data file unlinked from the warehouse
    assert _table("iceberg_table_snapshots", "finance", "ledger_entries", values) == 1
    assert _table("iceberg_table_data_files", "finance", "ledger_entries", values) == 4
    assert _table("iceberg_table_records", "finance", "ledger_entries", values) == 9 * 50
    assert _table("iceberg_table_delete_files", "finance", "ledger_entries", values) == 0
    assert _table("iceberg_table_snapshots", "audit", "access_log", values) == 8
    assert _table("iceberg_table_data_files", "audit", "access_log", values) == 8
    assert _table("iceberg_table_small_files", "audit", "access_log", values) == 8
    lost = {k[1]: v for k, v in values.items() if k[0] == "iceberg_table_files_deleted_unexpectedly"}
    assert lost == {(("catalog", "lakehouse"), ("database", "audit"), ("table", "access_log")): 0,
                    (("catalog", "lakehouse"), ("database", "finance"), ("table", "fx_rates")): 0,
                    (("catalog", "lakehouse"), ("database", "finance"), ("table", "ledger_entries")): 1}
    assert _table("iceberg_table_metadata_files_bytes", "finance", "ledger_entries", values) > 0
    assert _table("iceberg_table_last_commit_timestamp_seconds", "finance", "ledger_entries", values) > 1.7e9


def test_refresh_reads_only_new_snapshots(tmp_path):
    cat = lakehouse.build_lakehouse(tmp_path)
    exporter = IcebergExporter(cat, IcebergSettings(catalog="lakehouse"))
    assert exporter.run_once()
    first = dict(exporter.api_calls)
    exporter.api_calls.clear()
    assert exporter.run_once()
    assert "read_manifest" not in exporter.api_calls        # nothing changed: no manifest read
    table = cat.load_table(("finance", "fx_rates"))
    lakehouse.compact(table)
    exporter.api_calls.clear()
    assert exporter.run_once()
    # one new snapshot: its manifest list and the manifests it wrote, not the whole table again
    assert exporter.api_calls["read_manifest"] < first["read_manifest"]
    values = _samples(exporter.exposition().decode())
    assert _table("iceberg_table_data_files", "finance", "fx_rates", values) == 1
    assert _table("iceberg_table_records", "finance", "fx_rates", values) == 6 * 50
    assert _table("iceberg_table_last_compaction_timestamp_seconds", "finance", "fx_rates", values) > 1.7e9
    assert _table("iceberg_table_snapshots", "finance", "fx_rates", values) == 2


def test_a_broken_table_is_one_error_not_a_dead_exporter(tmp_path):
    cat = lakehouse.build_lakehouse(tmp_path)
    exporter = IcebergExporter(cat, IcebergSettings(catalog="lakehouse"))
    table = cat.load_table(("audit", "access_log"))
    pathlib.Path(urllib.parse.urlsplit(table.metadata_location).path).unlink()   # its metadata JSON is gone
    assert exporter.run_once()
    values = _samples(exporter.exposition().decode())
    errors = {k[1]: v for k, v in values.items() if k[0] == "dataops_exporter_errors_total"}
    assert errors == {(("exporter", "iceberg"), ("object", "audit.access_log"), ("source", "table")): 1}
    assert _table("iceberg_table_data_files", "finance", "ledger_entries", values) == 4
    assert _table("iceberg_table_data_files", "audit", "access_log", values) is None


def test_settings_fail_with_the_variable_name(monkeypatch):
    with pytest.raises(SettingsError, match="DATAOPS_ICEBERG_SMALL_FILE_BYTES"):
        load_iceberg_settings({"DATAOPS_ICEBERG_SMALL_FILE_BYTES": "lots"})
    with pytest.raises(SettingsError, match="DATAOPS_ICEBERG_CATALOG"):
        load_iceberg_settings({"DATAOPS_ICEBERG_CATALOG": "a b\n"})
    s = load_iceberg_settings({"DATAOPS_ICEBERG_REFRESH": "60", "DATAOPS_ICEBERG_NAMESPACES": "raw, curated"})
    assert (s.refresh_seconds, s.namespaces, s.small_file_bytes) == (60.0, ("raw", "curated"), 32 * 1024 * 1024)
    monkeypatch.delenv("PYICEBERG_CATALOG__NOSUCH__URI", raising=False)
    with pytest.raises(SettingsError, match="nosuch"):
        build("iceberg", _args(catalog="nosuch"))


def test_endpoints(tmp_path):
    exporter = IcebergExporter(lakehouse.build_lakehouse(tmp_path), IcebergSettings(catalog="lakehouse"))
    server = Server(exporter, "127.0.0.1", 0).start(refresh=False)
    try:
        assert requests.get(f"{server.url}/readyz", timeout=5).status_code == 503   # no refresh yet
        assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
        assert exporter.run_once(), exporter.last_error
        assert requests.get(f"{server.url}/readyz", timeout=5).status_code == 200
        r = requests.get(f"{server.url}/metrics", timeout=5)
        assert r.headers["Content-Type"].startswith("text/plain; version=")
        values = _samples(r.text)
        assert values[("dataops_exporter_api_calls_total", (("api", "load_table"), ("exporter", "iceberg")))] == 3
        assert requests.get(f"{server.url}/nope", timeout=5).status_code == 404
    finally:
        server.stop()


def test_help_of_every_exporter():
    for name in ("iceberg", "bitbucket", "journey"):
        proc = subprocess.run([sys.executable, "-m", "webapp.cli", "exporter", name, "--help"], capture_output=True,
                              text=True, timeout=60, cwd=ROOT)
        assert proc.returncode == 0 and "--port" in proc.stdout and "--once" in proc.stdout, proc.stderr
