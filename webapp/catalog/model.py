"""The shapes of the catalog: dashboards are data, rendered by one generic engine."""
from __future__ import annotations

import dataclasses
from typing import Literal

Direction = Literal["above", "below"]
Priority = Literal["P1", "P2", "P3", "P4"]

UNITS = frozenset({
    "short", "percentunit", "percent", "s", "ms", "bytes", "Bps", "ops", "cores", "dollars",
    "dateTime", "none",
})
from .kinds import KIND_OPTIONS, PANEL_KINDS

KINDS = frozenset(PANEL_KINDS)
# A status colour per design priority: only the design's Critical (P1, respond at once) turns a tile,
# panel or line red; High (P2, within 30 min), Medium and Low are warnings, ranked by priority.
PRIORITY_SEVERITY = {"P1": "critical", "P2": "warning", "P3": "warning", "P4": "warning"}
PRIORITY_NAME = {"P1": "Critical", "P2": "High", "P3": "Medium", "P4": "Low"}
# Time series legends: the values shown beside each series name (Grafana's legend "calcs").
LEGEND_CALCS = ("last", "max", "mean", "min")
DEFAULT_LEGEND_CALCS = ("last", "max", "mean")


@dataclasses.dataclass(frozen=True)
class Threshold:
    """One threshold of the design, declared once (see thresholds.py).

    A value is in breach when it is `direction` the threshold (above: value > threshold).
    """

    key: str
    title: str
    value: float
    direction: Direction
    priority: Priority
    unit: str
    domain: str
    for_duration: str = "5m"

    @property
    def severity(self) -> str:
        return PRIORITY_SEVERITY[self.priority]

    def breached(self, value: float) -> bool:
        if value != value:  # NaN: no verdict
            return False
        return value > self.value if self.direction == "above" else value < self.value

    @property
    def comparator(self) -> str:
        return ">" if self.direction == "above" else "<"


@dataclasses.dataclass(frozen=True)
class Query:
    """One PromQL template of a panel and how its series are named.

    `legend` is a format string over the series labels, e.g. "{namespace}/{pod}".
    """

    expr: str
    legend: str = ""
    column: str = ""  # table panels: the column this query fills
    unit: str = ""    # table panels: the column's unit (defaults to the panel's)
    thresholds: tuple[Threshold, ...] = ()  # table panels: thresholds of this column only


@dataclasses.dataclass(frozen=True)
class Link:
    """Drill-down: a registered page path whose `{label}` parts come from the clicked series."""

    path: str
    label: str  # which label of the series names the entity (used for the link text)


