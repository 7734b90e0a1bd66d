"""Diagrams a room can read: every view in both languages (layouts cached per language), a shape per
kind, and edges that never pass through a box they do not connect, at any size."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from explorer.diagrams import DiagramRenderer
from explorer.diagrams.style import KIND_SHAPE
from explorer.model import ClusterState, Component, Health

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def small() -> ClusterState:
    from explorer.sources.simulated import Engine, get_scenario

    engine = Engine(get_scenario("steady-state"), seed=1)
    engine.run_until(120)
    return engine.state()


def cluster(nodes: int) -> ClusterState:
    """`nodes` workers in three zones and two pools behind three control-plane nodes, with pods and claims."""
    components: list[Component] = []
    for i in range(1, 4):
        cp = f"cp-{i}"
        labels = {"topology.kubernetes.io/zone": f"zone-{'abc'[i - 1]}"}
        components.append(Component(f"node/{cp}", "node", cp, "Ready", Health.OK, detail={"role": "control-plane"}))
        components[-1] = Component(
            f"node/{cp}", "node", cp, "Ready", Health.OK, detail={"role": "control-plane", "labels": labels}
        )
        for kind in ("apiserver", "etcd", "scheduler", "controller-manager", "kubelet", "kube-proxy", "runtime"):
            components.append(Component(f"{kind}/{cp}", kind, cp, "Running", Health.OK, parent=f"node/{cp}"))
    for registry in ("docker.io", "registry.k8s.io"):
        components.append(Component(f"registry/{registry}", "registry", registry, "Reachable", Health.OK))
    components.append(Component("storageclass/standard", "storageclass", "standard", "Available", Health.OK))
    for n in range(nodes):
        name = f"w{n:05d}"
        labels = {"topology.kubernetes.io/zone": f"zone-{'abc'[n % 3]}", "node.kubernetes.io/pool": f"p{n % 2}"}
        components.append(Component(f"node/{name}", "node", name, "Ready", Health.OK, detail={"labels": labels}))
        for kind in ("kubelet", "kube-proxy", "runtime"):
            components.append(Component(f"{kind}/{name}", kind, name, "Running", Health.OK, parent=f"node/{name}"))
        for p in range(3):
            claims = [f"data-{n}"] if p == 0 and n % 10 == 0 else []
            image = "registry.k8s.io/pause:3.10" if p == 1 else "nginx:1.27"
            detail = {"images": [image], "claims": claims}
            pod = f"app-{n:05d}-{p}"
            components.append(
                Component(f"pod/default/{pod}", "pod", pod, "Running", Health.OK, "default", f"node/{name}", detail)
            )
            if claims:
                detail = {"volume": f"pv-{n}", "storageClass": "standard"}
                components.append(
                    Component(f"pvc/default/data-{n}", "pvc", f"data-{n}", "Bound", Health.OK, "default", None, detail)
                )
                detail = {"claim": f"default/data-{n}", "storageClass": "standard"}
                components.append(Component(f"pv/pv-{n}", "pv", f"pv-{n}", "Bound", Health.OK, detail=detail))
    return ClusterState(components, cluster=f"c{nodes}", source="test")


def test_a_view_is_drawn_in_the_pages_language_and_each_language_keeps_its_own_layout(small):
    renderer = DiagramRenderer()
    english = renderer.svg(small, "overview").replace("&#45;", "-")
    chinese = renderer.svg(small, "overview", "zh-hans").replace("&#45;", "-")
    assert renderer.layouts_computed == 2
    assert renderer.svg(small, "overview", "en").replace("&#45;", "-") == english
    assert renderer.svg(small, "overview", "zh-hans").replace("&#45;", "-") == chinese
    assert renderer.layouts_computed == 2, "a language's layout is reused, not the other's"
    for words in ("Control plane", "Worker nodes", "Image registries", "Storage", "Infrastructure"):
        assert words in english
        assert f">{words}<" not in chinese
    for words in ("控制平面", "工作节点", "镜像仓库", "存储", "基础设施", "概览", "容器运行时"):
        assert words in chinese
    # Kubernetes' own words stay as Kubernetes writes them.
    for words in ("kube-apiserver", "kube-scheduler", "etcd", "kubelet", "Running", "Ready", "PVC", "StorageClass"):
        assert words in chinese
    assert 'xml:lang="zh-hans"' in chinese


@pytest.mark.parametrize("view", ["overview", "control-plane", "nodes/worker-1", "storage", "network"])
def test_every_kind_has_a_shape_of_its_own(small, view):
    shapes = {tuple(sorted(looks.items())) for looks in KIND_SHAPE.values()}
    assert len(shapes) == len(KIND_SHAPE), "two kinds share a shape"
    root = ET.fromstring(DiagramRenderer().svg(small, view).encode())
    drawn = set()
    for g in root.iter(f"{SVG}g"):
        classes = (g.get("class") or "").split()
        if "component" in classes and "cluster" not in classes:  # a node is a frame, not a shape
            drawn |= {c[5:] for c in classes if c.startswith("kind-")}
    assert drawn
    assert drawn <= KIND_SHAPE.keys(), f"drawn without a shape of their own: {drawn - KIND_SHAPE.keys()}"


def _points(d: str) -> list[tuple[float, float]]:
    """Points along a Graphviz edge path (M x,y C x1,y1 x2,y2 x3,y3 ...): its cubic Béziers, sampled."""
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
    pts = list(zip(numbers[0::2], numbers[1::2], strict=False))
    out = [pts[0]]
    for i in range(0, len(pts) - 3, 3):
        p0, p1, p2, p3 = pts[i : i + 4]
        for step in range(1, 11):
            t = step / 10
            a, b, c, d_ = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
            out.append(
                (
                    a * p0[0] + b * p1[0] + c * p2[0] + d_ * p3[0],
                    a * p0[1] + b * p1[1] + c * p2[1] + d_ * p3[1],
                )
            )
    return out


def _box(element: ET.Element) -> tuple[float, float, float, float] | None:
    numbers: list[float] = []
    for shape in element:
        if shape.tag in {f"{SVG}polygon", f"{SVG}path"}:
            numbers += [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("points") or shape.get("d") or "")]
        elif shape.tag == f"{SVG}ellipse":
            cx, cy, rx, ry = (float(shape.get(k) or 0) for k in ("cx", "cy", "rx", "ry"))
            numbers += [cx - rx, cy - ry, cx + rx, cy + ry]
    if not numbers:
        return None
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _inside(point: tuple[float, float], box: tuple[float, float, float, float], margin: float = 3) -> bool:
    x, y = point
    return box[0] + margin < x < box[2] - margin and box[1] + margin < y < box[3] - margin


def crossings(svg: str) -> list[str]:
    """Each edge that passes through a box (an element, a node's frame, a layer) holding neither of its ends."""
    root = ET.fromstring(svg.encode())
    boxes: dict[str, tuple[float, float, float, float]] = {}
    edges: list[tuple[str, str, str, str]] = []
    for g in root.iter(f"{SVG}g"):
        classes = (g.get("class") or "").split()
        title = g.find(f"{SVG}title")
        if "edge" in classes:
            path = g.find(f"{SVG}path")
            style = (path.get("stroke-dasharray") or "") if path is not None else ""
            if path is None or "invis" in (g.get("class") or "") or title is None:
                continue
            tail, _, head = (title.text or "").partition("->")
            edges.append((g.get("id") or "", tail, head, path.get("d") or ""))
            del style
        elif ("node" in classes or "cluster" in classes) and g.get("id"):
            box = _box(g)
            if box:
                boxes[g.get("id")] = box
    found = []
    for edge_id, tail, head, d in edges:
        ends = [boxes.get(tail.strip()), boxes.get(head.strip())]
        centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in ends if b]
        for box_id, box in boxes.items():
            if any(_inside(c, box, 0) for c in centres):
                continue  # the box holds one of the edge's ends (or is one)
            if any(_inside(p, box) for p in _points(d)[2:-2]):
                found.append(f"{edge_id} passes through {box_id}")
    return found


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_edge_of_the_default_cluster_passes_through_a_box_it_does_not_connect(small, language):
    renderer = DiagramRenderer()
    for view in ("overview", "control-plane", "nodes/worker-1", "storage", "network"):
        assert crossings(renderer.svg(small, view, language)) == [], view


@pytest.mark.parametrize("nodes", [20, 100, 5000])
def test_no_edge_of_a_bigger_cluster_passes_through_a_box_it_does_not_connect(nodes):
    svg = DiagramRenderer().svg(cluster(nodes), "overview")
    assert crossings(svg) == []
    if nodes > 60:  # grouped: one line per kind of traffic leaves the worker layer, not one per group
        groups_edges = re.findall(r'id="edge:(node-group/[^"]+?)&gt;([^"]+):(\w+)"', svg)
        assert groups_edges
        assert len({source for source, _, _ in groups_edges}) == 1  # all leave from one place
        targets = [(target, kind) for _, target, kind in groups_edges]
        assert len(targets) == len(set(targets))  # and each target gets one line, not one per group
