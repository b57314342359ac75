"""Export the six built-in dashboards to Grafana JSON, import them back: every PromQL panel is the same."""
import json

import pytest

from webapp.catalog import level1
from webapp.dashboards.loader import parse_document
from webapp.grafana.exporter import SCHEMA_VERSION, export_dashboard, uid_for
from webapp.grafana.importer import Importer
from webapp.promql import render

SELECTIONS = (
    {},
    {"cluster": ("prod",)},
    {"cluster": ("prod", "dr.site"), "namespace": ('we"ird', "airflow")},
)


def _rendered(template: str, names, selected) -> str:
    return render(template, {n: (n, tuple(selected.get(n, ()))) for n in names}, 3600, 60)


def _imported(dashboard):
    exported = json.loads(json.dumps(export_dashboard(dashboard)))  # through JSON, as a file would be
    document, report = Importer([uid_for(d) for d in level1()]).convert(exported)
    return exported, parse_document(document), report


@pytest.mark.parametrize("dashboard", level1(), ids=lambda d: d.id)
def test_export_is_grafana_json(dashboard):
    exported = export_dashboard(dashboard)
    assert exported["schemaVersion"] == SCHEMA_VERSION and exported["uid"] == uid_for(dashboard)
    variables = exported["templating"]["list"]
    assert variables[0]["type"] == "datasource"
    assert [v["name"] for v in variables[1:]] == list(dashboard.variables)
    ids = [p["id"] for p in exported["panels"]]
    assert len(ids) == len(set(ids))
    for panel in exported["panels"]:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}"


@pytest.mark.parametrize("dashboard", level1(), ids=lambda d: d.id)
def test_export_then_import_gives_back_every_promql_panel(dashboard):
    _, imported, report = _imported(dashboard)
    originals = [p for p in dashboard.panels if p.source == "prometheus"]
    assert report.unsupported == [] and report.supported == len(originals)
    back = imported.dashboard
    assert [s.title for s in back.sections] == [s.title for s in dashboard.sections]
    assert len(back.panels) == len(originals)
    for original, copy in zip(originals, back.panels):
        assert (copy.title, copy.kind, copy.width, copy.unit, copy.stacked) == \
            (original.title, original.kind, original.width, original.unit, original.stacked), original.id
        assert (copy.min_step, copy.max_points) == (original.min_step, original.max_points), original.id
        assert copy.label_columns == original.label_columns, original.id
        assert copy.stages == original.stages, original.id
        assert sorted(copy.value_map) == sorted(original.value_map), original.id
        assert (copy.join_on or copy.label_columns) == (original.join_on or original.label_columns), original.id
        assert (copy.link.path if copy.link else None) == (original.link.path if original.link else None)
        assert len(copy.queries) == len(original.queries)
        for q0, q1 in zip(original.queries, copy.queries):
            assert (q1.legend, q1.column) == (q0.legend, q0.column), original.id
            if q0.column:  # a table column's unit, its own or the panel's
                assert (q1.unit or copy.unit) == (q0.unit or original.unit), original.id
            for selected in SELECTIONS:
                assert _rendered(q1.expr, dashboard.variables, selected) == \
                    _rendered(q0.expr, dashboard.variables, selected), original.id
