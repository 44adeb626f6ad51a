"""The Wallet addresses page, Create wallet address, and a wallet address's page (what it
received, the payments received, its settings, withdrawing everything, post or void)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import uuid4

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ilpnode.accounting import LiquidityError, LiquidityState
from ilpnode.dashboard.amounts import format_amount
from ilpnode.dashboard.forms import FormState, typed_values
from ilpnode.dashboard.forms.wallet_addresses import (
    CREATE_FIELDS,
    SETTINGS_FIELDS,
    WITHDRAW_FIELDS,
    parse_create,
    parse_settings,
    parse_withdrawal,
    settings_values,
    withdraw_values,
)
from ilpnode.dashboard.messages import LIQUIDITY_PROBLEMS, WALLET_ADDRESS_PROBLEMS
from ilpnode.dashboard.rendering import Pages, flash
from ilpnode.dashboard.routes import liquidity
from ilpnode.dashboard.routes.peers import all_assets
from ilpnode.dashboard.security import csrf_protected
from ilpnode.dashboard.views import page_from_query, pager
from ilpnode.services.payments import WalletAddress, WalletAddressError
from ilpnode.services.peering import Asset

__all__ = ["routes"]

Handler = Callable[[Request, FormData, WalletAddress, Asset], Awaitable[Response]]
_SECTION = "wallet_addresses"


def routes(pages: Pages) -> list[BaseRoute]:
    services = pages.services
    wallets = services.wallet_addresses
    received_payments = services.received_payments

    async def listing(request: Request) -> Response:
        page = await wallets.page(page_from_query(request.query_params))
        rows = [
            (wallet, await wallets.asset_of(wallet), await wallets.liquidity(wallet))
            for wallet in page.items
        ]
        return pages.render(
            request,
            "wallet_addresses.html",
            {
                "rows": rows,
                "pager": pager(page, "/wallet-addresses"),
                "base_url": wallets.urls.base,
            },
            section=_SECTION,
        )

    async def render_new(request: Request, state: FormState, status_code: int) -> Response:
        return pages.render(
            request,
            "wallet_address_new.html",
            {"form": state, "assets": await all_assets(pages), "base_url": wallets.urls.base},
            status_code=status_code,
            section=_SECTION,
        )

    async def new(request: Request) -> Response:
        assets = await all_assets(pages)
        values = dict.fromkeys(CREATE_FIELDS, "")
        if len(assets) == 1:
            values["asset_id"] = str(assets[0].id)
        return await render_new(request, FormState(values=values), 200)

    async def create(request: Request, form: FormData) -> Response:
        create_request, state = parse_create(typed_values(form, CREATE_FIELDS))
        if create_request is None:
            return await render_new(request, state, 400)
        created = await wallets.create(create_request)
        if isinstance(created, WalletAddressError):
            state.add(WALLET_ADDRESS_PROBLEMS[created])
            return await render_new(request, state, 409)
        flash(request, f"Wallet address {created.url} created.")
        return pages.redirect(request, f"/wallet-addresses/{created.id}")

    async def render(
        request: Request,
        wallet: WalletAddress,
        asset: Asset,
        forms: dict[str, FormState] | None = None,
        status_code: int = 200,
    ) -> Response:
        states = {
            "settings": FormState(values=settings_values(wallet)),
            "withdraw": FormState(values=withdraw_values(str(uuid4()))),
            "settle": FormState(values={"withdrawal_id": "", "action": ""}),
            **(forms or {}),
        }
        path = f"/wallet-addresses/{wallet.id}"
        payments = await received_payments.page(wallet.id, page_from_query(request.query_params))
        return pages.render(
            request,
            "wallet_address.html",
            {
                "wallet": wallet,
                "asset": asset,
                "liquidity": await wallets.liquidity(wallet),
                "forms": states,
                "pending": liquidity.pending_withdrawals(request, owner_of(wallet, asset)),
                "payments": payments.items,
                "payments_pager": pager(payments, path, anchor="#received-title"),
            },
            status_code=status_code,
            section=_SECTION,
        )

    async def found(request: Request) -> tuple[WalletAddress, Asset] | Response:
        wallet = await wallets.get(request.path_params["wallet_address_id"])
        asset = None if isinstance(wallet, WalletAddressError) else await wallets.asset_of(wallet)
        if isinstance(wallet, WalletAddressError) or asset is None:
            return pages.not_found(request, "There is no such wallet address.")
        return wallet, asset

    def on_wallet(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request, form: FormData) -> Response:
            result = await found(request)
            if isinstance(result, Response):
                return result
            return await handler(request, form, *result)

        return csrf_protected(endpoint)

    async def wallet_page(request: Request) -> Response:
        result = await found(request)
        if isinstance(result, Response):
            return result
        return await render(request, *result)

    async def settings(
        request: Request, form: FormData, wallet: WalletAddress, asset: Asset
    ) -> Response:
        update, state = parse_settings(typed_values(form, SETTINGS_FIELDS), wallet)
        if update is None:
            return await render(request, wallet, asset, {"settings": state}, 400)
        updated = await wallets.update(update)
        if isinstance(updated, WalletAddressError):
            state.add(WALLET_ADDRESS_PROBLEMS[updated])
            return await render(request, wallet, asset, {"settings": state}, 409)
        flash(request, f"Wallet address {updated.url} updated: {updated.status.value.lower()}.")
        return pages.redirect(request, f"/wallet-addresses/{wallet.id}")

    async def withdraw(
        request: Request, form: FormData, wallet: WalletAddress, asset: Asset
    ) -> Response:
        parsed, state = parse_withdrawal(typed_values(form, WITHDRAW_FIELDS))
        if parsed is None:
            return await render(request, wallet, asset, {"withdraw": state}, 400)
        result = await wallets.withdraw(
            wallet_address_id=wallet.id,
            transfer_id=parsed.transfer_id,
            timeout_seconds=parsed.timeout_seconds,
        )
        if isinstance(result, LiquidityError):
            if result is LiquidityError.AmountZero:
                state.message = "Nothing to withdraw: it has received nothing since the last one."
            else:
                # The liquidity catalog names an amount field this form does not have.
                state.message = LIQUIDITY_PROBLEMS[result].text
            return await render(request, wallet, asset, {"withdraw": state}, 409)
        amount = f"{format_amount(result.amount, asset.scale)} {asset.code}"
        if result.state is LiquidityState.PENDING:
            owner = owner_of(wallet, asset)
            liquidity.remember_pending(request, str(result.id), owner, result.amount)
            flash(
                request,
                f"Withdrawal of {amount} (everything received) created: it is pending until you "
                f"post it (once paid out to the wallet's owner) or void it (the amount comes "
                f"back). Its id: {result.id}.",
            )
        else:
            flash(request, f"Withdrew {amount} (everything received; posted at once).")
        return pages.redirect(request, f"/wallet-addresses/{wallet.id}")

    async def settle(
        request: Request, form: FormData, wallet: WalletAddress, asset: Asset
    ) -> Response:
        async def rerender(forms: dict[str, FormState], status_code: int) -> Response:
            return await render(request, wallet, asset, forms, status_code)

        return await liquidity.settle(pages, request, form, owner_of(wallet, asset), rerender)

    base = "/wallet-addresses/{wallet_address_id}"
    return [
        Route("/wallet-addresses", listing, methods=["GET"]),
        Route("/wallet-addresses/new", new, methods=["GET"]),
        Route("/wallet-addresses/new", csrf_protected(create), methods=["POST"]),
        Route(base, wallet_page, methods=["GET"]),
        Route(f"{base}/settings", on_wallet(settings), methods=["POST"]),
        Route(f"{base}/withdraw", on_wallet(withdraw), methods=["POST"]),
        Route(f"{base}/settle", on_wallet(settle), methods=["POST"]),
    ]


def owner_of(wallet: WalletAddress, asset: Asset) -> liquidity.Owner:
    return liquidity.Owner(
        kind="wallet_address",
        id=wallet.id,
        label=f"wallet address {wallet.url}",
        asset=asset,
        path=f"/wallet-addresses/{wallet.id}",
    )
