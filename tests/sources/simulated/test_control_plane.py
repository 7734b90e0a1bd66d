"""etcd's raft leader and quorum, leader election, and the outages of the control plane's members."""

import pytest

from explorer.sources.base import CommandError
from explorer.sources.simulated import Engine, get_scenario

from .conftest import events, pods, statuses


def test_losing_one_etcd_member_elects_a_new_leader_and_losing_two_loses_quorum():
    engine = Engine(get_scenario("etcd-quorum-loss"), seed=1)
    engine.run_until(30)
    state = engine.state()
    assert [state.get(f"etcd/cp-{i}").status for i in (1, 2, 3)] == ["Leader", "Follower", "Follower"]
    term = state.get("etcd/cp-1").detail["term"]
    changes = engine.run_until(90)
    state = engine.state()
    leaders = [i for i in (2, 3) if state.get(f"etcd/cp-{i}").status == "Leader"]
    assert len(leaders) == 1
    assert state.get(f"etcd/cp-{leaders[0]}").detail["term"] == term + 1
    assert events(changes, "LeaderElection")
    assert state.get("apiserver/cp-1").health.value == "ok"
    changes = engine.run_until(200)
    state = engine.state()
    assert state.get("apiserver/cp-1").health.value == "error"
    assert state.get("etcd/cp-3").status == "Candidate"
    assert state.get("scheduler/cp-1").health.value == "warning"
    skipped = events(changes, "ScenarioActionSkipped")
    assert skipped
    assert "apiserver is not answering" in skipped[0].message
    assert len(pods(engine, "web-")) == 6
    engine.run_until(400)
    state = engine.state()
    assert state.get("apiserver/cp-1").health.value == "ok"
    assert all(state.get(f"node/worker-{i}").status == "Ready" for i in (1, 2, 3))


def test_with_the_scheduler_down_new_pods_stay_pending_until_it_returns():
    engine = Engine(get_scenario("scheduler-outage"), seed=1)
    changes = engine.run_until(140)
    waiting = [p for p in pods(engine, "web-") if p.status == "Pending"]
    assert len(waiting) == 6
    assert all(p.parent is None for p in waiting)
    assert not events(changes, "FailedScheduling")
    assert engine.state().get("scheduler/cp-1").status == "Down"
    changes = engine.run_until(200)
    assert events(changes, "LeaderElection", "scheduler/cp-1")
    assert all(p.status == "Running" for p in pods(engine, "web-"))


def test_with_the_controller_manager_down_nothing_replaces_the_lost_pods():
    engine = Engine(get_scenario("controller-manager-outage"), seed=1)
    changes = engine.run_until(590)
    assert events(changes, "NodeNotReady", "node/worker-3")
    assert not events(changes, "TaintManagerEviction")
    on_dead = [p for p in pods(engine, "web-") if p.parent == "node/worker-3"]
    assert on_dead
    assert all(p.detail["ready"] == "0/1" for p in on_dead)
    assert len(pods(engine, "web-")) == 6
    changes = engine.run_until(600 + 299)
    assert events(changes, "LeaderElection", "controller-manager/cp-1")
    assert not events(changes, "TaintManagerEviction")
    changes = engine.run_until(1000)
    assert {e.involved for e in events(changes, "TaintManagerEviction")} == {p.id for p in on_dead}
    live = [p for p in pods(engine, "web-") if p.status == "Running"]
    assert len(live) == 6


def test_a_restarted_controller_manager_plans_evictions_from_when_it_sees_the_pods_not_from_the_taint():
    """pkg/controller/tainteviction/taint_eviction.go: handleNodeUpdate passes time.Now() to
    processPodOnNode, which schedules the deletion for then + tolerationSeconds; the deadlines are
    kept only in the process's memory."""
    engine = Engine(get_scenario("controller-manager-outage"), seed=3)
    changes = engine.run_until(700)
    back = events(changes, "LeaderElection", "controller-manager/cp-1")[0]
    assert not events(changes, "TaintManagerEviction")
    changes = engine.run_until(1000)
    evictions = events(changes, "TaintManagerEviction")
    assert evictions
    assert {e.time for e in evictions} == {engine.timestamp(600 + 300)}
    assert back.time == engine.timestamp(600)


