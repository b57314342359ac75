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


def test_gantt_of_many_long_lanes_stays_readable():
    import datetime as dt

    from components.timeline import GANTT_LABEL_CHARS, GANTT_MAX_HEIGHT, render_gantt
    from webapp.restpanels import RestPanelData

    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    rows = tuple({"row": f"{i}.0 save at DataFrameWriter.scala:{i} and more words", "start": t0,
                  "end": t0 + dt.timedelta(seconds=30 + i), "group": "COMPLETE",
                  "hover": f"stage {i}.0 COMPLETE: 4 tasks"} for i in range(60))
    panel = Panel("stages", "Stages", "gantt", (Query("stages"),), source="spark")
    fig = render_gantt(RestPanelData(panel, rows), "")[0].figure
    assert fig.layout.height == GANTT_MAX_HEIGHT
    labels = fig.layout.yaxis.ticktext
    assert all(len(t) <= GANTT_LABEL_CHARS for t in labels)
    assert all(" save at" in t and t.endswith("more words") for t in labels)  # cut in the middle: both ends kept
    assert 0 < len(labels) * 13 <= GANTT_MAX_HEIGHT - 80        # never closer than 13 px
    assert "DataFrameWriter.scala:7 and more words" in fig.data[0].hovertext[7]
    few = render_gantt(RestPanelData(panel, rows[:3]), "")[0].figure
    assert few.layout.height == 220 and len(few.layout.yaxis.ticktext) == 3
