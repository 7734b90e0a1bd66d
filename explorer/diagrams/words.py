"""The diagrams' own words (titles, layers, summaries, edge labels) in each language the site speaks.

Plain Python on purpose: the diagrams know nothing of Django, so the web
layer passes a language in and the renderer keys its cached layouts by it.
Kubernetes kinds, object names and status words (Running, Ready, Bound) stay
as Kubernetes writes them, as Chinese Kubernetes material keeps them.

A phrase is looked up by its English text; `{name}` fields are filled after
the lookup, so a translation may put them in another order.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["DEFAULT_LANGUAGE", "DETAIL_PHRASES", "LANGUAGES", "TRANSLATIONS", "Words", "words_for"]

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "zh-hans")

# English phrase -> translation, per language other than English.
TRANSLATIONS: dict[str, dict[str, str]] = {
    "zh-hans": {
        # View titles.
        "cluster {cluster} ({source}): overview": "集群 {cluster}({source}):概览",
        "cluster {cluster} ({source}): control plane": "集群 {cluster}({source}):控制平面",
        "cluster {cluster} ({source}): node {name}": "集群 {cluster}({source}):节点 {name}",
        "cluster {cluster} ({source}): storage": "集群 {cluster}({source}):存储",
        "cluster {cluster} ({source}): network": "集群 {cluster}({source}):网络",
        # Layers (Graphviz clusters).
        "Control plane": "控制平面",
        "Worker nodes": "工作节点",
        "Storage": "存储",
        "Image registries": "镜像仓库",
        "Infrastructure": "基础设施",
        "managed by the provider": "由云服务商托管",
        "node agents (all nodes)": "节点代理(所有节点)",
        "Volumes mounted": "挂载的卷",
        "Pods that mount a claim": "挂载了申领的 Pod",
        "PersistentVolumeClaims": "PersistentVolumeClaim(持久卷申领)",
        "PersistentVolumes": "PersistentVolume(持久卷)",
        "StorageClasses": "StorageClass(存储类)",
        "Volumes and claims": "卷与申领",
        "Services": "Service(服务)",
        "EndpointSlices": "EndpointSlice(端点切片)",
        "Nodes": "节点",
        # Node frames and machines.
        "worker node {name} · {zone}": "工作节点 {name} · {zone}",
        "control-plane node {name} · {zone}": "控制平面节点 {name} · {zone}",
        "{role} node {name} · {zone}": "{role} 节点 {name} · {zone}",
        "worker node {name} · {zone} · pool {pool}": "工作节点 {name} · {zone} · 节点池 {pool}",
        "control-plane node {name} · {zone} · pool {pool}": "控制平面节点 {name} · {zone} · 节点池 {pool}",
        "{role} node {name} · {zone} · pool {pool}": "{role} 节点 {name} · {zone} · 节点池 {pool}",
        "control-plane node {name}": "控制平面节点 {name}",
        "1 machine": "1 台机器",
        "{count} machines": "{count} 台机器",
        # Generic kinds the diagrams name in words (Kubernetes' own names stay).
        "container runtime": "容器运行时",
        "image registry": "镜像仓库",
        # The legend.
        "node": "节点",
        "many components": "多个组件",
        "machines of a zone": "一个可用区的机器",
        # Summary boxes.
        "pods": "Pod",
        "nodes": "节点",
        "PVs": "PV",
        "PVCs": "PVC",
        "kubelets": "kubelet",
        "kube-proxies": "kube-proxy",
        "{total} {noun}: {counts}": "{noun} 共 {total} 个:{counts}",
        "none": "无",
        "ok": "正常",
        "warning": "警告",
        "error": "错误",
        "unknown": "未知",
        "nothing unhealthy": "全部健康",
        "… and {count} more unhealthy": "… 另有 {count} 个不健康",
        "{size} nodes · {zone} · pool {pool}": "{size} 个节点 · {zone} · 节点池 {pool}",
        "{size} node · {zone} · pool {pool}": "{size} 个节点 · {zone} · 节点池 {pool}",
        "waiting for a node": "等待分配节点",
        "volumes of class {name}": "存储类 {name} 的卷",
        "Services in {namespace}": "命名空间 {namespace} 的 Service",
        "endpoints of {name}": "{name} 的端点",
        "endpoint pods": "端点 Pod",
        # Edge labels.
        "HTTPS watch": "HTTPS watch",
        "HTTPS watch (kubelets, kube-proxies)": "HTTPS watch(kubelet、kube-proxy)",
        "image pull": "拉取镜像",
        "image pull (container runtimes)": "拉取镜像(容器运行时)",
        "mount": "挂载",
        "bind": "绑定",
        "provision": "供应",
        "gRPC": "gRPC",
        "CRI gRPC": "CRI gRPC",
        "HTTPS :10250 logs/exec/port-forward": "HTTPS :10250 日志/exec/端口转发",
        "HTTPS :10250 logs/exec/port-forward (every kubelet)": "HTTPS :10250 日志/exec/端口转发(每个 kubelet)",
        "Raft peers :2380": "Raft 对等复制 :2380",
        "owns": "拥有",
        "routes": "转发到",
        "programs every Service": "为每个 Service 编写规则",
        "stale rules": "规则已过期",
        "kube-proxies program every Service": "kube-proxy 为每个 Service 编写规则",
    }
}

# Detail lines under a status (a raft term, a lease holder, a volume's claim) are worded
# once, in English, from the component's detail: these phrases carry them over.
DETAIL_PHRASES: dict[str, list[tuple[str, str]]] = {
    "zh-hans": [
        (r"^raft term not reported$", "未报告 raft 任期"),
        (r"^raft term ", "raft 任期 "),
        (r"^lease held by ", "租约持有者 "),
        (r"^holds its lease$", "持有租约"),
        (r"^lease holder not reported$", "未报告租约持有者"),
        (r" · claim ", " · 申领 "),
        (r" · unclaimed$", " · 未被申领"),
        (r" · volume ", " · 卷 "),
        (r" · unbound$", " · 未绑定"),
        (r" \(default\)$", "(默认)"),
        (r"^binding ", "绑定模式 "),
        (r"^▸ image ", "▸ 镜像 "),
        (r"^(\d+) ready · (\d+) not ready$", r"\1 个就绪 · \2 个未就绪"),
        (r"^no ports$", "无端口"),
    ]
}


class Words:
    """The diagrams' words in one language: `words("Storage")`, `words("{count} machines", count=3)`."""

    def __init__(self, language: str = DEFAULT_LANGUAGE):
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._table = TRANSLATIONS.get(self.language, {})
        self._phrases = [(re.compile(a), b) for a, b in DETAIL_PHRASES.get(self.language, [])]

    def __call__(self, text: str, **values: object) -> str:
        template = self._table.get(text, text)
        return template.format(**values) if values else template

    def plural(self, one: str, many: str, count: int, **values: object) -> str:
        return self(one if count == 1 else many, count=count, **values)

    def counted(self, noun: str, count: int) -> str:
        """A plural noun of the diagrams' (`nodes`, `kube-proxies`) said of `count` things: one node, 2 nodes."""
        if count == 1 and self.language == "en" and noun not in self._table:
            return noun[:-3] + "y" if noun.endswith("ies") else noun.removesuffix("s")
        return self(noun)

    def detail(self, line: str) -> str:
        """A detail line worded in English from a component's detail, in this language."""
        for pattern, replacement in self._phrases:
            line = pattern.sub(replacement, line)
        return line

    def __repr__(self) -> str:
        return f"Words({self.language!r})"


@cache
def words_for(language: str | None) -> Words:
    return Words((language or DEFAULT_LANGUAGE).lower())
