"""Tenant scoping: the label matchers a portal group may see, added to every vector selector.

The tenancy file (YAML) maps portal groups to matchers; the portal (or its auth proxy) names the
user's groups in a request header:

    header: X-Forwarded-Groups        # optional, this is the default
    header_format: separator          # separator (default) | json (a JSON list of names, or one name
                                      #   a header: repeated headers are read as one list)
    separator: ","                    # for `separator`; entries may be "double-quoted" (LDAP DNs)
    cluster_scoped: hidden            # hidden (default) | visible: series of cluster_scoped_metrics
    cluster_scoped_metrics: 'kube_node_.*|node_.*'   #   are not limited by `namespace` when visible
    labels:                           # where a scoping label lives, per metric name (RE2, anchored)
      namespace:
        - {metrics: 'argocd_app_.*', label: dest_namespace}
      dag_id:
        - {metrics: 'airflow_.*', label: dag_id}
        - {metrics: '.*', label: null}        # null: series of these metrics are not limited by it
    groups:
      spark-team: ['namespace=~"spark-jobs|airflow"', 'cluster="prod-east"']
      sales-analysts:                 # the long form: per data source
        promql: ['namespace="airflow"', 'dag_id=~"sales_.*"']
        airflow: ['tags="sales"']     # fields: dag_id, tags, owners (a list matches if any item does)
        spark_history: ['namespace="spark-jobs"']   # fields: id, name, user, namespace
      platform-admins: []             # no matchers: sees everything

REST sources are scoped by their own fields (see `rest_matchers`): a group that says nothing about
a source gets its PromQL matchers on the labels that source has as fields (a Spark application's
`namespace`, a DAG's `dag_id`), and nothing from it when there are none.

A request with no known group sees nothing. A user in several groups gets the first group of the
file that has no matchers (everything), else the first group listed: never a union, which could
widen what a group may see.

Rewriting: a small tokenizer adds the matchers inside every selector's braces (string literals,
label lists of by/on/... and range brackets are copied untouched); then the parser checks the
result: the same number of selectors, each with every tenant matcher and all of its own. A query
that fails the check is refused, never sent.
"""
from __future__ import annotations

import dataclasses
import json
import pathlib
import re
from collections.abc import Mapping

import promql_parser
import yaml

from .promql import string_literal

DEFAULT_HEADER = "X-Forwarded-Groups"
HEADER_FORMATS = ("separator", "json")
# The fields each REST source can be scoped by (tenancy file keys of a group's long form).
REST_FIELDS = {"spark_history": ("id", "name", "user", "namespace"), "airflow": ("dag_id", "tags", "owners")}
# Series without a namespace (nodes, the cluster, storage back ends) in the demo's and real exporters.
CLUSTER_SCOPED_METRICS = ("kube_node_.*|node_.*|kubelet_node_.*|machine_.*|DCGM_.*|ceph_.*|isilon_.*|"
                          "kube_persistentvolume_.*|opencost_node_.*")
_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
             "offset", "atan2", "inf", "nan"}
_GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class ScopeError(ValueError):
    """A query could not be scoped safely, or the tenancy file is invalid."""


