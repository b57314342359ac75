"""The catalog reads only the series docs/metric-contract.md defines for our own exporters, and the
exporters emit exactly the contract's names (no drift between the three)."""
from __future__ import annotations

import pathlib
import re

from webapp.catalog import DASHBOARDS, TILES
from webapp.catalog.alerts import EXTRA_SIGNALS, SLOS

CONTRACT = pathlib.Path(__file__).resolve().parents[2] / "docs" / "metric-contract.md"
OURS = re.compile(r"\b((?:iceberg_table|git|pipeline|dq|dataops_exporter)_[a-z_]+)")
SUFFIXES = ("_bucket", "_sum", "_count")


def contract_names() -> set[str]:
    names = set()
    for line in CONTRACT.read_text().splitlines():
        m = re.match(r"\| `([a-z_]+)` \|", line)
        if m:
            names.add(m.group(1))
    return names


def _base(name: str) -> str:
    for s in SUFFIXES:
        if name.endswith(s):
            return name[: -len(s)]
    return name


def _catalog_exprs():
    for d in DASHBOARDS.values():
        for p in d.panels:
            for q in p.queries:
                yield q.expr
    for t in TILES:
        yield t.figure.expr
        yield t.sparkline.expr
        yield from (s.expr for s in t.signals)
    yield from (s.expr for s in EXTRA_SIGNALS)
    for slo in SLOS:
        yield slo.errors
        yield slo.total


def test_catalog_uses_only_contract_names():
    names = contract_names()
    assert {"iceberg_table_files_deleted_unexpectedly", "git_commits_total", "pipeline_stage_duration_seconds",
            "dq_check_success"} <= names
    used = {_base(m) for expr in _catalog_exprs() for m in OURS.findall(expr)}
    assert used and used <= names, sorted(used - names)


def test_exporters_emit_contract_names():
    from webapp.exporters.bitbucket import BitbucketExporter, BitbucketSettings
    from webapp.exporters.journey import JourneyExporter, JourneySettings
    emitted = set()
    for exp in (BitbucketExporter(BitbucketSettings(url="http://x")),
                JourneyExporter(JourneySettings(argocd_url="http://x", jenkins_url="http://x",
                                                bitbucket_url="http://x", kubernetes_url="http://x"))):
        for fam in exp.collect():
            emitted.add(fam.name + ("_total" if fam.type == "counter" else ""))
    iceberg = pathlib.Path(__file__).resolve().parents[2] / "webapp" / "exporters" / "iceberg.py"
    emitted |= set(re.findall(r'gauge\("(iceberg_table_[a-z_]+)"', iceberg.read_text()))
    assert emitted <= contract_names(), sorted(emitted - contract_names())
    assert {n for n in contract_names() if not n.startswith("dq_")} <= emitted
