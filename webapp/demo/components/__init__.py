"""Simulated exporters. One module per component; each defines a :class:`Component` subclass.

The plug-in interface is two methods over the shared :class:`~webapp.demo.world.World`:

``targets(world) -> list[Target]``
    the scrape targets it serves (job, cluster, instance, path). Each becomes one
    ``static_configs`` entry of its scrape job in prometheus.yml and one path of the live exporter.

``families(world, target, t0, t1) -> list[Family]``
    every metric family that target exposes, with all series that exist at some time in
    [t0, t1]. Each series carries a pure function of time; the backfill evaluates it on a grid,
    the live exporter at the scrape time. Return NaN where the series does not exist.

Add a component: write ``components/<name>.py`` with a subclass, then append an instance to
``COMPONENTS`` below. Nothing else changes (prometheus.yml, backfill and live exporter are
generic).
"""
from __future__ import annotations

from ..core import Family, Target
from ..world import World


class Component:
    name: str = ""
    #: scrape job names this component serves (documentation; targets() is authoritative)
    jobs: tuple[str, ...] = ()

    def targets(self, world: World) -> list[Target]:  # pragma: no cover - interface
        raise NotImplementedError

    def families(self, world: World, target: Target, t0: float, t1: float) -> list[Family]:  # pragma: no cover
        raise NotImplementedError

    def up(self, world: World, target: Target):
        """Optional: function of time giving the value of ``up`` for the backfill (default 1)."""
        return None


def all_components() -> list[Component]:
    from .argocd import ArgoCD
    from .bitbucket import Bitbucket
    from .jenkins import Jenkins
    from .kubernetes import Kubernetes
    from .gpu import GPU
    from .ingress import Ingress
    from .opencost import OpenCost
    from .pipeline import PipelineExporter  # e2e
    from .dataquality import DataQuality  # e2e
    from .portal import Portal  # e2e
    from .spark import Spark  # workloads
    from .airflow import Airflow  # workloads
    from .trino import Trino  # workloads
    from .hive_metastore import HiveMetastore  # pipeline
    from .minio import MinIO  # pipeline
    from .oracle import Oracle  # pipeline
    from .ceph import Ceph  # pipeline
    from .isilon import Isilon  # pipeline

    return [Kubernetes(), Jenkins(), ArgoCD(), Bitbucket(), GPU(), OpenCost(), Ingress(), PipelineExporter(), DataQuality(), Portal(), Spark(), Airflow(), Trino(), HiveMetastore(), MinIO(), Oracle(), Ceph(), Isilon()]
