"""The panel menu's endpoints against the real demo Prometheus: CSV of a panel's data, the Explore
redirect to the data source's own UI, with hostile URL values escaped and tenant scope applied."""
import csv
import dataclasses
import io
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import promql_parser
import pytest

from webapp.app import create_app

from .recording_proxy import RecordingProxy

EVIL = 'a"} or vector(1) #=cmd'


@pytest.fixture
def client(settings):
    return create_app(settings).server.test_client()


def _csv(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_csv_of_a_time_series_panel(client):
    rows = _csv(client.get("/panels/gitops/restarts-trend.csv?from=now-3h&to=now"))
    header, body = rows[0], rows[1:]
    assert header[0] == "time" and len(header) > 1 and len(body) >= 3
    times = [datetime.fromisoformat(r[0]) for r in body]
    assert times == sorted(times) and len(set(times)) == len(times)       # one row per timestamp
    assert all(t.utcoffset().total_seconds() == 0 for t in times)
    assert all(len(r) == len(header) for r in body)
    assert any(float(v) >= 0 for r in body for v in r[1:] if v)
    # The zone of the view: the same instants with their offset.
    seoul = _csv(client.get("/panels/gitops/restarts-trend.csv?from=now-3h&to=now&timezone=Asia/Seoul"))
    assert seoul[1][0].endswith("+09:00")


def test_csv_of_a_table_and_of_a_level2_panel(client):
    rows = _csv(client.get("/panels/gitops/jenkins-jobs.csv?from=now-24h&to=now"))
    assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)
    rows = _csv(client.get("/panels/jenkins-job/l2-jenkins-duration.csv?from=now-24h&to=now"
                           "&path-job=etl-orders-build"))
    assert rows[0][0] == "time"


def test_unknown_panel_and_hostile_values(client):
    assert client.get("/panels/gitops/no-such-panel.csv").status_code == 404
    assert client.get("/panels/no-such-board/x.csv").status_code == 404
    response = client.get("/panels/gitops/restarts-trend.csv", query_string={"var-namespace": EVIL, "from": "<x>"})
    rows = _csv(response)
    assert rows[0] == ["time"] or all(not c.startswith("=") for c in rows[0])


def test_explore_redirects_to_the_queries_as_sent(settings, prometheus_url):
    proxy = RecordingProxy(prometheus_url)
    try:
        app = create_app(dataclasses.replace(settings, prometheus_url=proxy.url,
                                             explore_url="https://thanos.example/query"))
        client = app.server.test_client()
        response = client.get("/panels/gitops/restarts-trend/explore",
                              query_string={"var-namespace": EVIL, "from": "now-2h"})
        assert response.status_code == 302
        location = urlsplit(response.headers["Location"])
        assert (location.scheme, location.netloc, location.path) == ("https", "thanos.example", "/query/graph")
        q = parse_qs(location.query)
        expr = q["g0.expr"][0]
        values = []
        promql_parser.walk(promql_parser.parse(expr), lambda n: values.extend(
            m.value for m in n.matchers.matchers) if isinstance(n, promql_parser.VectorSelector) else None)
        assert EVIL in values                                  # one literal, not PromQL
        assert q["g0.range_input"] == ["2h"] and q["g0.tab"] == ["0"]
        # The same text the panel sends.
        client.get("/panels/gitops/restarts-trend.csv", query_string={"var-namespace": EVIL, "from": "now-2h"})
        assert expr in proxy.queries()
        assert client.get("/panels/gitops/no-such/explore").status_code == 404
    finally:
        proxy.stop()
