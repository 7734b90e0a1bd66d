"""Security headers Django does not set itself: the Content-Security-Policy.

No page runs inline script or carries inline style: every script and
stylesheet is a file under /static/. The one inline stylesheet is the
diagram's own (an SVG embeds static/explorer/css/diagram.css so that a
downloaded file stands alone); the policy allows exactly that text by its
hash. `frame-ancestors 'none'` (with X-Frame-Options: DENY, which Django's
middleware sets) keeps the page, and its node-down buttons, out of frames.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from django.http import HttpRequest, HttpResponse

from explorer.diagrams.paint import SVG_STYLE_PATH
from explorer.web.middleware import AsyncMiddleware

__all__ = ["ContentSecurityPolicyMiddleware", "content_security_policy"]


@cache
def content_security_policy() -> str:
    css = SVG_STYLE_PATH.read_text(encoding="utf-8")
    diagram_style = "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' {diagram_style}",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",  # the page's WebSocket too: 'self' covers ws: and wss: of this host
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware(AsyncMiddleware):
    async def __call__(self, request: HttpRequest) -> HttpResponse:
        response = await self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        return response
