"""The Assets page, Create Asset, and an asset's page (thresholds, fees, liquidity, delete), with
its fee history."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ilpnode.dashboard.forms import FormState, typed_values
from ilpnode.dashboard.forms.assets import (
    CREATE_FIELDS,
    THRESHOLD_FIELDS,
    parse_create,
    parse_thresholds,
    threshold_values,
)
from ilpnode.dashboard.forms.fees import FEE_FIELDS, fee_values, parse_fee
from ilpnode.dashboard.forms.liquidity import deposit_values, withdraw_values
from ilpnode.dashboard.messages import ASSET_PROBLEMS, FEE_PROBLEMS
from ilpnode.dashboard.rendering import Pages, flash
from ilpnode.dashboard.routes import liquidity
from ilpnode.dashboard.security import csrf_protected
from ilpnode.dashboard.views import first_page, page_from_query, pager
from ilpnode.services.fees import FeeError, FeeType
from ilpnode.services.peering import Asset, AssetError, SortOrder

__all__ = ["routes"]

AssetHandler = Callable[[Request, FormData, Asset], Awaitable[Response]]

FEE_ROWS: Final = 5  # the newest fees on the asset's page; its fee history has them all


def routes(pages: Pages) -> list[BaseRoute]:
    services = pages.services

    async def assets(request: Request) -> Response:
        page = await services.assets.page(page_from_query(request.query_params))
        rows = [(asset, await services.assets.liquidity(asset)) for asset in page.items]
        return pages.render(
            request,
            "assets.html",
            {"rows": rows, "pager": pager(page, "/assets")},
            section="assets",
        )

    async def render_new(request: Request, state: FormState, status_code: int) -> Response:
        return pages.render(
            request, "asset_new.html", {"form": state}, status_code=status_code, section="assets"
        )

    async def new_asset(request: Request) -> Response:
        return await render_new(request, FormState(values=dict.fromkeys(CREATE_FIELDS, "")), 200)

    async def create_asset(request: Request, form: FormData) -> Response:
        create, state = parse_create(typed_values(form, CREATE_FIELDS))
        if create is None:
            return await render_new(request, state, 400)
        asset = await services.assets.create(create)
        if isinstance(asset, AssetError):
            state.add(ASSET_PROBLEMS[asset])
            return await render_new(request, state, 409)
        flash(request, f"Asset {asset.code} (scale {asset.scale}) created.")
        return pages.redirect(request, f"/assets/{asset.id}")

    async def render(
        request: Request,
        asset: Asset,
        forms: dict[str, FormState] | None = None,
        status_code: int = 200,
    ) -> Response:
        states = {
            "thresholds": FormState(values=threshold_values(asset)),
            "fee": FormState(values=fee_values()),
            "deposit": FormState(values=deposit_values()),
            "withdraw": FormState(values=withdraw_values()),
            "settle": FormState(values={"withdrawal_id": "", "action": ""}),
            **(forms or {}),
        }
        return pages.render(
            request,
            "asset.html",
            {
                "asset": asset,
                "liquidity": await services.assets.liquidity(asset),
                "fees": await services.fees.latest(asset.id),
                "fee_history": await services.fees.page(
                    asset.id, first_page(FEE_ROWS, SortOrder.DESC)
                ),
                "forms": states,
                "pending": liquidity.pending_withdrawals(request, owner_of(asset)),
            },
            status_code=status_code,
            section="assets",
        )

    def on_asset(handler: AssetHandler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request, form: FormData) -> Response:
            asset = await services.assets.get(request.path_params["asset_id"])
            if isinstance(asset, AssetError):
                return pages.not_found(request, "There is no such asset.")
            return await handler(request, form, asset)

        return csrf_protected(endpoint)

    async def asset_page(request: Request) -> Response:
        asset = await services.assets.get(request.path_params["asset_id"])
        if isinstance(asset, AssetError):
            return pages.not_found(request, "There is no such asset.")
        return await render(request, asset)

    async def thresholds(request: Request, form: FormData, asset: Asset) -> Response:
        patch, state = parse_thresholds(typed_values(form, THRESHOLD_FIELDS), asset)
        if patch is None:
            return await render(request, asset, {"thresholds": state}, 400)
        updated = await services.assets.update(patch)
        if isinstance(updated, AssetError):
            state.add(ASSET_PROBLEMS[updated])
            return await render(request, asset, {"thresholds": state}, 409)
        flash(request, f"Thresholds of {asset.code} updated.")
        return pages.redirect(request, f"/assets/{asset.id}")

    async def set_fee(request: Request, form: FormData, asset: Asset) -> Response:
        fee, state = parse_fee(typed_values(form, FEE_FIELDS), asset)
        if fee is None:
            return await render(request, asset, {"fee": state}, 400)
        stored = await services.fees.set(fee)
        if isinstance(stored, FeeError):
            state.add(FEE_PROBLEMS[stored])
            return await render(request, asset, {"fee": state}, 409)
        kind = "Sending" if stored.type is FeeType.SENDING else "Receiving"
        flash(request, f"{kind} fee of {asset.code} set.")
        return pages.redirect(request, f"/assets/{asset.id}")

    async def fee_history(request: Request) -> Response:
        asset = await services.assets.get(request.path_params["asset_id"])
        if isinstance(asset, AssetError):
            return pages.not_found(request, "There is no such asset.")
        path = f"/assets/{asset.id}/fees"
        page = await services.fees.page(asset.id, page_from_query(request.query_params))
        return pages.render(
            request,
            "asset_fees.html",
            {"asset": asset, "fees": page.items, "pager": pager(page, path)},
            section="assets",
        )

    def money(action: liquidity.MoneyAction) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request, form: FormData, asset: Asset) -> Response:
            async def rerender(forms: dict[str, FormState], status_code: int) -> Response:
                return await render(request, asset, forms, status_code)

            return await action(pages, request, form, owner_of(asset), rerender)

        return on_asset(handler)

    async def render_delete(
        request: Request, asset: Asset, state: FormState, status_code: int
    ) -> Response:
        return pages.render(
            request,
            "asset_delete.html",
            {"asset": asset, "form": state},
            status_code=status_code,
            section="assets",
        )

    async def confirm_delete(request: Request) -> Response:
        asset = await services.assets.get(request.path_params["asset_id"])
        if isinstance(asset, AssetError):
            return pages.not_found(request, "There is no such asset.")
        return await render_delete(request, asset, FormState(values={"confirm": ""}), 200)

    async def delete(request: Request, form: FormData, asset: Asset) -> Response:
        state = FormState(values=typed_values(form, ("confirm",)))
        if state.text("confirm") != asset.code:
            state.errors["confirm"] = f"Type the asset's code, {asset.code}, exactly to confirm."
            return await render_delete(request, asset, state, 400)
        deleted = await services.assets.delete(asset.id)
        if isinstance(deleted, AssetError):
            state.add(ASSET_PROBLEMS[deleted])
            return await render_delete(request, asset, state, 409)
        flash(request, f"Asset {asset.code} (scale {asset.scale}) deleted.")
        return pages.redirect(request, "/assets")

    base = "/assets/{asset_id}"
    return [
        Route("/assets", assets, methods=["GET"]),
        Route("/assets/new", new_asset, methods=["GET"]),
        Route("/assets/new", csrf_protected(create_asset), methods=["POST"]),
        Route(base, asset_page, methods=["GET"]),
        Route(f"{base}/thresholds", on_asset(thresholds), methods=["POST"]),
        Route(f"{base}/fees", fee_history, methods=["GET"]),
        Route(f"{base}/fees", on_asset(set_fee), methods=["POST"]),
        Route(f"{base}/deposit", money(liquidity.deposit), methods=["POST"]),
        Route(f"{base}/withdraw", money(liquidity.withdraw), methods=["POST"]),
        Route(f"{base}/settle", money(liquidity.settle), methods=["POST"]),
        Route(f"{base}/delete", confirm_delete, methods=["GET"]),
        Route(f"{base}/delete", on_asset(delete), methods=["POST"]),
    ]


def owner_of(asset: Asset) -> liquidity.Owner:
    return liquidity.Owner(
        kind="asset",
        id=asset.id,
        label=f"asset {asset.code}",
        asset=asset,
        path=f"/assets/{asset.id}",
    )
