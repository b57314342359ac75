"""Pages in real Chromium against `dataops-monitor serve`: when panels appear, where the time goes,
and the bytes moved, beside floors measured in the same run.

Each page is visited three times: `cold` (fresh browser, fresh server cache), `first` (browser cache
emptied, server cache warm: a new user) and `repeat` (the same browser again). Times are the
browser's own (`performance.now()`, from navigation start), recorded in the page by a script
installed before any of the app's:

- a panel is *shown* when its `data-panel` element leaves `state-loading` (the Dash renderer applied
  its callback's answer) and every Plotly graph in it has finished `Plotly.react`;
- above the fold = panels whose top is inside the window (1400x1000) once the page has settled;
- where the time goes: the callbacks' server time (Resource Timing `responseStart - requestStart`),
  the main thread's script, style and layout time (CDP `Performance.getMetrics`), and the part of
  the script time spent inside `Plotly.react` (its synchronous part, summed over the graphs);
- bytes: `Network.loadingFinished` `encodedDataLength` from Chromium's performance log (the wire,
  headers included).

Floors: a static HTML page of the visit's wire bytes served by the same server (the same browser,
cache emptied: the cost of moving the bytes), and the page's distinct PromQL queries (as the app
sent them in the cold visit) in parallel straight to Prometheus (the cost of the data).

    python -m benchmarks.browser [--url PROMETHEUS] [--pages /gitops,/pipeline]
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import pathlib
import re
import time

from .load import ROOT, Server, query_floor

WINDOW = (1400, 1000)
SETTLE_TIMEOUT = 150  # seconds a visit may take before it is reported as unsettled
QUIET = 0.75          # seconds without a panel or plot change before a page counts as settled

# Installed before the app's scripts (CDP Page.addScriptToEvaluateOnNewDocument).
INSTRUMENT = r"""
(function () {
  var B = window.__bench = {panels: {}, plots: [], plotlySync: 0, longTasks: 0, lastChange: 0};
  function now() { return performance.now(); }
  function panelOf(el) { var p = el && el.closest && el.closest('[data-panel]'); return p ? p.getAttribute('data-panel') : null; }
  function note(el) {
    var id = el.getAttribute('data-panel'), cls = el.className || '';
    var state = (cls.match(/state-([a-z]+)/) || [])[1] || '';
    var p = B.panels[id] || (B.panels[id] = {seen: now(), settled: null, state: ''});
    if (state !== p.state) { p.state = state; B.lastChange = now(); if (state !== 'loading' && p.settled === null) p.settled = now(); }
  }
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === 'attributes') { if (r.target.hasAttribute && r.target.hasAttribute('data-panel')) note(r.target); return; }
      r.addedNodes.forEach(function (n) {
        if (n.nodeType !== 1) return;
        if (n.hasAttribute('data-panel')) note(n);
        n.querySelectorAll('[data-panel]').forEach(note);
      });
    });
  }).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['class']});
  function wrap(P) {
    if (!P || P.__benchWrapped || typeof P.react !== 'function') return;
    var react = P.react;
    P.react = function (gd) {
      var start = now(), out = react.apply(this, arguments), sync = now() - start, panel = panelOf(gd);
      B.plotlySync += sync;
      Promise.resolve(out).then(function () { B.plots.push({panel: panel, start: start, sync: sync, end: now()}); B.lastChange = now(); });
      return out;
    };
    P.__benchWrapped = true;
  }
  var plotly;
  Object.defineProperty(window, 'Plotly', {configurable: true, get: function () { return plotly; },
                                           set: function (v) { plotly = v; wrap(v); }});
  try {
    new PerformanceObserver(function (list) { list.getEntries().forEach(function (e) { B.longTasks += e.duration; }); })
      .observe({type: 'longtask', buffered: true});
  } catch (e) {}
})();
"""

COLLECT = r"""
var B = window.__bench || {panels: {}, plots: []};
var out = {panels: [], plots: B.plots, plotlySync: B.plotlySync, longTasks: B.longTasks, now: performance.now(),
           lastChange: B.lastChange, height: window.innerHeight};
