"""Tenant scoping: every selector of every catalog query gets the tenant's matchers, or the query is refused."""
import pytest

from webapp.catalog import DASHBOARDS, TILES
from webapp.catalog.variables import VARIABLES
from webapp.promql import render, template_variables
from webapp.tenancy import DENY, Matcher, ScopeError, load_tenancy, parse_matcher, scope_query, split_groups

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


# ---------------------------------------------------------------- header formats, label shapes, REST fields


@pytest.mark.parametrize("value,fmt,sep,expected", [
    ('"cn=spark,ou=groups,dc=corp", admins', "separator", ",", ["cn=spark,ou=groups,dc=corp", "admins"]),
    ("cn=spark,ou=groups,dc=corp;cn=b,dc=corp", "separator", ";", ["cn=spark,ou=groups,dc=corp", "cn=b,dc=corp"]),
    ('["cn=spark,ou=groups,dc=corp", "admins"]', "json", ",", ["cn=spark,ou=groups,dc=corp", "admins"]),
    ('a, "b \\" c", d', "separator", ",", ["a", 'b " c', "d"]),
    ('"unterminated, admins', "separator", ",", []),
    ("not json", "json", ",", []),
    ('{"admins": 1}', "json", ",", []),
    # Repeated headers, folded with "," by the WSGI server: a list or a string each.
    ('["cn=spark,ou=groups,dc=corp"], ["admins"]', "json", ",", ["cn=spark,ou=groups,dc=corp", "admins"]),
    ('"cn=spark,ou=groups,dc=corp","admins"', "json", ",", ["cn=spark,ou=groups,dc=corp", "admins"]),
    ('["a", 1]', "json", ",", []),
    ('["a"], not json', "json", ",", []),
    ("", "separator", ",", []),
])
def test_group_headers(value, fmt, sep, expected):
    assert split_groups(value, fmt, sep) == expected


def _tenancy(tmp_path, text):
    f = tmp_path / "tenancy.yml"
    f.write_text(text)
    return load_tenancy(f)


def test_ldap_groups_and_label_shapes(tmp_path):
    tenancy = _tenancy(tmp_path, """
header_format: json
cluster_scoped: visible
labels:
  namespace:
    - {metrics: argocd_app_info, label: dest_namespace}
  dag_id:
    - {metrics: 'airflow_dagrun_.*', label: dag_id}
    - {metrics: '.*', label: null}
groups:
  "cn=spark,ou=groups,dc=corp":
    promql: ['namespace="spark-jobs"', 'dag_id="sales"']
    airflow: ['tags="team:sales"']
  admins: []
""")
    scope = tenancy.scope_for('["cn=spark,ou=groups,dc=corp"]')
    assert scope_query('argocd_app_info{name="x"}', scope) == 'argocd_app_info{name="x", dest_namespace="spark-jobs"}'
    assert scope_query("kube_node_info", scope) == "kube_node_info"  # cluster-scoped: visible by setting
    assert scope_query("airflow_dagrun_duration_count", scope) == \
        'airflow_dagrun_duration_count{namespace="spark-jobs", dag_id="sales"}'
    assert scope_query("kube_pod_info", scope) == 'kube_pod_info{namespace="spark-jobs"}'
    assert tenancy.scope_for('["admins", "cn=spark,ou=groups,dc=corp"]') == ()
    assert tenancy.scope_for("cn=spark,ou=groups,dc=corp") is DENY  # not JSON: nothing
    # REST sources by their own fields: Airflow by tags (any item), Spark by the derived namespace.
    assert scope.allows("airflow", {"dag_id": "x", "tags": ["dataops", "team:sales"], "owners": []})
    assert not scope.allows("airflow", {"dag_id": "x", "tags": ["team:orders"], "owners": []})
    assert scope.allows("spark_history", {"id": "a", "name": "n", "user": "u", "namespace": "spark-jobs"})
    assert not scope.allows("spark_history", {"id": "a", "name": "n", "user": "u", "namespace": "other"})


def test_hidden_cluster_scoped_series_and_sources_a_scope_says_nothing_about(tmp_path):
    tenancy = _tenancy(tmp_path, "groups:\n  team: ['cluster=\"prod\"', 'namespace=\"a\"']\n")
    scope = tenancy.scope_for("team")
    assert scope_query("kube_node_info", scope) == 'kube_node_info{cluster="prod", namespace="a"}'
    # No field of Airflow among the matchers: the group sees nothing of it (never everything).
    assert scope.rest_matchers("airflow", ("dag_id", "tags", "owners")) is None
    assert not scope.allows("airflow", {"dag_id": "x", "tags": [], "owners": []})


@pytest.mark.parametrize("text,message", [
    ("header_format: xml\ngroups: {a: []}", "header_format"),
    ("separator: '\"'\ngroups: {a: []}", "separator"),
    ("cluster_scoped: maybe\ngroups: {a: []}", "cluster_scoped"),
    ("labels: {namespace: [{metrics: '(', label: x}]}\ngroups: {a: []}", "regular expression"),
    ("labels: {namespace: [{metrics: 'x', label: 'a b'}]}\ngroups: {a: []}", "invalid label name"),
    ("groups: {a: {promql: [], airflow: ['color=\"red\"']}}", "unknown fields"),
    ("groups: {a: {sql: []}}", "unknown keys"),
])
def test_invalid_tenancy_files_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ScopeError, match=message):
        _tenancy(tmp_path, text)
