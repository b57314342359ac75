"""Spark History Server REST client (``/api/v1``): stage, task and executor timing for the Level 2
Spark application page (not in Prometheus).

    client = SparkHistoryClient("http://spark-history:18080", timeout=10.0, cache=flask_cache)
    app = client.application("spark-...")      # None if the History Server does not know it
    stages = client.stages(app.id)
    tasks = client.tasks(app.id, stages[0].stage_id, stages[0].attempt_id)
    execs = client.executors(app.id)           # removed executors too (remove_time / remove_reason)

Every failure raises :class:`webapp.restsource.RestSourceError`. Times are aware UTC datetimes
(``None`` when the server has none, e.g. a running stage's completion). Field mapping follows the real
Spark 4 answers recorded in ``tests/fixtures/spark_history/`` (``scripts/record_spark_history.py``).
Applications with several attempts (YARN cluster mode) are addressed by application id only, as on
Kubernetes (the History Server then answers for the last attempt).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .restsource import JsonGetter, RestSourceError, as_int, parse_time, quote_segment

__all__ = ["SparkHistoryClient", "SparkApplication", "Job", "Stage", "Task", "Executor", "RestSourceError"]

SOURCE = "The Spark History Server"


@dataclass(frozen=True)
class SparkApplication:
    id: str
    name: str
    start_time: dt.datetime | None
    end_time: dt.datetime | None          # None while running
    duration_ms: int
    completed: bool
    spark_user: str
    spark_version: str
    attempts: int


@dataclass(frozen=True)
class Job:
    job_id: int
    name: str
    status: str                           # RUNNING | SUCCEEDED | FAILED | UNKNOWN
    submission_time: dt.datetime | None
    completion_time: dt.datetime | None
    stage_ids: tuple[int, ...]
    num_tasks: int
    num_completed_tasks: int
    num_failed_tasks: int
    num_failed_stages: int


@dataclass(frozen=True)
class Stage:
    stage_id: int
    attempt_id: int
    name: str
    status: str                           # ACTIVE | COMPLETE | FAILED | PENDING | SKIPPED
    submission_time: dt.datetime | None
    completion_time: dt.datetime | None
    num_tasks: int
    num_failed_tasks: int
    input_bytes: int
    output_bytes: int
    shuffle_read_bytes: int
    shuffle_write_bytes: int
    executor_run_time_ms: int
    jvm_gc_time_ms: int
    failure_reason: str = ""

    @property
    def duration_ms(self) -> int | None:
        if self.submission_time is None or self.completion_time is None:
            return None
        return int((self.completion_time - self.submission_time).total_seconds() * 1000)


@dataclass(frozen=True)
class Task:
    task_id: int
    index: int
    executor_id: str
    host: str
    launch_time: dt.datetime | None
    duration_ms: int | None
    status: str                           # RUNNING | SUCCESS | FAILED | KILLED | ...
    gc_time_ms: int
    attempt: int = 0
    error_message: str = ""


@dataclass(frozen=True)
class Executor:
    id: str
    host: str
    is_active: bool
    add_time: dt.datetime | None
    remove_time: dt.datetime | None
    remove_reason: str
    total_cores: int
    max_memory: int
    memory_used: int
    total_duration_ms: int
    total_gc_time_ms: int
    total_input_bytes: int
    total_shuffle_read: int
    total_shuffle_write: int
    failed_tasks: int
    completed_tasks: int


def _list(data: Any, what: str) -> list[dict]:
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise RestSourceError("invalid_response", f"{what}: expected a JSON list of objects", source=SOURCE)
    return data


def _time(d: dict, name: str) -> dt.datetime | None:
    """Prefer the ``<name>Epoch`` millisecond field (applications) over the GMT string
    (a running application has ``endTimeEpoch: -1``: no time, not 1969)."""
    if name + "Epoch" in d:
        return parse_time(d.get(name + "Epoch"))
    return parse_time(d.get(name))


class SparkHistoryClient:
    def __init__(self, base_url: str, timeout: float = 10.0, cache=None, cache_timeout: int = 30, session=None):
        self._http = JsonGetter(base_url, timeout=timeout, cache=cache, source=SOURCE,
                                cache_timeout=cache_timeout, cache_prefix="sparkhistory:", session=session)
        self.base_url = self._http.base_url

    def _app_path(self, app_id: str) -> str:
        return "/api/v1/applications/" + quote_segment(app_id, "application id")

    # ------------------------------------------------------------------ application
    def application(self, app_id: str) -> SparkApplication | None:
        data = self._http.get(self._app_path(app_id), not_found_ok=True)
        if data is None:
            return None
        if not isinstance(data, dict) or "id" not in data:
            raise RestSourceError("invalid_response", "application: expected an object with an id", source=SOURCE)
        attempts = [a for a in data.get("attempts") or [] if isinstance(a, dict)]
        last = attempts[-1] if attempts else {}
        # the History Server lists attempts newest first
        if attempts and all("attemptId" in a for a in attempts):
            last = max(attempts, key=lambda a: as_int(a.get("attemptId")))
        elif attempts:
            last = attempts[0]
        completed = bool(last.get("completed", False))
        return SparkApplication(
            id=str(data["id"]), name=str(data.get("name", "")),
            start_time=_time(last, "startTime"),
            end_time=_time(last, "endTime") if completed else None,
            duration_ms=as_int(last.get("duration")), completed=completed,
            spark_user=str(last.get("sparkUser", "")), spark_version=str(last.get("appSparkVersion", "")),
            attempts=len(attempts))

    def version(self) -> str:
        """The History Server's Spark version (``/api/v1/version``, never cached): its health probe."""
        data = self._http.get("/api/v1/version", use_cache=False)
        if not isinstance(data, dict) or "spark" not in data:
            raise RestSourceError("invalid_response", "version: expected an object with spark", source=SOURCE)
        return str(data["spark"])

    def spark_properties(self, app_id: str) -> dict[str, str] | None:
        """The application's Spark properties (``/environment``: ``sparkProperties`` pairs), e.g.
        ``spark.kubernetes.namespace``; None if the History Server does not know the application."""
        data = self._http.get(self._app_path(app_id) + "/environment", not_found_ok=True)
        if data is None:
            return None
        pairs = data.get("sparkProperties") if isinstance(data, dict) else None
        if not isinstance(pairs, list):
            raise RestSourceError("invalid_response", "environment: expected sparkProperties pairs", source=SOURCE)
        return {str(p[0]): str(p[1]) for p in pairs if isinstance(p, list) and len(p) == 2}

    def jobs(self, app_id: str) -> list[Job]:
        rows = _list(self._http.get(self._app_path(app_id) + "/jobs"), "jobs")
        return [Job(job_id=as_int(r.get("jobId")), name=str(r.get("name", "")), status=str(r.get("status", "")),
                    submission_time=parse_time(r.get("submissionTime")),
                    completion_time=parse_time(r.get("completionTime")),
                    stage_ids=tuple(as_int(s) for s in r.get("stageIds") or ()),
                    num_tasks=as_int(r.get("numTasks")), num_completed_tasks=as_int(r.get("numCompletedTasks")),
                    num_failed_tasks=as_int(r.get("numFailedTasks")),
                    num_failed_stages=as_int(r.get("numFailedStages")))
                for r in rows]

    def stages(self, app_id: str, with_summaries: bool = False) -> list[Stage]:
        """All stage attempts, ordered by (stage id, attempt id).

        ``with_summaries`` asks for the task quantiles too (a much larger answer the dataclass does not
        keep); off by default."""
        params = {"withSummaries": "true"} if with_summaries else None
        rows = _list(self._http.get(self._app_path(app_id) + "/stages", params), "stages")
        out = [Stage(stage_id=as_int(r.get("stageId")), attempt_id=as_int(r.get("attemptId")),
                     name=str(r.get("name", "")), status=str(r.get("status", "")),
                     submission_time=parse_time(r.get("submissionTime")),
                     completion_time=parse_time(r.get("completionTime")),
                     num_tasks=as_int(r.get("numTasks")), num_failed_tasks=as_int(r.get("numFailedTasks")),
                     input_bytes=as_int(r.get("inputBytes")), output_bytes=as_int(r.get("outputBytes")),
                     shuffle_read_bytes=as_int(r.get("shuffleReadBytes")),
                     shuffle_write_bytes=as_int(r.get("shuffleWriteBytes")),
                     executor_run_time_ms=as_int(r.get("executorRunTime")),
                     jvm_gc_time_ms=as_int(r.get("jvmGcTime")),
                     failure_reason=str(r.get("failureReason") or ""))
               for r in rows]
        return sorted(out, key=lambda s: (s.stage_id, s.attempt_id))

    def tasks(self, app_id: str, stage_id: int, attempt_id: int = 0, limit: int = 500) -> list[Task]:
        """Task attempts of one stage attempt (``taskList``, at most ``limit``, by task id)."""
        limit = max(1, min(int(limit), 10000))
        path = (self._app_path(app_id) + "/stages/" + quote_segment(_int_id(stage_id, "stage id"), "stage id")
                + "/" + quote_segment(_int_id(attempt_id, "attempt id"), "attempt id") + "/taskList")
        rows = _list(self._http.get(path, {"length": limit}), "taskList")
        out = []
        for r in rows[:limit]:
            tm = r.get("taskMetrics") if isinstance(r.get("taskMetrics"), dict) else {}
            dur = r.get("duration")
            out.append(Task(task_id=as_int(r.get("taskId")), index=as_int(r.get("index")),
                            executor_id=str(r.get("executorId", "")), host=str(r.get("host", "")),
                            launch_time=parse_time(r.get("launchTime")),
                            duration_ms=None if dur is None else as_int(dur), status=str(r.get("status", "")),
                            gc_time_ms=as_int(tm.get("jvmGcTime")), attempt=as_int(r.get("attempt")),
                            error_message=str(r.get("errorMessage") or "")))
        return out

    def executors(self, app_id: str, include_removed: bool = True) -> list[Executor]:
        """Executors (driver included); ``include_removed`` uses ``/allexecutors`` so removed ones
        (with ``remove_time`` and ``remove_reason``) are listed too, else ``/executors`` (active only)."""
        path = self._app_path(app_id) + ("/allexecutors" if include_removed else "/executors")
        rows = _list(self._http.get(path), "executors")
        out = []
        for r in rows:
            mm = r.get("memoryMetrics") if isinstance(r.get("memoryMetrics"), dict) else {}
            host_port = str(r.get("hostPort", ""))
            out.append(Executor(
                id=str(r.get("id", "")), host=host_port.rsplit(":", 1)[0] if ":" in host_port else host_port,
                is_active=bool(r.get("isActive", False)), add_time=parse_time(r.get("addTime")),
                remove_time=parse_time(r.get("removeTime")), remove_reason=str(r.get("removeReason") or ""),
                total_cores=as_int(r.get("totalCores")),
                max_memory=as_int(r.get("maxMemory", mm.get("totalOnHeapStorageMemory"))),
                memory_used=as_int(r.get("memoryUsed")), total_duration_ms=as_int(r.get("totalDuration")),
                total_gc_time_ms=as_int(r.get("totalGCTime")), total_input_bytes=as_int(r.get("totalInputBytes")),
                total_shuffle_read=as_int(r.get("totalShuffleRead")),
                total_shuffle_write=as_int(r.get("totalShuffleWrite")),
                failed_tasks=as_int(r.get("failedTasks")), completed_tasks=as_int(r.get("completedTasks"))))
        return out

    def close(self) -> None:
        self._http.close()


def _int_id(v: Any, what: str) -> str:
    if isinstance(v, bool):
        raise RestSourceError("invalid_id", f"{what} must be an integer", source=SOURCE)
    try:
        i = int(v)
    except (TypeError, ValueError):
        raise RestSourceError("invalid_id", f"{what} must be an integer, got {str(v)[:40]!r}", source=SOURCE) from None
    if i < 0 or str(i) != str(v).strip():
        raise RestSourceError("invalid_id", f"{what} must be a non-negative integer", source=SOURCE)
    return str(i)
