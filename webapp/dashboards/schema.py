"""The file format of dashboards kept as data (YAML or JSON), validated once at load.

Every object closes its own field set (an unknown field is an error, so a typo never passes
silently). Query templates use the catalog's template language (see `webapp/promql.py`):
`$name:label` is a whole matcher filled from variable `name` and matched against `label`;
`$__range`, `$__interval`, `$__rate_interval` are the time macros. Two forms exist for file
dashboards only (see `webapp/dashboards/templating.py`): `${name:re}` inside a string literal (the
values RE2-escaped, several as `(a|b)`), and `${name:dur}` where a duration goes (`[${name:dur}]`,
an interval variable's value, validated against the duration grammar).
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

NAME = r"^[a-z][a-z0-9_]*$"
LABEL = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
UID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
FILE_KINDS = ("timeseries", "stat", "gauge", "bar", "pie", "table", "heatmap", "timeofday", "flow", "unsupported")


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VariableSpec(_Closed):
    """A filter picker. `query`: values of `label` on the series of `selector` (a template that may
    use earlier variables, which chains the pickers); `custom`: fixed `options`; `interval`: fixed
    durations plus `auto` (the query step); `textbox`: free text, used only inside string literals."""

    name: str = Field(pattern=NAME, max_length=40)
    kind: Literal["query", "custom", "interval", "textbox"] = "query"
    title: str = Field(default="", max_length=80)
    label: str = Field(default="", pattern=r"^$|" + LABEL[1:])
    selector: str = Field(default="", max_length=2000)
    options: tuple[str, ...] = Field(default=(), max_length=500)
    multi: bool = True
    include_all: bool = True
    all_value: str = Field(default="", max_length=200)
    regex: str = Field(default="", max_length=500)
    default: tuple[str, ...] = ()
    auto: bool = False
    auto_count: int = Field(default=30, ge=1, le=10000)  # interval `auto`: the range split in this many steps
    auto_min: str = Field(default="10s", pattern=r"^\d+[smhdw]$")  # ... but never below this


class QuerySpec(_Closed):
    expr: str = Field(min_length=1, max_length=10000)
    legend: str = Field(default="", max_length=300)
    column: str = Field(default="", max_length=120)
    unit: str = ""


class ThresholdSpec(_Closed):
    """A value that colours the panel: `warning` or `critical` above (or below) it."""

    value: float
    severity: Literal["warning", "critical"] = "critical"
    direction: Literal["above", "below"] = "above"


class LinkSpec(_Closed):
    """A drill-down: `path` is a page path, optionally with a query string; `{label}` parts are
    taken from the clicked series (e.g. `/d/k8s-pod?var-namespace={namespace}&var-pod={pod}`)."""

    path: str = Field(pattern=r"^/[^\s]*$", max_length=500)
    label: str = Field(pattern=LABEL)


class PanelSpec(_Closed):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,80}$")
    title: str = Field(default="", max_length=200)
    kind: Literal[FILE_KINDS] = "timeseries"  # type: ignore[valid-type]
    queries: tuple[QuerySpec, ...] = ()
    unit: str = "short"
    description: str = Field(default="", max_length=2000)
    width: int = Field(default=6, ge=1, le=12)
    thresholds: tuple[ThresholdSpec, ...] = ()
    stacked: bool = False
    min_step: int = Field(default=15, ge=1, le=86400)
    max_points: int = Field(default=300, ge=10, le=11000)
    value_map: tuple[tuple[float, str], ...] = ()
    label_columns: tuple[str, ...] = ()
    join_on: tuple[str, ...] = ()
    link: LinkSpec | None = None
    # Tables and bars: rows ordered by value, largest first (false: smallest first), at most `limit`.
    sort_desc: bool = True
    limit: int = Field(default=50, ge=1, le=1000)
    empty_text: str = Field(default="", max_length=200)  # shown when there is no data ("": "No data")
    reason: str = Field(default="", max_length=300)  # unsupported panels: what is not supported

    @field_validator("label_columns", "join_on")
    @classmethod
    def _labels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import re
        bad = [v for v in value if not re.match(LABEL, v)]
        if bad:
            raise ValueError(f"not label names: {', '.join(bad)}")
        return value


class SectionSpec(_Closed):
    title: str = Field(default="", max_length=200)
    panels: tuple[PanelSpec, ...] = ()


class TimeSpec(_Closed):
    from_: str = Field(default="now-6h", alias="from", max_length=40)
    to: str = Field(default="now", max_length=40)


class DashboardSpec(_Closed):
    """One dashboard file; served at `/d/<uid>`."""

    uid: str = Field(pattern=UID)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    tags: tuple[str, ...] = ()
    time: TimeSpec = TimeSpec()
    variables: tuple[VariableSpec, ...] = ()
    sections: tuple[SectionSpec, ...] = ()
