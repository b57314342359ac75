"""`dataops-monitor doctor` and /datasources against real Prometheus servers (the corpus replay and the demo)."""
from __future__ import annotations

import dataclasses

import pytest

from tests.corpus import CorpusPrometheus
from webapp.app import create_app
from webapp.cli import main
from webapp.settings import Settings

from ..conftest import DATA_ROOT

pytestmark = pytest.mark.integration


def run_doctor(url: str, cluster_label: str, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setenv("DATAOPS_CLUSTER_LABEL", cluster_label)
    code = main(["doctor", "--url", url])
    return code, capsys.readouterr().out


def rows(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in out.splitlines() if line.split()}


def test_doctor_against_the_corpus(corpus_prometheus, monkeypatch, capsys):
    code, out = run_doctor(corpus_prometheus.url, corpus_prometheus.cluster_label, monkeypatch, capsys)
    assert code == 0, out
    table = rows(out)
    for exporter in corpus_prometheus.exporters:
        assert table[exporter][1] == "found", exporter
    assert table["iceberg"][1] == "absent"
    assert "endpointslices" in " ".join(table["kube-state-metrics"]) and "v2" in table["minio"]
    assert "Hostname label (released versions)" in out
    assert "/e2e: metrics needed and absent" in out and "pipeline_runs_total  (journey)" in out
    assert "Every required exporter was found." in out


def test_doctor_fails_without_a_required_exporter(monkeypatch, capsys):
    with CorpusPrometheus(DATA_ROOT / "corpus-minio", exporters=("minio",), history_seconds=0) as corpus:
        code, out = run_doctor(corpus.url, corpus.cluster_label, monkeypatch, capsys)
    assert code == 1
    assert "Required exporters missing: kube-state-metrics, cadvisor-kubelet, node_exporter" in out
    assert rows(out)["minio"][1] == "found"


def test_doctor_against_an_unreachable_source(monkeypatch, capsys):
    code, out = run_doctor("http://127.0.0.1:9", "cluster", monkeypatch, capsys)
    assert code == 1 and "could not be read" in out


def test_doctor_against_the_demo(prometheus_url, monkeypatch, capsys):
    code, out = run_doctor(prometheus_url, "cluster", monkeypatch, capsys)
    assert code == 0, out
    assert rows(out)["kube-state-metrics"][1] == "found"


def test_datasources_page_shows_the_same_table(corpus_prometheus):
    from components.datasources import datasources_body
    from webapp.datasources import report
    from webapp.runtime import EXTENSION

    settings = dataclasses.replace(Settings(prometheus_url=corpus_prometheus.url),
                                   cluster_label=corpus_prometheus.cluster_label)
    app = create_app(settings)
    from pages.datasources import layout  # registered by the app (Dash pages), not before
    with app.server.test_request_context("/datasources"):
        page = layout()
        direct = datasources_body(report(app.server.extensions[EXTENSION].engine))
    found = {getattr(n, "data-exporter"): getattr(n, "data-found") for n in nodes(page) if hasattr(n, "data-exporter")}
    assert all(found[e] == "true" for e in corpus_prometheus.exporters) and found["iceberg"] == "false"
    coverage = {getattr(n, "data-page"): getattr(n, "data-coverage") for n in nodes(page) if hasattr(n, "data-page")}
    assert coverage == {getattr(n, "data-page"): getattr(n, "data-coverage") for n in nodes(direct)
                        if hasattr(n, "data-page")}
    assert set(coverage) == {"/", "/gitops", "/capacity", "/workloads", "/pipeline", "/optimize", "/e2e"}


def nodes(tree):
    """Every Dash component in a layout tree."""
    stack = list(tree) if isinstance(tree, (list, tuple)) else [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif hasattr(node, "to_plotly_json"):
            yield node
            stack.append(getattr(node, "children", None))
