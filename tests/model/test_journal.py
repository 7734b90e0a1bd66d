"""The change journal copies of one state share: what two of them can differ in."""

import gc
import weakref

from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.model import ClusterState, Component, Health
from explorer.model.state import JOURNAL_LIMIT

IDS = [f"pod/default/p{i}" for i in range(6)]


def pod(cid: str, status: str) -> Component:
    return Component(cid, "pod", cid.rsplit("/", 1)[1], status, Health.OK, "default")


# ("put", id, status) and ("remove", id) on the state, ("copy",) keeps a copy, ("fork", k, id) changes copy k.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.sampled_from(IDS), st.sampled_from(["Running", "Pending", "Failed"])),
        st.tuples(st.just("remove"), st.sampled_from(IDS)),
        st.tuples(st.just("copy")),
        st.tuples(st.just("fork"), st.integers(0, 20), st.sampled_from(IDS)),
    ),
    max_size=40,
)


@settings(max_examples=300)
@given(operations)
def test_two_states_sharing_a_journal_differ_only_in_ids_it_recorded_between_them(ops):
    writer = ClusterState([pod(IDS[0], "Running")])
    kept = [writer.copy()]
    for op in ops:
        if op[0] == "put":
            writer.put(pod(op[1], op[2]))
        elif op[0] == "remove":
            writer.remove(op[1])
        elif op[0] == "copy":
            kept.append(writer.copy())
        else:
            copy = kept[op[1] % len(kept)]
            copy.put(pod(op[2], "Forked"))
    for a in [*kept, writer]:
        for b in [*kept, writer]:
            if a.journal is not b.journal:
                continue
            touched = a.journal.touched(a.revision, b.revision)
            differing = {cid for cid in a.components.keys() | b.components.keys() if a.get(cid) is not b.get(cid)}
            assert touched is not None
            assert differing <= touched


def test_a_copy_that_changes_leaves_its_origins_journal():
    origin = ClusterState([pod(IDS[0], "Running")])
    copy = origin.copy()
    assert copy.journal is origin.journal
    copy.put(pod(IDS[1], "Running"))
    assert copy.journal is not origin.journal
    origin.put(pod(IDS[2], "Running"))
    assert origin.journal.writer is origin


def test_a_journal_that_no_longer_reaches_back_says_so():
    writer = ClusterState([pod(IDS[0], "Running")])
    early = writer.copy()
    for i in range(JOURNAL_LIMIT + 10):
        writer.put(pod(IDS[i % len(IDS)], f"S{i}"))
    assert writer.journal.touched(early.revision, writer.revision) is None
    recent = writer.copy()
    writer.put(pod(IDS[1], "Last"))
    assert writer.journal.touched(recent.revision, writer.revision) == {IDS[1]}


def test_a_state_is_freed_as_soon_as_nothing_holds_it():
    # No reference cycle through the journal: reference counting alone frees a
    # 150000-component state, without waiting for a full collection.
    gc.disable()
    try:
        state = ClusterState([pod(IDS[0], "Running")])
        state.put(pod(IDS[1], "Running"))
        gone = weakref.ref(state)
        del state
        assert gone() is None
    finally:
        gc.enable()
