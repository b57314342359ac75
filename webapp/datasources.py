"""What the data source has: its metric inventory, the exporters found and in which form, and what
each page needs and lacks.

- `query_metrics(template)`: metric names a catalog PromQL template reads (parsed with `promql-parser`).
- `metric_inventory(engine)`: every metric name the data source has, one cached call per data source
  (`/api/v1/label/__name__/values` over the last hour); None when it cannot be read.
- `blocking_metrics(template, inventory)`: the absent metrics that make a query empty (`a or b` needs
  both absent); an empty panel with such metrics is in the missing state.
- `report(engine)`: the exporter and coverage table behind `dataops-monitor doctor` and `/datasources`.
"""
from __future__ import annotations

import dataclasses
import functools
import re
import time

import promql_parser

from .catalog import TILES, level1
from .catalog.exporters import EXPORTERS, Exporter, exporter_of
from .catalog.model import Panel
from .promql import TemplateError, render, template_variables

INVENTORY_WINDOW = 3600  # seconds: a metric seen within the last hour exists
INVENTORY_TTL = 120      # seconds an inventory is reused


@functools.lru_cache(maxsize=4096)
def _parsed(template: str):
    """The template's AST, variables filled with a placeholder value so it parses; None if it does not."""
    selections = {name: (name, ("x",)) for name in template_variables(template)}
    try:
        return promql_parser.parse(render(template, selections, range_seconds=3600, step_seconds=60))
    except (TemplateError, ValueError):
        return None


@functools.lru_cache(maxsize=4096)
def query_metrics(template: str) -> frozenset[str]:
    """Metric names read by a template (vector selectors' names and `__name__="..."` matchers)."""
    expr = _parsed(template)
    if expr is None:
        return frozenset()
    found: set[str] = set()

    def visit(node):
        if isinstance(node, promql_parser.MatrixSelector):
            node = node.vector_selector
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                found.add(node.name)
            found.update(m.value for m in node.matchers.matchers
                         if m.name == "__name__" and m.op == promql_parser.MatchOp.Equal)
        return True

    promql_parser.walk(expr, visit)
    return frozenset(found)


def panel_metrics(panel: Panel) -> frozenset[str]:
    """Every metric the panel's PromQL reads (empty for REST panels)."""
    if panel.source != "prometheus":
        return frozenset()
    return frozenset().union(*(query_metrics(q.expr) for q in panel.queries))


def metric_inventory(engine) -> frozenset[str] | None:
    """Metric names the data source has, or None if unreadable or the request may see nothing.

    Read without the tenant's matchers, once per data source (cached for INVENTORY_TTL): "missing"
    must mean the platform lacks the metric, not that the tenant's scope hides its series (their
    panels are then plainly empty). A tenant learns only whether a metric name of the public catalog
    exists, never a series, label value or sample."""
    if engine.current_scope() is None:
        return None
    key = "inventory:" + engine.datasource_key
    if engine.cache is not None and (hit := engine.cache.get(key)) is not None:
        return frozenset(hit)
    from .sources.base import SourceError
    from .sources.prometheus import LabelValues

    now = time.time()
    try:
        # `execute`, not `fetch`: through the engine's cache and metrics, deliberately unscoped.
        names = frozenset(engine.execute("prometheus", LabelValues("__name__", (), now - INVENTORY_WINDOW, now)))
    except SourceError:
        return None
    if engine.cache is not None:
        engine.cache.set(key, sorted(names), timeout=INVENTORY_TTL)  # the cache keeps JSON data
    return names


_NEVER_EMPTY = {"absent", "absent_over_time", "vector", "time", "scalar", "pi"}
_PATTERN = "~"   # marks an absent metric-name pattern among the blocking names


