"""Airflow 3 REST API (``/api/v2``) client: DAG runs and task instances for the Level 2 DAG page
(task timing is not in Prometheus).

    client = AirflowClient("http://airflow-api-server:8080", username="viewer", password="...")
    dag = client.dag("sales_mart_refresh")                 # None if Airflow does not know it
    runs = client.dag_runs("sales_mart_refresh", limit=25)  # newest first
    tis = client.task_instances("sales_mart_refresh", runs[0].dag_run_id)

With ``username``/``password`` the client gets a JWT from ``POST /auth/token`` (Airflow 3 auth
managers) on first use and again once after a 401; without them requests are anonymous (or pass
``token=`` directly). Every failure raises :class:`webapp.restsource.RestSourceError`. Field
mapping follows the Airflow 3 OpenAPI spec in ``tests/fixtures/airflow/``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import requests

from .restsource import JsonGetter, RestSourceError, as_float, as_int, parse_time, quote_segment

__all__ = ["AirflowClient", "Dag", "DagRun", "TaskInstance", "RestSourceError"]

SOURCE = "The Airflow API"


@dataclass(frozen=True)
class Dag:
    dag_id: str
    display_name: str
    is_paused: bool
    description: str
    timetable_summary: str
    owners: tuple[str, ...]
    tags: tuple[str, ...]
    next_run: dt.datetime | None


@dataclass(frozen=True)
class DagRun:
    dag_run_id: str
    state: str                            # queued | running | success | failed
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    logical_date: dt.datetime | None
    run_type: str                         # scheduled | manual | backfill | ...
    duration: float | None                # seconds


@dataclass(frozen=True)
class TaskInstance:
    task_id: str
    state: str                            # "" when Airflow has none (not yet scheduled)
    start_date: dt.datetime | None
    end_date: dt.datetime | None
    duration: float | None                # seconds
    try_number: int
    map_index: int
    operator: str


def _duration(d: dict) -> float | None:
    v = as_float(d.get("duration"))
    if v is None:
        s, e = parse_time(d.get("start_date")), parse_time(d.get("end_date"))
        if s and e:
            v = (e - s).total_seconds()
    return v


class AirflowClient:
    def __init__(self, base_url: str, timeout: float = 10.0, cache=None, username: str | None = None,
                 password: str | None = None, token: str | None = None, cache_timeout: int = 30, session=None,
                 login=None):
        """`login`: a callable giving (username, password) at login time (credentials read from files,
        so a rotated secret is used at the next login); `session`: from `webapp.sources.transport`."""
        self._http = JsonGetter(base_url, timeout=timeout, cache=cache, source=SOURCE,
                                cache_timeout=cache_timeout, cache_prefix="airflowapi:", session=session)
        if login is not None and (current := login()) is not None:
            username, password = current
        self._login_source = login
        self.base_url = self._http.base_url
        self._username, self._password = username, password
        self._token_tried = False
        if token:
            self._set_token(token)
        if username is not None and password is not None:
            self._http.on_unauthorized = self._refresh_token

    # ------------------------------------------------------------------ auth
    def _set_token(self, token: str) -> None:
        self._http.session.headers["Authorization"] = f"Bearer {token}"

    def _login(self) -> None:
        if self._login_source is not None and (current := self._login_source()) is not None:
            self._username, self._password = current
        url = self.base_url + "/auth/token"
        try:
            resp = self._http.session.post(url, json={"username": self._username, "password": self._password},
                                           timeout=self._http.timeout, allow_redirects=False)
        except requests.Timeout as e:
            raise RestSourceError("timeout", f"POST {url} timed out", source=SOURCE) from e
        except requests.RequestException as e:
            raise RestSourceError("unreachable", f"POST {url} failed: {type(e).__name__}", source=SOURCE) from e
        if resp.status_code not in (200, 201):
            raise RestSourceError("auth", f"POST {url}: HTTP {resp.status_code}", resp.status_code, source=SOURCE)
        try:
            token = resp.json()["access_token"]
        except (ValueError, KeyError, TypeError) as e:
            raise RestSourceError("invalid_response", f"POST {url}: no access_token", resp.status_code,
                                  source=SOURCE) from e
        self._set_token(str(token))

    def _refresh_token(self) -> bool:
        self._login()
        return True

    def _ensure_login(self) -> None:
        if self._username is not None and self._password is not None and not self._token_tried:
            self._token_tried = True
            self._login()

    def _get(self, path: str, params: dict | None = None, not_found_ok: bool = False) -> Any:
        self._ensure_login()
        return self._http.get(path, params, not_found_ok=not_found_ok)

    @staticmethod
    def _dag_path(dag_id: str) -> str:
        return "/api/v2/dags/" + quote_segment(dag_id, "DAG id")

    # ------------------------------------------------------------------ endpoints
    def health(self) -> dict:
        """``/api/v2/monitor/health`` (never cached), after the login: raises RestSourceError."""
        self._ensure_login()
        data = self._http.get("/api/v2/monitor/health", use_cache=False)
        if not isinstance(data, dict):
            raise RestSourceError("invalid_response", "health: expected an object", source=SOURCE)
        return data

    def dag(self, dag_id: str) -> Dag | None:
        d = self._get(self._dag_path(dag_id), not_found_ok=True)
        if d is None:
            return None
        if not isinstance(d, dict) or "dag_id" not in d:
            raise RestSourceError("invalid_response", "dag: expected an object with dag_id", source=SOURCE)
        return Dag(dag_id=str(d["dag_id"]), display_name=str(d.get("dag_display_name") or d["dag_id"]),
                   is_paused=bool(d.get("is_paused", False)), description=str(d.get("description") or ""),
                   timetable_summary=str(d.get("timetable_summary") or ""),
                   owners=tuple(str(o) for o in d.get("owners") or ()),
                   tags=tuple(str(t.get("name", "")) if isinstance(t, dict) else str(t) for t in d.get("tags") or ()),
                   next_run=parse_time(d.get("next_dagrun_run_after")))

    def dag_runs(self, dag_id: str, limit: int = 25) -> list[DagRun]:
        """The newest ``limit`` runs (``order_by=-start_date``), newest first."""
        limit = max(1, min(int(limit), 1000))
        data = self._get(self._dag_path(dag_id) + "/dagRuns", {"order_by": "-start_date", "limit": limit})
        rows = data.get("dag_runs") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise RestSourceError("invalid_response", "dagRuns: expected an object with a dag_runs list", source=SOURCE)
        return [DagRun(dag_run_id=str(r.get("dag_run_id", "")), state=str(r.get("state") or ""),
                       start_date=parse_time(r.get("start_date")), end_date=parse_time(r.get("end_date")),
                       logical_date=parse_time(r.get("logical_date")), run_type=str(r.get("run_type") or ""),
                       duration=_duration(r))
                for r in rows if isinstance(r, dict)]

    def task_instances(self, dag_id: str, dag_run_id: str, limit: int = 500) -> list[TaskInstance]:
        """Task instances of one run, in the order Airflow returns them (by ``map_index`` then task)."""
        limit = max(1, min(int(limit), 1000))
        path = self._dag_path(dag_id) + "/dagRuns/" + quote_segment(dag_run_id, "DAG run id") + "/taskInstances"
        data = self._get(path, {"limit": limit})
        rows = data.get("task_instances") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise RestSourceError("invalid_response", "taskInstances: expected an object with a task_instances list",
                                  source=SOURCE)
        return [TaskInstance(task_id=str(r.get("task_id", "")), state=str(r.get("state") or ""),
                             start_date=parse_time(r.get("start_date")), end_date=parse_time(r.get("end_date")),
                             duration=_duration(r), try_number=as_int(r.get("try_number")),
                             map_index=as_int(r.get("map_index"), -1),
                             operator=str(r.get("operator") or r.get("operator_name") or ""))
                for r in rows if isinstance(r, dict)]

    def close(self) -> None:
        self._http.close()
