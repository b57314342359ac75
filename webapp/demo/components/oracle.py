"""Oracle DB behind the Hive Metastores: oracle/oracle-db-appdev-monitoring default metrics plus two
documented custom metric files. One database (``HMSPRD``), its exporter runs in the first cluster.

Shapes are the 2.x exporter's (``../shared/real-exposition/oracledb.prom``): every database series carries
``database`` (the exporter's name of the database, here ``HMSPRD``); ``activity_*`` are typed gauge though
they only grow; ``wait_time_*`` are counters without ``_total``.

Default metrics (default_metrics.toml): ``oracledb_up``; ``oracledb_sessions_value{status,type}``;
``oracledb_resource_current_utilization{resource_name}``, ``oracledb_resource_limit_value{resource_name}``;
``oracledb_tablespace_bytes|max_bytes|free{tablespace,type}`` and ``oracledb_tablespace_used_percent``
(0-100 for permanent/undo, a 0-1 fraction for TEMP, as the real union query does);
``oracledb_activity_execute_count``, ``oracledb_activity_user_commits``, ``oracledb_activity_parse_count_total``
(cumulative v$sysstat values); ``oracledb_wait_time_<class>`` (counters of seconds waited, Oracle exporter
semantics); ``oracledb_process_count``, ``oracledb_top_sql_elapsed{sql_id,sql_text}``, ``oracledb_db_system_value``,
``oracledb_db_platform_value``, ``oracledb_dbtype`` and the exporter's own ``oracledb_exporter_*``. Label
``inst_id`` on the gv$ resource metrics.

Custom metrics (``deploy/exporters/oracledb/custom-metrics.toml``): ``oracledb_blocked_sessions_value``
(``count(*) from gv$session where blocking_session is not null``) and, from gv$sqlstats per ``sql_id``
(``parsing_schema``): counters ``oracledb_sql_elapsed_seconds_total`` (elapsed_time / 1e6) and
``oracledb_sql_executions_total`` (executions); query time = rate(elapsed) / rate(executions).

Stories (first cluster): ``oracle-tablespace-full``: tablespace HMS_DATA grows ~2.5 points a day and
passes 85% ~8 h before the anchor. During ``hms-slow`` (hive_metastore.py) row-lock contention on the
metastore schema: blocked sessions, Application-class waits and the metastore's lock query (sql_id
``7xk2m9pq4tbn1``) run for seconds. The nightly report ``b1f9r7zx03kca`` always takes 6-9 s.
"""
from __future__ import annotations

import numpy as np

from ..core import DAY, HOUR, Families, Family, Target, cyclic_counter, smooth, target
from ..world import World
from . import Component
from .hive_metastore import slowness

GIB = 1024 ** 3
DATABASE = "HMSPRD"
DB = {"database": DATABASE}
INST = {**DB, "inst_id": "1"}
# tablespace -> (type, max GiB, used fraction at the anchor, growth per day)
TABLESPACES = {
    "SYSTEM": ("PERMANENT", 32, 0.42, 0.0), "SYSAUX": ("PERMANENT", 32, 0.63, 0.002),
    "UNDOTBS1": ("UNDO", 64, 0.18, 0.0), "USERS": ("PERMANENT", 16, 0.22, 0.0),
    "TEMP": ("TEMPORARY", 64, 0.08, 0.0), "HMS_DATA": ("PERMANENT", 256, 0.86, 0.03),
    "HMS_INDEX": ("PERMANENT", 128, 0.71, 0.006), "APP_DATA": ("PERMANENT", 512, 0.55, 0.004),
}
# sql_id -> (schema, executions/s, seconds per execution, affected by the lock story)
SQLS = {
    "7xk2m9pq4tbn1": ("HIVE", 1.2, 0.004, True),    # metastore: SELECT ... FROM HIVE_LOCKS FOR UPDATE
    "0h4ds8v2w1fzq": ("HIVE", 11.0, 0.002, True),   # metastore: table lookup (TBLS join DBS)
    "5c9mty7ga2k0p": ("HIVE", 2.0, 0.03, True),     # metastore: partitions by filter
    "gq2n8w5jr6d1x": ("HIVE", 0.5, 0.02, True),     # metastore: insert PARTITIONS
    "3rv6fz1kpm8wd": ("APP", 4.0, 0.015, False),    # portal: job history
    "9tj0c4hx7ybq2": ("APP", 0.8, 0.12, False),     # portal: audit search
    "b1f9r7zx03kca": ("REPORT", 0.002, 7.5, False),  # nightly capacity report: > 5 s
    "d8p3l5wq0nv6s": ("APP", 0.2, 0.4, False),      # cost aggregation
}
WAITS = {"application": 0.02, "concurrency": 0.05, "user_io": 0.6, "commit": 0.08, "system_io": 0.15,
         "network": 0.03, "other": 0.04, "configuration": 0.005, "scheduler": 0.001, "administrative": 0.0005}
