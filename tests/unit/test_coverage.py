"""Design coverage: every item of the design maps to real panels, or says why it has none."""
import collections
import os
import pathlib
import re

import pytest

from webapp.catalog.coverage import ITEMS, SECTIONS
from webapp.catalog.coverage_report import OUTPUT, panel_index, render_markdown

DESIGN = pathlib.Path(os.environ.get("DATAOPS_DESIGN_DOC", "/work/shared/docs/platform-design.md"))
NO_DESIGN = f"{DESIGN} is not in this checkout (the design lives outside the repository)"

# Items per section as the design lists them; keeps the completeness check meaningful without the document.
EXPECTED_COUNTS = {
    "1.1 GitOps Deployment Pipeline": 15,
    "1.2 Resource Capacity Planning": 15,
    "1.3 Workload Execution": 16,
    "1.4 Data Pipeline Health": 20,
    "1.5 Optimization & Troubleshooting": 15,
    "1.6 End-to-End Analytics": 15,
    "Level 2: Spark job drill-down": 6,
    "Stage 1: GitOps deployment pipeline": 14,
    "Stage 2: deployment verification": 9,
    "Stage 3: resource capacity": 15,
    "Stage 4: workload execution": 14,
    "Stage 5: data pipeline": 19,
    "Stage 6: end-to-end": 9,
}
MAX_UNCOVERED = 8


def _design_section(text: str, heading: str) -> list[str]:
    """Lines of the section whose heading starts with `heading`, up to the next heading of any level."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    return lines[start + 1:end]


def _split(items: str) -> list[str]:
    return [i.strip() for i in items.split(";") if i.strip()]


def design_level1(text: str) -> set[tuple[str, str, str]]:
    """(section, group, item) of every bullet of the design's "### Level 1" trees 1.1-1.6."""
    found, section = set(), None
    for line in _design_section(text, "### Level 1"):
        if re.match(r"^1\.\d+ ", line):
            section = line.strip()
        elif line.startswith("- ") and section:
            group, _, items = line[2:].partition(":")
            found |= {(section, group.strip(), item) for item in _split(items)}
    return found


def design_stages(text: str) -> set[tuple[str, str, str]]:
    """(section, area, item) of the "what to monitor" column of the stage 1-6 tables."""
    found = set()
    for heading in re.findall(r"^### (Stage \d: .+)$", text, flags=re.M):
        rows = [line for line in _design_section(text, f"### {heading}") if line.startswith("|")]
        for row in rows[2:]:  # header and separator
            cells = [c.strip() for c in row.strip("|").split("|")]
            found |= {(heading, cells[0], item) for item in _split(cells[1])}
    return found


def design_level2(text: str) -> set[str]:
    body = " ".join(_design_section(text, "### Level 2"))
    return {item.rstrip(".") for item in _split(body.split("→", 1)[1])}


def _design_text() -> str:
    if not DESIGN.exists():
        pytest.skip(NO_DESIGN)
    return DESIGN.read_text(encoding="utf-8")


KEYS = {(i.section, i.group, i.item) for i in ITEMS}


def test_every_panel_id_exists():
    index = panel_index()
    missing = [(i.item, p) for i in ITEMS for p in i.panels if p not in index]
    assert not missing


def test_panel_ids_named_in_notes_exist():
    index = panel_index()
    named = {m for i in ITEMS for m in re.findall(r"`([a-z0-9-]+)`", i.note)}
    assert named and named <= set(index)


def test_items_unique_and_in_known_sections():
    keys = [(i.section, i.group, i.item) for i in ITEMS]
    assert len(keys) == len(set(keys))
    assert {i.section for i in ITEMS} == set(SECTIONS)
    assert all(len(i.panels) == len(set(i.panels)) for i in ITEMS)


def test_item_count_per_section():
    assert collections.Counter(i.section for i in ITEMS) == EXPECTED_COUNTS


def test_every_level1_tree_item_is_listed():
    expected = design_level1(_design_text())
    assert len(expected) == sum(n for s, n in EXPECTED_COUNTS.items() if s.startswith("1."))
    assert sorted(expected - KEYS) == []
    listed = {k for k in KEYS if k[0].startswith("1.")}
    assert sorted(listed - expected) == []


def test_every_stage_table_item_is_listed():
    expected = design_stages(_design_text())
    assert len(expected) == sum(n for s, n in EXPECTED_COUNTS.items() if s.startswith("Stage"))
    assert expected == {k for k in KEYS if k[0].startswith("Stage")}


def test_every_level2_spark_item_is_listed():
    expected = design_level2(_design_text())
    assert expected == {i.item for i in ITEMS if i.section == "Level 2: Spark job drill-down"}


def test_uncovered_items_are_few_and_explained():
    uncovered = [i for i in ITEMS if not i.panels]
    assert len(uncovered) <= MAX_UNCOVERED
    assert all(len(i.note) > 40 for i in uncovered), [i.item for i in uncovered if len(i.note) <= 40]


def test_committed_report_is_current():
    assert OUTPUT.exists(), "run: python -m webapp.catalog.coverage_report"
    assert OUTPUT.read_text(encoding="utf-8") == render_markdown(), (
        "docs/COVERAGE.md is stale: run python -m webapp.catalog.coverage_report")


def test_report_lists_every_item_and_the_summary():
    report = render_markdown()
    uncovered = sum(1 for i in ITEMS if not i.panels)
    assert f"{len(ITEMS)} items: {len(ITEMS) - uncovered} covered" in report
    assert f"{uncovered} not covered" in report
    for section in SECTIONS:
        assert f"## {section}" in report
    assert "UNKNOWN PANEL" not in report
