"""How much of a source's text the model keeps, and in what form: the caps every source passes through.

A cluster, a recording or a visitor's command decides the text of names,
statuses, images, reasons and messages. Whatever it sends, a Component or an
Event keeps at most `TEXT_LIMIT` characters of any one string (longer ones
end in an ellipsis), at most `DETAIL_LIMIT` characters in a component's detail
as a whole, and no character that cannot be stored or shown: a lone surrogate
(not UTF-8) or a control character other than tab and line breaks (not XML)
becomes U+FFFD. So a panel, the problems list and the event timeline show at
most 4 KB of any one text, and a hostile cluster cannot grow the process with
megabyte messages.

Every source passes through them: an Event is capped where it is built, and
the hub caps each component it takes in (`cap_component`, on the first state
and on every change) before it stores, publishes or remembers anything. Text
already within the caps comes back as the same object, so the common case
costs a length check and one `str.isprintable` per string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from explorer.model.component import Component

__all__ = [
    "DETAIL_DEPTH",
    "DETAIL_ITEMS",
    "DETAIL_LIMIT",
    "ELLIPSIS",
    "TEXT_LIMIT",
    "cap_component",
    "cap_detail",
    "cap_text",
]

# The most characters of any one string a component or an event keeps (4 KB of ASCII).
TEXT_LIMIT = 4096
# The most characters of text (keys and values) a component's detail keeps in all.
DETAIL_LIMIT = 65536
# The most entries of any one list or object in a detail, and how deep they may nest.
DETAIL_ITEMS = 512
DETAIL_DEPTH = 8

ELLIPSIS = "…"
REPLACEMENT = "\ufffd"

# Not storable as UTF-8 (lone surrogates) or not allowed in XML 1.0 (C0 controls but tab, LF, CR; U+FFFE, U+FFFF).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def cap_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` fit to keep: at most `limit` characters (ending in an ellipsis when cut), no unsafe characters.

    Idempotent, and returns `text` itself when it is already fit.
    """
    if len(text) > limit:
        text = text[: limit - 1] + ELLIPSIS
    elif text.isprintable():
        return text
    return _UNSAFE.sub(REPLACEMENT, text)


def cap_component(component: Component) -> Component:
    """`component` with every text within the caps: the component itself when it already is."""
    c = component
    texts = (c.id, c.kind, c.name, c.status, c.namespace or "", c.parent or "")
    detail = cap_detail(c.detail) if isinstance(c.detail, dict) else {}
    if detail is c.detail and max(map(len, texts)) <= TEXT_LIMIT and "".join(texts).isprintable():
        return c
    return c.with_(
        id=cap_text(c.id),
        kind=cap_text(c.kind),
        name=cap_text(c.name),
        status=cap_text(c.status),
        namespace=None if c.namespace is None else cap_text(c.namespace),
        parent=None if c.parent is None else cap_text(c.parent),
        detail=detail,
    )


def _text_of(value: Any) -> str | None:
    """A non-string scalar that must stay what it is answers None; anything else is shown as its text."""
    if value is None or isinstance(value, bool | int | float):
        return None
    return str(value)


def cap_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """A detail object within the caps: `detail` itself when it already is (the common case, and cheap)."""
    if _fits(detail, 0) >= 0:
        return detail
    budget = [DETAIL_LIMIT]
    return _capped_dict(detail, 0, budget)


def _fits(value: dict[Any, Any] | list[Any], depth: int) -> int:
    """The characters of text in a dict or list already within every cap, or -1 when it is not.

    The hot path of every component built: plain loops, one C call per string.
    """
    if depth >= DETAIL_DEPTH or len(value) > DETAIL_ITEMS:
        return -1
    total = 0
    items: Iterable[Any]
    if type(value) is dict:
        for key in value:
            if type(key) is not str or len(key) > TEXT_LIMIT or not (key.isprintable() or not _UNSAFE.search(key)):
                return -1
            total += len(key)
        items = value.values()
    else:
        items = value
    for item in items:
        kind = type(item)
        if kind is str:
            size = len(item)
            if size > TEXT_LIMIT or not (item.isprintable() or not _UNSAFE.search(item)):
                return -1
            total += size
        elif kind is dict or kind is list:
            size = _fits(item, depth + 1)
            if size < 0:
                return -1
            total += size
        elif not (item is None or kind is bool or kind is int or kind is float):
            return -1
    return total if total <= DETAIL_LIMIT else -1


def _capped(value: Any, depth: int, budget: list[int]) -> Any:
    if isinstance(value, dict):
        return _capped_dict(value, depth, budget) if depth < DETAIL_DEPTH else ELLIPSIS
    if isinstance(value, list | tuple):
        if depth >= DETAIL_DEPTH:
            return ELLIPSIS
        kept = len(value) if len(value) <= DETAIL_ITEMS else DETAIL_ITEMS - 1
        items = [_capped(item, depth + 1, budget) for item in list(value)[:kept]]
        if kept < len(value):
            items.append(_budgeted(f"{ELLIPSIS} and {len(value) - kept} more", budget))
        return items
    text = _text_of(value)
    if text is None:
        return value
    return _budgeted(text, budget)


def _budgeted(text: str, budget: list[int]) -> str:
    """`text` capped to what is left of the detail's budget (nothing once it is spent)."""
    if budget[0] <= 0:
        return ""
    text = cap_text(text, min(TEXT_LIMIT, budget[0]))
    budget[0] -= len(text)
    return text


def _capped_dict(value: dict[Any, Any], depth: int, budget: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kept = len(value) if len(value) <= DETAIL_ITEMS else DETAIL_ITEMS - 1
    for index, (key, item) in enumerate(value.items()):
        if index == kept:
            out[_budgeted(ELLIPSIS, budget)] = _budgeted(f"and {len(value) - kept} more", budget)
            break
        out[_budgeted(str(key), budget)] = _capped(item, depth + 1, budget)
    return out
