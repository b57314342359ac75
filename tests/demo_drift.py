"""What the demo's simulated exporters emit, compared with the real-exporter corpus (test support).

The demo must be a faithful stand-in for Spark, Airflow (statsd_exporter), Trino, the Hive Metastore
(jmx_exporter), MinIO, Ceph, Oracle (oracledb_exporter) and PowerScale: the same metric families, types
and label names. A family is compared as a Prometheus text parser sees it (`tests/corpus.py`), for the
demo by rendering its live exporter's exposition, so what is compared is what Prometheus would store.

The demo may differ from the corpus only where this module says so, each time with the reason:

- labels a scrape adds (`SCRAPE_LABELS`: job, instance and the cluster label are added by the demo's
  prometheus.yml and never appear in an exposition; namespace/pod come from Kubernetes discovery as the
  shipped scrape configs of `deploy/exporters/` add them);
- families shaped by configuration the project ships (`deploy/exporters/`), computed here by applying
  that configuration (statsd mapping, jmx_exporter rules) to the corpus, not typed in;
- families the corpus sample lacks but the exporter's source defines (`EXTRA`, with the source);
- corpus families of test fixtures that no real deployment emits (`NOT_EMITTED`, with the reason).
"""
from __future__ import annotations

import dataclasses
import pathlib
import re

import yaml
from prometheus_client import CollectorRegistry, generate_latest

from tests.corpus import Family, load_corpus, parse_exposition

REPO = pathlib.Path(__file__).resolve().parents[1]
EXPORTERS_DIR = REPO / "deploy" / "exporters"

# corpus file -> demo scrape jobs that stand for it
DEMO_JOBS = {
    "spark": ("spark-executors", "spark-operator"),
    "airflow-statsd": ("airflow-statsd",),
    "trino": ("trino",),
    "hive-metastore": ("hive-metastore",),
    "minio": ("minio",),
    "ceph": ("ceph", "ceph-exporter"),
    "oracledb": ("oracledb",),
    "isilon": ("isilon",),
}

# Labels a scrape adds to every series of a job (besides job, instance and the cluster label, which the
# demo's prometheus.yml adds outside the exposition): Kubernetes service discovery's namespace (and pod
# for the Spark driver), as deploy/exporters/*/prometheus-scrape.yml and the ServiceMonitor defaults do.
SCRAPE_LABELS = {
    "spark-executors": {"namespace", "pod"},
    "spark-operator": set(),        # `namespace` comes from --metrics-labels=namespace (see EXTRA_LABELS)
    "airflow-statsd": {"namespace"},
    "trino": {"namespace"},
    "hive-metastore": {"namespace"},
    "minio": {"namespace"},
    "ceph": set(),
    "ceph-exporter": set(),
    "oracledb": set(),
    "isilon": set(),
}

# Labels the shipped exporter configuration adds to every family of a corpus file.
EXTRA_LABELS = {
    "spark": {"spark_application_", "spark_executor_"},   # prefixes: --metrics-labels=namespace
    "isilon": {"isilon_"},                                  # instance_label_name = "isilon_cluster"
}
EXTRA_LABEL_NAMES = {"spark": "namespace", "isilon": "isilon_cluster"}

# Corpus families no deployment of ours emits: fixtures of libraries' own unit tests.
NOT_EMITTED = {
    "spark": {
        "metrics_gauge1_Number": "PrometheusServletSuite's fake metric (the servlet is not scraped: the "
                                 "dashboards read the executor endpoint)",
        "metrics_gauge1_Value": "PrometheusServletSuite's fake metric",
        "metrics_counter1_Count": "PrometheusServletSuite's fake metric",
    },
    "trino": {
        "metric_name_count": "airlift's TestMetricsResource fixture, not a Trino metric",
        "metric_name_nested_committed": "airlift's TestMetricsResource fixture",
        "metric_name_nested_max": "airlift's TestMetricsResource fixture",
        "metric_name_nested_used": "airlift's TestMetricsResource fixture",
    },
}

# (type, label names) of families the corpus sample lacks, from the exporter's source.
EXTRA: dict[str, dict[str, tuple[str, frozenset[str], str]]] = {}


