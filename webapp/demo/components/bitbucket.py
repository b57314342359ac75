"""Bitbucket: the prom-bitbucket-exporter plugin (``bitbucket_*``; counters without ``_total``,
simpleclient 0.x) and the history of the project's Bitbucket exporter (``git_*``, docs/metric-contract.md
section 2: labels ``project``, ``repository``, ``branch``; Bitbucket's upper-case pull-request states) for
the data team's project ``DATA``. One Bitbucket server, in the first cluster. Commits and pushes follow a
working-hours pattern (Mon-Fri 09-18 KST). The real Bitbucket exporter also runs in the demo, against the
demo's Bitbucket API (project ``PLAT``, ``realexporters.py``)."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..core import DAY, Families, Family, Target, count_le, poisson_events, smooth, target, u01, working_hours
from ..world import World
from . import Component

PROJECT = "DATA"
REPOS = ["etl-orders", "spark-jobs", "airflow-dags", "trino-gateway", "ml-models", "data-ingest", "portal-ui",
         "platform-infra"]
USERS = ["jkim", "sypark", "hlee", "mchoi", "jenkins-bot"]
BRANCHES = ["main", "develop", "feature/next"]
MERGE_LE = ("3600", "14400", "28800", "86400", "172800", "604800", "+Inf")
MERGE_CDF = (0.18, 0.45, 0.62, 0.82, 0.93, 0.99, 1.0)


@lru_cache(maxsize=256)
def _events(world: World, kind: str, a: str, b: str, per_hour: float, until_day: int) -> np.ndarray:
    k = world.key("bitbucket", kind, a, b)
    scale = 0.5 + u01(k, np.array([0]))[0]
    return poisson_events(k, world.epoch, (until_day + 2) * DAY,
                          lambda x: working_hours(x + 1800) * per_hour * scale / 3600.0)


class Bitbucket(Component):
    name = "bitbucket"
    jobs = ("bitbucket",)

    def targets(self, world: World) -> list[Target]:
        return [target("bitbucket", world.clusters[0], "bitbucket.scm.svc:7990", component=self.name)]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        day = int(t1 // DAY)
        for repo in REPOS:
            for user in USERS:
                ev = _events(world, "push", repo, user, 0.8 if user != "jenkins-bot" else 0.4, day)
                F("bitbucket_repo_push_count", "counter").add(
                    {"repository": repo, "username": user}, (lambda ev: lambda ts: count_le(ev, ts))(ev))
            for br in BRANCHES:
                ev = _events(world, "commit", repo, br, {"main": 0.6, "develop": 1.5, "feature/next": 2.5}[br], day)
                F("git_commits_total", "counter").add({"project": PROJECT, "repository": repo, "branch": br},
                                                      (lambda ev: lambda ts: count_le(ev, ts))(ev))
            merged = _events(world, "merged", repo, "", 0.35, day)
            declined = _events(world, "declined", repo, "", 0.05, day)
            k = world.key("bitbucket", "open", repo)
            base = 900 + int(u01(k, np.array([1]))[0] * 400)   # PRs merged before the epoch
            F("git_pull_requests", "gauge").add({"project": PROJECT, "repository": repo, "state": "OPEN"},
                                                (lambda k: lambda ts: np.round(4 + 3 * smooth(k, ts, 8 * 3600)))(k))
            F("git_pull_requests", "gauge").add({"project": PROJECT, "repository": repo, "state": "MERGED"},
                                                (lambda ev, base: lambda ts: base + count_le(ev, ts))(merged, base))
            F("git_pull_requests", "gauge").add({"project": PROJECT, "repository": repo, "state": "DECLINED"},
                                                (lambda ev, base: lambda ts: base // 12 + count_le(ev, ts))(declined, base))
            for le, cdf in zip(MERGE_LE, MERGE_CDF):
                F("git_pull_request_merge_seconds", "histogram").add(
                    {"project": PROJECT, "repository": repo, "le": le}, (lambda ev, cdf: lambda ts: np.floor(count_le(ev, ts) * cdf))(merged, cdf), "_bucket")
            F("git_pull_request_merge_seconds", "histogram").add(
                {"project": PROJECT, "repository": repo}, (lambda ev: lambda ts: count_le(ev, ts) * 61234.5)(merged), "_sum")
            F("git_pull_request_merge_seconds", "histogram").add(
                {"project": PROJECT, "repository": repo}, (lambda ev: lambda ts: count_le(ev, ts))(merged), "_count")
        ku = world.key("bitbucket", "users")
        F("bitbucket_active_users_gauge", "gauge").add(
            {}, lambda ts: np.round(3 + 38 * working_hours(ts) * (1 + 0.15 * smooth(ku, ts, 1800))))
        F("bitbucket_allowed_users_gauge", "gauge").add({}, lambda ts: np.full(ts.shape, 250.0))
        F("bitbucket_license_expiry_days_gauge", "gauge").add(
            {}, lambda ts: np.floor((world.anchor + 200 * DAY - ts) / DAY))
        return F.list()
