"""Which browsers StudyGate serves (B1); unsupported ones are redirected away from pages (B2)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from ua_parser import parse_user_agent

# Real User-Agents stay under ~300 characters and name the browser early; parsing a 10 kB
# header would only cost time (the parser's regexes are not linear on every input).
MAX_USER_AGENT = 512
# Internet Explorer 10 and older are unsupported (B1); IE 11 is the oldest we serve.
UNSUPPORTED_FAMILIES = {"IE": 10, "IE Mobile": 10}


@dataclass(frozen=True)
class BrowserSupport:
    supported: bool
    browser: str | None
    major_version: int | None
    upgrade_url: str | None


def browser_support(user_agent: str | None, upgrade_url: str) -> BrowserSupport:
    """Classifies a User-Agent header; an empty or unrecognised one counts as supported."""
    parsed = parse_user_agent(user_agent[:MAX_USER_AGENT]) if user_agent else None
    if parsed is None or parsed.family == "Other":
        return BrowserSupport(True, None, None, None)
    major = parsed.major
    version = int(major) if major and major.isdigit() and len(major) <= 6 else None
    oldest_unsupported = UNSUPPORTED_FAMILIES.get(parsed.family)
    if oldest_unsupported is not None and version is not None and version <= oldest_unsupported:
        return BrowserSupport(False, parsed.family, version, upgrade_url)
    return BrowserSupport(True, parsed.family, version, None)


def is_page_request(method: str, accept: str) -> bool:
    """A browser navigation: GET or HEAD asking for HTML, or for anything but JSON.

    IE 6 to 8 send no `text/html` when navigating (only image types and `*/*`).
    """
    if method not in ("GET", "HEAD"):
        return False
    accept = accept.lower()
    return "text/html" in accept or ("*/*" in accept and "json" not in accept)


class UnsupportedBrowserRedirect:
    """Pure ASGI middleware: a page request from an unsupported browser gets a 302 (B2).

    GraphQL POSTs, JSON requests, health checks, metrics, static assets, webhooks and image
    downloads pass untouched, and so does the upgrade page itself when it is one of ours.
    """

    PASS_THROUGH = ("/static/", "/healthz", "/readyz", "/metrics", "/webhooks/", "/images/")

    def __init__(self, app: ASGIApp, upgrade_url: str) -> None:
        self.app = app
        self.upgrade_url = upgrade_url
        parts = urlsplit(upgrade_url)
        self.own_upgrade_path = parts.path if not parts.netloc else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._redirects(scope):
            response = RedirectResponse(self.upgrade_url, status_code=302, headers={
                "Cache-Control": "no-store", "Vary": "User-Agent, Accept",
            })
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _redirects(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if path.startswith(self.PASS_THROUGH) or path == self.own_upgrade_path:
            return False
        headers = Headers(scope=scope)
        if not is_page_request(scope["method"], headers.get("accept", "")):
            return False
        return not browser_support(headers.get("user-agent"), self.upgrade_url).supported
