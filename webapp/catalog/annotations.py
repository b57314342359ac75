"""Annotations: events drawn as vertical markers on time series (Grafana's annotation queries).

A panel names the sets it shows (`Panel.annotations`, e.g. `("deployments", "alerts")`); each set is
a few range queries over metrics the real exporters emit (see metrics.md):
- deployments: Argo CD syncs (`argocd_app_sync_total`, a counter: an event where it grew within a
  step) and Jenkins builds (the Prometheus plugin's `default_jenkins_builds_total_build_count_total`);
- alerts: Prometheus' own `ALERTS` series (events where an alert becomes pending, starts firing, and
  stops firing), as Grafana's alert state history shows them.

Templates use the filter variables and Level 2 path variables like panels do; a path variable the
page does not have matches everything, so one definition narrows itself to the entity on its Level
2 page (`$job` on a Jenkins job, `$app_ns`/`$app` on an Argo CD application, `$ns` on a namespace).
"""
from __future__ import annotations

import dataclasses
from typing import Literal

Mode = Literal["increase", "state"]


@dataclasses.dataclass(frozen=True)
class Annotation:
    """One annotation query.

    `mode` says how a range result becomes events: `increase` (every sample > 0 is an event in the
    step ending there, its value the count), `state` (a series' presence: its first sample after a
    gap is a start (pending or firing, by `alertstate`), the last sample of a firing run before a gap
    its resolution)."""

    id: str
    title: str
    expr: str
    text: str                # legend template over the series labels, e.g. "{namespace}/{name}: {phase}"
    mode: Mode = "increase"
    # Shown only on a Level 2 page that gives one of its entity variables (a Jenkins job's builds):
    # platform-wide, such events are a wall of markers, not a signal.
    entity_only: bool = False


ARGOCD_SYNCS = Annotation(
    "argocd-syncs", "Argo CD sync",
    'sum by (namespace, name, phase) (round(increase(argocd_app_sync_total{$cluster, $app_ns, $app}[$__interval]))) > 0',
    "{namespace}/{name}: {phase}")
JENKINS_BUILDS = Annotation(
    "jenkins-builds", "Jenkins build",
    'sum by (jenkins_job) (round(increase(default_jenkins_builds_total_build_count_total{$cluster, $job}[$__interval]))) > 0',
    "{jenkins_job}", entity_only=True)
# The generated alert rules label every alert with its entity (jenkins_job, namespace, name, ...); every
# Level 2 path variable narrows them, so an entity's page shows the alerts about that entity.
ALERT_STATE = Annotation(
    "alert-state", "Alert",
    'max by (alertname, alertstate, severity, domain, jenkins_job, namespace, name, pod, node, persistentvolumeclaim, table, '
    'bucket, tablespace, application_id, dag_id) (ALERTS{$cluster, $job, $app_ns, $app, $ns, '
    '$node, $pvc, $table, $bucket, $tablespace, $app_id, $dag_id})',
    "{alertname} {jenkins_job}{name}{table}{bucket}{tablespace}{application_id}{dag_id} {namespace} "
    "{pod}{node}{persistentvolumeclaim} ({severity})", mode="state")

SETS: dict[str, tuple[Annotation, ...]] = {
    "deployments": (ARGOCD_SYNCS, JENKINS_BUILDS),
    "alerts": (ALERT_STATE,),
}
# The panels' usual choice: both sets.
DEPLOYMENTS_AND_ALERTS = ("deployments", "alerts")
# Annotation queries step at least every scrape (15 s) whatever the panel's own minimum step, so a
# marker sits near its moment even on an hourly chart.
MIN_STEP = 15
MAX_EVENTS = 200  # markers per set and panel, the latest kept: more is a wall, not a signal
