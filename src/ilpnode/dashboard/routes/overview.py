"""The overview: this node, its peers' liquidity against their thresholds, and traffic."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ilpnode.dashboard.rendering import Pages
from ilpnode.dashboard.views import page_from_query, pager, peer_rows, traffic_rows

__all__ = ["routes"]


def routes(pages: Pages) -> list[BaseRoute]:
    services = pages.services

    async def overview(request: Request) -> Response:
        page = await services.peers.page(page_from_query(request.query_params))
        now_ns = int(services.clock.now().timestamp() * 1e9)
        busiest, totals = traffic_rows(services.traffic.per_peer(now_ns=now_ns))
        return pages.render(
            request,
            "overview.html",
            {
                "rows": await peer_rows(services, page.items),
                "pager": pager(page, "/"),
                "traffic": busiest,
                "totals": totals,
                "recent_minutes": services.traffic.recent_minutes,
            },
            section="overview",
        )

    return [Route("/", overview, methods=["GET"])]