def test_with_the_apiserver_down_a_dead_node_turns_not_ready_only_after_the_grace_from_its_return():
    engine = Engine(get_scenario("apiserver-outage"), seed=1)
    changes = engine.run_until(179)
    assert statuses(changes, "node/worker-2") == []
    assert all(p.status == "Running" for p in pods(engine, "web-"))
    grace = engine.lifecycle.grace
    changes = engine.run_until(180 + grace)
    assert statuses(changes, "node/worker-2") == []
    changes = engine.run_until(180 + grace + 10)
    assert statuses(changes, "node/worker-2") == ["NotReady"]
    assert all(engine.state().get(f"node/worker-{i}").status == "Ready" for i in (1, 3))


def test_an_unknown_control_plane_component_is_refused_by_name(engine):
    with pytest.raises(CommandError, match="unknown control-plane component 'etcd/cp-9'"):
        engine.command({"action": "stop", "component": "etcd/cp-9"})


def test_a_standby_scheduler_takes_the_lease_after_the_leader_stops():
    engine = Engine(get_scenario("etcd-quorum-loss"), seed=2)
    engine.run_until(10)
    assert engine.state().get("scheduler/cp-1").status == "Leader"
    engine.command({"action": "stop", "component": "scheduler/cp-1"})
    engine.run_until(10 + 14)
    assert not [i for i in (2, 3) if engine.state().get(f"scheduler/cp-{i}").status == "Leader"]
    changes = engine.run_until(10 + 16)
    new_leader = events(changes, "LeaderElection")[0].involved
    assert new_leader in {"scheduler/cp-2", "scheduler/cp-3"}
    assert engine.state().get(new_leader).status == "Leader"
    assert events(changes, "LeaderElection")[0].message.endswith("became leader")


def test_in_an_apiserver_outage_the_leaders_give_up_after_the_renew_deadline_restart_and_re_elect():
    """k8s.io/client-go/tools/leaderelection/leaderelection.go: a leader that cannot renew within
    renewDeadline (10 s) stops leading (kube-scheduler and kube-controller-manager then exit and the
    kubelet restarts their static pods); a candidate acquires only once the old Lease has expired."""
    engine = Engine(get_scenario("apiserver-outage"), seed=1)
    engine.run_until(60 + 9)
    assert engine.state().get("scheduler/cp-1").status == "Leader"
    changes = engine.run_until(60 + 10)
    for member in ("scheduler/cp-1", "controller-manager/cp-1"):
        assert events(changes, "LeaderElection", member)[0].message.endswith("stopped leading")
        assert statuses(changes, member) == ["Restarting"]
    changes = engine.run_until(179)
    for member in ("scheduler/cp-1", "controller-manager/cp-1"):
        assert events(changes, "Started", member)
        assert engine.state().get(member).status == "Standby"
        assert not events(changes, "LeaderElection", member)
    changes = engine.run_until(180 + 2)
    for member in ("scheduler/cp-1", "controller-manager/cp-1"):
        assert events(changes, "LeaderElection", member)[0].message.endswith("became leader")
        assert engine.state().get(member).status == "Leader"


def test_an_etcd_election_shorter_than_the_renew_deadline_keeps_the_leaders():
    """leaderelection.go: only a renewal failing for the whole renewDeadline ends leadership."""
    engine = Engine(get_scenario("etcd-quorum-loss"), seed=1)
    changes = engine.run_until(90)
    assert events(changes, "LeaderElection")  # etcd's own election
    assert not [e for e in events(changes, "LeaderElection") if e.message.endswith("stopped leading")]
    assert engine.state().get("scheduler/cp-1").status == "Leader"