def _extra(corpus: str, type_: str, labels: str, source: str, *names: str) -> None:
    for name in names:
        EXTRA.setdefault(corpus, {})[name] = (type_, frozenset(labels.split()), source)


_SO = "kubeflow/spark-operator internal/metrics/sparkapplication_metrics.go, sparkpod_metrics.go"
_extra("spark", "untyped", "app_type namespace", _SO, "spark_application_submit_count",
       "spark_application_failed_submission_count", "spark_executor_success_count", "spark_executor_failure_count")
_extra("spark", "summary", "app_type namespace", _SO, "spark_application_failure_execution_time_seconds")
_AF = "Airflow metrics docs (executor.open_slots, executor.queued_tasks; unmapped by the chart)"
_extra("airflow-statsd", "gauge", "", _AF, "airflow_executor_open_slots", "airflow_executor_queued_tasks")
_QMS = "trinodb/trino QueryManagerStats.java (@Managed CounterStat/TimeStat)"
for _form, _t in (("trino_execution_name_QueryManager_", "gauge"), ("trino_execution_QueryManager_", "untyped")):
    _extra("trino", _t, "", _QMS, *(_form + a for a in (
        "QueuedQueries", "CompletedQueries_TotalCount", "StartedQueries_TotalCount", "SubmittedQueries_TotalCount",
        "CanceledQueries_TotalCount", "AbandonedQueries_TotalCount", "UserErrorFailures_TotalCount",
        "InternalFailures_TotalCount", "ExternalFailures_TotalCount", "InsufficientResourcesFailures_TotalCount",
        "ConsumedCpuTimeSecs_TotalCount", "ExecutionTime_FiveMinutes_P50", "ExecutionTime_FiveMinutes_P75",
        "ExecutionTime_FiveMinutes_P90", "ExecutionTime_FiveMinutes_P99", "ExecutionTime_FiveMinutes_Min",
        "ExecutionTime_FiveMinutes_Max", "ExecutionTime_FiveMinutes_Avg", "QueuedTime_FiveMinutes_P50",
        "QueuedTime_FiveMinutes_P95")))
_HFD = "trinodb/trino HeartbeatFailureDetector.java, ClusterSizeMonitor.java (@Managed)"
_extra("trino", "gauge", "", _HFD, "trino_failuredetector_name_HeartbeatFailureDetector_FailedCount",
       "trino_failuredetector_name_HeartbeatFailureDetector_TotalCount",
       "trino_execution_name_ClusterSizeMonitor_RequiredWorkers")
_extra("trino", "untyped", "", _HFD, "trino_failuredetector_HeartbeatFailureDetector_FailedCount",
       "trino_failuredetector_HeartbeatFailureDetector_TotalCount", "trino_execution_ClusterSizeMonitor_RequiredWorkers")
_CMP = "trinodb/trino ClusterMemoryPool.java (@Managed)"
_extra("trino", "gauge", "", _CMP, *("trino_memory_type_ClusterMemoryPool_name_general_" + a for a in (
    "TotalDistributedBytes", "ReservedDistributedBytes", "BlockedNodes", "Nodes")))
_extra("trino", "untyped", "name", _CMP, *("trino_memory_ClusterMemoryPool_" + a for a in (
    "TotalDistributedBytes", "ReservedDistributedBytes", "BlockedNodes", "Nodes")))
_CEPHX = "ceph-exporter (Reef+) OSD perf counters, src/exporter/ (names as the mgr module printed them)"
_extra("ceph", "counter", "ceph_daemon", _CEPHX, "ceph_osd_op_r", "ceph_osd_op_w", "ceph_osd_op_r_out_bytes",
       "ceph_osd_op_w_in_bytes")
_extra("ceph", "summary", "ceph_daemon", _CEPHX, "ceph_osd_op_r_latency", "ceph_osd_op_w_latency")
_extra("ceph", "gauge", "ceph_daemon", _CEPHX, "ceph_osd_stat_bytes", "ceph_osd_stat_bytes_used")
_extra("ceph", "gauge", "ceph_daemon", "ceph/ceph src/pybind/mgr/prometheus/module.py OSD_STATS",
       "ceph_osd_apply_latency_ms")
