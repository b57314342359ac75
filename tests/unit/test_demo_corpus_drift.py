"""The demo platform emits what the real exporters emit: its metric families, types and label sets are
compared with the real-exporter corpus (`../shared/real-exposition/`, see its NOTES.md and SOURCES.md).

Per scrape job of the demo, against the corpus file of that exporter:
- every family the demo emits exists in the corpus with the same type (or is listed in BEYOND_CORPUS with
  the exporter source that emits it, for the few real families the corpus fixtures do not print);
- every corpus family that the catalog reads is emitted by the demo;
- every demo series has the label names of some corpus sample of the same sample name: the corpus
  sample's labels with a value are all there, and nothing else is, except the labels the scrape adds
  (job, instance, the cluster label) and the exporter's documented LABEL_RULES. Labels with an empty value
  are optional (Prometheus drops them on ingestion).
"""
from __future__ import annotations

import dataclasses
import functools
import re

import promql_parser
import pytest

from webapp.catalog import DASHBOARDS, TILES
from webapp.catalog.alerts import EXTRA_SIGNALS, NAMED_ALERTS, SLOS
from webapp.catalog.variables import VARIABLES
from webapp.demo.components import all_components
from webapp.demo.core import HOUR
from webapp.demo.world import build_world
from webapp.promql import render, template_variables

from tests.corpus import corpus_dir, corpus_files, parse_exposition

# demo scrape job -> corpus file (without .prom)
CORPUS_FILES = {
    "kube-state-metrics": "kube-state-metrics",
    "cadvisor": "cadvisor-kubelet",
    "kubelet": "cadvisor-kubelet",
    "node-exporter": "node_exporter",
    "dcgm-exporter": "dcgm-exporter",
    "ingress-nginx": "ingress-nginx",
    "opencost": "opencost",
    "argocd": "argocd",
    "jenkins": "jenkins",
}

SCRAPE_LABELS = frozenset({"job", "instance", "cluster"})


@dataclasses.dataclass(frozen=True)
class LabelRule:
    """What an exporter's real output adds to or leaves out of its corpus fixture, with the reason."""

    added: frozenset[str] = frozenset()        # labels the real endpoint adds that the fixture lacks
    optional: tuple[str, ...] = ()             # regexes of fixture labels that depend on the setup
    reason: str = ""


LABEL_RULES: dict[str, LabelRule] = {
    "cadvisor": LabelRule(
        added=frozenset({"container", "pod", "namespace"}),
        optional=(r"container_label_.*", r"container_env_.*", "zone_name", "image", "name"),
        reason="the fixture is standalone cAdvisor; the kubelet's /metrics/cadvisor adds container, pod and "
               "namespace (kubernetes pkg/kubelet/server/server.go containerPrometheusLabelsFunc); docker "
               "labels/env and zone_name are that test's whitelist; pod-level cgroups have no image or name"),
    "dcgm-exporter": LabelRule(
        optional=("container", "namespace", "pod"),
        reason="the pod labels are set only while a pod holds the GPU (internal/pkg/transformation/const.go); "
               "the fixture prints them on one GPU_UTIL sample and not on the other"),
}

# Real families the corpus fixtures do not print: family -> (type, corpus family with the same labels or a
# label set, the exporter source).
BEYOND_CORPUS: dict[str, dict[str, tuple[str, str | frozenset[str], str]]] = {
    "node-exporter": {
        "node_memory_MemAvailable_bytes": ("gauge", frozenset(), "collector/meminfo_linux.go (the fixture's meminfo has no such line)"),
        "node_filesystem_size_bytes": ("gauge", frozenset({"device", "mountpoint", "fstype", "device_error"}),
                                       "collector/filesystem_common.go (collector not in the e2e set)"),
        "node_filesystem_avail_bytes": ("gauge", frozenset({"device", "mountpoint", "fstype", "device_error"}),
                                        "collector/filesystem_common.go (collector not in the e2e set)"),
    },
    "ingress-nginx": {
        "nginx_ingress_controller_request_duration_seconds": (
            "histogram", "nginx_ingress_controller_response_duration_seconds",
            "internal/ingress/metric/collectors/socket.go requestTime (no test prints it)"),
        "nginx_ingress_controller_response_size": (
            "histogram", "nginx_ingress_controller_response_duration_seconds",
            "internal/ingress/metric/collectors/socket.go responseLength (no test prints it)"),
    },
}


