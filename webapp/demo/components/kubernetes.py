"""Kubernetes: kube-state-metrics (one per cluster), cAdvisor and kubelet (per node, as the
kubelet's ``/metrics/cadvisor`` and ``/metrics``), node-exporter (per node, instance = node name)."""
from __future__ import annotations

import math

import numpy as np

from ..core import (DAY, HOUR, Families, Family, Target, alive, count_le, cyclic_counter, k8s_suffix,
                    poisson_events, smooth, stable_key, target, u1)
from ..world import INF, Pod, World
from . import Component
from .gpu import GPUS_PER_NODE, gpu_nodes

CRASH_PERIOD = 300.0      # back-off capped at 5 min
CRASH_RUN = 10.0          # seconds the container runs before crashing again
OOM_PERIOD = 2700.0       # 45 min between OOM kills
PULL_CYCLE = 300.0        # ErrImagePull -> ImagePullBackOff cycle

CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")
CPU_MODES = {  # mode: (share of busy time or idle, daily amplitude)
    "user": (0.62, 0.5), "system": (0.22, 0.4), "iowait": (0.06, 0.3), "softirq": (0.04, 0.3),
    "steal": (0.02, 0.2), "nice": (0.01, 0.1),
}
NODE_CPUS = 2  # node-exporter cpus reported per node (each stands for cores/2)
# overprovisioned-namespace story: fixed fractions of the request, the same for every replica and rollout
OVERPROV_CPU = 0.046      # mean CPU usage / request (daily wave +-10%: p95 ~5%)
OVERPROV_CPU_AMP = 0.1
OVERPROV_MEM = 0.19       # working set / request (noise up to +12%: peak ~21%)
GPU_RESOURCE = ("nvidia_com_gpu", "integer")   # kube-state-metrics' name for nvidia.com/gpu


# ------------------------------------------------------------------------------ pod timeline

def restart_events(world: World, pod: Pod, cname: str, t_max: float) -> tuple[np.ndarray, str, int]:
    """Restart times of a container, its last-terminated reason and exit code."""
    if "crashloop-pod" in pod.stories:
        s = world.story["crashloop-pod"].start
        n = max(0, math.floor((t_max - s) / CRASH_PERIOD) + 1)
        return s + CRASH_PERIOD * np.arange(n), "Error", 1
    if "oom-killed-executor" in pod.stories:
        s = world.story["oom-killed-executor"].start + OOM_PERIOD
        n = max(0, math.floor((t_max - s) / OOM_PERIOD) + 1)
        return s + OOM_PERIOD * np.arange(n), "OOMKilled", 137
    k = pod.key("restarts", cname)
    if u1(k) < 0.25 and pod.running < INF:
        ev = poisson_events(k, pod.running + 600, min(t_max, pod.end, pod.failed_at), lambda x: np.full(x.shape, 1 / (3 * DAY)),
                            slot=DAY)
        return ev, "Error", 143 if u1(k, 1) < 0.5 else 1
    return np.zeros(0), "", 0


def phase_fn(pod: Pod, phase: str):
    def fn(ts):
        running = (ts >= pod.running) & (ts < pod.failed_at)
        if phase == "Running":
            v = running
        elif phase == "Pending":
            v = ts < min(pod.running, pod.failed_at)
        elif phase == "Failed":
            v = ts >= pod.failed_at
        else:
            v = np.zeros(ts.shape, dtype=bool)
        return alive(ts, pod.created, pod.end, v.astype(np.float64))
    return fn


def ready_mask(world: World, pod: Pod, ts: np.ndarray) -> np.ndarray:
    r = (ts >= pod.ready) & (ts < pod.failed_at) & (ts < pod.end) & (ts >= pod.created)
    if "crashloop-pod" in pod.stories:
        r &= ts < world.story["crashloop-pod"].start
    return r


def running_mask(pod: Pod, ts: np.ndarray) -> np.ndarray:
    return (ts >= pod.running) & (ts < pod.failed_at) & (ts < pod.end)


