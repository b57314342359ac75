"""Prometheus rule files generated from the catalog's threshold declarations.

    python -m webapp.rules            # (re)write deploy/prometheus/*.rules.yml and tests/generated.test.yml
    python -m webapp.rules --check    # exit 1 if the committed files differ from what the catalog says

One source: a tile Signal (overview.py) or an extra Signal (catalog/alerts.py) is recorded as
`dataops:<threshold key>:signal` with exactly the tile's query (every filter All), and alerted as
`dataops:<key>:signal <comparator> <threshold value>` for the threshold's `for` duration, with the
design's priority as severity. The design's six named alerts and the SLOs' SLI recording rules
and multi-window multi-burn-rate alerts come from catalog/alerts.py. The promtool unit tests of
every threshold alert and every burn-rate alert are generated here too (tests/generated.test.yml);
the named alerts have hand-written tests (tests/named.test.yml).
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import pathlib
import re
import sys

import yaml

from .catalog.alerts import ALERT_NAMES, EXTRA_SIGNALS, NAMED_ALERTS, SLO, SLOS
from .catalog.model import PRIORITY_NAME, Signal, Threshold
from .catalog.overview import TILES
from .catalog.forms import CONTAINERS
from .catalog.variables import VARIABLES
from .labelnames import CRITICAL_SERVICES
from .promql import render, validate
from .timerange import format_duration, parse_duration

ROOT = pathlib.Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "deploy" / "prometheus"
DOMAIN_PATHS = {t.domain: t.path for t in TILES}
DOMAIN_TITLES = {t.domain: t.title for t in TILES}
SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_OF = {p: name.lower() for p, name in PRIORITY_NAME.items()}  # P1 critical, P2 high, P3 medium, P4 low
PRIORITY_OF = {v: k for k, v in SEVERITY_OF.items()}

# Multi-window multi-burn-rate tiers (SRE workbook, chapter 5; Sloth and Pyrra use the same):
# (budget share consumed, long window as a share of a 30-day SLO window, burn factor).
# For other SLO windows the windows scale with the SLO window, as Pyrra does (floors below).
BURN_TIERS = (
    ("page", 1 / 720, 14.4),    # 2% of the budget in 1 h (30 d) ...
    ("page", 6 / 720, 6.0),     # 5% in 6 h
    ("ticket", 24 / 720, 3.0),  # 10% in 1 d
    ("ticket", 72 / 720, 1.0),  # 10% in 3 d
)
MIN_LONG_WINDOW = 600   # 10m
MIN_SHORT_WINDOW = 300  # 5m: the demo's backfilled history has one sample per 2 min
BURN_FOR = {"page": "2m", "ticket": "15m"}
PAGE_WINDOWS = ("1h", "6h", "1d", "3d")  # burn rates shown on /slo


# ---------------------------------------------------------------- threshold alerts
@dataclasses.dataclass(frozen=True)
class ThresholdAlert:
    name: str
    signal: Signal
    domain: str

    @property
    def threshold(self) -> Threshold:
        return self.signal.threshold

    @property
    def record(self) -> str:
        return f"dataops:{self.threshold.key}:signal"

    @property
    def query(self) -> str:
        """The tile's query with every filter All."""
        return render_all(self.signal.expr)

    @property
    def expr(self) -> str:
        t = self.threshold
        return f"{self.record} {t.comparator} {t.value:g}"


def render_all(template: str) -> str:
    """A catalog template with every variable set to All (no filter)."""
    selections = {name: (v.label, ()) for name, v in VARIABLES.items()}
    if "$__" in template:
        raise ValueError(f"alert expressions cannot use dashboard builtins: {template[:80]}")
    return render(template, selections, range_seconds=3600, step_seconds=60)


def camel(key: str) -> str:
    return "".join(part.capitalize() for part in key.split("_"))


def threshold_alerts() -> list[ThresholdAlert]:
    """One alert per tile signal (domain: the tile's) and per extra signal (domain: the threshold's)."""
    alerts = [ThresholdAlert(ALERT_NAMES.get(s.threshold.key, camel(s.threshold.key)), s, tile.domain)
              for tile in TILES for s in tile.signals]
    alerts += [ThresholdAlert(ALERT_NAMES.get(s.threshold.key, camel(s.threshold.key)), s, s.threshold.domain)
               for s in EXTRA_SIGNALS]
    names = [a.name for a in alerts]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"two signals judge the same threshold: {duplicates}")
    return alerts


