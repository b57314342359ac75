"""Value formatting by unit, and making label text safe for Plotly (which treats it as HTML)."""
from __future__ import annotations

import contextlib
import html
import math
from contextvars import ContextVar
from datetime import datetime

import numpy as np

from webapp.timezones import UTC, DisplayZone

_BYTES = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


# The zone times are shown in while one view is rendered (Grafana's `timezone`); set by the callbacks.
_ZONE: ContextVar[DisplayZone] = ContextVar("display_zone", default=UTC)


# The view's time range (epoch seconds) while one panel is rendered: time axes show all of it, as
# Grafana's do, not only where the data happen to be.
_SPAN: ContextVar[tuple[float, float] | None] = ContextVar("display_span", default=None)


@contextlib.contextmanager
def display_zone(zone: DisplayZone, span: tuple[float, float] | None = None):
    """Render times in `zone` within this block (axes, tables, timelines); time axes cover `span`
    (start, end epoch seconds) when given."""
    token, span_token = _ZONE.set(zone), _SPAN.set(span)
    try:
        yield
    finally:
        _ZONE.reset(token)
        _SPAN.reset(span_token)


def current_zone() -> DisplayZone:
    return _ZONE.get()


def axis_range() -> list[float] | None:
    """The time axis range of the view being rendered, in the display zone's wall-clock epoch ms."""
    span = _SPAN.get()
    return None if span is None else [float(v) for v in wall_epoch_ms(np.array(span, dtype=float))]


def wall_epoch_ms(epoch_seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds -> float epoch milliseconds shifted to the display zone's wall clock.

    Plotly draws a number on a date axis as UTC wall time, so shifting by the zone's UTC offset at
    each moment makes it draw the zone's wall clock (daylight-saving changes included)."""
    seconds = np.asarray(epoch_seconds, dtype=float)
    tz = _ZONE.get().tz
    if seconds.size == 0:
        return seconds * 1000

    def offset(t: float) -> float:
        return datetime.fromtimestamp(t, tz).utcoffset().total_seconds()

    lo, hi = float(np.nanmin(seconds)), float(np.nanmax(seconds))
    # An offset change lasts months, so probing every 6 hours (and both ends) finds any in the range.
    probes = {offset(t) for t in (*np.arange(lo, hi, 6 * 3600.0), hi)}
    if len(probes) == 1:
        return (seconds + probes.pop()) * 1000
    shifts = np.array([offset(float(t)) if np.isfinite(t) else 0.0 for t in seconds])
    return (seconds + shifts) * 1000


def wall_times(epoch_seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds -> datetime64[ms] on the display zone's wall clock (what Plotly draws as is)."""
    return wall_epoch_ms(epoch_seconds).astype("int64").astype("datetime64[ms]")


def time_axis_title() -> str:
    """The label of every time axis: which zone its wall-clock times are in."""
    return f"Time ({_ZONE.get().name})"


def format_moment(moment: datetime, seconds: bool = False) -> str:
    """A moment as text in the display zone, with the zone named (`2025-11-26 18:02 Asia/Seoul`)."""
    zone = _ZONE.get()
    return moment.astimezone(zone.tz).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else "")) + f" {zone.name}"


def safe(text: object) -> str:
    """Escape <, > and & so a label value can never become markup in a legend or hover."""
    return html.escape(str(text), quote=False)


def format_value(value: float | None, unit: str, value_map: tuple[tuple[float, str], ...] = ()) -> str:
    """Human text for a value in a catalog unit."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    for mapped, text in value_map:
        if value == mapped:
            return text
    if math.isinf(value):
        return "∞"
    if unit == "percentunit":
        return f"{value * 100:.1f}%"
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "bytes":
        size, i = abs(value), 0
        while size >= 1024 and i < len(_BYTES) - 1:
            size, i = size / 1024, i + 1
        return f"{'-' if value < 0 else ''}{size:.1f} {_BYTES[i]}"
    if unit == "Bps":
        return format_value(value, "bytes") + "/s"
    if unit in ("s", "ms"):
        seconds = value / 1000 if unit == "ms" else value
        if abs(seconds) < 1:
            return f"{seconds * 1000:.0f} ms"
        if abs(seconds) < 120:
            return f"{seconds:.1f} s"
        if abs(seconds) < 7200:
            return f"{seconds / 60:.1f} min"
        if abs(seconds) < 172800:
            return f"{seconds / 3600:.1f} h"
        return f"{seconds / 86400:.1f} d"
    if unit == "dateTime":
        return format_moment(datetime.fromtimestamp(value, tz=_ZONE.get().tz))
    if unit == "dollars":
        return f"${value:,.2f}"
    if unit == "cores":
        return f"{value:.2f} cores"
    if unit == "ops":
        return f"{value:.1f} ops/s"
    # SI prefixes, as the alert texts' humanize writes them: 94.5G, not 94509.1M
    if abs(value) >= 1e12:
        return f"{value / 1e12:.1f}T"
    if abs(value) >= 1e9:
        return f"{value / 1e9:.1f}G"
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:.1f}k"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.2f}"


