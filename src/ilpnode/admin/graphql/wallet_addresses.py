"""Wallet address resolvers (Rafiki's `walletAddress`, `walletAddressByUrl`, `walletAddresses`,
`createWalletAddress`, `updateWalletAddress`, `createWalletAddressWithdrawal`), thin over
`WalletAddressService`.

Messages are Rafiki's: `walletAddress(id)` of an unknown id is NOT_FOUND "unknown wallet
address" (the service's catalog) while `updateWalletAddress` answers NOT_FOUND "Unknown wallet
address" (Rafiki's resolver checks existence itself, with that spelling), and a withdrawal's
errors are the liquidity catalog's ("Unknown wallet address", "Transfer amount is zero", …).
"""

from __future__ import annotations

from typing import Any

from ariadne import MutationType, ObjectType, QueryType

from ilpnode.accounting import LiquidityError
from ilpnode.admin.graphql.context import Info, RequestContext, context_of, is_other_tenant
from ilpnode.admin.graphql.errors import AdminApiError, raise_error
from ilpnode.admin.graphql.idempotency import idempotent
from ilpnode.admin.graphql.objects import connection, iso_time, page_request_of
from ilpnode.admin.graphql.results import MutationResult
from ilpnode.services.payments import (
    CreateWalletAddress,
    UpdateWalletAddress,
    WalletAddress,
    WalletAddressError,
    WalletAddressStatus,
)
from ilpnode.services.peering import UNSET, Asset, AssetError, Page

__all__ = ["WALLET_ADDRESS_TYPES", "bind_wallet_address_mutations", "bind_wallet_address_queries"]

wallet_address_type = ObjectType("WalletAddress")

_EMPTY: Page[WalletAddress] = Page(items=(), has_next_page=False, has_previous_page=False)


# -- queries -----------------------------------------------------------------------------------


async def _wallet_address(_root: None, info: Info, id: str) -> WalletAddress:
    found = await context_of(info).services.wallet_addresses.get(id)
    if isinstance(found, WalletAddressError):
        raise_error(found)
    return found


async def _wallet_address_by_url(_root: None, info: Info, url: str) -> WalletAddress | None:
    return await context_of(info).services.wallet_addresses.by_url(url)


async def _wallet_addresses(_root: None, info: Info, **arguments: Any) -> dict[str, Any]:
    request = page_request_of(arguments)
    services = context_of(info).services
    if is_other_tenant(services, arguments.get("tenant_id")):
        return connection(_EMPTY)
    return connection(await services.wallet_addresses.page(request))


def bind_wallet_address_queries(query: QueryType) -> None:
    """Set the wallet address fields of `query`."""
    query.set_field("walletAddress", _wallet_address)
    query.set_field("walletAddressByUrl", _wallet_address_by_url)
    query.set_field("walletAddresses", _wallet_addresses)


# -- mutations ---------------------------------------------------------------------------------


async def _create(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    if is_other_tenant(context.services, input.get("tenant_id")):
        raise AdminApiError("Assignment to the specified tenant is not permitted", "BAD_USER_INPUT")
    created = await context.services.wallet_addresses.create(
        CreateWalletAddress(
            asset_id=input["asset_id"],
            address=input["address"],
            public_name=input.get("public_name"),
        )
    )
    if isinstance(created, WalletAddressError):
        raise_error(created)
    return {"wallet_address": created}


async def _update(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    status = input.get("status")
    updated = await context.services.wallet_addresses.update(
        UpdateWalletAddress(
            id=input["id"],
            public_name=input.get("public_name", UNSET),
            # A null status keeps it, as an omitted one (a wallet address always has one).
            status=UNSET if status is None else status,
        )
    )
    if updated is WalletAddressError.UnknownWalletAddress:
        raise AdminApiError("Unknown wallet address", "NOT_FOUND")
    if isinstance(updated, WalletAddressError):
        raise_error(updated)
    return {"wallet_address": updated}


async def _withdraw(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    withdrawal = await context.services.wallet_addresses.withdraw(
        wallet_address_id=input["wallet_address_id"],
        transfer_id=input["id"],
        timeout_seconds=input["timeout_seconds"],
    )
    if isinstance(withdrawal, LiquidityError):
        raise_error(withdrawal)
    return {"withdrawal": withdrawal}


def bind_wallet_address_mutations(mutation: MutationType) -> None:
    """Set the wallet address fields of `mutation`."""
    mutation.set_field("createWalletAddress", idempotent(_create))
    mutation.set_field("updateWalletAddress", idempotent(_update))
    mutation.set_field("createWalletAddressWithdrawal", idempotent(_withdraw))


# -- the WalletAddress type --------------------------------------------------------------------


@wallet_address_type.field("address")
def _address(wallet_address: WalletAddress, _info: Info) -> str:
    return wallet_address.url


@wallet_address_type.field("createdAt")
def _created_at(wallet_address: WalletAddress, _info: Info) -> str:
    return iso_time(wallet_address.created_at)


@wallet_address_type.field("status")
def _status(wallet_address: WalletAddress, _info: Info) -> WalletAddressStatus:
    return wallet_address.status


@wallet_address_type.field("liquidity")
async def _liquidity(wallet_address: WalletAddress, info: Info) -> int | None:
    return await context_of(info).services.wallet_addresses.liquidity(wallet_address)


@wallet_address_type.field("asset")
async def _asset(wallet_address: WalletAddress, info: Info) -> Asset:
    context = context_of(info)
    cached = context.assets_seen.get(wallet_address.asset_id)
    if cached is not None:
        return cached
    asset = await context.services.wallet_addresses.asset_of(wallet_address)
    if asset is None:
        raise_error(AssetError.UnknownAsset)  # the foreign key makes this a bug
    context.assets_seen[wallet_address.asset_id] = asset
    return asset


WALLET_ADDRESS_TYPES = [wallet_address_type]