def format_threshold(value: float, unit: str) -> str:
    if unit == "percentunit":
        return f"{value * 100:g}%"
    if unit == "s":
        return f"{value * 1000:g}ms" if value < 1 else format_duration(value)
    return f"{value:g}"


HUMANIZER = {"percentunit": "humanizePercentage", "s": "humanizeDuration"}


def _labels(priority: str, domain: str, **extra: str) -> dict:
    return {"severity": SEVERITY_OF[priority], "priority": priority, "domain": domain, **extra}


def threshold_rule(alert: ThresholdAlert) -> dict:
    t = alert.threshold
    entity = alert.signal.entity
    where = f"{{{{ $labels.{entity} }}}}" if entity else "the platform"
    humanizer = HUMANIZER.get(t.unit, "humanize")
    path = DOMAIN_PATHS[alert.domain]
    limit = format_threshold(t.value, t.unit)
    return {
        "alert": alert.name,
        "expr": alert.expr,
        "for": t.for_duration,
        "labels": _labels(t.priority, alert.domain, threshold=t.key),
        "annotations": {
            "summary": f"{t.title} {t.comparator} {limit}: {where}",
            "description": (f"{t.title} is {{{{ $value | {humanizer} }}}} for {where} (threshold {t.comparator} "
                            f"{limit}, design priority {t.priority} {PRIORITY_NAME[t.priority]}). "
                            f"The {DOMAIN_TITLES[alert.domain]} page shows it."),
            "dashboard_url": path,
        },
    }


def threshold_groups() -> list[dict]:
    groups = []
    alerts = threshold_alerts()
    for domain in DOMAIN_PATHS:
        mine = [a for a in alerts if a.domain == domain]
        if not mine:
            continue
        rules: list[dict] = [{"record": a.record, "expr": a.query} for a in mine]
        rules += [threshold_rule(a) for a in mine]
        groups.append({"name": f"dataops-{domain}-thresholds", "rules": rules})
    return groups


# ---------------------------------------------------------------- named alerts
def named_groups() -> list[dict]:
    rules = []
    for a in NAMED_ALERTS:
        rules.append({
            "alert": a.name, "expr": a.expr, "for": a.for_duration,
            "labels": _labels(a.priority, a.domain),
            "annotations": {"summary": a.summary, "description": a.description,
                            "dashboard_url": DOMAIN_PATHS[a.domain]},
        })
    return [{"name": "dataops-named-alerts", "rules": rules}]


# ---------------------------------------------------------------- SLOs
@dataclasses.dataclass(frozen=True)
class BurnTier:
    kind: str   # page | ticket
    long: str
    short: str
    factor: float


def burn_tiers(slo: SLO) -> list[BurnTier]:
    window = parse_slo_window(slo.window)
    tiers = []
    for kind, share, factor in BURN_TIERS:
        long = max(MIN_LONG_WINDOW, round(window * share / 60) * 60)
        short = max(MIN_SHORT_WINDOW, round(long / 12 / 60) * 60)
        tiers.append(BurnTier(kind, compound_duration(long), compound_duration(short), factor))
    return tiers


def compound_duration(seconds: int) -> str:
    """Whole minutes as a PromQL duration: 5h36m, 1d, 14m."""
    out, rest = "", int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if rest >= size:
            out += f"{rest // size}{unit}"
            rest %= size
    return out or "0m"


_DUR = re.compile(r"(\d+)([dhm])")


def parse_slo_window(text: str) -> int:
    units = {"m": 60, "h": 3600, "d": 86400}
    return sum(int(n) * units[u] for n, u in _DUR.findall(text))


def slo_windows(slo: SLO) -> list[str]:
    """Every window the SLO's rules need, shortest first."""
    windows = {period(slo), *PAGE_WINDOWS}
    for tier in burn_tiers(slo):
        windows |= {tier.long, tier.short}
    return sorted(windows, key=parse_slo_window)


def period(slo: SLO) -> str:
    """The SLO window, spelled as the recording rules spell it (24h -> 1d)."""
    return compound_duration(parse_slo_window(slo.window))


def sli_record(window: str) -> str:
    return f"slo:sli_error:ratio_rate{window}"


