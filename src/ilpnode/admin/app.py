"""The admin server's ASGI app: `/healthz`, `/metrics`, the Admin GraphQL API on `/graphql` and
the dashboard under `/dashboard/` (`/` redirects there).

The app exists before the node has started (so health can say "starting"); the GraphQL and
dashboard apps are built once the ledger is open, and answer 503 until then.

`/healthz` lists each component's state. It is 503 `unavailable` unless every required
component is "ok". An *advisory* component (the change feed) never makes it 503: "ok" or "off"
leave the status `ok`, anything else makes it 200 `degraded` (the node serves, but something is
worth an operator's look).
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HealthCheck", "create_admin_app"]

# The state of each dependency ("ok" or what is wrong); must not raise.
HealthCheck = Callable[[], Awaitable[Mapping[str, str]]]


class _WhenReady:
    """Serves the app that `current()` returns, or 503 while there is none."""

    def __init__(self, current: Callable[[], ASGIApp | None]) -> None:
        self._current = current

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self._current()
        if app is None:
            response = JSONResponse({"error": "the node is starting"}, status_code=503)
            await response(scope, receive, send)
            return
        await app(scope, receive, send)


def create_admin_app(
    *,
    health: HealthCheck,
    version: str,
    ilp_address: str,
    graphql: Callable[[], ASGIApp | None] = lambda: None,
    dashboard: Callable[[], ASGIApp | None] = lambda: None,
    metrics: Callable[[], Awaitable[bytes]] | None = None,
    metrics_token: str | None = None,
    metrics_open: bool = True,
    advisory: frozenset[str] = frozenset(),
) -> Starlette:
    """The admin app. `/metrics` needs `Authorization: Bearer <metrics_token>` when a token is
    given; without one it is served only if `metrics_open` (the node passes False when the admin
    server is reachable from the network, i.e. ADMIN_API_SECRET is set). `advisory` names the
    health components that cannot make `/healthz` 503 (module docstring)."""

    async def healthz(_request: Request) -> JSONResponse:
        components = dict(await health())
        healthy = all(state == "ok" for name, state in components.items() if name not in advisory)
        degraded = any(
            state not in ("ok", "off") for name, state in components.items() if name in advisory
        )
        body = {
            "status": "unavailable" if not healthy else "degraded" if degraded else "ok",
            **components,
            "version": version,
            "ilpAddress": ilp_address,
            # Which process answered: one of several workers sharing the port, or behind a
            # load balancer.
            "pid": os.getpid(),
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def prometheus(request: Request) -> Response:
        if metrics_token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {metrics_token}".encode()):
                return PlainTextResponse(
                    "metrics need Authorization: Bearer <METRICS_TOKEN>\n",
                    status_code=401,
                    headers={"www-authenticate": "Bearer"},
                )
        elif not metrics_open:
            return PlainTextResponse(
                "metrics are off: set METRICS_TOKEN to scrape them from the network\n",
                status_code=401,
            )
        body = await metrics() if metrics is not None else b""
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", prometheus, methods=["GET"]),
            Route("/graphql", _WhenReady(graphql), methods=["GET", "POST"]),
            Route("/", _to_dashboard, methods=["GET"]),
            Mount("/dashboard", _WhenReady(dashboard)),
        ]
    )


async def _to_dashboard(_request: Request) -> Response:
    return RedirectResponse("/dashboard/", status_code=303)
