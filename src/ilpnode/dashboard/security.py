"""Login, sessions, CSRF and the response headers of every page.

- **Sessions**: Starlette's `SessionMiddleware` keeps a signed (itsdangerous, HMAC-SHA1 with a
  timestamp), HTTP-only, SameSite=Lax cookie. Its key is derived from ADMIN_API_SECRET, so a
  login survives a restart and changing the secret logs everyone out; without a secret it is a
  random key made at start.
- **Login**: with ADMIN_API_SECRET set, every page but `/login` and `/static/` needs a session
  that typed the secret (`LoginGate`). Without a secret the admin server listens on loopback
  only and there is no login; the gate then answers only requests addressed to a loopback host
  name, which stops a web page from reaching the dashboard through DNS rebinding.
- **CSRF**: each session has a random token; every form carries it in a hidden field, and every
  POST handler is wrapped by `csrf_protected`, which refuses a POST without the right token
  (403) before the handler runs. Cross-site requests also lack the SameSite cookie.
- **Headers**: a strict Content-Security-Policy (no inline script or style, nothing from
  elsewhere, no framing), no referrer, no sniffing, and no caching of pages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import quote

from starlette.datastructures import FormData, MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSRF_FIELD",
    "FORM_FIELDS_MAX",
    "SESSION_COOKIE",
    "SESSION_MAX_AGE_SECONDS",
    "FormHandler",
    "LoginGate",
    "SecurityHeaders",
    "csrf_protected",
    "csrf_token",
    "is_logged_in",
    "log_in",
    "safe_next",
    "secret_matches",
    "session_key_for",
]

SESSION_COOKIE: Final = "ilpnode_dashboard"
SESSION_MAX_AGE_SECONDS: Final = 8 * 60 * 60
"""A working day: an operator logs in once a day; a stolen cookie is useful for hours, not weeks."""
CSRF_FIELD: Final = "csrf_token"
FORM_FIELDS_MAX: Final = 50  # our largest form has 12 fields; more is not a form of ours
_PUBLIC_PREFIXES: Final = ("/login", "/static/")
_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
_HEADERS: Final = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}

FormHandler = Callable[[Request, FormData], Awaitable[Response]]
"""A POST handler that receives the already parsed and CSRF-checked form."""


def session_key_for(admin_api_secret: str) -> str:
    """The session signing key derived from the admin secret (never the secret itself)."""
    return hmac.new(
        admin_api_secret.encode(), b"ilpnode dashboard session key v1", hashlib.sha256
    ).hexdigest()


def secret_matches(typed: str, admin_api_secret: str) -> bool:
    """Whether the typed secret is the admin secret (compared in constant time)."""
    return hmac.compare_digest(typed.encode(), admin_api_secret.encode())


def csrf_token(request: HTTPConnection) -> str:
    """This session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def is_logged_in(request: HTTPConnection) -> bool:
    return request.session.get("logged_in") is True


def log_in(request: HTTPConnection) -> None:
    """Start a fresh logged-in session (a new CSRF token: no fixation of the old session)."""
    request.session.clear()
    request.session["logged_in"] = True
    csrf_token(request)


def safe_next(root: str, value: str | None) -> str:
    """Where to go after login: a path of this dashboard, or its overview (no open redirect)."""
    if value and value.startswith(root + "/") and "//" not in value and "\\" not in value:
        return value
    return root + "/"


def csrf_protected(handler: FormHandler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a POST handler: parse the form and refuse it (403) unless it carries the token."""

    async def endpoint(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=FORM_FIELDS_MAX)
        sent = form.get(CSRF_FIELD)
        expected = request.session.get("csrf")
        if not (
            isinstance(sent, str)
            and isinstance(expected, str)
            and hmac.compare_digest(sent.encode(), expected.encode())
        ):
            return PlainTextResponse(
                "This form did not come from this dashboard, or it has expired (the node "
                "restarted, or you logged out). Go back, reload the page and send it again.\n",
                status_code=403,
            )
        return await handler(request, form)

    return endpoint


class LoginGate:
    """Refuses pages to a session that has not logged in (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, login_required: bool) -> None:
        self._app = app
        self._login_required = login_required

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        root = scope.get("root_path", "")
        path = scope["path"][len(root) :] if scope["path"].startswith(root) else scope["path"]
        response: Response | None = None
        if not self._login_required:
            if connection.url.hostname not in _LOOPBACK_HOSTS:
                response = PlainTextResponse(
                    "This dashboard has no login (ADMIN_API_SECRET is not set), so it answers "
                    "only requests addressed to 127.0.0.1 or localhost.\n",
                    status_code=403,
                )
        elif not path.startswith(_PUBLIC_PREFIXES) and not is_logged_in(connection):
            target = quote(
                scope["path"] + ("?" + connection.url.query if connection.url.query else "")
            )
            response = RedirectResponse(f"{root}/login?next={target}", status_code=303)
        if response is not None:
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)


class SecurityHeaders:
    """Adds the security headers to every response, and no-store to pages."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        static = "/static/" in scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self._app(scope, receive, with_headers)
