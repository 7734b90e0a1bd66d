"""What the tours tell a class about who talks to whom agrees with Kubernetes and with the diagrams.

Kubernetes: the apiserver calls the kubelet's server on KubeletPort 10250
(pkg/cluster/ports/ports.go; pkg/kubelet/server/server.go serves containerLogs, exec,
portForward); etcd peers use kubeadm's EtcdListenPeerPort 2380
(cmd/kubeadm/app/constants/constants.go); pods reach the apiserver through the
`kubernetes` Service with projected ServiceAccount tokens
(pkg/controlplane/controller/kubernetesservice; plugin/pkg/admission/serviceaccount);
a pod deleted on an unreachable node keeps its deletionTimestamp, so kubectl prints
Terminating (pkg/printers/internalversion/printers.go, printPod: Unknown only for
status.reason NodeLost, which the taint-based eviction never sets), and the
out-of-service taint lets the pod GC delete it (pkg/controller/podgc/gc_controller.go).
"""

from __future__ import annotations

import pytest

from explorer.model.state import ETCD_PEER_LABEL, KUBELET_API_LABEL
from explorer.tours import LANGUAGES, load_tours

TOURS = load_tours()


def step_text(slug: str, key: str, language: str) -> str:
    step = next(s for s in TOURS[slug].steps if s.key == key)
    return " ".join(step.text(language).values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_apiserver_step_names_its_calls_to_the_kubelets_on_the_port_the_diagram_draws(language):
    text = step_text("control-plane", "apiserver", language)
    port = KUBELET_API_LABEL.split()[1].lstrip(":")
    assert port in text
    assert "webhook" in text
    assert "never to each other" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_etcd_step_names_the_peer_port_the_diagram_draws(language):
    assert ETCD_PEER_LABEL.split(":")[1] in step_text("control-plane", "etcd", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_pod_is_not_said_to_keep_away_from_the_control_plane(language):
    text = step_text("worker-node", "pods", language)
    assert "ServiceAccount" in text
    assert "kubernetes Service" in text
    assert "does not talk to the control plane" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_evicted_pods_on_a_lost_node_show_terminating_and_the_out_of_service_taint_is_named(language):
    text = step_text("node-failure", "eviction", language)
    assert "Terminating" in text
    assert "Unknown" not in text
    assert "node.kubernetes.io/out-of-service" in text
