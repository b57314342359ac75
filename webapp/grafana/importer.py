"""Grafana dashboard JSON (schemaVersion 16 and up; older `rows[]` layouts too) -> our dashboard files.

Grafana splices variable values into query text with its own escaping (which lets a `"` in a
value end the string). We do not copy that: each variable reference is classified by where it
sits and rewritten into the file format's safe forms (`webapp/dashboards/schema.py`):

- a whole matcher value, `label="$v"` or `label=~"$v"` -> `$v:label` (the app writes the matcher);
- inside a larger string literal, `label=~"$v|"` -> `${v:re}` (values RE2-escaped in the literal);
- a range duration of an interval variable, `[$v]` -> `[${v:dur}]`;
- anywhere else (a label list, a metric name, a negated matcher) -> the panel is refused and
  shown as "Not supported: <why>".

Every panel that is not converted becomes a visible "unsupported" panel, and `ImportReport`
counts what was and was not converted.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from webapp.catalog.kinds import FROM_GRAFANA, OWN_GRAFANA_KINDS
from webapp.dashboards.loader import DashboardFileError, parse_document
from webapp.dashboards.schema import NAME, VariableSpec
from webapp.dashboards.templating import FILE_TOKEN, check_template, string_spans
from webapp.promql import TemplateError

UNIT = {"short": "short", "none": "none", "percentunit": "percentunit", "percent": "percent", "s": "s",
        "ms": "ms", "bytes": "bytes", "decbytes": "bytes", "Bps": "Bps", "binBps": "Bps", "ops": "ops",
        "reqps": "ops", "rps": "ops", "opm": "short", "dtdurations": "s", "dtdurationms": "ms",
        "dateTimeAsIso": "dateTime", "dateTimeFromNow": "dateTime", "currencyUSD": "dollars", "": "short",
        "suffix: cores": "cores"}
OWN_KINDS = OWN_GRAFANA_KINDS  # kinds of this app kept in `options.dataopsKind` by the exporter
MACROS = {"__rate_interval", "__interval", "__range", "__range_s"}
UNSUPPORTED_MACROS = {"__interval_ms", "__range_ms", "__from", "__to", "__timeFilter", "__name", "__org",
                      "__user", "__dashboard", "__timezone"}
_REF = re.compile(r"\$\{(\w+)(?::([^}]+))?\}|\[\[(\w+)(?::(\w+))?\]\]|\$(\w+)")
_LABEL_VALUES = re.compile(r"^\s*label_values\s*\(\s*(?:(.*?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", re.S)
_SEVERITY = {"red": "critical", "dark-red": "critical", "semi-dark-red": "critical", "light-red": "critical",
             "#d44a3a": "critical", "#e24d42": "critical", "#f2495c": "critical", "orange": "warning",
             "dark-orange": "warning", "yellow": "warning", "dark-yellow": "warning", "#eab839": "warning",
             "rgba(237, 129, 40, 0.89)": "warning", "rgba(245, 54, 54, 0.9)": "critical"}


class Unsupported(Exception):
    """A panel (or query) that cannot be converted faithfully; the message says what."""


@dataclasses.dataclass
class ImportReport:
    """What one import converted: panel counts and the reasons for what it did not."""

    title: str
    uid: str
    panels: int = 0
    supported: int = 0
    unsupported: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (panel title, why)
    notes: list[str] = dataclasses.field(default_factory=list)
    units_as_short: dict[str, int] = dataclasses.field(default_factory=dict)  # Grafana unit -> panels

    @property
    def ratio(self) -> float:
        return self.supported / self.panels if self.panels else 1.0


def _name(raw: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", raw.lower()).strip("_") or "v"
    return name if re.match(NAME, name) else f"v_{name}"


def _slug(text: str, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:60]
    return slug or fallback


def safe_uid(raw: object, title: str) -> str:
    """Grafana's uid if it is usable in a path (kept, so `/d/<uid>` links survive), else the title's slug."""
    if isinstance(raw, str) and re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", raw):
        return raw
    return _slug(title, "dashboard")[:64]


def _query_text(raw) -> str:
    if isinstance(raw, dict):
        raw = raw.get("query", "")
    return raw if isinstance(raw, str) else ""


def _current(variable: dict) -> tuple[str, ...]:
    value = (variable.get("current") or {}).get("value")
    values = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return tuple(v for v in values if v and v not in ("$__all", "All") and not v.startswith("$__auto"))


def _strip_regex(regex: str) -> str:
    match = re.match(r"^/(.*)/[a-z]*$", regex or "", re.S)
    return match[1] if match else (regex or "")


class Importer:
    """Converts Grafana dashboards; `known_uids` are the dashboards imported together (link targets)."""

    def __init__(self, known_uids: Iterable[str] = ()):
        self.known_uids = set(known_uids)

    # ---- variables -------------------------------------------------------------------------
    def variables(self, dashboard: dict, report: ImportReport) -> tuple[list[dict], dict[str, str], dict[str, str]]:
        """(variable specs, Grafana name -> our name, Grafana name -> why it is unusable)."""
        specs: list[dict] = []
        names: dict[str, str] = {}
        broken: dict[str, str] = {}
        datasource_vars: set[str] = set()
        for raw in ((dashboard.get("templating") or {}).get("list") or []):
            if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
                continue
            gname, kind = raw["name"], raw.get("type", "query")
            if kind == "datasource":
                datasource_vars.add(gname)
                broken[gname] = "datasource"
                continue
            name = _name(gname)
            while name in {s["name"] for s in specs}:
                name += "_"
            base = {"name": name, "title": (raw.get("label") or gname)[:80],
                    "multi": bool(raw.get("multi")), "include_all": bool(raw.get("includeAll"))}
            if raw.get("allValue"):
                base["all_value"] = str(raw["allValue"])[:200]
            default = _current(raw)
            if kind == "query":
                match = _LABEL_VALUES.match(_query_text(raw.get("query")))
                if not match:
                    broken[gname] = f"variable {gname}: query {_query_text(raw.get('query'))[:60]!r}"
                    report.notes.append(f"variable {gname}: only label_values(...) queries are supported")
                    continue
                selector = ""
                if match[1]:
                    try:
                        selector = self.expr(match[1], names, broken, {s["name"]: VariableSpec(**s) for s in specs})
                    except Unsupported as exc:
                        broken[gname] = f"variable {gname}: {exc}"
                        report.notes.append(f"variable {gname}: {exc}")
                        continue
                spec = {**base, "kind": "query", "label": match[2], "selector": selector,
                        "regex": _strip_regex(raw.get("regex") or "")}
                if spec["regex"]:
                    try:
                        re.compile(spec["regex"])
                    except re.error:
                        report.notes.append(f"variable {gname}: regex {spec['regex'][:40]!r} ignored (not a Python regex)")
                        spec["regex"] = ""
            elif kind in ("custom", "interval", "constant"):
                options = [o.get("value") for o in raw.get("options") or [] if isinstance(o, dict)]
                options = [o for o in options if isinstance(o, str) and o not in ("$__all", "$__auto_interval", "$__auto")]
                if not options:
                    options = [part.split(" : ")[-1].strip() for part in str(raw.get("query") or "").split(",")]
                    options = [o for o in options if o]
                spec = {**base, "kind": "interval" if kind == "interval" else "custom",
                        "options": list(dict.fromkeys(options))[:500]}
                if kind == "interval":
                    spec.update(auto=bool(raw.get("auto")), multi=False, include_all=False)
                    if isinstance(raw.get("auto_count"), int) and 1 <= raw["auto_count"] <= 10000:
                        spec["auto_count"] = raw["auto_count"]
                    if re.match(r"^\d+[smhdw]$", str(raw.get("auto_min") or "")):
                        spec["auto_min"] = raw["auto_min"]
                    default = default or (("auto",) if raw.get("auto") else tuple(options[:1]))
                    spec["options"] = [o for o in spec["options"] if re.match(r"^\d+[smhdwy]$", o)]
                elif kind == "constant":
                    spec.update(multi=False, include_all=False)
            elif kind == "textbox":
                text = str(raw.get("query") or "")
                spec = {**base, "kind": "textbox", "options": [text] if text else [], "multi": False,
                        "include_all": False}
                default = (text,) if text else ()
            else:
                broken[gname] = f"variable {gname} of type {kind}"
                report.notes.append(f"variable {gname}: type {kind} not supported")
                continue
            if default:
                spec["default"] = list(default[:50])
            specs.append(spec)
            names[gname] = name
        return specs, names, broken

    # ---- queries ---------------------------------------------------------------------------
    def expr(self, text: str, names: dict[str, str], broken: dict[str, str],
             variables: dict[str, VariableSpec]) -> str:
        """A Grafana PromQL template in our template language; raises Unsupported."""
        # One spelling for every reference: $name (formats other than the default are refused).
        def normalise(match: re.Match[str]) -> str:
            name = match[1] or match[3] or match[5]
            fmt = match[2] or match[4]
            if fmt:
                raise Unsupported(f"variable format ${{{name}:{fmt}}}")
            return f"${name}"
        text = _REF.sub(normalise, text)
        for macro in UNSUPPORTED_MACROS:
            if re.search(r"\$" + macro + r"\b", text):
                raise Unsupported(f"macro ${macro}")
        for gname, why in broken.items():
            if re.search(r"\$" + re.escape(gname) + r"\b", text):
                raise Unsupported(why)

        def whole(match: re.Match[str]) -> str:
            label, op, gname = match[1], match[2], match[3]
            if gname not in names:
                return match[0]
            variable = variables.get(names[gname])
            if variable is None or variable.kind == "interval":
                raise Unsupported(f"interval variable ${gname} as a label value")
            if op in ("!=", "!~"):
                raise Unsupported(f"negated matcher on variable ${gname}")
            if op == "=~" and variable.kind == "custom":  # its options are regexes chosen by the author
                return f'{label}=~"${{{names[gname]}:opt}}"'
            if op == "=~" and variable.all_value not in ("", ".*"):
                # e.g. `.+`: All still requires the label, so the matcher stays (values escaped in it)
                return f'{label}=~"${{{names[gname]}:re}}"'
            return f"${names[gname]}:{label}"
        text = re.sub(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"\$(\w+)"', whole, text)

        def duration(match: re.Match[str]) -> str:
            gname = match[1]
            if gname.startswith("__"):
                return match[0]
            if gname not in names:
                raise Unsupported(f"unknown variable ${gname} as a duration")
            if variables[names[gname]].kind != "interval":
                raise Unsupported(f"variable ${gname} as a duration")
            return f"${{{names[gname]}:dur}}" + match[2]
        text = re.sub(r"\$(\w+)(\s*(?:\]|:))", lambda m: duration(m) if _in_range(m, text) else m[0], text)

        spans = string_spans(text)
        out, last = [], 0
        for match in re.finditer(r"\$(\w+)", text):
            gname = match[1]
            if gname.startswith("__") or gname not in names:
                if gname.startswith("__") and gname not in MACROS:
                    raise Unsupported(f"macro ${gname}")
                continue
            if text[match.end():match.end() + 1] == ":" and re.match(r"[a-zA-Z_]", text[match.end() + 1:match.end() + 2]):
                continue  # already `$name:label`
            inside = any(s < match.start() < e for s, e in spans)
            if variables[names[gname]].kind == "custom":
                out += [text[last:match.start()], f"${{{names[gname]}:opt}}"]
                last = match.end()
                continue
            if not inside:
                raise Unsupported(f"variable ${gname} outside a label value")
            out.append(text[last:match.start()])
            out.append(f"${{{names[gname]}:re}}")
            last = match.end()
        out.append(text[last:])
        text = "".join(out)
        try:
            check_template(text, variables)
        except TemplateError as exc:
            raise Unsupported(f"query: {exc}") from None
        return text

    # ---- panels ----------------------------------------------------------------------------
    def panel(self, raw: dict, ctx: dict, report: ImportReport, used_ids: set[str]) -> dict:
        title = str(raw.get("title") or "")[:200]
        pid = _slug(title, "panel")[:60]
        pid = f"p{raw.get('id', len(used_ids))}-{pid}" if isinstance(raw.get("id"), int) else pid
        pid = re.sub(r"[^a-z0-9-]", "-", pid.lower())[:80] or "panel"
        while pid in used_ids:
            pid += "-x"
        used_ids.add(pid)
        grid = raw.get("gridPos") or {}
        width = raw.get("span") if "span" in raw and not grid else round((grid.get("w") or 12) / 2)
        width = max(1, min(12, int(width or 6)))
        base = {"id": pid, "title": title, "width": width}
        try:
            spec = self._panel_body(raw, ctx, report)
        except Unsupported as exc:
            report.unsupported.append((title or pid, str(exc)))
            return {**base, "kind": "unsupported", "reason": str(exc)[:300]}
        report.supported += 1
        return {**base, **spec}

    def _panel_body(self, raw: dict, ctx: dict, report: ImportReport) -> dict:
        kind = FROM_GRAFANA.get(raw.get("type"))
        own = (raw.get("options") or {}).get("dataopsKind")
        if kind is not None and own in OWN_KINDS:
            kind = own
        if kind is None:
            raise Unsupported(f"panel type {raw.get('type')}")
        if raw.get("repeat"):
            report.notes.append(f"panel {raw.get('title')!r}: repeat by ${raw['repeat']} shown once, for all values")
        panel_ds = raw.get("datasource")
        targets = [t for t in raw.get("targets") or [] if isinstance(t, dict) and not t.get("hide")]
        if not targets:
            raise Unsupported("a panel without queries")
        field = (raw.get("fieldConfig") or {}).get("defaults") or {}
        unit = field.get("unit") or ""
        if raw.get("type") == "graph":
            yaxes = raw.get("yaxes") or [{}]
            unit = (yaxes[0] or {}).get("format") or ""
        elif raw.get("type") == "singlestat":
            unit = raw.get("format") or ""
        our_unit = UNIT.get(unit)
        if our_unit is None:
            report.units_as_short[unit] = report.units_as_short.get(unit, 0) + 1
            our_unit = "short"
        transformations = [t.get("id") for t in raw.get("transformations") or [] if isinstance(t, dict)]
        unknown = [t for t in transformations
                   if t not in ("organize", "joinByField", "merge", "seriesToColumns", "sortBy", "limit")]
        if unknown:
            raise Unsupported(f"transformation {unknown[0]}")
        organize = next((t.get("options") or {} for t in raw.get("transformations") or []
                         if isinstance(t, dict) and t.get("id") == "organize"), {})
        renames = organize.get("renameByName") or {}
        reducer = ((raw.get("options") or {}).get("reduceOptions") or {}).get("calcs") or ["lastNotNull"]
        over_time = {"mean": "avg_over_time", "max": "max_over_time", "min": "min_over_time"}.get(reducer[0])
        queries = []
        min_step = 15
        for i, target in enumerate(targets):
            ds = target.get("datasource") or panel_ds
            self._check_datasource(ds, ctx)
            expr = target.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                raise Unsupported("a query without a PromQL expression")
            converted = self.expr(expr, ctx["names"], ctx["broken"], ctx["variables"])
            if kind in ("stat", "gauge", "bar") and over_time and not target.get("instant"):
                converted = f"{over_time}(({converted})[$__range:$__interval])"
            ref = target.get("refId") or chr(ord("A") + i % 26)
            legend = str(target.get("legendFormat") or "")
            legend = "" if legend == "__auto" else re.sub(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}", r"{\1}", legend)
            query = {"expr": converted, "legend": legend[:300]}
            if kind in ("table", "flow"):
                column = "" if (organize.get("excludeByName") or {}).get(f"Value #{ref}") else renames.get(f"Value #{ref}") or (renames.get("Value") if len(targets) == 1 else None) \
                    or (legend if legend and "{" not in legend else f"Value #{ref}")
                query["column"] = str(column)[:120]
                col_unit = _override_unit(raw, query["column"]) if column else None
                if col_unit:
                    query["unit"] = UNIT.get(col_unit, "short")
            queries.append(query)
            step = str(target.get("interval") or "")
            if re.match(r"^\d+[smh]$", step):
                min_step = max(min_step, int(step[:-1]) * {"s": 1, "m": 60, "h": 3600}[step[-1]])
        spec: dict = {"kind": kind, "queries": queries, "unit": our_unit,
                      "description": str(raw.get("description") or "")[:2000], "min_step": min_step}
        if isinstance(raw.get("maxDataPoints"), int):
            spec["max_points"] = max(10, min(11000, raw["maxDataPoints"]))
        stacking = ((field.get("custom") or {}).get("stacking") or {}).get("mode")
        if stacking in ("normal", "percent") or (raw.get("type") == "graph" and raw.get("stack")):
            spec["stacked"] = True
        spec["thresholds"] = _thresholds(raw, field, kind)
        if kind in ("table", "flow"):
            labels = _table_labels(queries, organize, renames)
            spec["label_columns"] = labels
            join = next((t.get("options", {}).get("byField") for t in raw.get("transformations") or []
                         if isinstance(t, dict) and t.get("id") in ("joinByField", "seriesToColumns")), None)
            if join and re.match(r"^[a-zA-Z_]\w*$", join):
                spec["join_on"] = [join]
            own_join = (raw.get("options") or {}).get("dataopsJoinOn")
            if isinstance(own_join, list) and all(isinstance(j, str) and re.match(r"^[a-zA-Z_]\w*$", j)
                                                  for j in own_join):
                spec["join_on"] = own_join[:12]
        value_map = _value_map(field.get("mappings") or [])
        if value_map:
            spec["value_map"] = value_map
        spec.update(_order(raw, queries))
        if isinstance(field.get("noValue"), str) and field["noValue"].strip():
            spec["empty_text"] = field["noValue"].strip()[:200]
        link = self._link(raw, renames, report)
        if link:
            spec["link"] = link
        return spec

    def _check_datasource(self, ds, ctx: dict) -> None:
        if ds is None:
            return
        if isinstance(ds, dict):
            kind, uid = ds.get("type"), str(ds.get("uid") or "")
            if kind in ("prometheus", None) and not uid.startswith("-- "):
                return
            if kind == "datasource" and uid == "-- Mixed --":
                return  # per-target datasources decide
            raise Unsupported(f"datasource {kind or uid}")
        if isinstance(ds, str):
            ref = re.sub(r"^\$\{?(\w+)\}?$", r"\1", ds)
            if ref in ctx["datasource_vars"] or ds in ("Prometheus", "prometheus", "default") or ds.startswith("${DS_"):
                return
            if ds == "-- Mixed --":
                return
            raise Unsupported(f"datasource {ds}")

    def _link(self, raw: dict, renames: dict, report: ImportReport) -> dict | None:
        """The panel's first data link to another imported dashboard, as a drill-down."""
        reverse = {v: k for k, v in renames.items()}
        candidates = []
        for override in ((raw.get("fieldConfig") or {}).get("overrides") or []):
            matcher = override.get("matcher") or {}
            for prop in override.get("properties") or []:
                if prop.get("id") == "links":
                    field = reverse.get(matcher.get("options"), matcher.get("options"))
                    candidates += [(link, field) for link in prop.get("value") or []]
        candidates += [(link, None) for link in ((raw.get("fieldConfig") or {}).get("defaults") or {}).get("links") or []]
        for link, field in candidates:
            url = str(link.get("url") or "")
            own_page = re.match(r"^((?:/[A-Za-z0-9_-]+|/\$\{__(?:data\.fields|field\.labels)\.[a-zA-Z_]\w*\})+)"
                                r"(?:\?\$\{__url_time_range\})?$", url)
            if own_page and not url.startswith("/d/"):  # a page of this app (an exported drill-down)
                path = re.sub(r"\$\{__(?:data\.fields|field\.labels)\.([a-zA-Z_]\w*)\}", r"{\1}", own_page[1])
                names = re.findall(r"\{(\w+)\}", path)
                if names:
                    return {"path": path, "label": field if field in names else names[0]}
            match = re.match(r"^/d/([A-Za-z0-9_-]+)(?:/[^?]*)?(?:\?(.*))?$", url)
            if not match:
                report.notes.append(f"panel {raw.get('title')!r}: link {url[:60]!r} dropped (not a dashboard link)")
                continue
            uid, query = match[1], match[2] or ""
            if uid not in self.known_uids:
                report.notes.append(f"panel {raw.get('title')!r}: link to dashboard {uid} dropped (not imported)")
                continue
            params, label = [], None
            for part in query.split("&"):
                key, _, value = part.partition("=")
                if not key.startswith("var-"):
                    continue
                field_ref = re.match(r"^\$\{__(?:data\.fields|field\.labels)\.\[?\"?([^}\"\]]+)\"?\]?\}$", value)
                if field_ref:
                    name = reverse.get(field_ref[1], field_ref[1])
                    if not re.match(r"^[a-zA-Z_]\w*$", name):
                        break
                    params.append(f"{_name(key[4:])}={{{name}}}".replace(_name(key[4:]), "var-" + _name(key[4:]), 1))
                    label = label or name
            if field and re.match(r"^[a-zA-Z_]\w*$", field) and (label is None or f"{{{field}}}" in "&".join(params)):
                label = field
            if label is None:
                continue
            path = f"/d/{uid}" + ("?" + "&".join(params) if params else "")
            return {"path": path, "label": label}
        return None

    # ---- dashboards ------------------------------------------------------------------------
    def convert(self, dashboard: dict) -> tuple[dict, ImportReport]:
        """(our dashboard document, report); raises DashboardFileError when the result does not validate."""
        if isinstance(dashboard.get("dashboard"), dict):  # the API's {"dashboard": ..., "meta": ...} envelope
            dashboard = dashboard["dashboard"]
        title = str(dashboard.get("title") or "Imported dashboard")[:200]
        uid = safe_uid(dashboard.get("uid"), title)
        report = ImportReport(title, uid)
        specs, names, broken = self.variables(dashboard, report)
        ctx = {"names": names, "broken": {k: v for k, v in broken.items()},
               "variables": {s["name"]: VariableSpec(**s) for s in specs},
               "datasource_vars": {k for k, v in broken.items() if v == "datasource"}}
        ctx["broken"] = {k: (f"datasource variable ${k} in a query" if v == "datasource" else v)
                         for k, v in broken.items()}
        sections: list[dict] = []
        used: set[str] = set()

        def section(title_: str) -> dict:
            sections.append({"title": title_, "panels": []})
            return sections[-1]

        def add(raw: dict, target: dict) -> None:
            report.panels += 1
            target["panels"].append(self.panel(raw, ctx, report, used))

        current = None
        if dashboard.get("rows") and not dashboard.get("panels"):  # schemaVersion < 16
            for row in dashboard["rows"]:
                current = section(str(row.get("title") or "") if row.get("showTitle", True) else "")
                for raw in row.get("panels") or []:
                    add(raw, current)
        else:
            top = sorted((p for p in dashboard.get("panels") or [] if isinstance(p, dict)),
                         key=lambda p: ((p.get("gridPos") or {}).get("y", 0), (p.get("gridPos") or {}).get("x", 0)))
            for raw in top:
                if raw.get("type") == "row":
                    current = section(str(raw.get("title") or "")[:200])
                    if raw.get("repeat"):
                        report.notes.append(f"row {raw.get('title')!r}: repeat by ${raw['repeat']} shown once")
                    for inner in sorted((p for p in raw.get("panels") or [] if isinstance(p, dict)),
                                        key=lambda p: ((p.get("gridPos") or {}).get("y", 0),
                                                       (p.get("gridPos") or {}).get("x", 0))):
                        add(inner, current)
                    continue
                if current is None:
                    current = section("")
                add(raw, current)
        links = [ln for ln in dashboard.get("links") or [] if isinstance(ln, dict)]
        if links:
            report.notes.append(f"{len(links)} dashboard link(s): imported dashboards are listed in the "
                                f"navigation's Dashboards menu instead")
        time = dashboard.get("time") or {}
        document = {
            "uid": uid, "title": title, "description": str(dashboard.get("description") or "")[:2000],
            "tags": [str(t)[:40] for t in dashboard.get("tags") or []][:20],
            "time": {"from": str(time.get("from") or "now-6h"), "to": str(time.get("to") or "now")},
            "variables": specs,
            "sections": [s for s in sections if s["panels"]],
        }
        try:
            parse_document(document)
        except DashboardFileError as exc:
            if not str(exc).startswith("time"):
                raise
            document["time"] = {"from": "now-6h", "to": "now"}
            report.notes.append(f"time range {time} not understood; using the last 6 hours")
        return document, report


