"""Peer by URL: auto-peering from the dashboard (the `createOrUpdatePeerByUrl` service)."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ilpnode.dashboard.forms import FormState, typed_values
from ilpnode.dashboard.forms.auto_peering import FIELDS, parse
from ilpnode.dashboard.messages import auto_peering_problem
from ilpnode.dashboard.rendering import Pages, flash
from ilpnode.dashboard.routes.peers import all_assets
from ilpnode.dashboard.security import csrf_protected
from ilpnode.services.peering import AssetError
from ilpnode.services.peering.autopeering import AutoPeeringFailure

__all__ = ["routes"]


def routes(pages: Pages) -> list[BaseRoute]:
    services = pages.services

    async def render(request: Request, state: FormState, status_code: int) -> Response:
        return pages.render(
            request,
            "peer_auto.html",
            {"form": state, "assets": await all_assets(pages)},
            status_code=status_code,
            section="peers",
        )

    async def form_page(request: Request) -> Response:
        assets = await all_assets(pages)
        values = dict.fromkeys(FIELDS, "")
        if len(assets) == 1:
            values["asset_id"] = str(assets[0].id)
        return await render(request, FormState(values=values), 200)

    async def peer_by_url(request: Request, form: FormData) -> Response:
        values = typed_values(form, FIELDS)
        asset = await services.assets.get(values["asset_id"]) if values["asset_id"] else None
        initiate, state = parse(values, None if isinstance(asset, AssetError) else asset)
        if initiate is None:
            return await render(request, state, 400)
        peer = await services.auto_peering.initiate(initiate)
        if isinstance(peer, AutoPeeringFailure):
            state.add(auto_peering_problem(peer))
            return await render(request, state, 409)
        flash(request, f"Peered with {peer.label} through its URL.")
        return pages.redirect(request, f"/peers/{peer.id}")

    return [
        Route("/peers/auto", form_page, methods=["GET"]),
        Route("/peers/auto", csrf_protected(peer_by_url), methods=["POST"]),
    ]
