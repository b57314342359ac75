"""Level 1.4 Data Pipeline Health, with monitoring stage 5 (Iceberg, Hive Metastore, S3/MinIO,
Oracle DB, Ceph/Isilon).

PromQL follows metrics.md sections 7-12 and what the exporters emit (`../shared/real-exposition/`): the
Iceberg custom exporter (Iceberg namespace as label ``database``), Hive Codahale timers in ms through
jmx_exporter with or without the shipped rules, MinIO metrics v2 or v3 (TTFB distribution without
``_bucket``), Oracle exporter gauges and counters of seconds (blocked sessions and SQL time from the
shipped custom metrics), Ceph mgr module and ceph-exporter (OSD perf counters, latency sums in
seconds), Isilon ``time_avg`` in µs. Both-form queries come from forms.py.
``$namespace`` is used where the series carry the Kubernetes namespace of the scraped pod
(Hive Metastore, MinIO); Iceberg, Oracle, Ceph and Isilon have no Kubernetes namespace.
"""
from __future__ import annotations

from . import links
from . import thresholds as th
from .forms import hms_api, hms_api_rate, hms_directsql_errors_rate, hms_gauge, hms_pool, minio
from .model import Dashboard, Panel, Query, Section

Q = Query

ICEBERG_KEY = "catalog, database, table"
_FILES = f'max by ({ICEBERG_KEY}) (iceberg_table_data_files{{$cluster}})'
_SMALL = f'max by ({ICEBERG_KEY}) (iceberg_table_small_files{{$cluster}})'
_SNAPS = f'max by ({ICEBERG_KEY}) (iceberg_table_snapshots{{$cluster}})'
_SMALL_RATIO = f'{_SMALL} / ({_FILES} > 0)'
# a table needs maintenance: too many files, mostly small files, or too many snapshots (expire)
_NEEDS = f'({_FILES} > 10000) or ({_SMALL_RATIO} > 0.5 and {_FILES} > 1000) or ({_SNAPS} > 100)'

