"""The demo's alert history: `ALERTS` and `ALERTS_FOR_STATE` written beside the simulated data.

A Prometheus that starts on backfilled history knows no alert state: every alert begins pending
and fires only after its `for` duration, so the first pages after `make demo` would show nothing
firing while the tiles list the problems. Real Prometheus servers keep that state across restarts
in `ALERTS_FOR_STATE` (the alert's `activeAt`, restored after the second evaluation, within
`--rules.alert.for-outage-tolerance`). Here the history gets it too: every alerting rule of the
rule files is evaluated over the backfilled history by the real Prometheus (range queries of the
rule's expression, recording rules inlined because their series are not in the history yet), the
rule manager's state machine is replayed on the results (pending from the first breach, firing
once `for` has elapsed, gone when the expression is empty), and both series are backfilled with
promtool as an extra block.

    series = alert_series(rule_files, query_range, start, end, step)   # -> list of (labels, [(t, v)])
    write_openmetrics(path, series)
"""
from __future__ import annotations

import dataclasses
import math
import pathlib
import re
from collections.abc import Callable, Iterable

import yaml

from ..timerange import parse_duration
from .core import escape_label_value

QueryRange = Callable[[str, float, float, float], list[dict]]  # expr, start, end, step -> matrix result


@dataclasses.dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str              # recording rules inlined
    hold: float            # `for`, seconds
    labels: dict


def _load_groups(rule_files: Iterable[pathlib.Path]) -> list[dict]:
    groups = []
    for path in rule_files:
        data = yaml.safe_load(pathlib.Path(path).read_text()) or {}
        groups += data.get("groups") or []
    return groups


_SELECTOR = r"(?<![\w:]){name}(?![\w:])(\{{(?P<m>[^}}]*)\}})?"
_MATCHER = re.compile(r'\s*([A-Za-z_]\w*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*')


def _matchers(text: str | None) -> dict[str, str] | None:
    """`a="x", b="y"` -> {a: x, b: y}; None when some matcher is not a plain equality."""
    if not text or not text.strip():
        return {}
    out = {}
    for part in text.split(","):
        m = _MATCHER.fullmatch(part)
        if m is None:
            return None
        out[m.group(1)] = m.group(2)
    return out


def inline_records(expr: str, records: list[tuple[str, str, dict]]) -> str:
    """Replace each recorded series an expression reads by the recording rule's own expression.

    `records`: (record name, expression, static labels). A selector `name{l="v"}` takes the rule of
    that name whose labels are exactly those matchers (the generated rules select records that way).
    Raises ValueError when a record is read in another form."""
    for name in sorted({r[0] for r in records}, key=len, reverse=True):
        candidates = [(e, labels) for n, e, labels in records if n == name]

        def repl(match: re.Match, candidates=candidates, name=name) -> str:
            wanted = _matchers(match.group("m"))
            for e, labels in candidates:
                if wanted is not None and {k: str(v) for k, v in labels.items()} == wanted:
                    return f"({e})"
            raise ValueError(f"cannot inline {match.group(0)!r}: no recording rule {name} with exactly those labels")

        expr = re.sub(_SELECTOR.format(name=re.escape(name)), repl, expr)
    return expr


def alert_rules(rule_files: Iterable[pathlib.Path]) -> list[AlertRule]:
    """Every alerting rule of the files, its expression reading raw series only."""
    groups = _load_groups(rule_files)
    records = [(r["record"], r["expr"], r.get("labels") or {}) for g in groups for r in g.get("rules", ())
               if "record" in r]
    rules = []
    for g in groups:
        for r in g.get("rules", ()):
            if "alert" not in r:
                continue
            hold = parse_duration(r["for"]) if r.get("for") and not r["for"].startswith("0") else 0
            rules.append(AlertRule(r["alert"], inline_records(r["expr"], records), float(hold),
                                   {str(k): str(v) for k, v in (r.get("labels") or {}).items()}))
    return rules


def replay(rule: AlertRule, matrix: list[dict], grid: list[float]) -> list[tuple[dict, list[tuple[float, float]]]]:
    """The rule manager's state machine over one rule's range result, evaluated at each `grid` time.

    Returns (labels, samples) for `ALERTS` (one series per state) and `ALERTS_FOR_STATE`."""
    out = []
    for series in matrix:
        metric = {k: v for k, v in series.get("metric", {}).items() if k != "__name__"}
        labels = {**metric, **rule.labels, "alertname": rule.name}
        present = {round(float(t), 3) for t, _v in series.get("values", ())}
        pending, firing, for_state = [], [], []
        active_at = None
        for t in grid:
            if round(t, 3) not in present:
                active_at = None
                continue
            if active_at is None:
                active_at = t
            (firing if t - active_at >= rule.hold else pending).append((t, 1.0))
            for_state.append((t, active_at))
        for state, samples in (("pending", pending), ("firing", firing)):
            if samples:
                out.append(({"__name__": "ALERTS", **labels, "alertstate": state}, samples))
        if for_state:
            out.append(({"__name__": "ALERTS_FOR_STATE", **labels}, for_state))
    return out


def alert_series(rule_files: Iterable[pathlib.Path], query_range: QueryRange, start: float, end: float,
                 step: float) -> list[tuple[dict, list[tuple[float, float]]]]:
    """ALERTS and ALERTS_FOR_STATE over [start, end] on a grid of `step` seconds (unix seconds)."""
    grid = [start + i * step for i in range(int((end - start) // step) + 1)]
    out = []
    for rule in alert_rules(rule_files):
        out += replay(rule, query_range(rule.expr, start, end, step), grid)
    return out


def _label_text(labels: dict) -> str:
    body = ",".join(f'{k}="{escape_label_value(str(v))}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{labels['__name__']}{{{body}}}"


def write_openmetrics(path: pathlib.Path, series: list[tuple[dict, list[tuple[float, float]]]]) -> int:
    """The series as an OpenMetrics file for `promtool tsdb create-blocks-from openmetrics`; returns
    the number of samples written."""
    by_name: dict[str, list] = {}
    for labels, samples in series:
        by_name.setdefault(labels["__name__"], []).append((labels, samples))
    n = 0
    with open(path, "w") as f:
        for name, items in sorted(by_name.items()):
            f.write(f"# TYPE {name} gauge\n")
            for labels, samples in items:
                text = _label_text(labels)
                for t, v in samples:
                    if not math.isnan(v):
                        f.write(f"{text} {v:.17g} {t:.3f}\n")
                        n += 1
        f.write("# EOF\n")
    return n
