"""Tenant scoping: the label matchers a portal group may see, added to every vector selector.

The tenancy file (YAML) maps portal groups to matchers; the portal (or its auth proxy) names the
user's groups in a request header:

    header: X-Forwarded-Groups        # optional, this is the default
    groups:
      spark-team: ['namespace=~"spark-jobs|airflow"', 'cluster="prod-east"']
      platform-admins: []             # no matchers: sees everything

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
import pathlib
import re
from collections.abc import Mapping

import promql_parser
import yaml

from .promql import string_literal

DEFAULT_HEADER = "X-Forwarded-Groups"
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


Scope = tuple[Matcher, ...]  # () = everything
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


@dataclasses.dataclass(frozen=True)
class Tenancy:
    header: str
    groups: dict[str, Scope]

    def scope_for(self, header_value: str | None) -> Scope | None:
        """The scope of a request's groups; None (deny) when it names no known group."""
        names = [g.strip() for g in (header_value or "").split(",") if g.strip()]
        known = [g for g in self.groups if g in names]  # file order
        if not known:
            return DENY
        unscoped = [g for g in known if not self.groups[g]]
        return () if unscoped else self.groups[known[0]]


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
    groups: dict[str, Scope] = {}
    for name, matchers in doc["groups"].items():
        if not isinstance(matchers, list) or not all(isinstance(m, str) for m in matchers):
            raise ScopeError(f"group {name!r}: give a list of matcher strings")
        groups[str(name)] = tuple(parse_matcher(m) for m in matchers)
    return Tenancy(header, groups)


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


def _with(inner: str, extra: str) -> str:
    body = inner.strip()
    if not body:
        return extra
    return body + ("" if body.endswith(",") else ", ") + extra


def _rewrite(q: str, extra: str) -> str:
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
            out.append("{" + _with(q[i + 1:j], extra) + "}")
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
                out.append(word + "{" + _with(q[k + 1:end], extra) + "}")
                i = end + 1
            else:
                out.append(word + "{" + extra + "}")
                i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _selectors(query: str) -> list[set[tuple[str, str, str]]]:
    found: list[set[tuple[str, str, str]]] = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            found.append({(m.name, _OPS[str(m.op)], m.value) for m in node.matchers.matchers}
                         | ({("__name__", "=", node.name)} if node.name else set()))
    promql_parser.walk(promql_parser.parse(query), visit)
    return found


def scope_query(query: str, scope: Scope) -> str:
    """`query` with the scope's matchers in every selector; raises ScopeError when unsure."""
    if not scope:
        return query
    extra = ", ".join(m.text for m in scope)
    rewritten = _rewrite(query, extra)
    try:
        before, after = _selectors(query), _selectors(rewritten)
    except Exception as exc:
        raise ScopeError(f"scoped query does not parse: {exc}") from None
    wanted = {(m.label, m.op, m.value) for m in scope}
    if len(before) != len(after) or any(a != wanted | b for b, a in zip(before, after)):
        raise ScopeError("could not add the tenant matchers to every selector")
    return rewritten
