"""Variables of file dashboards: what the URL selected, placed safely into query templates.

Whole-matcher variables (`$name:label`) go through the catalog's own templating (`webapp/promql.py`).
The two file-only forms are filled here, before that:

- `${name:re}` sits inside a PromQL string literal (checked at load). Each value is RE2-escaped
  with every non-alphanumeric ASCII character written as `\\xHH`, so the filled text holds no quote,
  backslash run, `$`, comma or brace that could end the literal or be read as another template
  token; several values become `(a|b)`; All becomes the variable's `all_value` (default `.*`).
- `${name:dur}` takes an interval variable's value, accepted only when it is a duration
  (`5m`, `1h`), or `auto`: Grafana's auto interval, the range divided into `auto_count` steps,
  rounded to a round duration and at least `auto_min` (without a range, the query step).
- `${name:opt}` takes a custom variable's value as written in the file (a regex such as `.+`, or a
  label list for `by (${name:opt})`), accepted only when it is one of the variable's options. At
  load every option must make a valid query; outside a string literal every option must be a list
  of label names.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from webapp.promql import TemplateError, render, template_variables
from webapp.timerange import TimeParseError, format_duration, parse_duration

from .schema import VariableSpec

FILE_TOKEN = re.compile(r"\$\{([a-z][a-z0-9_]*):(re|dur|opt)\}")
LABEL_LIST = re.compile(r"^\s*[a-zA-Z_][a-zA-Z0-9_]*(\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*)*\s*$")
_WHOLE = re.compile(r"\$([a-z][a-z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?\b")


def string_spans(query: str) -> list[tuple[int, int]]:
    """(start, end) of every string literal in a PromQL text (quotes included); comments skipped."""
    spans, i, n = [], 0, len(query)
    while i < n:
        ch = query[i]
        if ch == "#":
            end = query.find("\n", i)
            i = n if end < 0 else end
        elif ch in "\"'`":
            j = i + 1
            while j < n and query[j] != ch:
                j += 2 if (ch != "`" and query[j] == "\\") else 1
            spans.append((i, min(j + 1, n)))
            i = j + 1
        else:
            i += 1
    return spans


def in_regex_literal(value: str) -> str:
    """`value` as RE2 matching only itself, ready to sit inside a double-quoted PromQL string."""
    out = []
    for ch in value:
        if ch.isascii() and not ch.isalnum():
            out.append(f"\\\\x{ord(ch):02x}")  # `\\x24` in the literal is `\x24` to RE2
        else:
            out.append(json.dumps(ch, ensure_ascii=False)[1:-1])
    return "".join(out)


def values_of(variable: VariableSpec, selected: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The values in force: the URL's, else the variable's default (empty = All)."""
    values = tuple(selected.get(variable.name, ()))
    if not values and (variable.default and (variable.kind != "query" or not variable.include_all)):
        values = variable.default
    if values and not variable.multi:
        values = values[:1]
    return values


ROUND_INTERVALS = (1, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200,
                   86400, 604800, 2592000, 31536000)


def auto_interval(variable: VariableSpec, range_seconds: float) -> str:
    """Grafana's `auto` interval: range / auto_count, rounded to the nearest round duration, >= auto_min."""
    import math
    raw = max(range_seconds / variable.auto_count, 0.001)
    nearest = min(ROUND_INTERVALS, key=lambda r: abs(math.log(r / raw)))
    return format_duration(max(nearest, parse_duration(variable.auto_min)))


