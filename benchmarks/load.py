"""Load, isolation and bytes of a real page against `dataops-monitor serve`, with their floors.

A simulated user does what the browser's Dash renderer does: it asks the page-routing callback for
the page, then fires every server callback the new layout triggers on load (wildcard outputs
expanded from the layout), at most `BROWSER_CONNECTIONS` at a time. The request bodies are built
once from `/_dash-dependencies` and the routed layout, then replayed by every user.
"""
from __future__ import annotations

import json
import os
import pathlib
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
BROWSER_CONNECTIONS = 6  # HTTP/1.1 connections per host in Chromium
PANEL_OUTPUTS = ("panel-body", "tiles")
ENCODINGS = "gzip, deflate, br"
REVALIDATION = 300  # bytes of a conditional request's 304 answer (headers only)
ASYNC_CHUNKS = ("/_dash-component-suites/dash/dcc/async-graph.{stamp}",
                "/_dash-component-suites/dash/dcc/async-dropdown.{stamp}",
                "/_dash-component-suites/plotly/package_data/plotly.min.js")


def session() -> requests.Session:
    """A client like a browser's: a keep-alive connection the server already closed is retried once."""
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    s = requests.Session()
    retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods=None, raise_on_status=False)
    s.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=BROWSER_CONNECTIONS))
    return s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`dataops-monitor serve` with its default settings (workers, threads, cache) as a subprocess."""

    def __init__(self, prometheus_url: str, extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATAOPS_PROMETHEUS_URL": prometheus_url, **(extra_env or {})}
        exe = pathlib.Path(sys.executable).parent / "dataops-monitor"
        self.proc = subprocess.Popen([str(exe), "serve", "--port", str(self.port)], env=env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("dataops-monitor serve did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def _components(tree, found: dict) -> None:
    """id (JSON text for dict ids) -> props of every component in a layout tree."""
    if isinstance(tree, list):
        for item in tree:
            _components(item, found)
    elif isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict):
            if "id" in props:
                found[_key(props["id"])] = props
            for value in props.values():
                _components(value, found)
        else:
            for value in tree.values():
                _components(value, found)


def _key(component_id) -> str:
    return json.dumps(component_id, sort_keys=True, separators=(",", ":")) if isinstance(component_id, dict) \
        else str(component_id)


def _split(spec: str) -> tuple[object, str]:
    raw, _, prop = spec.rpartition(".")
    return (json.loads(raw) if raw.startswith("{") else raw), prop


def _matches(pattern, component_id) -> bool:
    if not isinstance(pattern, dict) or not isinstance(component_id, dict) or set(pattern) != set(component_id):
        return False
    return all(isinstance(v, list) or component_id[k] == v for k, v in pattern.items())


@dataclass
class Call:
    """One callback request of a page load; `panels` = panel ids it fills (empty: not a panel callback)."""

    body: dict
    panels: tuple[str, ...] = ()


@dataclass
class Page:
    path: str
    routing: dict
    calls: list[Call] = field(default_factory=list)
    store: dict = field(default_factory=dict)


def _expand(pattern, prop: str, comps: dict, with_value: bool):
    def item(cid):
        d = {"id": cid, "property": prop}
        if with_value:
            d["value"] = comps[_key(cid)].get(prop)
        return d
    if isinstance(pattern, str) and pattern.startswith("{"):
        pattern = json.loads(pattern)
    if isinstance(pattern, dict):
        wildcard = {v[0] for v in pattern.values() if isinstance(v, list)}
        ids = [json.loads(k) for k in comps if k.startswith("{") and _matches(pattern, json.loads(k))]
        return ("ALL" if "ALL" in wildcard else "MATCH"), [item(i) for i in ids]
    if _key(pattern) not in comps:
        return None, None
    return "", item(pattern)


def prepare_page(base: str, path: str, search: str = "") -> Page:
    """The routing request of `path` and the callbacks its layout fires on load."""
    deps = requests.get(base + "/_dash-dependencies", timeout=30).json()
    routing = next(d for d in deps if any(i["id"] == "_pages_location" and i["property"] == "pathname"
                                          for i in d["inputs"]) and "_pages_content" in d["output"])
    outs = [_split(s) for s in routing["output"].strip(".").split("...")]
    body = {"output": routing["output"],
            "outputs": [{"id": i, "property": p} for i, p in outs],
            "inputs": [{"id": i["id"], "property": i["property"],
                        "value": {"pathname": path, "search": search, "href": base + path + search}.get(i["property"])}
                       for i in routing["inputs"]],
            "state": [{"id": s["id"], "property": s["property"], "value": None} for s in routing.get("state", [])],
            "changedPropIds": [], "parsedChangedPropsIds": []}
    answer = requests.post(base + "/_dash-update-component", json=body, timeout=120).json()["response"]
    comps: dict = {}
    _components(answer, comps)
    page = Page(path, body)
    for dep in deps:
        if dep.get("clientside_function") or dep.get("prevent_initial_call") or dep is routing:
            continue
        specs = [_split(s) for s in dep["output"].strip(".").split("...")]
        outputs, kinds = [], set()
        for pattern, prop in specs:
            kind, expanded = _expand(pattern, prop, comps, False)
            kinds.add(kind)
            outputs.append(expanded)
        if any(o is None or o == [] for o in outputs):
            continue
        inputs = [_expand(i["id"], i["property"], comps, True)[1] for i in dep["inputs"]]
        state = [_expand(s["id"], s["property"], comps, True)[1] for s in dep.get("state", [])]
        if any(i is None for i in inputs) or any(s is None for s in state):
            continue
        multi = "..." in dep["output"]
        if "MATCH" in kinds:  # one request per matching component, as the renderer sends them
            for n in range(len(outputs[0])):
                outs = [o[n] if isinstance(o, list) else o for o in outputs]
                page.calls.append(_call(dep, outs if multi else outs[0], inputs, state, comps))
        else:
            page.calls.append(_call(dep, outputs if multi else outputs[0], inputs, state, comps))
    store = comps.get("view-params", {}).get("data")
    page.store = store if isinstance(store, dict) else {}
    return page


def _call(dep, outputs, inputs, state, comps) -> Call:
    flat = [o for out in (outputs if isinstance(outputs, list) else [outputs])
            for o in (out if isinstance(out, list) else [out])]
    panels = tuple(dict.fromkeys(o["id"].get("panel", "tiles") if isinstance(o["id"], dict) else o["id"]
                                 for o in flat if any(p in json.dumps(o["id"]) for p in PANEL_OUTPUTS)))
    body = {"output": dep["output"], "outputs": outputs, "inputs": inputs, "state": state,
            "changedPropIds": [], "parsedChangedPropsIds": []}
    return Call(body, panels)


@dataclass
class Timing:
    seconds: float
    ok: bool
    nbytes: int
    panels: tuple[str, ...]
    finished: float  # seconds after the user started


def load_page(session: requests.Session, base: str, page: Page, started: float | None = None) -> list[Timing]:
    """One user: routing, then the page's callbacks over BROWSER_CONNECTIONS connections."""
    started = time.perf_counter() if started is None else started
    out = [_post(session, base, page.routing, (), started)]
    with ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
        out += list(pool.map(lambda c: _post(session, base, c.body, c.panels, started), page.calls))
    return out


