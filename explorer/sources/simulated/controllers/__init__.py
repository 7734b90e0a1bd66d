"""kube-controller-manager's loops that the simulation runs: node lifecycle, Deployments and ReplicaSets."""
