"""PVC binding and dynamic provisioning: Immediate, WaitForFirstConsumer, and a claim nobody can satisfy."""

import pytest

from explorer.model.scheduling import parse_failed_scheduling
from explorer.sources.simulated import Engine, get_scenario

from .conftest import events, make_engine


def test_the_three_storage_classes_end_three_ways():
    engine = Engine(get_scenario("pvc-provisioning"), seed=1)
    early = engine.run_until(10)
    state = engine.state()
    # Immediate: provisioned before any pod asks.
    assert state.get("pvc/default/cache").status == "Bound"
    assert events(early, "ProvisioningSucceeded", "pvc/default/cache")
    # WaitForFirstConsumer: pending until its pod is scheduled.
    assert state.get("pvc/default/data-db-0").status == "Pending"
    assert events(early, "WaitForFirstConsumer", "pvc/default/data-db-0")
    later = engine.run_until(120)
    state = engine.state()
    assert state.get("pvc/default/data-db-0").status == "Bound"
    assert state.get("pod/default/db-0").status == "Running"
    volume = state.get("pvc/default/data-db-0").detail["volume"]
    assert volume.startswith("pvc-")
    assert state.get(f"pv/{volume}").detail["claim"] == "default/data-db-0"
    provisioned = events(later, "ProvisioningSucceeded", "pvc/default/data-db-0")[0]
    scheduled = events(later, "Scheduled", "pod/default/db-0")[0]
    assert provisioned.time <= scheduled.time
    # No provisioner and no volume: the pod stays Pending with the scheduler's reason.
    archive = state.get("pod/default/archive-0")
    assert archive.status == "Pending"
    assert "2 node(s) didn't find available persistent volumes to bind" in archive.detail["why"]
    edges = {(e.source, e.target, e.kind.value) for e in state.edges}
    assert ("pod/default/db-0", "pvc/default/data-db-0", "mount") in edges
    assert ("pvc/default/data-db-0", f"pv/{volume}", "bind") in edges
    assert (f"pv/{volume}", "storageclass/standard", "provision") in edges


# A PreFilter rejection in each release's words. Up to v1.33 DefaultPreemption adds its "preemption: ...".
# From v1.34 DynamicResources (on by default) sits before DefaultPreemption; VolumeBinding's PreFilter
# rejected the pod before DynamicResources' PreFilter ran, so its PostFilter fails to read its cycle state
# ("not found": dynamicresources.go, getStateData) and that error ends the PostFilter phase.
UNBOUND_CLAIM_BY_VERSION = {
    "v1.31": (
        "0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
        "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."
    ),
    "v1.34": "0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found",
}


@pytest.mark.parametrize("version", sorted(UNBOUND_CLAIM_BY_VERSION))
def test_a_pod_whose_immediate_claim_is_unbound_waits_with_the_real_reason(version):
    """pkg/controller/volume/persistentvolume/pv_controller.go: syncUnboundClaim provisions a claim
    that names a class; findProvisionablePlugin fails for kubernetes.io/no-provisioner with
    pkg/volume/plugins.go's "no volume plugin matched name" and the claim gets ProvisioningFailed."""
    engine = make_engine(f"""
    kubernetesVersion: {version}
    storageClasses:
      - {{name: slow, provisioner: kubernetes.io/no-provisioner, bindingMode: Immediate}}
    claims:
      - {{namespace: default, name: data, storageClass: slow, size: 1Gi}}
    workloads:
      - {{kind: Pod, namespace: default, name: app, image: "nginx:1.27", claims: [data], at: 1}}
    """)
    changes = engine.run_until(20)
    failed = events(changes, "FailedScheduling", "pod/default/app")[0]
    assert failed.message == UNBOUND_CLAIM_BY_VERSION[version]
    # A real cluster's kube source reads either wording into the one row the panel shows.
    assert parse_failed_scheduling(failed.message)["filters"] == [
        {"verdict": "pod has unbound immediate PersistentVolumeClaims", "count": 4, "nodes": []}
    ]
    failed = events(changes, "ProvisioningFailed", "pvc/default/data")[0]
    assert failed.message == "no volume plugin matched name: kubernetes.io/no-provisioner"
    assert failed.severity == "Warning"
    assert not events(changes, "FailedBinding")


def test_a_claim_binds_to_the_smallest_volume_that_is_big_enough():
    engine = make_engine("""
    storageClasses:
      - {name: local, provisioner: kubernetes.io/no-provisioner, bindingMode: Immediate}
    volumes:
      - {name: pv-big, storageClass: local, size: 10Gi}
      - {name: pv-small, storageClass: local, size: 1Gi}
      - {name: pv-medium, storageClass: local, size: 3Gi}
    claims:
      - {namespace: default, name: data, storageClass: local, size: 2Gi}
    """)
    engine.run_until(5)
    state = engine.state()
    assert state.get("pvc/default/data").detail["volume"] == "pv-medium"
    assert state.get("pv/pv-medium").status == "Bound"
    assert state.get("pv/pv-small").status == "Available"
