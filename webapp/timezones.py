"""Time zones as Grafana's `timezone` URL parameter names them: `utc`, `browser` or an IANA name.

The browser's own zone reaches the server in the `dataops_tz` cookie, which `assets/timezone.js`
sets from `Intl.DateTimeFormat().resolvedOptions().timeZone` before the first page is requested.
"""
from __future__ import annotations

import dataclasses
import re
from datetime import timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BROWSER_COOKIE = "dataops_tz"
_IANA = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")


class TimeZoneError(ValueError):
    """Not a time zone this server knows."""


def zone_for(name: str) -> tzinfo:
    """`utc`/`UTC` or an IANA name (`Asia/Seoul`) -> tzinfo; raises TimeZoneError."""
    if not isinstance(name, str) or name.lower() in ("utc", "z", "etc/utc"):
        if isinstance(name, str):
            return timezone.utc
        raise TimeZoneError("not a time zone")
    if len(name) > 64 or not _IANA.match(name):
        raise TimeZoneError(f"not a time zone: {name[:40]!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeZoneError(f"unknown time zone {name[:40]!r}") from None


@dataclasses.dataclass(frozen=True)
class DisplayZone:
    """The zone a view is shown in: `param` as the URL says it, `name` the resolved zone's name."""

    param: str = "utc"
    name: str = "UTC"

    @property
    def tz(self) -> tzinfo:
        return zone_for(self.name)


UTC = DisplayZone()


def resolve_zone(param: str, browser_zone: str | None) -> tuple[DisplayZone, str | None]:
    """The `timezone` parameter -> (zone, note or None). `browser` needs the browser's zone
    (from its cookie); without it, or with an unknown name, UTC is shown and the note says so."""
    if param == "browser":
        if browser_zone:
            try:
                zone_for(browser_zone)
                return DisplayZone("browser", "UTC" if browser_zone.lower() in ("utc", "etc/utc") else browser_zone), None
            except TimeZoneError:
                pass
        return DisplayZone("browser", "UTC"), "The browser's time zone is not known yet; showing UTC."
    try:
        zone = zone_for(param)
    except TimeZoneError as exc:
        return UTC, f"Ignored timezone ({exc}); showing UTC."
    return DisplayZone(param, "UTC" if zone is timezone.utc else param), None
