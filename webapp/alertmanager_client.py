"""A small client for Alertmanager's v2 API: the active silences (GET /api/v2/silences).

Used only when `DATAOPS_ALERTMANAGER_URL` is set; /alerts then shows the silences and marks the
alerts they cover. Failures raise AlertmanagerError (one type, a one-line message).
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import datetime

import requests

from .telemetry import traced_session


class AlertmanagerError(Exception):
    """Alertmanager unreachable, slow or answering something unexpected."""


@dataclasses.dataclass(frozen=True)
class Matcher:
    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.is_regex:
            try:
                hit = re.fullmatch(self.value, actual) is not None
            except re.error:
                return False
        else:
            hit = actual == self.value
        return hit if self.is_equal else not hit


@dataclasses.dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    created_by: str
    comment: str
    state: str  # active | pending | expired

    def covers(self, labels: Mapping[str, str]) -> bool:
        return self.state == "active" and all(m.matches(labels) for m in self.matchers)

    @property
    def matcher_text(self) -> str:
        ops = {(False, True): "=", (False, False): "!=", (True, True): "=~", (True, False): "!~"}
        return ", ".join(f'{m.name}{ops[(m.is_regex, m.is_equal)]}"{m.value}"' for m in self.matchers)


def _time(text: object) -> float:
    if not isinstance(text, str):
        return float("nan")
    raw = text.replace("Z", "+00:00")
    main, _, rest = raw.partition(".")
    if rest:
        digits = "".join(ch for ch in rest if ch.isdigit())
        raw = f"{main}.{digits[:6]}{rest[len(digits):]}"
    try:
        return datetime.fromisoformat(raw).timestamp()
    except ValueError:
        return float("nan")


def parse_silences(payload: object) -> list[Silence]:
    if not isinstance(payload, list):
        raise AlertmanagerError("silences response is not a JSON list")
    silences = []
    for item in payload:
        if not isinstance(item, dict):
            continue
        matchers = tuple(
            Matcher(str(m.get("name", "")), str(m.get("value", "")), bool(m.get("isRegex", False)),
                    bool(m.get("isEqual", True)))
            for m in item.get("matchers") or () if isinstance(m, dict))
        status = item.get("status") if isinstance(item.get("status"), dict) else {}
        silences.append(Silence(str(item.get("id", "")), matchers, _time(item.get("startsAt")),
                                _time(item.get("endsAt")), str(item.get("createdBy", "")),
                                str(item.get("comment", "")), str(status.get("state", ""))))
    return silences


class AlertmanagerClient:
    def __init__(self, url: str, timeout: float = 5.0, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._session = session or traced_session("alertmanager")

    def silences(self, include_expired: bool = False) -> list[Silence]:
        """Silences, active and pending first (expired ones only when asked)."""
        return select_silences(parse_silences(self.silences_payload()), include_expired)

    def silences_payload(self) -> object:
        """GET /api/v2/silences as sent (a JSON list); raises AlertmanagerError."""
        return self._get("/api/v2/silences")

    def status(self) -> object:
        """GET /api/v2/status (cluster, version, config): a probe that reads no silences; raises
        AlertmanagerError."""
        return self._get("/api/v2/status")

    def _get(self, path: str) -> object:
        try:
            response = self._session.get(f"{self.url}{path}", timeout=self.timeout)
        except requests.exceptions.Timeout:
            raise AlertmanagerError(f"Alertmanager did not answer within {self.timeout:g}s") from None
        except requests.exceptions.RequestException as exc:
            raise AlertmanagerError(f"Alertmanager unreachable ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise AlertmanagerError(f"Alertmanager answered HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError:
            raise AlertmanagerError("Alertmanager answered without JSON") from None
        return payload


def select_silences(silences: list[Silence], include_expired: bool = False) -> list[Silence]:
    """Active and pending first, by end time (expired ones only when asked)."""
    if not include_expired:
        silences = [s for s in silences if s.state in ("active", "pending")]
    order = {"active": 0, "pending": 1, "expired": 2}
    return sorted(silences, key=lambda s: (order.get(s.state, 3), s.ends_at))
