"""Mutation results as JSON text, for idempotent replay (see `idempotency.py`).

A mutation resolver returns a small dict: `{"asset": Asset | None}`, `{"peer": Peer | None}`,
`{"wallet_address": WalletAddress}`, `{"withdrawal": WalletAddressWithdrawal}` or
`{"success": bool}`. A replay must answer what the first request answered, even if the asset or
peer has changed since, so the values themselves are stored, not their ids. Field resolvers
that read live state (`liquidity`) still read it live, as in Rafiki.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeAlias
from uuid import UUID

from ilpnode.services.accounting import LiquidityState
from ilpnode.services.payments import WalletAddress, WalletAddressWithdrawal
from ilpnode.services.peering import Asset, HttpOutgoing, Peer

__all__ = ["MutationResult", "decode_result", "encode_result"]

ResultValue: TypeAlias = Asset | Peer | WalletAddress | WalletAddressWithdrawal | bool | None
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
            "created_at": _time(value.created_at),
            "updated_at": _time(value.updated_at),
            "auto_peered": value.auto_peered,
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
    )