ICEBERG = Section("Iceberg", (
    Panel("iceberg-tables-over-files", "Tables over 10,000 data files", "stat", (
        Q(f'count({_FILES} > 10000) or vector(0)', "tables"),),
        width=3, description="Design threshold: files > 10000 per table (compaction needed)."),
    Panel("iceberg-tables-over-snapshots", "Tables over 100 snapshots", "stat", (
        Q(f'count({_SNAPS} > 100) or vector(0)', "tables"),),
        width=3, description="Design threshold: snapshots > 100 per table (expire_snapshots needed)."),
    Panel("iceberg-small-file-ratio", "Small-file ratio (all tables)", "stat", (
        Q('sum(iceberg_table_small_files{$cluster}) / (sum(iceberg_table_data_files{$cluster}) > 0)', "small files"),),
        unit="percentunit", width=3, description="Share of data files under 32 MiB."),
    Panel("iceberg-data-loss", "Data files deleted unexpectedly", "stat", (
        Q('sum(max by (cluster, catalog, database, table) (iceberg_table_files_deleted_unexpectedly{$cluster}))',
          "files"),),
        thresholds=(th.ICEBERG_DATA_LOSS,), width=3,
        description="The design's DataLoss alert (P1): files the tables' current snapshots reference that are gone "
                    "from storage without an Iceberg operation that removed them (Iceberg exporter)."),
    Panel("iceberg-needs-compaction", "Tables needing compaction", "table", (
        Q(f'{_FILES} and on ({ICEBERG_KEY}) ({_NEEDS})', column="Data files", unit="short"),
        Q(f'{_SMALL_RATIO} and on ({ICEBERG_KEY}) ({_NEEDS})', column="Small-file ratio", unit="percentunit"),
        Q(f'{_SNAPS} and on ({ICEBERG_KEY}) ({_NEEDS})', column="Snapshots", unit="none"),
        Q(f'max by ({ICEBERG_KEY}) (iceberg_table_last_compaction_timestamp_seconds{{$cluster}}) '
          f'and on ({ICEBERG_KEY}) ({_NEEDS})', column="Last compaction", unit="dateTime")),
        label_columns=("catalog", "database", "table"), thresholds=(th.ICEBERG_FILES,), link=links.ICEBERG_TABLE, width=12,
        empty_text="No table needs compaction",
        description="Tables over 10,000 data files, over 100 snapshots, or with more than half of their files "
                    "small. Sorted by data files."),
    Panel("iceberg-files-trend", "Data files per table (top 10)", "timeseries", (
        Q(f'topk(10, {_FILES})', "{database}.{table}"),),
        thresholds=(th.ICEBERG_FILES,), width=6, link=links.ICEBERG_TABLE,
        description="File count grows with every commit and drops at each compaction."),
    Panel("iceberg-snapshots-trend", "Snapshot count per table (top 10)", "timeseries", (
        Q(f'topk(10, {_SNAPS})', "{database}.{table}"),),
        thresholds=(th.ICEBERG_SNAPSHOTS,), width=6, link=links.ICEBERG_TABLE),
    Panel("iceberg-metadata-size", "Table metadata size (top 10)", "bar", (
        Q(f'topk(10, max by ({ICEBERG_KEY}) (iceberg_table_metadata_files_bytes{{$cluster}}))', "{database}.{table}"),),
        unit="bytes", width=6, link=links.ICEBERG_TABLE,
        description="metadata.json versions, manifest lists and manifests."),
    Panel("iceberg-small-files-by-table", "Small-file ratio per table (top 10)", "bar", (
        Q(f'topk(10, {_SMALL_RATIO})', "{database}.{table}"),),
        unit="percentunit", width=6, link=links.ICEBERG_TABLE),
    Panel("iceberg-tables", "Iceberg tables", "table", (
        Q(_FILES, column="Data files", unit="short"),
        Q(_SNAPS, column="Snapshots", unit="none"),
        Q(f'max by ({ICEBERG_KEY}) (iceberg_table_total_bytes{{$cluster}})', column="Size", unit="bytes"),
        Q(f'max by ({ICEBERG_KEY}) (iceberg_table_records{{$cluster}})', column="Records", unit="short"),
        Q(f'max by ({ICEBERG_KEY}) (iceberg_table_metadata_files_bytes{{$cluster}})', column="Metadata", unit="bytes"),
        Q(f'max by ({ICEBERG_KEY}) (iceberg_table_last_commit_timestamp_seconds{{$cluster}})',
          column="Last commit", unit="dateTime")),
        label_columns=("catalog", "database", "table"), thresholds=(th.ICEBERG_FILES,), link=links.ICEBERG_TABLE, width=12),
    Panel("iceberg-commits", "Commits per $__interval (top 10 tables)", "timeseries", (
        Q(f'topk(10, sum by ({ICEBERG_KEY}) (changes(iceberg_table_last_commit_timestamp_seconds{{$cluster}}[$__interval])))',
          "{database}.{table}"),),
        min_step=3600, width=12,
        description="Changes of the last-commit time per hour: a lower bound when commits are closer than "
                    "the exporter's scrape interval."),
))

_HMS = "$cluster, $namespace"
_HMS_APIS = "get_table|get_partitions_by_filter|get_database|add_partitions|lock"


def _pool_ratio(by: str) -> str:
    return (f'max by ({by}) ({hms_pool("active", _HMS)} / ({hms_pool("max", _HMS)} > 0))' if by
            else f'max({hms_pool("active", _HMS)} / ({hms_pool("max", _HMS)} > 0))')


