"""The kinds registry is the one place a kind is declared: every consumer reads it."""
import pytest

from components.panel_menu import PICTURE_KINDS
from components.panels import RENDERERS, render_stat, render_table
from components.timeline import render_rows
from webapp.catalog.kinds import FROM_GRAFANA, PANEL_KINDS
from webapp.catalog.model import KINDS, Panel, Query
from webapp.grafana.importer import OWN_KINDS


def test_every_kind_resolves_to_its_renderer():
    assert set(RENDERERS) == set(PANEL_KINDS) == set(KINDS)
    assert RENDERERS["gauge"] is render_stat and RENDERERS["table"] is render_table
    assert RENDERERS["rows"] is render_rows


def test_capabilities_follow_the_registry():
    assert "table" not in PICTURE_KINDS and "rows" not in PICTURE_KINDS and "gantt" in PICTURE_KINDS
    assert OWN_KINDS == {"timeofday", "flow"}
    assert FROM_GRAFANA["graph"] == "timeseries" and FROM_GRAFANA["bargauge"] == "bar"
    assert Panel("g", "G", "gauge", (Query("up"),)).instant
    assert not Panel("s", "S", "stat", (Query("up"),)).instant


@pytest.mark.parametrize("kind, option, value", [
    ("table", "stages", ("a",)), ("flow", "label_columns", ("a",)), ("table", "fields", ("a",)),
    ("rows", "join_on", ("a",)), ("stat", "x_label", "x"), ("bar", "legend_calcs", ("max",)),
])
def test_an_option_of_another_kind_is_a_catalog_error(kind, option, value):
    with pytest.raises(ValueError, match=f"{option} are options of"):
        Panel("p", "P", kind, (Query("up"),), **{option: value})


def test_an_unknown_kind_is_a_catalog_error():
    with pytest.raises(ValueError, match="unknown kind"):
        Panel("p", "P", "sparkline", (Query("up"),))


def test_renderer_modules_share_figures_not_each_other():
    import ast
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[2] / "components"
    for name, other in (("panels", "timeline"), ("timeline", "panels")):
        tree = ast.parse((root / f"{name}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert other not in imported and f"components.{other}" not in imported, name
        assert "figures" in imported, name
