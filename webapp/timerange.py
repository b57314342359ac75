"""Grafana-compatible time expressions, step selection and step alignment.

Time expressions follow Grafana's URL grammar: `now` with any chain of `+N<unit>`, `-N<unit>` and
`/<unit>` (round to the start of the period; for a range's `to`, to its end), epoch milliseconds,
`YYYYMMDD`, `YYYYMMDDTHHmmss` and ISO 8601. Calendar units (days and longer) and rounding follow the
wall clock of the dashboard's time zone (`zoneinfo`), as Grafana does.
"""
from __future__ import annotations

import dataclasses
import math
import re
import time
from datetime import datetime, timezone, tzinfo

from dateutil.relativedelta import relativedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "M": 2592000, "y": 31536000}
# Grafana's date math units (datemath.ts); Q is a quarter. Days and longer move on the wall clock.
_CALENDAR = {"d": relativedelta(days=1), "w": relativedelta(weeks=1), "M": relativedelta(months=1),
             "Q": relativedelta(months=3), "y": relativedelta(years=1)}
_MATH_OP = re.compile(r"([+-])(\d{1,6})?([smhdwMQy])|/([smhdwMQy])")
_DURATION = re.compile(r"^(\d{1,6})([smhdwy])$")
_EPOCH = re.compile(r"^\d{1,19}(\.\d{1,9})?$")
# An ISO 8601 time whose "+hh:mm" offset arrived as " hh:mm" (a "+" typed unencoded into a URL is a space).
_SPACED_OFFSET = re.compile(r"^(\d{4}-?\d{2}-?\d{2}[T ]\d{2}:?\d{2}(?::?\d{2}(?:[.,]\d{1,9})?)?) (\d{2}(?::?\d{2})?)$")
MAX_TIME_TEXT = 64

# The relative ranges of the time picker, as Grafana offers them.
QUICK_RANGES: tuple[tuple[str, str], ...] = (
    ("now-5m", "Last 5 minutes"), ("now-15m", "Last 15 minutes"), ("now-30m", "Last 30 minutes"),
    ("now-1h", "Last 1 hour"), ("now-3h", "Last 3 hours"), ("now-6h", "Last 6 hours"),
    ("now-12h", "Last 12 hours"), ("now-24h", "Last 24 hours"), ("now-2d", "Last 2 days"),
    ("now-7d", "Last 7 days"), ("now-30d", "Last 30 days"), ("now/d", "Today so far"),
)
REFRESH_CHOICES: tuple[str, ...] = ("off", "10s", "30s", "1m", "5m", "15m", "1h")

# Steps Grafana-like panels snap to, so that neighbouring ranges share cache entries.
NICE_STEPS = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_POINTS_PER_SERIES = 11000


class TimeParseError(ValueError):
    pass


