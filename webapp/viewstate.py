"""View state: what a URL asks to see, parsed and validated once.

Grafana-compatible parameters: `from`, `to`, `var-<name>` (repeatable), `refresh`, `kiosk`,
`theme`. Anything unknown or malformed is ignored with a note the page shows.
"""
from __future__ import annotations

import dataclasses
import time
import unicodedata
from collections.abc import Mapping
from urllib.parse import urlencode

from .catalog.variables import VARIABLES
from .timerange import REFRESH_CHOICES, TimeParseError, TimeRange, parse_duration, resolve_range

DEFAULT_FROM, DEFAULT_TO = "now-6h", "now"
MAX_VALUE_LENGTH = 256
MAX_VALUES = 50
_KNOWN = {"from", "to", "refresh", "kiosk", "theme", "orgId"}


@dataclasses.dataclass(frozen=True)
class ViewState:
    time_range: TimeRange
    variables: Mapping[str, tuple[str, ...]]  # empty tuple = All
    refresh_seconds: int | None = None
    kiosk: bool = False
    theme: str = "light"
    notes: tuple[str, ...] = ()

    def selections(self, names) -> dict[str, tuple[str, tuple[str, ...]]]:
        """(label, values) per variable name, as the templating engine wants them."""
        return {n: (VARIABLES[n].label, self.variables.get(n, ())) for n in names}

    def query_params(self, **overrides) -> list[tuple[str, str]]:
        """The URL parameters that reproduce this view (for links and the share button)."""
        params: list[tuple[str, str]] = [("from", self.time_range.raw_from), ("to", self.time_range.raw_to)]
        for name, values in self.variables.items():
            for value in values:
                params.append((f"var-{name}", value))
        if self.refresh_seconds:
            params.append(("refresh", overrides.get("refresh", _refresh_text(self.refresh_seconds))))
        if self.kiosk:
            params.append(("kiosk", ""))
        if self.theme != "light":
            params.append(("theme", self.theme))
        return params

    def query_string(self) -> str:
        return urlencode(self.query_params())


def _refresh_text(seconds: int) -> str:
    for text in REFRESH_CHOICES[1:]:
        if parse_duration(text) == seconds:
            return text
    return f"{seconds}s"


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


def parse_view_state(params: Mapping[str, object], now: float | None = None,
                     allowed_variables=None) -> ViewState:
    """Parse URL query parameters (values str or list of str) into a ViewState."""
    now = time.time() if now is None else now
    allowed = set(VARIABLES) if allowed_variables is None else set(allowed_variables)
    notes: list[str] = []

    raw_from = (_as_list(params.get("from")) or [DEFAULT_FROM])[0]
    raw_to = (_as_list(params.get("to")) or [DEFAULT_TO])[0]
    try:
        time_range = resolve_range(raw_from, raw_to, now)
    except TimeParseError as exc:
        notes.append(f"Ignored the time range ({exc}); showing the last 6 hours.")
        time_range = resolve_range(DEFAULT_FROM, DEFAULT_TO, now)

    variables: dict[str, tuple[str, ...]] = {}
    for key, raw in params.items():
        if not isinstance(key, str) or not key.startswith("var-"):
            continue
        name = key[4:]
        if name not in allowed:
            notes.append(f"Ignored unknown variable {name[:40]!r}.")
            continue
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
        variables[name] = tuple(values)

    refresh = None
    raw_refresh = (_as_list(params.get("refresh")) or [""])[0]
    if raw_refresh and raw_refresh != "off":
        try:
            refresh = parse_duration(raw_refresh)
            if refresh < 5:
                notes.append("Refresh raised to the 5s minimum.")
                refresh = 5
        except TimeParseError:
            notes.append(f"Ignored refresh {raw_refresh[:20]!r}.")

    theme = (_as_list(params.get("theme")) or ["light"])[0]
    if theme not in ("light", "dark"):
        notes.append(f"Ignored theme {theme[:20]!r}.")
        theme = "light"

    for key in params:
        if isinstance(key, str) and key not in _KNOWN and not key.startswith("var-"):
            notes.append(f"Ignored unknown parameter {key[:40]!r}.")

    return ViewState(time_range, variables, refresh, "kiosk" in params, theme, tuple(notes))