def test_a_gracefully_stopped_leader_releases_its_lease_and_a_standby_takes_it_at_its_next_retry():
    """leaderelection.go, ReleaseOnCancel: on a graceful stop the holder empties the Lease, so a
    standby need not wait out leaseDuration (15 s) as it must after a crash."""
    engine = Engine(get_scenario("etcd-quorum-loss"), seed=2)
    engine.run_until(10)
    changes = engine.command({"action": "stop", "component": "scheduler/cp-1", "graceful": True})
    assert events(changes, "LeaderElection", "scheduler/cp-1")[0].message.endswith("stopped leading")
    changes = engine.run_until(10 + 2)
    new_leader = events(changes, "LeaderElection")[0].involved
    assert new_leader in {"scheduler/cp-2", "scheduler/cp-3"}
    assert engine.state().get(new_leader).status == "Leader"


def test_an_etcd_election_with_two_of_three_members_up_has_quorum_and_only_lacks_a_leader():
    """etcd's raft (go.etcd.io/raft): a cluster of three keeps quorum with two members; while they elect
    (one election timeout) there is no leader, but there is a quorum to elect one."""
    engine = Engine(get_scenario("etcd-quorum-loss"), seed=1)
    engine.run_until(30)
    leader = next(m for m in ("etcd/cp-1", "etcd/cp-2", "etcd/cp-3") if engine.state().get(m).status == "Leader")
    engine.command({"action": "stop", "component": leader})
    survivors = [m for m in ("etcd/cp-1", "etcd/cp-2", "etcd/cp-3") if m != leader]
    why = engine.state().get(survivors[0]).detail["why"]
    assert "no quorum" not in why
    assert "electing a leader: 2 of 3 members up, quorum held" in why


def test_a_gracefully_stopped_etcd_leader_hands_over_at_once():
    """etcd server/etcdserver/server.go: Stop on a leader transfers leadership to a peer first
    (TransferLeadership), so the apiserver never loses etcd."""
    engine = Engine(get_scenario("etcd-quorum-loss"), seed=1)
    engine.run_until(30)
    assert engine.state().get("etcd/cp-1").status == "Leader"
    changes = engine.command({"action": "stop", "component": "etcd/cp-1", "graceful": True})
    transfer = events(changes, "LeaderElection")[0]
    assert "transferred leadership" in transfer.message
    assert engine.state().get(transfer.involved).status == "Leader"
    assert engine.state().get("apiserver/cp-1").health.value == "ok"


def test_a_long_etcd_loss_fails_the_apiservers_livez_and_the_kubelet_restarts_them():
    """cmd/kubeadm/app/util/staticpod/utils.go: kubeadm's liveness probe on /livez runs every 10 s and
    restarts the container after 8 failures; /livez includes the etcd check, so an apiserver without
    an etcd leader for 80 s is restarted (and the etcd check fails again after its start)."""
    engine = Engine(get_scenario("etcd-quorum-loss"), seed=1)
    changes = engine.run_until(120 + 79)
    assert not events(changes, "Killing")
    assert engine.state().get("apiserver/cp-2").status == "Unhealthy"
    changes = engine.run_until(120 + 80)
    assert {e.involved for e in events(changes, "Killing")} == {f"apiserver/cp-{i}" for i in (1, 2, 3)}
    assert events(changes, "Unhealthy")[0].message == "Liveness probe failed: HTTP probe failed with statuscode: 500"
    assert engine.state().get("apiserver/cp-2").status == "Restarting"
    engine.run_until(120 + 82)
    apiserver = engine.state().get("apiserver/cp-2")
    assert apiserver.status == "Unhealthy"
    assert "restarted 1 time by the kubelet" in apiserver.detail["why"]
    engine.run_until(400)
    assert engine.state().get("apiserver/cp-2").status == "Running"