@dataclasses.dataclass(frozen=True)
class Matcher:
    label: str
    op: str      # = != =~ !~
    value: str

    @property
    def text(self) -> str:
        return f"{self.label}{self.op}{string_literal(self.value)}"

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Prometheus semantics for one label set (a missing label is the empty string)."""
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found


@dataclasses.dataclass(frozen=True)
class LabelRule:
    """For metrics whose name fully matches `metrics`, a scoping label is carried as `label`
    (None: those series are not limited by it)."""

    metrics: re.Pattern
    label: str | None


class Scope(tuple):
    """The matchers a request may see (a tuple of Matcher; empty = everything), with the rules that
    place them per metric (`rules`: scoping label -> LabelRule list, first match wins) and the
    matchers of each REST source over its own fields (`rest`: source -> matchers, absent = derived)."""

    rules: Mapping[str, tuple[LabelRule, ...]]
    rest: Mapping[str, tuple[Matcher, ...]]

    def __new__(cls, matchers=(), rules=None, rest=None):
        obj = super().__new__(cls, tuple(matchers))
        obj.rules = dict(rules or {})
        obj.rest = dict(rest or {})
        return obj

    def for_metric(self, name: str) -> tuple[Matcher, ...]:
        """The matchers a selector of metric `name` gets ("" when the selector names none)."""
        out = []
        for m in self:
            label: str | None = m.label
            for rule in self.rules.get(m.label, ()):
                if rule.metrics.fullmatch(name or ""):
                    label = rule.label
                    break
            if label is not None:
                out.append(m if label == m.label else Matcher(label, m.op, m.value))
        return tuple(out)

    def rest_matchers(self, source: str, fields: tuple[str, ...]) -> tuple[Matcher, ...] | None:
        """Matchers over a REST source's fields; None: this scope sees nothing of that source."""
        if not self:
            return ()
        if source in self.rest:
            return self.rest[source]
        derived = tuple(m for m in self if m.label in fields)
        return derived or None

    def allows(self, source: str, fields: Mapping[str, object]) -> bool:
        """Whether a REST entity with these fields (str or list of str) is inside the scope."""
        matchers = self.rest_matchers(source, tuple(fields))
        if matchers is None:
            return False
        for m in matchers:
            value = fields.get(m.label, "")
            values = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value or "")]
            if not any(m.matches({m.label: v}) for v in values or [""]):
                return False
        return True


DENY = None


def parse_matcher(text: str) -> Matcher:
    """`namespace=~"a|b"` -> Matcher, via the real PromQL parser."""
    try:
        expr = promql_parser.parse("{" + text + "}")
    except Exception as exc:
        raise ScopeError(f"invalid matcher {text!r}: {exc}") from None
    matchers = expr.matchers.matchers if isinstance(expr, promql_parser.VectorSelector) else []
    if len(matchers) != 1:
        raise ScopeError(f"give exactly one matcher, got {text!r}")
    m = matchers[0]
    return Matcher(m.name, _OPS[str(m.op)], m.value)


def split_groups(value: str | None, header_format: str = "separator", separator: str = ",") -> list[str]:
    """Group names of a header value.

    `separator`: entries split on `separator`, each may be a "double-quoted" string (RFC 9110
    quoted-string, so an LDAP DN such as "cn=spark,ou=groups,dc=corp" keeps its commas);
    repeated headers arrive folded with "," by the WSGI server, so they read the same way.
    `json`: a JSON list of strings, or a JSON string; repeated headers (each a list or a string)
    arrive folded with "," and are read as one list, so a group per header keeps its commas.
    Anything unreadable gives no groups (so: nothing)."""
    if not value:
        return []
    if header_format == "json":
        try:
            # The folded form "X,Y" of repeated headers is valid JSON once inside brackets.
            parts = json.loads(f"[{value}]")
        except ValueError:
            return []
        names = [n for part in parts for n in (part if isinstance(part, list) else [part])]
        if not all(isinstance(n, str) for n in names):
            return []
        return [n.strip() for n in names if n.strip()]
    names, buf, i, quoted = [], [], 0, False
    while i < len(value):
        c = value[i]
        if quoted:
            if c == "\\" and i + 1 < len(value):
                buf.append(value[i + 1])
                i += 2
                continue
            if c == '"':
                quoted = False
            else:
                buf.append(c)
        elif c == '"' and not "".join(buf).strip():
            buf, quoted = [], True
        elif value.startswith(separator, i):
            names.append("".join(buf).strip())
            buf = []
            i += len(separator)
            continue
        else:
            buf.append(c)
        i += 1
    if quoted:
        return []  # an unterminated quote: refuse rather than guess
    names.append("".join(buf).strip())
    return [n for n in names if n]


@dataclasses.dataclass(frozen=True)
class Tenancy:
    header: str
    groups: dict[str, Scope]
    header_format: str = "separator"
    separator: str = ","

    def scope_for(self, header_value: str | None) -> Scope | None:
        """The scope of a request's groups; None (deny) when it names no known group."""
        names = split_groups(header_value, self.header_format, self.separator)
        known = [g for g in self.groups if g in names]  # file order
        if not known:
            return DENY
        unscoped = [g for g in known if not self.groups[g]]
        return self.groups[unscoped[0]] if unscoped else self.groups[known[0]]


