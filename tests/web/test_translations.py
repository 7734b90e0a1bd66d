"""Every string of the pages and every word of the diagrams is translated: a Chinese-speaking class never
meets English chrome, in the page or in the drawing."""

import json
import re
import string
from pathlib import Path

import pytest

from explorer.diagrams.legend import build_legend
from explorer.diagrams.paint import Paint, component_lines
from explorer.diagrams.render import plan_view, resolve
from explorer.diagrams.words import DETAIL_PHRASES, TRANSLATIONS, Words
from explorer.model import ClusterState, Component, Health

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries(text: str) -> list[tuple[str, list[str]]]:
    """(msgid, [msgstr, ...]) of every entry, with strings continued over several lines joined."""
    found = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                current = match.group(1)
                fields[current] = json.loads(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += json.loads(line)
        if fields.get("msgid"):
            found.append((fields["msgid"], [v for k, v in fields.items() if k.startswith("msgstr")]))
    return found


def test_every_page_string_has_a_chinese_translation():
    text = CATALOGUE.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    untranslated = [msgid for msgid, strings in entries(text) if not all(strings)]
    assert untranslated == []


def test_the_catalogue_keeps_the_placeholders():
    for msgid, strings in entries(CATALOGUE.read_text(encoding="utf-8")):
        wanted = sorted(re.findall(r"%\(\w+\)s", msgid))
        for translated in strings:
            assert sorted(re.findall(r"%\(\w+\)s", translated)) == wanted, msgid


class Recording(Words):
    """English words that remember every phrase a diagram asked for."""

    def __init__(self):
        super().__init__("en")
        self.asked: set[str] = set()

    def __call__(self, text: str, **values: object) -> str:
        self.asked.add(text)
        return super().__call__(text, **values)


def _clusters() -> list[ClusterState]:
    """A small cluster, a big one (grouped nodes, summarised storage), and one with trouble everywhere."""
    from explorer.sources.simulated import Engine, get_scenario

    engine = Engine(get_scenario("steady-state"), seed=1)
    engine.run_until(60)
    small = engine.state()
    big: list[Component] = [
        Component("node/cp-1", "node", "cp-1", "Ready", Health.OK, detail={"role": "control-plane"}),
        Component("apiserver/cp-1", "apiserver", "cp-1", "Running", Health.OK, parent="node/cp-1"),
        Component("registry/docker.io", "registry", "docker.io", "Reachable", Health.OK),
        Component("storageclass/std", "storageclass", "std", "Available", Health.OK),
    ]
    for n in range(70):
        node = f"node/w{n}"
        big.append(
            Component(node, "node", f"w{n}", "NotReady" if n == 3 else "Ready", Health.ERROR if n == 3 else Health.OK)
        )
        big.append(Component(f"kubelet/w{n}", "kubelet", f"w{n}", "Running", Health.OK, parent=node))
        pod = Component(
            f"pod/default/p{n}", "pod", f"p{n}", "Running", Health.OK, "default", node, {"images": ["nginx"]}
        )
        big.append(pod)
        big.append(Component(f"pv/v{n}", "pv", f"v{n}", "Available", Health.OK, detail={"storageClass": "std"}))
    big.append(Component("pod/default/waiting", "pod", "waiting", "Pending", Health.WARNING, "default"))
    return [small, ClusterState(big, cluster="big", source="test")]


def _views(state: ClusterState) -> list[str]:
    return ["overview", "control-plane", "storage", *(f"nodes/{c.name}" for c in state.of_kind("node"))][:8]


@pytest.fixture(scope="module")
def asked_for() -> set[str]:
    words = Recording()
    for state in _clusters():
        for view in _views(state):
            plan = plan_view(state, view)
            resolve(view)[0].build(plan, Paint(plan, layout=False, words=words))
            # Slots (counts, names of unhealthy things) word themselves when filled.
            paint = Paint(plan, layout=True, words=words)
            resolve(view)[0].build(plan, paint)
            for slot in paint.slots:
                slot(plan)
    build_legend(words)
    return words.asked


def test_every_diagram_label_has_a_chinese_translation(asked_for):
    assert {"Control plane", "Worker nodes", "Storage", "Image registries", "Infrastructure"} <= asked_for
    chinese = TRANSLATIONS["zh-hans"]
    missing = sorted(phrase for phrase in asked_for if phrase not in chinese)
    assert missing == []


def test_the_diagram_word_table_keeps_the_placeholders():
    fields = string.Formatter()
    for english, chinese in TRANSLATIONS["zh-hans"].items():
        wanted = sorted(name for _, name, _, _ in fields.parse(english) if name)
        assert sorted(name for _, name, _, _ in fields.parse(chinese) if name) == wanted, english


def test_a_chinese_diagram_says_its_detail_lines_in_chinese():
    words = Words("zh-hans")
    samples = [
        Component("etcd/a", "etcd", "a", "Leader", Health.OK, detail={"term": 3}),
        Component("etcd/b", "etcd", "b", "Follower", Health.OK),
        Component("scheduler/a", "scheduler", "a", "Leader", Health.OK, detail={"leaseHolder": "a_1"}),
        Component("scheduler/b", "scheduler", "b", "Leader", Health.OK),
        Component("scheduler/c", "scheduler", "c", "Follower", Health.OK),
        Component("pv/a", "pv", "a", "Bound", Health.OK, detail={"capacity": "1Gi", "claim": "shop/x"}),
        Component("pv/b", "pv", "b", "Available", Health.OK, detail={"capacity": "1Gi"}),
        Component("pvc/d/a", "pvc", "a", "Bound", Health.OK, "d", detail={"capacity": "1Gi", "volume": "v"}),
        Component("pvc/d/b", "pvc", "b", "Pending", Health.WARNING, "d", detail={"capacity": "1Gi"}),
        Component("storageclass/s", "storageclass", "s", "Available", Health.OK, detail={"default": True}),
        Component("pod/d/p", "pod", "p", "Running", Health.OK, "d", detail={"images": ["nginx:1.27"]}),
    ]
    english = {"raft", "term", "lease", "held", "holds", "reported", "claim", "unclaimed", "volume", "unbound"}
    english |= {"binding", "default", "image"}
    for c in samples:
        for line in component_lines(c):
            said = words.detail(line)
            leftover = set(re.findall(r"[a-z]+", said)) & english - {"raft"}
            assert not leftover, f"{line!r} became {said!r}"
    assert DETAIL_PHRASES["zh-hans"]
