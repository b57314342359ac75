"""The cluster label's name: the catalog writes `cluster`; the data source may call it otherwise.

No exporter emits `cluster`: a platform adds it as a Thanos external label or by relabelling, under a
name of its choosing (`DATAOPS_CLUSTER_LABEL`, default `cluster`). The catalog keeps writing `cluster`;
`rename_label(promql, "cluster", name)` rewrites the planned query once, centrally, and
`rename_result_labels` maps the name back in the answer, so legends, links and tables keep reading
`cluster`.

Where a label name stands in PromQL and is rewritten:
- matchers `{cluster="a"}` (also in `or` matcher groups);
- grouping lists `by (...)`, `without (...)`, `on (...)`, `ignoring (...)`, `group_left (...)`,
  `group_right (...)`;
- label-name arguments of `label_replace` (destination, source), `label_join` (destination, sources),
  `sort_by_label[_desc]` (every label) and the output label of `count_values`.
Metric names, label values, other string arguments and comments are left alone.

The rewrite walks the query's tokens (the `promql-parser` AST cannot be rebuilt node by node from
Python), then checks itself with the parser: the label names used by the rewritten query must be the
original's with the one name replaced, else `TemplateError`.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping

import promql_parser

from .prometheus import QueryResult, Series
from .promql import TemplateError, string_literal

DEFAULT_CLUSTER_LABEL = "cluster"
# The design's selector of the platform's critical services (`PlatformDown`, the availability SLO, the
# E2E availability panels). No platform has a scrape job of that name: it chooses its own targets
# (`DATAOPS_CRITICAL_SERVICES`), and `replace_critical_services` puts them in, centrally, like the
# cluster label's name.
CRITICAL_SERVICES = 'job="platform-critical"'
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# function -> indexes of its label-name arguments (None: every argument from the first index on)
_LABEL_ARGS: dict[str, tuple[int, ...] | tuple[int, None]] = {
    "label_replace": (1, 3),
    "label_join": (1, None),  # destination, then (after the separator) every source; see _is_label_arg
    "sort_by_label": (1, None),
    "sort_by_label_desc": (1, None),
    "count_values": (0,),
}


def validate_label_name(name: str) -> str:
    """`name` if it is a valid Prometheus label name (and not reserved), else ValueError with why."""
    if not isinstance(name, str) or not _LABEL_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)")
    if name.startswith("__"):
        raise ValueError(f"{name!r} is reserved (names starting with __ are Prometheus' own)")
    return name


def validate_critical_services(text: str) -> str:
    """`text` if it is a list of label matchers of `up`, e.g. `job=~"hive-metastore|trino"`, else
    ValueError with why. Checked by the PromQL parser, so a value can add matchers and nothing else."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("give at least one label matcher, e.g. job=~\"hive-metastore|trino\"")
    try:
        expr = promql_parser.parse("up{" + text + "}")
    except Exception as exc:
        raise ValueError(f"{text!r} is not a list of label matchers: {exc}") from None
    if not isinstance(expr, promql_parser.VectorSelector) or expr.name != "up" or expr.matchers.or_matchers:
        raise ValueError(f"{text!r} is not a list of label matchers")
    if any(m.name == "__name__" for m in expr.matchers.matchers):
        raise ValueError(f"{text!r} may not match __name__ (the series is always up)")
    # A `}` in the value ends the selector early: what follows parses as a modifier (`offset`, `@`)
    # or a comment that swallows the rest of every query it goes into (`job="x"} #`).
    try:
        probe = promql_parser.parse("up{" + text + "} + 1")
    except Exception:
        probe = None
    if expr.offset is not None or expr.at is not None or not isinstance(probe, promql_parser.BinaryExpr):
        raise ValueError(f"{text!r} is not a list of label matchers (it ends the selector early)")
    return text.strip()


def replace_critical_services(promql: str, selector: str) -> str:
    """`promql` with the design's critical-services matcher (`CRITICAL_SERVICES`) replaced by the
    platform's `selector` (already validated by `validate_critical_services`). Raises TemplateError
    when the result does not parse."""
    if selector == CRITICAL_SERVICES or CRITICAL_SERVICES not in promql:
        return promql
    replaced = promql.replace(CRITICAL_SERVICES, selector)
    try:
        promql_parser.parse(replaced)
    except Exception as exc:
        raise TemplateError(f"critical services selector does not fit the query: {exc}") from None
    return replaced


def _is_label_arg(func: str, index: int) -> bool:
    if func == "label_join":
        return index == 1 or index >= 3
    spec = _LABEL_ARGS[func]
    if len(spec) == 2 and spec[1] is None:
        return index >= spec[0]
    return index in spec


def _skip_string(q: str, i: int) -> int:
    """Index just past the string literal starting at q[i]."""
    quote = q[i]
    j = i + 1
    while j < len(q):
        if q[j] == "\\" and quote != "`":
            j += 2
            continue
        if q[j] == quote:
            return j + 1
        j += 1
    raise TemplateError("unterminated string literal")


