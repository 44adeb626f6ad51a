"""The admin server's ASGI app: health (and, as they land, GraphQL, metrics and the dashboard)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["HealthCheck", "create_admin_app"]

# The state of each dependency ("ok" or what is wrong); must not raise.
HealthCheck = Callable[[], Awaitable[Mapping[str, str]]]


def create_admin_app(*, health: HealthCheck, version: str, ilp_address: str) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        components = dict(await health())
        healthy = all(state == "ok" for state in components.values())
        body = {
            "status": "ok" if healthy else "unavailable",
            **components,
            "version": version,
            "ilpAddress": ilp_address,
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    return Starlette(routes=[Route("/healthz", healthz, methods=["GET"])])
