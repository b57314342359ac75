"""``dataops-monitor exporter journey``: each change's time per stage from commit to running pods
(``journey="deploy"``) and each DAG run's time from queued to data committed in Iceberg
(``journey="data"``), from the products' own APIs (``docs/metric-contract.md`` section 3).

Data journey, per refresh: Airflow ``GET /api/v2/dags`` (or ``DATAOPS_JOURNEY_AIRFLOW_DAGS``) and each
DAG's newest runs (``/dagRuns?order_by=-start_date``); the Spark History Server's completed applications;
with ``DATAOPS_JOURNEY_ICEBERG_CATALOG``, the tables' snapshot logs (``spark.app.id`` in the snapshot
summary). A finished run's Spark application is the first one named after the DAG that started inside the
run; stages ``airflow`` (``queued_at`` to the application's start) and ``application`` (its start to the
Iceberg commit, or to its end without a catalog).

Deploy journey:
Per refresh (``DATAOPS_JOURNEY_REFRESH``, default 60 s):

1. Argo CD ``GET /api/v1/applications``: each application's newest ``status.history[]`` entry (revision,
   ``deployStartedAt``, ``deployedAt``) and ``status.operationState`` (a ``Failed``/``Error`` sync ends
   the journey as failed);
2. Jenkins ``GET /api/json?tree=jobs[name]`` and, per job, the last 50 builds with their commit ids
   (``actions[].lastBuiltRevision.SHA1`` and ``changeSets[].items[].commitId``), ``timestamp`` and
   ``duration``: the build that built the deployed revision;
3. Bitbucket ``GET .../commits/{revision}``: the commit's ``committerTimestamp`` (the repository comes
   from the application's ``spec.source.repoURL``, Bitbucket's ``/scm/<project>/<repo>.git`` form);
4. Kubernetes ``GET /api/v1/namespaces/{destination namespace}/pods?labelSelector=app.kubernetes.io/instance=<app>``
   (Argo CD's tracking label): when every pod is Ready, the newest Ready ``lastTransitionTime`` ends the
   rollout.

A deployment is observed once, when all four are known: stages ``git`` (commit to build start),
``jenkins`` (the build), ``argocd`` (build end to ``deployedAt``) and ``kubernetes`` (``deployedAt`` to the
last pod ready). Only the newest deployment of an application can be followed to its pods (older pods are
gone), so the refresh interval must be shorter than the time between two deployments of one application.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

from prometheus_client.core import CounterMetricFamily

from ..settings import SettingsError
from .base import Exporter, Histogram, env_list, env_number, env_url, gauge, histogram_family, read_credentials
from .http import ApiClient, ApiError

DEPLOY_STAGES = ("git", "jenkins", "argocd", "kubernetes")
DATA_STAGES = ("airflow", "application")
STAGES = {"deploy": DEPLOY_STAGES, "data": DATA_STAGES}
DAG_RUNS = 25          # newest DAG runs read per DAG and refresh
STAGE_BOUNDS = (5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600)
TOTAL_BOUNDS = (600, 1200, 1800, 2400, 2700, 3000, 3300, 3600, 4200, 5400, 7200)
_SCM = re.compile(r"/(?:scm/)?([^/]+)/([^/]+?)(?:\.git)?/?$")


@dataclasses.dataclass(frozen=True)
class JourneySettings:
    """Settings of the journey exporter (environment ``DATAOPS_JOURNEY_*``, flags override)."""

    argocd_url: str | None = None
    argocd_token: str | tuple | None = dataclasses.field(default=None, repr=False)
    jenkins_url: str | None = None
    jenkins_credentials: str | tuple | None = dataclasses.field(default=None, repr=False)
    jenkins_jobs: tuple[str, ...] = ()   # empty: every top-level job
    bitbucket_url: str | None = None
    bitbucket_credentials: str | tuple | None = dataclasses.field(default=None, repr=False)
    kubernetes_url: str | None = None
    kubernetes_token: str | tuple | None = dataclasses.field(default=None, repr=False)
    airflow_url: str | None = None
    airflow_credentials: str | tuple | None = dataclasses.field(default=None, repr=False)
    airflow_dags: tuple[str, ...] = ()     # empty: every DAG
    spark_history_url: str | None = None
    iceberg_catalog: str | None = None     # pyiceberg catalog name; None: the data journey ends with Spark
    iceberg_namespaces: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 9562
    refresh_seconds: float = 60.0
    timeout_seconds: float = 15.0

    @property
    def deploy(self) -> bool:
        return all((self.argocd_url, self.jenkins_url, self.bitbucket_url, self.kubernetes_url))

    @property
    def data(self) -> bool:
        return bool(self.airflow_url and self.spark_history_url)


DEPLOY_URLS = ("DATAOPS_JOURNEY_ARGOCD_URL", "DATAOPS_JOURNEY_JENKINS_URL", "DATAOPS_JOURNEY_BITBUCKET_URL",
               "DATAOPS_JOURNEY_KUBERNETES_URL")
DATA_URLS = ("DATAOPS_JOURNEY_AIRFLOW_URL", "DATAOPS_JOURNEY_SPARK_HISTORY_URL")


def load_journey_settings(env: Mapping[str, str]) -> JourneySettings:
    """Read ``DATAOPS_JOURNEY_*``; SettingsError names the variable."""
    for group, what in ((DEPLOY_URLS, "deploy"), (DATA_URLS, "data")):
        given = [n for n in group if env.get(n)]
        if given and len(given) < len(group):
            raise SettingsError(f"the {what} journey needs {', '.join(n for n in group if n not in given)} "
                                f"as well as {', '.join(given)}")
    if not any(env.get(n) for n in DEPLOY_URLS + DATA_URLS):
        raise SettingsError(f"set {', '.join(DEPLOY_URLS)} (deploy journey) and/or {', '.join(DATA_URLS)} "
                            "(data journey)")
    values: dict = {
        "argocd_url": env_url(env, "DATAOPS_JOURNEY_ARGOCD_URL"),
        "argocd_token": read_credentials("DATAOPS_JOURNEY_ARGOCD_TOKEN_FILE", env.get("DATAOPS_JOURNEY_ARGOCD_TOKEN_FILE")),
        "jenkins_url": env_url(env, "DATAOPS_JOURNEY_JENKINS_URL"),
        "jenkins_credentials": read_credentials("DATAOPS_JOURNEY_JENKINS_CREDENTIALS_FILE",
                                                env.get("DATAOPS_JOURNEY_JENKINS_CREDENTIALS_FILE")),
        "jenkins_jobs": env_list(env, "DATAOPS_JOURNEY_JENKINS_JOBS"),
        "bitbucket_url": env_url(env, "DATAOPS_JOURNEY_BITBUCKET_URL"),
        "bitbucket_credentials": read_credentials("DATAOPS_BITBUCKET_CREDENTIALS_FILE",
                                                  env.get("DATAOPS_BITBUCKET_CREDENTIALS_FILE")),
        "kubernetes_url": env_url(env, "DATAOPS_JOURNEY_KUBERNETES_URL"),
        "kubernetes_token": read_credentials("DATAOPS_JOURNEY_KUBERNETES_TOKEN_FILE",
                                             env.get("DATAOPS_JOURNEY_KUBERNETES_TOKEN_FILE")),
        "airflow_url": env_url(env, "DATAOPS_JOURNEY_AIRFLOW_URL"),
        "airflow_credentials": read_credentials("DATAOPS_JOURNEY_AIRFLOW_CREDENTIALS_FILE",
                                                env.get("DATAOPS_JOURNEY_AIRFLOW_CREDENTIALS_FILE")),
        "airflow_dags": env_list(env, "DATAOPS_JOURNEY_AIRFLOW_DAGS"),
        "spark_history_url": env_url(env, "DATAOPS_JOURNEY_SPARK_HISTORY_URL"),
        "iceberg_catalog": env.get("DATAOPS_JOURNEY_ICEBERG_CATALOG") or None,
        "iceberg_namespaces": env_list(env, "DATAOPS_JOURNEY_ICEBERG_NAMESPACES"),
        "port": env_number(env, "DATAOPS_JOURNEY_PORT", 9562, int, 1, 65535),
        "refresh_seconds": env_number(env, "DATAOPS_JOURNEY_REFRESH", 60.0, float, 1, 86400),
        "timeout_seconds": env_number(env, "DATAOPS_JOURNEY_TIMEOUT", 15.0, float, 0.1, 600),
    }
    if env.get("DATAOPS_EXPORTER_HOST"):
        values["host"] = env["DATAOPS_EXPORTER_HOST"]
    return JourneySettings(**values)


def _ts(value: str | None) -> float | None:
    """RFC 3339 (Argo CD, Kubernetes) to Unix seconds."""
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


@dataclasses.dataclass
class PipelineState:
    journey: str = "deploy"
    stages: dict[str, Histogram] = dataclasses.field(default_factory=dict)
    total: Histogram = dataclasses.field(default_factory=lambda: Histogram(TOTAL_BOUNDS))
    runs: dict[str, int] = dataclasses.field(default_factory=lambda: {"success": 0, "failed": 0})
    last_end: float | None = None
    last: dict[str, float] = dataclasses.field(default_factory=dict)
    last_revision: str = ""
    bytes_processed: float = 0.0        # data journeys: Spark input + output bytes
    observed: set = dataclasses.field(default_factory=set)     # history ids and failed revisions seen

    def __post_init__(self):
        self.stages = self.stages or {s: Histogram(STAGE_BOUNDS) for s in STAGES[self.journey]}

    def finish(self, durations: dict[str, float], revision: str, end: float) -> None:
        """Observe one finished journey (call with the exporter's lock held)."""
        for stage, d in durations.items():
            self.stages[stage].observe(d)
        self.total.observe(sum(durations.values()))
        self.runs["success"] += 1
        if self.last_end is None or end >= self.last_end:     # runs may be observed newest first
            self.last, self.last_revision, self.last_end = durations, revision, end


class JourneyExporter(Exporter):
    name = "journey"

    def __init__(self, settings: JourneySettings, clients: dict | None = None, catalog=None):
        super().__init__()
        self.settings = settings
        self.refresh_seconds = settings.refresh_seconds
        s = settings
        urls = {"argocd": (s.argocd_url, s.argocd_token), "jenkins": (s.jenkins_url, s.jenkins_credentials),
                "bitbucket": (s.bitbucket_url, s.bitbucket_credentials),
                "kubernetes": (s.kubernetes_url, s.kubernetes_token),
                "airflow": (s.airflow_url, None), "spark": (s.spark_history_url, None)}
        self.clients = clients or {k: ApiClient(u, self, auth=a, timeout=s.timeout_seconds)
                                   for k, (u, a) in urls.items() if u}
        self.catalog = catalog
        self.pipelines: dict[tuple[str, str], PipelineState] = {}

    # ------------------------------------------------------------------ sources
    def _builds(self) -> dict[str, tuple[float, float, str | None]]:
        """commit id -> (build start, build end, result) of the earliest finished build that built it."""
        j = self.clients["jenkins"]
        jobs = list(self.settings.jenkins_jobs) or [
            x["name"] for x in (j.get("/api/json", "jenkins_jobs", {"tree": "jobs[name]"}).get("jobs") or [])]
        tree = ("builds[number,result,building,timestamp,duration,"
                "actions[lastBuiltRevision[SHA1]],changeSets[items[commitId]]]{0,50}")
        index: dict[str, tuple[float, float, str | None]] = {}
        for job in jobs:
            try:
                body = j.get(f"/job/{quote(job, safe='')}/api/json", "jenkins_builds", {"tree": tree})
            except Exception as exc:  # noqa: BLE001 - one job failing is one error
                self.error("jenkins_job", job, exc)
                continue
            for b in body.get("builds") or []:
                if b.get("building"):
                    continue
                start = b["timestamp"] / 1000.0
                span = (start, start + b.get("duration", 0) / 1000.0, b.get("result"))
                shas = {it.get("commitId") for cs in b.get("changeSets") or [] for it in cs.get("items") or []}
                shas |= {(a.get("lastBuiltRevision") or {}).get("SHA1") for a in b.get("actions") or []
                         if isinstance(a, dict)}
                for sha in shas - {None}:
                    if sha not in index or index[sha][0] > start:
                        index[sha] = span
        return index

    def refresh(self) -> None:
        if self.settings.deploy:
            self._refresh_deploy()
        if self.settings.data:
            self._refresh_data()

    def _state(self, name: str, journey: str) -> PipelineState:
        with self.lock:
            return self.pipelines.setdefault((name, journey), PipelineState(journey))

    def _refresh_deploy(self) -> None:
        apps = self.clients["argocd"].get("/api/v1/applications", "argocd_applications").get("items") or []
        builds = self._builds()
        for app in apps:
            name = (app.get("metadata") or {}).get("name", "")
            try:
                self._application(app, name, builds)
            except Exception as exc:  # noqa: BLE001 - one application failing is one error
                self.error("application", name, exc)

    def _application(self, app: dict, name: str, builds: dict) -> None:
        status = app.get("status") or {}
        st = self._state(name, "deploy")
        op = status.get("operationState") or {}
        if op.get("phase") in ("Failed", "Error"):
            rev = ((op.get("syncResult") or {}).get("revision") or
                   ((op.get("operation") or {}).get("sync") or {}).get("revision") or "")
            key = ("failed", rev, op.get("startedAt"))
            if key not in st.observed:
                st.observed.add(key)
                with self.lock:
                    st.runs["failed"] += 1
        history = status.get("history") or []
        if not history:
            return
        h = max(history, key=lambda e: e.get("id", 0))
        key = ("deployed", h.get("id"), h.get("revision"))
        if key in st.observed:
            return
        rev = h.get("revision") or ""
        build = builds.get(rev)
        if build is None:
            return     # not built by a watched job (yet): try again next refresh
        deployed = _ts(h.get("deployedAt"))
        started = _ts(h.get("deployStartedAt"))
        ready = self._pods_ready(app, name, started)
        if ready is None or deployed is None:
            return
        commit_time = self._commit_time(app, rev)
        if commit_time is None:
            return
        b_start, b_end, _result = build
        durations = {"git": max(0.0, b_start - commit_time), "jenkins": max(0.0, b_end - b_start),
                     "argocd": max(0.0, deployed - b_end), "kubernetes": max(0.0, ready - deployed)}
        with self.lock:
            st.finish(durations, rev, ready)
            st.observed.add(key)

    def _pods_ready(self, app: dict, name: str, started: float | None) -> float | None:
        ns = ((app.get("spec") or {}).get("destination") or {}).get("namespace")
        if not ns:
            return None
        pods = self.clients["kubernetes"].get(
            f"/api/v1/namespaces/{quote(ns, safe='')}/pods", "kubernetes_pods",
            {"labelSelector": f"app.kubernetes.io/instance={name}"}).get("items") or []
        times = []
        for p in pods:
            cond = next((c for c in (p.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)
            if cond is None or cond.get("status") != "True":
                return None      # the rollout has not finished
            times.append(_ts(cond.get("lastTransitionTime")))
        if not times or None in times:
            return None
        end = max(times)
        return end if started is None or end >= started else None

    def _commit_time(self, app: dict, rev: str) -> float | None:
        repo_url = ((app.get("spec") or {}).get("source") or {}).get("repoURL", "")
        m = _SCM.search(urlsplit(repo_url).path)
        if not m:
            return None
        project, repo = m.group(1), m.group(2)
        c = self.clients["bitbucket"].get(
            f"/rest/api/1.0/projects/{quote(project.upper(), safe='')}/repos/{quote(repo, safe='')}/commits/"
            f"{quote(rev, safe='')}", "bitbucket_commit", ok404=True)
        return c["committerTimestamp"] / 1000.0 if c else None

    # ------------------------------------------------------------------ data journey
    def _airflow_token(self) -> None:
        """Airflow 3 wants a JWT from ``POST /auth/token``; fetched once, again after a 401."""
        creds = self.settings.airflow_credentials
        if not isinstance(creds, tuple) or "Authorization" in self.clients["airflow"].session.headers:
            return
        self.call("airflow_token")
        r = self.clients["airflow"].session.post(f"{self.settings.airflow_url}/auth/token",
                                                 json={"username": creds[0], "password": creds[1]},
                                                 timeout=self.settings.timeout_seconds)
        r.raise_for_status()
        self.clients["airflow"].session.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def _commits(self) -> dict[str, float]:
        """Spark application id -> Unix time of the first Iceberg snapshot whose summary names it
        (Iceberg's Spark writer records ``spark.app.id``), over the tables of the configured namespaces."""
        if self.catalog is None:
            return {}
        out: dict[str, float] = {}
        namespaces = [tuple(n.split(".")) for n in self.settings.iceberg_namespaces] or \
            [tuple(n) for n in self.catalog.list_namespaces()]
        self.call("iceberg_list_namespaces")
        for ns in namespaces:
            self.call("iceberg_list_tables")
            for ident in self.catalog.list_tables(ns):
                try:
                    self.call("iceberg_load_table")
                    table = self.catalog.load_table(ident)
                except Exception as exc:  # noqa: BLE001 - one table failing is one error
                    self.error("table", ".".join(ident), exc)
                    continue
                for snap in table.metadata.snapshots:
                    app_id = (snap.summary.additional_properties if snap.summary else {}).get("spark.app.id")
                    if app_id:
                        t = snap.timestamp_ms / 1000.0
                        out[app_id] = min(t, out.get(app_id, t))
        return out

    def _refresh_data(self) -> None:
        self._airflow_token()
        af = self.clients["airflow"]
        try:
            dags = list(self.settings.airflow_dags) or [
                d["dag_id"] for d in af.get("/api/v2/dags", "airflow_dags", {"limit": 100}).get("dags") or []]
        except ApiError as exc:
            if "HTTP 401" in str(exc) and isinstance(self.settings.airflow_credentials, tuple):
                af.session.headers.pop("Authorization", None)     # the token expired: next refresh gets one
            raise
        apps = []
        for a in self.clients["spark"].get("/api/v1/applications", "spark_applications",
                                           {"status": "completed", "limit": 500}) or []:
            for att in a.get("attempts") or []:
                if att.get("completed") and att.get("startTimeEpoch") and att.get("endTimeEpoch", -1) > 0:
                    apps.append((a["id"], a.get("name", ""), att["startTimeEpoch"] / 1000.0,
                                 att["endTimeEpoch"] / 1000.0))
        commits = self._commits()
        for dag in dags:
            try:
                runs = af.get(f"/api/v2/dags/{quote(dag, safe='')}/dagRuns", "airflow_dag_runs",
                              {"order_by": "-start_date", "limit": DAG_RUNS}).get("dag_runs") or []
            except Exception as exc:  # noqa: BLE001 - one DAG failing is one error
                self.error("dag", dag, exc)
                continue
            st = self._state(dag, "data")
            for run in runs:
                self._dag_run(dag, run, apps, commits, st)

    def _dag_run(self, dag: str, run: dict, apps: list, commits: dict, st: PipelineState) -> None:
        key = ("run", run.get("dag_run_id"))
        state = run.get("state")
        if key in st.observed or state not in ("success", "failed"):
            return
        start, end = _ts(run.get("start_date")), _ts(run.get("end_date"))
        queued = _ts(run.get("queued_at")) or start
        if start is None or end is None:
            return
        if state == "failed":
            with self.lock:
                st.runs["failed"] += 1
                st.observed.add(key)
            return
        # the Spark application the run launched: named after the DAG, started inside the run
        match = sorted((a for a in apps if dag in a[1] and start <= a[2] <= end), key=lambda a: a[2])
        if not match:
            st.observed.add(key)      # a run without Spark: no data journey to follow
            return
        app_id, _name, s_start, s_end = match[0]
        landed = commits.get(app_id, s_end) if self.catalog is not None else s_end
        durations = {"airflow": max(0.0, s_start - queued), "application": max(0.0, landed - s_start)}
        stages = self.clients["spark"].get(f"/api/v1/applications/{quote(app_id, safe='')}/stages", "spark_stages",
                                           {"status": "complete"}) or []
        processed = sum(int(x.get("inputBytes") or 0) + int(x.get("outputBytes") or 0) for x in stages)
        with self.lock:
            st.finish(durations, run.get("dag_run_id") or "", landed)
            st.bytes_processed += processed
            st.observed.add(key)

    # ------------------------------------------------------------------ exposition
    def families(self):
        lab = ["pipeline", "journey"]
        stage_items, total_items = [], []
        runs = CounterMetricFamily("pipeline_runs", "Journeys finished, by final status", labels=lab + ["status"])
        last_run = gauge("pipeline_last_run_timestamp_seconds", "End of the last finished journey", lab)
        last_stage = gauge("pipeline_last_stage_duration_seconds", "Stage durations of the last finished journey",
                           lab + ["stage", "revision"])
        bottleneck = gauge("pipeline_bottleneck_duration_seconds", "Slowest stage of the last finished journey",
                           lab + ["stage", "revision"])
        processed = CounterMetricFamily("pipeline_data_processed_bytes",
                                        "Bytes read and written by the Spark applications of finished data journeys",
                                        labels=lab)
        for (name, journey), st in sorted(self.pipelines.items()):
            for stage in STAGES[journey]:
                stage_items.append(([name, journey, stage], st.stages[stage]))
            total_items.append(([name, journey], st.total))
            for status, n in st.runs.items():
                runs.add_metric([name, journey, status], n)
            if journey == "data":
                processed.add_metric([name, journey], st.bytes_processed)
            if st.last_end is not None:
                last_run.add_metric([name, journey], st.last_end)
                for stage, d in st.last.items():
                    last_stage.add_metric([name, journey, stage, st.last_revision], d)
                slow = max(st.last, key=st.last.get)
                bottleneck.add_metric([name, journey, slow, st.last_revision], st.last[slow])
        return [histogram_family("pipeline_stage_duration_seconds", "Time a change spent in one stage",
                                 lab + ["stage"], stage_items),
                histogram_family("pipeline_duration_seconds", "Whole journey (sum of its stages)", lab, total_items),
                runs, last_run, last_stage, bottleneck, processed]


def build(settings: JourneySettings) -> JourneyExporter:
    catalog = None
    if settings.iceberg_catalog:
        from .iceberg import IcebergSettings
        from .iceberg import build as build_iceberg
        catalog = build_iceberg(IcebergSettings(catalog=settings.iceberg_catalog)).catalog
    return JourneyExporter(settings, catalog=catalog)