def load_tenancy(path: str | pathlib.Path) -> Tenancy:
    """Read and validate the tenancy file; raises ScopeError with a clear message."""
    try:
        doc = yaml.safe_load(pathlib.Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ScopeError(f"cannot read tenancy file {path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), dict) or not doc["groups"]:
        raise ScopeError("the tenancy file needs a non-empty `groups:` mapping")
    header = doc.get("header", DEFAULT_HEADER)
    if not isinstance(header, str) or not re.fullmatch(r"[A-Za-z0-9-]+", header):
        raise ScopeError(f"invalid header name {header!r}")
    header_format = doc.get("header_format", "separator")
    if header_format not in HEADER_FORMATS:
        raise ScopeError(f"header_format must be one of {', '.join(HEADER_FORMATS)}, got {header_format!r}")
    separator = doc.get("separator", ",")
    if not isinstance(separator, str) or not separator or '"' in separator or separator.isspace():
        raise ScopeError(f"invalid separator {separator!r}")
    rules = _label_rules(doc)
    groups: dict[str, Scope] = {}
    for name, spec in doc["groups"].items():
        promql, rest = spec, {}
        if isinstance(spec, dict):
            unknown = set(spec) - {"promql", *REST_FIELDS}
            if unknown:
                raise ScopeError(f"group {name!r}: unknown keys {', '.join(sorted(map(str, unknown)))} "
                                 f"(promql, {', '.join(REST_FIELDS)})")
            promql = spec.get("promql", [])
            for source, fields in REST_FIELDS.items():
                if source in spec:
                    rest[source] = _matchers(name, spec[source], fields)
        groups[str(name)] = Scope(_matchers(name, promql), rules, rest)
    return Tenancy(header, groups, header_format, separator)


def _matchers(group, items, fields: tuple[str, ...] | None = None) -> tuple[Matcher, ...]:
    if not isinstance(items, list) or not all(isinstance(m, str) for m in items):
        raise ScopeError(f"group {group!r}: give a list of matcher strings")
    matchers = tuple(parse_matcher(m) for m in items)
    bad = [m.label for m in matchers if fields is not None and m.label not in fields]
    if bad:
        raise ScopeError(f"group {group!r}: unknown fields {', '.join(bad)} (one of: {', '.join(fields)})")
    return matchers


def _regex(text, what: str) -> re.Pattern:
    try:
        return re.compile(text)
    except (re.error, TypeError) as exc:
        raise ScopeError(f"{what}: invalid regular expression {text!r}: {exc}") from None


def _label_rules(doc: dict) -> dict[str, tuple[LabelRule, ...]]:
    raw = doc.get("labels") or {}
    if not isinstance(raw, dict):
        raise ScopeError("`labels:` must map a label name to a list of {metrics, label} rules")
    rules: dict[str, list[LabelRule]] = {}
    for name, items in raw.items():
        if not isinstance(name, str) or not _LABEL.match(name) or not isinstance(items, list):
            raise ScopeError(f"labels: {name!r} needs a list of {{metrics, label}} rules")
        for item in items:
            if not isinstance(item, dict) or set(item) != {"metrics", "label"}:
                raise ScopeError(f"labels.{name}: each rule is {{metrics: <regex>, label: <name or null>}}")
            target = item["label"]
            if target is not None and (not isinstance(target, str) or not _LABEL.match(target)):
                raise ScopeError(f"labels.{name}: invalid label name {target!r}")
            rules.setdefault(name, []).append(LabelRule(_regex(item["metrics"], f"labels.{name}"), target))
    visible = doc.get("cluster_scoped", "hidden")
    if visible not in ("hidden", "visible"):
        raise ScopeError(f"cluster_scoped must be hidden or visible, got {visible!r}")
    if visible == "visible":
        metrics = _regex(doc.get("cluster_scoped_metrics", CLUSTER_SCOPED_METRICS), "cluster_scoped_metrics")
        # Cluster-scoped series carry no namespace at all: first, so no other rule renames it for them.
        rules.setdefault("namespace", []).insert(0, LabelRule(metrics, None))
    return {k: tuple(v) for k, v in rules.items()}


def _skip_string(q: str, i: int) -> int:
    quote, j = q[i], i + 1
    while j < len(q):
        if q[j] == "\\" and quote != "`":
            j += 2
            continue
        if q[j] == quote:
            return j + 1
        j += 1
    raise ScopeError("unterminated string")


def _closing(q: str, i: int, open_: str, close: str) -> int:
    depth, j = 0, i
    while j < len(q):
        c = q[j]
        if c in "\"'`":
            j = _skip_string(q, j)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return j
        j += 1
    raise ScopeError(f"unbalanced {open_}{close}")


def _name_in(inner: str) -> str:
    """The metric a `{__name__="x", ...}` selector names ("" when it names none plainly)."""
    try:
        expr = promql_parser.parse("{" + inner + "}")
    except Exception:
        return ""
    for m in expr.matchers.matchers if isinstance(expr, promql_parser.VectorSelector) else ():
        if m.name == "__name__" and str(m.op) == "MatchOp.Equal":
            return m.value
    return ""


def _with(inner: str, extra: str) -> str:
    body = inner.strip()
    if not extra:
        return body
    if not body:
        return extra
    return body + ("" if body.endswith(",") else ", ") + extra


def _rewrite(q: str, extra) -> str:
    """`extra(metric_name)`: the matcher text for a selector of that metric ("" for none)."""
    out: list[str] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c in "\"'`":
            j = _skip_string(q, i)
            out.append(q[i:j])
            i = j
        elif c == "#":
            while i < n and q[i] != "\n":
                i += 1
        elif c == "[":
            j = _closing(q, i, "[", "]")
            out.append(q[i:j + 1])
            i = j + 1
        elif c == "{":
            j = _closing(q, i, "{", "}")
            out.append("{" + _with(q[i + 1:j], extra(_name_in(q[i + 1:j]))) + "}")
            i = j + 1
        elif c.isdigit() or (c == "." and i + 1 < n and q[i + 1].isdigit()):
            j = i
            while j < n and (q[j].isalnum() or q[j] in "._"):
                j += 1
            out.append(q[i:j])
            i = j
        elif c.isalpha() or c in "_:":
            j = i
            while j < n and (q[j].isalnum() or q[j] in "_:"):
                j += 1
            word, k = q[i:j], j
            while k < n and q[k].isspace():
                k += 1
            following = q[k] if k < n else ""
            next_word = re.match(r"[A-Za-z_]+", q[k:])
            if next_word and next_word.group(0).lower() in ("by", "without") and word.lower() not in _KEYWORDS:
                out.append(word)  # an aggregation written `sum by (...) (...)`
                i = j
            elif word.lower() in _GROUPING and following == "(":
                end = _closing(q, k, "(", ")")
                out.append(q[i:end + 1])  # a label list, not selectors
                i = end + 1
            elif following == "(" or word.lower() in _KEYWORDS:
                out.append(word)  # function, aggregation or keyword
                i = j
            elif following == "{":
                end = _closing(q, k, "{", "}")
                out.append(word + "{" + _with(q[k + 1:end], extra(word)) + "}")
                i = end + 1
            else:
                text = extra(word)
                out.append(word + ("{" + text + "}" if text else ""))
                i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _selectors(query: str) -> list[tuple[str, set[tuple[str, str, str]]]]:
    found: list[tuple[str, set[tuple[str, str, str]]]] = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            matchers = {(m.name, _OPS[str(m.op)], m.value) for m in node.matchers.matchers}
            name = node.name or next((v for n, op, v in matchers if n == "__name__" and op == "="), "")
            found.append((name, matchers | ({("__name__", "=", node.name)} if node.name else set())))
    promql_parser.walk(promql_parser.parse(query), visit)
    return found


def scope_query(query: str, scope: Scope) -> str:
    """`query` with the scope's matchers in every selector; raises ScopeError when unsure."""
    if not scope:
        return query
    if not isinstance(scope, Scope):
        scope = Scope(scope)
    rewritten = _rewrite(query, lambda name: ", ".join(m.text for m in scope.for_metric(name)))
    try:
        before, after = _selectors(query), _selectors(rewritten)
    except Exception as exc:
        raise ScopeError(f"scoped query does not parse: {exc}") from None
    if len(before) != len(after):
        raise ScopeError("could not add the tenant matchers to every selector")
    for (name, b), (_, a) in zip(before, after):
        wanted = {(m.label, m.op, m.value) for m in scope.for_metric(name)}
        if a != wanted | b:
            raise ScopeError("could not add the tenant matchers to every selector")
    return rewritten
