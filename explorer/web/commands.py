"""Reading a command from a request: a script's JSON body or the page's form post.

JSON bodies say what they mean in JSON types, and are passed on as they are:
a whole number must be a JSON integer (`"12"`, `12.0` and `true` are refused
by the source's own checks). The page's htmx form posts can only send text, so
here, and only for form posts, the number fields become numbers when they are
written in plain decimal digits (`replicas=12`, `by=-1`, `value=2.5`); anything
else stays text and is refused downstream with the reason. A body is at most
MAX_BODY bytes; a malformed one is a CommandError (a 400), never a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError

from explorer.sources.base import CommandError

__all__ = ["MAX_BODY", "command_payload"]

# A command is a few short fields; nothing legitimate comes near this.
MAX_BODY = 4096
WHOLE_FIELDS = frozenset({"replicas", "by"})
NUMBER_FIELDS = frozenset({"value"})
WHOLE = re.compile(r"-?[0-9]{1,9}")
DECIMAL = re.compile(r"[0-9]{1,6}(\.[0-9]{1,6})?")


def command_payload(request: HttpRequest) -> dict[str, Any]:
    """The command a request carries, as a dict; CommandError (a person-readable reason) when it carries none."""
    length = request.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise CommandError(f"a command is at most {MAX_BODY} bytes")
    if request.content_type == "application/json":
        if len(request.body) > MAX_BODY:
            raise CommandError(f"a command is at most {MAX_BODY} bytes")
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, RecursionError):  # JSONDecodeError, bad UTF-8, a 5000-digit number, deep nesting
            raise CommandError("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise CommandError('the body must be a JSON object such as {"action": "pause"}')
        return {str(key): value for key, value in body.items()}
    try:
        form = request.POST
    except (MultiPartParserError, ValueError):
        raise CommandError("the form data cannot be read") from None
    payload: dict[str, Any] = {}
    for key in form:
        value = form.get(key)
        if key in WHOLE_FIELDS and isinstance(value, str) and WHOLE.fullmatch(value.strip()):
            payload[key] = int(value.strip())
        elif key in NUMBER_FIELDS and isinstance(value, str) and DECIMAL.fullmatch(value.strip()):
            payload[key] = float(value.strip())
        else:
            payload[key] = value
    return payload