def _value_map(mappings: list) -> list[tuple[float, str]]:
    """Grafana `value` mappings of numbers to text (the only kind the app shows)."""
    out = []
    for mapping in mappings:
        if isinstance(mapping, dict) and mapping.get("type") == "value":
            for value, result in (mapping.get("options") or {}).items():
                try:
                    out.append((float(value), str((result or {}).get("text", ""))[:80]))
                except (TypeError, ValueError):
                    continue
    return sorted(out)[:50]


def _in_range(match: re.Match[str], text: str) -> bool:
    """True when `$name` closes a range or subquery: `[$name]` or `[$name:...]`."""
    before = text[:match.start()].rstrip()
    return before.endswith("[")


def _override_unit(raw: dict, column: str) -> str | None:
    for override in ((raw.get("fieldConfig") or {}).get("overrides") or []):
        matcher = override.get("matcher") or {}
        options = str(matcher.get("options") or "")
        hit = (matcher.get("id") == "byName" and options == column) or (
            matcher.get("id") == "byRegexp" and _js_regex_search(options, column))
        if hit:
            for prop in override.get("properties") or []:
                if prop.get("id") == "unit" and isinstance(prop.get("value"), str):
                    return prop["value"]
    return None


def _js_regex_search(pattern: str, text: str) -> bool:
    try:
        return re.search(_strip_regex(pattern), text) is not None
    except re.error:
        return False


