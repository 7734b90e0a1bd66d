"""ClusterIndex: while a managed apiserver's own health checks fail, what its watches said is marked possibly stale.

An apiserver shutting down stops taking connections but keeps its open watches
for up to a minute while it drains; they carry nothing, so the nodes and pods
would go on showing ok while the apiserver itself is already unknown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from explorer.model import Health
from explorer.sources.kube.index import ClusterIndex
from tests.sources.kube.apiserver import load

HEALTH = Path(__file__).resolve().parents[1].parent / "fixtures" / "k8s" / "health"
LIVEZ = (HEALTH / "livez-verbose-k8s-docs-v1.16-era.txt").read_text()
READYZ = (HEALTH / "readyz-verbose-exclude-etcd-k8s-docs-v1.16-era.txt").read_text()
NOW = datetime(2026, 3, 1, 10, 0, 0, tzinfo=UTC)


def managed_cluster() -> ClusterIndex:
    """A k3s cluster (no static control-plane pods), its checks passing."""
    index = ClusterIndex(clock=lambda: NOW)
    index.replace("nodes", load("nodes/nodelist-k3d-k3s-v1.24-arm64.json"))
    index.replace("pods", load("pods/podlist-kube-system-k3s-v1.24.json") + load("pods/pod-crashloopbackoff.json"))
    index.set_managed(True)
    index.set_health_checks(LIVEZ, READYZ, True, "")
    return index


def test_while_the_checks_pass_nothing_is_doubted():
    index = managed_cluster()
    assert index.components["apiserver/managed"].health is Health.OK
    assert not any("stale_since" in c.detail for c in index.components.values())


def test_a_health_read_that_fails_marks_what_the_watches_said_possibly_stale_and_since_when():
    index = managed_cluster()
    ok_before = {cid for cid, c in index.components.items() if c.health is Health.OK and cid != "apiserver/managed"}
    failing_before = {cid: c for cid, c in index.components.items() if c.health is Health.ERROR}
    assert ok_before
    assert failing_before

    changes = index.set_health_checks(None, None, None, "the apiserver at https://x:6443 refused the connection")

    assert {c.component.id for c in changes} >= ok_before
    managed = index.components["apiserver/managed"]
    assert managed.health is Health.UNKNOWN
    assert "stale_since" not in managed.detail  # it is read directly, not through a watch
    for cid in ok_before:
        c = index.components[cid]
        assert c.health is Health.UNKNOWN, cid
        assert c.detail["stale_since"] == "2026-03-01T10:00:00Z"
        assert c.detail["why"].startswith("possibly stale: the apiserver's health checks have failed since")
        assert "refused the connection" in c.detail["why"]
    node = next(c for c in index.components.values() if c.kind == "node")
    assert node.status == "Ready"  # the last word of the watches, not a new verdict
    for cid, before in failing_before.items():
        # What was already failing stays so, with its own reason, and says it may be stale too.
        after = index.components[cid]
        assert (after.health, after.detail.get("why")) == (before.health, before.detail.get("why"))
        assert after.detail["stale_since"] == "2026-03-01T10:00:00Z"


def test_a_failing_readyz_or_livez_is_a_failed_check_too_and_a_pass_clears_the_doubt():
    index = managed_cluster()
    index.set_health_checks(
        LIVEZ, READYZ.replace("[+]shutdown ok", "[-]shutdown failed"), False, "/readyz answered 500"
    )
    assert index.components["apiserver/managed"].status == "NotReady"
    assert all(c.detail.get("stale_since") for cid, c in index.components.items() if cid != "apiserver/managed")
    # A second failing read does not re-mark the cluster: only the apiserver is looked at again.
    assert {c.component.id for c in index.set_health_checks(LIVEZ, READYZ, False, "/readyz answered 500")} <= {
        "apiserver/managed"
    }

    changes = index.set_health_checks(LIVEZ, READYZ, True, "")
    assert changes
    assert not any("stale_since" in c.detail for c in index.components.values())
    assert index.components["apiserver/managed"].health is Health.OK

    index.set_health_checks(LIVEZ, READYZ, True, "/livez answered 500")
    assert index.components["apiserver/managed"].status == "Unhealthy"
    assert any(c.detail.get("stale_since") for c in index.components.values())


def test_an_unreachable_apiserver_says_so_rather_than_possibly_stale():
    index = managed_cluster()
    index.set_health_checks(None, None, None, "refused")
    index.set_unreachable("the watch of nodes failed")
    node = next(c for c in index.components.values() if c.kind == "node")
    assert (node.health, node.detail["why"]) == (Health.UNKNOWN, "the watch of nodes failed")
