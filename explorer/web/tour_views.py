"""Tours, projector mode and presenter-follow: thin views over `explorer.tours` and the Room model."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from explorer.diagrams import UnknownView
from explorer.live.runtime import get_runtime
from explorer.tours import LANGUAGES, Tour, load_tours
from explorer.web.current import current_state, inline_svg, renderer
from explorer.web.follow import follow_group
from explorer.web.htmx import HtmxHttpRequest
from explorer.web.language import diagram_language
from explorer.web.models import PresenterToken, Room

__all__ = ["follow_group", "follow_page", "follow_start", "room_state", "tour_list", "tour_step"]

DISPLAY_PARAMS = ("projector", "theme", "room")


def _language() -> str:
    language = (get_language() or "en").lower()
    return language if language in LANGUAGES else "en"


def _display(request: HttpRequest) -> dict[str, str]:
    """Projector mode, theme and presenter room travel with every link, so a URL reopens the same screen."""
    shown = {key: request.GET[key] for key in DISPLAY_PARAMS if request.GET.get(key)}
    if shown.get("theme") not in {None, "dark", "light"}:
        shown.pop("theme")
    return shown


def _query(display: dict[str, str]) -> str:
    return ("?" + "&".join(f"{k}={v}" for k, v in display.items())) if display else ""


def _tour(slug: str) -> Tour:
    tour = load_tours().get(slug)
    if tour is None:
        raise Http404(f"no tour {slug!r}")
    return tour


async def _diagram_svg(view: str) -> tuple[str, str]:
    """The step's view, or the overview where that view is not drawn (yet)."""
    _, state, _ = await current_state()
    language = diagram_language()
    try:
        return view, await asyncio.to_thread(renderer.svg, state, view, language)
    except UnknownView:
        return "overview", await asyncio.to_thread(renderer.svg, state, "overview", language)


@require_GET
async def tour_list(request: HttpRequest) -> HttpResponse:
    language = _language()
    tours = [
        {"slug": t.slug, "title": t.title(language), "summary": t.summary(language), "steps": len(t.steps)}
        for t in load_tours().values()
    ]
    display = _display(request)
    return render(request, "tours/list.html", {"tours": tours, "query": _query(display), "display": display})


def _step_context(request: HttpRequest, tour: Tour, number: int, follow_room: str = "") -> dict[str, Any]:
    step = tour.step(number)
    if step is None:
        raise Http404(f"tour {tour.slug!r} has steps 1 to {len(tour.steps)}")
    language = _language()
    display = _display(request)
    query = _query(display)

    def step_url(n: int) -> str:
        return reverse("tour-step", args=[tour.slug, n]) + query

    return {
        "tour": tour,
        "tour_title": tour.title(language),
        "step": step,
        "text": step.text(language),
        "total": len(tour.steps),
        "prev_url": step_url(number - 1) if number > 1 else "",
        "next_url": step_url(number + 1) if number < len(tour.steps) else "",
        "exit_url": reverse("tour-list") + query,
        "display": display,
        "query": query,
        "highlight": json.dumps(list(step.highlight)),
        "animate": json.dumps({reason: list(s) for reason, s in step.animate.items()}),
        "try_command": json.dumps(step.try_it.command) if step.try_it else "",
        "try_wait": json.dumps(step.try_it.wait_for) if step.try_it else "",
        "follow_room": follow_room,
        "presenting": display.get("room", "") if display.get("room") == request.session.get("presenting") else "",
    }


async def _already_done(context: dict[str, Any]) -> str:
    """What the cluster already shows of a try-it's effect ("" if not), so a step run twice never stalls."""
    try_it = context["step"].try_it
    if try_it is None or try_it.already is None:
        return ""
    runtime = await get_runtime()
    state = (await runtime.snapshot())[1]
    component = state.get(try_it.already["component"])
    if component is None or component.status != try_it.already["status"]:
        return ""
    return _("✔ %(name)s is already %(status)s: go on.") % {"name": component.name, "status": component.status}


@ensure_csrf_cookie
@require_GET
async def tour_step(request: HtmxHttpRequest, slug: str, number: int) -> HttpResponse:
    tour = _tour(slug)
    context = await sync_to_async(_step_context)(request, tour, number)
    context["already_done"] = await _already_done(context)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "tours/step.html#tour-panel", context)
    context["view"], svg = await _diagram_svg(context["step"].view)
    context["svg"] = inline_svg(svg)
    return render(request, "tours/step.html", context)


@require_GET
async def follow_start(request: HttpRequest) -> HttpResponse:
    """Open a room: for a staff login, or once for each token `manage.py presenter_token` prints."""
    user = await request.auser()
    token = request.GET.get("token", "")

    def open_room() -> Room | None:
        if user.is_authenticated and user.is_staff:
            return Room.open()
        found = PresenterToken.find_unused(token) if token else None
        if found is None:
            return None
        from django.utils import timezone

        found.used = timezone.now()
        found.save(update_fields=["used"])
        return Room.open()

    room = await sync_to_async(open_room)()
    if room is None:
        message = _("This presenter link is not valid or was used already. Ask for a new one.")
        return render(request, "tours/follow_denied.html", {"message": message}, status=403)
    await sync_to_async(request.session.__setitem__)("presenting", room.slug)
    await sync_to_async(request.session.save)()
    first = next(iter(load_tours().values()))
    return HttpResponseRedirect(reverse("tour-step", args=[first.slug, 1]) + f"?room={room.slug}")


async def _room(slug: str) -> Room:
    room: Room | None = await Room.objects.filter(slug=slug).afirst()
    if room is None:
        raise Http404(f"no room {slug!r}")
    return room


@ensure_csrf_cookie
@require_GET
async def follow_page(request: HtmxHttpRequest, room: str) -> HttpResponse:
    """The audience's screen: whatever step the presenter shows, live; late joiners land on it at once."""
    found = await _room(room)
    state = found.state or {}
    tour = load_tours().get(state.get("tour", "")) or next(iter(load_tours().values()))
    number = state.get("step", 1) if tour.step(state.get("step", 1)) else 1
    if request.htmx and not request.htmx.history_restore_request:
        context = await sync_to_async(_step_context)(request, tour, number, follow_room=found.slug)
        return render(request, "tours/step.html#tour-panel", context)
    context = await sync_to_async(_step_context)(request, tour, number, follow_room=found.slug)
    context["view"], svg = await _diagram_svg(context["step"].view)
    context["svg"] = inline_svg(svg)
    return render(request, "tours/step.html", context)


@require_POST
async def room_state(request: HttpRequest, room: str) -> JsonResponse:
    """The presenter moves the room; anyone else is refused."""
    found = await _room(room)
    presenting = await sync_to_async(request.session.get)("presenting")
    if presenting != found.slug:
        return JsonResponse({"error": _("Only the presenter can move this room.")}, status=403)
    try:
        body = json.loads(request.body or b"{}")
        tour = load_tours()[body["tour"]]
        step = int(body["step"])
        if tour.step(step) is None:
            raise ValueError
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        return JsonResponse({"error": _("Send a known tour and one of its step numbers.")}, status=400)
    status = (await get_runtime()).sim_status() or {}
    found.state = {
        "tour": tour.slug,
        "step": step,
        "view": tour.step(step).view,  # type: ignore[union-attr]
        "scenario": status.get("scenario"),
        "panel": reverse("follow-page", args=[found.slug]),
    }
    await found.asave(update_fields=["state"])
    await get_channel_layer().group_send(
        follow_group(found.slug), {"type": "follow.state", "state": found.follow_state()}
    )
    return JsonResponse(found.follow_state())
