"""The kube source's own cost: a 5000-node, 150000-pod cluster's lists into a snapshot, and a watch burst.

The objects are the fixtures' real Nodes, Leases, Pods, Services, EndpointSlices, Deployments,
ReplicaSets, DaemonSets and StatefulSets (tests/fixtures/k8s), renamed and spread over the nodes,
served as the apiserver would: JSON pages of 500. Besides the pods: a Deployment (and its
ReplicaSet, which owns the pods) per 50 pods, a Service per 100 pods with one EndpointSlice of
their 100 endpoints, 10 DaemonSets and 100 StatefulSets. Timed, decoding included: each page's
bytes into items, then ClusterIndex.load (what the source does with its first lists) and the
ClusterState. Then 10000 MODIFIED pod watch lines, decoded and fed through the index in the
batches its thread drains; then 1000 MODIFIED EndpointSlices (100 endpoints each, one of them
turned not ready), the same way.

Each decoder runs in a process of its own (twice; the table shows the better times and the
higher peak), so each has its own peak memory:
- json: the standard library, whole objects (what the source did before 0.4.0);
- orjson: whole objects, faster parsing;
- msgspec: explorer.sources.kube.decode, only the fields the mapping reads (what the source does).
Targets: snapshot under 5 s and 1 GB; watch events at 20000 events/s or better.

Run: python benchmarks/kube_mapping.py [json|orjson|msgspec ...]   (prints a table)
"""

from __future__ import annotations

import copy
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from explorer.sources.kube import decode
from explorer.sources.kube.index import ClusterIndex

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "k8s"
NODES, PODS, PAGE, BURST, BATCH = 5000, 150_000, 500, 10_000, 5000
PODS_PER_DEPLOYMENT, PODS_PER_SERVICE, DAEMONSETS, STATEFULSETS, SLICE_BURST = 50, 100, 10, 100, 1000
DECODERS = ("json", "orjson", "msgspec")
RUNS = 2
POD_SHAPES = [
    "pods/pod-crashloopbackoff.json",
    "pods/pod-errimagepull.json",
    "pods/pod-pending-unschedulable-insufficient-resources.json",
    "pods/pod-with-pvc-volume-pending-podinitializing.json",
    "pods/pod-succeeded-helm-install-traefik-k3s.json",
    "pods/pod-native-sidecar-k9s.json",
]


def load(relative: str) -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / relative).read_text())
    return data.get("items", [data])


def pod_templates() -> list[dict[str, Any]]:
    kube_system = [p for p in load("pods/podlist-kube-system-kind-v1.21.json") if "coredns" in p["metadata"]["name"]]
    # Mostly healthy pods, as in a real cluster, with the fixtures' failure shapes mixed in.
    return kube_system * 7 + [load(f)[0] for f in POD_SHAPES]


def nodes() -> Iterator[dict[str, Any]]:
    shapes = load("nodes/nodelist-kind-v1.20-3nodes-worker-notready.json")
    for i in range(NODES):
        node = copy.deepcopy(shapes[i % len(shapes)])
        node["metadata"]["name"] = f"node-{i:05d}"
        yield node


def node_leases() -> Iterator[dict[str, Any]]:
    lease = load("leases/leaselist-kube-node-lease-v1.21.json")[0]
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    for i in range(NODES):
        yield {"metadata": {**lease["metadata"], "name": f"node-{i:05d}"}, "spec": {**lease["spec"], "renewTime": now}}


def pods(templates: list[dict[str, Any]], count: int = PODS, start: int = 0) -> Iterator[dict[str, Any]]:
    """Pod i belongs to Deployment i // 50 (its ReplicaSet owns it) and Service i // 100, in namespace ns-<i // 500>."""
    for i in range(start, start + count):
        t = templates[i % len(templates)]
        owner = {"kind": "ReplicaSet", "name": f"app-{i // PODS_PER_DEPLOYMENT:05d}-7d4b578979"}
        yield {
            **t,
            "metadata": {**t["metadata"], "name": f"app-{i:06d}", "namespace": namespace(i)}
            | {"ownerReferences": [owner]},
            "spec": {**t["spec"], "nodeName": f"node-{i % NODES:05d}"},
        }


