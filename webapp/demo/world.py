"""The shared world model of the simulated platform: clusters, nodes, namespaces, workloads,
pods (with their rollout history) and the story timeline.

Everything is a pure function of (seed, scale, anchor). ``anchor`` is the "now" of the first
generation of a data folder (kept in its ``state.json``); the stories are placed relative to it
and stay current afterwards (a failing job keeps failing, a crash loop keeps looping), so a reused
data folder still shows them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from .core import DAY, HOUR, k8s_suffix, stable_key, u1

INF = math.inf


@dataclass(frozen=True)
class ScaleSpec:
    name: str
    clusters: tuple[str, ...]
    nodes_per_cluster: int
    replica_factor: int          # multiplies replicas of scalable deployments
    extra_namespaces: int        # additional "team-N" namespaces with a few services each
    history_hours: float
    step: int                    # backfill resolution in seconds
    jenkins_jobs: int = 12
    lite: bool = False           # drop a few non-story workloads (the test scale)


SCALES: dict[str, ScaleSpec] = {
    "tiny": ScaleSpec("tiny", ("prod-east", "prod-west"), 3, 1, 0, 26, 120, lite=True),
    "small": ScaleSpec("small", ("prod-east", "prod-west"), 6, 1, 0, 72, 120),
    # medium/large are benchmark scales; 60 s resolution would mean ~100M / ~400M samples (promtool needs
    # ~1 GB RAM per 10M samples), so they use 120 s / 240 s (still inside the 5 min lookback).
    "medium": ScaleSpec("medium", ("prod-east", "prod-west", "prod-central"), 8, 2, 3, 168, 120, 16),
    "large": ScaleSpec("large", ("prod-east", "prod-west", "prod-central", "dr-south"), 12, 3, 8, 336, 240, 16),
}


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    image: str
    cpu_req: float     # cores
    cpu_lim: float
    mem_req: float     # bytes
    mem_lim: float


@dataclass(frozen=True)
class Workload:
    cluster: str
    namespace: str
    kind: str                          # Deployment | StatefulSet | SparkApplication
    name: str
    replicas: int
    containers: tuple[ContainerSpec, ...]
    pvc_gib: int = 0                   # StatefulSet volumeClaimTemplate size
    rollout_hours: float = 0.0         # mean time between rollouts (0 = none in the story window)
    app: str = ""                      # Argo CD application name
    repo: str = ""                     # git repository


@dataclass(frozen=True)
class Node:
    cluster: str
    name: str
    index: int
    cpu: int
    mem: float
    host_ip: str


@dataclass
class Pod:
    cluster: str
    namespace: str
    name: str
    uid: str
    node: Node
    ip: str
    workload: Workload
    replicaset: str            # "" for StatefulSet
    revision: int
    created: float
    start: float               # kube_pod_start_time (scheduled + kubelet accepted)
    running: float             # containers started (phase Running); INF = never (Pending)
    ready: float               # Ready condition true from; INF = never
    end: float                 # pod object deleted; INF = still there
    image_tag: str
    failed_at: float = INF     # phase Failed from (eviction)
    stories: tuple[str, ...] = ()
    owner_kind: str = ""
    owner_name: str = ""

    def key(self, *parts) -> int:
        return stable_key(self.cluster, self.namespace, self.name, *parts)


@dataclass(frozen=True)
class Story:
    """One deliberate incident, placed relative to the anchor."""
    name: str
    cluster: str
    entity: str
    start: float
    description: str


def mi(x: float) -> float:
    return x * 1024 * 1024


def gi(x: float) -> float:
    return x * 1024 ** 3


def _c(name, image, cpu_req, cpu_lim, mem_req_mi, mem_lim_mi):
    return ContainerSpec(name, image, cpu_req, cpu_lim, mi(mem_req_mi), mi(mem_lim_mi))


# (namespace, kind, name, replicas, containers, pvc_gib, rollout_hours, app, repo, scalable)
_BASE_WORKLOADS = [
    ("spark-jobs", "Deployment", "spark-operator", 1,
     [_c("spark-operator", "ghcr.io/kubeflow/spark-operator:2.1.0", 0.2, 1, 256, 512)], 0, 0, "spark-operator", "platform-infra", False),
    ("spark-jobs", "SparkApplication", "orders-streaming", 3,
     [_c("spark-kubernetes-executor", "registry.internal/data/spark:3.5.3-orders-1.14", 1.0, 2.0, 3072, 4096)], 0, 0,
     "orders-streaming", "spark-jobs", True),
    ("airflow", "Deployment", "airflow-scheduler", 1,
     [_c("scheduler", "apache/airflow:2.10.4", 0.5, 1, 1024, 2048)], 0, 60, "airflow", "airflow-dags", False),
    ("airflow", "Deployment", "airflow-webserver", 1,
     [_c("webserver", "apache/airflow:2.10.4", 0.25, 1, 1024, 2048)], 0, 60, "airflow", "airflow-dags", False),
    ("airflow", "Deployment", "airflow-worker", 3,
     [_c("worker", "apache/airflow:2.10.4", 1.0, 2, 2048, 4096)], 0, 0, "airflow", "airflow-dags", True),
    ("airflow", "StatefulSet", "airflow-postgresql", 1,
     [_c("postgresql", "bitnami/postgresql:16.4.0", 0.25, 1, 512, 1024)], 20, 0, "airflow", "airflow-dags", False),
    ("trino", "Deployment", "trino-coordinator", 1,
     [_c("trino-coordinator", "trinodb/trino:467", 2, 4, 8192, 8192)], 0, 0, "trino", "trino-gateway", False),
    ("trino", "Deployment", "trino-worker", 3,
     [_c("trino-worker", "trinodb/trino:467", 2, 2, 8192, 12288)], 0, 0, "trino", "trino-gateway", True),
    ("trino", "Deployment", "trino-gateway", 2,
     [_c("trino-gateway", "trinodb/trino-gateway:13", 0.25, 0.5, 512, 1024)], 0, 0, "trino-gateway", "trino-gateway", False),
    ("argocd", "StatefulSet", "argocd-application-controller", 1,
     [_c("argocd-application-controller", "quay.io/argoproj/argocd:v3.1.8", 0.5, 2, 1024, 2048)], 0, 0, "", "", False),
    ("argocd", "Deployment", "argocd-server", 1,
     [_c("argocd-server", "quay.io/argoproj/argocd:v3.1.8", 0.1, 0.5, 256, 512)], 0, 0, "", "", False),
    ("argocd", "Deployment", "argocd-repo-server", 1,
     [_c("argocd-repo-server", "quay.io/argoproj/argocd:v3.1.8", 0.2, 1, 256, 1024)], 0, 0, "", "", False),
    ("jenkins", "StatefulSet", "jenkins", 1,
     [_c("jenkins", "jenkins/jenkins:2.479.3-lts-jdk17", 1, 4, 4096, 6144)], 100, 0, "jenkins", "platform-infra", False),
    ("data-ingest", "Deployment", "ingest-worker", 2,
     [_c("ingest-worker", "registry.internal/data/ingest-worker:1.8.2", 0.5, 1, 1024, 2048)], 0, 40, "data-ingest",
     "data-ingest", True),
    ("data-ingest", "Deployment", "kafka-connect", 1,
     [_c("kafka-connect", "confluentinc/cp-kafka-connect:7.7.1", 1, 2, 2048, 4096)], 0, 0, "data-ingest", "data-ingest", False),
    ("ml-serving", "Deployment", "model-server", 2,
     [_c("model-server", "registry.internal/ml/model-server:2.3.1", 1, 2, 2048, 4096)], 0, 0, "model-server", "ml-models", False),
    ("ml-serving", "Deployment", "feature-api", 2,
     [_c("feature-api", "registry.internal/ml/feature-api:0.9.4", 0.25, 1, 512, 1024)], 0, 30, "feature-api", "ml-models", True),
    ("hive-metastore", "Deployment", "hive-metastore", 2,
     [_c("hive-metastore", "apache/hive:4.0.1", 0.5, 2, 2048, 4096)], 0, 50, "hive-metastore", "platform-infra", False),
    ("minio", "StatefulSet", "minio", 4,
     [_c("minio", "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z", 0.5, 2, 2048, 4096)], 500, 0, "minio", "platform-infra", False),
    ("monitoring", "StatefulSet", "prometheus", 1,
     [_c("prometheus", "quay.io/prometheus/prometheus:v2.42.0", 1, 2, 4096, 8192)], 200, 0, "monitoring", "platform-infra", False),
    ("monitoring", "Deployment", "kube-state-metrics", 1,
     [_c("kube-state-metrics", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0", 0.1, 0.5, 128, 256)], 0, 0,
     "monitoring", "platform-infra", False),
    ("portal", "Deployment", "portal-ui", 2,
     [_c("portal-ui", "registry.internal/portal/portal-ui:5.2.0", 0.1, 0.5, 256, 512)], 0, 20, "portal-ui", "portal-ui", True),
    ("portal", "Deployment", "portal-api", 2,
     [_c("portal-api", "registry.internal/portal/portal-api:5.2.0", 0.25, 1, 512, 1024)], 0, 26, "portal-api", "portal-ui", True),
]

# over-provisioned-namespace story: in the second cluster, ml-serving/model-server is sized for a CPU-inference
# peak that never came (3 cores / 6 GiB per replica) and uses ~5% of its CPU and ~20% of its memory request
OVERPROVISIONED = ("ml-serving", "model-server")
_OVERPROVISIONED_CONTAINERS = (_c("model-server", "registry.internal/ml/model-server:2.3.1", 3, 3, 6144, 6144),)

# Clusters that only exist in the first cluster (one Jenkins for the platform)
_FIRST_CLUSTER_ONLY = {"jenkins"}
# workloads left out at the "lite" (tiny) scale
_LITE_SKIP = {"argocd-server", "argocd-repo-server", "kafka-connect", "kube-state-metrics", "portal-api",
              "spark-operator", "airflow-webserver", "feature-api"}


class World:
    """The simulated platform for one (scale, seed, anchor)."""

    def __init__(self, scale: ScaleSpec, seed: int, anchor: float):
        self.scale = scale
        self.seed = seed
        self.anchor = float(anchor)
        #: epoch of the simulation: counters count from here (pods created before it are "old")
        self.epoch = math.floor((self.anchor - 60 * DAY) / DAY) * DAY
        self.clusters = list(scale.clusters)
        self.nodes: dict[str, list[Node]] = {}
        self.workloads: list[Workload] = []
        for ci, cl in enumerate(self.clusters):
            self.nodes[cl] = [
                Node(cl, f"{cl}-node-{i + 1:02d}", i, 16 if i % 3 else 32, gi(64 if i % 3 else 128),
                     f"10.{ci}.0.{i + 11}")
                for i in range(scale.nodes_per_cluster)
            ]
            for (ns, kind, name, rep, containers, pvc, roll, app, repo, scalable) in _BASE_WORKLOADS:
                if ns in _FIRST_CLUSTER_ONLY and ci != 0:
                    continue
                if scale.lite and name in _LITE_SKIP:
                    continue
                replicas = rep * scale.replica_factor if scalable else rep
                if (ns, name) == OVERPROVISIONED and ci == min(1, len(self.clusters) - 1):
                    containers = _OVERPROVISIONED_CONTAINERS
                self.workloads.append(Workload(cl, ns, kind, name, replicas, tuple(containers), pvc, roll, app, repo))
            for t in range(scale.extra_namespaces):
                ns = f"team-{t + 1:02d}"
                for svc in ("api", "worker"):
                    self.workloads.append(Workload(
                        cl, ns, "Deployment", f"{ns}-{svc}", 2,
                        (_c(svc, f"registry.internal/{ns}/{svc}:1.{t}.0", 0.25, 1, 512, 1024),),
                        0, 36, f"{ns}-{svc}", f"{ns}-services"))
        self.namespaces = sorted({w.namespace for w in self.workloads})
        c0 = self.clusters[0]
        c1 = self.clusters[1] if len(self.clusters) > 1 else c0
        a = self.anchor
        self.stories = [
            Story("jenkins-failing-job", c0, "etl-orders-build", a - 6 * HOUR,
                  "Jenkins job etl-orders-build fails every build since ~6 h before the anchor"),
            Story("jenkins-queue-spike", c0, "jenkins", a - 14 * HOUR,
                  "Jenkins build queue climbs to 14 for ~40 min, ~14 h before the anchor"),
            Story("argocd-degraded-app", c0, "trino-gateway", a - 3 * HOUR,
                  "Argo CD app trino-gateway OutOfSync + Degraded, auto-sync retries fail, each sync ~6-8 min"),
            Story("crashloop-pod", c0, "airflow/airflow-worker (replica 0)", a - 4 * HOUR,
                  "airflow-worker pod in CrashLoopBackOff, restarts every 5 min, not ready"),
            Story("oom-killed-executor", c0, "spark-jobs/orders-streaming exec 2", a - 12 * HOUR,
                  "Spark executor memory climbs to its 4 GiB limit and is OOMKilled every 45 min"),
            Story("image-pull-errors", c0, "ml-serving/model-server", a - 2 * HOUR,
                  "rollout of model-server 2.4.0-rc1 stuck: new pod Pending with ErrImagePull/ImagePullBackOff; "
                  "Argo CD app model-server Degraded"),
            Story("evicted-pod", c1, "data-ingest/ingest-worker", a - 5 * HOUR,
                  "one ingest-worker pod Evicted (phase Failed, reason Evicted), replaced by a new pod"),
            Story("slow-start-pod", c0, "trino/trino-coordinator", 0,
                  "trino-coordinator took 7 min from creation to Ready"),
            Story("cpu-throttled", c0, "trino/trino-worker", 0,
                  "trino-worker containers run at their CPU limit: ~25% of CFS periods throttled"),
            Story("pvc-filling", c0, "minio/export-minio-0", a - 3 * DAY,
                  "PVC export-minio-0 fills from 60% toward full (86% at the anchor)"),
            Story("node-packet-drops", c1, f"{c1}-node-03", 0,
                  "node prod-west-node-03 drops ~2% of received packets on eth0"),
            Story("overprovisioned-namespace", c1, "/".join(OVERPROVISIONED), 0,
                  "ml-serving/model-server requests 3 cores / 6 GiB per replica and uses ~5% of the CPU and ~20% "
                  "of the memory request, on every replica and across rollouts (usage keyed on the workload)"),
        ]
        self.story = {s.name: s for s in self.stories}
        self._pod_cache: dict[tuple, list[Pod]] = {}

    # ------------------------------------------------------------------ helpers
    def key(self, *parts) -> int:
        return stable_key(self.seed, *parts)

    def workloads_in(self, cluster: str) -> list[Workload]:
        return [w for w in self.workloads if w.cluster == cluster]

    def rs_hash(self, w: Workload, revision: int) -> str:
        return k8s_suffix(self.key("rs", w.cluster, w.namespace, w.name, revision), 10)

    def revisions(self, w: Workload, t0: float, t1: float) -> list[tuple[int, float, float]]:
        """(revision, start, end) of the workload's revisions overlapping [t0, t1]."""
        if w.name == "model-server" and w.cluster == self.clusters[0]:
            out = [(1, self._old_created(w), self.story["image-pull-errors"].start + 10 * 365 * DAY),
                   (2, self.story["image-pull-errors"].start, INF)]
            return [r for r in out if r[1] <= t1]
        if not w.rollout_hours or w.kind != "Deployment":
            return [(1, self._old_created(w), INF)]
        period = w.rollout_hours * HOUR
        k0 = max(0, math.floor((t0 - self.epoch) / period) - 1)
        k1 = math.floor((t1 - self.epoch) / period) + 1
        out = []
        kw = self.key("rollout", w.cluster, w.namespace, w.name)
        for k in range(k0, k1 + 1):
            s = self.epoch + k * period + u1(kw, k) * 0.4 * period
            e = self.epoch + (k + 1) * period + u1(kw, k + 1) * 0.4 * period
            if e >= t0 and s <= t1:
                out.append((k + 1, s, e))
        return out

    def _old_created(self, w: Workload) -> float:
        return self.anchor - (10 + 40 * u1(self.key("created", w.cluster, w.namespace, w.name))) * DAY

    def generation(self, w: Workload, t: float) -> int:
        revs = self.revisions(w, t, t)
        return revs[-1][0] if revs else 1

    # ------------------------------------------------------------------ pods
    def pods(self, cluster: str, t0: float, t1: float) -> list[Pod]:
        """All pods of ``cluster`` that exist at some time in [t0, t1]."""
        ck = (cluster, math.floor(t0 / 600), math.floor(t1 / 600))
        hit = self._pod_cache.get(ck)
        if hit is not None:
            return hit
        out: list[Pod] = []
        for w in self.workloads_in(cluster):
            out.extend(p for p in self._workload_pods(w, t0, t1) if p.created <= t1 and p.end > t0)
        if len(self._pod_cache) > 64:
            self._pod_cache.clear()
        self._pod_cache[ck] = out
        return out

    def _workload_pods(self, w: Workload, t0: float, t1: float) -> list[Pod]:
        nodes = self.nodes[w.cluster]
        pods: list[Pod] = []
        ci = self.clusters.index(w.cluster)
        revisions = self.revisions(w, t0, t1)
        evicted = self.story["evicted-pod"]
        if w.name == "ingest-worker" and w.cluster == evicted.cluster and t1 >= evicted.start:
            # the evicted pod outlives its revision: include the revision it belongs to
            older = [r for r in self.revisions(w, evicted.start, evicted.start) if r[0] not in {x[0] for x in revisions}]
            revisions = older + revisions
        for rev, rs, re in revisions:
            rs_name = ""
            tag = w.containers[0].image.rsplit(":", 1)[-1]
            if w.kind == "Deployment":
                rs_name = f"{w.name}-{self.rs_hash(w, rev)}"
                if rev > 1 and w.name != "model-server":
                    tag = f"{tag}-r{rev}"
            stuck = w.name == "model-server" and rev == 2
            if stuck:
                tag = "2.4.0-rc1"
            n = 1 if stuck else w.replicas
            for i in range(n):
                pk = self.key("pod", w.cluster, w.namespace, w.name, rev, i)
                if w.kind == "Deployment":
                    name = f"{rs_name}-{k8s_suffix(pk, 5)}"
                elif w.kind == "StatefulSet":
                    name = f"{w.name}-{i}"
                else:  # SparkApplication: executors
                    name = f"{w.name}-{k8s_suffix(self.key('sparkapp', w.cluster, w.name), 16)}-exec-{i + 1}"
                created = rs + i * 20 + u1(pk, 1) * 10
                end = re + i * 20 + 30 if re < INF else INF
                node = nodes[int(u1(pk, 2) * len(nodes))]
                start = created + 1 + u1(pk, 3) * 3
                running = start + 2 + u1(pk, 4) * 15
                ready = running + 5 + u1(pk, 5) * 40
                stories: list[str] = []
                if stuck:
                    running = ready = INF
                    stories.append("image-pull-errors")
                if w.name == "trino-coordinator" and ci == 0:
                    ready = created + 420
                    running = created + 25
                    stories.append("slow-start-pod")
                if w.name == "airflow-worker" and ci == 0 and i == 0:
                    stories.append("crashloop-pod")
                if w.kind == "SparkApplication" and ci == 0 and i == 1:
                    stories.append("oom-killed-executor")
                if w.name == "trino-worker" and ci == 0:
                    stories.append("cpu-throttled")
                if (w.namespace, w.name) == OVERPROVISIONED and w.cluster == self.story["overprovisioned-namespace"].cluster:
                    stories.append("overprovisioned-namespace")
                if w.name == "model-server" and ci == 0 and rev == 1 and i == 0:
                    # holds GPU 0 of the first GPU node (gpu.py's gpu-saturated story): requests nvidia.com/gpu: 1
                    node = nodes[0]
                    stories.append("gpu-saturated")
                pod = Pod(w.cluster, w.namespace, name, self._uid(pk), node,
                          f"10.{64 + ci * 8 + node.index // 32}.{node.index * 8 % 256 + i % 8}.{int(u1(pk, 6) * 250) + 2}",
                          w, rs_name, rev, created, start, running, ready, end, tag, stories=tuple(stories))
                if w.kind == "Deployment":
                    pod.owner_kind, pod.owner_name = "ReplicaSet", rs_name
                elif w.kind == "StatefulSet":
                    pod.owner_kind, pod.owner_name = "StatefulSet", w.name
                else:
                    pod.owner_kind, pod.owner_name = "Pod", f"{w.name}-driver"
                pods.append(pod)
            # eviction story: replica 0 of ingest-worker in the second cluster is evicted, a new one replaces it
            if (w.name == "ingest-worker" and w.cluster == self.story["evicted-pod"].cluster
                    and pods and ci == min(1, len(self.clusters) - 1)):
                ev = self.story["evicted-pod"].start
                victims = [p for p in pods if p.revision == rev and p.created < ev < p.end
                           and p.name.startswith(rs_name or w.name)]
                if victims:
                    v = victims[0]
                    replica_end = v.end
                    v.failed_at = ev
                    v.ready = min(v.ready, INF)
                    # A Failed pod is not deleted when its ReplicaSet scales down in a later rollout: it
                    # stays until garbage-collected, so the story does not vanish with the next rollout.
                    v.end = INF
                    v.stories = v.stories + ("evicted-pod",)
                    pk = self.key("pod-replacement", w.cluster, w.name, rev)
                    pods.append(Pod(w.cluster, w.namespace, f"{rs_name}-{k8s_suffix(pk, 5)}", self._uid(pk),
                                    nodes[(v.node.index + 1) % len(nodes)], f"10.{64 + ci * 8}.200.{int(u1(pk, 6) * 250) + 2}",
                                    w, rs_name, rev, ev + 2, ev + 4, ev + 15, ev + 40, replica_end, v.image_tag,
                                    owner_kind="ReplicaSet", owner_name=rs_name))
        if w.kind == "SparkApplication":
            ci_node = nodes[int(u1(self.key("driver", w.cluster), 0) * len(nodes))]
            pk = self.key("driver", w.cluster, w.name)
            created = self._old_created(w) - 60
            drv = Pod(w.cluster, w.namespace, f"{w.name}-driver", self._uid(pk), ci_node,
                      f"10.{64 + ci * 8}.250.{int(u1(pk, 6) * 250) + 2}", w, "", 1, created, created + 2,
                      created + 10, created + 30, INF, w.containers[0].image.rsplit(":", 1)[-1],
                      owner_kind="SparkApplication", owner_name=w.name)
            pods.insert(0, drv)
        return pods

    def container_specs(self, pod: Pod) -> tuple[ContainerSpec, ...]:
        w = pod.workload
        if w.kind == "SparkApplication" and pod.name.endswith("-driver"):
            c = w.containers[0]
            return (ContainerSpec("spark-kubernetes-driver", c.image, 0.5, 1, mi(2048), mi(2048)),)
        return w.containers

    def _uid(self, key: int) -> str:
        h = f"{key:016x}{self.key('uid', key):016x}"
        return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    # ------------------------------------------------------------------ persistent volume claims
    def pvcs(self, cluster: str) -> list[tuple[Workload, int, str, float]]:
        """(workload, ordinal, claim name, capacity bytes) of every StatefulSet volume claim."""
        out = []
        for w in self.workloads_in(cluster):
            if w.kind == "StatefulSet" and w.pvc_gib:
                vol = "export" if w.name == "minio" else "data"
                for i in range(w.replicas):
                    out.append((w, i, f"{vol}-{w.name}-{i}", gi(w.pvc_gib)))
        return out


@lru_cache(maxsize=8)
def build_world(scale_name: str, seed: int, anchor: float) -> World:
    return World(SCALES[scale_name], seed, anchor)