_extra("ceph", "counter", "pool_id", "ceph/ceph src/pybind/mgr/prometheus/module.py DF_POOL",
       "ceph_pool_rd", "ceph_pool_wr", "ceph_pool_rd_bytes", "ceph_pool_wr_bytes")
_ODB = "oracle/oracle-db-appdev-monitoring collector/default_metrics.toml (resource context)"
_extra("oracledb", "gauge", "database inst_id resource_name", _ODB, "oracledb_resource_current_utilization",
       "oracledb_resource_limit_value")
_OCM = "deploy/exporters/oracledb/custom-metrics.toml (shipped custom metrics)"
_extra("oracledb", "gauge", "database inst_id", _OCM, "oracledb_blocked_sessions_value")
_extra("oracledb", "counter", "database inst_id sql_id parsing_schema", _OCM, "oracledb_sql_elapsed_seconds",
       "oracledb_sql_executions")
_extra("hive-metastore", "untyped", "api", "deploy/exporters/hive-metastore/jmx-exporter.yml over api_<call> timers",
       "hive_metastore_api_99thPercentile")
_extra("hive-metastore", "untyped", "", "deploy/exporters/hive-metastore/jmx-exporter.yml over directsql_errors "
       "(MetricsConstants.DIRECTSQL_ERRORS)", "hive_metastore_directsql_errors")
_extra("hive-metastore", "untyped", "pool", "deploy/exporters/hive-metastore/jmx-exporter.yml over HikariCP's "
       "Codahale gauges (CodaHaleMetricsTracker)", "hikaricp_connections_idle", "hikaricp_connections_pending",
       "hikaricp_connections_max")


Shape = dict[str, tuple[str, frozenset[frozenset[str]]]]   # name -> (type, set of label-name sets)


# ------------------------------------------------------------------------------ shipped configurations
@dataclasses.dataclass(frozen=True)
class StatsdRule:
    pattern: re.Pattern
    name: str
    labels: dict
    observer: str   # "" (exporter default: summary) or "histogram"


def statsd_rules(path: pathlib.Path = EXPORTERS_DIR / "airflow" / "statsd-mappings.yml") -> list[StatsdRule]:
    """The mapping's rules as regexes (statsd_exporter glob: `*` is one dot-free component)."""
    out = []
    for m in yaml.safe_load(path.read_text())["mappings"]:
        if m.get("match_type") == "regex":
            pattern = re.compile(m["match"])
        else:
            pattern = re.compile("\\.".join("([^.]+)" if part == "*" else re.escape(part)
                                            for part in m["match"].split(".")))
        out.append(StatsdRule(pattern, m["name"], dict(m.get("labels", {})), m.get("observer_type", "")))
    return out


def statsd_map(statsd_name: str, statsd_type: str, rules: list[StatsdRule]) -> tuple[str, dict, str]:
    """(Prometheus name, labels, family type) statsd_exporter gives one statsd metric.

    The first matching rule wins; an unmatched name has `.` and `-` replaced by `_`. Timers become
    summaries unless the rule asks for a histogram; counters and gauges keep their kind.
    """
    for rule in rules:
        m = rule.pattern.fullmatch(statsd_name)
        if m:
            labels = {k: re.sub(r"\$(\d+)", lambda g: m.group(int(g.group(1))), str(v)) for k, v in rule.labels.items()}
            kind = (rule.observer or "summary") if statsd_type == "timer" else statsd_type
            return rule.name, labels, kind
    kind = "summary" if statsd_type == "timer" else statsd_type
    return re.sub(r"[.-]", "_", statsd_name), {}, kind