def cpu_rate(world: World, pod: Pod, c) -> float:
    k = pod.key("cpu", c.name)
    if "overprovisioned-namespace" in pod.stories:
        return c.cpu_req * OVERPROV_CPU
    if "cpu-throttled" in pod.stories:
        return c.cpu_lim * 0.96
    if "crashloop-pod" in pod.stories:
        return c.cpu_req * 0.2
    return min(c.cpu_req * (0.15 + 0.65 * u1(k)), c.cpu_lim * 0.9)


def memory_fn(world: World, pod: Pod, c):
    k = pod.key("mem", c.name)
    base = min(c.mem_req * (0.55 + 0.45 * u1(k)), c.mem_lim * 0.8)
    if "overprovisioned-namespace" in pod.stories:
        base = c.mem_req * OVERPROV_MEM
    oom = "oom-killed-executor" in pod.stories
    s_oom = world.story["oom-killed-executor"].start

    def fn(ts):
        v = base * (1 + 0.08 * smooth(k, ts, 1800) + 0.04 * smooth(k ^ 1, ts, 300))
        if oom:
            frac = np.mod(ts - s_oom, OOM_PERIOD) / OOM_PERIOD
            v = np.where(ts >= s_oom, c.mem_lim * (0.55 + 0.44 * frac), v)
        return alive(ts, pod.running, min(pod.end, pod.failed_at), np.round(v / 4096) * 4096)
    return fn


# ------------------------------------------------------------------------------ component

