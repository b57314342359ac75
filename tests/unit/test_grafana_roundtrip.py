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


def _verdicts(panel) -> list[str | None]:
    """The worst severity a panel's thresholds give a value, for values just around each threshold
    and far beyond them: what its colours and threshold lines say, whatever the steps' count."""
    values = {v for t in panel.thresholds for v in (t.value - 1e-6, t.value + 1e-6)} | {-1e12, 1e12}
    rank = {"warning": 1, "critical": 2}
    worst = []
    for value in sorted(values):
        breached = [t.severity for t in panel.thresholds if t.breached(value)]
        worst.append(max(breached, key=rank.get) if breached else None)
    return worst


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
        assert (copy.sort_desc, copy.limit, copy.empty_text) == \
            (original.sort_desc, original.limit, original.empty_text), original.id
        assert copy.label_columns == original.label_columns, original.id
        assert copy.stages == original.stages, original.id
        assert sorted(copy.value_map) == sorted(original.value_map), original.id
        assert (copy.join_on or copy.label_columns) == (original.join_on or original.label_columns), original.id
        assert (copy.link.path if copy.link else None) == (original.link.path if original.link else None)
        assert _verdicts(copy) == _verdicts(original), original.id
        assert len(copy.queries) == len(original.queries)
        for q0, q1 in zip(original.queries, copy.queries):
            assert (q1.legend, q1.column) == (q0.legend, q0.column), original.id
            if q0.column:  # a table column's unit, its own or the panel's
                assert (q1.unit or copy.unit) == (q0.unit or original.unit), original.id
            for selected in SELECTIONS:
                assert _rendered(q1.expr, dashboard.variables, selected) == \
                    _rendered(q0.expr, dashboard.variables, selected), original.id


@pytest.mark.parametrize("steps, expected", [
    ([("green", None), ("orange", 80), ("red", 90)], [(80, "warning", "above"), (90, "critical", "above")]),
    ([("red", None), ("green", 1)], [(1, "critical", "below")]),                       # an "Up" stat
    ([("red", None), ("orange", 0.9), ("green", 0.95)], [(0.9, "critical", "below"), (0.95, "warning", "below")]),
    ([("red", None), ("green", 10), ("red", 90)], [(10, "critical", "below"), (90, "critical", "above")]),
    ([("green", None), ("dark-red", 0), ("green", 1)], [(1, "critical", "below")]),  # "0 is bad" (scrape up)
    ([("green", None), ("red", 5), ("green", 9)], [(5, "critical", "above")]),
    ([("green", None), ("blue", 50), ("red", 80)], [(80, "critical", "above")]),         # blue: no verdict
])
def test_grafana_threshold_steps_become_thresholds_with_their_direction(steps, expected):
    panel = {"type": "stat", "id": 1, "title": "P", "gridPos": {"x": 0, "y": 0, "w": 6, "h": 4},
             "targets": [{"refId": "A", "expr": "up"}],
             "fieldConfig": {"defaults": {"thresholds": {"mode": "absolute", "steps": [
                 {"color": c, "value": v} for c, v in steps]}}}}
    document, _ = Importer([]).convert({"uid": "u", "title": "T", "panels": [panel]})
    thresholds = document["sections"][0]["panels"][0]["thresholds"]
    assert [(t["value"], t["severity"], t["direction"]) for t in thresholds] == expected
    parse_document(document)


def _table(transformations: list[dict], **defaults) -> dict:
    return {"type": "table", "id": 1, "title": "T", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
            "targets": [{"refId": "A", "expr": "sum by (pod) (up)", "format": "table", "instant": True}],
            "fieldConfig": {"defaults": defaults}, "transformations": transformations}


def test_grafana_table_order_limit_and_no_value_text_import():
    organize = {"id": "organize", "options": {"renameByName": {"Value #A": "Up"}}}
    panel = _table([organize, {"id": "sortBy", "options": {"sort": [{"field": "Up", "desc": False}]}},
                    {"id": "limit", "options": {"limitField": 7}}], noValue="All pods up")
    document, report = Importer([]).convert({"uid": "u", "title": "T", "panels": [panel]})
    imported = parse_document(document).dashboard.panels[0]
    assert (imported.sort_desc, imported.limit, imported.empty_text) == (False, 7, "All pods up")
    assert report.supported == 1
    by_label = _table([{"id": "sortBy", "options": {"sort": [{"field": "pod"}]}}])
    document, report = Importer([]).convert({"uid": "u", "title": "T", "panels": [by_label]})
    assert document["sections"][0]["panels"][0]["reason"] == "sortBy on the label column pod"
    assert report.supported == 0