def _order(raw: dict, queries: list[dict]) -> dict:
    """`sort_desc` and `limit` from the `sortBy` and `limit` transformations (or the exporter's
    `options.dataopsSort`). Rows are ordered by value here: sorting by a label column is unsupported."""
    out: dict = {}
    own = (raw.get("options") or {}).get("dataopsSort")
    if isinstance(own, dict):
        if isinstance(own.get("desc"), bool):
            out["sort_desc"] = own["desc"]
        if isinstance(own.get("limit"), int) and not isinstance(own.get("limit"), bool):
            out["limit"] = max(1, min(1000, own["limit"]))
    values = {q.get("column") for q in queries} | {f"Value #{chr(ord('A') + i)}" for i in range(len(queries))} | {"Value"}
    for step in raw.get("transformations") or []:
        if not isinstance(step, dict):
            continue
        options = step.get("options") if isinstance(step.get("options"), dict) else {}
        if step.get("id") == "sortBy":
            sort = [s for s in options.get("sort") or [] if isinstance(s, dict)]
            if sort:
                if sort[0].get("field") not in values:
                    raise Unsupported(f"sortBy on the label column {str(sort[0].get('field'))[:60]}")
                out["sort_desc"] = bool(sort[0].get("desc"))
        elif step.get("id") == "limit":
            limit = options.get("limitField")
            if isinstance(limit, int) and not isinstance(limit, bool):
                out["limit"] = max(1, min(1000, limit))
    return out


