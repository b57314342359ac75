"""Colours, defined once. Figures take them from here; text colours by status live in assets/app.css
(`.status-text-*`), one per theme, because text needs 4.5:1 on each theme's background.

- SERIES: Okabe-Ito (Okabe & Ito 2008, "Color Universal Design"), told apart with every common colour
  vision deficiency; black is replaced by grey so that a series stays visible on the dark theme.
- STATUS: marks (lines, bars, borders, threshold lines) that keep 3:1 against both the light (#fff) and
  the dark (#22252b) panel backgrounds (WCAG 2.2 1.4.11). Status is never told by colour alone:
  badges, cells and summaries also say it in words.
- NAMED_STATES: states that sources report (Argo CD health and sync, pull requests, Spark and Airflow
  task states) mapped to a status.
"""
from __future__ import annotations

SERIES = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#999999")
STATUS = {"ok": "#009E73", "warning": "#C17D00", "critical": "#D55E00", "unknown": "#8A8F98", "info": "#0072B2"}
NAMED_STATES = {
    "Healthy": "ok", "Synced": "ok", "Merged": "ok", "COMPLETE": "ok", "SUCCEEDED": "ok", "SUCCESS": "ok",
    "success": "ok", "succeeded": "ok",
    "Degraded": "critical", "Declined": "critical", "FAILED": "critical", "failed": "critical",
    "upstream_failed": "critical",
    "OutOfSync": "warning", "up_for_retry": "warning", "unstable": "warning",
    "Progressing": "info", "Open": "info", "ACTIVE": "info", "RUNNING": "info", "running": "info",
    "Missing": "unknown", "Unknown": "unknown", "Suspended": "unknown", "KILLED": "unknown", "SKIPPED": "unknown",
    "skipped": "unknown", "queued": "unknown", "aborted": "unknown",
}


def series_colour(i: int) -> str:
    """The i-th series' colour (cycling)."""
    return SERIES[i % len(SERIES)]


def state_colour(name: str, i: int = 0) -> str:
    """A named state's mark colour; other names take the i-th series colour."""
    status = NAMED_STATES.get(name)
    return STATUS[status] if status else series_colour(i)