def _blocking(node, inventory: frozenset[str]) -> frozenset[str]:
    """Absent metrics that alone make `node` return nothing (`a or b` needs both sides absent;
    `a unless b` only its left side; `absent()` and `vector()` always answer)."""
    if isinstance(node, promql_parser.MatrixSelector):
        node = node.vector_selector
    if isinstance(node, promql_parser.VectorSelector):
        names = {node.name} if node.name else {m.value for m in node.matchers.matchers
                                               if m.name == "__name__" and m.op == promql_parser.MatchOp.Equal}
        if not names:
            # a name pattern (a form that carries a label in the metric name, catalog/forms.py): absent when
            # nothing matches; it blocks but names nothing the panel could show (_PATTERN, dropped below)
            patterns = [m.value for m in node.matchers.matchers
                        if m.name == "__name__" and m.op == promql_parser.MatchOp.Re]
            if patterns and not any(re.fullmatch(p, n) for p in patterns for n in inventory):
                return frozenset({_PATTERN + patterns[0]})
        return frozenset(n for n in names if n not in inventory)
    if isinstance(node, promql_parser.BinaryExpr):
        lhs, rhs = _blocking(node.lhs, inventory), _blocking(node.rhs, inventory)
        op = str(node.op)
        if op == "or":
            return lhs | rhs if lhs and rhs else frozenset()
        if op == "unless":
            return lhs
        return lhs | rhs
    if isinstance(node, promql_parser.Call):
        if node.func.name in _NEVER_EMPTY:
            return frozenset()
        return frozenset().union(*(_blocking(a, inventory) for a in node.args if isinstance(a, promql_parser.Expr)))
    inner = getattr(node, "expr", None)
    return _blocking(inner, inventory) if isinstance(inner, promql_parser.Expr) else frozenset()


def blocking_metrics(template: str, inventory: frozenset[str] | None) -> tuple[str, ...]:
    """The absent metrics that explain why a template's query is empty, sorted; () if none do (or the
    inventory is unknown): then an empty answer is a real "no data"."""
    expr = _parsed(template)
    if inventory is None or expr is None:
        return ()
    return tuple(sorted(n for n in _blocking(expr, inventory) if not n.startswith(_PATTERN)))


def panel_blocking_metrics(panel: Panel, inventory: frozenset[str] | None) -> tuple[str, ...]:
    """Absent metrics that make some query of the panel empty (see `blocking_metrics`)."""
    if panel.source != "prometheus":
        return ()
    return tuple(sorted({m for q in panel.queries for m in blocking_metrics(q.expr, inventory)}))


def describe_missing(metrics: tuple[str, ...]) -> str:
    """'Not in the data source: a, b (kube-state-metrics); c (exporter unknown)'."""
    by_exporter: dict[str, list[str]] = {}
    for metric in metrics:
        exporter = exporter_of(metric)
        by_exporter.setdefault(exporter.title if exporter else "exporter unknown", []).append(metric)
    return "Not in the data source: " + "; ".join(f"{', '.join(ms)} ({title})" for title, ms in by_exporter.items())


# ---------------------------------------------------------------------------------------------- report
@dataclasses.dataclass(frozen=True)
class ExporterStatus:
    exporter: Exporter
    found: bool
    metrics_found: int
    forms: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class PageCoverage:
    path: str
    title: str
    panels: int
    panels_complete: int                   # no metric the panel needs is absent (`a or b` needs one of them)
    absent: tuple[tuple[str, str], ...]    # (metric, exporter name) the page needs and lacks

    @property
    def coverage(self) -> float:
        return self.panels_complete / self.panels if self.panels else 1.0


@dataclasses.dataclass(frozen=True)
class Report:
    reachable: bool
    exporters: tuple[ExporterStatus, ...]
    pages: tuple[PageCoverage, ...]

    @property
    def required_missing(self) -> tuple[str, ...]:
        return tuple(s.exporter.name for s in self.exporters if s.exporter.required and not s.found)


def _forms(engine, exporter: Exporter, inventory: frozenset[str]) -> tuple[str, ...]:
    from .engine import QueryPlan
    from .prometheus import QueryResult

    found = []
    now = float(int(time.time()))
    for form in exporter.forms:
        if "{" not in form.selector:
            if form.selector in inventory:
                found.append(form.name)
            continue
        plan = QueryPlan(f"count({form.selector})", now, now, 0)
        outcome = engine.run([plan])[plan]
        if isinstance(outcome, QueryResult) and not outcome.empty:
            found.append(form.name)
    return tuple(found)