document.querySelectorAll('[data-panel]').forEach(function (el) {
  var id = el.getAttribute('data-panel'), p = B.panels[id] || {};
  out.panels.push({id: id, top: el.getBoundingClientRect().top + window.scrollY, state: p.state || '',
                   settled: p.settled, graphs: el.querySelectorAll('.js-plotly-plot, .dash-graph').length,
                   pending: el.querySelectorAll('.dash-graph--pending').length});
});
var nav = performance.getEntriesByType('navigation')[0] || {};
out.load = nav.loadEventEnd || null;
out.callbacks = performance.getEntriesByType('resource').filter(function (e) {
  return e.name.indexOf('/_dash-update-component') >= 0;
}).map(function (e) {
  return {start: e.startTime, requestStart: e.requestStart, responseStart: e.responseStart, end: e.responseEnd,
          transfer: e.transferSize};
});
return out;
"""

PROFILE_TOP = 7
# Polled while the page loads: cheap (no layout is forced), so the poll does not slow the page.
PROGRESS = r"""
var B = window.__bench || {lastChange: 0};
return [document.querySelectorAll('[data-panel]').length,
        document.querySelectorAll('[data-panel].state-loading, .dash-graph--pending').length,
        performance.now() - B.lastChange];
"""

METRICS = ("ScriptDuration", "TaskDuration", "LayoutDuration", "RecalcStyleDuration")


def chromium():
    """Headless Chromium as the browser tests drive it, with its performance (network) log on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = os.environ.get("DATAOPS_CHROMIUM", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--window-size={WINDOW[0]},{WINDOW[1]}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(os.environ.get("DATAOPS_CHROMEDRIVER", "/usr/bin/chromedriver")),
                              options=options)
    driver.set_page_load_timeout(SETTLE_TIMEOUT)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Performance.enable", {})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": INSTRUMENT})
    return driver


def _metrics(driver) -> dict[str, float]:
    got = driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    return {m["name"]: m["value"] for m in got if m["name"] in METRICS}


def wire_bytes(entries: list[dict]) -> dict[str, int]:
    """Bytes on the wire by kind (`callbacks`, `scripts`, `other`) from performance-log entries."""
    urls: dict[str, str] = {}
    out = {"callbacks": 0, "scripts": 0, "other": 0}
    for entry in entries:
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") in ("Network.requestWillBeSent", "Network.responseReceived"):
            url = (params.get("request") or params.get("response") or {}).get("url")
            if url:
                urls[params["requestId"]] = url
        elif message.get("method") == "Network.loadingFinished":
            url = urls.get(params["requestId"], "")
            kind = ("callbacks" if "/_dash-update-component" in url else
                    "scripts" if url.split("?")[0].endswith(".js") else "other")
            out[kind] += int(params.get("encodedDataLength") or 0)
    return out


def profile_by_script(profile: dict) -> dict[str, float]:
    """Seconds of main-thread CPU by script (file name without fingerprint; `(gc)`, `(program)`, ...)
    from a CDP `Profiler.stop` profile: each sample's time goes to the function it was in."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    out: dict[str, float] = {}
    for node_id, delta in zip(profile.get("samples", []), profile.get("timeDeltas", [])):
        frame = nodes[node_id]["callFrame"]
        url = frame.get("url") or ""
        name = url.split("?")[0].rsplit("/", 1)[-1] if url else frame.get("functionName") or "(anonymous)"
        name = re.sub(r"\.v[0-9_]+m[0-9]+", "", name)  # Dash's cache-busting fingerprint
        out[name] = out.get(name, 0.0) + delta / 1e6
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def visit(driver, url: str, clear_cache: bool, profile: bool = False) -> dict:
    """One page visit, until every panel is shown (or SETTLE_TIMEOUT): the figures of the module doc.
    `profile`: also sample the main thread's JavaScript (CDP Profiler; slows the page a little)."""
    driver.get("about:blank")
    if clear_cache:
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.get_log("performance")  # drop what came before
    before = _metrics(driver)
    if profile:
        driver.execute_cdp_cmd("Profiler.enable", {})
        driver.execute_cdp_cmd("Profiler.setSamplingInterval", {"interval": 500})
        driver.execute_cdp_cmd("Profiler.start", {})
    driver.get(url)
    deadline = time.monotonic() + SETTLE_TIMEOUT
    settled = False
    while time.monotonic() < deadline:
        panels, waiting, quiet_ms = driver.execute_script(PROGRESS)
        if panels and not waiting and quiet_ms > QUIET * 1000:
            settled = True
            break
        time.sleep(0.3)
    after = _metrics(driver)
    data = driver.execute_script(COLLECT)
    entries = driver.get_log("performance")
    out = summarise(data, {k: after.get(k, 0) - before.get(k, 0) for k in METRICS}, wire_bytes(entries), settled)
    if profile:
        out["profile"] = profile_by_script(driver.execute_cdp_cmd("Profiler.stop", {})["profile"])
        driver.execute_cdp_cmd("Profiler.disable", {})
    return out


