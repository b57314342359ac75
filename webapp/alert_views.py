"""What /alerts and /slo show, computed without Dash: alert filters and SLO status.

Alerts come from the rule evaluator's /api/v1/alerts (the client); silences from Alertmanager when
configured. SLO numbers are computed from the raw SLI expressions of catalog/alerts.py through
the query engine (cached, concurrent), so the page works at once after Prometheus starts and over
backfilled history; the recorded `slo:*` series serve alerting and external dashboards.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping

from .catalog.alerts import SLO, SLOS
from .catalog.overview import TILES
from .engine import QueryEngine, QueryPlan
from .alertmanager_client import AlertmanagerError, Silence, parse_silences, select_silences
from .prometheus import ActiveAlert, PrometheusError, QueryResult, parse_alerts
from .rules import PAGE_WINDOWS, SEVERITIES, parse_slo_window
from .sources.alertmanager import Silences
from .sources.alerts import AlertList
from .sources.base import SourceError
from .viewstate import ViewState

DOMAINS = tuple(t.domain for t in TILES)
DOMAIN_PATHS = {t.domain: t.path for t in TILES} | {"slo": "/slo"}
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
FILTERS = {"severity": SEVERITIES, "domain": DOMAINS}


# ---------------------------------------------------------------- alerts
@dataclasses.dataclass(frozen=True)
class AlertFilters:
    severity: tuple[str, ...] = ()  # empty: all
    domain: tuple[str, ...] = ()

    def accepts(self, alert: ActiveAlert) -> bool:
        return ((not self.severity or alert.labels.get("severity") in self.severity)
                and (not self.domain or alert.labels.get("domain") in self.domain))

    def params(self) -> list[tuple[str, str]]:
        return [("severity", s) for s in self.severity] + [("domain", d) for d in self.domain]


def _as_list(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return [value] if isinstance(value, str) else []


def parse_filters(params: Mapping[str, object]) -> tuple[AlertFilters, dict, list[str]]:
    """Split `severity`/`domain` (repeatable, allow-listed) from the other URL parameters."""
    notes: list[str] = []
    chosen: dict[str, tuple[str, ...]] = {}
    for name, allowed in FILTERS.items():
        values = []
        for value in _as_list(params.get(name)):
            if value in allowed:
                if value not in values:
                    values.append(value)
            elif value not in ("", "All"):
                notes.append(f"Ignored {name} {value[:40]!r} (one of: {', '.join(allowed)}).")
        chosen[name] = tuple(sorted(values, key=allowed.index))
    rest = {k: v for k, v in params.items() if k not in FILTERS}
    return AlertFilters(chosen["severity"], chosen["domain"]), rest, notes


def is_firing(alert: ActiveAlert) -> bool:
    """The one definition of a firing alert, for /alerts' counts and the Level 0 tiles' alike."""
    return alert.state == "firing"


def count_firing(alerts: Iterable[ActiveAlert]) -> dict[str, int]:
    """Firing alerts per `domain` label (the generated rules label every alert with its domain)."""
    counts: dict[str, int] = {}
    for alert in alerts:
        if is_firing(alert):
            domain = alert.labels.get("domain", "")
            counts[domain] = counts.get(domain, 0) + 1
    return counts


def firing_by_domain(engine: QueryEngine) -> dict[str, int]:
    """Firing alerts per domain from the alert list /alerts shows, in the request's tenant scope.

    Raises SourceError when the alert list is unavailable (or forbidden)."""
    answer = engine.fetch_many([("alerts", AlertList())])[0]
    if isinstance(answer, SourceError):
        raise answer
    return count_firing(parse_alerts(answer))


def active_alerts(engine: QueryEngine) -> tuple[list[ActiveAlert], list[Silence] | None, str | None]:
    """(alerts, silences, silence_error) for the request's tenant scope, through the engine.

    Alerts: those whose labels the scope selects; silences: None when Alertmanager is not configured
    or the scope may not see them, else the active and pending ones. Raises SourceError when the
    alert list itself is unavailable (or forbidden)."""
    wanted = [("alerts", AlertList())] + ([("alertmanager", Silences())] if "alertmanager" in engine.sources else [])
    answers = engine.fetch_many(wanted)
    if isinstance(answers[0], SourceError):
        raise answers[0]
    alerts = parse_alerts(answers[0])
    silences, silence_error = None, None
    if len(answers) > 1:
        if isinstance(answers[1], SourceError):
            silence_error = None if answers[1].kind == "forbidden" else answers[1].message
        else:
            try:
                silences = select_silences(parse_silences(answers[1]))
            except AlertmanagerError as exc:
                silence_error = str(exc)
    return alerts, silences, silence_error


def sort_alerts(alerts: Iterable[ActiveAlert]) -> list[ActiveAlert]:
    """Firing before pending, most severe first, oldest first."""
    return sorted(alerts, key=lambda a: (not is_firing(a), SEVERITY_RANK.get(a.labels.get("severity", ""), 9),
                                         a.active_at if not math.isnan(a.active_at) else math.inf, a.name))


def alert_page_path(alert: ActiveAlert) -> str | None:
    """The app page that explains an alert: from its domain label (never from an annotation URL)."""
    if alert.labels.get("slo"):
        return "/slo"
    return DOMAIN_PATHS.get(alert.labels.get("domain", ""))


# ---------------------------------------------------------------- SLOs
@dataclasses.dataclass(frozen=True)
class SLOStatus:
    slo: SLO
    error_ratio: float                 # over the SLO window; NaN when unknown
    burn_rates: dict[str, float]       # window -> burn rate (1 = exactly the sustainable rate)
    history: QueryResult | None        # budget left over the view's range
    error: str | None = None

    @property
    def window_seconds(self) -> int:
        return parse_slo_window(self.slo.window)

    @property
    def sli(self) -> float:
        return 1 - self.error_ratio

    @property
    def budget_left(self) -> float:
        """Share of the error budget left (1 = untouched, 0 = spent, negative = overspent)."""
        return 1 - self.error_ratio / self.slo.budget

    @property
    def budget_left_seconds(self) -> float:
        """The budget left as time at a 100% error rate (availability: downtime left)."""
        return self.budget_left * self.slo.budget * self.window_seconds

    @property
    def exhaustion_seconds(self) -> float | None:
        """When the budget runs out at the current (1 h) burn rate: 0 spent, None not burning/unknown."""
        if math.isnan(self.error_ratio):
            return None
        if self.budget_left <= 0:
            return 0.0
        rate = self.burn_rates.get("1h", math.nan)
        if math.isnan(rate) or rate <= 0:
            return None
        return self.budget_left * self.window_seconds / rate


def _first(result) -> float:
    if isinstance(result, QueryResult) and result.series:
        return result.series[0].last
    return math.nan


def evaluate_slos(engine: QueryEngine, view: ViewState, history_points: int = 48) -> list[SLOStatus]:
    """Every SLO's status at the view's end, sorted by budget left (least first, unknown last)."""
    tr = view.time_range
    at = (tr.end // 15) * 15
    step = tr.step_for(history_points, 60)
    start, end = tr.aligned(step)
    plans: dict[tuple[str, str], QueryPlan] = {}
    for slo in SLOS:
        plans[(slo.key, "period")] = QueryPlan(slo.error_ratio_expr(slo.window), at, at, 0)
        for w in PAGE_WINDOWS:
            plans[(slo.key, w)] = QueryPlan(slo.error_ratio_expr(w), at, at, 0)
        plans[(slo.key, "history")] = QueryPlan(
            f"1 - ({slo.error_ratio_expr(slo.window)}) / {slo.budget:.6g}", start, max(end, start + step), step)
    outcomes = engine.run(plans.values())
    statuses = []
    for slo in SLOS:
        period = outcomes[plans[(slo.key, "period")]]
        error = period.user_message if isinstance(period, PrometheusError) else None
        burn = {w: _first(outcomes[plans[(slo.key, w)]]) / slo.budget for w in PAGE_WINDOWS}
        history = outcomes[plans[(slo.key, "history")]]
        statuses.append(SLOStatus(slo, _first(period), burn, history if isinstance(history, QueryResult) else None,
                                  error))
    return sorted(statuses, key=lambda s: (math.isnan(s.error_ratio), s.budget_left if not math.isnan(s.error_ratio)
                                           else 0, s.slo.key))
