"""Alertmanager's silences (`GET /api/v2/silences`) as a data source of /alerts.

Tenant scope: silences name other teams' label values, so only groups that see everything get
them; a scoped group is refused (its alerts are shown without silence marks).
"""
from __future__ import annotations

import dataclasses

from ..alertmanager_client import AlertmanagerClient, AlertmanagerError
from . import transport
from .base import SourceError, SourceHealth, forbidden, probe_health
from .registry import register

TITLE = "Alertmanager"


@dataclasses.dataclass(frozen=True)
class Silences:
    """Every silence Alertmanager holds (the page filters by state)."""


class AlertmanagerSource:
    name = "alertmanager"
    title = TITLE

    def __init__(self, client: AlertmanagerClient):
        self.client = client

    def scope(self, request, scope):
        if scope:
            raise forbidden(TITLE, "silences are shown to groups that see everything")
        return request

    def cache_key(self, request) -> str:
        return f"silences|{self.client.url}"

    def ttl(self, request) -> int:
        return 15

    def fetch(self, request):
        try:
            return self.client.silences_payload()
        except AlertmanagerError as exc:
            raise SourceError("unreachable", str(exc), source=TITLE) from None

    def cacheable(self, answer) -> bool:
        return isinstance(answer, list)

    def health(self) -> SourceHealth:
        # Not the silences: a probe must not move what only unscoped groups may see.
        return probe_health(self, self.client.status, (AlertmanagerError,))


def build(settings, cache, credentials, prometheus_client=None):
    if not settings.alertmanager_url:
        return None
    return AlertmanagerSource(AlertmanagerClient(settings.alertmanager_url, session=transport.session(credentials, source="alertmanager")))


register("alertmanager", TITLE, build)
