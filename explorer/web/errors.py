"""Error pages in the site's look and language, each with a way back; scripts keep getting JSON."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.utils.translation import gettext as _

__all__ = ["csrf_failure", "not_found", "permission_denied", "server_error"]

# Paths only scripts and the page's own code ask for: they get JSON, never a page.
MACHINE_PATHS = ("/api/", "/diagram/", "/healthz", "/ws/", "/dashboard/status/", "/component/")


def wants_json(request: HttpRequest) -> bool:
    """A script, the page's own fetches or htmx, rather than a person following a link or a form."""
    if request.path.startswith(MACHINE_PATHS) or request.headers.get("HX-Request"):
        return True
    if request.content_type == "application/json":
        return True
    return "text/html" not in request.headers.get("Accept", "")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": f"nothing at {request.path}"}, status=404)
    return render(request, "404.html", {"path": request.path}, status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": "forbidden"}, status=403)
    return render(request, "403.html", {"reason": _("You may not open this page.")}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"error": "the explorer failed to answer; the server log says why"}, status=500)
    # No request context: a failure may lie in what a context needs. The page stands on its own.
    return HttpResponse(get_template("500.html").render({}), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A person whose form is stale gets a page that says to reload it; a script gets what to send."""
    if wants_json(request):
        from explorer.web.views import csrf_failure as for_scripts

        return for_scripts(request, reason)
    message = _("The form was out of date (its security token did not match). Reload the page and try again.")
    return render(request, "403.html", {"reason": message, "back": request.headers.get("Referer", "")}, status=403)
