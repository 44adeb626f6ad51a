"""Fee resolvers: `setFee`, `Asset.sendingFee`/`receivingFee`/`fees` and the `Fee` type
(Rafiki's `graphql/resolvers/fee.ts` and the fee fields of `asset.ts`).

A request that shows both fees of an asset reads them once (`RequestContext.fees_seen`).
"""

from __future__ import annotations

from typing import Any

from ariadne import EnumType, MutationType, ObjectType, QueryType

from ilpnode.admin.graphql.context import Info, RequestContext, context_of
from ilpnode.admin.graphql.errors import raise_error
from ilpnode.admin.graphql.idempotency import idempotent
from ilpnode.admin.graphql.objects import connection, iso_time, page_request_of
from ilpnode.admin.graphql.results import MutationResult
from ilpnode.services.fees import Fee, FeeError, FeeType, LatestFees, SetFee
from ilpnode.services.peering import Asset

__all__ = ["FEE_BINDABLES"]

fee_mutation = MutationType()
asset_fees = ObjectType("Asset")
fee_object = ObjectType("Fee")


async def _set_fee(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    details = input["fee"]
    fee = await context.services.fees.set(
        SetFee(
            asset_id=input["asset_id"],
            type=input["type"],
            fixed=details["fixed"],
            basis_points=details["basis_points"],
        )
    )
    if isinstance(fee, FeeError):
        raise_error(fee)
    context.fees_seen.pop(fee.asset_id, None)
    return {"fee": fee}


fee_mutation.set_field("setFee", idempotent(_set_fee))


async def _latest(asset: Asset, info: Info) -> LatestFees:
    context = context_of(info)
    latest = context.fees_seen.get(asset.id)
    if latest is None:
        latest = await context.services.fees.latest(asset.id)
        context.fees_seen[asset.id] = latest
    return latest


@asset_fees.field("sendingFee")
async def _sending_fee(asset: Asset, info: Info) -> Fee | None:
    return (await _latest(asset, info)).of(FeeType.SENDING)


@asset_fees.field("receivingFee")
async def _receiving_fee(asset: Asset, info: Info) -> Fee | None:
    return (await _latest(asset, info)).of(FeeType.RECEIVING)


@asset_fees.field("fees")
async def _fees(asset: Asset, info: Info, **arguments: Any) -> dict[str, Any]:
    page = await context_of(info).services.fees.page(asset.id, page_request_of(arguments))
    return connection(page)


@fee_object.field("createdAt")
def _created_at(fee: Fee, _info: Info) -> str:
    return iso_time(fee.created_at)


FEE_BINDABLES: list[QueryType | ObjectType | EnumType] = [
    fee_mutation,
    asset_fees,
    fee_object,
    EnumType("FeeType", FeeType),
]
