"""The Peers page (a paginated table) and Create Peer."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ilpnode.dashboard.forms import FormState, typed_values
from ilpnode.dashboard.forms.peers import CREATE_FIELDS, parse_create
from ilpnode.dashboard.messages import problem
from ilpnode.dashboard.rendering import Pages, flash
from ilpnode.dashboard.security import csrf_protected
from ilpnode.dashboard.views import first_page, page_from_query, pager, peer_rows
from ilpnode.services.peering import MAX_PAGE_SIZE, Asset, AssetError, PeerError, SortOrder

__all__ = ["all_assets", "routes"]


async def all_assets(pages: Pages) -> list[Asset]:
    """The assets to choose from (the first 100, oldest first; more is not a peering node)."""
    page = await pages.services.assets.page(first_page(MAX_PAGE_SIZE, SortOrder.ASC))
    return list(page.items)


def routes(pages: Pages) -> list[BaseRoute]:
    services = pages.services

    async def peers(request: Request) -> Response:
        page = await services.peers.page(page_from_query(request.query_params))
        return pages.render(
            request,
            "peers.html",
            {"rows": await peer_rows(services, page.items), "pager": pager(page, "/peers")},
            section="peers",
        )

    async def render_new(request: Request, state: FormState, status_code: int) -> Response:
        return pages.render(
            request,
            "peer_new.html",
            {"form": state, "assets": await all_assets(pages)},
            status_code=status_code,
            section="peers",
        )

    async def new_peer(request: Request) -> Response:
        assets = await all_assets(pages)
        values = dict.fromkeys(CREATE_FIELDS, "")
        if len(assets) == 1:
            values["asset_id"] = str(assets[0].id)
        return await render_new(request, FormState(values=values), 200)

    async def create_peer(request: Request, form: FormData) -> Response:
        values = typed_values(form, CREATE_FIELDS)
        asset = await services.assets.get(values["asset_id"]) if values["asset_id"] else None
        create, state = parse_create(values, None if isinstance(asset, AssetError) else asset)
        if create is None:
            return await render_new(request, state, 400)
        peer = await services.peers.create(create)
        if isinstance(peer, PeerError):
            state.add(problem(peer))
            return await render_new(request, state, 409)
        flash(request, f"Peer {peer.label} created.")
        return pages.redirect(request, f"/peers/{peer.id}")

    return [
        Route("/peers", peers, methods=["GET"]),
        Route("/peers/new", new_peer, methods=["GET"]),
        Route("/peers/new", csrf_protected(create_peer), methods=["POST"]),
    ]
