"""Imported Grafana dashboards (Kubernetes, Argo CD, node-exporter) show data from the real-exporter corpus."""
from __future__ import annotations

import json
import os
import pathlib

import pytest

from webapp.app import create_app
from webapp.dashboards import EXTENSION
from webapp.grafana.importer import Importer, safe_uid
from webapp.runner import run_panels
from webapp.runtime import EXTENSION as RUNTIME
from webapp.settings import Settings
from webapp.viewstate import parse_view_state

from ..conftest import CORPUS_CLUSTER_LABEL

pytestmark = pytest.mark.integration
GRAFANA_CORPUS = pathlib.Path(os.environ.get("DATAOPS_GRAFANA_CORPUS", pathlib.Path(__file__).resolve().parents[3]
                                             / "shared" / "grafana-dashboards"))
# Imported dashboard file -> the least number of its panels that must show data. Not all can: the
# kubernetes-mixin reads recording rules this Prometheus does not evaluate (state "missing") and matches
# `job="cadvisor"` where the corpus' kubelet job is `cadvisor-kubelet` (empty); node-exporter-full and
# the first Argo CD dashboard read many metrics the corpus lacks. Measured on the corpus: 2 of 22, 4 of
# 18, 2 of 16, 10 of 42, 11 of 11, 19-20 of 125; the floors leave room for the first seconds of live data.
DASHBOARDS = {
    "k8s-resources-cluster.json": 2,
    "k8s-resources-namespace.json": 3,
    "k8s-resources-pod.json": 2,
    "argocd.json": 8,
    "argocd-mixin-application-overview.json": 10,
    "node-exporter-full.json": 15,
}


@pytest.fixture(scope="module")
def imported(corpus_prometheus, tmp_path_factory):
    if not GRAFANA_CORPUS.is_dir():
        pytest.fail(f"the Grafana corpus is absent from {GRAFANA_CORPUS} (set DATAOPS_GRAFANA_CORPUS)")
    folder = tmp_path_factory.mktemp("dashboards")
    sources = [json.loads((GRAFANA_CORPUS / name).read_text()) for name in DASHBOARDS]
    importer = Importer(safe_uid(d.get("uid"), d.get("title", "")) for d in sources)
    uids = {}
    for name, source in zip(DASHBOARDS, sources):
        document, _ = importer.convert(source)
        (folder / f"{document['uid']}.json").write_text(json.dumps(document))
        uids[name] = document["uid"]
    settings = Settings(prometheus_url=corpus_prometheus.url, query_timeout_seconds=15,
                        cluster_label=CORPUS_CLUSTER_LABEL, dashboards_dir=str(folder))
    return create_app(settings), uids


@pytest.mark.parametrize("name", list(DASHBOARDS))
def test_imported_dashboard_shows_data(imported, name):
    app, uids = imported
    with app.server.test_request_context("/"):
        item = app.server.extensions[EXTENSION][uids[name]]
        runtime = app.server.extensions[RUNTIME]
        view = parse_view_state({"from": "now-1h", "to": "now"}, allowed_variables=item.dashboard.variables)
        panels = [p for p in item.dashboard.panels if p.queries]
        prepared, extra = item.prepare(panels, view.variables, view.time_range.seconds)
        data = run_panels(runtime.engine, prepared, view, extra)
    states = {pid: d.state for pid, d in data.items()}
    with_data = [pid for pid, state in states.items() if state == "ok"]
    errors = [pid for pid, state in states.items() if state == "error"]
    missing = [pid for pid, state in states.items() if state == "missing"]
    assert errors == [], f"{name}: panels failing: {errors}"
    assert len(with_data) >= DASHBOARDS[name], \
        f"{name}: {len(with_data)} of {len(panels)} panels show data ({len(missing)} lack metrics): {states}"
    if name == "argocd-mixin-application-overview.json":  # every metric it reads is in the corpus
        assert missing == []