def _start_of(moment: datetime, unit: str) -> datetime:
    """The start of the `unit` period holding `moment`, on `moment`'s wall clock (weeks start on Monday)."""
    if unit == "s":
        return moment.replace(microsecond=0)
    if unit == "m":
        return moment.replace(second=0, microsecond=0)
    if unit == "h":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "d":
        return day
    if unit == "w":
        return day - relativedelta(days=day.weekday())
    if unit == "M":
        return day.replace(day=1)
    if unit == "Q":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def _wall(ts: float, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(ts, tz=tz).replace(tzinfo=None)


def _epoch(wall: datetime, tz: tzinfo) -> float:
    return wall.replace(tzinfo=tz).timestamp()


def _date_math(ops: str, now: float, tz: tzinfo, round_up: bool) -> float:
    ts, pos = now, 0
    while pos < len(ops):
        match = _MATH_OP.match(ops, pos)
        if not match:
            raise TimeParseError(f"not a time: now{ops[:40]!r}")
        pos = match.end()
        if match[4]:  # rounding: to the period's start, or for a range's end to the next period's start
            unit = match[4]
            start = _start_of(_wall(ts, tz), unit)
            if round_up:
                start = start + (_CALENDAR.get(unit) or relativedelta(seconds=_UNITS[unit]))
            ts = _epoch(start, tz)
            continue
        sign = 1 if match[1] == "+" else -1
        count = int(match[2] or 1)
        unit = match[3]
        if unit in _CALENDAR:
            ts = _epoch(_wall(ts, tz) + sign * count * _CALENDAR[unit], tz)
        else:
            ts += sign * count * _UNITS[unit]
    return ts


def read_time(text: str, now: float, tz: tzinfo = timezone.utc, round_up: bool = False) -> tuple[float, str | None]:
    """Any time form Grafana accepts -> (epoch seconds, note or None).

    The note says when a value was read in a way its writer may not have meant (epoch seconds,
    microseconds or nanoseconds where Grafana expects milliseconds). An offset whose "+" became a
    space gets it back silently: a space can mean nothing else there.
    `round_up` is for a range's `to`: `now/d` then means the end of today. Raises TimeParseError.
    """
    value = text.strip() if isinstance(text, str) else ""
    if not value or len(value) > MAX_TIME_TEXT:
        raise TimeParseError(f"not a time: {str(text)[:40]!r}")
    if value.startswith("now"):
        return _date_math(value[3:], now, tz, round_up), None
    if len(value) == 8 and value.isdigit() or re.fullmatch(r"\d{8}T\d{6}", value):
        # Grafana's compact URL forms YYYYMMDD and YYYYMMDDTHHmmss, always UTC.
        try:
            moment = datetime.strptime(value, "%Y%m%d" if len(value) == 8 else "%Y%m%dT%H%M%S")
        except ValueError:
            raise TimeParseError(f"not a time: {value[:40]!r}") from None
        return moment.replace(tzinfo=timezone.utc).timestamp(), None
    if _EPOCH.match(value):
        number = float(value)
        # Epoch milliseconds below 1e11 lie before March 1973, seconds above 1e11 after year 5000:
        # the magnitude tells which unit the writer used.
        for limit, scale, name in ((1e11, 1.0, "seconds"), (1e14, 1e-3, None), (1e17, 1e-6, "microseconds")):
            if number < limit:
                ts = number * scale
                note = (f"Read {value} as epoch {name} (Grafana's URLs use milliseconds)." if name else None)
                return ts, note
        return number * 1e-9, f"Read {value} as epoch nanoseconds (Grafana's URLs use milliseconds)."
    value = restore_plus(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise TimeParseError(f"not a time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)  # as Grafana: a time without offset is in the dashboard's zone
    return moment.timestamp(), None


def restore_plus(text: str) -> str:
    """An ISO 8601 time whose `+hh:mm` offset arrived as ` hh:mm` (a `+` typed unencoded into the
    address bar is a space in a query string) with its `+` back; anything else unchanged."""
    spaced = _SPACED_OFFSET.match(text.strip()) if isinstance(text, str) else None
    return f"{spaced[1]}+{spaced[2]}" if spaced else text


def parse_time(text: str, now: float, tz: tzinfo = timezone.utc, round_up: bool = False) -> float:
    """`now-6h`, `now/d`, epoch milliseconds, ISO 8601, ... -> epoch seconds (see `read_time`)."""
    return read_time(text, now, tz, round_up)[0]


def parse_duration(text: str) -> int:
    """`30s`, `5m`, `1h` -> seconds (the refresh interval grammar)."""
    match = _DURATION.match(text.strip())
    if not match:
        raise TimeParseError(f"not a duration: {text[:20]!r}")
    return int(match[1]) * _UNITS[match[2]]


def format_duration(seconds: float) -> str:
    """Seconds -> the shortest exact PromQL duration (`90s` -> `90s`, `3600` -> `1h`)."""
    seconds = max(1, int(round(seconds)))
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


@dataclasses.dataclass(frozen=True)
class TimeRange:
    """A resolved time range; `raw_from`/`raw_to` are what the URL said, `notes` how it was read."""

    start: float
    end: float
    raw_from: str = "now-6h"
    raw_to: str = "now"
    notes: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def is_relative(self) -> bool:
        return self.raw_to.startswith("now")

    def step_for(self, max_points: int, min_step: float = 15) -> int:
        """Grafana's rule with a point budget: the smallest nice step giving <= max_points."""
        wanted = max(min_step, self.seconds / max(1, max_points), self.seconds / MAX_POINTS_PER_SERIES)
        for step in NICE_STEPS:
            if step >= wanted:
                return step
        return int(math.ceil(wanted / 86400) * 86400)

    def aligned(self, step: int) -> tuple[float, float]:
        """Start and end rounded down to multiples of step, so caches hit."""
        return math.floor(self.start / step) * step, math.floor(self.end / step) * step


def resolve_range(raw_from: str, raw_to: str, now: float | None = None, tz: tzinfo = timezone.utc) -> TimeRange:
    """Parse both ends (`to` rounds up: `now-1d/d` to `now-1d/d` is all of yesterday).

    A range ending in the future ends now (there is no data after now, and instant panels read
    the end). Raises TimeParseError on nonsense or an empty/inverted range.
    """
    now = time.time() if now is None else now
    start, from_note = read_time(raw_from, now, tz)
    end, to_note = read_time(raw_to, now, tz, round_up=True)
    end = min(end, now)
    if end <= start:
        raise TimeParseError("the range ends before it starts" if start <= now else "the range is in the future")
    if end - start > 400 * 86400:
        raise TimeParseError("ranges longer than 400 days are not supported")
    notes = tuple(f"{side}: {n}" for side, n in (("from", from_note), ("to", to_note)) if n)
    return TimeRange(start, end, restore_plus(raw_from), restore_plus(raw_to), notes)
