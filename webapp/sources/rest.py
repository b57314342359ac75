"""Shared shape of the Level 2 REST sources (Spark History Server, Airflow REST API).

A request names one panel resource of one entity (`PanelRequest`). Tenant scope: the entity's own
fields (`entity_fields`) must satisfy the scope's matchers for this source
(`webapp.tenancy.Scope.allows`); otherwise the answer is "not found", exactly as for an entity that
does not exist. The HTTP answers underneath are cached as JSON by the clients (`JsonGetter` over the
engine's cache), so panel rows (with datetimes) are not cached a second time.
"""
from __future__ import annotations

import dataclasses

from .base import SourceError, SourceHealth, probe_health


@dataclasses.dataclass(frozen=True)
class PanelRequest:
    """Rows of `resource` (a RESOURCES key of `webapp.restpanels`) for `entity`; `values`: the
    page's other path variables (e.g. a run id) as sorted pairs."""

    resource: str
    entity: str
    values: tuple[tuple[str, str], ...] = ()


class RestPanelSource:
    """Base of the REST sources; subclasses set name, title, fields and implement entity_fields."""

    name = ""
    title = ""
    fields: tuple[str, ...] = ()

    def __init__(self, client):
        self.client = client

    def entity_fields(self, entity: str) -> dict | None:
        """The entity's scoping fields, or None when the source does not know it."""
        raise NotImplementedError

    def visible(self, entity: str, scope) -> bool | None:
        """True/False: the entity is (not) inside the scope; None: the source does not know it."""
        if scope is not None and not scope:
            return True
        if scope is None or scope.rest_matchers(self.name, self.fields) is None:
            return False
        fields = self.entity_fields(entity)
        if fields is None:
            return None
        return scope.allows(self.name, fields)

    def scope(self, request: PanelRequest, scope) -> PanelRequest:
        if not scope:
            return request
        if not self.visible(request.entity, scope):
            raise SourceError("not_found", "outside the tenant scope or unknown", 404, self.title)
        return request

    def cache_key(self, request) -> None:
        return None

    def ttl(self, request) -> int:
        return 0

    def fetch(self, request: PanelRequest) -> list[dict]:
        from ..restpanels import RESOURCES

        _, fetcher = RESOURCES[self.name][request.resource]
        return fetcher(self.client, request.entity, dict(request.values))

    def cacheable(self, answer) -> bool:
        return False

    def probe(self) -> None:
        raise NotImplementedError

    def health(self) -> SourceHealth:
        return probe_health(self, self.probe)
