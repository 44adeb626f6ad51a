"""The admin server's ASGI app: health (and, as they land, GraphQL, metrics and the dashboard)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["HealthCheck", "create_admin_app"]

# Answers whether the database is reachable; must not raise.
HealthCheck = Callable[[], Awaitable[bool]]


def create_admin_app(*, database_ok: HealthCheck, version: str, ilp_address: str) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        healthy = await database_ok()
        body = {
            "status": "ok" if healthy else "unavailable",
            "database": "ok" if healthy else "unreachable",
            "version": version,
            "ilpAddress": ilp_address,
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    return Starlette(routes=[Route("/healthz", healthz, methods=["GET"])])