HMS = Section("Hive Metastore", (
    Panel("hms-get-table-p95", "get_table response time (p95, worst replica)", "stat", (
        Q(f'max({hms_api("95thPercentile", _HMS, "get_table")}) / 1000', "p95"),),
        unit="s", thresholds=(th.HMS_RESPONSE,), width=3,
        description="Codahale timer percentiles are per replica (not aggregatable): the worst one is shown."),
    Panel("hms-pool-usage-now", "Connection-pool usage (worst pool)", "stat", (
        Q(_pool_ratio(""), "pool"),),
        unit="percentunit", thresholds=(th.HMS_POOL,), width=3,
        description="HikariCP active / maximum connections, from HMS' Codahale pool gauges."),
    Panel("hms-oldest-lock", "Oldest lock age", "stat", (
        Q(f'max({hms_gauge("hive_metastore_oldest_lock_age_in_sec", _HMS)})', "age"),),
        unit="s", width=3, description="How long the oldest ACID lock has been held or waited for."),
    Panel("hms-error-ratio-now", "Direct SQL errors per call", "stat", (
        Q(f'sum({hms_directsql_errors_rate("$__rate_interval", _HMS)}) '
          f'/ (sum({hms_api_rate("$__rate_interval", _HMS)}) > 0)', "errors"),),
        unit="percentunit", width=3,
        description="HMS keeps no per-API error counter: directsql_errors counts direct SQL queries that failed "
                    "(HMS then retries through JDO), per API call."),
    Panel("hms-response-time", "Response time p95 by API", "timeseries", (
        Q(f'max by (cluster, api) ({hms_api("95thPercentile", _HMS, _HMS_APIS)}) / 1000', "{cluster} {api}"),),
        unit="s", thresholds=(th.HMS_RESPONSE,), width=6),
    Panel("hms-pool-usage", "Connection-pool usage (HikariCP, metastore to Oracle)", "timeseries", (
        Q(_pool_ratio("cluster, pool"), "{cluster} {pool}"),),
        unit="percentunit", thresholds=(th.HMS_POOL,), width=6),
    Panel("hms-pool-pending", "Threads waiting for a connection", "timeseries", (
        Q(f'sum by (cluster, pool) ({hms_pool("pending", _HMS)})', "{cluster} {pool}"),),
        width=4),
    Panel("hms-lock-wait", "Lock wait: oldest lock age", "timeseries", (
        Q(f'max by (cluster) ({hms_gauge("hive_metastore_oldest_lock_age_in_sec", _HMS)})', "{cluster}"),),
        unit="s", width=4, description="The ACID lock table has no per-call wait timer; the oldest lock's age "
                                        "is how long the longest waiter can have waited."),
    Panel("hms-locks", "Open locks", "timeseries", (
        Q(f'max by (cluster) ({hms_gauge("hive_metastore_num_locks", _HMS)})', "{cluster}"),), width=4),
    Panel("hms-error-rate", "Direct SQL errors per call, by cluster", "timeseries", (
        Q(f'sum by (cluster) ({hms_directsql_errors_rate("$__rate_interval", _HMS)}) '
          f'/ (sum by (cluster) ({hms_api_rate("$__rate_interval", _HMS)}) > 0)', "{cluster}"),),
        unit="percentunit", width=6,
        description="HMS has no per-API error counter; directsql_errors is the one error count it exports."),
    Panel("hms-calls", "Calls per second by API", "timeseries", (
        Q(f'topk(8, sum by (api) ({hms_api_rate("$__rate_interval", _HMS)}))', "{api}"),),
        unit="ops", stacked=True, width=6),
    Panel("hms-apis", "Metastore APIs", "table", (
        Q(f'sum by (api) ({hms_api_rate("5m", _HMS)})', column="Calls/s", unit="ops"),
        Q(f'max by (api) ({hms_api("Mean", _HMS)}) / 1000', column="Mean", unit="s"),
        Q(f'max by (api) ({hms_api("95thPercentile", _HMS)}) / 1000', column="p95", unit="s"),
        Q(f'max by (api) ({hms_api("99thPercentile", _HMS)}) / 1000', column="p99", unit="s")),
        label_columns=("api",), thresholds=(th.HMS_RESPONSE,), width=8,
        description="p95/p99 of the worst replica; sorted by calls per second."),
    Panel("hms-open-connections", "Open client connections (Thrift)", "timeseries", (
        Q(f'sum by (cluster) ({hms_gauge("hive_metastore_open_connections", _HMS)})', "{cluster}"),), width=4),
))

_S3 = '{$cluster, $namespace}'
_MS = "$cluster, $namespace"
_TTFB = "minio_s3_requests_ttfb_seconds_distribution"


def _s3_rate(v2_name: str, window: str = "$__rate_interval", apis: str = "") -> str:
    return minio(v2_name, _MS, lambda sel: f"rate({sel}[{window}])", apis)


