"""The slim decoding keeps everything the mapping reads, on every kind of real object in the fixtures."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from explorer.model import ClusterState
from explorer.model.changes import cap_state
from explorer.model.limits import TEXT_LIMIT
from explorer.sources.kube import decode, mapping
from explorer.sources.kube.index import ClusterIndex
from tests.sources.kube.apiserver import FIXTURES

NOW = datetime(2021, 8, 17, 17, 44, 0, tzinfo=UTC)

# Every list fixture, by the collection that serves it.
LISTS = [
    ("nodes", "nodes/nodelist-kind-v1.20-3nodes-worker-notready.json"),
    ("nodes", "nodes/nodelist-k3d-k3s-v1.24-arm64.json"),
    ("node-leases", "leases/leaselist-kube-node-lease-v1.21.json"),
    ("leader-leases", "leases/leaselist-kube-system-leader-election-v1.21.json"),
    ("pods", "pods/podlist-kube-system-kind-v1.21.json"),
    ("pods", "pods/podlist-kube-system-k3s-v1.24.json"),
    ("pvs", "storage/pvlist-k3d-local-path-bound.json"),
    ("pvcs", "storage/pvclist-default-bound-local-path.json"),
    ("storageclasses", "storage/storageclasslist-k3d-local-path-default.json"),
    ("events", "events/eventlist-image-pull-fail-troubleshoot.json"),
]
KIND_AROUND = [
    ("nodes", "nodes/nodelist-kind-v1.20-3nodes-worker-notready.json"),
    ("pods", "pods/podlist-kube-system-kind-v1.21.json"),
]
SINGLE_PODS = sorted(p.name for p in (FIXTURES / "pods").glob("pod-*.json"))


def raw(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


def indexed(items_by_collection: dict[str, list[dict[str, Any]]]) -> ClusterState:
    index = ClusterIndex("fixtures", clock=lambda: NOW)
    for name, items in items_by_collection.items():
        index.replace(name, items)
    index.set_managed(not any(cid.startswith("apiserver/") for cid in index.members))
    return index.state()


def as_full_and_slim(collection: str, objects: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    body = json.dumps({"metadata": {"resourceVersion": "7"}, "items": objects})
    return objects, decode.decode_list(collection, body)["items"]


@pytest.mark.parametrize(("collection", "fixture"), LISTS, ids=[f for _, f in LISTS])
def test_every_fixture_list_maps_the_same_decoded_slim_as_parsed_whole(collection, fixture):
    full = json.loads(raw(fixture))
    page = decode.decode_list(collection, raw(fixture))
    assert page["metadata"].get("resourceVersion") == full["metadata"].get("resourceVersion")
    assert len(page["items"]) == len(full["items"]) > 0
    if collection == "events":
        assert [mapping.map_event(e, "now") for e in page["items"]] == [
            mapping.map_event(e, "now") for e in full["items"]
        ]
        return
    # Leases show only on the kubelets and leaders of the nodes and pods they belong to.
    around = {} if "lease" not in collection else {name: json.loads(raw(f))["items"] for name, f in KIND_AROUND}
    slim_state = indexed({**around, collection: page["items"]})
    assert len(slim_state) > 0
    assert slim_state.components == indexed({**around, collection: full["items"]}).components


@pytest.mark.parametrize("fixture", SINGLE_PODS)
def test_every_fixture_pod_maps_the_same_decoded_slim_as_parsed_whole(fixture):
    full = json.loads(raw(f"pods/{fixture}"))
    slim = decode.decode_object("pods", raw(f"pods/{fixture}"))
    assert mapping.map_pod(slim) == mapping.map_pod(full)
    assert mapping.pull_failing_images(slim) == mapping.pull_failing_images(full)
    assert mapping.control_plane_member(slim) == mapping.control_plane_member(full)
    # What the decoding leaves out is what the mapping never reads: it is much smaller.
    assert len(json.dumps(slim)) < len(json.dumps(full)) / 2


def test_a_whole_cluster_of_fixtures_gives_the_same_picture_decoded_slim():
    lists = {
        collection: json.loads(raw(fixture))["items"]
        for collection, fixture in LISTS
        if collection != "events" and "k3" not in fixture
    }
    slim = {name: decode.decode_list(name, json.dumps({"items": items}))["items"] for name, items in lists.items()}
    full_state, slim_state = indexed(lists), indexed(slim)
    assert len(slim_state) > 20
    assert slim_state.components == full_state.components


def test_missing_optional_fields_decode_and_map_as_before():
    bare_pod = {"metadata": {"name": "bare"}}
    bare_node = {"metadata": {"name": "n1"}}
    bare_event: dict[str, Any] = {}
    for collection, obj in (("pods", bare_pod), ("nodes", bare_node)):
        full, slim = as_full_and_slim(collection, [obj])
        assert indexed({collection: slim}).components == indexed({collection: full}).components
    assert mapping.map_pod(decode.decode_object("pods", b'{"metadata": {"name": "bare"}}')).status == "Unknown"
    assert mapping.map_event(decode.decode_object("events", b"{}"), "t") == mapping.map_event(bare_event, "t")


def test_nulls_the_api_writes_decode_and_map_as_before():
    events = json.loads(raw("events/eventlist-image-pull-fail-troubleshoot.json"))["items"]
    nulled = copy.deepcopy(events[0])
    nulled.update({"eventTime": None, "series": None, "count": None, "related": None, "source": None})
    nulled["metadata"]["annotations"] = None
    full, slim = as_full_and_slim("events", [nulled])
    assert slim[0]["eventTime"] is None
    assert mapping.map_event(slim[0], "t") == mapping.map_event(full[0], "t")

    pod = json.loads(raw("pods/pod-crashloopbackoff.json"))
    pod["metadata"].update({"labels": None, "ownerReferences": None, "deletionTimestamp": None})
    pod["spec"].update({"initContainers": None, "volumes": None, "nodeName": None})
    pod["status"].update({"podIP": None, "message": None, "initContainerStatuses": None})
    pod["status"]["containerStatuses"][0]["state"]["running"] = None
    full, slim = as_full_and_slim("pods", [pod])
    assert mapping.map_pod(slim[0]) == mapping.map_pod(full[0])


def test_unknown_fields_are_skipped_and_change_nothing():
    pod = json.loads(raw("pods/pod-errimagepull.json"))
    pod["futureField"] = {"deep": [1, 2, {"x": None}]}
    pod["status"]["containerStatuses"][0]["state"]["waiting"]["newDetail"] = "x" * 100
    pod["status"]["containerStatuses"][0]["allocatedResources"] = {"cpu": "1"}
    full, slim = as_full_and_slim("pods", [pod])
    assert "futureField" not in slim[0]
    assert "newDetail" not in slim[0]["status"]["containerStatuses"][0]["state"]["waiting"]
    assert mapping.map_pod(slim[0]) == mapping.map_pod(full[0])


def test_a_megabyte_message_is_decoded_whole_and_still_capped_by_the_model():
    pod = json.loads(raw("pods/pod-crashloopbackoff.json"))
    waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
    waiting["message"] = "back-off " * 120_000
    _, slim = as_full_and_slim("pods", [pod])
    component = mapping.map_pod(slim[0])
    assert len(component.detail["why"]) > 1_000_000
    state = cap_state(ClusterState([component]))
    assert len(state.components[component.id].detail["why"]) <= TEXT_LIMIT


def test_a_watch_error_keeps_the_status_the_client_reads_for_410():
    line = raw("watch/watch-error-410-expired.jsonl").decode().strip()
    event = decode.decode_watch_head(line)
    assert event is not None
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"
    assert "too old resource version" in event["object"]["message"]


@pytest.mark.parametrize(("collection", "fixture"), LISTS, ids=[f for _, f in LISTS])
def test_watch_events_of_each_kind_give_their_version_then_their_slim_object(collection, fixture):
    full = json.loads(raw(fixture))["items"][0]
    line = json.dumps({"type": "MODIFIED", "object": full})
    head = decode.decode_watch_head(line)
    assert head == {
        "type": "MODIFIED",
        "object": {"metadata": {"resourceVersion": full["metadata"]["resourceVersion"]}},
    }
    obj = decode.decode_watched(collection, line)
    assert obj == decode.decode_object(collection, json.dumps(full))
    assert "managedFields" not in obj["metadata"]
    if collection == "events":
        assert mapping.map_event(obj, "t") == mapping.map_event(full, "t")
    else:
        around = {} if "lease" not in collection else {name: json.loads(raw(f))["items"] for name, f in KIND_AROUND}
        assert indexed({**around, collection: [obj]}).components == indexed({**around, collection: [full]}).components


def test_a_bookmark_gives_its_version():
    bookmark = decode.decode_watch_head(
        '{"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"12"}}}'
    )
    assert bookmark == {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "12"}}}


def test_lines_that_are_not_events_are_dropped():
    assert decode.decode_watch_head("not json") is None
    assert decode.decode_watch_head('{"type": "ADDED"}') is None
    with pytest.raises(decode.DecodeError, match=r"nodeName"):
        decode.decode_watched("pods", '{"type": "ADDED", "object": {"spec": {"nodeName": 5}}}')


def test_an_object_of_the_wrong_shape_is_a_decode_error_naming_where():
    with pytest.raises(decode.DecodeError, match=r"restartCount"):
        decode.decode_list("pods", b'{"items": [{"status": {"containerStatuses": [{"restartCount": "three"}]}}]}')


def test_a_lone_surrogate_escape_in_a_clusters_text_is_read_and_shown_as_a_replacement_character():
    # JSON allows "\ud800" alone and Go's encoder passes it on; msgspec refuses it outright.
    pod = json.loads(raw("pods/pod-crashloopbackoff.json"))
    pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"] = "before \ud800 after"
    body = json.dumps({"metadata": {"resourceVersion": "1"}, "items": [pod]}).encode()
    assert b"\\ud800" in body
    page = decode.decode_list("pods", body)
    component = cap_state(ClusterState([mapping.map_pod(page["items"][0])])).components[
        mapping.map_pod(page["items"][0]).id
    ]
    assert "before \ufffd after" in json.dumps(component.detail, ensure_ascii=False)
    line = json.dumps({"type": "MODIFIED", "object": pod}).encode()
    assert decode.decode_watch_head(line)["type"] == "MODIFIED"
    assert decode.decode_watched("pods", line)["metadata"]["name"] == pod["metadata"]["name"]
    with pytest.raises(decode.DecodeError):
        decode.decode_list("pods", b'{"items": [{"metadata": {"name": "\\ud800"}}')  # cut short: still refused
