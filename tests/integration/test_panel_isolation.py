"""Each panel is its own callback: a query held by the data source holds only its panel; a warm
panel is served from the cache of rendered panels (through a recording proxy before the real Prometheus)."""
from __future__ import annotations

import dataclasses
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from components.panel_service import EXTENSION as PANEL_CACHE, datasource_of, panel_key, render_panel, serve_panel
from plotly.io.json import to_json_plotly as to_json
from tests.servers import panel_request
from webapp.app import create_app
from webapp.catalog import DASHBOARDS
from webapp.engine import plan_query
from webapp.runtime import EXTENSION
from webapp.viewstate import parse_view_state

from .recording_proxy import RecordingProxy

GITOPS = DASHBOARDS["gitops"]
PARAMS = {"from": "now-6h", "to": "now"}


@pytest.fixture
def proxy(prometheus_url):
    proxy = RecordingProxy(prometheus_url)
    yield proxy
    proxy.stop()


@pytest.fixture
def app(settings, proxy):
    return create_app(dataclasses.replace(settings, prometheus_url=proxy.url))


def _panel_spec(app) -> str:
    deps = app.server.test_client().get("/_dash-dependencies").get_json()
    return next(d["output"] for d in deps if '"type":"panel-body"' in d["output"])


def _fill(app, spec: str, panel_id: str, params: dict) -> dict:
    """POST the panel callback as the browser's renderer does for one panel."""
    store = {"dashboard": GITOPS.id, "params": params, "path_vars": {}}
    answer = app.server.test_client().post("/_dash-update-component", json=panel_request(spec, panel_id, store))
    assert answer.status_code == 200, answer.data[:300]
    return answer.get_json()["response"]


def _own_query(params: dict) -> tuple[str, str]:
    """A panel of /gitops and a PromQL text that only this panel sends."""
    view = parse_view_state(params)
    texts = {p.id: {plan_query(q.expr, view, p.instant, p.max_points, p.min_step).promql for q in p.queries}
             for p in GITOPS.panels}
    for panel_id, queries in texts.items():
        for query in sorted(queries):
            if sum(query in other for other in texts.values()) == 1:
                return panel_id, query
    raise AssertionError("every query of /gitops is shared")


def test_a_held_query_holds_only_its_own_panel(app, proxy):
    spec = _panel_spec(app)
    params = {"from": "now-3h", "to": "now"}
    victim, query = _own_query(params)
    others = [p.id for p in GITOPS.panels if p.id != victim][:8]
    hold = threading.Event()
    proxy.delays.append((query, hold))
    with ThreadPoolExecutor(4) as pool:
        held = pool.submit(_fill, app, spec, victim, params)
        answers = list(pool.map(lambda pid: _fill(app, spec, pid, params), others))
        # Every other panel answered while the victim's query is still held by the source.
        assert not held.done()
        hold.set()
        victim_answer = held.result(timeout=60)
    for pid, answer in zip(others, answers):
        state = answer[json.dumps({"panel": pid, "type": "panel"}, separators=(",", ":"))]["className"]
        assert "state-ok" in state or "state-empty" in state, (pid, state)
    assert "state-ok" in victim_answer[json.dumps({"panel": victim, "type": "panel"},
                                                   separators=(",", ":"))]["className"]
    assert query in proxy.queries()


def test_a_warm_panel_is_served_from_the_cache_as_the_same_data(app, proxy):
    runtime = app.server.extensions[EXTENSION]
    cache = app.server.extensions[PANEL_CACHE]
    view = parse_view_state(PARAMS)
    panel = next(p for p in GITOPS.panels if p.kind == "timeseries")
    with app.server.test_request_context():
        computed, state = render_panel(runtime, panel, view, {}, "from=now-6h&to=now")
        before = len(proxy.requests)
        first, first_state = serve_panel(runtime, cache, panel, view, {}, "from=now-6h&to=now")
        after_first = len(proxy.requests)
        second, second_state = serve_panel(runtime, cache, panel, view, {}, "from=now-6h&to=now")
        key = panel_key(panel, view, {}, runtime.engine.current_scope(), "from=now-6h&to=now",
                        datasource_of(runtime))
    # The plain data the cache serves is what Dash sends for the rendered components.
    assert first == second == json.loads(to_json(computed))
    assert state == first_state == second_state == "ok"
    assert cache.get(key) is not None
    assert len(proxy.requests) == after_first >= before  # the hit sent nothing to the data source


def test_concurrent_misses_of_one_panel_render_once(app, proxy):
    runtime = app.server.extensions[EXTENSION]
    cache = app.server.extensions[PANEL_CACHE]
    params = {"from": "now-2h", "to": "now"}
    view = parse_view_state(params)
    panel, query = next((p, q) for p in GITOPS.panels if p.kind == "timeseries"
                        for q in [plan_query(p.queries[0].expr, view, p.instant, p.max_points, p.min_step).promql])
    hold = threading.Event()
    proxy.delays.append((query, hold))

    def serve(_):
        with app.server.test_request_context():
            return serve_panel(runtime, cache, panel, view, {}, "")
    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(serve, i) for i in range(6)]
        hold.set()
        answers = [f.result(timeout=60) for f in futures]
    assert all(a == answers[0] for a in answers)
    assert proxy.queries().count(query) == 1
