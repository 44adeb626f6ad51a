"""Liquidity mutation resolvers (rafiki-peering §2.8): deposits and two-phase withdrawals of
peers and assets. Each answers `{success: true}` or raises the mapped error."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType

from ilpnode.accounting import LiquidityError, LiquidityResult
from ilpnode.admin.graphql.context import RequestContext
from ilpnode.admin.graphql.errors import raise_error
from ilpnode.admin.graphql.idempotency import idempotent
from ilpnode.admin.graphql.results import MutationResult
from ilpnode.services.peering import PeerError

__all__ = ["bind_liquidity"]


def _success(result: LiquidityResult | LiquidityError | PeerError) -> MutationResult:
    if not isinstance(result, LiquidityResult):
        raise_error(result)
    return {"success": True}


async def _deposit_peer(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    return _success(
        await context.services.liquidity.deposit_to_peer(
            peer_id=input["peer_id"], amount=input["amount"], transfer_id=input["id"]
        )
    )


async def _deposit_asset(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    return _success(
        await context.services.liquidity.deposit_to_asset(
            asset_id=input["asset_id"], amount=input["amount"], transfer_id=input["id"]
        )
    )


async def _withdraw_peer(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    return _success(
        await context.services.liquidity.withdraw_from_peer(
            peer_id=input["peer_id"],
            amount=input["amount"],
            transfer_id=input["id"],
            timeout_seconds=input["timeout_seconds"],
        )
    )


async def _withdraw_asset(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    return _success(
        await context.services.liquidity.withdraw_from_asset(
            asset_id=input["asset_id"],
            amount=input["amount"],
            transfer_id=input["id"],
            timeout_seconds=input["timeout_seconds"],
        )
    )


async def _post(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    return _success(await context.services.liquidity.post_withdrawal(input["withdrawal_id"]))


async def _void(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    return _success(await context.services.liquidity.void_withdrawal(input["withdrawal_id"]))


def bind_liquidity(mutation: MutationType) -> None:
    """Set the liquidity fields of `mutation`."""
    mutation.set_field("depositPeerLiquidity", idempotent(_deposit_peer))
    mutation.set_field("depositAssetLiquidity", idempotent(_deposit_asset))
    mutation.set_field("createPeerLiquidityWithdrawal", idempotent(_withdraw_peer))
    mutation.set_field("createAssetLiquidityWithdrawal", idempotent(_withdraw_asset))
    mutation.set_field("postLiquidityWithdrawal", idempotent(_post))
    mutation.set_field("voidLiquidityWithdrawal", idempotent(_void))