def slo_group(slo: SLO) -> dict:
    labels = {"slo": slo.key}
    sel = f'{{slo="{slo.key}"}}'
    rules: list[dict] = [{"record": sli_record(w), "expr": slo.error_ratio_expr(w), "labels": labels}
                         for w in slo_windows(slo)]
    rules += [
        {"record": "slo:objective:ratio", "expr": f"vector({slo.objective:g})", "labels": labels},
        {"record": "slo:error_budget:ratio", "expr": f"vector({slo.budget:.6g})", "labels": labels},
        {"record": "slo:period_error_budget_remaining:ratio",
         "expr": f"1 - {sli_record(period(slo))}{sel} / {slo.budget:.6g}", "labels": labels},
    ]
    rules += [{"record": "slo:burn_rate:ratio", "expr": f"{sli_record(w)}{sel} / {slo.budget:.6g}",
               "labels": {**labels, "window": w}} for w in PAGE_WINDOWS]
    objective = f"{slo.objective * 100:g}%"
    for kind in ("page", "ticket"):
        tiers = [t for t in burn_tiers(slo) if t.kind == kind]
        expr = " or ".join(
            f"({sli_record(t.long)}{sel} > ({t.factor:g} * {slo.budget:.6g}) "
            f"and {sli_record(t.short)}{sel} > ({t.factor:g} * {slo.budget:.6g}))" for t in tiers)
        priority = slo.priority if kind == "page" else "P3"
        speeds = ", ".join(f"{t.factor:g}x over {t.long} (and {t.short})" for t in tiers)
        rules.append({
            "alert": f"{camel(slo.key)}BudgetBurn",
            "expr": expr,
            "for": BURN_FOR[kind],
            "labels": _labels(priority, slo.domain, slo=slo.key, burn=kind),
            "annotations": {
                "summary": f"{slo.title}: error budget burning {'fast' if kind == 'page' else 'steadily'}",
                "description": (f"{slo.title} (objective {objective} over {slo.window}) is consuming its error "
                                f"budget at {speeds} the sustainable rate. The SLO page shows the budget left."),
                "dashboard_url": "/slo",
            },
        })
    return {"name": f"dataops-slo-{slo.key}", "rules": rules}


def slo_groups() -> list[dict]:
    return [slo_group(s) for s in SLOS]


# ---------------------------------------------------------------- panel recording rules
# Panel queries that get expensive over long ranges (weeks of data at fine steps), pre-aggregated.
PANEL_RECORDS = (
    ("cluster:container_cpu_usage:ratio",
     'sum by (cluster) (rate(container_cpu_usage_seconds_total{' + CONTAINERS + '}[5m])) '
     '/ sum by (cluster) (kube_node_status_allocatable{resource="cpu"})'),
    ("cluster:container_memory_working_set:ratio",
     'sum by (cluster) (container_memory_working_set_bytes{' + CONTAINERS + '}) '
     '/ sum by (cluster) (kube_node_status_allocatable{resource="memory"})'),
    ("namespace:container_cpu_usage_seconds:sum_rate5m",
     'sum by (cluster, namespace) (rate(container_cpu_usage_seconds_total{' + CONTAINERS + '}[5m]))'),
    ("namespace:container_memory_working_set_bytes:sum",
     'sum by (cluster, namespace) (container_memory_working_set_bytes{' + CONTAINERS + '})'),
    ("jenkins_job:builds:increase1h",
     'sum by (cluster, jenkins_job) (increase(default_jenkins_builds_total_build_count_total[1h]))'),
    ("jenkins_job:builds_success:increase1h",
     'sum by (cluster, jenkins_job) (increase(default_jenkins_builds_success_build_count_total[1h]))'),
    ("pipeline_le:pipeline_duration_seconds_bucket:increase1h",
     'sum by (pipeline, le) (increase(pipeline_duration_seconds_bucket[1h]))'),
    ("instance:platform_critical_up:avg_over_time1h",
     'avg_over_time(up{' + CRITICAL_SERVICES + '}[1h])'),
)


def panel_groups() -> list[dict]:
    return [{"name": "dataops-panels", "rules": [{"record": r, "expr": e} for r, e in PANEL_RECORDS]}]