class Kubernetes(Component):
    name = "kubernetes"
    jobs = ("kube-state-metrics", "cadvisor", "kubelet", "node-exporter")

    def targets(self, world: World) -> list[Target]:
        out = []
        for cl in world.clusters:
            out.append(target("kube-state-metrics", cl, "kube-state-metrics.monitoring.svc:8080", component=self.name))
            for job in ("cadvisor", "kubelet", "node-exporter"):
                for n in world.nodes[cl]:
                    out.append(target(job, cl, n.name, per_instance=True, component=self.name))
        return out

    def families(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        return {
            "kube-state-metrics": self._ksm,
            "cadvisor": self._cadvisor,
            "kubelet": self._kubelet,
            "node-exporter": self._node_exporter,
        }[tgt.job](world, tgt, t0, t1)

    # -------------------------------------------------------------- kube-state-metrics
    def _ksm(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        cl = tgt.cluster
        pods = world.pods(cl, t0, t1)
        t_max = t1 + HOUR
        for p in pods:
            base = {"namespace": p.namespace, "pod": p.name, "uid": p.uid}
            life = (p.created, p.end)
            F("kube_pod_info", "gauge").add(
                {**base, "node": p.node.name, "created_by_kind": p.owner_kind, "created_by_name": p.owner_name,
                 "host_ip": p.node.host_ip, "pod_ip": p.ip, "host_network": "false", "priority_class": ""},
                (lambda life: lambda ts: alive(ts, *life, 1.0))(life))
            for ph in ("Pending", "Running", "Succeeded", "Failed", "Unknown"):
                F("kube_pod_status_phase", "gauge").add({**base, "phase": ph}, phase_fn(p, ph))
            if p.failed_at < INF:
                F("kube_pod_status_reason", "gauge").add(
                    {**base, "reason": "Evicted"}, (lambda p: lambda ts: alive(ts, p.failed_at, p.end, 1.0))(p))
            for cond in ("true", "false", "unknown"):
                def rfn(ts, p=p, cond=cond):
                    r = ready_mask(world, p, ts)
                    v = r if cond == "true" else (~r if cond == "false" else np.zeros(ts.shape, bool))
                    return alive(ts, p.created, p.end, v.astype(np.float64))
                F("kube_pod_status_ready", "gauge").add({**base, "condition": cond}, rfn)
            F("kube_pod_created", "gauge").add(base, (lambda p: lambda ts: alive(ts, p.created, p.end, float(int(p.created))))(p))
            F("kube_pod_start_time", "gauge").add(base, (lambda p: lambda ts: alive(ts, p.start, p.end, float(int(p.start))))(p))
            if p.ready < INF:
                def rt(ts, p=p):
                    return np.where(ready_mask(world, p, ts), float(int(p.ready)), np.nan)
                F("kube_pod_status_ready_time", "gauge").add(base, rt)
            for c in world.container_specs(p):
                cb = {**base, "container": c.name}
                image = f"{c.image.rsplit(':', 1)[0]}:{p.image_tag}"
                F("kube_pod_container_info", "gauge").add(
                    {**cb, "image": image, "image_spec": image,
                     "image_id": f"{image.rsplit(':', 1)[0]}@sha256:{stable_key(image):016x}{stable_key(image, 1):016x}"
                                 f"{stable_key(image, 2):016x}{stable_key(image, 3):016x}",
                     "container_id": f"containerd://{stable_key(p.uid, c.name):016x}{stable_key(c.name, p.uid):016x}"},
                    (lambda life: lambda ts: alive(ts, *life, 1.0))(life))
                F("kube_pod_container_status_ready", "gauge").add(
                    cb, (lambda p: lambda ts: alive(ts, p.created, p.end, ready_mask(world, p, ts).astype(np.float64)))(p))
                ev, reason, code = restart_events(world, p, c.name, t_max)
                F("kube_pod_container_status_restarts_total", "counter").add(
                    cb, (lambda p, ev: lambda ts: alive(ts, p.created, p.end, count_le(ev, ts)))(p, ev))
                if len(ev):
                    first = float(ev[0])
                    F("kube_pod_container_status_last_terminated_reason", "gauge").add(
                        {**cb, "reason": reason}, (lambda p, first: lambda ts: alive(ts, first, p.end, 1.0))(p, first))
                    F("kube_pod_container_status_last_terminated_exitcode", "gauge").add(
                        cb, (lambda p, first, code: lambda ts: alive(ts, first, p.end, float(code)))(p, first, code))
                if "crashloop-pod" in p.stories:
                    s = world.story["crashloop-pod"].start
                    F("kube_pod_container_status_waiting_reason", "gauge").add(
                        {**cb, "reason": "CrashLoopBackOff"},
                        (lambda s, p: lambda ts: np.where((ts >= s) & (ts < p.end) & (np.mod(ts - s, CRASH_PERIOD) >= CRASH_RUN),
                                                          1.0, np.nan))(s, p))
                elif "image-pull-errors" in p.stories:
                    for rsn, lo, hi in (("ErrImagePull", 0, 60), ("ImagePullBackOff", 60, PULL_CYCLE)):
                        F("kube_pod_container_status_waiting_reason", "gauge").add(
                            {**cb, "reason": rsn},
                            (lambda p, lo, hi: lambda ts: np.where(
                                (ts >= p.start) & (ts < p.end) & (np.mod(ts - p.start, PULL_CYCLE) >= lo)
                                & (np.mod(ts - p.start, PULL_CYCLE) < hi), 1.0, np.nan))(p, lo, hi))
                for res, unit, req, lim in (("cpu", "core", c.cpu_req, c.cpu_lim), ("memory", "byte", c.mem_req, c.mem_lim)):
                    lab = {**cb, "node": p.node.name, "resource": res, "unit": unit}
                    F("kube_pod_container_resource_requests", "gauge").add(lab, (lambda life, v: lambda ts: alive(ts, *life, v))(life, req))
                    F("kube_pod_container_resource_limits", "gauge").add(lab, (lambda life, v: lambda ts: alive(ts, *life, v))(life, lim))
                if "gpu-saturated" in p.stories:  # nvidia.com/gpu: 1 (extended resources: request == limit)
                    lab = {**cb, "node": p.node.name, "resource": GPU_RESOURCE[0], "unit": GPU_RESOURCE[1]}
                    F("kube_pod_container_resource_requests", "gauge").add(lab, const_fn(1.0, *life))
                    F("kube_pod_container_resource_limits", "gauge").add(lab, const_fn(1.0, *life))
            if p.workload.kind in ("Deployment", "StatefulSet"):
                # kube-state-metrics >= 2.18 collects EndpointSlices by default (not Endpoints): one series per
                # address, the slice named <service>-<5 random characters>, value 1
                slice_name = f"{p.workload.name}-{k8s_suffix(world.key('endpointslice', cl, p.workload.name), 5)}"
                for rdy in ("true", "false"):
                    def efn(ts, p=p, rdy=rdy):
                        r = ready_mask(world, p, ts)
                        m = (r if rdy == "true" else ~r) & running_mask(p, ts)
                        return np.where(m, 1.0, np.nan)
                    F("kube_endpointslice_endpoints", "gauge").add(
                        {"namespace": p.namespace, "endpointslice": slice_name, "address": p.ip,
                         "endpoint_nodename": p.node.name, "endpoint_zone": f"{cl}-a", "hostname": p.name,
                         "ready": rdy, "serving": rdy, "terminating": "false", "targetref_kind": "Pod",
                         "targetref_name": p.name, "targetref_namespace": p.namespace}, efn)
        # deployments and replica sets
        for w in world.workloads_in(cl):
            if w.kind != "Deployment":
                continue
            wb = {"namespace": w.namespace, "deployment": w.name}
            wpods = [p for p in pods if p.workload is w]
            revs = world.revisions(w, t0, t1)
            created = min(world._old_created(w), world.epoch - DAY)
            F("kube_deployment_created", "gauge").add(wb, const_fn(float(int(created))))
            F("kube_deployment_spec_replicas", "gauge").add(wb, const_fn(float(w.replicas)))

            def avail(ts, wpods=wpods):
                n = np.zeros(ts.shape)
                for p in wpods:
                    n += ready_mask(world, p, ts)
                return n
            F("kube_deployment_status_replicas_available", "gauge").add(wb, lambda ts, a=avail, w=w: np.minimum(a(ts), w.replicas))
            F("kube_deployment_status_replicas_unavailable", "gauge").add(
                wb, lambda ts, a=avail, w=w: np.maximum(w.replicas - a(ts), 0.0))

            def gen(ts, revs=revs):
                g = np.full(ts.shape, float(revs[0][0]))
                for r, s, _e in revs:
                    g = np.where(ts >= s, float(r), g)
                return g
            F("kube_deployment_metadata_generation", "gauge").add(wb, gen)
            F("kube_deployment_status_observed_generation", "gauge").add(wb, gen)
            # replica sets: kept until three newer revisions exist (revisionHistoryLimit: 3)
            period = (w.rollout_hours or 1e6) * HOUR
            for r, s, _e in world.revisions(w, t0 - 4 * period, t1):
                later = world.revisions(w, s + 1, s + 4 * period)
                gone = next((x[1] for x in later if x[0] == r + 3), INF)
                if gone < t0:
                    continue
                rsn = f"{w.name}-{world.rs_hash(w, r)}"
                rb = {"namespace": w.namespace, "replicaset": rsn}
                F("kube_replicaset_created", "gauge").add(rb, const_fn(float(int(s)), s, gone))
                F("kube_replicaset_owner", "gauge").add({**rb, "owner_kind": "Deployment", "owner_name": w.name,
                                                         "owner_is_controller": "true"}, const_fn(1.0, s, gone))
        # persistent volumes
        for w, i, claim, cap in world.pvcs(cl):
            vol = f"pvc-{world._uid(world.key('pv', cl, claim))}"
            F("kube_persistentvolumeclaim_info", "gauge").add(
                {"namespace": w.namespace, "persistentvolumeclaim": claim, "storageclass": "ceph-rbd", "volumename": vol,
                 "volumemode": "Filesystem"},
                const_fn(1.0))
            F("kube_persistentvolumeclaim_resource_requests_storage_bytes", "gauge").add(
                {"namespace": w.namespace, "persistentvolumeclaim": claim}, const_fn(cap))
            F("kube_persistentvolume_capacity_bytes", "gauge").add({"persistentvolume": vol}, const_fn(cap))
        # nodes
        for n in world.nodes[cl]:
            F("kube_node_info", "gauge").add(
                {"node": n.name, "kernel_version": "5.15.0-126-generic", "os_image": "Ubuntu 22.04.5 LTS",
                 "container_runtime_version": "containerd://1.7.24", "kubelet_version": "v1.30.8",
                 "kubeproxy_version": "v1.30.8", "internal_ip": n.host_ip, "provider_id": f"onprem://{n.name}",
                 "pod_cidr": f"10.244.{n.index}.0/24",
                 "system_uuid": world._uid(world.key("node", n.name))}, const_fn(1.0))
            for res, unit, cap, alloc in (("cpu", "core", n.cpu, n.cpu - 0.5), ("memory", "byte", n.mem, n.mem - 2 * 1024 ** 3),
                                          ("pods", "integer", 110, 110)):
                lab = {"node": n.name, "resource": res, "unit": unit}
                F("kube_node_status_capacity", "gauge").add(lab, const_fn(float(cap)))
                F("kube_node_status_allocatable", "gauge").add(lab, const_fn(float(alloc)))
            if n.name in gpu_nodes(world):  # the dcgm-exporter GPU nodes (gpu.py)
                lab = {"node": n.name, "resource": GPU_RESOURCE[0], "unit": GPU_RESOURCE[1]}
                F("kube_node_status_capacity", "gauge").add(lab, const_fn(float(GPUS_PER_NODE)))
                F("kube_node_status_allocatable", "gauge").add(lab, const_fn(float(GPUS_PER_NODE)))
            for cond in CONDITIONS:
                good = "true" if cond == "Ready" else "false"
                for st in ("true", "false", "unknown"):
                    F("kube_node_status_condition", "gauge").add(
                        {"node": n.name, "condition": cond, "status": st}, const_fn(1.0 if st == good else 0.0))
            F("kube_node_spec_unschedulable", "gauge").add({"node": n.name}, const_fn(0.0))
        return F.list()

    # -------------------------------------------------------------- cAdvisor
    def _cadvisor(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        t_max = t1 + HOUR
        for p in world.pods(tgt.cluster, t0, t1):
            if p.node.name != tgt.instance or p.running == INF:
                continue
            qos = "burstable"
            pod_id = f"/kubepods/{qos}/pod{p.uid}"
            stop = min(p.end, p.failed_at)
            for c in world.container_specs(p):
                cid = f"{stable_key(p.uid, c.name):016x}{stable_key(c.name, p.uid):016x}{stable_key(p.name, c.name):016x}{stable_key(c.name, p.name):016x}"
                lab = {"namespace": p.namespace, "pod": p.name, "container": c.name,
                       "image": f"{c.image.rsplit(':', 1)[0]}:{p.image_tag}",
                       "id": f"{pod_id}/{cid}", "name": cid}
                rate = cpu_rate(world, p, c)
                k = p.key("cadvisor", c.name)
                amp = OVERPROV_CPU_AMP if "overprovisioned-namespace" in p.stories else 0.3
                F("container_cpu_usage_seconds_total", "counter").add(
                    {**lab, "cpu": "total"}, (lambda k, p, rate, stop, amp: lambda ts: alive(ts, p.running, stop, cyclic_counter(k, ts, p.running, rate, amp)))(k, p, rate, stop, amp))
                F("container_memory_working_set_bytes", "gauge").add(lab, memory_fn(world, p, c))
                active = 0.55 + 0.4 * u1(k, 7)
                thr = 0.25 if "cpu-throttled" in p.stories else 0.002 + 0.02 * u1(k, 8) ** 3
                F("container_cpu_cfs_periods_total", "counter").add(
                    lab, (lambda k, p, a, stop: lambda ts: alive(ts, p.running, stop, np.floor(cyclic_counter(k ^ 11, ts, p.running, 10 * a, 0.1))))(k, p, active, stop))
                F("container_cpu_cfs_throttled_periods_total", "counter").add(
                    lab, (lambda k, p, a, thr, stop: lambda ts: alive(ts, p.running, stop, np.floor(cyclic_counter(k ^ 11, ts, p.running, 10 * a, 0.1) * thr)))(k, p, active, thr, stop))
                F("container_cpu_cfs_throttled_seconds_total", "counter").add(
                    lab, (lambda k, p, a, thr, stop: lambda ts: alive(ts, p.running, stop, cyclic_counter(k ^ 11, ts, p.running, 10 * a, 0.1) * thr * 0.04))(k, p, active, thr, stop))
                ev, reason, _ = restart_events(world, p, c.name, t_max)
                oom = ev if reason == "OOMKilled" else np.zeros(0)
                F("container_oom_events_total", "counter").add(
                    lab, (lambda p, oom, stop: lambda ts: alive(ts, p.running, stop, count_le(oom, ts)))(p, oom, stop))
            # pod-level network (container="" in cAdvisor)
            nk = p.key("net")
            rx = 2e5 + 5e6 * u1(nk) ** 2
            tx = rx * (0.3 + u1(nk, 1))
            nlab = {"namespace": p.namespace, "pod": p.name, "interface": "eth0", "id": pod_id}
            for name, r in (("container_network_receive_bytes_total", rx), ("container_network_transmit_bytes_total", tx),
                            ("container_network_receive_packets_total", rx / 900), ("container_network_transmit_packets_total", tx / 900),
                            ("container_network_receive_packets_dropped_total", rx / 900 * 2e-5),
                            ("container_network_transmit_packets_dropped_total", tx / 900 * 1e-5)):
                kk = nk ^ (1 if "receive" in name else 2)
                F(name, "counter").add(nlab, (lambda kk, p, r, stop, pkt: lambda ts: alive(
                    ts, p.running, stop, np.floor(cyclic_counter(kk, ts, p.running, r, 0.4)) if pkt else cyclic_counter(kk, ts, p.running, r, 0.4)))(
                    kk, p, r, stop, "packets" in name))
        return F.list()

    # -------------------------------------------------------------- kubelet
    def _kubelet(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        node_pods = [p for p in world.pods(tgt.cluster, t0, t1) if p.node.name == tgt.instance]

        by_sts = {(p.namespace, p.name): p for p in node_pods}
        for w, i, claim, cap in world.pvcs(tgt.cluster):
            p = by_sts.get((w.namespace, f"{w.name}-{i}"))
            if p is None:
                continue
            k = world.key("pvc", tgt.cluster, claim)
            lab = {"namespace": w.namespace, "persistentvolumeclaim": claim}
            story = (w.name == "minio" and i == 0 and tgt.cluster == world.story["pvc-filling"].cluster)
            s0 = world.story["pvc-filling"].start
            base = 0.2 + 0.4 * u1(k)

            def used(ts, k=k, cap=cap, story=story, s0=s0, base=base):
                if story:
                    frac = 0.60 + 0.37 * (1 - np.exp(-np.maximum(ts - s0, 0) / (2.47 * DAY)))
                else:
                    frac = base + 0.02 * np.sin(2 * np.pi * ts / (5 * DAY) + k % 7)
                frac = frac * (1 + 0.004 * smooth(k, ts, 1800))
                return np.round(cap * frac / 4096) * 4096
            F("kubelet_volume_stats_capacity_bytes", "gauge").add(lab, const_fn(cap))
            F("kubelet_volume_stats_used_bytes", "gauge").add(lab, used)
            F("kubelet_volume_stats_available_bytes", "gauge").add(lab, lambda ts, used=used, cap=cap: cap - used(ts))
            F("kubelet_volume_stats_inodes", "gauge").add(lab, const_fn(float(int(cap / 16384))))
            F("kubelet_volume_stats_inodes_used", "gauge").add(lab, lambda ts, used=used: np.floor(used(ts) / 262144))
            F("kubelet_volume_stats_inodes_free", "gauge").add(
                lab, lambda ts, used=used, cap=cap: float(int(cap / 16384)) - np.floor(used(ts) / 262144))
        return F.list()

    # -------------------------------------------------------------- node-exporter
    def _node_exporter(self, world: World, tgt: Target, t0: float, t1: float) -> list[Family]:
        F = Families()
        node = next(n for n in world.nodes[tgt.cluster] if n.name == tgt.instance)
        k = world.key("node", node.name)
        cores = node.cpu / NODE_CPUS
        busy = 0.2 + 0.3 * u1(k)
        boot = world.epoch - 5 * DAY * (1 + u1(k, 1))
        for cpu in range(NODE_CPUS):
            for mode, (share, amp) in CPU_MODES.items():
                F("node_cpu_seconds_total", "counter").add(
                    {"cpu": str(cpu), "mode": mode},
                    (lambda kk, r, a: lambda ts: cyclic_counter(kk, ts, boot, r, a))(k ^ stable_key(cpu, mode), cores * busy * share, amp))
            F("node_cpu_seconds_total", "counter").add(
                {"cpu": str(cpu), "mode": "idle"},
                (lambda kk: lambda ts: cyclic_counter(kk, ts, boot, cores * (1 - busy), -0.3 * busy / (1 - busy)))(k ^ stable_key(cpu, "idle")))
        F("node_memory_MemTotal_bytes", "gauge").add({}, const_fn(node.mem))
        mem_used = 0.35 + 0.3 * u1(k, 2)
        def available(ts):
            return np.round(node.mem * (1 - mem_used * (1 + 0.1 * smooth(k, ts, 3600) + 0.05 * (2 * _d(ts) - 1))) / 4096) * 4096
        F("node_memory_MemAvailable_bytes", "gauge").add({}, available)
        # meminfo's parts of it (kernels without MemAvailable are read as free + buffers + page cache)
        F("node_memory_Cached_bytes", "gauge").add({}, lambda ts: np.round(available(ts) * 0.3 / 4096) * 4096)
        F("node_memory_Buffers_bytes", "gauge").add({}, lambda ts: np.round(available(ts) * 0.02 / 4096) * 4096)
        F("node_memory_MemFree_bytes", "gauge").add(
            {}, lambda ts: available(ts) - np.round(available(ts) * 0.3 / 4096) * 4096 - np.round(available(ts) * 0.02 / 4096) * 4096)
        drops = 0.02 if (node.index == 2 and tgt.cluster == world.story["node-packet-drops"].cluster) else 0.00005
        rx = 2e7 + 6e7 * u1(k, 3)
        tx = rx * (0.5 + 0.6 * u1(k, 4))
        for dev, scale in (("eth0", 1.0), ("lo", 0.05)):
            lab = {"device": dev}
            kk = k ^ stable_key(dev)
            F("node_network_receive_bytes_total", "counter").add(lab, _cc(kk ^ 1, boot, rx * scale, 0.5))
            F("node_network_transmit_bytes_total", "counter").add(lab, _cc(kk ^ 2, boot, tx * scale, 0.5))
            F("node_network_receive_packets_total", "counter").add(lab, _cc(kk ^ 3, boot, rx * scale / 1200, 0.5, True))
            F("node_network_transmit_packets_total", "counter").add(lab, _cc(kk ^ 4, boot, tx * scale / 1200, 0.5, True))
            d = drops if dev == "eth0" else 0.0
            F("node_network_receive_drop_total", "counter").add(lab, _cc(kk ^ 5, boot, rx * scale / 1200 * d, 0.5, True) if d else const_fn(0.0))
            F("node_network_transmit_drop_total", "counter").add(lab, _cc(kk ^ 6, boot, tx * scale / 1200 * 1e-6, 0.5, True) if dev == "eth0" else const_fn(0.0))
            if dev == "eth0":
                F("node_network_speed_bytes", "gauge").add(lab, const_fn(1.25e9))
        fs_lab = {"mountpoint": "/", "device": "/dev/nvme0n1p2", "fstype": "xfs"}
        size = 480 * 1024 ** 3
        F("node_filesystem_size_bytes", "gauge").add(fs_lab, const_fn(float(size)))
        used = 0.3 + 0.4 * u1(k, 5)
        F("node_filesystem_avail_bytes", "gauge").add(
            fs_lab, lambda ts: np.round(size * (1 - used * (1 + 0.02 * smooth(k ^ 9, ts, 7200))) / 4096) * 4096)
        F("node_boot_time_seconds", "gauge").add({}, const_fn(float(int(boot))))
        return F.list()


def _d(ts):
    from ..core import diurnal
    return diurnal(ts)


def _cc(key, start, rate, amp, floor=False):
    def fn(ts):
        v = cyclic_counter(key, ts, start, rate, amp)
        return np.floor(v) if floor else v
    return fn


def const_fn(v: float, start: float = -math.inf, end: float = math.inf):
    return lambda ts: alive(ts, start, end, v)