def _post(session, base, body, panels, started) -> Timing:
    t0 = time.perf_counter()
    try:
        r = session.post(base + "/_dash-update-component", json=body, timeout=180,
                         headers={"Accept-Encoding": ENCODINGS})
        ok, size = r.status_code in (200, 204), len(r.content)
        size = int(r.headers.get("Content-Length") or size) if r.headers.get("Content-Encoding") else size
    except requests.RequestException:
        ok, size = False, 0
    t1 = time.perf_counter()
    return Timing(t1 - t0, ok, size, panels, t1 - started)


def run_users(base: str, page: Page, users: int) -> tuple[list[Timing], float]:
    """`users` page loads at once; (every callback timing, wall seconds)."""
    barrier = threading.Barrier(users)

    def user(_):
        with session() as s:
            barrier.wait()
            return load_page(s, base, page)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(users) as pool:
        timings = [t for result in pool.map(user, range(users)) for t in result]
    return timings, time.perf_counter() - t0


def static_floor(base: str, rel: str, users: int, per_user: int) -> list[float]:
    """`users` users each fetching the static file `per_user` times over BROWSER_CONNECTIONS connections."""
    barrier = threading.Barrier(users)

    def get(s):
        t0 = time.perf_counter()
        try:
            s.get(base + rel, timeout=120, headers={"Accept-Encoding": ENCODINGS}).content
        except requests.RequestException:
            return float("inf")  # an error sorts last: it can only raise the floor's percentiles
        return time.perf_counter() - t0

    def user(_):
        with session() as s:
            barrier.wait()
            with ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
                return list(pool.map(lambda _: get(s), range(per_user)))
    with ThreadPoolExecutor(users) as pool:
        return [t for result in pool.map(user, range(users)) for t in result]


