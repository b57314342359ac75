"""Catalog checks: the dashboards are data, and the data must be valid."""
import promql_parser
import pytest

from webapp.catalog import DASHBOARDS, TILES
from webapp.catalog import thresholds as th
from webapp.catalog.model import KINDS, UNITS
from webapp.catalog.variables import VARIABLES
from webapp.promql import render, template_variables

PANELS = [(d.id, p) for d in DASHBOARDS.values() for p in d.panels]


def _fill(template, variables=("cluster", "namespace"), values=("v",)):
    selections = {n: (VARIABLES[n].label if n in VARIABLES else n, values) for n in template_variables(template)}
    return render(template, selections, 6 * 3600, 60)


def test_panel_ids_unique():
    ids = [p.id for _, p in PANELS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("dashboard_id,panel", PANELS, ids=[p.id for _, p in PANELS])
def test_panel_is_valid(dashboard_id, panel):
    dashboard = DASHBOARDS[dashboard_id]
    assert panel.kind in KINDS and panel.unit in UNITS and panel.queries and 1 <= panel.width <= 12
    assert panel.title.strip()
    if panel.source != "prometheus":
        from webapp.restpanels import RESOURCES
        assert all(q.expr in RESOURCES[panel.source] for q in panel.queries)
        assert dashboard.level == 2
        return
    for query in panel.queries:
        assert template_variables(query.expr) <= set(dashboard.variables) | set(dashboard.path_labels)
        for values in ((), ("v",), ("a", "b")):
            promql_parser.parse(_fill(query.expr, values=values))
        assert not query.unit or query.unit in UNITS
    if panel.kind == "table":
        assert panel.label_columns
    for t in panel.thresholds:
        assert t in th.ALL


def test_thresholds_are_declared_once_and_valid():
    keys = [t.key for t in th.ALL]
    assert len(keys) == len(set(keys))
    for t in th.ALL:
        assert t.direction in ("above", "below") and t.priority in ("P1", "P2", "P3", "P4") and t.unit in UNITS


def test_panel_thresholds_ascending_per_unit():
    for _, panel in PANELS:
        for unit in {t.unit for t in panel.thresholds}:
            values = [t.value for t in panel.thresholds if t.unit == unit]
            assert values == sorted(values), panel.id


def test_tiles_cover_the_six_domains_and_parse():
    assert [t.domain for t in TILES] == ["gitops", "capacity", "workloads", "pipeline", "optimize", "e2e"]
    for tile in TILES:
        assert tile.signals
        for expr in [tile.figure.expr, tile.sparkline.expr] + [s.expr for s in tile.signals]:
            promql_parser.parse(_fill(expr))
        for signal in tile.signals:
            assert signal.threshold in th.ALL


def test_hostile_value_cannot_reach_promql_structure():
    evil = 'a"} or vector(1) #'
    for _, panel in PANELS:
        for query in panel.queries:
            filled = _fill(query.expr, values=(evil,))
            assert "or vector(1) #" not in filled.replace('\\"} or vector(1) #', "")


def test_every_drilldown_link_resolves_to_a_registered_page():
    """Each Link path must match a Level 2 dashboard's path template, with the link's label available."""
    import re
    from webapp.catalog import level2
    templates = {re.sub(r"<[^>]+>", "<>", d.path_template): d for d in level2()}
    for _, panel in PANELS:
        if panel.link is None:
            continue
        pattern = re.sub(r"\{[^}]+\}", "<>", panel.link.path)
        assert pattern in templates, f"{panel.id}: no page for {panel.link.path}"
        if panel.source == "prometheus":
            # An entity may need several labels to be unique (Argo CD: namespace and name); the link
            # text is one of them.
            assert panel.link.label in re.findall(r"\{([^}]+)\}", panel.link.path)


def test_level2_dashboards_are_well_formed():
    from webapp.catalog import level1, level2
    parents = {d.path for d in level1()}
    for dashboard in level2():
        names = re.findall(r"<([^>]+)>", dashboard.path_template)
        assert names == [n for n, _ in dashboard.path_variables]
        assert dashboard.parent in parents and dashboard.exists_query and dashboard.entity
        promql_parser.parse(_fill(dashboard.exists_query))


import re  # noqa: E402
