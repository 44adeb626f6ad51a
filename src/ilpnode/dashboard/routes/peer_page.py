"""A peer's page: edit each part, liquidity, Check connection, Send test payment
(`routes.payments`), delete (with a confirmation)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ilpnode.dashboard.forms import FormState, typed_values
from ilpnode.dashboard.forms.liquidity import deposit_values, withdraw_values
from ilpnode.dashboard.forms.peers import (
    GENERAL_FIELDS,
    HTTP_FIELDS,
    ROUTES_FIELDS,
    general_values,
    http_values,
    parse_general,
    parse_http,
    parse_routes,
    routes_values,
)
from ilpnode.dashboard.forms.test_payment import blank_test_payment_values
from ilpnode.dashboard.messages import PEER_PROBLEMS, problem
from ilpnode.dashboard.rendering import Pages, flash
from ilpnode.dashboard.routes import liquidity, payments
from ilpnode.dashboard.security import csrf_protected
from ilpnode.dashboard.views import level_of, meter_of
from ilpnode.services.peering import Asset, AssetError, Peer, PeerError, UpdatePeer

__all__ = ["routes"]

PeerHandler = Callable[[Request, FormData, Peer, Asset], Awaitable[Response]]


def routes(pages: Pages) -> list[BaseRoute]:
    services = pages.services

    async def load(peer_id: str) -> tuple[Peer, Asset] | None:
        peer = await services.peers.get(peer_id)
        if isinstance(peer, PeerError):
            return None
        asset = await services.assets.get(peer.asset_id)
        return None if isinstance(asset, AssetError) else (peer, asset)

    async def render(
        request: Request,
        peer: Peer,
        asset: Asset,
        forms: dict[str, FormState] | None = None,
        status_code: int = 200,
    ) -> Response:
        liquidity_ = await services.peers.liquidity(peer)
        states = {
            "general": FormState(values=general_values(peer, asset)),
            "http": FormState(values=http_values(peer)),
            "routes": FormState(values=routes_values(peer)),
            "deposit": FormState(values=deposit_values()),
            "withdraw": FormState(values=withdraw_values()),
            "settle": FormState(values={"withdrawal_id": "", "action": ""}),
            "test_payment": FormState(values=blank_test_payment_values()),
            **(forms or {}),
        }
        return pages.render(
            request,
            "peer.html",
            {
                "peer": peer,
                "asset": asset,
                "liquidity": liquidity_,
                "level": level_of(liquidity_, peer.liquidity_threshold),
                "meter": meter_of(liquidity_, peer.liquidity_threshold),
                "check": services.checker.last(peer.id),
                "forms": states,
                "pending": liquidity.pending_withdrawals(request, owner_of(peer, asset)),
                "asset_liquidity": await services.assets.liquidity(asset),
                "test_payment": await payments.last_test_payment(pages, request, peer),
            },
            status_code=status_code,
            section="peers",
        )

    def on_peer(handler: PeerHandler) -> Callable[[Request], Awaitable[Response]]:
        """A CSRF-checked POST on an existing peer (404 otherwise)."""

        async def endpoint(request: Request, form: FormData) -> Response:
            found = await load(request.path_params["peer_id"])
            if found is None:
                return pages.not_found(request, "There is no such peer.")
            return await handler(request, form, *found)

        return csrf_protected(endpoint)

    async def peer_page(request: Request) -> Response:
        found = await load(request.path_params["peer_id"])
        if found is None:
            return pages.not_found(request, "There is no such peer.")
        return await render(request, *found)

    def updater(
        part: str,
        fields: tuple[str, ...],
        parse: Callable[[dict[str, str], Peer, Asset], tuple[UpdatePeer | None, FormState]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def update(request: Request, form: FormData, peer: Peer, asset: Asset) -> Response:
            patch, state = parse(typed_values(form, fields), peer, asset)
            if patch is None:
                return await render(request, peer, asset, {part: state}, 400)
            updated = await services.peers.update(patch)
            if isinstance(updated, PeerError):
                state.add(problem(updated))
                return await render(request, peer, asset, {part: state}, 409)
            flash(request, f"Peer {updated.label} updated.")
            return pages.redirect(request, f"/peers/{peer.id}")

        return on_peer(update)

    def money(action: liquidity.MoneyAction) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request, form: FormData, peer: Peer, asset: Asset) -> Response:
            async def rerender(forms: dict[str, FormState], status_code: int) -> Response:
                return await render(request, peer, asset, forms, status_code)

            return await action(pages, request, form, owner_of(peer, asset), rerender)

        return on_peer(handler)

    async def check(request: Request, _form: FormData, peer: Peer, asset: Asset) -> Response:
        result = await services.checker.check(peer, asset, now=services.clock.now())
        if result.ok:
            flash(request, "Check connection: the link works (details below).")
        else:
            flash(request, "Check connection: the link does not work (details below).", "error")
        return pages.redirect(request, f"/peers/{peer.id}")

    async def test_payment(request: Request, form: FormData, peer: Peer, asset: Asset) -> Response:
        async def rerender(forms: dict[str, FormState], status_code: int) -> Response:
            return await render(request, peer, asset, forms, status_code)

        return await payments.send_test_payment(pages, request, form, peer, asset, rerender)

    async def confirm_delete(request: Request) -> Response:
        found = await load(request.path_params["peer_id"])
        if found is None:
            return pages.not_found(request, "There is no such peer.")
        return await render_delete(request, *found, FormState(values={"confirm": ""}), 200)

    async def render_delete(
        request: Request, peer: Peer, asset: Asset, state: FormState, status_code: int
    ) -> Response:
        return pages.render(
            request,
            "peer_delete.html",
            {
                "peer": peer,
                "asset": asset,
                "liquidity": await services.peers.liquidity(peer),
                "form": state,
            },
            status_code=status_code,
            section="peers",
        )

    async def delete(request: Request, form: FormData, peer: Peer, asset: Asset) -> Response:
        state = FormState(values=typed_values(form, ("confirm",)))
        if state.text("confirm") != peer.static_ilp_address:
            state.errors["confirm"] = (
                f"Type the peer's ILP address, {peer.static_ilp_address}, exactly to confirm."
            )
            return await render_delete(request, peer, asset, state, 400)
        error = await services.peers.delete(peer.id)
        if error is not None:
            state.add(PEER_PROBLEMS[error])
            return await render_delete(request, peer, asset, state, 409)
        flash(request, f"Peer {peer.label} deleted.")
        return pages.redirect(request, "/peers")

    base = "/peers/{peer_id}"
    return [
        Route(base, peer_page, methods=["GET"]),
        Route(
            f"{base}/general", updater("general", GENERAL_FIELDS, parse_general), methods=["POST"]
        ),
        Route(
            f"{base}/http",
            updater("http", HTTP_FIELDS, lambda values, peer, _: parse_http(values, peer)),
            methods=["POST"],
        ),
        Route(
            f"{base}/routes",
            updater("routes", ROUTES_FIELDS, lambda values, peer, _: parse_routes(values, peer)),
            methods=["POST"],
        ),
        Route(f"{base}/deposit", money(liquidity.deposit), methods=["POST"]),
        Route(f"{base}/withdraw", money(liquidity.withdraw), methods=["POST"]),
        Route(f"{base}/settle", money(liquidity.settle), methods=["POST"]),
        Route(f"{base}/check", on_peer(check), methods=["POST"]),
        Route(f"{base}/test-payment", on_peer(test_payment), methods=["POST"]),
        Route(f"{base}/delete", confirm_delete, methods=["GET"]),
        Route(f"{base}/delete", on_peer(delete), methods=["POST"]),
    ]


def owner_of(peer: Peer, asset: Asset) -> liquidity.Owner:
    return liquidity.Owner(
        kind="peer",
        id=peer.id,
        label=f"peer {peer.label}",
        asset=asset,
        path=f"/peers/{peer.id}",
    )