S3 = Section("S3 / MinIO", (
    Panel("s3-latency", "GET/PUT latency p95 (time to first byte)", "timeseries", (
        Q(f'histogram_quantile(0.95, sum by (le, api) ({_s3_rate(_TTFB, apis="getobject|putobject")}))', "{api}"),),
        unit="s", thresholds=(th.S3_LATENCY,), width=6,
        description="MinIO's TTFB distribution (no _bucket suffix) is a cumulative histogram. API names are "
                    "lower case in metrics v2 (getobject) and as MinIO spells them in v3 (GetObject)."),
    Panel("s3-error-rate", "4xx/5xx error rate", "timeseries", (
        Q(f'sum({_s3_rate("minio_s3_requests_4xx_errors_total")}) '
          f'/ (sum({_s3_rate("minio_s3_requests_total")}) > 0)', "4xx"),
        Q(f'sum({_s3_rate("minio_s3_requests_5xx_errors_total")}) '
          f'/ (sum({_s3_rate("minio_s3_requests_total")}) > 0)', "5xx")),
        unit="percentunit", thresholds=(th.S3_ERRORS,), width=6),
    Panel("s3-errors-range", "S3 error rate over the range", "stat", (
        Q(f'sum({minio("minio_s3_requests_errors_total", _MS, lambda s: f"increase({s}[$__range])")}) '
          f'/ (sum({minio("minio_s3_requests_total", _MS, lambda s: f"increase({s}[$__range])")}) > 0)', "errors"),),
        unit="percentunit", thresholds=(th.S3_ERRORS,), width=3),
    Panel("s3-capacity", "MinIO usable capacity used", "stat", (
        Q(f'max(1 - minio_cluster_capacity_usable_free_bytes{_S3} '
          f'/ (minio_cluster_capacity_usable_total_bytes{_S3} > 0))', "used"),),
        unit="percentunit", thresholds=(th.STORAGE_USAGE,), width=3),
    Panel("s3-requests", "Requests per second by API", "timeseries", (
        Q(f'sum by (api) ({_s3_rate("minio_s3_requests_total")})', "{api}"),),
        unit="ops", stacked=True, width=6),
    Panel("pipeline-s3-bucket-size", "Bucket size trend", "timeseries", (
        Q(f'max by (bucket) (minio_bucket_usage_total_bytes{_S3})', "{bucket}"),),
        unit="bytes", stacked=True, width=6, link=links.S3_BUCKET,
        description="From MinIO's background scanner: refreshed every few minutes to hours."),
    Panel("s3-object-count", "Objects per bucket", "bar", (
        Q(f'max by (bucket) (minio_bucket_usage_object_total{_S3})', "{bucket}"),),
        width=6, link=links.S3_BUCKET),
    Panel("s3-buckets", "Buckets", "table", (
        Q(f'max by (cluster, bucket) (minio_bucket_usage_total_bytes{_S3})', column="Size", unit="bytes"),
        Q(f'max by (cluster, bucket) (minio_bucket_usage_object_total{_S3})', column="Objects", unit="short"),
        Q(f'max by (cluster, bucket) (delta(minio_bucket_usage_total_bytes{_S3}[$__range]))', column="Growth in range",
          unit="bytes")),
        label_columns=("cluster", "bucket"), width=6, link=links.S3_BUCKET),
    Panel("s3-traffic", "S3 traffic", "timeseries", (
        Q(f'sum({_s3_rate("minio_s3_traffic_received_bytes")})', "received"),
        Q(f'sum({_s3_rate("minio_s3_traffic_sent_bytes")})', "sent")),
        unit="Bps", width=6),
))

_ORA = '{$cluster}'
_TS_RATIO = f'max by (tablespace, type) (oracledb_tablespace_bytes{_ORA} / (oracledb_tablespace_max_bytes{_ORA} > 0))'
_SQL_AVG = (f'sum by (sql_id, parsing_schema) (increase(oracledb_sql_elapsed_seconds_total{_ORA}[$__range])) '
            f'/ (sum by (sql_id, parsing_schema) (increase(oracledb_sql_executions_total{_ORA}[$__range])) > 0)')
