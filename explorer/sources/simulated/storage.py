"""Storage: the PersistentVolume controller (binding claims), dynamic provisioning, and the
scheduler's VolumeBinding checks.

A claim of an `Immediate` class binds (or is provisioned) as soon as it
exists; a claim of a `WaitForFirstConsumer` class waits until the scheduler
picks a node for the first pod that mounts it. A pod whose claim cannot be
satisfied stays Pending with the reason kube-scheduler gives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.sources.simulated.world import SimClaim, SimNode, SimPod, SimVolume

if TYPE_CHECKING:
    from explorer.sources.simulated.engine import Engine

__all__ = ["PROVISION_TIME", "VolumeController"]

# How long an external provisioner takes to create a volume (local-path is quick; clouds take longer).
PROVISION_TIME = 2.5


class VolumeController:
    def __init__(self, engine: Engine):
        self.engine = engine

    def resync_all(self) -> None:
        for key in list(self.engine.claims):
            self.sync_claim(key)

    def sync_claim(self, key: str) -> None:
        engine = self.engine
        claim = engine.claims.get(key)
        if claim is None or claim.volume is not None or claim.provisioning:
            return
        if not engine.control.active("controller-manager"):
            return
        sc = engine.storage_classes.get(claim.storage_class)
        if sc is None:
            claim.reason = f'storageclass.storage.k8s.io "{claim.storage_class}" not found'
            engine.event(claim.key, "ProvisioningFailed", claim.reason, "Warning")
            return
        if sc.binding_mode == "WaitForFirstConsumer":
            claim.reason = "waiting for first consumer to be created before binding"
            engine.event(claim.key, "WaitForFirstConsumer", claim.reason)
            return
        if self._bind_static(claim):
            return
        if sc.dynamic:
            self._provision(claim)
            return
        # A claim that names a class is provisioned; an in-tree provisioner name ("kubernetes.io/...")
        # with no plugin behind it fails to be found (pv_controller.go, findProvisionablePlugin).
        claim.reason = f"no volume plugin matched name: {sc.provisioner}"
        engine.event(claim.key, "ProvisioningFailed", claim.reason, "Warning")

    def _available(self, claim: SimClaim) -> SimVolume | None:
        fitting = [
            v
            for v in self.engine.volumes.values()
            if v.phase == "Available" and v.storage_class == claim.storage_class and v.size_mi >= claim.size_mi
        ]
        return min(fitting, key=lambda v: (v.size_mi, v.name)) if fitting else None

    def _bind_static(self, claim: SimClaim) -> bool:
        """Bind the claim to the smallest Available volume of its class that is big enough."""
        volume = self._available(claim)
        if volume is None:
            return False
        volume.phase, volume.claim = "Bound", f"{claim.namespace}/{claim.name}"
        claim.volume, claim.reason = volume.name, ""
        return True

    def _provision(self, claim: SimClaim) -> None:
        engine = self.engine
        sc = engine.storage_classes[claim.storage_class]
        claim.provisioning = True
        claim.reason = f"waiting for a volume to be created by the external provisioner '{sc.provisioner}'"
        engine.event(
            claim.key,
            "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner '{sc.provisioner}' or "
            "manually by the system administrator. If volume creation is delayed, please verify that the "
            "provisioner is running and correctly registered.",
        )
        engine.event(
            claim.key,
            "Provisioning",
            f'External provisioner is provisioning volume for claim "{claim.namespace}/{claim.name}"',
        )
        engine.after(PROVISION_TIME, self._provisioned, f"{claim.namespace}/{claim.name}")

    def _provisioned(self, key: str) -> None:
        engine = self.engine
        claim = engine.claims.get(key)
        if claim is None:
            return
        if not engine.control.api_ok():
            engine.after(PROVISION_TIME, self._provisioned, key)
            return
        claim.provisioning = False
        name = f"pvc-{claim.uid}"
        volume = SimVolume(name, claim.storage_class, claim.size_mi, claim.size, key, "Bound")
        engine.volumes[name] = volume
        engine.track(volume)
        claim.volume, claim.reason = name, ""
        engine.event(claim.key, "ProvisioningSucceeded", f"Successfully provisioned volume {name}")

    # -- the scheduler's VolumeBinding plugin -------------------------------------------

    def _claims(self, pod: SimPod) -> list[tuple[str, SimClaim | None]]:
        return [(name, self.engine.claims.get(f"{pod.namespace}/{name}")) for name in pod.template.claims]

    def prefilter(self, pod: SimPod) -> str:
        """Why no node can take the pod whatever the node, or '' when the claims allow scheduling."""
        if not pod.template.claims:
            return ""
        for name, claim in self._claims(pod):
            if claim is None:
                return f'persistentvolumeclaim "{name}" not found'
            if claim.volume is None and not claim.provisioning:
                sc = self.engine.storage_classes.get(claim.storage_class)
                if sc is None or sc.binding_mode == "Immediate":
                    return "pod has unbound immediate PersistentVolumeClaims"
        return ""

    def volumes_fit(self, pod: SimPod) -> bool:
        """Can every unbound WaitForFirstConsumer claim be met (a free volume, or a provisioner)?"""
        if not pod.template.claims:
            return True
        for _, claim in self._claims(pod):
            if claim is None or claim.volume is not None or claim.provisioning:
                continue
            sc = self.engine.storage_classes.get(claim.storage_class)
            if sc is not None and not sc.dynamic and self._available(claim) is None:
                return False
        return True

    def prebind(self, pod: SimPod, node: SimNode) -> float:
        """Bind or provision the pod's waiting claims for `node`; how long the binding must wait."""
        if not pod.template.claims:
            return 0.0
        wait = 0.0
        for _, claim in self._claims(pod):
            if claim is None or claim.volume is not None:
                continue
            if claim.provisioning:
                wait = PROVISION_TIME + 0.5
            elif not self._bind_static(claim):
                self._provision(claim)
                wait = PROVISION_TIME + 0.5
        return wait
