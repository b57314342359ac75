"""Dashboards as files: a folder of YAML or JSON documents (`DATAOPS_DASHBOARDS_DIR`) loaded at start.

Each file is validated once, here: its schema (`schema.py`), its variables (chains point only at
earlier variables) and every query template (`templating.check_template`). Any error stops the
start with a message naming the file and the field, e.g.
`k8s.yaml: sections[0].panels[2].queries[0].expr: unknown variable 'node'`.
"""
from __future__ import annotations

import dataclasses
import json
import pathlib
import re
from collections.abc import Mapping, Sequence

import yaml
from pydantic import ValidationError

from webapp.catalog.model import UNITS, Dashboard, Link, Panel, Query, Section, Threshold
from webapp.promql import TemplateError
from webapp.timerange import TimeParseError, resolve_range

from .schema import DashboardSpec, PanelSpec, VariableSpec
from .templating import FILE_TOKEN, check_template, fill_file_tokens, whole_matcher_selections

MAX_FILE_BYTES = 2_000_000
SUFFIXES = (".yaml", ".yml", ".json")
PATH_PREFIX = "/d/"


class DashboardFileError(ValueError):
    """A dashboard file cannot be used; the message names the file and the field."""


@dataclasses.dataclass(frozen=True)
class FileDashboard:
    """A loaded file: its validated spec and the catalog Dashboard the generic engine renders."""

    spec: DashboardSpec
    dashboard: Dashboard
    source: str

    @property
    def variables(self) -> dict[str, VariableSpec]:
        return {v.name: v for v in self.spec.variables}

    @property
    def path(self) -> str:
        return self.dashboard.path

    def prepare(self, panels: Sequence[Panel], selected: Mapping[str, Sequence[str]], range_seconds: float | None = None
                ) -> tuple[list[Panel], dict[str, tuple[str, tuple[str, ...]]]]:
        """Panels with `${name:re}`/`${name:dur}` filled for this view, and the whole-matcher selections.

        A query whose value cannot be placed keeps a template that fails to render, so only its
        panel shows the error.
        """
        variables = self.variables
        extra: dict[str, tuple[str, tuple[str, ...]]] = {}
        out = []
        for panel in panels:
            queries = []
            for query in panel.queries:
                try:
                    expr = fill_file_tokens(query.expr, variables, selected, range_seconds)
                    extra.update(whole_matcher_selections(variables, selected, query.expr))
                except TemplateError:
                    expr = "$__invalid_value"
                queries.append(dataclasses.replace(query, expr=expr))
            out.append(dataclasses.replace(panel, queries=tuple(queries)))
        return out, extra


_SEVERITY_PRIORITY = {"critical": "P1", "warning": "P3"}


def _panel(spec: PanelSpec, uid: str) -> Panel:
    unit = spec.unit if spec.unit in UNITS else "short"
    thresholds = tuple(Threshold(f"{uid}-{spec.id}-{i}", spec.title or spec.id, t.value, t.direction,
                                 _SEVERITY_PRIORITY[t.severity], unit, "dashboards")
                       for i, t in enumerate(spec.thresholds))
    if spec.kind == "unsupported":
        text = f"Not supported: {spec.reason or 'this panel'}"
        return Panel(spec.id, spec.title or spec.id, "stat", (), description=text, width=spec.width,
                     empty_text=text)
    queries = tuple(Query(q.expr, q.legend, q.column, q.unit if q.unit in UNITS else "") for q in spec.queries)
    return Panel(spec.id, spec.title or spec.id, spec.kind, queries, unit=unit, description=spec.description,
                 thresholds=thresholds, link=Link(spec.link.path, spec.link.label) if spec.link else None,
                 width=spec.width, min_step=spec.min_step, max_points=spec.max_points, stacked=spec.stacked,
                 value_map=spec.value_map, sort_desc=spec.sort_desc, limit=spec.limit,
                 **({"empty_text": spec.empty_text} if spec.empty_text else {}), **_kind_options(spec))


def _kind_options(spec: PanelSpec) -> dict:
    """The file's table options as the kind's own: a flow's `label_columns` order its segments (as
    Grafana's organize step orders a table's columns); kinds that have no such option ignore them."""
    if spec.kind == "table":
        return {"label_columns": spec.label_columns, "join_on": spec.join_on}
    if spec.kind == "flow":
        return {"stages": spec.label_columns}
    return {}