ORACLE = Section("Oracle DB", (
    Panel("oracle-up", "Oracle databases up", "stat", (
        Q(f'sum(oracledb_up{_ORA})', "up"),), width=3),
    Panel("oracle-pool-now", "Session usage (sessions / limit)", "stat", (
        Q('max(oracledb_resource_current_utilization{resource_name="sessions", $cluster} '
          '/ (oracledb_resource_limit_value{resource_name="sessions", $cluster} > 0))', "sessions"),),
        unit="percentunit", thresholds=(th.ORACLE_POOL,), width=3),
    Panel("oracle-tablespace-max", "Fullest tablespace", "stat", (
        Q(f'max({_TS_RATIO})', "used"),),
        unit="percentunit", thresholds=(th.ORACLE_TABLESPACE,), width=3),
    Panel("oracle-blocked-now", "Blocked sessions", "stat", (
        Q(f'sum(oracledb_blocked_sessions_value{_ORA})', "sessions"),), width=3),
    Panel("oracle-pool", "Connection usage: sessions and processes / limit", "timeseries", (
        Q('max by (resource_name) (oracledb_resource_current_utilization{resource_name=~"sessions|processes", $cluster} '
          '/ (oracledb_resource_limit_value{resource_name=~"sessions|processes", $cluster} > 0))', "{resource_name}"),),
        unit="percentunit", thresholds=(th.ORACLE_POOL,), width=6),
    Panel("oracle-sessions", "Sessions by status and type", "timeseries", (
        Q(f'sum by (status, type) (oracledb_sessions_value{_ORA})', "{type} {status}"),),
        stacked=True, width=6),
    Panel("oracle-query-time", "Average query time per SQL (top 10)", "bar", (
        Q(f'topk(10, {_SQL_AVG})', "{sql_id} ({parsing_schema})"),),
        unit="s", thresholds=(th.ORACLE_QUERY,), width=6,
        description="Custom gv$sqlstats metric: elapsed seconds / executions over the selected range."),
    Panel("oracle-query-time-trend", "Slowest SQL average time", "timeseries", (
        Q(f'max(sum by (sql_id) (rate(oracledb_sql_elapsed_seconds_total{_ORA}[$__rate_interval])) '
          f'/ (sum by (sql_id) (rate(oracledb_sql_executions_total{_ORA}[$__rate_interval])) > 0))', "slowest SQL"),),
        unit="s", thresholds=(th.ORACLE_QUERY,), width=6, min_step=60),
    Panel("pipeline-oracle-tablespaces", "Tablespace usage", "table", (
        Q(_TS_RATIO, column="Used", unit="percentunit"),
        Q(f'max by (tablespace, type) (oracledb_tablespace_bytes{_ORA})', column="Used bytes", unit="bytes"),
        Q(f'max by (tablespace, type) (oracledb_tablespace_max_bytes{_ORA})', column="Max size", unit="bytes"),
        Q(f'max by (tablespace, type) (delta(oracledb_tablespace_bytes{_ORA}[$__range]))', column="Growth in range",
          unit="bytes")),
        label_columns=("tablespace", "type"), thresholds=(th.ORACLE_TABLESPACE,), link=links.ORACLE_TABLESPACE, width=6,
        description="bytes / max_bytes (used_percent is 0-1 for TEMP but 0-100 otherwise)."),
    Panel("oracle-tablespace-trend", "Tablespace usage trend (top 5)", "timeseries", (
        Q(f'topk(5, {_TS_RATIO})', "{tablespace}"),),
        unit="percentunit", thresholds=(th.ORACLE_TABLESPACE,), width=6, link=links.ORACLE_TABLESPACE),
    Panel("oracle-lock-waits", "Lock wait events (seconds waited per second)", "timeseries", (
        Q(f'sum(rate(oracledb_wait_time_application{_ORA}[$__rate_interval]))', "application (row locks, enq: TX)"),
        Q(f'sum(rate(oracledb_wait_time_concurrency{_ORA}[$__rate_interval]))', "concurrency"),
        Q(f'sum(rate(oracledb_wait_time_commit{_ORA}[$__rate_interval]))', "commit"),
        Q(f'sum(rate(oracledb_wait_time_user_io{_ORA}[$__rate_interval]))', "user I/O")),
        width=6, description="Average number of sessions waiting in each wait class."),
    Panel("oracle-blocked", "Blocked sessions", "timeseries", (
        Q(f'sum(oracledb_blocked_sessions_value{_ORA})', "blocked"),), width=3),
    Panel("oracle-activity", "Executions and commits per second", "timeseries", (
        Q(f'sum(rate(oracledb_activity_execute_count{_ORA}[$__rate_interval]))', "executions"),
        Q(f'sum(rate(oracledb_activity_user_commits{_ORA}[$__rate_interval]))', "commits")),
        unit="ops", width=3),
))