# ---------------------------------------------------------------- files
RULE_FILES = {
    "thresholds.rules.yml": threshold_groups,
    "named.rules.yml": named_groups,
    "slo.rules.yml": slo_groups,
    "recording.rules.yml": panel_groups,
}
HEADER = "# GENERATED by `python -m webapp.rules` from webapp/catalog (thresholds.py, overview.py, alerts.py).\n" \
         "# Do not edit: change the catalog and regenerate; tests/unit/test_rules.py fails on drift.\n"


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(data) -> str:
    return HEADER + yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=1000, allow_unicode=True)


def generate() -> dict[str, str]:
    """Relative path under deploy/prometheus -> file text."""
    files = {name: dump({"groups": build()}) for name, build in RULE_FILES.items()}
    files["tests/generated.test.yml"] = dump(generated_tests())
    return files


def all_rules() -> list[dict]:
    return [r for build in RULE_FILES.values() for g in build() for r in g["rules"]]


def validate_rules() -> None:
    for rule in all_rules():
        validate(rule["expr"])


# ---------------------------------------------------------------- promtool tests (generated)
def _g4(v: float) -> str:
    """Go's %.4g."""
    if v == 0:
        return "0"
    text = f"{v:.4g}"
    if "e" in text:
        mant, exp = text.split("e")
        sign, digits = exp[0], exp[1:].lstrip("0")
        text = f"{mant}e{sign}{digits.zfill(2)}"
    return text


def humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    prefix = ""
    if abs(v) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix, v = p, v / 1000
        return _g4(v) + prefix
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return _g4(v) + prefix


def humanize_percentage(v: float) -> str:
    return _g4(v * 100) + "%"


