"""Annotation queries of a panel: planned with its queries (same view, tenant scope and cache), and
their answers turned into events (a moment and a text) for the time series renderer."""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from .catalog.annotations import MAX_EVENTS, MIN_STEP, SETS, Annotation
from .catalog.model import Panel
from .catalog.variables import VARIABLES
from .engine import QueryPlan, plan_query
from .legends import legend
from .prometheus import QueryResult
from .promql import TemplateError, template_variables
from .viewstate import ViewState

Extra = dict[str, tuple[str, tuple[str, ...]]]


@dataclasses.dataclass(frozen=True)
class Event:
    """One marker: `at` in epoch seconds; `text` plain (the renderer escapes it)."""

    at: float
    set: str      # "deployments" | "alerts"
    text: str


@dataclasses.dataclass(frozen=True)
class AnnotationOutcome:
    """One annotation query of a panel: its set, definition, plan (or why it has none) and answer."""

    set: str
    annotation: Annotation
    plan: QueryPlan | TemplateError
    outcome: object = None   # QueryResult, or the error the engine gave


def plan_annotations(panel: Panel, view: ViewState, extra: Extra | None = None) -> list[AnnotationOutcome]:
    """The panel's annotation queries for this view: as many points as the panel's, but at most one
    scrape interval apart whatever its minimum step. Path variables the page does not have match everything.
    On a Level 2 page (`extra` gives path values) only annotations about that kind of entity are planned;
    `entity_only` ones (Jenkins builds) appear only there."""
    out = []
    entity = {name for name, (_label, values) in (extra or {}).items() if values}
    for name in panel.annotations or ():
        for annotation in SETS.get(name, ()):
            own = {v for v in template_variables(annotation.expr) if v not in VARIABLES}
            # On an entity's page, events about other kinds of entity (every Argo CD sync on a Jenkins
            # job's page) are noise; an annotation about no entity kind this page has is left out.
            if (entity and own and not own & entity) or (annotation.entity_only and not own & entity):
                continue
            given = dict(extra or {})
            for variable in template_variables(annotation.expr):
                if variable not in given and variable not in VARIABLES:
                    given[variable] = (variable, ())   # All: the matcher is dropped
            try:
                plan: QueryPlan | TemplateError = plan_query(annotation.expr, view, False, panel.max_points,
                                                             MIN_STEP, given)
            except TemplateError as exc:
                plan = exc
            out.append(AnnotationOutcome(name, annotation, plan))
    return out


def _label_text(template: str, labels) -> str:
    """`{label}` parts filled from the series labels (absent ones empty), spaces collapsed."""
    return " ".join(legend(template, dict(labels)).split())


def events(item: AnnotationOutcome) -> list[Event]:
    """Events of one answered annotation query, oldest first, at most MAX_EVENTS (the latest)."""
    result = item.outcome
    if not isinstance(result, QueryResult) or not isinstance(item.plan, QueryPlan):
        return []
    annotation, step = item.annotation, item.plan.step or 1
    found: list[Event] = []
    for series in result.series:
        name = _label_text(annotation.text, series.labels)
        times = np.asarray(series.timestamps, dtype=float)
        values = np.asarray(series.values, dtype=float)
        if annotation.mode == "increase":
            for at, value in zip(times, values):
                if value > 0 and not math.isnan(value):
                    count = f" ×{value:.0f}" if value >= 2 else ""
                    found.append(Event(float(at), item.set, f"{annotation.title}{count}: {name}"))
            continue
        if not len(times):
            continue
        gaps = np.flatnonzero(np.diff(times) > 1.5 * step)
        starts = np.concatenate(([0], gaps + 1))
        ends = np.concatenate((gaps, [len(times) - 1]))
        state = series.labels.get("alertstate", "firing")
        for s, e in zip(starts, ends):
            if times[s] > item.plan.start:   # already so when the range begins: no start inside it
                found.append(Event(float(times[s]), item.set, f"{annotation.title} {state}: {name}"))
            if state == "firing" and times[e] < item.plan.end - step:
                found.append(Event(float(times[e]) + step, item.set, f"{annotation.title} resolved: {name}"))
    found.sort(key=lambda ev: ev.at)
    return found[-MAX_EVENTS:]
