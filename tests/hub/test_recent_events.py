from explorer.hub.recent import RecentEvents, message_bytes


def event(involved: str, n: int) -> dict:
    return {"type": "event", "seq": n, "reason": f"R{n}", "message": "m", "involved": involved, "time": "t"}


def test_a_components_events_come_newest_first_and_only_the_last_few_are_kept():
    recent = RecentEvents(per_component=3)
    for n in range(5):
        recent.add(event("pod/default/a", n))
    assert [e["reason"] for e in recent.of("pod/default/a")] == ["R4", "R3", "R2"]
    assert recent.of("pod/default/b") == []


def test_the_least_recently_mentioned_components_are_forgotten_past_the_limit():
    recent = RecentEvents(components=2)
    recent.add(event("node/a", 1))
    recent.add(event("node/b", 2))
    recent.add(event("node/a", 3))
    recent.add(event("node/c", 4))
    assert recent.involved() == ["node/a", "node/c"]


def test_an_event_without_a_component_is_ignored():
    recent = RecentEvents()
    recent.add({"type": "event", "reason": "x"})
    assert recent.involved() == []


def big(involved: str, n: int, size: int = 10_000) -> dict:
    return {**event(involved, n), "message": "x" * size}


def test_past_the_byte_budget_the_oldest_events_of_all_are_dropped_first():
    recent = RecentEvents(budget=message_bytes(big("pod/default/p0", 10)) * 5)
    for n in range(12):
        recent.add(big(f"pod/default/p{n % 3}", n))
        assert recent.bytes <= recent.budget
    kept = sorted(e["seq"] for cid in recent.involved() for e in recent.of(cid))
    assert kept == [7, 8, 9, 10, 11]
    assert len(recent) == 5


def test_the_byte_count_follows_every_way_an_event_is_forgotten():
    recent = RecentEvents(per_component=2, components=2)
    for n in range(50):
        recent.add(big(f"node/n{n % 3}", n, size=n))
        remembered = [e for cid in recent.involved() for e in recent.of(cid)]
        assert recent.bytes == sum(message_bytes(e) for e in remembered)
        assert len(remembered) <= 4


def test_a_flood_of_megabyte_messages_keeps_the_memory_within_the_budget():
    recent = RecentEvents(budget=4_000_000)
    for n in range(150):
        recent.add(big(f"pod/default/p{n}", n, size=1_000_000))
        assert recent.bytes <= 4_000_000
    assert recent.involved()[-1] == "pod/default/p149"
