"""Panels whose data is not in Prometheus: Spark History Server and the Airflow REST API.

A panel with `source="spark_history"` or `source="airflow"` names a resource in its query
(`Query.expr`), e.g. "stages" or "run_tasks". Each resource turns the client's typed answer
into plain rows (dicts) that the generic renderers draw: `gantt` rows have row/start/end/group/
hover; `rows` tables have one key per column. When the source is not configured or fails, the
panel says so plainly; PromQL panels on the same page are unaffected.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from .catalog.model import Panel

NOT_CONFIGURED = {
    "spark_history": "The Spark History Server is not configured (DATAOPS_SPARK_HISTORY_URL), and stage and task "
                     "timing are not in Prometheus. Everything PromQL gives is shown above.",
    "airflow": "The Airflow REST API is not configured (DATAOPS_AIRFLOW_API_URL), and task instances of a run are "
               "not in Prometheus. Everything PromQL gives is shown above.",
}
SOURCE_NAMES = {"spark_history": "Spark History Server", "airflow": "Airflow REST API"}
MAX_TASKS = 2000


@dataclasses.dataclass(frozen=True)
class RestPanelData:
    """Rows for one panel, or why there are none (same surface as runner.PanelData)."""

    panel: Panel
    rows: tuple[dict, ...] = ()
    error: str | None = None
    notice: str | None = None  # not configured / not found: a plain statement, not an error

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def warnings(self) -> tuple[str, ...]:
        return ()

    @property
    def state(self) -> str:
        if self.error:
            return "error"
        return "empty" if self.empty else "ok"


def _stage_rows(spark, app_id: str, _values: dict) -> list[dict]:
    rows = []
    for s in spark.stages(app_id):
        if s.submission_time is None:
            continue
        end = s.completion_time or dt.datetime.now(dt.timezone.utc)
        rows.append({
            "row": f"{s.stage_id}.{s.attempt_id} {s.name[:40]}", "start": s.submission_time, "end": end,
            "group": s.status,
            "hover": f"stage {s.stage_id}.{s.attempt_id} {s.status}: {s.num_tasks} tasks, {s.num_failed_tasks} failed"
                     + (f"; {s.failure_reason[:120]}" if s.failure_reason else ""),
            "Stage": f"{s.stage_id}.{s.attempt_id}", "Name": s.name, "Status": s.status,
            "Duration": (end - s.submission_time).total_seconds(), "Tasks": s.num_tasks,
            "Failed tasks": s.num_failed_tasks, "Input": s.input_bytes, "Output": s.output_bytes,
            "Shuffle read": s.shuffle_read_bytes, "Shuffle write": s.shuffle_write_bytes,
            "GC time": s.jvm_gc_time_ms / 1000, "Failure": s.failure_reason[:200],
        })
    return sorted(rows, key=lambda r: r["start"])


def _task_rows(spark, app_id: str, _values: dict) -> list[dict]:
    rows: list[dict] = []
    for stage in spark.stages(app_id):
        if len(rows) >= MAX_TASKS:
            break
        for t in spark.tasks(app_id, stage.stage_id, stage.attempt_id, limit=500):
            if t.launch_time is None:
                continue
            end = t.launch_time + dt.timedelta(milliseconds=t.duration_ms or 0)
            rows.append({"row": f"executor {t.executor_id}", "start": t.launch_time, "end": end,
                         "group": f"stage {stage.stage_id}" if t.status == "SUCCESS" else t.status,
                         "hover": f"task {t.task_id} (stage {stage.stage_id}) {t.status} on {t.host}, "
                                  f"{(t.duration_ms or 0) / 1000:.1f} s" + (f": {t.error_message[:120]}"
                                                                            if t.error_message else "")})
    return rows[:MAX_TASKS]


def _executor_rows(spark, app_id: str, _values: dict) -> list[dict]:
    rows = []
    for e in spark.executors(app_id):
        rows.append({"Executor": e.id, "Host": e.host, "Active": "yes" if e.is_active else "no",
                     "Cores": e.total_cores, "Memory used": e.memory_used, "Max memory": e.max_memory,
                     "Completed tasks": e.completed_tasks, "Failed tasks": e.failed_tasks,
                     "GC ratio": (e.total_gc_time_ms / e.total_duration_ms) if e.total_duration_ms else 0.0,
                     "Input": e.total_input_bytes, "Shuffle read": e.total_shuffle_read,
                     "Shuffle write": e.total_shuffle_write, "Removed because": e.remove_reason[:160]})
    return rows


def _event_rows(spark, app_id: str, _values: dict) -> list[dict]:
    events = []
    for e in spark.executors(app_id):
        if e.add_time:
            events.append({"Time": e.add_time, "Event": "executor added", "Detail": f"executor {e.id} on {e.host}"})
        if e.remove_time:
            kind = "OOM kill" if ("137" in e.remove_reason or "OOM" in e.remove_reason.upper()) else "executor removed"
            events.append({"Time": e.remove_time, "Event": kind,
                           "Detail": f"executor {e.id}: {e.remove_reason[:160]}"})
    for s in spark.stages(app_id):
        if s.submission_time:
            events.append({"Time": s.submission_time, "Event": "stage submitted",
                           "Detail": f"stage {s.stage_id}.{s.attempt_id} {s.name[:60]}"})
        if s.completion_time:
            events.append({"Time": s.completion_time, "Event": f"stage {s.status.lower()}",
                           "Detail": f"stage {s.stage_id}.{s.attempt_id}" + (f": {s.failure_reason[:120]}"
                                                                              if s.failure_reason else "")})
    for j in spark.jobs(app_id):
        if j.completion_time:
            events.append({"Time": j.completion_time, "Event": f"job {j.status.lower()}",
                           "Detail": f"job {j.job_id} {j.name[:60]}"})
    return sorted(events, key=lambda r: r["Time"], reverse=True)


def _run_rows(airflow, dag_id: str, values: dict) -> list[dict]:
    rows = []
    for r in airflow.dag_runs(dag_id, limit=25):
        rows.append({"Run": r.dag_run_id, "State": r.state, "Type": r.run_type, "Started": r.start_date,
                     "Duration": r.duration, "_href": {"dag_id": dag_id, "run_id": r.dag_run_id}})
    return rows


def _run_task_rows(airflow, dag_id: str, values: dict) -> list[dict]:
    run_id = values.get("run_id")
    if not run_id:
        runs = airflow.dag_runs(dag_id, limit=1)
        if not runs:
            return []
        run_id = runs[0].dag_run_id
    rows = []
    for t in airflow.task_instances(dag_id, run_id):
        if t.start_date is None:
            continue
        end = t.end_date or dt.datetime.now(dt.timezone.utc)
        rows.append({"row": t.task_id, "start": t.start_date, "end": end, "group": t.state or "none",
                     "hover": f"{t.task_id}: {t.state or 'no state'}, try {t.try_number}, {t.duration or 0:.0f} s "
                              f"(run {run_id})"})
    return rows


Fetcher = Callable[[object, str, dict], list[dict]]
RESOURCES: dict[str, dict[str, tuple[str, Fetcher]]] = {
    # source -> resource -> (path variable holding the entity id, fetcher)
    "spark_history": {"stages": ("app_id", _stage_rows), "tasks": ("app_id", _task_rows),
                      "executors": ("app_id", _executor_rows), "events": ("app_id", _event_rows)},
    "airflow": {"runs": ("dag_id", _run_rows), "run_tasks": ("dag_id", _run_task_rows)},
}


def rest_request(panel: Panel, path_values: dict[str, str]):
    """The data source request of a REST panel, or the RestPanelData it shows instead."""
    from .sources.rest import PanelRequest

    variable, _ = RESOURCES[panel.source][panel.queries[0].expr]
    entity = path_values.get(variable)
    if not entity:
        return RestPanelData(panel, error="No entity for this panel")
    others = tuple(sorted((k, v) for k, v in path_values.items() if k != variable))
    return PanelRequest(panel.queries[0].expr, entity, others)


def rest_panel_data(panel: Panel, request, answer) -> RestPanelData:
    """What a REST panel shows for the engine's answer (rows or a SourceError); never raises."""
    from .sources.base import SourceError

    if not isinstance(answer, SourceError):
        return RestPanelData(panel, tuple(answer))
    if answer.kind == "not_configured":
        return RestPanelData(panel, notice=NOT_CONFIGURED.get(panel.source, "This data source is not configured."))
    if answer.kind == "not_found" or answer.status == 404:
        return RestPanelData(panel, notice=f"The {SOURCE_NAMES[panel.source]} has no record of {request.entity!r}.")
    return RestPanelData(panel, error=answer.user_message)
