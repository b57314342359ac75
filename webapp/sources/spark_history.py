"""The Spark History Server (`/api/v1`) as a data source of the Level 2 Spark application page.

Scoping fields of an application: `id`, `name`, `user` (sparkUser) and `namespace` (its
`spark.kubernetes.namespace` property, from `/environment`).
"""
from __future__ import annotations

from ..sparkhistory import SOURCE, SparkHistoryClient
from . import transport
from .registry import register
from .rest import RestPanelSource


class SparkHistorySource(RestPanelSource):
    name = "spark_history"
    title = SOURCE
    fields = ("id", "name", "user", "namespace")

    def entity_fields(self, entity: str) -> dict | None:
        app = self.client.application(entity)
        if app is None:
            return None
        props = self.client.spark_properties(entity) or {}
        return {"id": app.id, "name": app.name, "user": app.spark_user,
                "namespace": props.get("spark.kubernetes.namespace", "")}

    def probe(self) -> None:
        self.client.version()


def build(settings, cache, credentials, prometheus_client=None):
    if not settings.spark_history_url:
        return None
    client = SparkHistoryClient(settings.spark_history_url, settings.query_timeout_seconds, cache,
                                session=transport.session(credentials, source="spark_history"))
    return SparkHistorySource(client)


register("spark_history", SOURCE, build)
