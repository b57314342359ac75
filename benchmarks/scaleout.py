"""Where the load goes when users grow: replicas, a shared Redis, and the data source behind them.

Starts the tiny demo platform (a real Prometheus on loopback), a recording proxy in front of it
standing in for Thanos Query (Frontend), and then, for each layout, the app's replicas
(`dataops-monitor serve`, real gunicorn) behind a round-robin proxy standing in for the portal's:

* ``1 replica, own caches``: one replica, two workers, each with its own in-process cache;
* ``2 replicas + Redis``: two replicas of two workers sharing one Redis.

Simulated users (threads) load the Level 0 tiles through the proxy, either all the same live view
(``now-6h`` to ``now``: what a team opening the portal sees) or each its own window (users looking
at different incidents). Every count is bounded (users x views) and every address is 127.0.0.1.
Reported per run: views per second, median and 95th percentile latency, and the queries that
reached the data source per view: what Thanos Query (Frontend) has to absorb.

    python -m benchmarks.scaleout [--users 1,4,8] [--views 6] [--out benchmarks/scaleout.md]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import pathlib
import statistics
import tempfile
import time

import requests

from tests.integration.recording_proxy import RecordingProxy
from tests.portal_proxy import PortalProxy
from tests.servers import Redis, Served, dash_callback, serve_env, tiles_request
from webapp.cli import _rule_files
from webapp.demo.platform import DemoPlatform

ROOT = pathlib.Path(__file__).resolve().parent.parent
LAYOUTS = (("1 replica, own caches", 1, False), ("2 replicas + Redis", 2, True))


def _run_users(url: str, users: int, views: int, distinct: bool) -> tuple[float, list[float]]:
    """Each user loads `views` tile views; returns wall seconds and every view's latency."""
    def user(n: int) -> list[float]:
        session = requests.Session()
        latencies = []
        for v in range(views):
            # Distinct: a window of its own per user and view (a cache miss everywhere).
            params = {"from": f"now-{6 * 60 + n * 17 + v}m", "to": "now"} if distinct else {"from": "now-6h", "to": "now"}
            started = time.perf_counter()
            dash_callback(session, url, tiles_request(params))
            latencies.append(time.perf_counter() - started)
        return latencies

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(users) as pool:
        results = list(pool.map(user, range(users)))
    return time.perf_counter() - started, [x for r in results for x in r]


def measure(prometheus_url: str, user_counts: list[int], views: int, folder: pathlib.Path) -> list[dict]:
    rows = []
    for name, replicas, shared in LAYOUTS:
        for distinct in (False, True):
            for users in user_counts:
                thanos = RecordingProxy(prometheus_url)
                redis = Redis(folder) if shared else None
                env = {"DATAOPS_REDIS_URL": redis.url} if redis else {}
                servers = [Served(["serve", "--workers", "2", "--threads", "8"], serve_env(thanos.url, **env),
                                  folder / f"replica-{i}.log") for i in range(replicas)]
                portal = None
                try:
                    for server in servers:
                        server.wait_ready()
                    portal = PortalProxy([s.url for s in servers])
                    # One view first, as the page's first visitor: its queries are not the users' load.
                    dash_callback(requests.Session(), portal.url, tiles_request({"from": "now-6h", "to": "now"}))
                    before = cold = len(thanos.requests)
                    wall, latencies = _run_users(portal.url, users, views, distinct)
                    count = len(latencies)
                    rows.append({"layout": name, "views": "distinct" if distinct else "same", "users": users,
                                 "per_second": count / wall, "p50": statistics.median(latencies),
                                 "p95": sorted(latencies)[max(0, int(0.95 * count) - 1)],
                                 "upstream_per_view": (len(thanos.requests) - before) / count, "cold": cold})
                    print(rows[-1], flush=True)
                finally:
                    if portal:
                        portal.stop()
                    for server in servers:
                        server.stop()
                    if redis:
                        redis.stop()
                    thanos.stop()
    return rows


def report(rows: list[dict]) -> str:
    lines = ["| layout | views | users | views/s | p50 s | p95 s | data source queries per view |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['layout']} | {r['views']} | {r['users']} | {r['per_second']:.1f} | {r['p50']:.2f} "
                     f"| {r['p95']:.2f} | {r['upstream_per_view']:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="replicas, Redis and the data source under more users")
    parser.add_argument("--users", default="1,4,8", help="comma-separated concurrent users (default 1,4,8)")
    parser.add_argument("--views", type=int, default=6, help="views each user loads (default 6)")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "benchmarks" / "scaleout.md")
    args = parser.parse_args(argv)
    users = [int(u) for u in args.users.split(",")]
    if not all(1 <= u <= 32 for u in users) or not 1 <= args.views <= 50:
        parser.error("users must be 1..32 and views 1..50 (the benchmark is bounded)")
    platform = DemoPlatform(ROOT / ".demo-data", scale="tiny", seed=42, rule_files=_rule_files())
    platform.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            rows = measure(platform.url, users, args.views, pathlib.Path(folder))
    finally:
        platform.stop()
    text = (f"# Scale-out benchmark\n\n`python -m benchmarks.scaleout --users {args.users} --views {args.views}` "
            f"on this machine ({time.strftime('%Y-%m-%d')}), tiny demo platform, Level 0 tiles "
            f"(one Dash callback; {rows[0]['cold']} data source queries when nothing is cached).\n\n" + report(rows))
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
