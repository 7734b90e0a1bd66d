"""Who may drive: command the simulation (`/api/sim/` POST) and list or switch contexts (`/api/contexts/`).

EXPLORER_CONTROLS says who:

- `open`: anyone who can load the page. The default only when the site is
  served under loopback names alone (DJANGO_ALLOWED_HOSTS, as `make run`
  serves it), and then only for browsers on this machine: a client elsewhere
  could still reach a server bound beyond loopback with a forged Host header.
- `presenter`: the default otherwise. A staff login, or a presenter's session:
  the browser that opened a presenter link (`manage.py presenter_token`) or
  `/follow/start/` as staff, for as long as its room lives
  (EXPLORER_PRESENTER_HOURS).
- `off`: nobody; the site only shows.

Everyone else sees the controls disabled with a one-line reason, and their
commands are answered 403. ControlsMiddleware works out the answer once per
request (it may need the database, which a template cannot ask), `controls`
hands it to every template, and `drivers_only` guards a view.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

from explorer.web.middleware import AsyncMiddleware

__all__ = ["Access", "ControlsMiddleware", "access_of", "controls", "drivers_only", "resolve_access"]

View = Callable[..., Coroutine[Any, Any, HttpResponse]]


@dataclass(frozen=True)
class Access:
    may_drive: bool
    mode: str
    reason: str = ""  # why not, in one line for the page


def _loopback_client(request: HttpRequest) -> bool:
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "").is_loopback
    except ValueError:
        return False


async def _presenting(request: HttpRequest) -> bool:
    """A staff login, or the session of a presenter whose room has not expired."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False  # no session at all: nothing to look up
    user = await request.auser()
    if user.is_authenticated and user.is_staff:
        return True
    slug = await sync_to_async(request.session.get)("presenting")
    if not isinstance(slug, str) or not slug:
        return False
    from explorer.web.models import Room  # models load once Django is set up

    return await Room.objects.filter(slug=slug).aexists()


async def resolve_access(request: HttpRequest) -> Access:
    mode = settings.EXPLORER_CONTROLS
    if mode == "off":
        return Access(False, mode, str(_("The controls are switched off on this site: it only shows the cluster.")))
    if mode == "open" and (not settings.EXPLORER_CONTROLS_LOOPBACK_CLIENTS or _loopback_client(request)):
        return Access(True, mode)
    if await _presenting(request):
        return Access(True, "presenter")
    return Access(False, "presenter", str(_("Only the presenter drives the cluster here: you follow along.")))


def access_of(request: HttpRequest) -> Access:
    """What ControlsMiddleware found for this request; without it, only an open site lets anyone drive."""
    found = getattr(request, "explorer_access", None)
    if isinstance(found, Access):
        return found
    mode = settings.EXPLORER_CONTROLS
    if mode == "open" and not settings.EXPLORER_CONTROLS_LOOPBACK_CLIENTS:
        return Access(True, mode)
    return Access(False, mode, str(_("Only the presenter drives the cluster here: you follow along.")))


class ControlsMiddleware(AsyncMiddleware):
    """Works out once per request whether it may drive: `request.explorer_access`."""

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        request.explorer_access = await resolve_access(request)  # type: ignore[attr-defined]
        return await self.get_response(request)


def controls(request: HttpRequest) -> dict[str, Any]:
    """Template context: `controls.may_drive` and `controls.reason`."""
    return {"controls": access_of(request)}


def drivers_only(view: View, methods: Iterable[str] | None = None) -> View:
    """Answer 403 with the reason to a request (of `methods`, else any) that may not drive."""
    guarded = {m.upper() for m in methods} if methods is not None else None

    @functools.wraps(view)
    async def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if guarded is None or request.method in guarded:
            access = access_of(request)
            if not access.may_drive:
                return JsonResponse({"error": access.reason}, status=403)
        return await view(request, *args, **kwargs)

    return wrapper
