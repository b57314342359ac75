"""Runs catalog entries for a view: panels to data, tiles to health verdicts."""
from __future__ import annotations

import dataclasses
import math

from .catalog.model import PRIORITY_NAME, Link, Panel, Signal, Threshold, Tile
from .engine import Outcome, QueryEngine, QueryPlan, plan_query
from .prometheus import PrometheusError, QueryResult
from .promql import TemplateError
from .restpanels import RestPanelData
from .sources.base import SourceError
from .viewstate import ViewState

Extra = dict[str, tuple[str, tuple[str, ...]]]
SEVERITY_ORDER = {"unknown": 0, "ok": 1, "warning": 2, "critical": 3}


@dataclasses.dataclass(frozen=True)
class PanelData:
    """What a renderer needs: the panel and one outcome per query (result or error)."""

    panel: Panel
    outcomes: tuple[Outcome, ...]
    missing: tuple[str, ...] = ()   # metrics the panel reads that the data source does not have
    annotations: tuple = ()         # AnnotationOutcome each (webapp/annotations.py): the panel's event markers

    @property
    def error(self) -> str | None:
        errors = [o for o in self.outcomes if isinstance(o, (PrometheusError, TemplateError))]
        if errors and len(errors) == len(self.outcomes):
            first = errors[0]
            return first.user_message if isinstance(first, PrometheusError) else "Invalid query for this view"
        return None

    @property
    def results(self) -> list[QueryResult | None]:
        return [o if isinstance(o, QueryResult) else None for o in self.outcomes]

    @property
    def warnings(self) -> tuple[str, ...]:
        notes = [w for r in self.results if r for w in r.warnings]
        failed = sum(1 for o in self.outcomes if not isinstance(o, QueryResult))
        if failed and failed < len(self.outcomes):
            notes.append(f"{failed} of {len(self.outcomes)} queries failed")
        return tuple(dict.fromkeys(notes))

    @property
    def empty(self) -> bool:
        return all(r is None or r.empty for r in self.results)

    @property
    def state(self) -> str:
        """ok | empty | error | missing (empty because a metric it reads does not exist)."""
        if self.error:
            return "error"
        if self.empty:
            return "missing" if self.missing else "empty"
        return "ok"

    @property
    def missing_text(self) -> str:
        from .datasources import describe_missing
        return describe_missing(self.missing) if self.state == "missing" else ""


def _plan(template: str, view: ViewState, instant: bool, panel_points: int, min_step: int,
          extra: Extra | None) -> QueryPlan | TemplateError:
    try:
        return plan_query(template, view, instant, panel_points, min_step, extra)
    except TemplateError as exc:
        return exc


def run_panels(engine: QueryEngine, panels: list[Panel], view: ViewState,
               extra: Extra | None = None) -> dict[str, PanelData | RestPanelData]:
    """Plan every query of every panel, run them together, and group outcomes per panel.

    REST panels (Spark History Server, Airflow) go through the same engine (tenant scope, pool,
    metrics) at the same time as the PromQL ones.
    """
    from .annotations import plan_annotations
    from .restpanels import rest_panel_data, rest_request
    promql_panels = [p for p in panels if p.source == "prometheus"]
    rest_panels = [p for p in panels if p.source != "prometheus"]
    path_values = {name: values[0] for name, (_, values) in (extra or {}).items() if values}
    rest_requests = {p.id: rest_request(p, path_values) for p in rest_panels}
    sendable = [(p, r) for p in rest_panels if not isinstance(r := rest_requests[p.id], RestPanelData)]
    scope = engine.current_scope()  # once, in the request's thread
    rest_started = engine.submit_many(((p.source, r) for p, r in sendable), scope)  # beside the PromQL ones
    planned = {p.id: [_plan(q.expr, view, p.instant, p.max_points, p.min_step, extra) for q in p.queries]
               for p in promql_panels}
    # Annotation queries go with the panels' (one run: concurrent, and sent once for the whole page).
    marked = {p.id: plan_annotations(p, view, extra) for p in promql_panels if p.annotations}
    outcomes = engine.run([plan for plans in planned.values() for plan in plans if isinstance(plan, QueryPlan)]
                          + [a.plan for items in marked.values() for a in items if isinstance(a.plan, QueryPlan)],
                          scope)
    data: dict[str, PanelData | RestPanelData] = {
        p.id: PanelData(p, tuple(outcomes[plan] if isinstance(plan, QueryPlan) else plan
                                 for plan in planned[p.id]),
                        annotations=tuple(dataclasses.replace(a, outcome=outcomes.get(a.plan)) if isinstance(
                            a.plan, QueryPlan) else a for a in marked.get(p.id, ())))
        for p in promql_panels
    }
    _mark_missing(engine, data)
    for p in rest_panels:
        if isinstance(rest_requests[p.id], RestPanelData):
            data[p.id] = rest_requests[p.id]
    for (p, request), answer in zip(sendable, engine.answers(rest_started)):
        data[p.id] = rest_panel_data(p, request, answer)
    return {p.id: data[p.id] for p in panels}


