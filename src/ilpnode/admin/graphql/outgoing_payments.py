"""Outgoing payment resolvers: `sendPayment`, `outgoingPayment`, `outgoingPayments`,
`WalletAddress.outgoingPayments` and the `OutgoingPayment` and `Amount` types, thin over
`OutgoingPaymentService` (see docs/admin-api.md, "Outgoing payments").

A refusal of the service (`PaymentRefused`) is the GraphQL error, with its code and message.
`OutgoingPaymentResponse.payment` reads the payment as it is now, also when an idempotency key
replays an earlier answer: a replay names the same payment, whose state has moved on since.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ariadne import EnumType, MutationType, ObjectType, QueryType

from ilpnode.admin.graphql.context import Info, RequestContext, context_of, is_other_tenant
from ilpnode.admin.graphql.errors import AdminApiError
from ilpnode.admin.graphql.idempotency import idempotent
from ilpnode.admin.graphql.objects import connection, iso_time, page_request_of
from ilpnode.admin.graphql.results import MutationResult
from ilpnode.services.outgoing_payments import (
    OutgoingPayment,
    OutgoingPaymentState,
    PaymentRefused,
    SendPayment,
)
from ilpnode.services.payments import WalletAddress
from ilpnode.services.peering import Page
from ilpnode.uuids import parse_uuid

__all__ = ["OUTGOING_PAYMENT_BINDABLES"]

payment_mutation = MutationType()
payment_query = QueryType()
response_type = ObjectType("OutgoingPaymentResponse")
payment_type = ObjectType("OutgoingPayment")
wallet_address_payments = ObjectType("WalletAddress")

_EMPTY: Page[OutgoingPayment] = Page(items=(), has_next_page=False, has_previous_page=False)


async def _send(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    sent = await context.services.outgoing_payments.send(
        SendPayment(
            id=input.get("id"),
            wallet_address_id=input.get("wallet_address_id"),
            asset_id=input.get("asset_id"),
            receiver=input["receiver"],
            debit_amount=input.get("debit_amount"),
            receive_amount=input.get("receive_amount"),
        )
    )
    if isinstance(sent, PaymentRefused):
        raise AdminApiError(sent.message, sent.code)
    return {"payment": sent}


payment_mutation.set_field("sendPayment", idempotent(_send))


@response_type.field("payment")
async def _response_payment(result: MutationResult, info: Info) -> OutgoingPayment | None:
    answered = result.get("payment")
    if not isinstance(answered, OutgoingPayment):
        return None
    now = await context_of(info).services.outgoing_payments.get(answered.id)
    return now or answered


@payment_query.field("outgoingPayment")
async def _outgoing_payment(_root: None, info: Info, id: str) -> OutgoingPayment | None:
    return await context_of(info).services.outgoing_payments.get(id)


@payment_query.field("outgoingPayments")
async def _outgoing_payments(_root: None, info: Info, **arguments: Any) -> dict[str, Any]:
    request = page_request_of(arguments)
    services = context_of(info).services
    if is_other_tenant(services, arguments.get("tenant_id")):
        return connection(_EMPTY)
    wallet_address_id: UUID | None = None
    if arguments.get("wallet_address_id") is not None:
        wallet_address_id = parse_uuid(arguments["wallet_address_id"])
        if wallet_address_id is None:
            return connection(_EMPTY)  # no wallet address has that id
    page = await services.outgoing_payments.page(request, wallet_address_id=wallet_address_id)
    return connection(page)


@wallet_address_payments.field("outgoingPayments")
async def _wallet_address_payments(
    wallet_address: WalletAddress, info: Info, **arguments: Any
) -> dict[str, Any]:
    request = page_request_of(arguments)
    payments = context_of(info).services.outgoing_payments
    return connection(await payments.page(request, wallet_address_id=wallet_address.id))


def _amount(value: int, code: str | None, scale: int | None) -> dict[str, Any]:
    # The receiver's asset is unknown until the probe: "" and 0 meanwhile.
    return {"value": value, "asset_code": code or "", "asset_scale": scale or 0}


@payment_type.field("debitAmount")
def _debit_amount(payment: OutgoingPayment, _info: Info) -> dict[str, Any]:
    return _amount(payment.debit_amount, payment.asset_code, payment.asset_scale)


@payment_type.field("sentAmount")
def _sent_amount(payment: OutgoingPayment, _info: Info) -> dict[str, Any]:
    return _amount(payment.sent, payment.asset_code, payment.asset_scale)


@payment_type.field("receiveAmount")
def _receive_amount(payment: OutgoingPayment, _info: Info) -> dict[str, Any]:
    code, scale = payment.receive_asset_code, payment.receive_asset_scale
    return _amount(payment.receive_amount, code, scale)


@payment_type.field("deliveredAmount")
def _delivered_amount(payment: OutgoingPayment, _info: Info) -> dict[str, Any]:
    code, scale = payment.receive_asset_code, payment.receive_asset_scale
    return _amount(payment.delivered, code, scale)


@payment_type.field("fee")
def _fee(payment: OutgoingPayment, _info: Info) -> dict[str, Any] | None:
    if not payment.done or payment.fee is None:
        return None
    return _amount(payment.fee, payment.asset_code, payment.asset_scale)


@payment_type.field("createdAt")
def _created_at(payment: OutgoingPayment, _info: Info) -> str:
    return iso_time(payment.created_at)


@payment_type.field("updatedAt")
def _updated_at(payment: OutgoingPayment, _info: Info) -> str:
    return iso_time(payment.updated_at)


OUTGOING_PAYMENT_BINDABLES: list[QueryType | ObjectType | EnumType] = [
    payment_mutation,
    payment_query,
    response_type,
    payment_type,
    wallet_address_payments,
    EnumType("OutgoingPaymentState", OutgoingPaymentState),
]
