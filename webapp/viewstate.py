"""View state: what a URL asks to see, parsed and validated once.

Grafana-compatible parameters: `from`, `to`, `var-<name>` (repeatable), `refresh`, `kiosk`,
`theme`, `timezone`, `viewPanel` (one panel, full view). Anything unknown or malformed is ignored with a note the page shows.
Variables a page does not use are carried along, so filters survive a visit to such a page.
"""
from __future__ import annotations

import dataclasses
import re
import time
import unicodedata
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from .catalog.variables import VARIABLES
from .timerange import TimeParseError, TimeRange, format_duration, parse_duration, resolve_range
from .timezones import BROWSER_COOKIE, UTC, DisplayZone, resolve_zone

DEFAULT_FROM, DEFAULT_TO = "now-6h", "now"
MAX_VALUE_LENGTH = 256
MAX_VALUES = 50
_KNOWN = {"from", "to", "refresh", "kiosk", "theme", "orgId", "timezone", "viewPanel"}
# Panel ids as the catalog and dashboard files write them, and Grafana's numeric ids and `panel-<n>`.
_PANEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
MAX_REFRESH_SECONDS = 86400  # browsers' timers overflow past 24.8 days; nobody needs more than a day


@dataclasses.dataclass(frozen=True)
class ViewState:
    time_range: TimeRange
    variables: Mapping[str, tuple[str, ...]]  # empty tuple = All
    refresh_seconds: int | None = None
    kiosk: bool = False
    theme: str = "light"
    notes: tuple[str, ...] = ()
    zone: DisplayZone = UTC
    timezone_param: str = ""  # as the URL gave it ("" = the server's default)
    carried: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # other pages' filters
    # `viewPanel`: the one panel shown full size. Not in `query_params`: links to other pages must
    # not carry it; the links of this page that keep it pass it to `url` (`viewPanel=...`).
    view_panel: str = ""

    def selections(self, names) -> dict[str, tuple[str, tuple[str, ...]]]:
        """(label, values) per variable name, as the templating engine wants them."""
        return {n: (VARIABLES[n].label, self.variables.get(n, ())) for n in names}

    def query_params(self, **overrides) -> list[tuple[str, str]]:
        """The URL parameters that reproduce this view (for links and the share button)."""
        params: list[tuple[str, str]] = [("from", self.time_range.raw_from), ("to", self.time_range.raw_to)]
        for name, values in {**self.carried, **self.variables}.items():
            for value in values:
                params.append((f"var-{name}", value))
        if self.timezone_param:
            params.append(("timezone", self.timezone_param))
        if self.refresh_seconds:
            params.append(("refresh", overrides.get("refresh", _refresh_text(self.refresh_seconds))))
        if self.kiosk:
            params.append(("kiosk", ""))
        if self.theme != "light":
            params.append(("theme", self.theme))
        return params

    def query_string(self) -> str:
        return urlencode(self.query_params())

    def url(self, path: str, **changes) -> str:
        """A link to `path` showing this view, with `changes` applied: every link is built here.

        `changes` name URL parameters (`from_` for `from`, `var_namespace` for `var-namespace`);
        a value of None removes the parameter, a list or tuple repeats it.
        """
        names = {k: ("from" if k == "from_" else k.replace("var_", "var-", 1) if k.startswith("var_") else k)
                 for k in changes}
        params = [(k, v) for k, v in self.query_params() if k not in names.values()]
        for key, value in changes.items():
            if value is None:
                continue
            for v in (value if isinstance(value, (list, tuple)) else [value]):
                params.append((names[key], str(v)))
        query = urlencode(params)
        return f"{path}?{query}" if query else path


def entity_path(template: str, values: Mapping[str, str]) -> str:
    """An entity page's path: each `<name>` (page template) or `{name}` (catalog link) of the template
    filled with its value, percent-encoded whole (a Jenkins folder job's slash becomes %2F, which
    the page reads back as a slash)."""
    path = template
    for name, value in values.items():
        encoded = quote(str(value), safe="")
        path = path.replace(f"<{name}>", encoded).replace("{" + name + "}", encoded)
    return path


def _refresh_text(seconds: int) -> str:
    return format_duration(seconds)


def _clean_value(value: str) -> str | None:
    if not isinstance(value, str) or value == "" or len(value) > MAX_VALUE_LENGTH:
        return None
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return None
    return value