def query_floor(prometheus_url: str, requests_seen: list[tuple[str, dict]]) -> float:
    """Seconds to send the page's distinct queries (as the app sent them) in parallel straight to Prometheus."""
    distinct = {json.dumps([p, sorted((k, v[0]) for k, v in form.items())]): (p, form) for p, form in requests_seen
                if p.startswith("/api/v1/query")}
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max(1, min(32, len(distinct)))) as pool:
        list(pool.map(lambda pf: requests.post(prometheus_url + pf[0], data={k: v[0] for k, v in pf[1].items()},
                                               timeout=60).content, distinct.values()))
    return time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def panel_timings(timings: list[Timing]) -> list[Timing]:
    return [t for t in timings if t.panels]


def first_visit_bytes(base: str, path: str, page: Page) -> tuple[int, int, int]:
    """(first visit, repeat visit, raw uncompressed) bytes of a page load: HTML, every script and
    stylesheet it references, layout, dependencies, and the page's callbacks. A repeat visit
    refetches only what the response's Cache-Control does not let the browser keep."""
    import re
    session = requests.Session()
    first = repeat = raw = 0

    def fetch(url, method="GET", body=None):
        nonlocal first, repeat, raw
        r = session.request(method, url, json=body, timeout=120, headers={"Accept-Encoding": ENCODINGS},
                            stream=True)
        wire = len(r.raw.read(decode_content=False))
        first += wire
        plain = requests.request(method, url, json=body, timeout=120, headers={"Accept-Encoding": "identity"})
        raw += len(plain.content)
        cache = r.headers.get("Cache-Control", "")
        age = re.search(r"max-age=(\d+)", cache)
        if r.headers.get("ETag") and method == "GET":
            repeat += REVALIDATION  # the browser asks again and gets a 304 without a body
        elif not (age and int(age.group(1)) >= 3600 and "no-cache" not in cache):
            repeat += wire
        return r
    html = requests.get(base + path, timeout=60).text
    fetch(base + path)
    refs = re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css)[^"]*)"', html)
    for ref in refs:
        fetch(base + ref)
    # The chunks dcc loads on demand for this page (graphs, plotly.js, dropdowns), under the same
    # fingerprint as its main bundle, as the browser asks for them.
    dcc = next((r for r in refs if "/dash/dcc/dash_core_components." in r), None)
    if dcc:
        stamp = dcc.rsplit("dash_core_components.", 1)[1]
        for chunk in ASYNC_CHUNKS:
            fetch(base + chunk.replace("{stamp}", stamp))
    fetch(base + "/_dash-layout")
    fetch(base + "/_dash-dependencies")
    fetch(base + "/_dash-update-component", "POST", page.routing)
    for call in page.calls:
        fetch(base + "/_dash-update-component", "POST", call.body)
    return first, repeat, raw


def summary(timings: list[Timing]) -> dict:
    panel = [t.seconds for t in panel_timings(timings)]
    return {"p50": pct(panel, 0.5), "p95": pct(panel, 0.95), "errors": sum(not t.ok for t in timings),
            "calls": len(timings), "panel_calls": len(panel),
            "mean_bytes": statistics.mean([t.nbytes for t in panel_timings(timings)] or [0])}


def panel_queries(store: dict) -> dict[str, set[str]]:
    """panel id -> the PromQL texts it sends for the page's view (the catalog's plans)."""
    from webapp.dashboards import find_dashboard
    from webapp.engine import plan_query
    from webapp.promql import TemplateError
    from webapp.viewstate import parse_view_state

    dashboard = find_dashboard(store.get("dashboard"))
    if dashboard is None:
        return {}
    view = parse_view_state(store.get("params") or {}, allowed_variables=dashboard.variables)
    out: dict[str, set[str]] = {}
    for panel in dashboard.panels:
        if panel.source != "prometheus":
            continue
        texts = set()
        for query in panel.queries:
            try:
                texts.add(plan_query(query.expr, view, panel.instant, panel.max_points, panel.min_step).promql)
            except TemplateError:
                pass
        out[panel.id] = texts
    return out


def arrivals(timings: list[Timing]) -> dict[str, float]:
    """panel id -> seconds from the start of the page load until its callback answered."""
    out: dict[str, float] = {}
    for t in timings:
        for panel in t.panels:
            out[panel] = max(out.get(panel, 0.0), t.finished)
    return out


def measure_portal(upstream: str, path: str, users: list[int], delay: float = 12.0) -> dict:
    """Every portal figure of `path` with its floor, against fresh `serve` processes (see module doc)."""
    sys.path.insert(0, str(ROOT))
    from tests.integration.recording_proxy import RecordingProxy

    proxy = RecordingProxy(upstream)
    floor_file = ROOT / "assets" / "bench-floor.json"
    results: dict = {"path": path, "rounds": []}
    try:
        for n in users:
            server = Server(proxy.url)
            try:
                page = prepare_page(server.url, path)
                with proxy._lock:
                    proxy.requests.clear()
                cold, cold_wall = run_users(server.url, page, n)
                sent = [q for q in proxy.queries()]
                warm, warm_wall = run_users(server.url, page, n)
                body = max((t for t in panel_timings(warm)), key=lambda t: t.nbytes, default=None)
                floor_file.write_bytes(b"x" * int(summary(warm)["mean_bytes"] or 1))
                per_user = len(page.calls)
                static = static_floor(server.url, "/assets/bench-floor.json", n, per_user)
                results["rounds"].append({
                    "users": n, "cold": summary(cold), "warm": summary(warm), "cold_wall": cold_wall,
                    "warm_wall": warm_wall, "queries_sent": len(sent), "queries_distinct": len(set(sent)),
                    "static_p50": pct(static, 0.5), "static_p95": pct(static, 0.95),
                    "callbacks_per_page": len(page.calls), "largest_answer": body.nbytes if body else 0})
            finally:
                server.stop()
        # Isolation and bytes on one fresh server; each view is new to its cache, so every query is sent.
        server = Server(proxy.url)
        try:
            calm = prepare_page(server.url, path, "?from=now-5h&to=now")
            with proxy._lock:
                proxy.requests.clear()
            t0 = time.perf_counter()
            undisturbed = arrivals(load_page(session(), server.url, calm))
            results["single_cold"] = time.perf_counter() - t0
            results["query_floor"] = query_floor(upstream, list(proxy.requests))
            slow = prepare_page(server.url, path, "?from=now-4h&to=now")
            texts = panel_queries(slow.store)
            victim, query = next(((p, q) for p, qs in texts.items() for q in sorted(qs)
                                  if sum(q in other for other in texts.values()) == 1), (None, None))
            if query:
                proxy.delays.append((query, delay))
                disturbed = arrivals(load_page(session(), server.url, slow))
                proxy.delays.clear()
                others = [s for p, s in disturbed.items() if p != victim]
                results["isolation"] = {"delay": delay, "panel": victim, "undisturbed": max(undisturbed.values()),
                                        "others": max(others) if others else float("nan"),
                                        "first_other": min(others) if others else float("nan"),
                                        "victim": disturbed.get(victim, float("nan"))}
            warm_page = prepare_page(server.url, path)
            load_page(session(), server.url, warm_page)
            results["bytes"] = first_visit_bytes(server.url, path, warm_page)
        finally:
            server.stop()
    finally:
        floor_file.unlink(missing_ok=True)
        proxy.stop()
    return results


def report_portal(r: dict) -> str:
    """Markdown of `measure_portal`'s figures, each beside its floor."""
    lines = [f"## Portal load: `{r['path']}` against `dataops-monitor serve` (default settings)", "",
             "Each user loads the page as the browser does (routing callback, then the page's callbacks over 6",
             "connections). `cold`: a fresh server (empty cache), all users at once; `warm`: the same users again.",
             "Latency is per panel callback. Static floor: the same users fetching a static file of the mean",
             "callback answer's size from the same server, as many times as the page has callbacks.",
             "Queries: requests that reached Prometheus (recording proxy) in the cold round, and distinct ones.", "",
             "| users | callbacks/page | cold p50 / p95 s | warm p50 / p95 s | static floor p50 / p95 s | warm p95 x floor | errors | queries sent / distinct | mean answer KiB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for x in r["rounds"]:
        c, w = x["cold"], x["warm"]
        lines.append(f"| {x['users']} | {x['callbacks_per_page']} | {c['p50']:.2f} / {c['p95']:.2f} | "
                     f"{w['p50']:.3f} / {w['p95']:.3f} | {x['static_p50']:.3f} / {x['static_p95']:.3f} | "
                     f"{w['p95'] / x['static_p95']:.1f} | {c['errors'] + w['errors']} | "
                     f"{x['queries_sent']} / {x['queries_distinct']} | {w['mean_bytes'] / 1024:.0f} |")
    lines += ["", f"One user, cold view: whole page {r.get('single_cold', float('nan')):.2f} s; floor (the page's "
              f"distinct queries in parallel straight to Prometheus) {r.get('query_floor', float('nan')):.2f} s "
              f"(x{r.get('single_cold', 0) / max(r.get('query_floor', 1e-9), 1e-9):.1f}).", ""]
    iso = r.get("isolation")
    if iso:
        lines += ["## Isolation", "",
                  f"One query of panel `{iso['panel']}` held {iso['delay']:.0f} s by the proxy (cold view): the other "
                  f"panels all arrived after {iso['others']:.2f} s (first after {iso['first_other']:.2f} s), "
                  f"x{iso['others'] / iso['undisturbed']:.2f} the undisturbed page ({iso['undisturbed']:.2f} s); "
                  f"the delayed panel after {iso['victim']:.2f} s.", ""]
    if "bytes" in r:
        first, repeat, raw = r["bytes"]
        lines += ["## Bytes", "",
                  f"First visit {first / 2**20:.2f} MiB on the wire ({raw / 2**20:.2f} MiB uncompressed); repeat visit "
                  f"{repeat / 2**10:.0f} KiB (what Cache-Control does not let the browser keep). HTML, scripts, "
                  "stylesheets, the dcc chunks a dashboard loads (graph, dropdown, plotly.js), layout, "
                  "dependencies and the page's callbacks.", ""]
    return "\n".join(lines)