def _table_labels(queries: list[dict], organize: dict, renames: dict) -> list[str]:
    """Label columns of a table: the organize step's fields that are not values, else the query's `by`."""
    excluded = {k for k, v in (organize.get("excludeByName") or {}).items() if v}
    index = organize.get("indexByName") or {}
    fields = [k for k, _ in sorted(index.items(), key=lambda kv: kv[1])
              if not k.startswith(("Time", "Value")) and k not in excluded and re.match(r"^[a-zA-Z_]\w*$", k)]
    if fields:
        return fields[:12]
    for query in queries:
        text = FILE_TOKEN.sub("", query["expr"])
        match = re.search(r"\b(?:by|BY)\s*\(([^)]*)\)", text)
        if match:
            labels = [x.strip() for x in match[1].split(",") if re.match(r"^[a-zA-Z_]\w*$", x.strip())]
            if labels:
                return labels[:12]
    return []


def _thresholds(raw: dict, field: dict, kind: str) -> list[dict]:
    steps = ((field.get("thresholds") or {}).get("steps")) or []
    style = ((field.get("custom") or {}).get("thresholdsStyle") or {}).get("mode", "off")
    if kind == "timeseries" and style == "off":
        return []
    # Each step colours the values from its own up to the next step's, the first (the base) from minus
    # infinity. Where the colour gets worse going up, values above the step are in breach; where it
    # gets better (red base, green from 0.95: a success rate), the values below it are.
    rank = {None: 0, "warning": 1, "critical": 2}
    out = []
    below = None
    for i, step in enumerate(s for s in steps if isinstance(s, dict)):
        value, severity = step.get("value"), _SEVERITY.get(str(step.get("color") or "").lower())
        if i == 0:
            below = severity
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        if rank[severity] > rank[below]:
            out.append({"value": float(value), "severity": severity, "direction": "above"})
        elif rank[severity] < rank[below]:
            out.append({"value": float(value), "severity": below, "direction": "below"})
        below = severity
    # A bad band with fine values on both sides (green, red from 0, green from 1: "0 is bad") is
    # not a pair of thresholds here (the two together would colour everything): keep its upper edge
    # when its lower edge is 0 or less (a count or a ratio has no values under it), else its lower edge.
    kept: list[dict] = []
    for t in out:
        last = kept[-1] if kept else None
        if last and (last["direction"], t["direction"]) == ("above", "below") and last["severity"] == t["severity"]:
            if last["value"] <= 0:
                kept[-1] = t
            continue
        kept.append(t)
    return kept[:4]