def fill_file_tokens(template: str, variables: Mapping[str, VariableSpec],
                     selected: Mapping[str, Sequence[str]], range_seconds: float | None = None) -> str:
    """Replace `${name:re}` and `${name:dur}`; raises TemplateError for a value that cannot be placed."""
    def replace(match: re.Match[str]) -> str:
        name, form = match[1], match[2]
        variable = variables.get(name)
        if variable is None:
            raise TemplateError(f"template uses unknown variable {name}")
        values = values_of(variable, selected)
        if form == "opt":
            unknown = [v for v in values if v not in variable.options]
            if unknown:
                raise TemplateError(f"{variable.title or name}: {unknown[0][:40]!r} is not one of its options")
            chosen = values or ((variable.all_value,) if variable.all_value else variable.options[:1])
            text = chosen[0] if len(chosen) == 1 else "|".join(f"({v})" for v in chosen)
            return json.dumps(text, ensure_ascii=False)[1:-1]
        if form == "dur":
            value = values[0] if values else "auto"
            if value == "auto":
                return auto_interval(variable, range_seconds) if range_seconds else "$__interval"
            try:
                return format_duration(parse_duration(value))
            except TimeParseError:
                raise TemplateError(f"{variable.title or name}: {value[:40]!r} is not a duration") from None
        if not values:
            return json.dumps(variable.all_value or ".*", ensure_ascii=False)[1:-1].replace("$", "\\\\x24")
        escaped = [in_regex_literal(v) for v in values]
        return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
    return FILE_TOKEN.sub(replace, template)


def whole_matcher_selections(variables: Mapping[str, VariableSpec], selected: Mapping[str, Sequence[str]],
                             template: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """(label, values) for each `$name:label` variable of a template, as `promql.render` wants them."""
    out = {}
    for name in template_variables(FILE_TOKEN.sub("", template)):
        variable = variables.get(name)
        if variable is None:
            raise TemplateError(f"template uses unknown variable ${name}")
        out[name] = (variable.label or name, values_of(variable, selected))
    return out


SAMPLE_VALUES = ('a"b\\c$d{e},f', "plain")


def check_template(template: str, variables: Mapping[str, VariableSpec]) -> None:
    """Raise TemplateError unless the template is safe and valid for every kind of selection.

    Safe: `${name:re}` only inside string literals, `${name:dur}` only for interval variables,
    `$name` only as a whole matcher of a query, custom or textbox variable. Valid: the filled
    template parses for All, one hostile value and several values.
    """
    spans = string_spans(template)
    for match in FILE_TOKEN.finditer(template):
        name, form = match[1], match[2]
        variable = variables.get(name)
        if variable is None:
            raise TemplateError(f"unknown variable {name!r}")
        if form == "re" and not any(s < match.start() and match.end() < e for s, e in spans):
            raise TemplateError(f"${{{name}:re}} must sit inside a string literal")
        if form == "dur" and variable.kind != "interval":
            raise TemplateError(f"${{{name}:dur}} needs an interval variable, {name!r} is {variable.kind}")
        if form == "opt":
            if variable.kind != "custom" or not variable.options:
                raise TemplateError(f"${{{name}:opt}} needs a custom variable with options")
            if any("$" in o for o in variable.options + (variable.all_value,)):
                raise TemplateError(f"options of {name!r} contain '$'")
            inside = any(s < match.start() and match.end() < e for s, e in spans)
            if not inside and not all(LABEL_LIST.match(o) for o in variable.options):
                raise TemplateError(f"${{{name}:opt}} outside a string literal needs options that are label lists")
    stripped = FILE_TOKEN.sub("", template)
    spans = string_spans(stripped)
    for match in _WHOLE.finditer(stripped):
        name = match[1]
        if name.startswith("__"):
            continue
        variable = variables.get(name)
        if variable is None:
            raise TemplateError(f"unknown variable {name!r}")
        if variable.kind == "interval":
            raise TemplateError(f"interval variable {name!r} can only be used as ${{{name}:dur}}")
        if any(s < match.start() < e for s, e in spans):
            raise TemplateError(f"${name} inside a string literal: write ${{{name}:re}}")
    choices: list[dict[str, tuple[str, ...]]] = [{}]
    choices.append({n: (SAMPLE_VALUES[0],) for n, v in variables.items() if v.kind not in ("interval", "custom")})
    choices.append({n: SAMPLE_VALUES for n, v in variables.items() if v.kind not in ("interval", "custom")})
    for name, variable in variables.items():
        if variable.kind == "custom" and f"${{{name}:opt}}" in template:
            choices += [{name: (option,)} for option in variable.options]
        elif variable.kind == "custom":
            choices[1][name], choices[2][name] = (SAMPLE_VALUES[0],), SAMPLE_VALUES
    for selected in choices:
        filled = fill_file_tokens(template, variables, selected)
        render(filled, whole_matcher_selections(variables, selected, template), 3600, 60)