def _mark_missing(engine: QueryEngine, data: dict) -> None:
    """Empty panels whose metrics the data source lacks are `missing`, naming them (one inventory call,
    cached, only when some panel came back empty)."""
    from .datasources import metric_inventory, panel_blocking_metrics
    empty = [pid for pid, d in data.items() if isinstance(d, PanelData) and d.empty and not d.error]
    if not empty:
        return
    inventory = metric_inventory(engine)
    for pid in empty:
        lacking = panel_blocking_metrics(data[pid].panel, inventory)
        if lacking:
            data[pid] = dataclasses.replace(data[pid], missing=lacking)


def entity_exists(engine: QueryEngine, dashboard, view: ViewState, path_values: dict[str, str]) -> bool | None:
    """True/False from the dashboard's existence query and its REST sources, within the request's
    tenant scope; None when the data sources cannot tell. An entity outside the scope is False,
    exactly like one that does not exist (no hint that it does)."""
    from .restpanels import RESOURCES
    from .sources.base import SourceError

    scope = engine.current_scope()
    if scope is None:
        return False
    verdict = None
    if dashboard.exists_query:
        # A path variable an older, shorter path did not give matches everything.
        extra = {name: (label, (path_values[name],) if path_values.get(name) else ())
                 for name, label in dashboard.path_variables}
        try:
            plan = plan_query(dashboard.exists_query, view, True, extra=extra)
        except TemplateError:
            return False
        outcome = engine.run([plan], scope)[plan]
        if isinstance(outcome, QueryResult):
            if outcome.empty:
                return False
            verdict = True
        elif isinstance(outcome, SourceError) and outcome.kind in ("forbidden", "not_found"):
            return False
    if scope:  # each REST source of the page judges its own entity by its own fields
        for panel in dashboard.panels:
            source = engine.sources.get(panel.source) if panel.source != "prometheus" else None
            if source is None:
                continue
            variable, _ = RESOURCES[panel.source][panel.queries[0].expr]
            try:
                if source.visible(path_values[variable], scope) is False:
                    return False
            except SourceError:
                continue  # the source is down: its panels say so
    return verdict


PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITY_NAME)}  # P1 (Critical) first


@dataclasses.dataclass(frozen=True)
class Problem:
    """One entity of a signal in breach of its threshold."""

    threshold_key: str
    title: str
    entity: str
    value: float
    severity: str
    priority: str = "P4"
    labels: tuple[tuple[str, str], ...] = ()   # the series' labels, for its Level 2 link
    link: Link | None = None                   # the signal's Level 2 page (None: the tile's Level 1 page)

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One signal of a tile: how many of its entities breach, out of how many it measured."""

    signal: Signal
    breaching: tuple[Problem, ...]    # worst first
    total: int                        # entities (series) the signal measured

    @property
    def priority(self) -> str:
        return self.signal.threshold.priority


def excess(threshold: Threshold, value: float) -> float:
    """How far past its threshold a value is, relative to the threshold (0 at the threshold)."""
    base = abs(threshold.value) or 1.0
    gap = value - threshold.value if threshold.direction == "above" else threshold.value - value
    return gap / base


def problem_rank(problem: Problem, threshold: Threshold | None = None) -> tuple:
    """Sort key: the design's priority first (P1 before P4), then the furthest past its threshold."""
    beyond = excess(threshold, problem.value) if threshold is not None and problem.value == problem.value else 0.0
    return PRIORITY_RANK.get(problem.priority, 9), -beyond, problem.entity


def verdict_rank(verdict: Verdict) -> tuple:
    """Sort key: priority, then the most entities in breach, then the largest share in breach."""
    n = len(verdict.breaching)
    return (PRIORITY_RANK.get(verdict.priority, 9), -n, -(n / verdict.total if verdict.total else 0),
            verdict.signal.threshold.key)


