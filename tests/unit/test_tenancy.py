"""Tenant scoping: every selector of every catalog query gets the tenant's matchers, or the query is refused."""
import pytest

from webapp.catalog import DASHBOARDS, TILES
from webapp.catalog.variables import VARIABLES
from webapp.promql import render, template_variables
from webapp.tenancy import DENY, Matcher, ScopeError, load_tenancy, parse_matcher, scope_query

SCOPE = (parse_matcher('namespace=~"spark-jobs|airflow"'), parse_matcher('cluster="prod-east"'))


def _filled(expr):
    names = template_variables(expr)
    return render(expr, {n: (VARIABLES[n].label if n in VARIABLES else n, ("v",)) for n in names}, 3600, 60)


def _all_queries():
    for d in DASHBOARDS.values():
        for p in d.panels:
            if p.source == "prometheus":
                yield from (q.expr for q in p.queries)
        if d.exists_query:
            yield d.exists_query
    for t in TILES:
        yield t.figure.expr
        yield t.sparkline.expr
        yield from (s.expr for s in t.signals)


def test_every_catalog_query_can_be_scoped():
    queries = list(dict.fromkeys(_all_queries()))
    assert len(queries) > 300
    for query in queries:
        scoped = scope_query(_filled(query), SCOPE)
        assert scoped.count('cluster="prod-east"') >= 1


@pytest.mark.parametrize("query,expected", [
    ("up", 'up{namespace=~"spark-jobs|airflow", cluster="prod-east"}'),
    ('sum by (namespace) (rate(x{a="b"}[5m]))',
     'sum by (namespace) (rate(x{a="b", namespace=~"spark-jobs|airflow", cluster="prod-east"}[5m]))'),
    ('a / on (pod) group_left (node) b offset 5m',
     'a{namespace=~"spark-jobs|airflow", cluster="prod-east"} / on (pod) group_left (node) '
     'b{namespace=~"spark-jobs|airflow", cluster="prod-east"} offset 5m'),
    ('label_replace(x{}, "dst", "$1 {not} a selector", "src", "(.*)")',
     'label_replace(x{namespace=~"spark-jobs|airflow", cluster="prod-east"}, "dst", "$1 {not} a selector", '
     '"src", "(.*)")'),
    ('{__name__="up"} or vector(1)', '{__name__="up", namespace=~"spark-jobs|airflow", cluster="prod-east"} or vector(1)'),
    ('max_over_time(x[1h:5m]) > bool 2e3', 'max_over_time(x{namespace=~"spark-jobs|airflow", cluster="prod-east"}[1h:5m]) > bool 2e3'),
])
def test_rewrites(query, expected):
    assert scope_query(query, SCOPE) == expected


def test_hostile_values_inside_literals_stay_literals():
    query = 'x{namespace="a\\"} or vector(1) #"}'
    scoped = scope_query(query, SCOPE)
    assert scoped == 'x{namespace="a\\"} or vector(1) #", namespace=~"spark-jobs|airflow", cluster="prod-east"}'


def test_tenant_values_are_escaped():
    scope = (Matcher("team", "=", 'x"} or vector(1) #'),)
    scoped = scope_query("up", scope)
    assert scoped == 'up{team="x\\"} or vector(1) #"}'


def test_empty_scope_is_identity_and_unparsable_is_refused():
    assert scope_query("up", ()) == "up"
    with pytest.raises(ScopeError):
        scope_query("sum(", SCOPE)


def test_matchers_follow_prometheus_semantics():
    m = parse_matcher('namespace=~"spark-.*"')
    assert m.matches({"namespace": "spark-jobs"}) and not m.matches({"namespace": "xspark-jobs"})
    assert not parse_matcher('namespace!=""').matches({})


def test_tenancy_file(tmp_path):
    f = tmp_path / "tenancy.yml"
    f.write_text('header: X-Portal-Groups\ngroups:\n  spark: [\'namespace=~"spark-jobs|airflow"\']\n  admins: []\n')
    tenancy = load_tenancy(f)
    assert tenancy.header == "X-Portal-Groups"
    assert tenancy.scope_for("spark") == (Matcher("namespace", "=~", "spark-jobs|airflow"),)
    assert tenancy.scope_for("spark, admins") == ()
    assert tenancy.scope_for("") is DENY and tenancy.scope_for("strangers") is DENY
    for bad in ("groups: {}", "groups: {a: ['namespace=']}", "groups: {a: ['x=\"1\", y=\"2\"']}", "header: 'a b'\ngroups: {a: []}"):
        f.write_text(bad)
        with pytest.raises(ScopeError):
            load_tenancy(f)
