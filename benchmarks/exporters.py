"""Cost of the project's exporters per refresh: API calls (exact) and seconds (as a ratio against one
round trip to the same source, measured in the same process, and in absolute seconds for orientation).

* Iceberg: a real pyiceberg SQL catalog on SQLite with ``--tables`` tables (3 appends each, one in ten
  compacted); refreshes: the first (full read), an unchanged one, and one after a tenth of the tables
  committed once more (incremental).
* Bitbucket and journey: the demo's delivery APIs with ``--repos`` repositories / Argo CD applications /
  Jenkins jobs; the first refresh and one after every repository got new commits and deployments.

    python -m benchmarks.exporters [--tables 100] [--repos 50] [--out benchmarks/exporters.md]
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _refresh(exporter) -> tuple[int, float, dict]:
    exporter.api_calls.clear()
    started = time.perf_counter()
    ok = exporter.run_once()
    seconds = time.perf_counter() - started
    if not ok:
        raise RuntimeError(f"{exporter.name} refresh failed: {exporter.last_error}")
    return sum(exporter.api_calls.values()), seconds, dict(exporter.api_calls)


def _median_seconds(fn, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def iceberg_rows(n_tables: int) -> list[tuple]:
    from webapp.demo import lakehouse
    from webapp.exporters.iceberg import IcebergExporter, IcebergSettings
    from pyiceberg.catalog.sql import SqlCatalog

    folder = pathlib.Path(tempfile.mkdtemp(prefix="bench-iceberg-"))
    props = lakehouse.catalog_properties(folder)
    (folder / "warehouse").mkdir()
    cat = SqlCatalog("bench", uri=props["uri"], warehouse=props["warehouse"])
    namespaces = [f"ns{i}" for i in range(10)]
    for ns in namespaces:
        cat.create_namespace(ns)
    schema = lakehouse._batch(0).schema
    tables = []
    for i in range(n_tables):
        t = cat.create_table((namespaces[i % 10], f"t{i:03d}"), schema=schema)
        for k in range(3):
            lakehouse.append(t, i * 10 + k)
        if i % 10 == 0:
            lakehouse.compact(t)
        tables.append(t)
    exporter = IcebergExporter(cat, IcebergSettings(catalog="bench"))
    # baseline: one load_table (one metadata JSON read), the unit every refresh pays per table
    base = _median_seconds(lambda: cat.load_table(("ns0", "t000")))
    rows = []
    calls, secs, detail = _refresh(exporter)
    rows.append(("Iceberg", f"{n_tables} tables", "first (full read)", calls, secs, secs / base, detail))
    calls, secs, detail = _refresh(exporter)
    rows.append(("Iceberg", f"{n_tables} tables", "nothing changed", calls, secs, secs / base, detail))
    for t in tables[::10]:
        lakehouse.append(cat.load_table(t.name()), 999)
    calls, secs, detail = _refresh(exporter)
    rows.append(("Iceberg", f"{n_tables} tables", f"{len(tables[::10])} tables committed", calls, secs,
                 secs / base, detail))
    return rows


def delivery_rows(n_repos: int) -> list[tuple]:
    import requests

    from webapp.demo.deliveryapis import DeliveryApiServer
    from webapp.exporters.bitbucket import BitbucketExporter, BitbucketSettings
    from webapp.exporters.journey import JourneyExporter, JourneySettings

    class Clock:
        t = time.time()

        def __call__(self):
            return self.t

    clock = Clock()
    apps = {f"app-{i:02d}": (900 + 30 * i, 17 * i, (45, 300, 90, 80)) for i in range(n_repos)}
    srv = DeliveryApiServer(clock=clock, apps=apps).start()
    try:
        u = srv.url
        session = requests.Session()
        base = _median_seconds(lambda: session.get(f"{u}/bitbucket/rest/api/1.0/projects", timeout=10).json())
        bb = BitbucketExporter(BitbucketSettings(url=f"{u}/bitbucket"))
        jr = JourneyExporter(JourneySettings(argocd_url=f"{u}/argocd", jenkins_url=f"{u}/jenkins",
                                             bitbucket_url=f"{u}/bitbucket", kubernetes_url=f"{u}/kubernetes"))
        rows = []
        for exp, label in ((bb, "Bitbucket"), (jr, "journey")):
            calls, secs, detail = _refresh(exp)
            rows.append((label, f"{n_repos} repositories", "first", calls, secs, secs / base, detail))
        clock.t += 1800          # every repository committed and deployed since
        for exp, label in ((bb, "Bitbucket"), (jr, "journey")):
            calls, secs, detail = _refresh(exp)
            rows.append((label, f"{n_repos} repositories", "30 min later (new commits, deployments)", calls, secs,
                         secs / base, detail))
            calls, secs, detail = _refresh(exp)
            rows.append((label, f"{n_repos} repositories", "nothing changed", calls, secs, secs / base, detail))
        return rows
    finally:
        srv.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "exporters.md"))
    args = parser.parse_args(argv)
    rows = iceberg_rows(args.tables) + delivery_rows(args.repos)
    lines = ["# Exporter cost per refresh", "",
             "Generated by `python -m benchmarks.exporters`. API calls are exact; seconds are the wall time of "
             "one refresh on the machine that ran it, also given as a ratio against one round trip to the same "
             "source (Iceberg: one `load_table`; HTTP: one GET to the local API server).", "",
             "| exporter | size | refresh | API calls | seconds | x round trip | calls by API |", "|---|---|---|---:|---:|---:|---|"]
    for name, size, what, calls, secs, ratio, detail in rows:
        by_api = ", ".join(f"{k} {v}" for k, v in sorted(detail.items()))
        lines.append(f"| {name} | {size} | {what} | {calls} | {secs:.2f} | {ratio:.0f} | {by_api} |")
    text = "\n".join(lines) + "\n"
    pathlib.Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