# The statsd metrics Airflow 2.x/3.x emits that the dashboards read (Airflow metrics docs), as the demo's
# DAGs, tasks and pools name them. Prefix: Airflow's default statsd_prefix `airflow`.
def airflow_statsd_names(dag: str = "etl_daily", task: str = "load_orders", pool: str = "default_pool"):
    return [
        (f"airflow.dagrun.duration.success.{dag}", "timer"), (f"airflow.dagrun.duration.failed.{dag}", "timer"),
        (f"airflow.dagrun.schedule_delay.{dag}", "timer"), (f"airflow.dag.{dag}.{task}.duration", "timer"),
        ("airflow.scheduler_heartbeat", "counter"), ("airflow.ti_failures", "counter"),
        ("airflow.ti_successes", "counter"), (f"airflow.pool.open_slots.{pool}", "gauge"),
        (f"airflow.pool.running_slots.{pool}", "gauge"), (f"airflow.pool.queued_slots.{pool}", "gauge"),
        (f"airflow.pool.starving_tasks.{pool}", "gauge"), ("airflow.executor.running_tasks", "gauge"),
        ("airflow.executor.open_slots", "gauge"), ("airflow.executor.queued_tasks", "gauge"),
    ]


def statsd_families(rules: list[StatsdRule], **names) -> Shape:
    """name -> (type, label-name sets) of the families the mapping makes of Airflow's statsd metrics."""
    out: Shape = {}
    for statsd_name, statsd_type in airflow_statsd_names(**names):
        name, labels, kind = statsd_map(statsd_name, statsd_type, rules)
        base = frozenset(labels)
        extra = {"quantile"} if kind == "summary" else {"le"} if kind == "histogram" else set()
        out[name] = (kind, frozenset({base | extra, base}) if extra else frozenset({base}))
    return out


def jmx_rules(path: pathlib.Path = EXPORTERS_DIR / "hive-metastore" / "jmx-exporter.yml"):
    """The jmx_exporter rules as (compiled pattern, name template, label templates)."""
    return [(re.compile(r["pattern"]), r["name"], dict(r.get("labels", {})))
            for r in yaml.safe_load(path.read_text())["rules"]]


def jmx_apply(bean: str, rules) -> tuple[str, dict] | None:
    """jmx_exporter's rule matching for one `domain<key=value, ...><>attribute` string (full match,
    first rule wins); None when no rule matches (the attribute is then not exported)."""
    for pattern, name, labels in rules:
        m = pattern.fullmatch(bean)
        if m:
            sub = lambda t: re.sub(r"\$(\d+)", lambda g: m.group(int(g.group(1))), t)  # noqa: E731
            return sub(name), {k: sub(v) for k, v in labels.items()}
    return None


_HELP_BEAN = re.compile(r"management (\w+):name=([^,]+),type=(\w+),attribute=(\w+)")


def hms_beans(corpus_families: list[Family]) -> dict[str, str]:
    """Corpus family name -> the jmx_exporter pattern string of its MBean attribute (from the HELP text)."""
    text = (corpus_dir_file("hive-metastore")).read_text()
    out = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split()[2]
            m = _HELP_BEAN.search(line)
            if m:
                domain, mname, mtype, attr = m.groups()
                out[name] = f"{domain}<name={mname}, type={mtype}><>{attr}"
    return out


def corpus_dir_file(stem: str) -> pathlib.Path:
    from tests.corpus import corpus_files
    return corpus_files()[stem]


# ----------------------------------------------------------------------------------- family shapes


def _shape(families: list[Family], drop: set[str] = frozenset()) -> Shape:
    out: Shape = {}
    for fam in families:
        sets = frozenset(frozenset(k for k, v in s.labels if v != "" and k not in drop) for s in fam.samples)
        out[fam.name] = (fam.type, sets)
    return out


def corpus_shape(stem: str) -> Shape:
    return _shape(load_corpus()[stem])


def demo_exposition(world, component, target, t: float) -> str:
    """The text the demo's live exporter serves for `target` at unix time `t`."""
    from webapp.demo.exporter import TargetCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(TargetCollector(world, component, target, clock=lambda: t))
    return generate_latest(registry).decode()


