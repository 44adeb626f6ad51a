"""The dashboard's ASGI app: server-rendered pages over the same services as the Admin API.

Middleware, outermost first: security headers, the signed session cookie, the login gate
(see `security`). Every POST route is wrapped by `security.csrf_protected`; a test checks that
no POST route is left without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from ilpnode.dashboard.rendering import Pages, make_templates
from ilpnode.dashboard.routes import (
    assets,
    auto_peering,
    login,
    overview,
    payments,
    peer_page,
    peers,
    wallet_addresses,
)
from ilpnode.dashboard.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE_SECONDS,
    LoginGate,
    SecurityHeaders,
)
from ilpnode.dashboard.services import DashboardServices

__all__ = ["STATIC_DIR", "create_dashboard_app"]

STATIC_DIR: Final = Path(__file__).parent / "static"


def create_dashboard_app(
    services: DashboardServices,
    *,
    admin_api_secret: str | None,
    session_key: str,
    secure_cookie: bool = False,
) -> Starlette:
    """The dashboard.

    Args:
        services: what the pages call.
        admin_api_secret: ADMIN_API_SECRET; when set, a login asks for it. None: no login
            (the admin server is loopback-only then) and only loopback host names are served.
        session_key: signs the session cookie (`security.session_key_for(secret)`, or a random
            key when there is no secret).
        secure_cookie: send the cookie over HTTPS only (set it when TLS is in front).
    """
    pages = Pages(
        services=services, templates=make_templates(), login_enabled=admin_api_secret is not None
    )
    routes: list[BaseRoute] = [
        *overview.routes(pages),
        *login.routes(pages, admin_api_secret=admin_api_secret),
        *peers.routes(pages),
        *auto_peering.routes(pages),
        *peer_page.routes(pages),
        *assets.routes(pages),
        *wallet_addresses.routes(pages),
        *payments.routes(pages),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=session_key,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_MAX_AGE_SECONDS,
                same_site="lax",
                https_only=secure_cookie,
            ),
            Middleware(LoginGate, login_required=admin_api_secret is not None),
        ],
    )
