"""``dataops-monitor exporter journey``: each change's time per stage from commit to running pods
(``docs/metric-contract.md`` section 3, ``journey="deploy"``), from the products' own APIs.

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

from .base import Exporter, Histogram, env_list, env_number, env_url, gauge, histogram_family, read_credentials
from .http import ApiClient

DEPLOY_STAGES = ("git", "jenkins", "argocd", "kubernetes")
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
    host: str = "127.0.0.1"
    port: int = 9562
    refresh_seconds: float = 60.0
    timeout_seconds: float = 15.0


def load_journey_settings(env: Mapping[str, str]) -> JourneySettings:
    """Read ``DATAOPS_JOURNEY_*``; SettingsError names the variable."""
    values: dict = {
        "argocd_url": env_url(env, "DATAOPS_JOURNEY_ARGOCD_URL", required=True),
        "argocd_token": read_credentials("DATAOPS_JOURNEY_ARGOCD_TOKEN_FILE", env.get("DATAOPS_JOURNEY_ARGOCD_TOKEN_FILE")),
        "jenkins_url": env_url(env, "DATAOPS_JOURNEY_JENKINS_URL", required=True),
        "jenkins_credentials": read_credentials("DATAOPS_JOURNEY_JENKINS_CREDENTIALS_FILE",
                                                env.get("DATAOPS_JOURNEY_JENKINS_CREDENTIALS_FILE")),
        "jenkins_jobs": env_list(env, "DATAOPS_JOURNEY_JENKINS_JOBS"),
        "bitbucket_url": env_url(env, "DATAOPS_JOURNEY_BITBUCKET_URL", required=True),
        "bitbucket_credentials": read_credentials("DATAOPS_BITBUCKET_CREDENTIALS_FILE",
                                                  env.get("DATAOPS_BITBUCKET_CREDENTIALS_FILE")),
        "kubernetes_url": env_url(env, "DATAOPS_JOURNEY_KUBERNETES_URL", required=True),
        "kubernetes_token": read_credentials("DATAOPS_JOURNEY_KUBERNETES_TOKEN_FILE",
                                             env.get("DATAOPS_JOURNEY_KUBERNETES_TOKEN_FILE")),
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
    stages: dict[str, Histogram] = dataclasses.field(
        default_factory=lambda: {s: Histogram(STAGE_BOUNDS) for s in DEPLOY_STAGES})
    total: Histogram = dataclasses.field(default_factory=lambda: Histogram(TOTAL_BOUNDS))
    runs: dict[str, int] = dataclasses.field(default_factory=lambda: {"success": 0, "failed": 0})
    last_end: float | None = None
    last: dict[str, float] = dataclasses.field(default_factory=dict)
    last_revision: str = ""
    observed: set = dataclasses.field(default_factory=set)     # history ids and failed revisions seen


class JourneyExporter(Exporter):
    name = "journey"

    def __init__(self, settings: JourneySettings, clients: dict | None = None):
        super().__init__()
        self.settings = settings
        self.refresh_seconds = settings.refresh_seconds
        s = settings
        self.clients = clients or {
            "argocd": ApiClient(s.argocd_url, self, auth=s.argocd_token, timeout=s.timeout_seconds),
            "jenkins": ApiClient(s.jenkins_url, self, auth=s.jenkins_credentials, timeout=s.timeout_seconds),
            "bitbucket": ApiClient(s.bitbucket_url, self, auth=s.bitbucket_credentials, timeout=s.timeout_seconds),
            "kubernetes": ApiClient(s.kubernetes_url, self, auth=s.kubernetes_token, timeout=s.timeout_seconds),
        }
        self.pipelines: dict[str, PipelineState] = {}

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
        st = self.pipelines.setdefault(name, PipelineState())
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
            for stage, d in durations.items():
                st.stages[stage].observe(d)
            st.total.observe(sum(durations.values()))
            st.runs["success"] += 1
            st.last, st.last_revision, st.last_end = durations, rev, ready
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
        for name, st in sorted(self.pipelines.items()):
            for stage in DEPLOY_STAGES:
                stage_items.append(([name, "deploy", stage], st.stages[stage]))
            total_items.append(([name, "deploy"], st.total))
            for status, n in st.runs.items():
                runs.add_metric([name, "deploy", status], n)
            if st.last_end is not None:
                last_run.add_metric([name, "deploy"], st.last_end)
                for stage, d in st.last.items():
                    last_stage.add_metric([name, "deploy", stage, st.last_revision], d)
                slow = max(st.last, key=st.last.get)
                bottleneck.add_metric([name, "deploy", slow, st.last_revision], st.last[slow])
        return [histogram_family("pipeline_stage_duration_seconds", "Time a change spent in one stage",
                                 lab + ["stage"], stage_items),
                histogram_family("pipeline_duration_seconds", "Whole journey (sum of its stages)", lab, total_items),
                runs, last_run, last_stage, bottleneck]


def build(settings: JourneySettings) -> JourneyExporter:
    return JourneyExporter(settings)
