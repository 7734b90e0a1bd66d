"""Live delivery: the per-process fan-out and the WebSocket consumers.

One channel-layer subscription per web process feeds every socket in that
process (DESIGN.md: a per-socket group_send costs a layer message per socket).
"""
