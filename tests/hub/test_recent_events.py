from explorer.hub.recent import RecentEvents


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