def humanize_duration(v: float) -> str:
    if v == 0:
        return "0s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        d = int(abs(v))
        seconds, minutes, hours, days = d % 60, (d // 60) % 60, (d // 3600) % 24, d // 86400
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{_g4(abs(v))}s"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return f"{_g4(v)}{prefix}s"


_HUMANIZE = {"humanize": humanize, "humanizePercentage": humanize_percentage, "humanizeDuration": humanize_duration}


def expand(template: str, labels: dict, value: float) -> str:
    """Expand the few template forms our annotations use ($labels.x, $value | humanize*)."""
    out = template
    for name, fn in _HUMANIZE.items():
        out = out.replace(f"{{{{ $value | {name} }}}}", fn(value))
    for key, val in labels.items():
        out = out.replace(f"{{{{ $labels.{key} }}}}", val)
    return out


def _minutes(duration: str) -> int:
    return parse_duration(duration) // 60 if duration != "0m" else 0


def _breach_value(t: Threshold) -> float:
    if t.direction == "above":
        return t.value * 2 if t.value else 1.0
    return t.value / 2


def threshold_test(alert: ThresholdAlert) -> dict:
    """A firing entity, a healthy entity at exactly the threshold, and silence before `for` elapses."""
    t = alert.threshold
    rule = threshold_rule(alert)
    entity = alert.signal.entity or "entity"
    bad = float(f"{_breach_value(t):g}")
    for_min = _minutes(t.for_duration)
    length = for_min + 5
    series = [
        {"series": f'{alert.record}{{{entity}="bad"}}', "values": f"{bad:g}+0x{length}"},
        {"series": f'{alert.record}{{{entity}="good"}}', "values": f"{t.value:g}+0x{length}"},
    ]
    labels = {entity: "bad", **rule["labels"]}
    annotations = {k: expand(v, {entity: "bad"}, bad) for k, v in rule["annotations"].items()}
    cases = []
    if for_min:
        cases.append({"eval_time": f"{for_min - 1}m", "alertname": alert.name, "exp_alerts": []})
    cases.append({"eval_time": f"{for_min + 1}m", "alertname": alert.name,
                  "exp_alerts": [{"exp_labels": labels, "exp_annotations": annotations}]})
    return {"name": f"{alert.name}: fires for the breaching entity only, after {t.for_duration}",
            "interval": "1m", "input_series": series, "alert_rule_test": cases}


def slo_tests(slo: SLO) -> list[dict]:
    """Burn-rate alerts over recorded SLI series: fast burn pages, slow burn tickets, within budget silent."""
    group = slo_group(slo)
    alerts = {r["labels"]["burn"]: r for r in group["rules"] if "alert" in r}
    name = alerts["page"]["alert"]
    windows = slo_windows(slo)
    minutes = 25

    def case(ratio: float, expected: tuple[str, ...], title: str) -> dict:
        series = [{"series": f'{sli_record(w)}{{slo="{slo.key}"}}', "values": f"{ratio:g}+0x{minutes}"}
                  for w in windows]
        exp = [{"exp_labels": {"slo": slo.key, **alerts[k]["labels"]},
                "exp_annotations": dict(alerts[k]["annotations"])} for k in expected]
        return {"name": f"{name}: {title}", "interval": "1m", "input_series": series,
                "alert_rule_test": [{"eval_time": "1m", "alertname": name, "exp_alerts": []},
                                    {"eval_time": f"{minutes}m", "alertname": name, "exp_alerts": exp}]}

    b = slo.budget
    return [
        case(float(f"{b * 15:.6g}"), ("page", "ticket"), "burning 15x pages (and tickets)"),
        case(float(f"{b * 2:.6g}"), ("ticket",), "burning 2x tickets only"),
        case(float(f"{b * 0.9:.6g}"), (), "burning within budget stays silent"),
    ]


def generated_tests() -> dict:
    tests = [threshold_test(a) for a in threshold_alerts()]
    for slo in SLOS:
        tests += slo_tests(slo)
    return {"rule_files": [f"../{name}" for name in RULE_FILES], "evaluation_interval": "1m", "tests": tests}


# ---------------------------------------------------------------- CLI
def write(folder: pathlib.Path = RULES_DIR) -> list[pathlib.Path]:
    written = []
    for rel, text in generate().items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def drift(folder: pathlib.Path = RULES_DIR) -> list[str]:
    return [rel for rel, text in generate().items()
            if not (folder / rel).exists() or (folder / rel).read_text() != text]


def for_platform(cluster_label: str, critical_services: str) -> dict[str, str]:
    """The rule files (relative path -> text, promtool tests left out: they are written in the design's
    names) in a platform's names: every `expr` with the cluster label renamed and the critical services
    put in, as the app's engine sends its queries (labelnames.py), and `$labels.cluster` in the texts
    renamed. Raises TemplateError when an expression cannot be rewritten."""
    from .labelnames import DEFAULT_CLUSTER_LABEL, rename_label, replace_critical_services

    def adapt(rule: dict) -> dict:
        rule = dict(rule, expr=replace_critical_services(rule["expr"], critical_services))
        if cluster_label == DEFAULT_CLUSTER_LABEL:
            return rule
        rule["expr"] = rename_label(rule["expr"], DEFAULT_CLUSTER_LABEL, cluster_label)
        for key in ("labels", "annotations"):
            if key in rule:
                rule[key] = {k: v.replace("$labels.cluster", f"$labels.{cluster_label}") for k, v in rule[key].items()}
        return rule

    return {name: dump({"groups": [dict(g, rules=[adapt(r) for r in g["rules"]]) for g in build()]})
            for name, build in RULE_FILES.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webapp.rules",
                                     description="Generate the Prometheus rule files from the catalog.")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the files are out of date")
    parser.add_argument("--out", default=str(RULES_DIR), help="folder to write (default deploy/prometheus)")
    parser.add_argument("--platform", action="store_true",
                        help="write only the rule files, in this platform's names (DATAOPS_CLUSTER_LABEL, "
                             "DATAOPS_CRITICAL_SERVICES), to --out")
    args = parser.parse_args(argv)
    validate_rules()
    folder = pathlib.Path(args.out)
    if args.platform:
        from .settings import SettingsError, load_settings
        try:
            settings = load_settings()
        except SettingsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if folder.resolve() == RULES_DIR.resolve():
            print("--platform writes elsewhere than deploy/prometheus (give --out DIR): the committed files "
                  "are the design's names, checked for drift", file=sys.stderr)
            return 2
        folder.mkdir(parents=True, exist_ok=True)
        for rel, text in for_platform(settings.cluster_label, settings.critical_services).items():
            (folder / rel).write_text(text)
            print(f"wrote {folder / rel}")
        return 0
    if args.check:
        stale = drift(folder)
        for rel in stale:
            print(f"out of date: {folder / rel}", file=sys.stderr)
        return 1 if stale else 0
    for path in write(folder):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