def _check_variables(spec: DashboardSpec) -> None:
    seen: dict[str, VariableSpec] = {}
    for i, variable in enumerate(spec.variables):
        where = f"variables[{i}]"
        if variable.name in seen:
            raise DashboardFileError(f"{where}.name: {variable.name!r} is declared twice")
        if variable.kind == "query":
            if not variable.label:
                raise DashboardFileError(f"{where}.label: a query variable needs the label whose values it offers")
            if variable.selector:
                try:
                    check_template(variable.selector, seen)
                except TemplateError as exc:
                    raise DashboardFileError(f"{where}.selector: {exc}") from None
        elif variable.kind in ("custom", "interval") and not variable.options and not variable.auto:
            raise DashboardFileError(f"{where}.options: a {variable.kind} variable needs options")
        if variable.regex:
            try:
                re.compile(variable.regex)
            except re.error as exc:
                raise DashboardFileError(f"{where}.regex: {exc}") from None
        seen[variable.name] = variable


def build(spec: DashboardSpec, source: str = "") -> FileDashboard:
    """Check a parsed spec beyond its schema and build the catalog Dashboard; raises DashboardFileError."""
    _check_variables(spec)
    try:
        resolve_range(spec.time.from_, spec.time.to, 1.7e9)
    except TimeParseError as exc:
        raise DashboardFileError(f"time: {exc}") from None
    variables = {v.name: v for v in spec.variables}
    ids: set[str] = set()
    sections = []
    for si, section in enumerate(spec.sections):
        for pi, panel in enumerate(section.panels):
            where = f"sections[{si}].panels[{pi}]"
            if panel.id in ids:
                raise DashboardFileError(f"{where}.id: {panel.id!r} is used twice")
            ids.add(panel.id)
            if panel.kind != "unsupported" and not panel.queries:
                raise DashboardFileError(f"{where}.queries: a {panel.kind} panel needs at least one query")
            for qi, query in enumerate(panel.queries):
                try:
                    check_template(query.expr, variables)
                except TemplateError as exc:
                    raise DashboardFileError(f"{where}.queries[{qi}].expr: {exc}") from None
        sections.append(Section(section.title, tuple(_panel(p, spec.uid) for p in section.panels)))
    dashboard = Dashboard(spec.uid, spec.title, PATH_PREFIX + spec.uid, tuple(sections),
                          variables=tuple(variables), description=spec.description)
    return FileDashboard(spec, dashboard, source)


def _field_path(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def parse_document(data: object, source: str = "") -> FileDashboard:
    """Validate one decoded document; raises DashboardFileError naming the field."""
    try:
        spec = DashboardSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise DashboardFileError(f"{_field_path(first['loc'])}: {first['msg']}{more}") from None
    return build(spec, source)


def load_file(path: pathlib.Path) -> FileDashboard:
    """One dashboard file (YAML or JSON); raises DashboardFileError prefixed with the file name."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DashboardFileError(f"larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        return parse_document(data, str(path))
    except DashboardFileError as exc:
        raise DashboardFileError(f"{path.name}: {exc}") from None
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise DashboardFileError(f"{path.name}: cannot be read: {str(exc).splitlines()[0][:200]}") from None


def load_dir(folder: str | pathlib.Path, reserved_paths: Sequence[str] = ()) -> list[FileDashboard]:
    """Every `*.yaml`, `*.yml` and `*.json` of a folder, sorted by title; uids must be unique."""
    root = pathlib.Path(folder)
    if not root.is_dir():
        raise DashboardFileError(f"{folder}: not a folder")
    loaded: dict[str, FileDashboard] = {}
    for path in sorted(p for p in root.iterdir() if p.suffix in SUFFIXES and p.is_file()):
        item = load_file(path)
        if item.spec.uid in loaded:
            raise DashboardFileError(f"{path.name}: uid: {item.spec.uid!r} is also used by "
                                     f"{pathlib.Path(loaded[item.spec.uid].source).name}")
        if item.path in reserved_paths:
            raise DashboardFileError(f"{path.name}: uid: {item.path} is already a page of the app")
        loaded[item.spec.uid] = item
    return sorted(loaded.values(), key=lambda d: d.spec.title.lower())


__all__ = ["DashboardFileError", "FileDashboard", "load_dir", "load_file", "parse_document", "FILE_TOKEN"]
