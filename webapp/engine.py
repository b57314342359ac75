"""Query planning and execution: templates -> escaped PromQL; every request to every data source
(`webapp.sources`) -> tenant scope -> cache (JSON, single-flight) -> source, concurrently.

Identical queries of one page are sent once; ranges are aligned to the step so the cache (and
Thanos Query Frontend) hit; a failure stays with the query that failed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Iterable

from .labelnames import (CRITICAL_SERVICES, DEFAULT_CLUSTER_LABEL, rename_label, rename_result_labels,
                         replace_critical_services)
from .metrics import AppMetrics
from .prometheus import PrometheusClient, PrometheusError, QueryResult, parse_response
from .promql import TemplateError, render, template_variables
from .sources.base import SourceError, forbidden
from .sources.prometheus import INSTANT_ALIGN
from .telemetry import ContextExecutor
from .tenancy import Scope
from .viewstate import ViewState

log = logging.getLogger(__name__)
_UNSET = object()


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
    """The one way to any data source: tenant scope -> cache (single-flight) -> source, on a worker pool.

    `sources`: name -> DataSource (`webapp.sources`); Prometheus is always there. `scope`: a callable
    giving the current request's tenant scope (`()` everything, matchers scoped, None nothing).
    """

    def __init__(self, client: PrometheusClient, cache=None, max_workers: int = 8,
                 metrics: AppMetrics | None = None, datasource_key: str = "", scope=None, sources=None,
                 cluster_label: str = DEFAULT_CLUSTER_LABEL, critical_services: str = CRITICAL_SERVICES):
        from .sources.cache import JsonCache, NullBackend
        from .sources.prometheus import PrometheusSource

        self.client = client
        # The data source's name for the catalog's `cluster` label (labelnames.py).
        self.cluster_label = cluster_label
        # The platform's matchers for the design's critical services (labelnames.CRITICAL_SERVICES).
        self.critical_services = critical_services
        # Tenant scope of the current request: () = everything, matchers = scoped, None = nothing.
        self.current_scope = scope or (lambda: ())
        # No cache given: nothing is kept, but concurrent identical requests still go out once.
        self.cache = cache if cache is not None else JsonCache(NullBackend())
        self.metrics = metrics
        self.sources = dict(sources or {})
        self.sources.setdefault("prometheus", PrometheusSource(client, datasource_key))
        self.datasource_key = self.sources["prometheus"].key
        # Tasks keep the request's context: its id goes upstream and its metrics are counted.
        self.pool = self._pool = ContextExecutor(max_workers=max_workers, thread_name_prefix="source")

    # ---------------------------------------------------------------- the one path
    def scoped(self, source: str, request, scope=_UNSET):
        """`request` narrowed to the tenant scope; raises SourceError (forbidden / not_found)."""
        scope = self.current_scope() if scope is _UNSET else scope
        src = self.sources.get(source)
        if src is None:
            raise SourceError("not_configured", f"{source} is not configured")
        if scope is None:
            raise forbidden(src.title)
        return src.scope(request, Scope(scope) if not isinstance(scope, Scope) else scope)

    def execute(self, source: str, request):
        """Cache (single-flight) then the source, for an already scoped request; raises SourceError."""
        src = self.sources[source]
        key = src.cache_key(request)
        started = time.perf_counter()
        try:
            if key is None:
                return src.fetch(request)
            digest = "src:" + hashlib.sha256(f"{source}|{key}".encode()).hexdigest()
            answer, hit = self.cache.get_or_fetch(digest, lambda: src.fetch(request), src.ttl(request),
                                                  src.cacheable)
            if self.metrics:
                (self.metrics.cache_hits if hit else self.metrics.cache_misses).labels(source).inc()
            return answer
        except SourceError as exc:
            if self.metrics:
                self.metrics.query_errors.labels(exc.kind, source).inc()
            log.warning("%s request failed (%s)", source, exc.kind)
            raise
        finally:
            if self.metrics:
                self.metrics.query_seconds.labels(source).observe(time.perf_counter() - started)

    def fetch(self, source: str, request, scope=_UNSET):
        """One request through the whole path (in the calling thread); raises SourceError."""
        return self.execute(source, self.scoped(source, request, scope))

    def submit_many(self, items, scope=_UNSET) -> list:
        """[(source, request), ...] -> a Future or a SourceError each, in order: started on the pool.

        The scope is read once, here, in the request's thread (worker threads have no request)."""
        scope = self.current_scope() if scope is _UNSET else scope
        started = []
        for source, request in items:
            try:
                scoped = self.scoped(source, request, scope)
            except SourceError as exc:
                started.append(exc)
                continue
            started.append(self.pool.submit(self._safe_execute, source, scoped))
        return started

    @staticmethod
    def answers(started: list) -> list:
        """The answers (or SourceErrors) of `submit_many`, waiting for each."""
        return [f if isinstance(f, SourceError) else f.result() for f in started]

    def fetch_many(self, items, scope=_UNSET) -> list:
        """[(source, request), ...] -> answers or SourceErrors, in order, concurrently on the pool."""
        return self.answers(self.submit_many(items, scope))

    def _safe_execute(self, source: str, request):
        try:
            return self.execute(source, request)
        except SourceError as exc:
            return exc

    # ---------------------------------------------------------------- PromQL
    def _renamed(self, plan: QueryPlan) -> QueryPlan | TemplateError:
        """The plan in the data source's label names (the catalog writes `cluster`) and with the
        platform's critical services (the catalog writes the design's `job="platform-critical"`)."""
        if self.cluster_label == DEFAULT_CLUSTER_LABEL and self.critical_services == CRITICAL_SERVICES:
            return plan
        try:
            promql = replace_critical_services(plan.promql, self.critical_services)
            if self.cluster_label != DEFAULT_CLUSTER_LABEL:
                promql = rename_label(promql, DEFAULT_CLUSTER_LABEL, self.cluster_label)
            return dataclasses.replace(plan, promql=promql)
        except TemplateError as exc:
            log.error("query refused: %s: %s", exc, plan.promql[:200])
            return exc

    def _answer(self, outcome: Outcome) -> Outcome:
        if isinstance(outcome, QueryResult) and self.cluster_label != DEFAULT_CLUSTER_LABEL:
            return rename_result_labels(outcome, self.cluster_label, DEFAULT_CLUSTER_LABEL)
        return outcome

    def as_sent(self, plan: QueryPlan, scope=_UNSET) -> QueryPlan:
        """The plan exactly as `run` sends it: the data source's label names, the request's tenant
        scope. Raises TemplateError (cannot be renamed) or SourceError (forbidden, cannot be scoped)."""
        renamed = self._renamed(plan)
        if isinstance(renamed, TemplateError):
            raise renamed
        return self.scoped("prometheus", renamed, scope)

    def run(self, plans: Iterable[QueryPlan], scope=_UNSET) -> dict[QueryPlan, Outcome]:
        """Execute every distinct plan once, concurrently, within the request's tenant scope."""
        unique = list(dict.fromkeys(plans))
        renamed = {plan: self._renamed(plan) for plan in unique}
        sendable = [plan for plan in unique if isinstance(renamed[plan], QueryPlan)]
        answers = self.fetch_many((("prometheus", renamed[plan]) for plan in sendable), scope)
        out: dict[QueryPlan, Outcome] = {plan: renamed[plan] for plan in unique if plan not in sendable}
        for plan, answer in zip(sendable, answers):
            if isinstance(answer, SourceError):
                out[plan] = answer if isinstance(answer, PrometheusError) else PrometheusError(
                    answer.kind, answer.message, answer.status)
                continue
            try:
                out[plan] = self._answer(parse_response(plan.promql, answer))
            except PrometheusError as exc:
                out[plan] = exc
        return {plan: out[plan] for plan in unique}

    def label_values(self, label: str, match: list[str], start: float, end: float) -> list[str]:
        """Label values for pickers, cached briefly, within the request's tenant scope."""
        from .sources.prometheus import LabelValues

        if self.cluster_label != DEFAULT_CLUSTER_LABEL:
            try:
                match = [rename_label(m, DEFAULT_CLUSTER_LABEL, self.cluster_label) for m in match]
            except TemplateError:
                return []
            if label == DEFAULT_CLUSTER_LABEL:
                label = self.cluster_label
        try:
            return list(self.fetch("prometheus", LabelValues(label, tuple(match), start, end)))
        except SourceError as exc:
            if exc.kind == "forbidden":
                return []
            raise
