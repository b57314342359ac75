"""Selectors and label normalisations that make one query read every common form of an exporter.

One definition each; the catalog modules build their PromQL from these. The forms supported are
listed in README.md ("Exporters and the forms supported"); the corpus of real exporter output
(`../shared/real-exposition/`) is what they are checked against.
"""
from __future__ import annotations

# cAdvisor container series. The kubelet's /metrics/cadvisor labels them container, pod, namespace, image,
# id, name (pod-level cgroups have container=""); its /metrics/resource endpoint (metrics-server's source)
# labels container_cpu_usage_seconds_total and container_memory_working_set_bytes with container, pod and
# namespace only. `image!=""` would drop the latter, so containers are selected by name alone; "POD" is the
# sandbox (pause) container of dockershim-era kubelets.
CONTAINERS = 'container!="", container!="POD"'


def dcgm(metric: str, matchers: str = "$cluster") -> str:
    """A dcgm-exporter gauge with the GPU's host in `hostname`, whatever the release calls it.

    Released dcgm-exporter (up to 4.5.x) labels the host `Hostname`; its main branch renamed it to
    `hostname` (NVIDIA/dcgm-exporter#655). Series of either form get `hostname`; both labels are kept,
    so `by (hostname, ...)` groups the two forms together.
    """
    return f'label_replace({metric}{{{matchers}}}, "hostname", "$1", "Hostname", "(.+)")'


def node_memory_available(matchers: str = "$cluster") -> str:
    """node-exporter's available memory (bytes): MemAvailable, or free + buffers + page cache on kernels
    (and fixtures) without MemAvailable, as node-exporter's own mixin did."""
    return (f'(node_memory_MemAvailable_bytes{{{matchers}}} or (node_memory_MemFree_bytes{{{matchers}}} '
            f'+ node_memory_Buffers_bytes{{{matchers}}} + node_memory_Cached_bytes{{{matchers}}}))')


def endpoints_not_ready(matchers: str = "$cluster, $namespace") -> str:
    """One series (value 1) per not-ready address of a Service, labelled namespace, endpoint, address.

    kube-state-metrics >= 2.18 collects EndpointSlices by default (`kube_endpointslice_endpoints`, one slice
    per Service named `<service>-<5 random characters>`); earlier releases, or `--resources=...,endpoints`,
    give `kube_endpoint_address{endpoint, ip}`. Both are read; an address seen in both counts once.
    """
    slices = (f'label_replace(label_replace(kube_endpointslice_endpoints{{ready="false", {matchers}}}, '
              f'"endpoint", "$1", "endpointslice", "(.+)"), "endpoint", "$1", "endpoint", "(.+)-[a-z0-9]{{5}}")')
    endpoints = (f'label_replace(kube_endpoint_address{{ready="false", {matchers}}}, '
                 f'"address", "$1", "ip", "(.+)")')
    return f'max by (cluster, namespace, endpoint, address) ({endpoints} or {slices})'
