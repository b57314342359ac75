"""OpenCost (metrics.md section 13): node prices, container allocations and persistent-volume prices.

Real OpenCost is one pod scraped with ``honor_labels: true`` whose series carry ``instance`` = node name.
The demo's backfill sets ``instance`` from the scrape target, so the exporter is modelled as one target
per node (job ``opencost``, instance = node); each target exposes that node's prices and the
allocations of the containers running on it. ``pv_hourly_cost`` comes from the first node's target of
each cluster. All values are gauges in $/h (per vCPU, per GiB, per GPU, per GiB of volume).

``container_cpu_allocation`` = max(request, usage) in cores and ``container_memory_allocation_bytes`` =
max(request, working set), the way OpenCost allocates.

Story ``cost-increase``: the second cluster's node prices rise 30% (reserved-capacity contract ended)
18 h before the anchor: the compute cost trend steps up.
"""
from __future__ import annotations

import numpy as np

from ..core import HOUR, Families, Family, Target, target
from ..world import INF, World, gi
from . import Component
from .gpu import GPUS_PER_NODE, gpu_nodes
from .kubernetes import cpu_rate, memory_fn

CPU_PRICE = 0.031611      # $ per vCPU-hour (OpenCost default pricing)
RAM_PRICE = 0.004237      # $ per GiB-hour
GPU_PRICE = 0.95          # $ per GPU-hour
PV_PRICE = 0.04 / 730     # $ per GiB-hour ($0.04 per GiB-month)
PRICE_RISE = 1.30


def price_factor(world: World, cluster: str):
    """Multiplier of the node prices over time (the cost-increase story)."""
    story_cluster = world.clusters[1] if len(world.clusters) > 1 else world.clusters[0]
    start = world.anchor - 18 * HOUR
    if cluster != story_cluster:
        return lambda ts: np.ones(ts.shape)
    return lambda ts: np.where(ts >= start, PRICE_RISE, 1.0)


class OpenCost(Component):
    name = "opencost"
    jobs = ("opencost",)

    def targets(self, world: World) -> list[Target]:
        return [target("opencost", cl, n.name, per_instance=True, component=self.name)
                for cl in world.clusters for n in world.nodes[cl]]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        cl = tgt.cluster
        node = next(n for n in world.nodes[cl] if n.name == tgt.instance)
        fac = price_factor(world, cl)
        gpus = GPUS_PER_NODE if node.name in gpu_nodes(world) else 0
        nlab = {"node": node.name, "instance_type": f"onprem-{node.cpu}c-{int(node.mem / gi(1))}g",
                "region": f"onprem-{cl}", "provider_id": f"onprem://{node.name}", "arch": "amd64"}
        ram_gib = node.mem / gi(1)
        F("node_cpu_hourly_cost", "gauge", "node_cpu_hourly_cost hourly cost for each cpu on this node").add(
            nlab, lambda ts: np.round(CPU_PRICE * fac(ts), 6))
        F("node_ram_hourly_cost", "gauge", "node_ram_hourly_cost hourly cost for each gb of ram on this node").add(
            nlab, lambda ts: np.round(RAM_PRICE * fac(ts), 6))
        F("node_total_hourly_cost", "gauge", "node_total_hourly_cost Total node cost per hour").add(
            nlab, lambda ts: np.round((node.cpu * CPU_PRICE + ram_gib * RAM_PRICE + gpus * GPU_PRICE) * fac(ts), 6))
        for p in world.pods(cl, t0, t1):
            if p.node.name != node.name or p.running == INF:
                continue
            stop = min(p.end, p.failed_at)
            for c in world.container_specs(p):
                lab = {"namespace": p.namespace, "pod": p.name, "container": c.name, "node": node.name}
                cpu = max(c.cpu_req, cpu_rate(world, p, c))
                mem = memory_fn(world, p, c)
                F("container_cpu_allocation", "gauge", "container_cpu_allocation Percent of a single CPU used in a minute").add(
                    lab, (lambda p, stop, cpu: lambda ts: np.where((ts >= p.running) & (ts < stop), round(cpu, 4), np.nan))(p, stop, cpu))
                F("container_memory_allocation_bytes", "gauge", "container_memory_allocation_bytes Bytes of RAM used").add(
                    lab, (lambda mem, req: lambda ts: np.maximum(mem(ts), req))(mem, c.mem_req))
        if node.index == 0:
            for w, _i, claim, cap in world.pvcs(cl):
                vol = f"pvc-{world._uid(world.key('pv', cl, claim))}"
                F("pv_hourly_cost", "gauge", "pv_hourly_cost Cost per GB per hour on a persistent disk").add(
                    {"volumename": vol, "persistentvolume": vol, "provider_id": vol},
                    lambda ts: np.full(ts.shape, round(PV_PRICE, 8)))
        return F.list()
