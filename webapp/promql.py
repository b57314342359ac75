"""Query templating: catalog PromQL templates filled with escaped values.

A template names a variable as a whole matcher, `metric{phase="Running", $namespace}`; the
engine writes the matcher itself (`namespace="..."` for one value, `namespace=~"(a|b)"` for
several) or drops it when the variable is `All`. Values only ever land inside a string literal,
escaped for the matcher they are in, so nothing from a URL can change the query's structure.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

import promql_parser

from .timerange import format_duration

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# `$name` or `$name:label` (the variable's values matched against another label, e.g. dest_namespace)
_TOKEN = re.compile(r"\$(__range_s|__range|__rate_interval|__interval|[a-z][a-z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?\b")
_RE2_SPECIAL = set("\\.+*?()|[]{}^$")


class TemplateError(ValueError):
    """A template could not be filled into valid PromQL."""


def string_literal(value: str) -> str:
    """A PromQL double-quoted string literal whose content is exactly `value`."""
    # ensure_ascii=False: PromQL rejects the surrogate pairs json uses for non-BMP characters.
    return json.dumps(value, ensure_ascii=False)


def regex_escape(value: str) -> str:
    """Escape RE2 metacharacters so the value matches only itself under `=~`."""
    return "".join("\\" + ch if ch in _RE2_SPECIAL else ch for ch in value)


def matcher(label: str, values: Sequence[str]) -> str:
    """One label matcher for one or several literal values."""
    if not _LABEL_NAME.match(label):
        raise TemplateError(f"invalid label name {label!r}")
    if not values:
        raise TemplateError("a matcher needs at least one value")
    if any(v == "" for v in values):
        # An empty value would also select series without the label.
        raise TemplateError("empty values are not allowed in a matcher")
    if len(values) == 1:
        return f"{label}={string_literal(values[0])}"
    alternatives = "|".join(regex_escape(v) for v in values)
    return f"{label}=~{string_literal('(' + alternatives + ')')}"


def template_variables(template: str) -> set[str]:
    """Names of the matcher variables a template uses (not the `$__` builtins)."""
    return {name for name, _ in _TOKEN.findall(template) if not name.startswith("__")}


def render(template: str, selections: Mapping[str, tuple[str, Sequence[str]]],
           range_seconds: float, step_seconds: float, scrape_interval: float = 15) -> str:
    """Fill a template.

    `selections` maps a variable name to (label, values); empty values mean All (dropped).
    `$__range` is the dashboard range, `$__interval` the step, `$__rate_interval` Grafana's
    max(4 x scrape interval, step + scrape interval).
    """
    placeholders: dict[str, str] = {}

    def first_pass(match: re.Match[str]) -> str:
        name = match[1]
        if name == "__range_s":
            return str(int(range_seconds))
        if name == "__range":
            return format_duration(range_seconds)
        if name == "__interval":
            return format_duration(step_seconds)
        if name == "__rate_interval":
            return format_duration(max(4 * scrape_interval, step_seconds + scrape_interval))
        if name not in selections:
            raise TemplateError(f"template uses unknown variable ${name}")
        label, values = selections[name]
        label = match[2] or label
        if not values:
            return ""
        key = f"\x00{len(placeholders)}\x00"
        placeholders[key] = matcher(label, list(values))
        return key

    text = _TOKEN.sub(first_pass, template)
    # Tidy commas left by dropped matchers before any value is inserted, so values are never touched.
    text = re.sub(r",\s*(,\s*)+", ", ", text)  # first, so `{$a, $b, x="y"}` with both All loses both commas
    text = re.sub(r"\{\s*,\s*", "{", text)
    text = re.sub(r",\s*\}", "}", text)
    for key, value in placeholders.items():
        text = text.replace(key, value)
    validate(text)
    return text


def validate(query: str) -> None:
    """Raise TemplateError unless `query` parses as PromQL."""
    try:
        promql_parser.parse(query)
    except Exception as exc:  # the parser raises its own ValueError subclasses
        raise TemplateError(f"invalid PromQL: {exc}") from None
