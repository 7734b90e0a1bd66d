"""The control plane's own health: etcd's raft leader and quorum, and the leader elections of the
scheduler and controller-manager.

Who may do what follows from here: the apiserver serves only while etcd has a
leader (a quorum of members), and the scheduler and controller-manager act
only while one of their instances holds the leader Lease and the apiserver
answers. When that changes, the loops that stalled are told to catch up.

A leader that cannot renew its Lease for the renew deadline gives up, and
the process exits; the kubelet restarts it (they are static pods), and the
new process must win the Lease again, after the old one has expired unless
it was released on a graceful stop
(k8s.io/client-go/tools/leaderelection/leaderelection.go: renewDeadline,
leaseDuration, ReleaseOnCancel).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from explorer.model import Health
from explorer.model.ids import component_id
from explorer.sources.base import CommandError
from explorer.sources.simulated.world import ControlPlaneMember

if TYPE_CHECKING:
    from explorer.sources.simulated.engine import Engine

__all__ = ["ELECTION_TIMEOUT", "LEASE_DURATION", "RENEW_DEADLINE", "ControlPlane"]

# etcd's default --election-timeout is 1000 ms.
ELECTION_TIMEOUT = 1.0
# kube-scheduler and kube-controller-manager: --leader-elect-lease-duration 15 s, retry period 2 s.
# --leader-elect-renew-deadline 10 s: a leader that cannot renew for that long stops leading and exits.
LEASE_DURATION = 15.0
RENEW_DEADLINE = 10.0
RETRY_PERIOD = 2.0
# How long the kubelet takes to notice the exited container and start it again (no back-off the first time).
RESTART_TIME = 1.0
# kubeadm's probes on kube-apiserver's /livez (cmd/kubeadm/app/util/staticpod/utils.go): liveness every
# 10 s, restart after 8 failures; after a restart the startup probe allows 24 failures, 10 s apart.
LIVENESS_WINDOW = 8 * 10.0
STARTUP_WINDOW = 24 * 10.0
# The kubelet's back-off before restarting a container again: 10 s, doubling, at most 300 s.
BACKOFF_START, BACKOFF_CAP = 10.0, 300.0
ELECTED_KINDS = ("scheduler", "controller-manager")
KUBE_NAMES = {"scheduler": "kube-scheduler", "controller-manager": "kube-controller-manager"}


class ControlPlane:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.members: dict[str, ControlPlaneMember] = {}
        self.term = 0
        self.etcd_leader: str | None = None
        self.leaders: dict[str, str | None] = {kind: None for kind in ELECTED_KINDS}
        self._lost_at: dict[str, float] = {kind: -LEASE_DURATION for kind in ELECTED_KINDS}
        self._electing: set[str] = set()
        self._identity: dict[str, str] = {}
        self._restarting: set[str] = set()
        self._api_lost_at = 0.0
        self._outages = 0
        self._etcd_outages = 0
        self._etcd_was_ok = True
        self._apiserver_restarts: dict[str, int] = {}
        self._was: tuple[bool, bool, bool] = (True, True, True)

    # -- who is up ------------------------------------------------------------------

    def of_kind(self, kind: str) -> list[ControlPlaneMember]:
        return [m for m in self.members.values() if m.kind == kind]

    def any_id(self, kind: str) -> str:
        members = sorted(m.id for m in self.of_kind(kind))
        return members[0] if members else f"{kind}/managed"

    def leader_id(self, kind: str) -> str:
        leader = self.leaders.get(kind)
        return f"{kind}/{leader}" if leader else self.any_id(kind)

    def etcd_ok(self) -> bool:
        return not self.of_kind("etcd") or self.etcd_leader is not None

    def api_ok(self) -> bool:
        """Can a client read and write through the apiserver right now? (Kept current by `refresh`.)"""
        return self._was[0]

    def active(self, kind: str) -> bool:
        """Is the scheduler (or controller-manager) leading and able to reach the apiserver?"""
        return self._was[1] if kind == "scheduler" else self._was[2]

    def _api_ok_now(self) -> bool:
        apiservers = self.of_kind("apiserver")
        serving = any(m.up and m.id not in self._restarting for m in apiservers)
        return (not apiservers or serving) and self.etcd_ok()

    def _active_now(self, kind: str) -> bool:
        if not self.of_kind(kind):
            return self._api_ok_now()
        return self.leaders[kind] is not None and self._api_ok_now()

    # -- life cycle -------------------------------------------------------------------

    def start(self) -> None:
        etcd = sorted(m.node for m in self.of_kind("etcd"))
        if etcd:
            self.term, self.etcd_leader = 2, etcd[0]
        for kind in ELECTED_KINDS:
            names = sorted(m.node for m in self.of_kind(kind))
            self.leaders[kind] = names[0] if names else None
        self._was = self._abilities()
        self.refresh()

    def member_arg(self, value: Any) -> ControlPlaneMember:
        if not isinstance(value, str) or value not in self.members:
            known = ", ".join(sorted(self.members)) or "none (the control plane is managed)"
            raise CommandError(f"unknown control-plane component {value!r}; components: {known}")
        return self.members[value]

    def stop(self, member: ControlPlaneMember, graceful: bool = False) -> None:
        """Stop a member: killed, or (`graceful`) asked to stop, when a leader hands over first."""
        if not member.up:
            return
        member.up = False
        self._restarting.discard(member.id)
        if member.kind == "etcd":
            up = [m for m in self.of_kind("etcd") if m.up]
            if graceful and member.node == self.etcd_leader and len(up) >= self._quorum():
                # etcd's graceful Stop: a leader first transfers leadership to a caught-up peer
                # (etcd server/etcdserver/server.go, TransferLeadership), so there is no election gap.
                self.term += 1
                self.etcd_leader = self.engine.rng.choice(sorted(m.node for m in up))
                self.engine.event(
                    component_id("etcd", self.etcd_leader),
                    "LeaderElection",
                    f"etcd member {member.node} transferred leadership to {self.etcd_leader} at term {self.term}",
                )
            elif member.node == self.etcd_leader or len(up) < self._quorum():
                # The leader is gone, or steps down because it can no longer hear a majority (CheckQuorum).
                self.etcd_leader = None
                self.engine.after(ELECTION_TIMEOUT, self.elect_etcd_leader)
        elif member.kind in ELECTED_KINDS and self.leaders[member.kind] == member.node:
            self.leaders[member.kind] = None
            if graceful and self._api_ok_now():
                # ReleaseOnCancel: the Lease is emptied on the way out; a standby takes it at its next retry.
                holder = self._holder(member.kind, member.node)
                self.engine.event(member.id, "LeaderElection", f"{holder} stopped leading")
                self._lost_at[member.kind] = self.engine.clock - LEASE_DURATION
                self._schedule_election(member.kind, RETRY_PERIOD)
            else:
                self._lost_at[member.kind] = self.engine.clock
                self._schedule_election(member.kind, LEASE_DURATION)
        self.refresh()

    def start_member(self, member: ControlPlaneMember) -> None:
        if member.up:
            return
        member.up = True
        if member.kind == "etcd" and self.etcd_leader is None:
            self.engine.after(ELECTION_TIMEOUT, self.elect_etcd_leader)
        elif member.kind in ELECTED_KINDS and self.leaders[member.kind] is None:
            # A new instance must wait until the old holder's Lease has expired.
            wait = self._lost_at[member.kind] + LEASE_DURATION - self.engine.clock
            self._schedule_election(member.kind, max(wait, 0.0))
        self.refresh()

    def _quorum(self) -> int:
        return len(self.of_kind("etcd")) // 2 + 1

    def elect_etcd_leader(self) -> None:
        if self.etcd_leader is not None:
            return
        up = sorted(m.node for m in self.of_kind("etcd") if m.up)
        if len(up) < self._quorum():
            self.refresh()
            return
        # Randomised election timeouts decide who campaigns first; the seeded RNG stands in for them.
        self.term += 1
        self.etcd_leader = self.engine.rng.choice(up)
        self.engine.event(
            component_id("etcd", self.etcd_leader),
            "LeaderElection",
            f"etcd member {self.etcd_leader} elected leader at term {self.term} ({len(up)} of "
            f"{len(self.of_kind('etcd'))} members voting)",
        )
        self.refresh()

    def _holder(self, kind: str, node: str) -> str:
        """The leader's identity as its Lease records it (hostname_uuid); the first leader's is made when asked,
        so a run without elections draws from the seeded RNG exactly as before."""
        if kind not in self._identity:
            self._identity[kind] = f"{node}_{self.engine.uid()}"
        return self._identity[kind]

    def _schedule_election(self, kind: str, delay: float) -> None:
        if kind not in self._electing:
            self._electing.add(kind)
            self.engine.after(delay, self._elect, kind)

    def _elect(self, kind: str) -> None:
        self._electing.discard(kind)
        if self.leaders[kind] is not None:
            return
        candidates = sorted(m.node for m in self.of_kind(kind) if m.up and m.id not in self._restarting)
        if not candidates:
            return
        if not self._api_ok_now():
            # The Lease lives in the apiserver: no apiserver, no election; try again after the retry period.
            self._schedule_election(kind, RETRY_PERIOD)
            return
        wait = self._lost_at[kind] + LEASE_DURATION - self.engine.clock
        if wait > 0:
            # The old holder's Lease has not expired yet.
            self._schedule_election(kind, wait)
            return
        winner = self.engine.rng.choice(candidates)
        self.leaders[kind] = winner
        self._identity[kind] = f"{winner}_{self.engine.uid()}"
        self.engine.event(f"{kind}/{winner}", "LeaderElection", f"{self._identity[kind]} became leader")
        if kind == "controller-manager":
            self.engine.lifecycle.restarted()
        self.refresh()

    def _renew_deadline_passed(self, outage: int) -> None:
        """The apiserver has not answered for the renew deadline: every leader stops leading and exits."""
        if outage != self._outages or self._api_ok_now():
            return
        for kind in ELECTED_KINDS:
            leader = self.leaders[kind]
            if leader is None:
                continue
            member = self.members[component_id(kind, leader)]
            self.leaders[kind] = None
            # The Lease was last renewed when the apiserver went away; it expires LEASE_DURATION after that.
            self._lost_at[kind] = self._api_lost_at
            # Nobody can write this event now; the simulation shows it as what happened.
            self.engine.event(member.id, "LeaderElection", f"{self._holder(kind, leader)} stopped leading", "Warning")
            self._restarting.add(member.id)
            self.engine.after(RESTART_TIME, self._restarted, member.id)
            self._schedule_election(kind, RETRY_PERIOD)
        self.refresh()

    def _restarted(self, member_id: str) -> None:
        """The kubelet has started the exited static pod's container again: a fresh process, a candidate."""
        if member_id not in self._restarting:
            return
        self._restarting.discard(member_id)
        member = self.members[member_id]
        self.engine.event(
            member_id, "Started", f"Started container {KUBE_NAMES[member.kind]} (restarted by the kubelet)"
        )
        self._schedule_election(member.kind, RETRY_PERIOD)
        self.refresh()

    def _livez_failed(self, member_id: str, outage: int) -> None:
        """/livez has failed (its etcd check) for the probe's whole window: the kubelet restarts the apiserver."""
        member = self.members[member_id]
        if outage != self._etcd_outages or self.etcd_ok() or not member.up or member_id in self._restarting:
            return
        restarts = self._apiserver_restarts.get(member_id, 0) + 1
        self._apiserver_restarts[member_id] = restarts
        self.engine.event(
            member_id, "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500", "Warning"
        )
        self.engine.event(member_id, "Killing", "Container kube-apiserver failed liveness probe, will be restarted")
        self._restarting.add(member_id)
        backoff = RESTART_TIME if restarts == 1 else min(BACKOFF_START * 2 ** (restarts - 2), BACKOFF_CAP)
        self.engine.after(backoff, self._apiserver_started, member_id, outage)
        self.refresh()

    def _apiserver_started(self, member_id: str, outage: int) -> None:
        if member_id not in self._restarting:
            return
        self._restarting.discard(member_id)
        self.engine.event(member_id, "Started", "Started container kube-apiserver")
        if outage == self._etcd_outages and not self.etcd_ok():
            self.engine.after(STARTUP_WINDOW, self._livez_failed, member_id, outage)
        self.refresh()

    # -- how each member looks, and who must catch up ----------------------------------

    def _abilities(self) -> tuple[bool, bool, bool]:
        return (self._api_ok_now(), self._active_now("scheduler"), self._active_now("controller-manager"))

    def refresh(self) -> None:
        api_ok = self._api_ok_now()
        etcd = self.of_kind("etcd")
        up_count = sum(1 for m in etcd if m.up)
        for m in self.members.values():
            if not m.up:
                m.status, m.health, m.why = "Down", Health.ERROR, f"{m.kind} is not running on {m.node}"
                m.detail = {"term": self.term} if m.kind == "etcd" else {}
                continue
            if m.kind == "etcd":
                m.detail = {"term": self.term, "leader": self.etcd_leader, "members": len(etcd), "up": up_count}
                if self.etcd_leader is None and up_count >= self._quorum():
                    # Quorum is there; only the leader is missing until the next election timeout.
                    m.status, m.health = "Candidate", Health.ERROR
                    m.why = (
                        f"electing a leader: {up_count} of {len(etcd)} members up, quorum held; "
                        "requests wait for the new leader"
                    )
                elif self.etcd_leader is None:
                    m.status, m.health = "Candidate", Health.ERROR
                    m.why = f"no quorum: {up_count} of {len(etcd)} members up, {self._quorum()} needed; writes fail"
                elif self.etcd_leader == m.node:
                    m.status, m.health, m.why = "Leader", Health.OK, ""
                else:
                    m.status, m.health, m.why = "Follower", Health.OK, ""
            elif m.kind == "apiserver":
                m.detail = {}
                restarts = self._apiserver_restarts.get(m.id, 0)
                times = "1 time" if restarts == 1 else f"{restarts} times"
                restarted = f"; restarted {times} by the kubelet" if restarts else ""
                if m.id in self._restarting:
                    m.status, m.health = "Restarting", Health.ERROR
                    m.why = "failed its liveness probe (/livez: [-]etcd failed); the kubelet restarts it" + restarted
                elif self.etcd_ok():
                    m.status, m.health, m.why = "Running", Health.OK, ""
                else:
                    m.status, m.health = "Unhealthy", Health.ERROR
                    m.why = (
                        "livez and readyz: [-]etcd failed: etcd cluster has no leader, requests time out; "
                        f"the kubelet restarts it after {LIVENESS_WINDOW:g} s of failed liveness probes" + restarted
                    )
            else:
                leader = self.leaders.get(m.kind)
                m.detail = {"leader": leader}
                if m.id in self._restarting:
                    m.status, m.health = "Restarting", Health.WARNING
                    m.why = (
                        f"could not renew the leader Lease within the {RENEW_DEADLINE:g} s renew deadline, "
                        "stopped leading and exited; the kubelet restarts it (a static pod)"
                    )
                elif leader == m.node:
                    m.status = "Leader"
                    m.health, m.why = (
                        (Health.OK, "")
                        if api_ok
                        else (
                            Health.WARNING,
                            f"cannot renew its Lease: no working apiserver; it gives up after {RENEW_DEADLINE:g} s",
                        )
                    )
                elif leader is None:
                    m.status, m.health = "Standby", Health.WARNING
                    m.why = (
                        "no leader yet: waiting for the old leader's Lease to expire"
                        if api_ok
                        else "no leader: the Lease cannot be taken without a working apiserver"
                    )
                else:
                    m.status, m.health, m.why = "Standby", Health.OK, f"{leader} holds the leader Lease"
        etcd_ok = self.etcd_ok()
        if self._etcd_was_ok and not etcd_ok:
            self._etcd_outages += 1
            for m in self.of_kind("apiserver"):
                self.engine.after(LIVENESS_WINDOW, self._livez_failed, m.id, self._etcd_outages)
        self._etcd_was_ok = etcd_ok
        now = self._abilities()
        was, self._was = self._was, now
        if was[0] and not now[0]:
            self._outages += 1
            self._api_lost_at = self.engine.clock
            self.engine.after(RENEW_DEADLINE, self._renew_deadline_passed, self._outages)
        api_back = now[0] and not was[0]
        if api_back or (now[2] and not was[2]):
            # A controller that reconnects relists everything and measures node silence from now.
            self.engine.lifecycle.relist()
            self.engine.workloads.resync_all()
            self.engine.sets.resync_all()
            self.engine.network.resync_all()
            self.engine.storage.resync_all()
        if api_back or (now[1] and not was[1]):
            self.engine.scheduler.retry_all()
