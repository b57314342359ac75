#!/usr/bin/env python3
"""Record real Spark History Server REST answers into ``tests/fixtures/spark_history/``.

Run by hand (not in CI: it needs pyspark, ~520 MB, and Java 17), from a throw-away venv:

    python3 -m venv /tmp/pyspark-venv && /tmp/pyspark-venv/bin/pip install pyspark
    /tmp/pyspark-venv/bin/python scripts/record_spark_history.py [--out tests/fixtures/spark_history]

What it does:

1. runs a small local PySpark job with event logging on (master ``local[2,2]``: two cores, a task may
   fail once): a narrow stage, a shuffle (``reduceByKey``), a DataFrame aggregation, and one task that
   fails on its first attempt and succeeds on the retry;
2. starts the History Server on the event-log folder (``spark-class
   org.apache.spark.deploy.history.HistoryServer``, a free loopback port);
3. fetches ``/api/v1/applications``, ``/applications/<id>``, ``/jobs``, ``/stages?withSummaries=true``,
   ``/stages/<s>/<a>/taskList`` (every stage attempt), ``/executors``, ``/allexecutors`` and one 404,
   and writes them as JSON files (``manifest.json`` lists them with the Spark version).

Only the standard library is used besides pyspark, so the script runs in that venv alone.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

APP_NAME = "fixture-orders-agg"
REPO = pathlib.Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_job(event_dir: pathlib.Path) -> tuple[str, str]:
    """Run the PySpark job; returns (application id, Spark version)."""
    from pyspark import TaskContext
    from pyspark.sql import SparkSession, functions as F

    spark = (SparkSession.builder.master("local[2,2]").appName(APP_NAME)
             .config("spark.eventLog.enabled", "true")
             .config("spark.eventLog.dir", event_dir.as_uri())
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.sql.adaptive.enabled", "false")
             .getOrCreate())
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    app_id, version = sc.applicationId, spark.version
    try:
        # job 0: narrow stage + shuffle stage (reduceByKey)
        rdd = sc.parallelize(range(20000), 4).map(lambda i: (i % 17, i))
        totals = rdd.reduceByKey(lambda a, b: a + b, numPartitions=3).collect()
        assert len(totals) == 17

        # job 1: one task fails on its first attempt, the retry succeeds
        def flaky(it):
            ctx = TaskContext.get()
            if ctx.partitionId() == 1 and ctx.attemptNumber() == 0:
                raise RuntimeError("simulated transient failure (first attempt of partition 1)")
            return it
        n = sc.parallelize(range(1000), 3).mapPartitions(flaky).count()
        assert n == 1000

        # job 2: DataFrame aggregation with a shuffle and some bytes written
        df = spark.range(0, 50000).withColumn("region", (F.col("id") % 5).cast("string")) \
            .withColumn("amount", F.col("id") * 1.5)
        rows = df.groupBy("region").agg(F.sum("amount").alias("total"), F.count("*").alias("n")).collect()
        assert len(rows) == 5
    finally:
        spark.stop()
    return app_id, version


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def start_history_server(event_dir: pathlib.Path, port: int, log: pathlib.Path) -> subprocess.Popen:
    import pyspark
    home = pathlib.Path(pyspark.__file__).parent
    env = dict(os.environ, SPARK_HOME=str(home), SPARK_NO_DAEMONIZE="1",
               SPARK_HISTORY_OPTS=(f"-Dspark.history.fs.logDirectory={event_dir.as_uri()} "
                                   f"-Dspark.history.ui.port={port} -Dspark.history.fs.update.interval=1s "
                                   "-Dspark.ui.bindAddress=127.0.0.1"),
               SPARK_LOCAL_IP="127.0.0.1")
    out = open(log, "wb")
    return subprocess.Popen([str(home / "bin" / "spark-class"), "org.apache.spark.deploy.history.HistoryServer"],
                            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=pathlib.Path, default=REPO / "tests" / "fixtures" / "spark_history")
    args = ap.parse_args(argv)
    work = pathlib.Path(tempfile.mkdtemp(prefix="spark-history-rec-"))
    event_dir = work / "events"
    event_dir.mkdir()
    t0 = time.monotonic()
    app_id, version = run_job(event_dir)
    print(f"job {app_id} (Spark {version}) done in {time.monotonic() - t0:.1f} s", flush=True)

    port = _free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    proc = start_history_server(event_dir, port, work / "history-server.log")
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                sys.stderr.write((work / "history-server.log").read_text(errors="replace")[-4000:])
                raise SystemExit(f"History Server exited with {proc.returncode}")
            try:
                st, body = _get(f"{base}/applications")
                if st == 200 and any(a.get("id") == app_id for a in json.loads(body)):
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise SystemExit("History Server did not list the application within 120 s")
            time.sleep(0.5)

        files: dict[str, str] = {}

        def fetch(path: str, name: str, expect: int = 200) -> object:
            st, body = _get(base + path)
            if st != expect:
                raise SystemExit(f"GET {path}: HTTP {st} (expected {expect}): {body[:300]!r}")
            if expect != 200:
                (args.out / name).write_bytes(body)
                files[name] = path
                return body
            data = json.loads(body)
            (args.out / name).write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
            files[name] = path
            return data

        if args.out.exists():
            shutil.rmtree(args.out)
        args.out.mkdir(parents=True)
        fetch("/applications", "applications.json")
        fetch(f"/applications/{app_id}", "application.json")
        fetch(f"/applications/{app_id}/jobs", "jobs.json")
        stages = fetch(f"/applications/{app_id}/stages?withSummaries=true", "stages.json")
        for s in stages:
            sid, att = s["stageId"], s["attemptId"]
            fetch(f"/applications/{app_id}/stages/{sid}/{att}/taskList?length=500",
                  f"tasks_{sid}_{att}.json")
        fetch(f"/applications/{app_id}/executors", "executors.json")
        fetch(f"/applications/{app_id}/allexecutors", "allexecutors.json")
        fetch("/applications/app-does-not-exist", "not_found.txt", expect=404)
        manifest = {"spark_version": version, "app_id": app_id, "app_name": APP_NAME,
                    "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "files": files}
        (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        print(f"wrote {len(files)} files to {args.out}")
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
