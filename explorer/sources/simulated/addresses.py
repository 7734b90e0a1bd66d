"""Node pod CIDRs and pod IPs, as a kubeadm cluster with a bridge CNI hands them out.

kube-controller-manager's node IPAM (pkg/controller/nodeipam, the range allocator) gives each node,
in the order it registers, the next /24 of the cluster CIDR (`--node-cidr-mask-size` 24):
10.244.0.0/16, the cluster CIDR kubeadm's flannel guide uses, holds 256 nodes; a bigger cluster is
given 10.0.0.0/8, as an operator would set `--cluster-cidr` for it. On the node the CNI's host-local
IPAM hands out .2 to .254 of that /24 (.1 is the bridge's gateway) round-robin: the address after the
last one it gave, skipping those in use, so an address just freed is not given again at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["HostLocal", "node_pod_cidr"]

FIRST_HOST, LAST_HOST = 2, 254
SMALL_CLUSTER = 256  # /24s in 10.244.0.0/16


def node_pod_cidr(index: int, nodes: int) -> str:
    """The /24 the range allocator gives the `index`-th node (0-based) of a cluster of `nodes`."""
    if nodes <= SMALL_CLUSTER:
        return f"10.244.{index}.0/24"
    return f"10.{index >> 8}.{index & 255}.0/24"


@dataclass
class HostLocal:
    """One node's host-local IPAM over its /24."""

    cidr: str
    last: int = FIRST_HOST - 1
    used: set[int] = field(default_factory=set)

    def take(self) -> str:
        """The next free address after the last one given; "" when all 253 are in use."""
        span = LAST_HOST - FIRST_HOST + 1
        for step in range(1, span + 1):
            host = FIRST_HOST + (self.last - FIRST_HOST + step) % span
            if host not in self.used:
                self.used.add(host)
                self.last = host
                return f"{self._prefix}{host}"
        return ""

    def free(self, ip: str) -> None:
        if ip.startswith(self._prefix):
            self.used.discard(int(ip.rsplit(".", 1)[1]))

    @property
    def _prefix(self) -> str:
        return self.cidr.rsplit(".", 1)[0] + "."