def _as_list(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return [value] if isinstance(value, str) else []


def _request_defaults() -> tuple[str, int, str | None]:
    """(default `timezone`, refresh floor in seconds, the browser's zone) for the current request."""
    from flask import has_request_context, request

    from .runtime import current_runtime
    runtime = current_runtime()
    default_zone = runtime.settings.timezone if runtime else "utc"
    floor = runtime.settings.min_refresh_seconds if runtime else 5
    browser = request.cookies.get(BROWSER_COOKIE) if has_request_context() else None
    return default_zone, floor, browser


def parse_view_state(params: Mapping[str, object], now: float | None = None,
                     allowed_variables=None, defaults: tuple[str, int, str | None] | None = None) -> ViewState:
    """Parse URL query parameters (values str or list of str) into a ViewState.

    `defaults` is (default timezone, refresh floor in seconds, browser zone); by default the
    serving app's settings and the request's cookie.
    """
    now = time.time() if now is None else now
    allowed = set(VARIABLES) if allowed_variables is None else set(allowed_variables)
    notes: list[str] = []
    default_zone, refresh_floor, browser_zone = defaults or _request_defaults()

    timezone_param = (_as_list(params.get("timezone")) or [""])[0][:64]
    zone, zone_note = resolve_zone(timezone_param or default_zone, browser_zone)
    if zone_note:
        notes.append(zone_note)

    raw_from = (_as_list(params.get("from")) or [DEFAULT_FROM])[0]
    raw_to = (_as_list(params.get("to")) or [DEFAULT_TO])[0]
    try:
        time_range = resolve_range(raw_from, raw_to, now, zone.tz)
        notes.extend(time_range.notes)
    except TimeParseError as exc:
        notes.append(f"Ignored the time range ({exc}); showing the last 6 hours.")
        time_range = resolve_range(DEFAULT_FROM, DEFAULT_TO, now, zone.tz)

    variables: dict[str, tuple[str, ...]] = {}
    carried: dict[str, tuple[str, ...]] = {}
    for key, raw in params.items():
        if not isinstance(key, str) or not key.startswith("var-"):
            continue
        name = key[4:]
        if name not in allowed and name not in VARIABLES:
            notes.append(f"Ignored unknown variable {name[:40]!r}.")
            continue
        target = variables if name in allowed else carried
        values: list[str] = []
        for value in _as_list(raw):
            clean = _clean_value(value)
            if clean is None:
                notes.append(f"Ignored an invalid value of {name}.")
            elif clean in ("All", "$__all"):
                values = []
                break
            elif clean not in values:
                values.append(clean)
        if len(values) > MAX_VALUES:
            notes.append(f"Kept the first {MAX_VALUES} values of {name}.")
            values = values[:MAX_VALUES]
        target[name] = tuple(values)

    refresh = None
    raw_refresh = (_as_list(params.get("refresh")) or [""])[0]
    if raw_refresh and raw_refresh != "off":
        try:
            refresh = parse_duration(raw_refresh)
            if refresh < refresh_floor:
                notes.append(f"Refresh raised to the {_refresh_text(refresh_floor)} minimum.")
                refresh = refresh_floor
            elif refresh > MAX_REFRESH_SECONDS:
                notes.append("Refresh lowered to the 1d maximum.")
                refresh = MAX_REFRESH_SECONDS
        except TimeParseError:
            notes.append(f"Ignored refresh {raw_refresh[:20]!r}.")

    theme = (_as_list(params.get("theme")) or ["light"])[0]
    if theme not in ("light", "dark"):
        notes.append(f"Ignored theme {theme[:20]!r}.")
        theme = "light"

    view_panel = (_as_list(params.get("viewPanel")) or [""])[0]
    if view_panel and not _PANEL_ID.match(view_panel):
        notes.append(f"Ignored viewPanel {view_panel[:40]!r}: not a panel id.")
        view_panel = ""

    for key in params:
        if isinstance(key, str) and key not in _KNOWN and not key.startswith("var-"):
            notes.append(f"Ignored unknown parameter {key[:40]!r}.")

    return ViewState(time_range, variables, refresh, "kiosk" in params, theme, tuple(notes), zone,
                     timezone_param if timezone_param == zone.param else "", carried, view_panel)
