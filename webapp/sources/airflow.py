"""The Airflow 3 REST API (`/api/v2`) as a data source of the Level 2 DAG and DAG run pages.

Scoping fields of a DAG: `dag_id`, `tags` and `owners` (lists: a matcher holds when any item
matches). Credentials: a bearer token file, or a username and password file for the JWT login
(`POST /auth/token`).
"""
from __future__ import annotations

from ..airflowapi import SOURCE, AirflowClient
from . import transport
from .registry import register
from .rest import RestPanelSource


class AirflowSource(RestPanelSource):
    name = "airflow"
    title = SOURCE
    fields = ("dag_id", "tags", "owners")

    def entity_fields(self, entity: str) -> dict | None:
        dag = self.client.dag(entity)
        if dag is None:
            return None
        return {"dag_id": dag.dag_id, "tags": list(dag.tags), "owners": list(dag.owners)}

    def probe(self) -> None:
        # Through the login, so that refused credentials show as the source being down.
        self.client.health()


def build(settings, cache, credentials, prometheus_client=None):
    if not settings.airflow_api_url:
        return None
    creds = credentials or transport.Credentials()
    client = AirflowClient(settings.airflow_api_url, settings.query_timeout_seconds, cache,
                           token=creds.token(), login=creds.login if creds.username_file else None,
                           session=transport.session(creds, basic_auth=False, source="airflow"))
    return AirflowSource(client)


register("airflow", SOURCE, build)