def demo_shape(world, stem: str, times: list[float]) -> Shape:
    """Union over `times` of the shapes of every demo target of the jobs standing for corpus file `stem`,
    with the scrape-added labels removed."""
    from webapp.demo.components import all_components

    merged: dict[str, tuple[str, set]] = {}
    for comp in all_components():
        for tgt in comp.targets(world):
            if tgt.job not in DEMO_JOBS[stem]:
                continue
            for t in times:
                for name, (kind, sets) in _shape(parse_exposition(demo_exposition(world, comp, tgt, t)),
                                                  SCRAPE_LABELS[tgt.job]).items():
                    prior = merged.setdefault(name, (kind, set()))
                    prior[1].update(sets)
    return {n: (k, frozenset(s)) for n, (k, s) in merged.items()}


def same_type(corpus_type: str, demo_type: str, name: str) -> bool:
    """Types agree, or the corpus has a counter without `_total` that the demo can only print untyped:
    prometheus_client's text format appends `_total` to a counter's samples, so a demo counter named
    like the Go/Java client's `foo_count` counter is printed untyped (Prometheus stores the same series)."""
    if corpus_type == demo_type:
        return True
    return corpus_type == "counter" and demo_type == "untyped" and not name.endswith("_total")


def expected_shape(stem: str) -> Shape:
    """The corpus shape after the shipped configuration, with the documented extras and without the
    corpus' test fixtures."""
    shape = {n: v for n, v in corpus_shape(stem).items() if n not in NOT_EMITTED.get(stem, {})}
    if stem == "airflow-statsd":
        # the shipped mapping replaces the chart's: recompute the families it changes
        mapped = statsd_families(statsd_rules())
        chart_pool_names = {n for n in shape if re.fullmatch(r"airflow_pool_(running|queued)_slots_.+", n)}
        for n in chart_pool_names:
            del shape[n]
        shape.update(mapped)
    if stem == "hive-metastore":
        rules = jmx_rules()
        beans = hms_beans(load_corpus()[stem])
        mapped: Shape = {}
        for name, (kind, sets) in shape.items():
            hit = jmx_apply(beans[name], rules) if name in beans else None
            if hit is None:
                continue
            new_name, labels = hit
            mapped[new_name] = (kind, frozenset(frozenset((s - {"type"}) | set(labels)) for s in sets))
        shape = mapped
    prefixes = EXTRA_LABELS.get(stem, set())
    if prefixes:
        extra = EXTRA_LABEL_NAMES[stem]
        shape = {n: (k, frozenset(s | {extra} for s in sets)) if n.startswith(tuple(prefixes)) else (k, sets)
                 for n, (k, sets) in shape.items()}
    for name, (kind, labels, _source) in EXTRA.get(stem, {}).items():
        ls = set(labels)
        if kind == "summary":
            ls_q = frozenset(ls)          # summaries the demo writes without quantiles (sum/count only)
            shape[name] = (kind, frozenset({ls_q}))
        elif kind == "histogram":
            shape[name] = (kind, frozenset({frozenset(ls | {"le"}), frozenset(ls)}))
        else:
            shape[name] = (kind, frozenset({frozenset(ls)}))
    return shape


def drift(world, stem: str, times: list[float]) -> list[str]:
    """Every difference between the demo and the expected shape of corpus file `stem`, as sentences."""
    want = expected_shape(stem)
    have = demo_shape(world, stem, times)
    problems = []
    for name in sorted(set(want) - set(have)):
        problems.append(f"{stem}: {name} is missing from the demo")
    for name in sorted(set(have) - set(want)):
        problems.append(f"{stem}: the demo emits {name}, which the exporter does not ({have[name][0]})")
    for name in sorted(set(want) & set(have)):
        (wk, ws), (hk, hs) = want[name], have[name]
        if not same_type(wk, hk, name):
            problems.append(f"{stem}: {name} is {hk} in the demo, {wk} in the exporter")
        if ws != hs:
            fmt = lambda sets: sorted(sorted(s) for s in sets)  # noqa: E731
            problems.append(f"{stem}: {name} labels {fmt(hs)} in the demo, {fmt(ws)} in the exporter")
    return problems


__all__ = ["drift", "expected_shape", "demo_shape", "statsd_rules", "statsd_map", "statsd_families", "jmx_rules",
           "jmx_apply", "hms_beans", "DEMO_JOBS"]
