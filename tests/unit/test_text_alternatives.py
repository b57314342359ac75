"""Charts' text alternatives, status in words and the colour palette, from the same data the charts draw."""
import numpy as np

from components.palette import NAMED_STATES, SERIES, STATUS
from components.panels import RENDERERS, render_panel_body
from components.textalt import data_table, summarize, trend
from webapp.catalog import DASHBOARDS
from webapp.prometheus import QueryResult, Series
from webapp.runner import PanelData

T0 = 1_700_000_000


def _panel(dashboard, panel_id):
    return next(p for p in DASHBOARDS[dashboard].panels if p.id == panel_id)


def _series(values, **labels):
    return Series(labels, np.arange(len(values), dtype=float) * 300 + T0, np.array(values, dtype=float))


def _texts(component) -> str:
    """All text in a component tree."""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(_texts(c) for c in component)
    children = getattr(component, "children", None)
    return _texts(children) if children is not None else ""


def test_build_success_summary_names_value_trend_and_breach():
    panel = _panel("gitops", "jenkins-success-rate")
    data = PanelData(panel, (QueryResult("q", "matrix", (_series([0.9, 0.85, 0.8, 0.72]),)),))
    text = summarize(data)
    assert "Build success rate" in text and "72.0%" in text
    assert "falling from 90.0%" in text
    assert "Warning" in text and "below the threshold of 95.0%" in text


def test_a_healthy_value_says_no_threshold_is_breached():
    panel = _panel("gitops", "jenkins-success-rate")
    data = PanelData(panel, (QueryResult("q", "matrix", (_series([0.99, 0.99, 0.991]),)),))
    text = summarize(data)
    assert "99.1%" in text and "steady" in text and "No threshold is breached" in text


def test_stat_value_says_its_status_in_words():
    panel = _panel("gitops", "jenkins-success-rate")
    data = PanelData(panel, (QueryResult("q", "matrix", (_series([0.9, 0.72]),)),))
    children, state = render_panel_body(data, "")
    assert state == "ok"
    stat = next(c for c in children if "stat-value" in (getattr(c, "className", "") or ""))
    assert "warning" in _texts(stat) and "status-text-warning" in stat.className  # P2 (High): a warning
    assert any("chart-summary" in (getattr(c, "className", "") or "") for c in children)
    assert "View as table" in _texts(children)
    # The table is filled when opened, not drawn with every chart.
    assert "chart-data-table" not in repr(children)


def test_timeseries_table_is_bounded_and_ends_at_the_latest_point():
    panel = next(p for d in DASHBOARDS.values() for p in d.panels if p.kind == "timeseries")
    data = PanelData(panel, (QueryResult("q", "matrix", (_series(list(range(300))),)),) + (None,) * (len(panel.queries) - 1))
    table = data_table(data)
    rows = table.children[2].children
    assert len(rows) == 30
    assert _texts(rows[-1].children[1:]) == "299" or "299" in _texts(rows[-1])


def test_trend_words():
    assert trend(np.array([1.0, 2.0]))[0] == "rising"
    assert trend(np.array([2.0, np.nan, 1.0]))[0] == "falling"
    assert trend(np.array([1.0, 1.01]))[0] == "steady"
    assert trend(np.array([np.nan, 1.0]))[0] == ""


def test_every_chart_kind_gets_a_summary():
    from webapp.catalog.kinds import PANEL_KINDS
    charts = {name for name, kind in PANEL_KINDS.items() if kind.chart}
    assert charts <= set(RENDERERS) and charts.isdisjoint({"table", "rows"})


def test_palette_is_defined_once_and_states_map_to_statuses():
    assert len(set(SERIES)) == len(SERIES) >= 8
    assert set(NAMED_STATES.values()) <= set(STATUS)
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[2] / "components"
    for module in root.glob("*.py"):
        if module.name != "palette.py":
            text = module.read_text()
            assert "#1f77b4" not in text and "#2e7d32" not in text, module.name
