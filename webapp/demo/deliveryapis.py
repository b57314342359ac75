"""Demo delivery APIs: Bitbucket Server (REST 1.0), Jenkins (JSON API), Argo CD (``/api/v1``), the
Kubernetes pods API, Airflow 3 (``/api/v2``, JWT from ``POST /auth/token``) and the Spark History Server, answering for one simulated delivery flow, in the shapes of the products' published
API documentation. The real Bitbucket and journey exporters (``webapp/exporters/``) poll them in the demo.

Each repository ``PLAT/<app>`` gets a commit on ``main`` every ``period`` seconds (per-app phase). The
commit is built by Jenkins job ``<app>`` after ``git`` seconds, for ``jenkins`` seconds; Argo CD
application ``<app>`` starts syncing ``argocd`` seconds after the build ended (deployStartedAt) and
finishes 30 s before that stage ends (deployedAt); its pods are ready ``kubernetes`` seconds later.
Story ``slow-rollout``: ``ml-serving``'s pods take 9 minutes to become ready, so for it Kubernetes is the
bottleneck; for the others Jenkins is. Every answer is a function of the clock: only what has happened
by "now" is listed; a build still running shows ``building: true``.

Data flow: each Airflow DAG of ``DAGS`` runs every ``period`` seconds; a run is queued, starts, runs its
upstream tasks, launches the Spark application ``<dag>.transform`` (listed by the Spark History Server)
and ends after its downstream tasks.

    srv = DeliveryApiServer(clock=time.time).start()
    srv.url + "/bitbucket", "/jenkins", "/argocd", "/kubernetes", "/airflow", "/spark-history"
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["DeliveryApiServer", "APPS", "PROJECT"]

PROJECT = "PLAT"
#: app -> (period s, phase s, stage seconds: git, jenkins, argocd, kubernetes)
APPS = {
    "orders-api": (900, 0, (45, 420, 95, 80)),
    "portal-ui": (1200, 300, (30, 260, 70, 60)),
    "ml-serving": (1500, 600, (60, 300, 90, 540)),
}
#: Airflow DAG -> (period s, phase s, seconds: queued, upstream tasks, Spark application, downstream tasks)
DAGS = {
    "orders_etl": (1800, 240, (15, 180, 780, 120)),
    "clickstream_sessions": (3600, 900, (40, 300, 1500, 200)),
}
HISTORY = 10       # Argo CD keeps 10 history entries (revisionHistoryLimit)
LOOKBACK = 6 * 3600


def _sha(app: str, i: int) -> str:
    return hashlib.sha1(f"{app}:{i}".encode()).hexdigest()


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_ms(ts: float) -> str:
    """Airflow's form: milliseconds and ``Z``."""
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Flow:
    """The simulated delivery flow: commit ``i`` of ``app`` and its stage times."""

    def __init__(self, clock=time.time, apps: dict | None = None, dags: dict | None = None):
        self.clock = clock
        self.apps = APPS if apps is None else apps
        self.dags = DAGS if dags is None else dags

    def runs(self, dag: str, now: float) -> list[int]:
        period, phase, _ = self.dags[dag]
        last = int((now - phase) // period)
        first = int((now - LOOKBACK - phase) // period) + 1
        return list(range(first, last + 1))

    def run_times(self, dag: str, i: int) -> dict:
        """queued, start, spark_start, spark_end, end of run ``i`` of ``dag`` (Unix seconds)."""
        period, phase, (q, up, spark, down) = self.dags[dag]
        jit = 0.85 + 0.3 * (int(_sha(dag, i)[:4], 16) / 0xFFFF)
        queued = phase + i * period
        start = queued + q
        spark_start = start + up * jit
        spark_end = spark_start + spark * jit
        return {"queued": queued, "start": start, "spark_start": spark_start, "spark_end": spark_end,
                "end": spark_end + down * jit}

    @staticmethod
    def spark_bytes(dag: str, i: int) -> tuple[int, int]:
        """(input bytes, output bytes) of run ``i``'s Spark application."""
        h = int(_sha(dag, i)[4:12], 16)
        return (2 + h % 40) * 2 ** 28, (1 + (h >> 8) % 20) * 2 ** 27

    @staticmethod
    def spark_app_id(dag: str, i: int) -> str:
        return f"spark-{_sha(dag, i)[:24]}"

    def commits(self, app: str, now: float) -> list[int]:
        period, phase, _ = self.apps[app]
        last = int((now - phase) // period)
        first = int((now - LOOKBACK - phase) // period) + 1
        return list(range(first, last + 1))

    def times(self, app: str, i: int) -> dict:
        period, phase, (g, j, a, k) = self.apps[app]
        # a little deterministic jitter, so durations are not all equal
        jit = 0.8 + 0.4 * (int(_sha(app, i)[:4], 16) / 0xFFFF)
        commit = phase + i * period
        build_start = commit + g * jit
        build_end = build_start + j * jit
        deployed = build_end + a * jit
        return {"commit": commit, "build_start": build_start, "build_end": build_end,
                "deploy_started": deployed - 30, "deployed": deployed, "ready": deployed + k * jit}


def airflow_token(body: bytes) -> tuple[dict, int]:
    """Airflow 3's ``POST /auth/token``: (answer, status); any non-empty user and password get a token."""
    try:
        creds = json.loads(body or b"{}")
    except ValueError:
        creds = {}
    if not isinstance(creds, dict) or not creds.get("username") or not creds.get("password"):
        return {"detail": "Invalid credentials"}, 401
    return {"access_token": f"demo.{_sha(str(creds['username']), 0)[:16]}.token"}, 201


def _page(values: list, q: dict) -> dict:
    start = int(q["start"]) if q.get("start", "").isdigit() else 0
    limit = min(int(q["limit"]) if q.get("limit", "").isdigit() else 25, 1000)
    chunk = values[start:start + limit]
    last = start + limit >= len(values)
    out = {"size": len(chunk), "limit": limit, "isLastPage": last, "values": chunk, "start": start}
    if not last:
        out["nextPageStart"] = start + limit
    return out


class _Handler(BaseHTTPRequestHandler):
    server_version = "demo-delivery-apis"

    def log_message(self, *args):
        return

    def _json(self, data, status=200):
        body = json.dumps(data, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in getattr(self.server, "extra_headers", {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        flow: Flow = self.server.flow  # type: ignore[attr-defined]
        parts = urllib.parse.urlsplit(self.path)
        segs = [urllib.parse.unquote(s) for s in parts.path.split("/")[1:] if s]
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query).items()}
        now = flow.clock()
        try:
            if segs[:1] == ["bitbucket"]:
                return self._bitbucket(flow, now, segs[1:], q)
            if segs[:1] == ["jenkins"]:
                return self._jenkins(flow, now, segs[1:])
            if segs[:1] == ["argocd"]:
                return self._argocd(flow, now, segs[1:])
            if segs[:1] == ["kubernetes"]:
                return self._kubernetes(flow, now, segs[1:], q)
            if segs[:3] == ["airflow", "api", "v2"]:
                if not self.headers.get("Authorization", "").startswith("Bearer "):
                    return self._json({"detail": "Not authenticated"}, 401)
                return self._airflow(flow, now, segs[3:], q)
            if segs[:3] == ["spark-history", "api", "v1"]:
                return self._spark(flow, now, segs[3:], q)
            self._json({"message": "Not Found"}, 404)
        except Exception as exc:  # a demo bug must show as a 500, not a hung socket
            self._json({"message": f"{type(exc).__name__}: {exc}"}, 500)

    # -------------------------------------------------------------- Bitbucket Server REST 1.0
    def _commit_json(self, flow, app, i):
        t = flow.times(app, i)
        author = {"name": "jkim", "emailAddress": "jkim@example.com", "displayName": "J. Kim", "type": "NORMAL"}
        return {"id": _sha(app, i), "displayId": _sha(app, i)[:11], "author": author,
                "authorTimestamp": int(t["commit"] * 1000), "committer": author,
                "committerTimestamp": int(t["commit"] * 1000), "message": f"{app}: change {i}",
                "parents": [{"id": _sha(app, i - 1), "displayId": _sha(app, i - 1)[:11]}]}

    def _prs(self, flow, app, now):
        out = []
        for i in flow.commits(app, now):
            t = flow.times(app, i)
            created = t["commit"] - 3 * 3600 - (i % 5) * 1800
            if created > now:
                continue
            declined = i % 7 == 3
            pr = {"id": i, "version": 1, "title": f"{app}: change {i}", "open": False, "closed": True,
                  "createdDate": int(created * 1000), "updatedDate": int(t["commit"] * 1000),
                  "state": "DECLINED" if declined else "MERGED", "closedDate": int(t["commit"] * 1000),
                  "fromRef": {"id": f"refs/heads/feature/{i}", "displayId": f"feature/{i}"},
                  "toRef": {"id": "refs/heads/main", "displayId": "main"}, "locked": False,
                  "author": {"user": {"name": "jkim"}, "role": "AUTHOR", "approved": False}}
            out.append(pr)
        last = flow.commits(app, now)[-1]
        for j in (1, 2):   # the next changes are open
            out.append({"id": last + j, "version": 0, "title": f"{app}: change {last + j}", "open": True,
                        "closed": False, "state": "OPEN", "createdDate": int((now - 600 * j) * 1000),
                        "updatedDate": int((now - 600 * j) * 1000),
                        "fromRef": {"id": f"refs/heads/feature/{last + j}", "displayId": f"feature/{last + j}"},
                        "toRef": {"id": "refs/heads/main", "displayId": "main"}, "locked": False,
                        "author": {"user": {"name": "sypark"}, "role": "AUTHOR", "approved": False}})
        out.sort(key=lambda p: -p["id"])
        return out

    def _bitbucket(self, flow, now, segs, q):
        if segs[:3] != ["rest", "api", "1.0"]:
            return self._json({"errors": [{"message": "Not Found"}]}, 404)
        s = segs[3:]
        if s == ["projects"]:
            return self._json(_page([{"key": PROJECT, "id": 1, "name": "Platform", "public": False,
                                      "type": "NORMAL"}], q))
        if len(s) < 3 or s[0] != "projects" or s[1] != PROJECT or s[2] != "repos":
            return self._json({"errors": [{"message": f"Project {s[1:2]} does not exist."}]}, 404)
        if len(s) == 3:
            return self._json(_page([{"slug": a, "id": n + 1, "name": a, "scmId": "git", "state": "AVAILABLE",
                                      "forkable": True, "project": {"key": PROJECT}, "public": False}
                                     for n, a in enumerate(flow.apps)], q))
        app = s[3]
        if app not in flow.apps:
            return self._json({"errors": [{"message": f"Repository {PROJECT}/{app} does not exist."}]}, 404)
        rest = s[4:]
        ids = flow.commits(app, now)
        if rest == ["branches"]:
            head = _sha(app, ids[-1])
            return self._json(_page([{"id": "refs/heads/main", "displayId": "main", "type": "BRANCH",
                                      "latestCommit": head, "latestChangeset": head, "isDefault": True}], q))
        if rest == ["commits"]:
            known = {_sha(app, i): i for i in ids}
            until = q.get("until", "refs/heads/main")
            top = ids[-1] if until in ("refs/heads/main", "main") else known.get(until)
            if top is None:
                return self._json({"errors": [{"message": f"Commit '{until}' does not exist"}]}, 404)
            stop = known.get(q.get("since", ""), ids[0] - 1)
            return self._json(_page([self._commit_json(flow, app, i) for i in range(top, stop, -1) if i >= ids[0]], q))
        if len(rest) == 2 and rest[0] == "commits":
            i = {_sha(app, i): i for i in ids}.get(rest[1])
            if i is None:
                return self._json({"errors": [{"message": f"Commit '{rest[1]}' does not exist"}]}, 404)
            return self._json(self._commit_json(flow, app, i))
        if rest == ["pull-requests"]:
            state = q.get("state", "OPEN").upper()
            prs = [p for p in self._prs(flow, app, now) if state == "ALL" or p["state"] == state]
            if q.get("order", "").upper() == "OLDEST":
                prs.reverse()
            return self._json(_page(prs, q))
        if len(rest) == 2 and rest[0] == "pull-requests" and rest[1].isdigit():
            pr = next((p for p in self._prs(flow, app, now) if p["id"] == int(rest[1])), None)
            if pr is None:
                return self._json({"errors": [{"message": f"Pull request {rest[1]} does not exist"}]}, 404)
            return self._json(pr)
        self._json({"errors": [{"message": "Not Found"}]}, 404)

    # -------------------------------------------------------------- Jenkins JSON API
    def _jenkins(self, flow, now, segs):
        if segs == ["api", "json"]:
            return self._json({"_class": "hudson.model.Hudson", "jobs": [
                {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob", "name": a, "color": "blue"}
                for a in flow.apps]})
        if len(segs) == 4 and segs[0] == "job" and segs[2:] == ["api", "json"] and segs[1] in flow.apps:
            app = segs[1]
            builds = []
            for i in flow.commits(app, now):
                t = flow.times(app, i)
                if t["build_start"] > now:
                    continue
                building = t["build_end"] > now
                builds.append({
                    "_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun", "number": i, "building": building,
                    "result": None if building else "SUCCESS", "timestamp": int(t["build_start"] * 1000),
                    "duration": 0 if building else int((t["build_end"] - t["build_start"]) * 1000),
                    "url": f"{self.server.url}/jenkins/job/{app}/{i}/",  # type: ignore[attr-defined]
                    "actions": [{"_class": "hudson.plugins.git.util.BuildData",
                                 "lastBuiltRevision": {"SHA1": _sha(app, i),
                                                       "branch": [{"SHA1": _sha(app, i), "name": "origin/main"}]}}],
                    "changeSets": [{"_class": "hudson.plugins.git.GitChangeSetList", "kind": "git",
                                    "items": [{"commitId": _sha(app, i), "timestamp": int(t["commit"] * 1000),
                                               "msg": f"{app}: change {i}"}]}]})
            builds.reverse()
            return self._json({"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob", "name": app,
                               "builds": builds[:50]})
        self._json({"message": "Not Found"}, 404)

    # -------------------------------------------------------------- Argo CD API
    def _app_json(self, flow, app, now):
        deployed = [i for i in flow.commits(app, now) if flow.times(app, i)["deploy_started"] <= now]
        hist = []
        for n, i in enumerate(deployed[-HISTORY:]):
            t = flow.times(app, i)
            if t["deployed"] > now:
                continue
            hist.append({"id": i, "revision": _sha(app, i), "deployStartedAt": _iso(t["deploy_started"]),
                         "deployedAt": _iso(t["deployed"]),
                         "source": {"repoURL": f"https://bitbucket.example.com/scm/plat/{app}.git",
                                    "path": "deploy", "targetRevision": "main"}})
        last = deployed[-1] if deployed else None
        op = None
        if last is not None:
            t = flow.times(app, last)
            running = t["deployed"] > now
            op = {"operation": {"sync": {"revision": _sha(app, last)}},
                  "phase": "Running" if running else "Succeeded",
                  "message": "waiting for completion" if running else "successfully synced (all tasks run)",
                  "startedAt": _iso(t["deploy_started"]),
                  "syncResult": {"revision": _sha(app, last),
                                 "source": {"repoURL": f"https://bitbucket.example.com/scm/plat/{app}.git"}}}
            if not running:
                op["finishedAt"] = _iso(t["deployed"])
        rev = hist[-1]["revision"] if hist else None
        return {"metadata": {"name": app, "namespace": "argocd"},
                "spec": {"project": "default",
                         "source": {"repoURL": f"https://bitbucket.example.com/scm/plat/{app}.git", "path": "deploy",
                                    "targetRevision": "main"},
                         "destination": {"server": "https://kubernetes.default.svc", "namespace": app}},
                "status": {"sync": {"status": "Synced", "revision": rev}, "health": {"status": "Healthy"},
                           "history": hist, "operationState": op}}

    def _argocd(self, flow, now, segs):
        if segs == ["api", "v1", "applications"]:
            return self._json({"metadata": {"resourceVersion": str(int(now))},
                               "items": [self._app_json(flow, a, now) for a in flow.apps]})
        if len(segs) == 4 and segs[:3] == ["api", "v1", "applications"] and segs[3] in flow.apps:
            return self._json(self._app_json(flow, segs[3], now))
        self._json({"error": "not found", "code": 5, "message": "not found"}, 404)

    # -------------------------------------------------------------- Airflow 3 REST API v2
    def do_POST(self):
        segs = [s for s in urllib.parse.urlsplit(self.path).path.split("/") if s]
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(n, 65536)) if n else b""
        if segs == ["airflow", "auth", "token"]:
            return self._json(*airflow_token(body))
        self._json({"detail": "Not Found"}, 404)

    def _run_json(self, flow, dag, i, now):
        t = flow.run_times(dag, i)
        logical = t["queued"] - flow.dags[dag][0]
        done = t["end"] <= now
        return {"dag_run_id": f"scheduled__{_iso(logical).replace('Z', '+00:00')}", "dag_id": dag,
                "logical_date": _iso_ms(logical), "queued_at": _iso_ms(t["queued"]), "start_date": _iso_ms(t["start"]),
                "end_date": _iso_ms(t["end"]) if done else None, "duration": round(t["end"] - t["start"], 3) if done else None,
                "data_interval_start": _iso_ms(logical), "data_interval_end": _iso_ms(t["queued"]),
                "run_after": _iso_ms(t["queued"]), "last_scheduling_decision": _iso_ms(min(now, t["end"])),
                "run_type": "scheduled", "state": "success" if done else "running", "triggered_by": "timetable",
                "triggering_user_name": None, "conf": {}, "note": None, "dag_versions": [],
                "bundle_version": None, "dag_display_name": dag, "partition_key": None, "partition_date": None}

    def _airflow(self, flow, now, segs, q):
        if segs == ["dags"]:
            dags = [{"dag_id": d, "dag_display_name": d, "is_paused": False, "is_stale": False} for d in flow.dags]
            return self._json({"dags": dags, "total_entries": len(dags)})
        if len(segs) == 3 and segs[0] == "dags" and segs[2] == "dagRuns" and segs[1] in flow.dags:
            dag = segs[1]
            runs = [self._run_json(flow, dag, i, now) for i in flow.runs(dag, now) if flow.run_times(dag, i)["queued"] <= now]
            if q.get("state"):
                runs = [r for r in runs if r["state"] == q["state"]]
            runs.sort(key=lambda r: r["start_date"], reverse=q.get("order_by", "").startswith("-"))
            limit = int(q["limit"]) if q.get("limit", "").isdigit() else 50
            return self._json({"dag_runs": runs[:limit], "total_entries": len(runs)})
        self._json({"detail": "Not Found"}, 404)

    # -------------------------------------------------------------- Spark History Server
    def _spark(self, flow, now, segs, q):
        if len(segs) == 3 and segs[0] == "applications" and segs[2] == "stages":
            return self._spark_stages(flow, now, segs[1])
        if segs != ["applications"]:
            return self._json({"message": "Not Found"}, 404)
        apps = []
        for dag in flow.dags:
            for i in flow.runs(dag, now):
                t = flow.run_times(dag, i)
                if t["spark_start"] > now:
                    continue
                done = t["spark_end"] <= now
                end = t["spark_end"] if done else None
                fmt = lambda ts: dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "GMT"
                apps.append({"id": flow.spark_app_id(dag, i), "name": f"{dag}.transform", "attempts": [{
                    "startTime": fmt(t["spark_start"]), "endTime": fmt(end) if done else "1969-12-31T23:59:59.999GMT",
                    "lastUpdated": fmt(min(now, t["spark_end"])), "duration": int(((end or now) - t["spark_start"]) * 1000),
                    "sparkUser": "airflow", "completed": done, "appSparkVersion": "3.5.3",
                    "startTimeEpoch": int(t["spark_start"] * 1000), "endTimeEpoch": int(end * 1000) if done else -1,
                    "lastUpdatedEpoch": int(min(now, t["spark_end"]) * 1000)}]})
        if q.get("status") == "completed":
            apps = [a for a in apps if a["attempts"][0]["completed"]]
        apps.sort(key=lambda a: -a["attempts"][0]["startTimeEpoch"])
        return self._json(apps)

    def _spark_stages(self, flow, now, app_id):
        for dag in flow.dags:
            for i in flow.runs(dag, now):
                if flow.spark_app_id(dag, i) != app_id or flow.run_times(dag, i)["spark_start"] > now:
                    continue
                t = flow.run_times(dag, i)
                done = t["spark_end"] <= now
                inp, out = flow.spark_bytes(dag, i)
                half = (t["spark_start"] + t["spark_end"]) / 2
                fmt = lambda ts: dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "GMT"
                stages = [{"status": "COMPLETE", "stageId": 0, "attemptId": 0, "name": "parquet at Transform.scala:41",
                           "submissionTime": fmt(t["spark_start"]), "completionTime": fmt(half), "inputBytes": inp,
                           "inputRecords": inp // 200, "outputBytes": 0, "outputRecords": 0},
                          {"status": "COMPLETE" if done else "ACTIVE", "stageId": 1, "attemptId": 0,
                           "name": "append at Transform.scala:88", "submissionTime": fmt(half),
                           "completionTime": fmt(t["spark_end"]) if done else None, "inputBytes": 0, "inputRecords": 0,
                           "outputBytes": out if done else 0, "outputRecords": out // 200 if done else 0}]
                return self._json(stages[::-1])
        return self._json({"message": f"unknown app: {app_id}"}, 404)

    # -------------------------------------------------------------- Kubernetes pods
    def _kubernetes(self, flow, now, segs, q):
        if not (len(segs) == 5 and segs[:2] == ["api", "v1"] and segs[2] == "namespaces" and segs[4] == "pods"):
            return self._json({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                               "code": 404}, 404)
        ns = segs[3]
        sel = q.get("labelSelector", "")
        app = ns if ns in flow.apps and sel in ("", f"app.kubernetes.io/instance={ns}") else None
        items = []
        if app is not None:
            deployed = [i for i in flow.commits(app, now) if flow.times(app, i)["deployed"] <= now]
            if deployed:
                i = deployed[-1]
                t = flow.times(app, i)
                for r in range(3):
                    ready_at = t["deployed"] + (t["ready"] - t["deployed"]) * (r + 1) / 3
                    ready = ready_at <= now
                    items.append({"metadata": {"name": f"{app}-{_sha(app, i)[:8]}-{r}", "namespace": ns,
                                               "labels": {"app.kubernetes.io/instance": app}},
                                  "status": {"phase": "Running", "startTime": _iso(t["deployed"]),
                                             "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                                             "lastTransitionTime": _iso(ready_at if ready
                                                                                        else t["deployed"])}]}})
        self._json({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": str(int(now))},
                    "items": items})


class DeliveryApiServer:
    """The demo's Bitbucket, Jenkins, Argo CD and Kubernetes APIs on one loopback port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, clock=time.time, extra_headers: dict | None = None,
                 apps: dict | None = None, dags: dict | None = None):
        self.flow = Flow(clock, apps, dags)
        self._host, self._port = host, port
        self.extra_headers = extra_headers or {}
        self._httpd = None
        self._thread = None
        self.url: str | None = None

    def start(self) -> DeliveryApiServer:
        self._httpd = ThreadingHTTPServer((self._host, self._port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.flow = self.flow  # type: ignore[attr-defined]
        self._httpd.extra_headers = self.extra_headers  # type: ignore[attr-defined]
        self.url = f"http://{self._host}:{self._httpd.server_address[1]}"
        self._httpd.url = self.url  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="demo-delivery-apis", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.url = None
