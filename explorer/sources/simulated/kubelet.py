"""The kubelet on every node: the Lease heartbeat, and running the pods the apiserver assigns.

A pod goes ContainerCreating while its image is pulled from the registry,
then Running. A missing image gives ErrImagePull and then ImagePullBackOff; a
container that exits, or that fails its liveness probe three times, is
restarted with the kubelet's back-off (immediately the first time, then 10 s
doubling to 5 min), shown as CrashLoopBackOff while it waits. The back-off
starts afresh once a container has run for twice the cap (10 min) before
exiting, and when the kubelet itself restarts (it keeps the back-off in memory).

Kubernetes: pkg/kubelet/kubelet.go (backOffPeriod = 10 s, MaxContainerBackOff =
300 s), pkg/kubelet/kuberuntime/kuberuntime_manager.go (doBackOff: the latest
exit's FinishedAt against the back-off) and
staging/src/k8s.io/client-go/util/flowcontrol/backoff.go (Next, hasExpired:
expired when eventTime - lastUpdate > 2 x maxDuration).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.model.images import registry_of
from explorer.sources.base import CommandError
from explorer.sources.simulated.world import SimNode, SimPod

if TYPE_CHECKING:
    from explorer.sources.simulated.engine import Engine

__all__ = ["BACKOFF_INITIAL", "BACKOFF_MAX", "BACKOFF_RESET_AFTER", "LEASE_RENEW_INTERVAL", "Kubelet", "backoff"]

LEASE_RENEW_INTERVAL = 10.0  # the kubelet renews its Lease every 10 s (a quarter of the 40 s lease)
POD_SYNC_DELAY = 0.3  # the pod reaches the kubelet through its watch
CONTAINER_START = 0.4
BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0
BACKOFF_RESET_AFTER = 2 * BACKOFF_MAX  # flowcontrol's hasExpired: "stable if it's ok for twice the maxDuration"
LIVENESS_PERIOD = 10.0  # periodSeconds
LIVENESS_FAILURE_THRESHOLD = 3  # failureThreshold
STOP_GRACE = 1.5  # the container exits soon after SIGTERM, well within terminationGracePeriodSeconds
API_RETRY = 5.0


def backoff(failures: int) -> float:
    """The wait before the next try after `failures` failures in a row: 0, then 10 s doubling to 5 min."""
    if failures <= 1:
        return 0.0
    return min(BACKOFF_INITIAL * 2 ** (failures - 2), BACKOFF_MAX)


def _image_reference(image: str) -> str:
    """The fully qualified reference containerd reports: docker.io/library/nginx:1.27."""
    name = image if ":" in image.rsplit("/", 1)[-1] or "@" in image else f"{image}:latest"
    registry = registry_of(name)
    if name.startswith(registry + "/"):
        return name
    if "/" not in name:
        name = f"library/{name}"
    return f"{registry}/{name}"


class Kubelet:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- the node's heartbeat --------------------------------------------------------

    def renew_lease(self, node_name: str) -> None:
        self.heartbeat(self.engine.nodes[node_name])
        self.engine.after(LEASE_RENEW_INTERVAL, self.renew_lease, node_name)

    def heartbeat(self, node: SimNode) -> None:
        """Renew the node's Lease; after a silence, post Ready again."""
        engine = self.engine
        if not node.machine_up or not engine.control.api_ok():
            return
        node.lease_renewed = engine.clock
        if node.ready != "True":
            node.ready, node.ready_reason, node.ready_message = (
                "True",
                "KubeletReady",
                "kubelet is posting ready status",
            )
            engine.event(node.id, "NodeReady", f"Node {node.name} status is now: NodeReady")
            engine.lifecycle.node_ready(node)
            engine.node_condition_changed(node)

    # -- the machine, as the teacher breaks it --------------------------------------------

    def machine_down(self, node: SimNode) -> None:
        """The machine stops: its kubelet falls silent and its containers die with it (nobody reports it)."""
        if not node.machine_up:
            return
        node.machine_up = False
        node.images.clear()
        self.engine.scheduler.images_changed(node)
        for pod_id in node.pods:
            self.engine.pods[pod_id].generation += 1
        self.engine.network.proxy_state_changed(node)

    def machine_up(self, node: SimNode) -> None:
        engine = self.engine
        if node.machine_up:
            return
        node.machine_up = True
        engine.event(node.id, "Starting", "Starting kubelet.")
        for pod_id in node.pods:
            # A new kubelet process: its in-memory back-off starts empty.
            engine.pods[pod_id].crashes = 0
            engine.pods[pod_id].backoff_updated = None
        engine.network.proxy_state_changed(node)
        self.heartbeat(node)
        for pod_id in list(node.pods):
            pod = engine.pods[pod_id]
            if pod.deleting:
                # The kubelet is back and can confirm what the control plane deleted meanwhile.
                self.stop_pod(pod)
                continue
            pod.generation += 1
            pod.restarts += 1
            pod.status = "ContainerCreating"
            engine.set_ready(pod, False)
            engine.after(POD_SYNC_DELAY, self.sync_pod, pod.id, pod.generation)

    def set_unschedulable(self, node: SimNode, unschedulable: bool) -> None:
        engine = self.engine
        if not engine.control.api_ok():
            raise CommandError("the apiserver is not answering, so the node cannot be cordoned or uncordoned")
        if node.unschedulable == unschedulable:
            return
        node.unschedulable = unschedulable
        engine.scheduler.nodes_changed()
        word = "NodeNotSchedulable" if unschedulable else "NodeSchedulable"
        engine.event(node.id, word, f"Node {node.name} status is now: {word}")
        if not unschedulable:
            engine.scheduler.capacity_freed()

    # -- running pods --------------------------------------------------------------------

    def _current(self, pod_id: str, generation: int) -> SimPod | None:
        """The pod, if this timer still belongs to its current life on a running machine."""
        pod = self.engine.pods.get(pod_id)
        if pod is None or pod.generation != generation or pod.node is None or pod.deleting:
            return None
        if not self.engine.nodes[pod.node].machine_up:
            return None
        return pod

    def pod_assigned(self, pod: SimPod) -> None:
        self.engine.after(POD_SYNC_DELAY, self.sync_pod, pod.id, pod.generation)

    def sync_pod(self, pod_id: str, generation: int) -> None:
        pod = self._current(pod_id, generation)
        if pod is None:
            return
        if not self.engine.control.api_ok():
            self.engine.after(API_RETRY, self.sync_pod, pod_id, generation)
            return
        pod.status = "ContainerCreating"
        # The sandbox first: the CNI gives it an address before any image is pulled.
        self.engine.assign_ip(pod)
        self._pull(pod)

    def _pull(self, pod: SimPod) -> None:
        engine = self.engine
        node = engine.nodes[pod.node or ""]
        image = pod.template.image
        if image in node.images:
            engine.event(pod.id, "Pulled", f'Container image "{image}" already present on machine')
            engine.after(CONTAINER_START, self._start_container, pod.id, pod.generation)
            return
        engine.event(pod.id, "Pulling", f'Pulling image "{image}"')
        took = round(engine.rng.uniform(1.5, 6.0), 3)
        engine.after(took, self._pulled, pod.id, pod.generation, took)

    def _pulled(self, pod_id: str, generation: int, took: float) -> None:
        pod = self._current(pod_id, generation)
        if pod is None:
            return
        engine = self.engine
        image = pod.template.image
        if image in engine.missing_images:
            pod.pull_failures += 1
            reference = _image_reference(image)
            engine.event(
                pod.id,
                "Failed",
                f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack '
                f'image "{reference}": failed to resolve reference "{reference}": {reference}: not found',
                "Warning",
            )
            engine.event(pod.id, "Failed", "Error: ErrImagePull", "Warning")
            pod.status, pod.reason = "ErrImagePull", f'failed to pull image "{image}": not found'
            engine.after(1.0, self._image_backoff, pod.id, pod.generation)
            return
        pod.pull_failures = 0
        engine.nodes[pod.node or ""].images.add(image)
        engine.scheduler.images_changed(engine.nodes[pod.node or ""])
        engine.event(
            pod.id, "Pulled", f'Successfully pulled image "{image}" in {took:.3f}s ({took:.3f}s including waiting)'
        )
        engine.after(CONTAINER_START, self._start_container, pod.id, pod.generation)

    def _image_backoff(self, pod_id: str, generation: int) -> None:
        pod = self._current(pod_id, generation)
        if pod is None:
            return
        engine = self.engine
        wait = max(backoff(pod.pull_failures + 1), BACKOFF_INITIAL)
        engine.event(pod.id, "BackOff", f'Back-off pulling image "{pod.template.image}"')
        engine.event(pod.id, "Failed", "Error: ImagePullBackOff", "Warning")
        pod.status = "ImagePullBackOff"
        pod.reason = f'Back-off pulling image "{pod.template.image}" (next try in {wait:.0f}s)'
        engine.after(wait, self._retry_pull, pod.id, pod.generation)

    def _retry_pull(self, pod_id: str, generation: int) -> None:
        pod = self._current(pod_id, generation)
        if pod is not None:
            self._pull(pod)

    def _start_container(self, pod_id: str, generation: int) -> None:
        pod = self._current(pod_id, generation)
        if pod is None:
            return
        engine = self.engine
        container = pod.template.container
        engine.event(pod.id, "Created", f"Created container {container}")
        engine.event(pod.id, "Started", f"Started container {container}")
        pod.phase = pod.status = "Running"
        pod.reason = ""
        pod.started_at = engine.clock
        engine.set_ready(pod, True)
        if pod.template.crash_after is not None:
            engine.after(pod.template.crash_after, self._container_exited, pod.id, pod.generation, "Error")
        if pod.template.liveness_fails_after is not None:
            first = pod.template.liveness_fails_after + LIVENESS_PERIOD
            engine.after(first, self._liveness_failed, pod.id, pod.generation, 1)

    def _liveness_failed(self, pod_id: str, generation: int, failures: int) -> None:
        pod = self._current(pod_id, generation)
        if pod is None:
            return
        engine = self.engine
        engine.event(pod.id, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500", "Warning")
        if failures < LIVENESS_FAILURE_THRESHOLD:
            engine.after(LIVENESS_PERIOD, self._liveness_failed, pod_id, generation, failures + 1)
            return
        container = pod.template.container
        engine.event(pod.id, "Killing", f"Container {container} failed liveness probe, will be restarted")
        self._container_exited(pod_id, generation, "Killed")

    def _container_exited(self, pod_id: str, generation: int, why: str) -> None:
        pod = self._current(pod_id, generation)
        if pod is None:
            return
        engine = self.engine
        pod.generation += 1
        if pod.backoff_updated is not None and engine.clock - pod.backoff_updated > BACKOFF_RESET_AFTER:
            pod.crashes = 0  # it ran long enough to count as stable: the back-off starts again
        pod.crashes += 1
        engine.set_ready(pod, False)
        wait = backoff(pod.crashes)
        container = pod.template.container
        if wait == 0:
            pod.status, pod.reason = "Error", f"container {container} exited with code 1"
            if why == "Killed":
                pod.status = "Running"
            engine.after(0.5, self._restart, pod.id, pod.generation)
            return
        pod.status = "CrashLoopBackOff"
        pod.reason = f"back-off {wait:.0f}s restarting failed container={container} pod={pod.name}_{pod.namespace}"
        engine.event(
            pod.id,
            "BackOff",
            f"Back-off restarting failed container {container} in pod {pod.name}_{pod.namespace}({pod.uid})",
            "Warning",
        )
        engine.after(wait, self._restart, pod.id, pod.generation)

    def _restart(self, pod_id: str, generation: int) -> None:
        pod = self._current(pod_id, generation)
        if pod is None:
            return
        pod.restarts += 1
        pod.backoff_updated = self.engine.clock  # flowcontrol's Next: lastUpdate is now
        self.engine.event(pod.id, "Pulled", f'Container image "{pod.template.image}" already present on machine')
        self.engine.after(CONTAINER_START, self._start_container, pod.id, pod.generation)

    # -- deletion ---------------------------------------------------------------------------

    def stop_pod(self, pod: SimPod) -> None:
        """A pod marked for deletion: its kubelet stops it and confirms; an unreachable kubelet cannot."""
        engine = self.engine
        pod.generation += 1
        if pod.node is None:
            engine.remove_pod(pod)
            return
        if not engine.nodes[pod.node].machine_up:
            pod.reason = (
                "the node is unreachable: its kubelet cannot confirm the deletion, so the pod stays Terminating"
            )
            return
        engine.event(pod.id, "Killing", f"Stopping container {pod.template.container}")
        engine.after(STOP_GRACE, self._confirm_deleted, pod.id, pod.generation)

    def _confirm_deleted(self, pod_id: str, generation: int) -> None:
        engine = self.engine
        pod = engine.pods.get(pod_id)
        if pod is None or pod.generation != generation:
            return
        if not engine.control.api_ok():
            engine.after(API_RETRY, self._confirm_deleted, pod_id, generation)
            return
        engine.remove_pod(pod)
