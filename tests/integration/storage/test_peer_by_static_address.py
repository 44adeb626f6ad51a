"""`peer_by_static_address`, the exact (asset, address) lookup auto-peering updates by: the SQL
store and the in-memory reference answer alike, and a peer that only routes the address, or has
it in another asset, is not found."""

from __future__ import annotations

import pytest

from ilpnode.services.peering import AssetError, PeeringStore
from ilpnode.storage.database import Database
from ilpnode.storage.peering_repository import SqlPeeringStore
from tests.integration.storage.builders import asset, digests, peer
from tests.unit.services.peering.fakes import FakeStore


@pytest.mark.parametrize("kind", ["sql", "reference"])
async def test_only_the_exact_asset_and_address_match(database: Database, kind: str) -> None:
    store: PeeringStore = SqlPeeringStore(database) if kind == "sql" else FakeStore()
    async with store.transaction() as tx:
        usd, eur = await tx.insert_asset(asset("USD")), await tx.insert_asset(asset("EUR"))
        assert not isinstance(usd, AssetError)
        assert not isinstance(eur, AssetError)
        alice = peer(usd.id, "test.alice")
        hub = peer(usd.id, "test.hub", routes=("test.hub", "test.bob"))
        alice_in_eur = peer(eur.id, "test.alice")
        for index, each in enumerate((alice, hub, alice_in_eur)):
            assert await tx.insert_peer(each, digests(f"t{index}")) is None

    async with store.transaction() as tx:
        assert await tx.peer_by_static_address(usd.id, "test.alice") == alice
        assert await tx.peer_by_static_address(eur.id, "test.alice") == alice_in_eur
        assert await tx.peer_by_static_address(usd.id, "test.bob") is None  # only routed
        assert await tx.peer_by_static_address(usd.id, "test.alice.child") is None
        assert await tx.peer_by_static_address(usd.id, "test") is None