# Two forms of one signal, both common today: the demo emits one, the catalog reads either.
ALTERNATIVES: dict[str, str] = {
    # kube-state-metrics >= 2.18 collects endpointslices by default; endpoints only with --resources=...,endpoints
    "kube_endpoint_address": "kube_endpointslice_endpoints",
}


@dataclasses.dataclass
class CorpusFamily:
    type: str
    samples: dict[str, list[dict[str, str]]]   # exposed sample name -> label dicts (empty values kept)


@functools.lru_cache(maxsize=None)
def corpus(name: str) -> dict[str, CorpusFamily]:
    """Families of one corpus file (parsed by tests/corpus.py), keyed as the demo names them: the name on
    the `# TYPE` line, so a counter keeps its `_total` when the exporter exposes one. Families the file
    declares without any sample are included (their name and type are still the exporter's)."""
    path = corpus_files().get(name)
    assert path is not None, f"real-exporter corpus file {name}.prom not found in {corpus_dir()} (set DATAOPS_CORPUS_DIR)"
    text = path.read_text(encoding="utf-8")
    # Some fixtures print every `# TYPE` line ahead of the samples (test output sorted line by line), which
    # leaves those samples untyped to a parser; the type a file declares for a name is the exporter's.
    declared = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.M))
    out: dict[str, CorpusFamily] = {}
    for fam in parse_exposition(text):
        names = {smp.name for smp in fam.samples}
        key = fam.name
        if fam.type in ("counter", "untyped") and len(names) == 1 and next(iter(names)) in declared:
            key = next(iter(names))
        typ = declared.get(key, fam.type) if fam.type == "untyped" else fam.type
        entry = out.setdefault(key, CorpusFamily(typ, {}))
        for smp in fam.samples:
            if smp.name.endswith("_created") and not key.endswith("_created"):
                continue
            entry.samples.setdefault(smp.name, []).append(dict(smp.labels))
    for name_, typ in declared.items():
        out.setdefault(name_, CorpusFamily(typ, {}))
    return out


ANCHOR = 1_764_147_600.0  # 2025-11-26 09:00 UTC
T0, T1 = ANCHOR - 26 * HOUR, ANCHOR


@functools.lru_cache(maxsize=1)
def demo_by_job() -> dict[str, dict[str, tuple[str, dict[str, set[frozenset[str]]]]]]:
    """job -> family -> (type, sample name -> label-name sets with a value), over the tiny world's last 26 h."""
    world = build_world("tiny", 42, ANCHOR)
    out: dict[str, dict] = {}
    for component in all_components():
        for tgt in component.targets(world):
            if tgt.job not in CORPUS_FILES:
                continue
            fams = out.setdefault(tgt.job, {})
            for fam in component.families(world, tgt, T0, T1):
                typ, samples = fams.setdefault(fam.name, (fam.type, {}))
                assert typ == fam.type, (tgt.job, fam.name)
                for s in fam.series:
                    samples.setdefault(s.name, set()).add(frozenset(k for k, v in s.labels.items() if v != ""))
    return out


@functools.lru_cache(maxsize=1)
def catalog_metrics() -> frozenset[str]:
    """Every metric name a panel, tile, signal, alert, SLO or Level 2 page reads."""
    exprs = [q.expr for d in DASHBOARDS.values() for p in d.panels if p.source == "prometheus" for q in p.queries]
    exprs += [d.exists_query for d in DASHBOARDS.values() if d.exists_query]
    exprs += [e for t in TILES for e in (t.figure.expr, t.sparkline.expr, *(s.expr for s in t.signals))]
    exprs += [s.expr for s in EXTRA_SIGNALS] + [a.expr for a in NAMED_ALERTS]
    exprs += [slo.error_ratio_expr("1h") for slo in SLOS]
    names: set[str] = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            names.update(m.value for m in node.matchers.matchers if m.name == "__name__")
    for expr in exprs:
        selections = {n: (VARIABLES[n].label if n in VARIABLES else n, ()) for n in template_variables(expr)}
        promql_parser.walk(promql_parser.parse(render(expr, selections, 6 * 3600, 60)), visit)
    return frozenset(names)


def _family_of_sample(sample: str, families) -> str | None:
    for suffix in ("", "_bucket", "_sum", "_count"):
        base = sample.removesuffix(suffix) if suffix else sample
        if (not suffix or sample.endswith(suffix)) and base in families:
            return base
    return None


