"""NVIDIA GPUs: dcgm-exporter (a DaemonSet on the GPU nodes; one target per GPU node, instance = node).

The GPU nodes are *existing* Kubernetes nodes of the first cluster (``<cluster>-node-01`` and
``<cluster>-node-02``), so node drill-downs and joins on ``Hostname``/``instance`` = node name work.
The Kubernetes component does not (yet) emit ``kube_node_status_{capacity,allocatable}{resource="nvidia_com_gpu"}``
for them; this module emits only the DCGM series, as dcgm-exporter would.

Metrics (dcgm-exporter default counters, gauges): ``DCGM_FI_DEV_GPU_UTIL`` (%), ``DCGM_FI_DEV_FB_USED`` and
``DCGM_FI_DEV_FB_FREE`` (MiB), ``DCGM_FI_DEV_GPU_TEMP`` (°C), ``DCGM_FI_DEV_POWER_USAGE`` (W); labels ``gpu``,
``UUID``, ``device``, ``modelName``, ``Hostname`` (+ ``namespace``/``pod``/``container`` when a pod holds the GPU).

Story ``gpu-saturated``: GPU 0 of the first GPU node is held by ml-serving/model-server and runs at ~97%
utilisation with its frame buffer almost full, so "GPU availability" shows one busy GPU and the others free.
"""
from __future__ import annotations

import numpy as np

from ..core import Families, Family, Target, diurnal, smooth, stable_key, target, u1
from ..world import World
from . import Component

GPUS_PER_NODE = 2
FB_TOTAL_MIB = 81920.0   # A100 80GB: FB_USED + FB_FREE (+ a few reserved MiB)
MODEL = "NVIDIA A100-SXM4-80GB"
DRIVER = "550.54.15"


def gpu_nodes(world: World) -> list[str]:
    """Names of the GPU nodes: the first two nodes of the first cluster."""
    cl = world.clusters[0]
    return [n.name for n in world.nodes[cl][:2]]


def gpu_uuid(world: World, node: str, i: int) -> str:
    k = world.key("gpu", node, i)
    h = f"{k:016x}{stable_key(k, 'gpu'):016x}"
    return f"GPU-{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


class GPU(Component):
    name = "gpu"
    jobs = ("dcgm-exporter",)

    def targets(self, world: World) -> list[Target]:
        cl = world.clusters[0]
        return [target("dcgm-exporter", cl, n, per_instance=True, component=self.name) for n in gpu_nodes(world)]

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        node = tgt.instance
        first = node == gpu_nodes(world)[0]
        for i in range(GPUS_PER_NODE):
            k = world.key("gpu", node, i)
            lab = {"gpu": str(i), "UUID": gpu_uuid(world, node, i), "pci_bus_id": f"00000000:{0x3B + 0x23 * i:02X}:00.0",
                   "device": f"nvidia{i}", "modelName": MODEL, "Hostname": node, "DCGM_FI_DRIVER_VERSION": DRIVER}
            saturated = first and i == 0
            if saturated:
                lab.update(namespace="ml-serving", pod="model-server-gpu-0", container="model-server")
                util = (lambda k: lambda ts: np.clip(np.round(96 + 3 * smooth(k, ts, 300)), 0, 100))(k)
                used = (lambda k: lambda ts: np.round(FB_TOTAL_MIB * (0.93 + 0.02 * smooth(k ^ 1, ts, 900))))(k)
            else:
                base = 10 + 45 * u1(k)
                util = (lambda k, b: lambda ts: np.clip(np.round(b * (0.4 + 0.8 * diurnal(ts)) + 6 * smooth(k, ts, 600)), 0, 100))(k, base)
                fb = 0.1 + 0.4 * u1(k, 1)
                used = (lambda k, fb: lambda ts: np.round(FB_TOTAL_MIB * fb * (1 + 0.1 * smooth(k ^ 1, ts, 1800))))(k, fb)
            F("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %).").add(lab, util)
            F("DCGM_FI_DEV_FB_USED", "gauge", "Framebuffer memory used (in MiB).").add(lab, used)
            F("DCGM_FI_DEV_FB_FREE", "gauge", "Framebuffer memory free (in MiB).").add(
                lab, (lambda used: lambda ts: FB_TOTAL_MIB - 512 - used(ts))(used))
        return F.list()
