"""Performance harness: page loads as ratios against a baseline measured in the same process.

The baseline is one trivial instant query (`vector(1)`) through the same client, so the ratios
say how many "round trips' worth" a page costs, independent of the machine. Memory is the peak
traced allocation of a page run divided by that of the baseline run.

    python -m benchmarks.run [--scale tiny|small|medium] [--repeat 5] [--out benchmarks/report.md]
                             [--users 50,200] [--page /gitops] [--quick]

The portal part (`benchmarks/load.py`) runs `dataops-monitor serve` behind a recording proxy: load
with N users, isolation of a slow query, bytes of a first and a repeat visit, with their floors.
The browser part (`benchmarks/browser.py`) drives headless Chromium through `/gitops` and
`/pipeline`: time to first panel, above the fold and whole page, where the time goes, bytes moved.
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import time
import tracemalloc

from webapp.app import create_app
from webapp.catalog import TILES, level1
from webapp.engine import QueryEngine
from webapp.runner import evaluate_tiles, run_panels
from webapp.runtime import EXTENSION
from webapp.settings import Settings
from webapp.viewstate import parse_view_state

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _timed(fn, repeat: int) -> tuple[float, int]:
    """Median seconds over `repeat` runs and the peak traced bytes of one run."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return statistics.median(times), peak


def measure(url: str, repeat: int, window: str) -> list[tuple[str, int, float, float, float, float]]:
    app = create_app(Settings(prometheus_url=url))
    runtime = app.server.extensions[EXTENSION]
    view = parse_view_state({"from": window, "to": "now"})
    base_s, base_mem = _timed(lambda: runtime.client.query("vector(1)"), repeat * 4)
    rows = []

    def cold_engine():
        return QueryEngine(runtime.client, cache=None, max_workers=runtime.settings.max_concurrent_queries)

    def tiles_cold():
        evaluate_tiles(cold_engine(), TILES, view)
    queries = sum(3 + len(t.signals) for t in TILES)
    cold_s, cold_mem = _timed(tiles_cold, repeat)
    warm_s, _ = _timed(lambda: evaluate_tiles(runtime.engine, TILES, view), repeat)
    rows.append(("Level 0 (6 tiles)", queries, cold_s / base_s, warm_s / base_s, cold_mem / base_mem, cold_s))
    for dashboard in level1():
        panels = list(dashboard.panels)
        queries = sum(len(p.queries) for p in panels)
        cold_s, cold_mem = _timed(lambda: run_panels(cold_engine(), panels, view), repeat)
        warm_s, _ = _timed(lambda: run_panels(runtime.engine, panels, view), repeat)
        rows.append((f"{dashboard.path} ({len(panels)} panels)", queries, cold_s / base_s, warm_s / base_s,
                     cold_mem / base_mem, cold_s))
    return rows


def report(rows, scale: str, window: str, repeat: int) -> str:
    lines = [
        f"# Benchmark report (demo scale `{scale}`, range `{window}`, median of {repeat})", "",
        "Ratios against one `vector(1)` round trip measured in the same process. `cold` = no cache (every",
        "query goes to Prometheus), `warm` = the app's query cache. Memory = peak traced allocation of a",
        "cold page run divided by the baseline's. Absolute seconds are for orientation only.", "",
        "| page | queries | cold (x baseline) | warm (x baseline) | memory (x baseline) | cold seconds |",
        "|---|---|---|---|---|---|",
    ]
    for name, queries, cold, warm, mem, seconds in rows:
        lines.append(f"| {name} | {queries} | {cold:.0f} | {warm:.1f} | {mem:.0f} | {seconds:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="tiny")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--window", default="now-6h")
    parser.add_argument("--url", help="an existing Prometheus instead of the demo platform")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "report.md"))
    parser.add_argument("--users", default="50,200", help="simulated users per load round (comma-separated)")
    parser.add_argument("--page", default="/gitops", help="the page whose callbacks the users replay")
    parser.add_argument("--quick", action="store_true", help="a short run: 10 users, one repeat")
    parser.add_argument("--no-portal", action="store_true", help="only the in-process page timings")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium part (benchmarks/browser.py)")
    parser.add_argument("--browser-pages", default="/gitops,/pipeline", help="pages Chromium visits (comma-separated)")
    args = parser.parse_args()
    platform = None
    url = args.url
    if url is None:
        from webapp.demo.platform import DemoPlatform
        platform = DemoPlatform(ROOT / ".demo-data" / "bench", scale=args.scale)
        url = platform.start()
        time.sleep(20)  # two live scrapes, so rates over the last minutes exist
    if args.quick:
        args.users, args.repeat = "10", 1
    try:
        text = report(measure(url, args.repeat, args.window), args.scale, args.window, args.repeat)
        if not args.no_portal:
            from .load import measure_portal, report_portal
            users = [int(n) for n in args.users.split(",") if n.strip()]
            text += "\n" + report_portal(measure_portal(url, args.page, users)) + "\n"
        if not args.no_browser:
            from .browser import measure_browser, report_browser
            pages = [p for p in args.browser_pages.split(",") if p.strip()]
            text += "\n" + report_browser(measure_browser(url, pages)) + "\n"
    finally:
        if platform is not None:
            platform.stop()
    pathlib.Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