def report(engine) -> Report:
    """Exporters found (and their forms) and, per Level 1 page, the metrics needed and absent."""
    inventory = metric_inventory(engine)
    if inventory is None:
        return Report(False, (), ())
    counts: dict[str, int] = {}
    for metric in inventory:
        exporter = exporter_of(metric)
        if exporter is not None:
            counts[exporter.name] = counts.get(exporter.name, 0) + 1
    statuses = tuple(ExporterStatus(e, counts.get(e.name, 0) > 0, counts.get(e.name, 0),
                                    _forms(engine, e, inventory) if counts.get(e.name) else ())
                     for e in EXPORTERS)
    pages = []
    for dashboard in level1():
        panels = [p for p in dashboard.panels if p.source == "prometheus"]
        absent: dict[str, str] = {}
        complete = 0
        for panel in panels:
            lacking = panel_blocking_metrics(panel, inventory)
            complete += not lacking
            for metric in lacking:
                exporter = exporter_of(metric)
                absent[metric] = exporter.name if exporter else "unknown"
        pages.append(PageCoverage(dashboard.path, dashboard.title, len(panels), complete,
                                  tuple(sorted(absent.items(), key=lambda kv: (kv[1], kv[0])))))
    tiles_lacking: dict[str, str] = {}
    for tile in TILES:
        for signal in tile.signals:
            for metric in blocking_metrics(signal.expr, inventory):
                exporter = exporter_of(metric)
                tiles_lacking[metric] = exporter.name if exporter else "unknown"
    signals = sum(len(t.signals) for t in TILES)
    complete_signals = sum(1 for t in TILES for s in t.signals if not blocking_metrics(s.expr, inventory))
    pages.insert(0, PageCoverage("/", "Overview tiles (signals)", signals, complete_signals,
                                 tuple(sorted(tiles_lacking.items(), key=lambda kv: (kv[1], kv[0])))))
    return Report(True, statuses, tuple(pages))


def report_text(rep: Report) -> str:
    """The report as plain text tables (what `dataops-monitor doctor` prints)."""
    if not rep.reachable:
        return "The data source could not be read (metric names unavailable)."
    lines = ["Exporters", f"{'exporter':<22} {'status':<8} {'metrics':>7}  {'required':<8}  form"]
    for s in rep.exporters:
        lines.append(f"{s.exporter.name:<22} {'found' if s.found else 'absent':<8} {s.metrics_found:>7}  "
                     f"{'yes' if s.exporter.required else '':<8}  {', '.join(s.forms) or '-'}")
    lines += ["", "Coverage per page (panels whose metrics all exist)",
              f"{'page':<12} {'panels':>6} {'complete':>8} {'coverage':>8}"]
    for p in rep.pages:
        lines.append(f"{p.path:<12} {p.panels:>6} {p.panels_complete:>8} {p.coverage:>8.0%}")
    for p in rep.pages:
        if p.absent:
            lines += ["", f"{p.path}: metrics needed and absent"]
            lines += [f"  {metric}  ({exporter})" for metric, exporter in p.absent]
    missing = rep.required_missing
    lines += ["", f"Required exporters missing: {', '.join(missing)}" if missing else "Every required exporter was found."]
    return "\n".join(lines)


def doctor(settings) -> int:
    """`dataops-monitor doctor`: print the report; 0 when every required exporter is there, else 1.

    Raises SettingsError when no data source URL is set."""
    from .engine import QueryEngine
    from .prometheus import PrometheusClient
    from .settings import SettingsError

    if not settings.prometheus_url:
        raise SettingsError("DATAOPS_PROMETHEUS_URL is not set (or pass --url)")
    client = PrometheusClient(settings.prometheus_url, settings.query_timeout_seconds, settings.thanos_params)
    engine = QueryEngine(client, None, cluster_label=settings.cluster_label,
                         critical_services=settings.critical_services)
    rep = report(engine)
    print(f"Data source: {settings.prometheus_url} (cluster label: {settings.cluster_label})")
    print(report_text(rep))
    return 0 if rep.reachable and not rep.required_missing else 1
