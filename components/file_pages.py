"""Pages of file dashboards (`/d/<uid>`): registered per app from what `create_app` loaded."""
from __future__ import annotations

import functools
import re

import dash
from dash import html

from webapp.dashboards import file_dashboards
from webapp.dashboards.loader import FileDashboard
from webapp.dashboards.templating import fill_file_tokens, values_of, whole_matcher_selections
from webapp.prometheus import PrometheusError
from webapp.promql import TemplateError, render
from webapp.runtime import current_runtime
from webapp.viewstate import ViewState, parse_view_state

from .layout import dashboard_body, page_frame
from .page_builders import not_found_page, safe_layout

MAX_OPTIONS = 500


def register_file_pages(dashboards: list[FileDashboard]) -> None:
    """One Dash page per file dashboard, at its own path, listed after the built-in pages."""
    for item in dashboards:
        dash.register_page(f"dashboards.{item.spec.uid}", path=item.path, name=item.spec.title,
                           title=f"{item.spec.title} · DataOps Monitor",
                           layout=functools.partial(file_dashboard_page, item.spec.uid), order=50)


@safe_layout
def file_dashboard_page(uid: str, **params) -> html.Div:
    """A file dashboard: its own filters (defaults from the file), time range and panels."""
    item = file_dashboards().get(uid)
    if item is None:
        return not_found_page("This dashboard is not loaded by this app.")
    if "from" not in params and "to" not in params:
        params = {**params, "from": item.spec.time.from_, "to": item.spec.time.to}
    view = parse_view_state(params, allowed_variables=item.dashboard.variables)
    return page_frame(view, item.path, item.spec.title, item.spec.description, item.dashboard.variables,
                      dashboard_body(item.dashboard, view), {"dashboard": item.dashboard.id, "params": params},
                      definitions=item.variables)


def picker_options(item_variables: dict, name: str, view: ViewState) -> tuple[list[str], str | None]:
    """Values a file variable offers in this view (chained through earlier selections), and a note."""
    variable = item_variables[name]
    current = list(values_of(variable, view.variables))
    if variable.kind == "interval":
        values = (["auto"] if variable.auto else []) + list(variable.options)
    elif variable.kind in ("custom", "textbox"):
        values = list(variable.options)
    else:
        runtime = current_runtime()
        if runtime is None:
            return current, None
        tr = view.time_range
        try:
            match = []
            if variable.selector:
                filled = fill_file_tokens(variable.selector, item_variables, view.variables)
                match = [render(filled, whole_matcher_selections(item_variables, view.variables, variable.selector),
                                tr.seconds, 60)]
            values = runtime.engine.label_values(variable.label, match, tr.start, tr.end)
        except TemplateError:
            values = []
        except PrometheusError as exc:
            return current, f"{variable.title or name} values unavailable: {exc.user_message}"
        if variable.regex:
            values = _regex_filter(variable.regex, values)
    return list(dict.fromkeys(current + values[:MAX_OPTIONS])), None


def _regex_filter(pattern: str, values: list[str]) -> list[str]:
    """Grafana's variable `regex`: keep matching values; a capture group gives the value shown."""
    compiled = re.compile(pattern)
    out = []
    for value in values:
        match = compiled.search(value)
        if match:
            out.append(match.group(1) if compiled.groups else value)
    return [v for v in dict.fromkeys(out) if v]