def _next_significant(q: str, i: int) -> int:
    """Index of the next character that is neither whitespace nor inside a comment."""
    while i < len(q):
        if q[i].isspace():
            i += 1
        elif q[i] == "#":
            end = q.find("\n", i)
            i = len(q) if end < 0 else end + 1
        else:
            return i
    return i


def _rewrite(q: str, old: str, new: str) -> str:
    out: list[str] = []
    i = 0
    brace = 0                          # depth of {...}
    parens: list[str] = []             # per open "(": "group" (label list), a function name, or ""
    args: list[int] = []               # per open "(": index of the current argument
    pending = ""                       # what the next "(" opens
    while i < len(q):
        ch = q[i]
        if ch == "#":
            end = q.find("\n", i)
            end = len(q) if end < 0 else end + 1
            out.append(q[i:end])
            i = end
            continue
        if ch in "\"'`":
            end = _skip_string(q, i)
            literal = q[i:end]
            if parens and parens[-1] in _LABEL_ARGS and brace == 0 and _is_label_arg(parens[-1], args[-1]):
                value = json.loads(literal) if ch == '"' else literal[1:-1]
                if value == old:
                    literal = string_literal(new)
            out.append(literal)
            i = end
            pending = ""
            continue
        match = _IDENT.match(q, i)
        if match and (i == 0 or not (q[i - 1].isalnum() or q[i - 1] in "_.")):
            word = match.group()
            end = match.end()
            nxt = _next_significant(q, end)
            in_group = bool(parens) and parens[-1] == "group"
            if word == old and (in_group or (brace and q[nxt:nxt + 1] in ("=", "!"))):
                word = new
            elif not brace:
                pending = ("group" if match.group() in _GROUPING else
                           match.group() if match.group() in _LABEL_ARGS else "")
            out.append(word)
            i = end
            continue
        if ch == "{":
            brace += 1
        elif ch == "}":
            brace -= 1
        elif ch == "(" and not brace:
            parens.append(pending)
            args.append(0)
            pending = ""
        elif ch == ")" and not brace and parens:
            parens.pop()
            args.pop()
        elif ch == "," and not brace and parens:
            args[-1] += 1
        if not ch.isspace():
            pending = pending if ch == "(" else ""
        out.append(ch)
        i += 1
    return "".join(out)


def label_usages(query: str) -> Counter:
    """Label names the query uses, by place: Counter of (place, name). Raises TemplateError."""
    try:
        expr = promql_parser.parse(query)
    except Exception as exc:  # the parser raises its own ValueError subclasses
        raise TemplateError(f"invalid PromQL: {exc}") from None
    found: Counter = Counter()

    def selector(node) -> None:
        groups = [node.matchers.matchers, *node.matchers.or_matchers]
        for group in groups:
            for m in group:
                found[("matcher", m.name)] += 1

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            selector(node)
        elif isinstance(node, promql_parser.MatrixSelector):
            selector(node.vector_selector)
        elif isinstance(node, promql_parser.AggregateExpr):
            if node.modifier is not None:
                for label in node.modifier.labels:
                    found[("grouping", label)] += 1
            if isinstance(node.param, promql_parser.StringLiteral) and str(node.op) == "count_values":
                found[("argument", node.param.val)] += 1
        elif isinstance(node, promql_parser.BinaryExpr) and node.modifier is not None:
            if node.modifier.matching is not None:
                for label in node.modifier.matching.labels:
                    found[("matching", label)] += 1
            for label in node.modifier.group_labels or ():
                found[("group", label)] += 1
        elif isinstance(node, promql_parser.Call) and node.func.name in _LABEL_ARGS:
            for index, arg in enumerate(node.args):
                if isinstance(arg, promql_parser.StringLiteral) and _is_label_arg(node.func.name, index):
                    found[("argument", arg.val)] += 1
        return True

    promql_parser.walk(expr, visit)
    return found


def rename_label(query: str, old: str, new: str) -> str:
    """`query` with the label name `old` written `new` wherever it stands as a label name.

    Raises TemplateError when the query does not parse or the rewrite cannot be verified."""
    if old == new:
        return query
    validate_label_name(new)
    before = label_usages(query)
    rewritten = _rewrite(query, old, new)
    merged: Counter = Counter()
    for (place, name), n in before.items():
        merged[(place, new if name == old else name)] += n
    if label_usages(rewritten) != merged:
        raise TemplateError(f"the label {old!r} could not be renamed to {new!r} in this query")
    return rewritten


def rename_result_labels(result: QueryResult, new: str, old: str) -> QueryResult:
    """The result with label `new` renamed back to `old` (the catalog's name) in every series."""
    if old == new or not any(new in s.labels for s in result.series):
        return result
    series = tuple(Series(_renamed(s.labels, new, old), s.timestamps, s.values) for s in result.series)
    return QueryResult(result.query, result.result_type, series, result.warnings)


def _renamed(labels: Mapping[str, str], new: str, old: str) -> dict[str, str]:
    out = {k: v for k, v in labels.items() if k != new}
    if new in labels:
        out[old] = labels[new]
    return out
