"""The snapshot as messages a WebSocket server will carry: chunks of at most CHUNK_BYTES each.

Servers refuse big frames (daphne's limit is 1 MiB), and a 150000-pod snapshot
is tens of MB. So every snapshot is sent as `chunks` messages of type
`snapshot`, numbered by `chunk` from 1, all with the snapshot's `seq`; a small
cluster's is one message (`"chunk": 1, "chunks": 1`). One code path for both.
JSON is written ASCII-only, so a character is a byte and the budget holds.
"""

from __future__ import annotations

import json
from typing import Any

from explorer.model import ClusterState

__all__ = ["CHUNK_BYTES", "snapshot_chunks"]

# Half the server's frame limit: room for the envelope and for a frame of several messages.
CHUNK_BYTES = 512 * 1024


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def snapshot_chunks(state: ClusterState, seq: int, budget: int = CHUNK_BYTES) -> list[str]:
    """The snapshot message(s) of `state` at `seq`, as JSON texts, each at most about `budget` characters.

    Each chunk carries its components' `health_since` entries; the edges follow the components.
    """
    whole = state.to_dict()
    since: dict[str, str] = whole.pop("health_since")
    items: list[tuple[str, str, str]] = [("components", c["id"], _dumps(c)) for c in whole.pop("components")]
    items += [("edges", "", _dumps(e)) for e in whole.pop("edges")]
    groups: list[dict[str, Any]] = [{"components": [], "edges": [], "since": {}}]
    size = 0
    for key, cid, text in items:
        extra = len(text) + 1 + (len(cid) + 40 if cid in since else 0)
        if size and size + extra > budget:
            groups.append({"components": [], "edges": [], "since": {}})
            size = 0
        groups[-1][key].append(text)
        if cid in since:
            groups[-1]["since"][cid] = since[cid]
        size += extra
    texts = []
    for number, group in enumerate(groups, start=1):
        envelope = _dumps({"type": "snapshot", "seq": seq, "chunk": number, "chunks": len(groups), **whole})
        texts.append(
            f'{envelope[:-1]},"components":[{",".join(group["components"])}],'
            f'"edges":[{",".join(group["edges"])}],"health_since":{_dumps(group["since"])}}}'
        )
    return texts