@dataclasses.dataclass(frozen=True)
class Panel:
    id: str
    title: str
    kind: str
    queries: tuple[Query, ...]
    unit: str = "short"
    description: str = ""
    thresholds: tuple[Threshold, ...] = ()
    link: Link | None = None
    width: int = 6           # of 12 grid columns
    min_step: int = 15       # seconds; e.g. 3600 for hourly counts
    max_points: int = 300
    stacked: bool = False
    value_map: tuple[tuple[float, str], ...] = ()  # e.g. ((0, "SUCCESS"), (2, "FAILURE"))
    label_columns: tuple[str, ...] = ()  # table: label columns, in order
    join_on: tuple[str, ...] = ()        # table: labels that identify a row (default: label_columns)
    stages: tuple[str, ...] = ()         # flow: segment names in the order drawn (unlisted ones follow)
    fields: tuple[str, ...] = ()         # rows: the REST row fields shown, in order (default: all)
    x_label: str = ""        # bar: label on the category axis (default: the legend)
    empty_text: str = "No data"
    sort_desc: bool = True
    limit: int = 50          # rows/bars shown at most
    source: str = "prometheus"  # or a REST source (webapp/restpanels.py): then queries name resources
    # timeseries only: legend values (None: DEFAULT_LEGEND_CALCS, () none) and event markers drawn on
    # the time axis, by annotation set (webapp/catalog/annotations.py: "deployments", "alerts").
    legend_calcs: tuple[str, ...] | None = None
    annotations: tuple[str, ...] | None = None   # None: none, or the Level 2 default (level2.py)

    def __post_init__(self):
        # Checked at import: an option another kind would silently ignore is a catalog error.
        kind = PANEL_KINDS.get(self.kind)
        if kind is None:
            raise ValueError(f"panel {self.id}: unknown kind {self.kind!r}")
        foreign = sorted(o for o in KIND_OPTIONS - kind.options if getattr(self, o) != _DEFAULTS[o])
        if foreign:
            owners = sorted({k.name for k in PANEL_KINDS.values() if set(foreign) & k.options})
            raise ValueError(f"panel {self.id}: {', '.join(foreign)} are options of {', '.join(owners)} panels,"
                             f" not {self.kind}")
        unknown = set(self.legend_calcs or ()) - set(LEGEND_CALCS)
        if unknown:
            raise ValueError(f"panel {self.id}: unknown legend calcs {sorted(unknown)}")
        from .annotations import SETS
        unknown = set(self.annotations or ()) - set(SETS)
        if unknown:
            raise ValueError(f"panel {self.id}: unknown annotation sets {sorted(unknown)}")

    @property
    def legend_values(self) -> tuple[str, ...]:
        """The legend calcs this panel shows (its own, or the default)."""
        return DEFAULT_LEGEND_CALCS if self.legend_calcs is None else self.legend_calcs

    @property
    def instant(self) -> bool:
        """Stat-like kinds ask for one instant; the others for a range."""
        return PANEL_KINDS[self.kind].instant


_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Panel)}


@dataclasses.dataclass(frozen=True)
class Section:
    title: str
    panels: tuple[Panel, ...]


@dataclasses.dataclass(frozen=True)
class Dashboard:
    id: str
    title: str
    path: str
    sections: tuple[Section, ...]
    variables: tuple[str, ...] = ("cluster", "namespace")
    description: str = ""
    # Level 2 only: a path with <name> parts, the label each part matches, the Level 1 page above it,
    # and a query template that is non-empty when the entity exists (else the page says "not found").
    path_template: str = ""
    path_variables: tuple[tuple[str, str], ...] = ()
    parent: str = ""
    entity: str = ""
    exists_query: str = ""
    # Older, shorter path templates that still reach this dashboard (their missing path variables
    # match everything), and for them a query giving one series per entity the short path may name
    # (labelled like `path_variables`): more than one means the page asks which one was meant.
    alias_templates: tuple[str, ...] = ()
    candidates_query: str = ""

    @property
    def panels(self) -> tuple[Panel, ...]:
        return tuple(p for s in self.sections for p in s.panels)

    @property
    def level(self) -> int:
        return 2 if self.path_template else 1

    @property
    def path_labels(self) -> dict[str, str]:
        return dict(self.path_variables)


@dataclasses.dataclass(frozen=True)
class Signal:
    """A health signal: a PromQL expression giving one value per entity, judged by a threshold.

    The same Signal drives a Level 0 tile's colour and the generated alert rule.
    """

    threshold: Threshold
    expr: str
    entity: str = ""  # label naming the entity, e.g. "jenkins_job"
    noun: str = ""    # what one series is, plural, for "2 of 14 Jenkins jobs" (default: the entity label)
    link: Link | None = None  # the Level 2 page of one entity (default: the tile's Level 1 page)

    @property
    def entities(self) -> str:
        return self.noun or (self.entity.replace("_", " ") + "s" if self.entity else "entities")


@dataclasses.dataclass(frozen=True)
class Tile:
    """A Level 0 domain tile."""

    domain: str
    title: str
    path: str
    figure: Query        # instant, the key figure
    figure_unit: str
    sparkline: Query     # range
    signals: tuple[Signal, ...]
    description: str = ""
