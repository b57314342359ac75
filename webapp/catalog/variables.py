"""Dashboard variables: the filter pickers and the labels they match.

Label names live here, never in URLs. `options_from` is the series whose label values fill the
picker; `depends_on` chains pickers (namespaces offered are those of the chosen clusters).
"""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Variable:
    name: str
    label: str
    title: str
    options_from: str
    depends_on: tuple[str, ...] = ()


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable("cluster", "cluster", "Cluster", "kube_node_info"),
        Variable("namespace", "namespace", "Namespace", "kube_pod_info", depends_on=("cluster",)),
    )
}

# Path variables of Level 2 pages: the label their value is matched against.
PATH_VARIABLES: dict[str, str] = {
    "jenkins_job": "jenkins_job",
    "argocd_app": "name",
    "node": "node",
    "ns": "namespace",
    "app_id": "application_id",
    "dag_id": "dag_id",
    "table": "table",
    "pvc": "persistentvolumeclaim",
}