@dataclasses.dataclass(frozen=True)
class TileHealth:
    tile: Tile
    status: str                   # ok | warning | critical | unknown
    figure: float                 # NaN when unknown
    sparkline: QueryResult | None
    problems: tuple[Problem, ...]  # every breaching entity, worst first (see problem_rank)
    signals_with_data: int
    firing_alerts: int | None = None   # the alert list's firing alerts of this domain (as /alerts counts them)
    signals_missing: int = 0      # signals whose metrics the data source lacks: counted unknown, never ok
    verdicts: tuple[Verdict, ...] = ()  # signals with entities in breach, worst first (see verdict_rank)


def judge(signal: Signal, result: QueryResult) -> list[Problem]:
    """Entities of a signal's result that breach its threshold, worst first."""
    t = signal.threshold
    problems = []
    for series in result.series:
        value = series.last
        if t.breached(value):
            entity = series.labels.get(signal.entity, "") or ",".join(f"{k}={v}" for k, v in series.labels.items())
            problems.append(Problem(t.key, t.title, entity, value, t.severity, t.priority,
                                    tuple(sorted(series.labels.items())), signal.link))
    return sorted(problems, key=lambda p: problem_rank(p, t))


def outcome_of(plans, outcomes, key) -> QueryResult | None:
    plan = plans.get(key)
    result = outcomes.get(plan) if isinstance(plan, QueryPlan) else None
    return result if isinstance(result, QueryResult) else None


def _firing_by_domain(engine: QueryEngine) -> dict[str, int] | None:
    """Firing alerts per domain from the alert list /alerts shows (None when it is unavailable)."""
    from .alert_views import firing_by_domain
    try:
        return firing_by_domain(engine)
    except SourceError:
        return None


def evaluate_tiles(engine: QueryEngine, tiles: tuple[Tile, ...], view: ViewState) -> list[TileHealth]:
    """Health of each tile: the worst verdict of its signals; unknown when none has data."""
    plans: dict[tuple[str, str, int], QueryPlan | TemplateError] = {}
    for tile in tiles:
        plans[(tile.domain, "figure", 0)] = _plan(tile.figure.expr, view, True, 1, 15, None)
        plans[(tile.domain, "spark", 0)] = _plan(tile.sparkline.expr, view, False, 60, 60, None)
        for i, signal in enumerate(tile.signals):
            plans[(tile.domain, "signal", i)] = _plan(signal.expr, view, True, 1, 15, None)
    outcomes = engine.run(p for p in plans.values() if isinstance(p, QueryPlan))
    firing = _firing_by_domain(engine) if "alerts" in engine.sources else None

    def outcome(key) -> QueryResult | None:
        plan = plans[key]
        result = outcomes.get(plan) if isinstance(plan, QueryPlan) else None
        return result if isinstance(result, QueryResult) else None

    from .datasources import blocking_metrics, metric_inventory
    inventory: list = []   # read once, only if some signal is empty

    def lacking(signal: Signal) -> tuple[str, ...]:
        if not inventory:
            inventory.append(metric_inventory(engine))
        return blocking_metrics(signal.expr, inventory[0])

    healths = []
    for tile in tiles:
        verdicts: list[Verdict] = []
        with_data = 0
        n_missing = 0
        for i, signal in enumerate(tile.signals):
            result = outcome((tile.domain, "signal", i))
            if result is not None and not result.empty:
                with_data += 1
                breaching = judge(signal, result)
                if breaching:
                    verdicts.append(Verdict(signal, tuple(breaching), len(result.series)))
            elif lacking(signal):
                n_missing += 1
        verdicts.sort(key=verdict_rank)
        thresholds = {v.signal.threshold.key: v.signal.threshold for v in verdicts}
        problems = sorted((p for v in verdicts for p in v.breaching),
                          key=lambda p: problem_rank(p, thresholds[p.threshold_key]))
        if problems:
            status = max((p.severity for p in problems), key=SEVERITY_ORDER.__getitem__)
        elif with_data == 0 or n_missing:
            status = "unknown"
        else:
            status = "ok"
        figure_result = outcome((tile.domain, "figure", 0))
        figure = figure_result.series[0].last if figure_result and figure_result.series else math.nan
        healths.append(TileHealth(tile, status, figure, outcome((tile.domain, "spark", 0)),
                                  tuple(problems), with_data,
                                  None if firing is None else firing.get(tile.domain, 0), n_missing,
                                  tuple(verdicts)))
    return healths
