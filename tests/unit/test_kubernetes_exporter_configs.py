"""deploy/exporters: the scrape settings the Kubernetes, GPU, ingress, cost and GitOps panels rely on."""
import pathlib

import yaml

EXPORTERS = pathlib.Path(__file__).resolve().parents[2] / "deploy" / "exporters"


def monitors() -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all((EXPORTERS / "kubernetes" / "servicemonitors.yaml").read_text()) if d]
    assert all(d["apiVersion"] == "monitoring.coreos.com/v1" and d["kind"] == "ServiceMonitor" for d in docs)
    return {d["metadata"]["name"]: d["spec"] for d in docs}


def test_exporters_labelling_other_objects_keep_their_labels():
    # their namespace/pod/container/instance labels describe the workload, the GPU holder or the priced node
    specs = monitors()
    for name in ("kube-state-metrics", "kubelet", "dcgm-exporter", "ingress-nginx-controller", "opencost"):
        assert all(e.get("honorLabels") is True for e in specs[name]["endpoints"]), name


def test_node_exporter_instance_is_the_node_name_and_kubelet_serves_cadvisor():
    specs = monitors()
    relabel = specs["node-exporter"]["endpoints"][0]["relabelings"]
    assert {"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "instance"}.items() <= relabel[0].items()
    assert "/metrics/cadvisor" in {e.get("path", "/metrics") for e in specs["kubelet"]["endpoints"]}


def test_argocd_reports_the_conditions_the_level2_page_lists():
    patch = yaml.safe_load((EXPORTERS / "argocd" / "application-controller-patch.yaml").read_text())
    flag = patch[0]["value"]
    assert patch[0]["op"] == "add" and flag.startswith("--metrics-application-conditions=")
    assert "SyncError" in flag.split("=", 1)[1].split(",")   # the demo's degraded application reports it
