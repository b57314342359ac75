"""``dataops-monitor exporter bitbucket``: commits per branch and pull requests from the Bitbucket Server /
Data Center REST API 1.0 (``docs/metric-contract.md`` section 2).

Per refresh (``DATAOPS_BITBUCKET_REFRESH``, default 60 s), for each repository of the configured projects:

* ``GET .../branches`` (paged): a branch whose head moved since the last refresh costs one
  ``GET .../commits?until=<branch>&since=<old head>`` (paged) that counts the new commits; the first
  refresh reads one commit per branch (``limit=1``) for the head's time and counts nothing (baseline);
* ``GET .../pull-requests?state=OPEN`` (paged) and, newest first, ``state=ALL`` until a page holds only
  known pull requests; a known open pull request that left the open list costs one ``GET .../pull-requests/{id}``.
  Merged pull requests are observed once in the open-to-merge histogram (``closedDate - createdDate``).

Credentials: ``DATAOPS_BITBUCKET_CREDENTIALS_FILE`` holds ``user:password`` (basic) or an HTTP access token
(Bearer). A repository that fails is one ``dataops_exporter_errors_total{source="repository"}``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from .base import Exporter, Histogram, env_list, env_number, env_url, gauge, histogram_family, read_credentials
from .http import ApiClient

MERGE_BOUNDS = (3600, 4 * 3600, 8 * 3600, 86400, 2 * 86400, 7 * 86400)
API = "/rest/api/1.0"


@dataclasses.dataclass(frozen=True)
class BitbucketSettings:
    """Settings of the Bitbucket exporter (environment ``DATAOPS_BITBUCKET_*``, flags override)."""

    url: str | None = None
    credentials: tuple[str, str] | str | None = dataclasses.field(default=None, repr=False)
    projects: tuple[str, ...] = ()      # empty: every project the credentials can see
    host: str = "127.0.0.1"
    port: int = 9561
    refresh_seconds: float = 60.0
    max_branches: int = 200            # per repository, most recently changed first (Bitbucket's order)
    timeout_seconds: float = 15.0


def load_bitbucket_settings(env: Mapping[str, str]) -> BitbucketSettings:
    """Read ``DATAOPS_BITBUCKET_*``; SettingsError names the variable."""
    values: dict = {"url": env_url(env, "DATAOPS_BITBUCKET_URL", required=True),
                    "credentials": read_credentials("DATAOPS_BITBUCKET_CREDENTIALS_FILE",
                                                    env.get("DATAOPS_BITBUCKET_CREDENTIALS_FILE")),
                    "projects": env_list(env, "DATAOPS_BITBUCKET_PROJECTS"),
                    "port": env_number(env, "DATAOPS_BITBUCKET_PORT", 9561, int, 1, 65535),
                    "refresh_seconds": env_number(env, "DATAOPS_BITBUCKET_REFRESH", 60.0, float, 1, 86400),
                    "max_branches": env_number(env, "DATAOPS_BITBUCKET_MAX_BRANCHES", 200, int, 1, 10000),
                    "timeout_seconds": env_number(env, "DATAOPS_BITBUCKET_TIMEOUT", 15.0, float, 0.1, 600)}
    if env.get("DATAOPS_EXPORTER_HOST"):
        values["host"] = env["DATAOPS_EXPORTER_HOST"]
    return BitbucketSettings(**values)


@dataclasses.dataclass
class RepoState:
    heads: dict[str, str] = dataclasses.field(default_factory=dict)          # branch -> head commit id
    head_time: dict[str, float] = dataclasses.field(default_factory=dict)    # branch -> committer time (s)
    commits: dict[str, int] = dataclasses.field(default_factory=dict)        # branch -> commits counted
    prs: dict[int, str] = dataclasses.field(default_factory=dict)            # id -> state
    merge: Histogram = dataclasses.field(default_factory=lambda: Histogram(MERGE_BOUNDS))


def _q(s: str) -> str:
    from urllib.parse import quote
    return quote(s, safe="")


class BitbucketExporter(Exporter):
    name = "bitbucket"

    def __init__(self, settings: BitbucketSettings, client: ApiClient | None = None):
        super().__init__()
        self.settings = settings
        self.refresh_seconds = settings.refresh_seconds
        self.client = client or ApiClient(settings.url, self, auth=settings.credentials,
                                          timeout=settings.timeout_seconds)
        self.repos: dict[tuple[str, str], RepoState] = {}

    def refresh(self) -> None:
        c = self.client
        projects = list(self.settings.projects) or [p["key"] for p in c.pages(f"{API}/projects", "projects")]
        for project in projects:
            try:
                slugs = [r["slug"] for r in c.pages(f"{API}/projects/{_q(project)}/repos", "repos")]
            except Exception as exc:  # noqa: BLE001 - one project failing is one error
                self.error("project", project, exc)
                continue
            for slug in slugs:
                key = (project, slug)
                st = self.repos.get(key) or RepoState()
                try:
                    self._repo(project, slug, st)
                except Exception as exc:  # noqa: BLE001 - a broken repository is one error
                    self.error("repository", f"{project}/{slug}", exc)
                    continue
                with self.lock:
                    self.repos[key] = st

    def _repo(self, project: str, slug: str, st: RepoState) -> None:
        c = self.client
        base = f"{API}/projects/{_q(project)}/repos/{_q(slug)}"
        branches = []
        for b in c.pages(f"{base}/branches", "branches", {"orderBy": "MODIFICATION"}):
            branches.append(b)
            if len(branches) >= self.settings.max_branches:
                break
        heads, times, counts = {}, {}, {}
        for b in branches:
            name, head = b["displayId"], b["latestCommit"]
            old = st.heads.get(name)
            counts[name] = st.commits.get(name, 0)
            times[name] = st.head_time.get(name)
            if old is None:
                page = c.get(f"{base}/commits", "commits", {"until": b["id"], "limit": 1})
                vals = page.get("values") or []
                times[name] = vals[0]["committerTimestamp"] / 1000.0 if vals else None
            elif old != head:
                new = list(c.pages(f"{base}/commits", "commits", {"until": b["id"], "since": old}))
                counts[name] += len(new)
                if new:
                    times[name] = new[0]["committerTimestamp"] / 1000.0
            heads[name] = head
        st.heads, st.head_time, st.commits = heads, times, counts
        self._pull_requests(base, st)

    def _pull_requests(self, base: str, st: RepoState) -> None:
        c = self.client
        first = not st.prs
        open_now = {pr["id"]: pr for pr in c.pages(f"{base}/pull-requests", "pull_requests", {"state": "OPEN"})}
        changed: list[dict] = list(open_now.values())
        start = 0
        while True:
            page = c.get(f"{base}/pull-requests", "pull_requests",
                         {"state": "ALL", "order": "NEWEST", "start": start, "limit": 100})
            vals = page.get("values") or []
            changed.extend(vals)
            if not first and all(pr["id"] in st.prs for pr in vals):
                break
            if page.get("isLastPage", True) or page.get("nextPageStart") is None:
                break
            start = int(page["nextPageStart"])
        seen = {pr["id"] for pr in changed}
        for pid, state in list(st.prs.items()):
            if state == "OPEN" and pid not in open_now and pid not in seen:
                pr = c.get(f"{base}/pull-requests/{pid}", "pull_request", ok404=True)
                if pr is None:
                    st.prs.pop(pid)
                else:
                    changed.append(pr)
        for pr in changed:
            pid, state = pr["id"], pr["state"]
            if state == "MERGED" and st.prs.get(pid) != "MERGED" and pr.get("closedDate"):
                st.merge.observe(max(0.0, (pr["closedDate"] - pr["createdDate"]) / 1000.0))
            st.prs[pid] = state

    def families(self):
        commits = _counter("git_commits", "Commits that became reachable from the branch head",
                           ["project", "repository", "branch"])
        head = gauge("git_branch_last_commit_timestamp_seconds", "Committer time of the branch head",
                     ["project", "repository", "branch"])
        prs = gauge("git_pull_requests", "Pull requests by state", ["project", "repository", "state"])
        hist = []
        for (project, slug), st in sorted(self.repos.items()):
            for br, n in sorted(st.commits.items()):
                commits.add_metric([project, slug, br], n)
                if st.head_time.get(br) is not None:
                    head.add_metric([project, slug, br], st.head_time[br])
            for state in ("OPEN", "MERGED", "DECLINED"):
                prs.add_metric([project, slug, state], sum(1 for s in st.prs.values() if s == state))
            hist.append(([project, slug], st.merge))
        return [commits, head, prs, histogram_family("git_pull_request_merge_seconds",
                                                     "Open-to-merge time of merged pull requests",
                                                     ["project", "repository"], hist)]


def _counter(name: str, doc: str, labels: list[str]):
    from prometheus_client.core import CounterMetricFamily
    return CounterMetricFamily(name, doc, labels=labels)


def build(settings: BitbucketSettings) -> BitbucketExporter:
    return BitbucketExporter(settings)