# sql_id -> the first 55 characters of the statement, as top_sql_elapsed labels it
SQL_TEXT = {
    "7xk2m9pq4tbn1": "SELECT HL_LOCK_EXT_ID FROM HIVE_LOCKS WHERE HL_DB = :1 F",
    "0h4ds8v2w1fzq": "SELECT T.TBL_ID FROM TBLS T JOIN DBS D ON T.DB_ID = D.DB",
    "5c9mty7ga2k0p": "SELECT P.PART_ID FROM PARTITIONS P WHERE P.TBL_ID = :1 A",
    "gq2n8w5jr6d1x": "INSERT INTO PARTITIONS (PART_ID, CREATE_TIME, LAST_ACCE",
    "3rv6fz1kpm8wd": "SELECT * FROM JOB_HISTORY WHERE OWNER = :1 ORDER BY STA",
    "9tj0c4hx7ybq2": "SELECT ID, ACTOR, ACTION FROM AUDIT_LOG WHERE TS > :1 A",
    "b1f9r7zx03kca": "SELECT NAMESPACE, SUM(BYTES) FROM CAPACITY_DAILY GROUP ",
    "d8p3l5wq0nv6s": "SELECT TEAM, SUM(COST) FROM COST_ALLOCATION WHERE DAY =",
}


def tablespace_start(world: World) -> float:
    """When HMS_DATA passes 85% (0.86 at the anchor, +0.03 a day)."""
    return world.anchor - 8 * HOUR