def summarise(data: dict, metrics: dict, wire: dict, settled: bool) -> dict:
    """Seconds from navigation start to first panel, panels above the fold, whole page; the costs."""
    plots_end: dict[str, float] = {}
    for plot in data["plots"]:
        if plot["panel"]:
            plots_end[plot["panel"]] = max(plots_end.get(plot["panel"], 0), plot["end"])
    shown = {}
    for p in data["panels"]:
        if p["settled"] is not None:
            shown[p["id"]] = max(p["settled"], plots_end.get(p["id"], 0)) / 1000
    fold = [p["id"] for p in data["panels"] if p["top"] < data["height"]]
    callbacks = data["callbacks"]
    server = [max(0.0, c["responseStart"] - c["requestStart"]) / 1000 for c in callbacks if c["requestStart"]]
    return {
        "settled": settled, "panels": len(data["panels"]), "graphs": sum(p["graphs"] for p in data["panels"]),
        "above_fold": len(fold),
        "first": min(shown.values(), default=float("nan")),
        "fold": max((shown.get(i, float("nan")) for i in fold), default=float("nan")),
        "whole": max(shown.values(), default=float("nan")),
        "load_event": (data["load"] or 0) / 1000,
        "callbacks": len(callbacks),
        "last_answer": max((c["end"] for c in callbacks), default=0) / 1000,
        "server_sum": sum(server), "server_max": max(server, default=0.0),
        "script": metrics["ScriptDuration"], "task": metrics["TaskDuration"],
        "layout": metrics["LayoutDuration"] + metrics["RecalcStyleDuration"],
        "plotly_sync": data["plotlySync"] / 1000, "plots": len(data["plots"]),
        "long_tasks": data["longTasks"] / 1000,
        "bytes": sum(wire.values()), "bytes_by_kind": wire,
        "fold_panels": fold, "shown": shown,
    }