def _matches(labels: frozenset[str], real: dict[str, str], rule: LabelRule) -> bool:
    def optional(name: str) -> bool:
        return name in SCRAPE_LABELS or any(re.fullmatch(p, name) for p in rule.optional)
    required = {k for k, v in real.items() if v != "" and not optional(k)}
    allowed = set(real) | rule.added | SCRAPE_LABELS
    return required <= labels <= allowed


@pytest.mark.parametrize("job", sorted(CORPUS_FILES))
def test_demo_families_exist_in_the_real_exporter_with_the_same_type(job):
    real = corpus(CORPUS_FILES[job])
    beyond = BEYOND_CORPUS.get(job, {})
    demo = demo_by_job()[job]
    unknown = sorted(f for f in demo if f not in real and f not in beyond)
    assert not unknown, f"{job}: the real exporter emits no such family: {unknown}"
    wrong = sorted((f, t, (real[f].type if f in real else beyond[f][0])) for f, (t, _) in demo.items()
                   if t != (real[f].type if f in real else beyond[f][0]))
    assert not wrong, f"{job}: (family, demo type, real type) differ: {wrong}"


@pytest.mark.parametrize("job", sorted(CORPUS_FILES))
def test_demo_emits_every_real_family_the_catalog_reads(job):
    real = corpus(CORPUS_FILES[job])
    demo = demo_by_job()[job]
    read = catalog_metrics()
    other_jobs = {f for j, fams in demo_by_job().items() if CORPUS_FILES[j] == CORPUS_FILES[job] for f in fams}
    missing = sorted(f for f, fam in real.items()
                     if any(s in read for s in fam.samples or {f: None}) and f not in other_jobs
                     and ALTERNATIVES.get(f) not in other_jobs)
    assert not missing, f"{job}: the catalog reads these real families, the demo does not emit them: {missing}"
    assert demo


@pytest.mark.parametrize("job", sorted(CORPUS_FILES))
def test_demo_label_sets_are_the_real_exporters(job):
    real = corpus(CORPUS_FILES[job])
    beyond = BEYOND_CORPUS.get(job, {})
    rule = LABEL_RULES.get(job, LabelRule())
    bad = []
    for fam, (_typ, samples) in demo_by_job()[job].items():
        for sample, label_sets in samples.items():
            if fam in real:
                candidates = real[fam].samples.get(sample)
            else:
                like = beyond[fam][1]
                if isinstance(like, frozenset):
                    candidates = [dict.fromkeys(like - {"device_error"}, "x") | dict.fromkeys({"device_error"} & like, "")]
                else:
                    candidates = real[like].samples.get(like + sample.removeprefix(fam))
            if not candidates:
                known = real[fam].samples if fam in real else {}
                if known:  # the fixture prints this family, but not under this sample name
                    bad.append((sample, "no such sample name", sorted(known)))
                continue  # declared (TYPE) in the fixture without samples: the name and type are checked
            for labels in label_sets:
                if not any(_matches(labels, c, rule) for c in candidates):
                    bad.append((sample, sorted(labels), [sorted(k for k, v in c.items() if v) for c in candidates[:2]]))
    assert not bad, f"{job}: demo label names differ from the real exporter's: {bad[:8]}"


def test_the_corpus_parser_reads_types_names_and_labels():
    """The parser keys families by their `# TYPE` name (counters keep `_total`) and keeps empty labels."""
    ksm = corpus("kube-state-metrics")
    assert ksm["kube_pod_container_status_restarts_total"].type == "counter"
    assert "kube_pod_container_status_restarts_total" in ksm["kube_pod_container_status_restarts_total"].samples
    ingress = corpus("ingress-nginx")
    assert ingress["nginx_ingress_controller_requests"].type == "counter"
    assert ingress["nginx_ingress_controller_requests"].samples["nginx_ingress_controller_requests"][0]["canary"] == ""
    assert corpus("node_exporter")["node_network_receive_bytes_total"].samples == {}
    assert _matches(frozenset({"a"}), {"a": "1", "b": ""}, LabelRule())
    assert not _matches(frozenset({"a", "c"}), {"a": "1", "b": ""}, LabelRule())
    assert not _matches(frozenset(), {"a": "1"}, LabelRule())
