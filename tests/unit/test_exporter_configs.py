"""The exporter configuration shipped under deploy/exporters/ gives the names the catalog reads.

The statsd mapping and the jmx_exporter rules are applied in Python (tests/demo_drift.py mirrors
statsd_exporter's and jmx_exporter's matching) to the names the real software emits; the scrape
configs are checked by promtool; every family a config produces is read by some catalog query."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from tests.corpus import load_corpus
from tests.demo_drift import (EXPORTERS_DIR, hms_beans, jmx_apply, jmx_rules, statsd_families, statsd_map,
                              statsd_rules)
from webapp.catalog import DASHBOARDS, TILES
from webapp.catalog.alerts import EXTRA_SIGNALS, NAMED_ALERTS, SLOS


def _catalog_text() -> str:
    parts = [q.expr for d in DASHBOARDS.values() for p in d.panels for q in p.queries]
    parts += [d.exists_query for d in DASHBOARDS.values()]
    parts += [s.expr for t in TILES for s in t.signals] + [t.figure.expr for t in TILES]
    parts += [s.expr for s in EXTRA_SIGNALS] + [a.expr for a in NAMED_ALERTS]
    parts += [s.error_ratio_expr("1h") for s in SLOS]
    return "\n".join(parts)


def _reads(text: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


# ----------------------------------------------------------------------------------------- Airflow
def test_statsd_mapping_labels_pools_and_makes_task_duration_a_histogram():
    rules = statsd_rules()
    assert statsd_map("airflow.pool.running_slots.spark_pool", "gauge", rules) == (
        "airflow_pool_running_slots", {"pool": "spark_pool"}, "gauge")
    assert statsd_map("airflow.pool.queued_slots.default_pool", "gauge", rules) == (
        "airflow_pool_queued_slots", {"pool": "default_pool"}, "gauge")
    assert statsd_map("airflow.dag.etl.load.duration", "timer", rules) == (
        "airflow_task_duration", {"dag_id": "etl", "task_id": "load"}, "histogram")
    assert statsd_map("airflow.dagrun.duration.failed.etl", "timer", rules) == (
        "airflow_dagrun_failed", {"dag_id": "etl"}, "summary")
    assert statsd_map("airflow.ti_failures", "counter", rules) == ("airflow_ti_failures", {}, "counter")


def test_statsd_mapping_without_our_changes_reproduces_the_charts_output(tmp_path):
    """Undo the shipped changes (histogram, running/queued pool rules): the mapper must then give exactly
    the families of the corpus (the Helm chart's mapping), which proves the mapper and the base rules."""
    doc = yaml.safe_load((EXPORTERS_DIR / "airflow" / "statsd-mappings.yml").read_text())
    chart = [{k: v for k, v in m.items() if k not in ("observer_type", "histogram_options")}
             for m in doc["mappings"] if m["match"] not in ("airflow.pool.running_slots.*", "airflow.pool.queued_slots.*")]
    path = tmp_path / "chart-mappings.yml"
    path.write_text(yaml.safe_dump({"mappings": chart}))
    mapped = statsd_families(statsd_rules(path))
    corpus = {f.name: (f.type, frozenset(frozenset(k for k, _ in s.labels) for s in f.samples))
              for f in load_corpus()["airflow-statsd"]}
    for name, (kind, sets) in mapped.items():
        if name in ("airflow_executor_open_slots", "airflow_executor_queued_tasks"):
            continue   # not in the corpus sample
        assert name in corpus, name
        assert corpus[name] == (kind, sets), name


def test_every_mapped_family_the_dashboards_need_is_read():
    text = _catalog_text()
    for name in statsd_families(statsd_rules()):
        if name in ("airflow_executor_open_slots", "airflow_executor_queued_tasks", "airflow_executor_running_tasks"):
            assert _reads(text, name), name
            continue
        assert _reads(text, name) or _reads(text, name + "_count") or _reads(text, name + "_bucket"), name


# ----------------------------------------------------------------------------------- Hive Metastore
def test_jmx_rules_map_every_hms_bean_of_the_corpus():
    rules = jmx_rules()
    beans = hms_beans(load_corpus()["hive-metastore"])
    assert len(beans) == 7
    got = {name: jmx_apply(bean, rules) for name, bean in beans.items()}
    assert got == {
        "metrics_api_get_table_95thPercentile": ("hive_metastore_api_95thPercentile", {"api": "get_table"}),
        "metrics_api_get_table_Count": ("hive_metastore_api_Count", {"api": "get_table"}),
        "metrics_api_get_table_Mean": ("hive_metastore_api_Mean", {"api": "get_table"}),
        "metrics_open_connections_Count": ("hive_metastore_open_connections", {}),
        "metrics_num_locks_Value": ("hive_metastore_num_locks", {}),
        "metrics_oldest_lock_age_in_sec_Value": ("hive_metastore_oldest_lock_age_in_sec", {}),
        "metrics_objectstore_pool_ActiveConnections_Value": ("hikaricp_connections_active", {"pool": "objectstore"}),
    }


def test_jmx_rules_cover_the_other_hms_beans_the_catalog_reads():
    rules = jmx_rules()
    assert jmx_apply("metrics<name=api_get_partitions_by_filter, type=timers><>99thPercentile", rules) == (
        "hive_metastore_api_99thPercentile", {"api": "get_partitions_by_filter"})
    assert jmx_apply("metrics<name=directsql_errors, type=counters><>Count", rules) == (
        "hive_metastore_directsql_errors", {})
    assert jmx_apply("metrics<name=txnhandler.pool.MaxConnections, type=gauges><>Value", rules) == (
        "hikaricp_connections_max", {"pool": "txnhandler"})
    assert jmx_apply("metrics<name=objectstore.pool.PendingConnections, type=gauges><>Value", rules) == (
        "hikaricp_connections_pending", {"pool": "objectstore"})
    assert jmx_apply("metrics<name=api_get_table, type=timers><>StdDev", rules) is None
    text = _catalog_text()
    for name in ("hive_metastore_api_95thPercentile", "hive_metastore_api_99thPercentile", "hive_metastore_api_Mean",
                 "hive_metastore_api_Count", "hive_metastore_open_connections", "hive_metastore_num_locks",
                 "hive_metastore_oldest_lock_age_in_sec", "hive_metastore_directsql_errors",
                 "hikaricp_connections_active", "hikaricp_connections_max", "hikaricp_connections_pending"):
        assert _reads(text, name), name


def test_catalog_reads_hms_without_rules_too():
    """The default jmx_exporter names of the corpus are read by the same panels (no rules needed)."""
    text = _catalog_text()
    assert "metrics_api_(.+)_95thPercentile" in text and "metrics_(.+)_pool_ActiveConnections_Value" in text
    for name in ("metrics_num_locks_Value", "metrics_oldest_lock_age_in_sec_Value", "metrics_open_connections_Count"):
        assert _reads(text, name), name


# ----------------------------------------------------------------------------- scrape configs, misc
@pytest.mark.parametrize("path", sorted(EXPORTERS_DIR.glob("*/prometheus-scrape.yml")), ids=lambda p: p.parent.name)
def test_scrape_configs_are_valid_prometheus_configs(path, tmp_path):
    promtool = shutil.which("promtool")
    assert promtool, "promtool is installed by scripts/install-system-deps.sh"
    # Debian's Prometheus is built without Kubernetes service discovery: check everything else (fields,
    # relabel regexes and actions) with a static target in its place.
    doc = yaml.safe_load(path.read_text())
    for job in doc["scrape_configs"]:
        if job.pop("kubernetes_sd_configs", None) is not None:
            job["static_configs"] = [{"targets": ["127.0.0.1:9"]}]
    checked = tmp_path / "prometheus.yml"
    checked.write_text(yaml.safe_dump(doc))
    done = subprocess.run([promtool, "check", "config", str(checked)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_spark_scrape_adds_only_namespace_and_pod_to_the_executor_endpoint():
    jobs = {j["job_name"]: j for j in yaml.safe_load((EXPORTERS_DIR / "spark" / "prometheus-scrape.yml").read_text())
            ["scrape_configs"]}
    executors = jobs["spark-executors"]
    assert executors["metrics_path"] == "/metrics/executors/prometheus"
    added = {r["target_label"] for r in executors["relabel_configs"] if "target_label" in r}
    assert added == {"namespace", "pod"}
    assert jobs["spark-operator"]["honor_labels"] is True     # keeps --metrics-labels=namespace
    patch = yaml.safe_load((EXPORTERS_DIR / "spark" / "spark-operator-args.yaml").read_text())
    assert patch == [{"op": "add", "path": "/spec/template/spec/containers/0/args/-",
                      "value": "--metrics-labels=namespace"}]


def test_oracle_custom_metrics_give_the_names_the_catalog_reads():
    import tomllib

    doc = tomllib.loads((EXPORTERS_DIR / "oracledb" / "custom-metrics.toml").read_text())
    names = {f"oracledb_{m['context']}_{field}" for m in doc["metric"] for field in m["metricsdesc"]}
    assert names == {"oracledb_blocked_sessions_value", "oracledb_sql_elapsed_seconds_total",
                     "oracledb_sql_executions_total"}
    text = _catalog_text()
    assert all(_reads(text, n) for n in names)
    sql = next(m for m in doc["metric"] if m["context"] == "sql")
    assert set(sql["metricstype"].values()) == {"counter"}
    assert {"sql_id", "parsing_schema"} <= set(sql["labels"])


def test_isilon_config_names_the_label_the_catalog_groups_by():
    import tomllib

    doc = tomllib.loads((EXPORTERS_DIR / "isilon" / "data-insights.toml").read_text())
    label = doc["prometheus"]["instance_label_name"]
    assert f"by ({label})" in _catalog_text()
