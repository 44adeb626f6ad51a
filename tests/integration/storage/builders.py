"""Asset and peer values for the storage tests: timezone-aware UTC times with microseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from ilpnode.peer_table import token_hash
from ilpnode.services.peering import Asset, HttpOutgoing, Peer

T0 = datetime(2027, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
U64_MAX = 2**64 - 1


def at(microseconds: int) -> datetime:
    """T0 plus this many microseconds."""
    return T0 + timedelta(microseconds=microseconds)


def asset(
    code: str = "USD",
    scale: int = 2,
    *,
    id: UUID | None = None,
    created_at: datetime = T0,
    deleted_at: datetime | None = None,
    withdrawal_threshold: int | None = None,
    liquidity_threshold: int | None = None,
) -> Asset:
    return Asset(
        id=id or uuid4(),
        code=code,
        scale=scale,
        ledger=0,  # assigned by the store
        withdrawal_threshold=withdrawal_threshold,
        liquidity_threshold=liquidity_threshold,
        created_at=created_at,
        updated_at=created_at,
        deleted_at=deleted_at,
    )


def peer(
    asset_id: UUID,
    address: str = "test.alice",
    *,
    id: UUID | None = None,
    created_at: datetime = T0,
    routes: tuple[str, ...] | None = None,
    max_packet_amount: int | None = None,
    liquidity_threshold: int | None = None,
    name: str | None = None,
) -> Peer:
    return Peer(
        id=id or uuid4(),
        asset_id=asset_id,
        static_ilp_address=address,
        routes=(address,) if routes is None else routes,
        http_outgoing=HttpOutgoing(auth_token="outgoing-secret", endpoint="http://alice.test/ilp"),
        max_packet_amount=max_packet_amount,
        name=name,
        liquidity_threshold=liquidity_threshold,
        created_at=created_at,
        updated_at=created_at,
    )


def digests(*tokens: str) -> list[str]:
    return [token_hash(token) for token in tokens]