def namespace(pod: int) -> str:
    return f"ns-{pod // 500}"


def renamed(obj: dict[str, Any], name: str, ns: str, **meta: Any) -> dict[str, Any]:
    return {**obj, "metadata": {**obj["metadata"], "name": name, "namespace": ns, **meta}}


def deployments() -> Iterator[dict[str, Any]]:
    deployment = load("workloads/deployment-k9s.json")[0]
    for d in range(PODS // PODS_PER_DEPLOYMENT):
        spec = {**deployment["spec"], "replicas": PODS_PER_DEPLOYMENT}
        yield {**renamed(deployment, f"app-{d:05d}", namespace(d * PODS_PER_DEPLOYMENT)), "spec": spec}


def replicasets() -> Iterator[dict[str, Any]]:
    replicaset = load("workloads/replicaset-k9s.json")[0]
    for d in range(PODS // PODS_PER_DEPLOYMENT):
        owner = [{**replicaset["metadata"]["ownerReferences"][0], "name": f"app-{d:05d}"}]
        rs = renamed(replicaset, f"app-{d:05d}-7d4b578979", namespace(d * PODS_PER_DEPLOYMENT), ownerReferences=owner)
        yield {**rs, "spec": {**replicaset["spec"], "replicas": PODS_PER_DEPLOYMENT}}


def services() -> Iterator[dict[str, Any]]:
    service = load("network/service-clusterip-k9s.json")[0]
    for s in range(PODS // PODS_PER_SERVICE):
        yield renamed(service, f"svc-{s:05d}", namespace(s * PODS_PER_SERVICE))


def endpoint_slices(count: int = PODS // PODS_PER_SERVICE, not_ready: bool = False) -> Iterator[dict[str, Any]]:
    """One slice per Service, its 100 pods' endpoints (the kind capture's shape, with nodeName as v1 writes it)."""
    shape = load("network/endpointslicelist-kind-kube-dns.json")[1]
    # discovery.k8s.io/v1 names the node in nodeName; the capture's `topology` is the older field it replaced.
    endpoint = {k: v for k, v in shape["endpoints"][0].items() if k != "topology"}
    for s in range(count):
        first = s * PODS_PER_SERVICE
        endpoints = [
            {
                **endpoint,
                "conditions": {"ready": not (not_ready and i == first)},
                "targetRef": {**endpoint["targetRef"], "name": f"app-{i:06d}", "namespace": namespace(i)},
                "nodeName": f"node-{i % NODES:05d}",
            }
            for i in range(first, first + PODS_PER_SERVICE)
        ]
        labels = {**shape["metadata"]["labels"], "kubernetes.io/service-name": f"svc-{s:05d}"}
        yield {**renamed(shape, f"svc-{s:05d}-abcde", namespace(first), labels=labels), "endpoints": endpoints}


def daemonsets() -> Iterator[dict[str, Any]]:
    daemonset = load("workloads/daemonset-k9s.json")[0]
    status = {**daemonset["status"], "desiredNumberScheduled": NODES, "numberReady": NODES}
    for d in range(DAEMONSETS):
        yield {**renamed(daemonset, f"agent-{d}", "kube-system"), "status": status}


def statefulsets() -> Iterator[dict[str, Any]]:
    statefulset = load("workloads/statefulset-k9s.json")[0]
    for d in range(STATEFULSETS):
        yield renamed(statefulset, f"db-{d:03d}", namespace(d * 1500))


def pages(objects: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """The list's JSON pages, made one at a time (the source, too, holds one page's bytes at a time)."""
    chunk: list[dict[str, Any]] = []
    for obj in objects:
        chunk.append(obj)
        if len(chunk) == PAGE:
            yield orjson.dumps({"metadata": {"resourceVersion": "1", "continue": "more"}, "items": chunk})
            chunk = []
    if chunk:
        yield orjson.dumps({"metadata": {"resourceVersion": "1"}, "items": chunk})


def list_decoder(decoder: str) -> Callable[[str, bytes], dict[str, Any]]:
    if decoder == "json":
        return lambda _name, body: json.loads(body)
    if decoder == "orjson":
        return lambda _name, body: orjson.loads(body)
    return decode.decode_list


def watch_decoder(decoder: str) -> Callable[[bytes], tuple[str, Any]]:
    """What a watch thread makes of a line: (type, what the index's thread maps)."""
    parse: Callable[[bytes], Any] = json.loads if decoder == "json" else orjson.loads

    def whole(line: bytes) -> tuple[str, Any]:
        event = parse(line)
        return event["type"], event["object"]

    def head(line: bytes) -> tuple[str, Any]:
        # The head only (type, resourceVersion); the object is decoded whole where it is mapped.
        event = decode.decode_watch_head(line)
        assert event is not None
        return event["type"], line

    return head if decoder == "msgspec" else whole


def object_decoder(decoder: str, collection: str) -> Callable[[Any], dict[str, Any]]:
    """What the index's thread makes of it: the object to map."""

    def decoded(line: bytes) -> dict[str, Any]:
        return decode.decode_watched(collection, line)

    def parsed(obj: dict[str, Any]) -> dict[str, Any]:
        return obj

    return decoded if decoder == "msgspec" else parsed


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(decoder: str) -> dict[str, Any]:
    """One decoder's figures, in this process."""
    templates = pod_templates()
    decode_page = list_decoder(decoder)
    collections = {
        "nodes": lambda: nodes(),
        "node-leases": lambda: node_leases(),
        "pods": lambda: pods(templates),
        "services": lambda: services(),
        "endpointslices": lambda: endpoint_slices(),
        "deployments": lambda: deployments(),
        "replicasets": lambda: replicasets(),
        "daemonsets": lambda: daemonsets(),
        "statefulsets": lambda: statefulsets(),
    }
    # The lists' pages, written to a file first: read back one at a time, they stand for the
    # network, which hands the source one page's bytes at a time.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    spans: list[tuple[str, int, int]] = []
    for name, objects in collections.items():
        for body in pages(objects()):
            spans.append((name, spool.tell(), len(body)))
            spool.write(body)
    decode_s = decode_cpu = read_s = read_cpu = 0.0

    def decoded_pages() -> Iterator[tuple[str, list[dict[str, Any]]]]:
        # As the source does: each page decoded and mapped as it arrives, then dropped.
        nonlocal decode_s, decode_cpu, read_s, read_cpu
        for name, offset, size in spans:
            start, cpu = time.perf_counter(), time.process_time()
            spool.seek(offset)
            body = spool.read(size)
            read_s += time.perf_counter() - start
            read_cpu += time.process_time() - cpu
            start, cpu = time.perf_counter(), time.process_time()
            items = decode_page(name, body)["items"]
            decode_s += time.perf_counter() - start
            decode_cpu += time.process_time() - cpu
            yield name, items

    index = ClusterIndex("bench")
    start, cpu = time.perf_counter(), time.process_time()
    state = index.load(decoded_pages(), collections)
    # Reading the bytes stands for the network (the client's socket reads, in the list threads).
    total_s, total_cpu = time.perf_counter() - start - read_s, time.process_time() - cpu - read_cpu
    spool.close()
    components = len(state)
    peak = rss_mb()

    shapes = [load(f)[0]["status"] for f in POD_SHAPES]
    lines = [
        orjson.dumps({"type": "MODIFIED", "object": {**pod, "status": shapes[i % len(shapes)]}})
        for i, pod in enumerate(pods(templates, BURST))
    ]
    burst_s, burst_cpu, changed = burst(index, decoder, "pods", lines)
    slice_lines = [
        orjson.dumps({"type": "MODIFIED", "object": obj}) for obj in endpoint_slices(SLICE_BURST, not_ready=True)
    ]
    slices_s, slices_cpu, slices_changed = burst(index, decoder, "endpointslices", slice_lines)
    return {
        "components": components,
        "decode_s": decode_s,
        "decode_cpu": decode_cpu,
        "total_s": total_s,
        "read_s": read_s,
        "total_cpu": total_cpu,
        "peak_mb": peak,
        "changed": changed,
        "burst_s": burst_s,
        "burst_cpu": burst_cpu,
        "slices_changed": slices_changed,
        "slices_s": slices_s,
        "slices_cpu": slices_cpu,
    }


def burst(index: ClusterIndex, decoder: str, collection: str, lines: list[bytes]) -> tuple[float, float, int]:
    """(wall s, CPU s, changes) of a burst of watch lines, read and mapped as the source does."""
    watch_line, whole = watch_decoder(decoder), object_decoder(decoder, collection)
    start, cpu = time.perf_counter(), time.process_time()
    changed = 0
    for offset in range(0, len(lines), BATCH):
        # As the source does: read in the watch threads, with the collector running, then
        # mapped in the index's thread, in the batches it drains.
        heads = [watch_line(line) for line in lines[offset : offset + BATCH]]
        changed += len(index.apply_many((collection, kind, whole(obj)) for kind, obj in heads))
    return time.perf_counter() - start, time.process_time() - cpu, changed


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2])))
        return
    decoders = sys.argv[1:] or list(DECODERS)
    unknown = [d for d in decoders if d not in DECODERS]
    if unknown:
        sys.exit(f"unknown decoder {unknown[0]!r}: choose from {', '.join(DECODERS)}")
    results: dict[str, dict[str, Any]] = {}
    for decoder in decoders:
        for _ in range(RUNS):  # the best of each figure: the machine may be busy with something else
            child = subprocess.run(
                [sys.executable, __file__, "--child", decoder], capture_output=True, text=True, check=False
            )
            if child.returncode:
                sys.exit(f"the {decoder} run failed:\n{child.stderr}")
            run = json.loads(child.stdout)
            best = results.setdefault(decoder, run)
            for key, value in run.items():
                if key.endswith(("_s", "_cpu")):
                    best[key] = min(best[key], value)
                elif key == "peak_mb":
                    best[key] = max(best[key], value)

    def row(label: str, cell: Callable[[dict[str, Any]], str], target: str = "") -> list[str]:
        return [label, *(cell(results[d]) for d in decoders), target]

    rows = [
        ["measure", *decoders, "target"],
        row("cluster", lambda r: f"{NODES} nodes, {PODS} pods"),
        row(
            "and",
            lambda r: f"{PODS // PODS_PER_DEPLOYMENT} Deployments+RS, {PODS // PODS_PER_SERVICE} Services+slices",
        ),
        row("components in the snapshot", lambda r: str(r["components"])),
        row("reading the pages' bytes (not counted), wall", lambda r: f"{r['read_s']:.2f} s"),
        row("decoding the lists, wall", lambda r: f"{r['decode_s']:.2f} s"),
        row("mapping them (index), wall", lambda r: f"{r['total_s'] - r['decode_s']:.2f} s"),
        row("lists -> snapshot, wall", lambda r: f"{r['total_s']:.2f} s", "< 5 s"),
        row("lists -> snapshot, CPU", lambda r: f"{r['total_cpu']:.2f} s"),
        row("peak memory (RSS)", lambda r: f"{r['peak_mb']:.0f} MB", "< 1024 MB"),
        row("watch burst", lambda r: f"{BURST} events, {r['changed']} changes"),
        row(
            "watch lines decoded + indexed, wall", lambda r: f"{BURST / r['burst_s']:.0f} events/s", ">= 20000 events/s"
        ),
        row("watch lines decoded + indexed, CPU", lambda r: f"{BURST / r['burst_cpu']:.0f} events/s"),
        row("EndpointSlice burst", lambda r: f"{SLICE_BURST} slices of 100, {r['slices_changed']} changes"),
        row("slice lines decoded + indexed, wall", lambda r: f"{SLICE_BURST / r['slices_s']:.0f} events/s"),
        row("slice lines decoded + indexed, CPU", lambda r: f"{SLICE_BURST / r['slices_cpu']:.0f} events/s"),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