_CEPH = '{$cluster}'
# one name per pool: a renamed pool keeps its old metadata series for a few minutes (staleness)
_POOL_NAME = f'topk by (cluster, pool_id) (1, ceph_pool_metadata{_CEPH})'
_ISI = '{$cluster}'
_NFS = 'isilon_stat_cluster_protostats_nfs_total'
STORAGE = Section("Storage (Ceph / Isilon)", (
    Panel("pipeline-ceph-health", "Ceph health (worst cluster)", "stat", (
        Q(f'max(ceph_health_status{_CEPH})', "health"),),
        unit="none", value_map=((0, "HEALTH_OK"), (1, "HEALTH_WARN"), (2, "HEALTH_ERR")), width=3),
    Panel("ceph-osds-down", "Ceph OSDs down or out", "stat", (
        Q(f'count(ceph_osd_up{_CEPH} == 0 or ceph_osd_in{_CEPH} == 0) or vector(0)', "OSDs"),), width=3),
    Panel("ceph-usage-now", "Ceph raw capacity used (fullest cluster)", "stat", (
        Q(f'max(ceph_cluster_total_used_bytes{_CEPH} / (ceph_cluster_total_bytes{_CEPH} > 0))', "used"),),
        unit="percentunit", thresholds=(th.STORAGE_DISK_USAGE,), width=3),
    Panel("isilon-usage-now", "Isilon capacity used", "stat", (
        Q(f'max(1 - isilon_stat_ifs_percent_avail{_ISI} / 100)', "used"),),
        unit="percentunit", thresholds=(th.STORAGE_DISK_USAGE,), width=3),
    Panel("ceph-usage", "Disk usage: Ceph cluster raw capacity used", "timeseries", (
        Q(f'max by (cluster) (ceph_cluster_total_used_bytes{_CEPH} / (ceph_cluster_total_bytes{_CEPH} > 0))', "{cluster}"),),
        unit="percentunit", thresholds=(th.STORAGE_DISK_USAGE,), width=6),
    Panel("ceph-capacity", "Ceph capacity and time until full", "table", (
        Q(f'max by (cluster) (ceph_cluster_total_used_bytes{_CEPH} / (ceph_cluster_total_bytes{_CEPH} > 0))',
          column="Used", unit="percentunit"),
        Q(f'max by (cluster) (ceph_cluster_total_bytes{_CEPH})', column="Raw capacity", unit="bytes"),
        Q(f'clamp_max(max by (cluster) (ceph_cluster_total_bytes{_CEPH} - ceph_cluster_total_used_bytes{_CEPH}) '
          f'/ (max by (cluster) (deriv(ceph_cluster_total_used_bytes{_CEPH}[6h])) > 0), 2592000) '
          f'or max by (cluster) (ceph_cluster_total_bytes{_CEPH}) * 0 + 2592000',
          column="Full in", unit="s")),
        label_columns=("cluster",), thresholds=(th.STORAGE_DISK_USAGE,), width=6,
        value_map=((2592000, "not within 30 days"),),
        description="Linear extrapolation of the last 6 hours (deriv)."),
    Panel("pipeline-ceph-pools", "Ceph pool usage", "table", (
        Q(f'max by (cluster, name) (ceph_pool_stored{_CEPH} / ((ceph_pool_stored{_CEPH} + ceph_pool_max_avail{_CEPH}) > 0) '
          f'* on (cluster, pool_id) group_left (name) {_POOL_NAME})', column="Used", unit="percentunit"),
        Q(f'max by (cluster, name) (ceph_pool_stored{_CEPH} * on (cluster, pool_id) group_left (name) '
          f'{_POOL_NAME})', column="Stored", unit="bytes"),
        Q(f'max by (cluster, name) (ceph_pool_max_avail{_CEPH} * on (cluster, pool_id) group_left (name) '
          f'{_POOL_NAME})', column="Max available", unit="bytes")),
        label_columns=("cluster", "name"), thresholds=(th.STORAGE_DISK_USAGE,), width=6,
        description="stored / (stored + max_avail), as `ceph df` reports %USED."),
    Panel("ceph-osd-usage", "Fullest OSDs (top 10)", "bar", (
        Q(f'topk(10, ceph_osd_stat_bytes_used{_CEPH} / (ceph_osd_stat_bytes{_CEPH} > 0))', "{cluster} {ceph_daemon}"),),
        unit="percentunit", thresholds=(th.STORAGE_DISK_USAGE,), width=6),
    Panel("storage-iops", "IOPS trend", "timeseries", (
        Q(f'sum by (cluster) (rate(ceph_osd_op_r{_CEPH}[$__rate_interval]))', "Ceph {cluster} read"),
        Q(f'sum by (cluster) (rate(ceph_osd_op_w{_CEPH}[$__rate_interval]))', "Ceph {cluster} write"),
        Q(f'sum by (isilon_cluster) ({_NFS}_op_rate{_ISI})', "Isilon {isilon_cluster} NFS")),
        unit="ops", width=6),
    Panel("storage-throughput", "Throughput", "timeseries", (
        Q(f'sum by (cluster) (rate(ceph_osd_op_r_out_bytes{_CEPH}[$__rate_interval]))', "Ceph {cluster} read"),
        Q(f'sum by (cluster) (rate(ceph_osd_op_w_in_bytes{_CEPH}[$__rate_interval]))', "Ceph {cluster} write"),
        Q(f'sum by (isilon_cluster) ({_NFS}_out_rate{_ISI})', "Isilon {isilon_cluster} NFS out"),
        Q(f'sum by (isilon_cluster) ({_NFS}_in_rate{_ISI})', "Isilon {isilon_cluster} NFS in")),
        unit="Bps", width=6),
    Panel("storage-latency", "Latency", "timeseries", (
        Q(f'sum by (cluster) (rate(ceph_osd_op_r_latency_sum{_CEPH}[$__rate_interval])) '
          f'/ (sum by (cluster) (rate(ceph_osd_op_r_latency_count{_CEPH}[$__rate_interval])) > 0)', "Ceph {cluster} read"),
        Q(f'sum by (cluster) (rate(ceph_osd_op_w_latency_sum{_CEPH}[$__rate_interval])) '
          f'/ (sum by (cluster) (rate(ceph_osd_op_w_latency_count{_CEPH}[$__rate_interval])) > 0)', "Ceph {cluster} write"),
        Q(f'max by (isilon_cluster) ({_NFS}_time_avg{_ISI}) / 1e6', "Isilon {isilon_cluster} NFS")),
        unit="s", thresholds=(th.STORAGE_LATENCY,), width=6,
        description="Ceph: op latency sum/count (seconds); Isilon: NFS time_avg (µs)."),
    Panel("ceph-osd-latency", "Slowest OSDs: commit latency (top 10)", "bar", (
        Q(f'topk(10, ceph_osd_commit_latency_ms{_CEPH} / 1000)', "{cluster} {ceph_daemon}"),),
        unit="s", thresholds=(th.STORAGE_LATENCY,), width=6),
    Panel("pipeline-isilon-quotas", "Isilon quota usage (top 10)", "bar", (
        Q(f'topk(10, max by (path) (isilon_quota_hard_utilization_ratio{_ISI}))', "{path}"),),
        unit="percentunit", thresholds=(th.STORAGE_DISK_USAGE,), width=6),
))

DASHBOARD = PIPELINE = Dashboard(
    "pipeline", "Data Pipeline Health", "/pipeline", (ICEBERG, HMS, S3, ORACLE, STORAGE),
    variables=("cluster", "namespace"),
    description="Iceberg tables, the Hive Metastore and its Oracle database, S3/MinIO, Ceph and Isilon. "
                "The namespace filter applies to the Hive Metastore and MinIO panels.",
)