def static_floor(driver, server: Server, nbytes: int) -> float:
    """Seconds to load a static HTML page of `nbytes` incompressible bytes from the same server."""
    name = f"bench-floor-{os.getpid()}.html"
    path = ROOT / "assets" / name
    blob = base64.b64encode(os.urandom(max(1, nbytes * 3 // 4))).decode()
    path.write_text(f"<!doctype html><html><head><title>floor</title></head><body><!--{blob}--></body></html>")
    try:
        driver.get("about:blank")
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        driver.get(f"{server.url}/assets/{name}")
        return driver.execute_script(
            "var n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd;") / 1000
    finally:
        path.unlink(missing_ok=True)


def measure_browser(upstream: str, pages: list[str], extra_env: dict | None = None) -> dict:
    """Every browser figure of `pages` (see the module doc) against a fresh `serve`."""
    import sys
    sys.path.insert(0, str(ROOT))
    from tests.integration.recording_proxy import RecordingProxy

    proxy = RecordingProxy(upstream)
    server = Server(proxy.url, extra_env)
    driver = chromium()
    results: dict = {"pages": {}}
    try:
        driver.get(server.url + "/healthz")  # the browser process warmed up, not the app
        for path in pages:
            with proxy._lock:
                proxy.requests.clear()
            row = {"cold": visit(driver, server.url + path, clear_cache=True)}
            row["query_floor"] = query_floor(upstream, list(proxy.requests))
            row["first"] = visit(driver, server.url + path, clear_cache=True)
            row["repeat"] = visit(driver, server.url + path, clear_cache=False)
            row["static_first"] = static_floor(driver, server, row["first"]["bytes"])
            row["static_repeat"] = static_floor(driver, server, row["repeat"]["bytes"])
            row["profiled"] = visit(driver, server.url + path, clear_cache=False, profile=True)
            results["pages"][path] = row
    finally:
        driver.quit()
        server.stop()
        proxy.stop()
    return results


def report_browser(r: dict, title: str = "Browser: Chromium against `dataops-monitor serve`") -> str:
    """Markdown of `measure_browser`'s figures, each beside its floor."""
    lines = [f"## {title}", "",
             "Headless Chromium 1400x1000, seconds from navigation start (the browser's own clock). `cold`: fresh",
             "browser and server caches; `first`: a new user (browser cache empty, server cache warm); `repeat`: the",
             "same browser again. A panel is shown when the renderer applied its answer and Plotly finished",
             "drawing its graphs. Floors from the same run: `static` = an HTML page of the visit's wire bytes from",
             "the same server, same browser, cache emptied; `queries` = the page's distinct PromQL queries sent in",
             "parallel straight to Prometheus.", "",
             "| page | visit | first panel s | above the fold s (panels) | whole page s | x static floor | "
             "x query floor | wire KiB (callbacks) | static floor s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for path, row in r["pages"].items():
        for name in ("cold", "first", "repeat"):
            v = row[name]
            floor = row["static_repeat"] if name == "repeat" else row["static_first"]
            note = "" if v["settled"] else " (not settled)"
            lines.append(
                f"| {path} | {name} | {v['first']:.2f} | {v['fold']:.2f} ({v['above_fold']}) | {v['whole']:.2f}{note} | "
                f"x{v['whole'] / max(floor, 1e-3):.1f} | x{v['whole'] / max(row['query_floor'], 1e-3):.1f} | "
                f"{v['bytes'] / 1024:.0f} ({v['bytes_by_kind']['callbacks'] / 1024:.0f}) | {floor:.2f} |")
    lines += ["", "Where the time goes (main thread, from Chromium's own counters; seconds). Server = the",
              "callbacks' time to first byte, summed and the largest; script includes the part inside",
              "`Plotly.react`; style+layout is Blink's. The main thread is single: script + style/layout near",
              "the whole page's time means the browser, not the server, sets the pace.", "",
              "| page | visit | callbacks | last answer s | server sum / max s | script s | of it Plotly.react s | "
              "style+layout s | main-thread tasks s | long tasks s | whole page s |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for path, row in r["pages"].items():
        for name in ("cold", "first", "repeat"):
            v = row[name]
            lines.append(f"| {path} | {name} | {v['callbacks']} | {v['last_answer']:.2f} | "
                         f"{v['server_sum']:.2f} / {v['server_max']:.2f} | {v['script']:.2f} | {v['plotly_sync']:.2f} | "
                         f"{v['layout']:.2f} | {v['task']:.2f} | {v['long_tasks']:.2f} | {v['whole']:.2f} |")
    lines += ["", "Main-thread CPU by script of a further repeat visit, sampled by Chromium's profiler (seconds;",
              "the sampling slows the page a little: whole page in brackets):", "",
              "| page | " + " | ".join(f"#{i + 1}" for i in range(PROFILE_TOP)) + " |",
              "|---|" + "---|" * PROFILE_TOP]
    for path, row in r["pages"].items():
        top = list(row["profiled"].get("profile", {}).items())[:PROFILE_TOP]
        cells = [f"{name} {sec:.2f}" for name, sec in top] + [""] * (PROFILE_TOP - len(top))
        lines.append(f"| {path} ({row['profiled']['whole']:.2f} s) | " + " | ".join(cells) + " |")
    lines += ["", "Query floor (distinct queries straight to Prometheus): " + ", ".join(
        f"`{p}` {row['query_floor']:.2f} s" for p, row in r["pages"].items()) + ".", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an existing Prometheus instead of the demo platform")
    parser.add_argument("--scale", default="tiny")
    parser.add_argument("--pages", default="/gitops,/pipeline")
    parser.add_argument("--json", help="also write the raw figures here")
    args = parser.parse_args()
    platform, url = None, args.url
    if url is None:
        from webapp.demo.platform import DemoPlatform
        platform = DemoPlatform(ROOT / ".demo-data" / "bench", scale=args.scale)
        url = platform.start()
        time.sleep(20)
    try:
        results = measure_browser(url, [p for p in args.pages.split(",") if p])
    finally:
        if platform is not None:
            platform.stop()
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))
    print(report_browser(results))


if __name__ == "__main__":
    main()