class Oracle(Component):
    name = "oracle"
    jobs = ("oracledb",)

    def targets(self, world: World) -> list[Target]:
        return [target("oracledb", world.clusters[0], "oracledb-exporter.oracle.svc:9161", component=self.name)]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        cl = tgt.cluster
        start = world.epoch
        k = world.key("oracle", cl)

        def lock(ts):
            return slowness(world, cl, ts)

        F("oracledb_up", "gauge").add(DB, lambda ts: np.ones(ts.shape))
        F("oracledb_dbtype", "gauge").add(DB, lambda ts: np.zeros(ts.shape))
        F("oracledb_db_platform_value", "gauge").add({**DB, "platform_name": "Linux x86 64-bit"}, lambda ts: np.ones(ts.shape))
        for name, value in (("cpu_count", 16.0), ("pga_aggregate_limit", 8 * GIB), ("sga_max_size", 24 * GIB)):
            F("oracledb_db_system_value", "gauge").add({**DB, "name": name}, lambda ts, v=value: np.full(ts.shape, v))
        F("oracledb_exporter_build_info", "gauge").add(
            {"branch": "", "goarch": "amd64", "goos": "linux", "goversion": "go1.24.5", "revision": "unknown",
             "tags": "unknown", "version": ""}, lambda ts: np.ones(ts.shape))
        F("oracledb_exporter_last_scrape_duration_seconds", "gauge").add(
            {}, lambda ts: np.round(0.05 + 0.02 * (1 + smooth(k ^ 7, ts, 300)), 4))
        F("oracledb_exporter_last_scrape_error", "gauge").add({}, lambda ts: np.zeros(ts.shape))
        F("oracledb_exporter_scrapes_total", "counter").add({}, lambda ts: np.floor((ts - start) / 15.0))
        for status, typ, base in (("ACTIVE", "USER", 40), ("INACTIVE", "USER", 260), ("ACTIVE", "BACKGROUND", 62)):
            ks = world.key("oracle-sessions", status, typ)

            def sess(ts, ks=ks, base=base, status=status, typ=typ):
                v = base * (1 + 0.12 * smooth(ks, ts, 1800))
                if status == "ACTIVE" and typ == "USER":
                    v = v + lock(ts) * 90
                return np.round(v)
            F("oracledb_sessions_value", "gauge").add({**DB, "status": status, "type": typ}, sess)
        ksum = world.key("oracle-res")

        def sessions_total(ts):
            return np.round(362 * (1 + 0.1 * smooth(ksum, ts, 1800)) + lock(ts) * 90)
        for res, limit, fn in (("sessions", 600, sessions_total), ("processes", 500, lambda ts: sessions_total(ts) * 0.8),
                               ("transactions", 660, lambda ts: np.round(sessions_total(ts) * 0.15))):
            F("oracledb_resource_current_utilization", "gauge").add(
                {**INST, "resource_name": res}, lambda ts, fn=fn: np.round(fn(ts)))
            F("oracledb_resource_limit_value", "gauge").add(
                {**INST, "resource_name": res}, lambda ts, limit=limit: np.full(ts.shape, float(limit)))
        for name, (typ, max_gib, frac, growth) in TABLESPACES.items():
            kt = world.key("oracle-ts", name)
            mx = max_gib * GIB
            lab = {**DB, "tablespace": name, "type": typ}

            def used(ts, frac=frac, growth=growth, kt=kt, mx=mx, typ=typ):
                f = frac + growth * (ts - world.anchor) / DAY
                if typ in ("TEMPORARY", "UNDO"):
                    f = frac * (1 + 0.6 * smooth(kt, ts, 2 * HOUR))
                f = np.clip(f, 0.01, 0.985)
                return np.round(f * mx / 8192) * 8192
            F("oracledb_tablespace_bytes", "gauge").add(lab, used)
            F("oracledb_tablespace_max_bytes", "gauge").add(lab, lambda ts, mx=mx: np.full(ts.shape, float(mx)))
            F("oracledb_tablespace_free", "gauge").add(lab, lambda ts, u=used, mx=mx: mx - u(ts))
            scale = 1.0 if typ == "TEMPORARY" else 100.0
            F("oracledb_tablespace_used_percent", "gauge").add(
                lab, lambda ts, u=used, mx=mx, scale=scale: np.round(u(ts) / mx * scale, 4))
        for stat, rate in (("execute_count", 2400.0), ("user_commits", 160.0), ("parse_count_total", 900.0),
                           ("user_rollbacks", 1.5)):
            F(f"oracledb_activity_{stat}", "gauge").add(
                DB, lambda ts, stat=stat, rate=rate: np.floor(cyclic_counter(world.key("ora-act", stat), ts, start, rate, 0.4)))
        F("oracledb_process_count", "gauge").add(DB, lambda ts: np.round(sessions_total(ts) * 0.8))
        for wc, rate in WAITS.items():
            kw = world.key("ora-wait", wc)

            def waited(ts, kw=kw, rate=rate, wc=wc):
                v = cyclic_counter(kw, ts, start, rate, 0.4)
                if wc in ("application", "concurrency"):
                    # seconds waited on row locks during the story: ~25 sessions waiting (application)
                    extra = 25.0 if wc == "application" else 3.0
                    s0 = world.anchor - 2 * HOUR
                    v = v + np.clip(ts - s0, 0.0, None) * extra
                return np.round(v, 2)
            F(f"oracledb_wait_time_{wc}", "counter").add(DB, waited)
        F("oracledb_blocked_sessions_value", "gauge").add(
            INST, lambda ts: np.round(np.maximum(0, 0.6 * (1 + smooth(k, ts, 900)) - 0.7)
                                      + lock(ts) * (5 + 2 * smooth(k ^ 1, ts, 300))))
        for sql_id, (schema, rate, secs, locked) in SQLS.items():
            kq = world.key("ora-sql", sql_id)
            lab = {**INST, "sql_id": sql_id, "parsing_schema": schema}

            def execs(ts, kq=kq, rate=rate):
                return np.floor(cyclic_counter(kq, ts, start, rate, 0.4))

            def elapsed(ts, kq=kq, rate=rate, secs=secs, locked=locked):
                v = cyclic_counter(kq ^ 1, ts, start, rate * secs, 0.4)
                if locked:  # each execution waits ~2 s on the row lock during the story
                    s0 = world.anchor - 2 * HOUR
                    v = v + np.clip(ts - s0, 0.0, None) * rate * (2.0 if sql_id == "7xk2m9pq4tbn1" else 0.6)
                return np.round(v, 3)
            F("oracledb_sql_executions_total", "counter").add(lab, execs)
            # the default top_sql_elapsed: seconds of the statement's last execution window (gauge)
            F("oracledb_top_sql_elapsed", "gauge").add(
                {**DB, "sql_id": sql_id, "sql_text": SQL_TEXT[sql_id]},
                lambda ts, kq=kq, secs=secs: np.round(secs * (1 + 0.2 * smooth(kq ^ 2, ts, 900)), 4))
            F("oracledb_sql_elapsed_seconds_total", "counter").add(lab, elapsed)
        return F.list()
