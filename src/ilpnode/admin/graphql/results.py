"""Mutation results as JSON text, for idempotent replay (see `idempotency.py`).

A mutation resolver returns a small dict: `{"asset": Asset | None}`, `{"peer": Peer | None}`,
`{"fee": Fee}`, `{"wallet_address": WalletAddress}`, `{"withdrawal": WalletAddressWithdrawal}`,
`{"payment": OutgoingPayment}` or `{"success": bool}`. A replay must answer what the first
request answered, even if the asset or peer has changed since, so the values themselves are
stored, not their ids. Field resolvers that read live state (`liquidity`, a payment's progress)
still read it live, as in Rafiki.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

from ilpnode.accounting import LiquidityState
from ilpnode.services.fees import Fee, FeeType
from ilpnode.services.outgoing_payments import (
    OutgoingPayment,
    OutgoingPaymentState,
    SendingFee,
)
from ilpnode.services.payments import WalletAddress, WalletAddressWithdrawal
from ilpnode.services.peering import Asset, HttpOutgoing, Peer

__all__ = ["MutationResult", "decode_result", "encode_result"]

ResultValue: TypeAlias = (
    Asset | Peer | Fee | WalletAddress | WalletAddressWithdrawal | OutgoingPayment | bool | None
)
MutationResult: TypeAlias = dict[str, ResultValue]


def encode_result(result: MutationResult) -> str:
    """JSON text for `result`."""
    return json.dumps({key: _encode(value) for key, value in result.items()}, sort_keys=True)


def decode_result(text: str) -> MutationResult:
    """The result `encode_result` wrote."""
    raw: dict[str, Any] = json.loads(text)
    return {key: _decode(value) for key, value in raw.items()}


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _encode(value: ResultValue) -> Any:
    if isinstance(value, Asset):
        return {
            "type": "asset",
            "id": str(value.id),
            "code": value.code,
            "scale": value.scale,
            "ledger": value.ledger,
            "withdrawal_threshold": value.withdrawal_threshold,
            "liquidity_threshold": value.liquidity_threshold,
            "liquidity_high_threshold": value.liquidity_high_threshold,
            "created_at": _time(value.created_at),
            "updated_at": _time(value.updated_at),
            "deleted_at": _time(value.deleted_at),
        }
    if isinstance(value, Peer):
        return {
            "type": "peer",
            "id": str(value.id),
            "asset_id": str(value.asset_id),
            "static_ilp_address": value.static_ilp_address,
            "routes": list(value.routes),
            "auth_token": value.http_outgoing.auth_token,
            "endpoint": value.http_outgoing.endpoint,
            "max_packet_amount": value.max_packet_amount,
            "name": value.name,
            "liquidity_threshold": value.liquidity_threshold,
            "liquidity_high_threshold": value.liquidity_high_threshold,
            "created_at": _time(value.created_at),
            "updated_at": _time(value.updated_at),
            "auto_peered": value.auto_peered,
        }
    if isinstance(value, Fee):
        return {
            "type": "fee",
            "id": str(value.id),
            "asset_id": str(value.asset_id),
            "fee_type": value.type.value,
            "fixed": value.fixed,
            "basis_points": value.basis_points,
            "created_at": _time(value.created_at),
        }
    if isinstance(value, WalletAddress):
        return {
            "type": "wallet_address",
            "id": str(value.id),
            "url": value.url,
            "asset_id": str(value.asset_id),
            "public_name": value.public_name,
            "created_at": _time(value.created_at),
            "updated_at": _time(value.updated_at),
            "deactivated_at": _time(value.deactivated_at),
        }
    if isinstance(value, OutgoingPayment):
        return _encode_payment(value)
    if isinstance(value, WalletAddressWithdrawal):
        return {
            "type": "wallet_address_withdrawal",
            "id": str(value.id),
            "amount": str(value.amount),
            "wallet_address": _encode(value.wallet_address),
            "state": value.state.value,
        }
    return value


def _optional_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _decode(value: Any) -> ResultValue:
    if not isinstance(value, dict):
        return bool(value) if value is not None else None
    if value["type"] == "fee":
        return Fee(
            id=UUID(value["id"]),
            asset_id=UUID(value["asset_id"]),
            type=FeeType(value["fee_type"]),
            fixed=value["fixed"],
            basis_points=value["basis_points"],
            created_at=datetime.fromisoformat(value["created_at"]),
        )
    if value["type"] == "wallet_address":
        return WalletAddress(
            id=UUID(value["id"]),
            url=value["url"],
            asset_id=UUID(value["asset_id"]),
            public_name=value["public_name"],
            created_at=datetime.fromisoformat(value["created_at"]),
            updated_at=datetime.fromisoformat(value["updated_at"]),
            deactivated_at=_optional_time(value["deactivated_at"]),
        )
    if value["type"] == "outgoing_payment":
        return _decode_payment(value)
    if value["type"] == "wallet_address_withdrawal":
        wallet_address = _decode(value["wallet_address"])
        assert isinstance(wallet_address, WalletAddress)  # written by `_encode` above
        return WalletAddressWithdrawal(
            id=UUID(value["id"]),
            amount=int(value["amount"]),
            wallet_address=wallet_address,
            state=LiquidityState(value["state"]),
        )
    if value["type"] == "asset":
        deleted = value["deleted_at"]
        return Asset(
            id=UUID(value["id"]),
            code=value["code"],
            scale=value["scale"],
            ledger=value["ledger"],
            withdrawal_threshold=value["withdrawal_threshold"],
            liquidity_threshold=value["liquidity_threshold"],
            liquidity_high_threshold=value.get("liquidity_high_threshold"),  # before 0008: none
            created_at=datetime.fromisoformat(value["created_at"]),
            updated_at=datetime.fromisoformat(value["updated_at"]),
            deleted_at=None if deleted is None else datetime.fromisoformat(deleted),
        )
    return Peer(
        id=UUID(value["id"]),
        asset_id=UUID(value["asset_id"]),
        static_ilp_address=value["static_ilp_address"],
        routes=tuple(value["routes"]),
        http_outgoing=HttpOutgoing(auth_token=value["auth_token"], endpoint=value["endpoint"]),
        max_packet_amount=value["max_packet_amount"],
        name=value["name"],
        liquidity_threshold=value["liquidity_threshold"],
        created_at=datetime.fromisoformat(value["created_at"]),
        updated_at=datetime.fromisoformat(value["updated_at"]),
        auto_peered=value.get("auto_peered", False),  # absent in records from before 0004
        liquidity_high_threshold=value.get("liquidity_high_threshold"),  # before 0008: none
    )


# Amounts as strings (u64 is beyond JSON's safe integers); every field, so a replay shows the
# payment exactly as answered (the response's field resolver reads it anew anyway).
_PAYMENT_AMOUNTS = (
    "requested_debit",
    "requested_receive",
    "send_target",
    "max_debit",
    "sent",
    "delivered",
    "estimated_receive",
    "fee",
)
_PAYMENT_TEXTS = (
    "asset_code",
    "receiver",
    "destination_account",
    "error",
    "receive_asset_code",
)
_PAYMENT_INTEGERS = ("asset_scale", "ledger", "packets", "receive_asset_scale")


def _encode_payment(payment: OutgoingPayment) -> dict[str, Any]:
    encoded: dict[str, Any] = {
        "type": "outgoing_payment",
        "id": str(payment.id),
        "wallet_address_id": None
        if payment.wallet_address_id is None
        else str(payment.wallet_address_id),
        "asset_id": str(payment.asset_id),
        "state": payment.state.value,
        "fee_fixed": str(payment.fee_rate.fixed),
        "fee_basis_points": payment.fee_rate.basis_points,
        "created_at": _time(payment.created_at),
        "updated_at": _time(payment.updated_at),
    }
    for name in _PAYMENT_AMOUNTS:
        amount = getattr(payment, name)
        encoded[name] = None if amount is None else str(amount)
    for name in (*_PAYMENT_TEXTS, *_PAYMENT_INTEGERS):
        encoded[name] = getattr(payment, name)
    return encoded


def _decode_payment(value: dict[str, Any]) -> OutgoingPayment:
    wallet_address_id = value["wallet_address_id"]
    amounts = {name: None if value[name] is None else int(value[name]) for name in _PAYMENT_AMOUNTS}
    return OutgoingPayment(
        id=UUID(value["id"]),
        wallet_address_id=None if wallet_address_id is None else UUID(wallet_address_id),
        asset_id=UUID(value["asset_id"]),
        state=OutgoingPaymentState(value["state"]),
        fee_rate=SendingFee(fixed=int(value["fee_fixed"]), basis_points=value["fee_basis_points"]),
        created_at=datetime.fromisoformat(value["created_at"]),
        updated_at=datetime.fromisoformat(value["updated_at"]),
        asset_code=value["asset_code"],
        receiver=value["receiver"],
        destination_account=value["destination_account"],
        error=value["error"],
        receive_asset_code=value["receive_asset_code"],
        asset_scale=value["asset_scale"],
        ledger=value["ledger"],
        packets=value["packets"],
        receive_asset_scale=value["receive_asset_scale"],
        requested_debit=amounts["requested_debit"],
        requested_receive=amounts["requested_receive"],
        send_target=amounts["send_target"],
        max_debit=amounts["max_debit"],
        sent=amounts["sent"] or 0,
        delivered=amounts["delivered"] or 0,
        estimated_receive=amounts["estimated_receive"],
        fee=amounts["fee"],
    )
