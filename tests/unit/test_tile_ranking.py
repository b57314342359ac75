"""Level 0 ranks what matters: counts of entities in breach, worst first, links to Level 2 pages."""
import re

import numpy as np
import pytest

from webapp.catalog import TILES
from webapp.catalog import thresholds as th
from webapp.catalog.model import Link, Signal
from webapp.prometheus import ActiveAlert, QueryResult, Series
from webapp.runner import Verdict, judge, problem_rank, verdict_rank

from tests.dash_tree import walk as _walk


def _result(values: dict[str, float], label: str) -> QueryResult:
    return QueryResult("q", "vector", tuple(Series({label: k}, np.array([0.0]), np.array([v]))
                                            for k, v in values.items()))


JOBS = Signal(th.JENKINS_SUCCESS_RATE, "x", "jenkins_job", "Jenkins jobs", Link("/gitops/jenkins/{jenkins_job}", "jenkins_job"))
APPS = Signal(th.ARGOCD_UNHEALTHY, "x", "name", "Argo CD apps")
FILES = Signal(th.ICEBERG_FILES, "x", "table")


def test_judge_counts_and_orders_the_worst_first():
    result = _result({"a": 0.99, "b": 0.50, "c": 0.90, "d": 1.0}, "jenkins_job")
    problems = judge(JOBS, result)
    assert [p.entity for p in problems] == ["b", "c"]          # furthest below 95% first
    assert problems[0].priority == "P2" and problems[0].link == JOBS.link
    assert dict(problems[0].labels) == {"jenkins_job": "b"}
    verdict = Verdict(JOBS, tuple(problems), len(result.series))
    assert (len(verdict.breaching), verdict.total) == (2, 4)


def test_priority_ranks_before_count_and_share():
    p1 = Verdict(APPS, tuple(judge(APPS, _result({"x": 1}, "name"))), 14)                     # P1, 1 of 14
    p2 = Verdict(JOBS, tuple(judge(JOBS, _result({"a": 0.1, "b": 0.2, "c": 0.3}, "jenkins_job"))), 3)  # P2, 3 of 3
    p3 = Verdict(FILES, tuple(judge(FILES, _result({"t1": 20000, "t2": 30000}, "table"))), 2)  # P3
    assert [v.priority for v in sorted([p3, p2, p1], key=verdict_rank)] == ["P1", "P2", "P3"]
    more = Verdict(JOBS, p2.breaching[:1], 10)
    assert sorted([more, p2], key=verdict_rank)[0] is p2        # same priority: more entities first


def test_problem_rank_puts_p1_first_then_the_furthest_past_its_threshold():
    jobs = judge(JOBS, _result({"slightly": 0.94, "badly": 0.2}, "jenkins_job"))
    apps = judge(APPS, _result({"app": 1}, "name"))
    thresholds = {th.JENKINS_SUCCESS_RATE.key: th.JENKINS_SUCCESS_RATE, th.ARGOCD_UNHEALTHY.key: th.ARGOCD_UNHEALTHY}
    ranked = sorted(jobs + apps, key=lambda p: problem_rank(p, thresholds[p.threshold_key]))
    assert [p.entity for p in ranked] == ["app", "badly", "slightly"]


def test_nan_values_are_not_counted_as_breaching():
    assert judge(JOBS, _result({"a": float("nan")}, "jenkins_job")) == []


SIGNALS = [(t.domain, s) for t in TILES for s in t.signals]


@pytest.mark.parametrize("domain,signal", SIGNALS, ids=[s.threshold.key for _, s in SIGNALS])
def test_every_tile_signal_names_its_entities_and_links_to_a_page_it_can_fill(domain, signal):
    from webapp.catalog import level2
    assert signal.entity and signal.entities.strip()
    if signal.link is None:
        return
    templates = {re.sub(r"<[^>]+>", "<>", t) for d in level2() for t in (d.path_template, *d.alias_templates)}
    assert re.sub(r"\{[^}]+\}", "<>", signal.link.path) in templates, signal.link.path
    grouped = set(re.findall(r"\w+", " ".join(re.findall(r"by \(([^)]*)\)", signal.expr))))
    assert set(re.findall(r"\{([^}]+)\}", signal.link.path)) <= grouped, "the link needs labels the series lack"


def test_tiles_and_alerts_page_count_firing_alerts_the_same_way():
    from webapp.alert_views import count_firing, is_firing
    alerts = [ActiveAlert({"alertname": "A", "domain": "gitops"}, {}, "firing", 0.0, 1.0),
              ActiveAlert({"alertname": "B", "domain": "gitops"}, {}, "pending", 0.0, 1.0),
              ActiveAlert({"alertname": "C", "domain": "pipeline"}, {}, "firing", 0.0, 1.0),
              ActiveAlert({"alertname": "D", "domain": "pipeline"}, {}, "inactive", 0.0, 1.0)]
    assert count_firing(alerts) == {"gitops": 1, "pipeline": 1}
    assert sum(count_firing(alerts).values()) == sum(map(is_firing, alerts)) == 2


@pytest.fixture
def registered_pages():
    """Links resolve against the registered pages: an app registers them (no data source is called)."""
    from webapp.app import create_app
    from webapp.settings import Settings
    return create_app(Settings(prometheus_url="http://127.0.0.1:9"))


def test_rendered_tile_lists_counts_worst_first_with_level2_links(registered_pages):
    import math

    from components.layout import render_tile
    from webapp.runner import TileHealth

    tile = next(t for t in TILES if t.domain == "gitops")
    jobs = judge(JOBS, _result({"etl/orders": 0.1, "ok": 1.0}, "jenkins_job"))
    apps = judge(APPS, _result({"trino-gateway": 1, "portal": 0}, "name"))
    verdicts = tuple(sorted([Verdict(JOBS, tuple(jobs), 2), Verdict(APPS, tuple(apps), 14)], key=verdict_rank))
    health = TileHealth(tile, "critical", math.nan, None, tuple(apps + jobs), 2, 3, 0, verdicts)
    node = render_tile(health, "from=now-6h")
    items = [n for n in _walk(node) if "tile-breach " in (getattr(n, "className", "") or "")]
    assert [getattr(i, "data-breach") for i in items] == ["argocd_unhealthy", "jenkins_success_rate"]
    assert (getattr(items[0], "data-breaching"), getattr(items[0], "data-total")) == ("1", "14")
    links = [n for n in _walk(items[1]) if getattr(n, "className", "") == "tile-problem-link"]
    # a catalog Link fills from the series (the slash of a folder job is encoded); the view is carried
    assert links[0].href == "/gitops/jenkins/etl%2Forders?from=now-6h"
    fallback = [n for n in _walk(items[0]) if getattr(n, "className", "") == "tile-problem-link"][0]
    assert fallback.href == "/gitops?from=now-6h"          # no Level 2 link: the tile's Level 1 page
    head = [n for n in _walk(node) if getattr(n, "className", "") == "tile-link"][0]
    assert head.href == "/gitops?from=now-6h"
    assert (getattr(node, "data-tile"), getattr(node, "data-status")) == ("gitops", "critical")

