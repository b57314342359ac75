"""Query planning and execution: templates -> escaped PromQL -> cached, concurrent queries.

Identical queries of one page are sent once; ranges are aligned to the step so the cache (and
Thanos Query Frontend) hit; a failure stays with the query that failed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Iterable

from .labelnames import DEFAULT_CLUSTER_LABEL, rename_label, rename_result_labels
from .metrics import AppMetrics
from .prometheus import PrometheusClient, PrometheusError, QueryResult
from .promql import TemplateError, render, template_variables
from .telemetry import ContextExecutor
from .tenancy import ScopeError, scope_query
from .viewstate import ViewState

log = logging.getLogger(__name__)
INSTANT_ALIGN = 15  # seconds: instant queries "at now" share a cache entry for this long


@dataclasses.dataclass(frozen=True)
class QueryPlan:
    """One concrete query: PromQL plus its time parameters (step 0 = instant at `end`)."""

    promql: str
    start: float
    end: float
    step: int

    @property
    def instant(self) -> bool:
        return self.step == 0

    def cache_key(self, datasource: str) -> str:
        raw = f"{datasource}|{self.promql}|{self.start:.0f}|{self.end:.0f}|{self.step}"
        return "q:" + hashlib.sha256(raw.encode()).hexdigest()


Outcome = QueryResult | PrometheusError | TemplateError


def plan_query(template: str, view: ViewState, instant: bool, max_points: int = 300, min_step: int = 15,
               extra: dict[str, tuple[str, tuple[str, ...]]] | None = None) -> QueryPlan:
    """Fill a template for a view; raises TemplateError."""
    selections = view.selections(v for v in template_variables(template) if v not in (extra or {}))
    selections.update(extra or {})
    tr = view.time_range
    step = tr.step_for(max_points, min_step)
    start, end = tr.aligned(step)
    if end <= start:
        start = end - step
    promql = render(template, selections, range_seconds=tr.seconds, step_seconds=step)
    if instant:
        at = (tr.end // INSTANT_ALIGN) * INSTANT_ALIGN
        return QueryPlan(promql, at, at, 0)
    return QueryPlan(promql, start, end, step)


class QueryEngine:
    """Runs query plans concurrently through the cache and the one Prometheus client."""

    def __init__(self, client: PrometheusClient, cache=None, max_workers: int = 8,
                 metrics: AppMetrics | None = None, datasource_key: str = "", scope=None,
                 cluster_label: str = DEFAULT_CLUSTER_LABEL):
        self.client = client
        # The data source's name for the catalog's `cluster` label (labelnames.py).
        self.cluster_label = cluster_label
        # Tenant scope of the current request: () = everything, matchers = scoped, None = nothing.
        self.current_scope = scope or (lambda: ())
        self.cache = cache
        self.metrics = metrics
        self.datasource_key = datasource_key or client.url + repr(sorted(client.thanos_params.items()))
        # Tasks keep the request's context: its id goes upstream and its metrics are counted.
        self._pool = ContextExecutor(max_workers=max_workers, thread_name_prefix="promql")

    def _ttl(self, plan: QueryPlan) -> int:
        now = time.time()
        if plan.end < now - 3600:
            return 3600  # the past does not change
        return max(INSTANT_ALIGN, min(plan.step, 60)) if plan.step else INSTANT_ALIGN

    def _execute(self, plan: QueryPlan) -> Outcome:
        key = plan.cache_key(self.datasource_key)
        if self.cache is not None:
            cached = self.cache.get(key)
            if cached is not None:
                if self.metrics:
                    self.metrics.cache_hits.inc()
                return cached
            if self.metrics:
                self.metrics.cache_misses.inc()
        started = time.perf_counter()
        try:
            if plan.instant:
                result = self.client.query(plan.promql, at=plan.end)
            else:
                result = self.client.query_range(plan.promql, plan.start, plan.end, plan.step)
        except PrometheusError as exc:
            if self.metrics:
                self.metrics.query_errors.labels(exc.kind).inc()
            log.warning("query failed (%s): %s", exc.kind, plan.promql[:200])
            return exc
        finally:
            if self.metrics:
                self.metrics.query_seconds.observe(time.perf_counter() - started)
        # Never cache partial answers: the next refresh should try for a complete one.
        if self.cache is not None and not result.warnings:
            self.cache.set(key, result, timeout=self._ttl(plan))
        return result

    def _scoped(self, plan: QueryPlan, scope) -> QueryPlan | PrometheusError:
        if scope is None:
            return PrometheusError("forbidden", "your portal groups do not grant access to this data")
        if not scope:
            return plan
        try:
            return dataclasses.replace(plan, promql=scope_query(plan.promql, scope))
        except ScopeError:
            log.error("query refused: tenant matchers could not be added: %s", plan.promql[:200])
            return PrometheusError("forbidden", "this query could not be limited to your data")

    def _renamed(self, plan: QueryPlan) -> QueryPlan | TemplateError:
        """The plan in the data source's label names (the catalog writes `cluster`)."""
        if self.cluster_label == DEFAULT_CLUSTER_LABEL:
            return plan
        try:
            return dataclasses.replace(plan, promql=rename_label(plan.promql, DEFAULT_CLUSTER_LABEL,
                                                                 self.cluster_label))
        except TemplateError as exc:
            log.error("query refused: %s: %s", exc, plan.promql[:200])
            return exc

    def _answer(self, outcome: Outcome) -> Outcome:
        if isinstance(outcome, QueryResult) and self.cluster_label != DEFAULT_CLUSTER_LABEL:
            return rename_result_labels(outcome, self.cluster_label, DEFAULT_CLUSTER_LABEL)
        return outcome

    def run(self, plans: Iterable[QueryPlan]) -> dict[QueryPlan, Outcome]:
        """Execute every distinct plan once, concurrently, within the request's tenant scope."""
        unique = list(dict.fromkeys(plans))
        scope = self.current_scope()  # read here, in the request's thread
        scoped: dict[QueryPlan, Outcome | QueryPlan] = {}
        for plan in unique:
            renamed = self._renamed(plan)
            scoped[plan] = self._scoped(renamed, scope) if isinstance(renamed, QueryPlan) else renamed
        futures = {plan: self._pool.submit(self._execute, s) for plan, s in scoped.items()
                   if isinstance(s, QueryPlan)}
        return {plan: self._answer(futures[plan].result()) if plan in futures else scoped[plan] for plan in unique}

    def label_values(self, label: str, match: list[str], start: float, end: float) -> list[str]:
        """Label values for pickers, cached briefly, within the request's tenant scope."""
        scope = self.current_scope()
        if scope is None:
            return []
        if self.cluster_label != DEFAULT_CLUSTER_LABEL:
            try:
                match = [rename_label(m, DEFAULT_CLUSTER_LABEL, self.cluster_label) for m in match]
            except TemplateError:
                return []
            if label == DEFAULT_CLUSTER_LABEL:
                label = self.cluster_label
        if scope:
            try:
                match = [scope_query(m, scope) for m in match]
            except ScopeError:
                return []
        key = "lv:" + hashlib.sha256(f"{self.datasource_key}|{label}|{match}|{int(start) // 300}".encode()).hexdigest()
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            return hit
        values = self.client.label_values(label, match=match, start=start, end=end)
        if self.cache is not None:
            self.cache.set(key, values, timeout=60)
        return values
