"""An in-memory `PeeringStore` (snapshot per transaction, restored on an exception) and a world."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from ilpnode.accounting import LiquidityService
from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.peer_table import ConnectorPeerTable
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.token_index import TokenIndex
from ilpnode.ledger import MemoryLedger
from ilpnode.services.peering import (
    Asset,
    AssetError,
    AssetService,
    Page,
    PageRequest,
    Peer,
    PeerError,
    PeeringLiquidity,
    PeerService,
    paginate,
)
from ilpnode.services.peering.ports import PeeringTransaction
from tests.support import ns_of

from ...accounting.fakes import ManualClock


class TickingClock:
    """A wall clock that advances 1 ms per reading, so created_at values are distinct."""

    def __init__(self) -> None:
        self.value = datetime(2027, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.value += timedelta(milliseconds=1)
        return self.value

    def now_ns(self) -> int:
        return ns_of(self.now())


class _State:
    def __init__(self) -> None:
        self.assets: dict[UUID, Asset] = {}
        self.peers: dict[UUID, Peer] = {}
        self.tokens: dict[str, UUID] = {}
        self.next_ledger = 1


class FakeTransaction:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def insert_asset(self, asset: Asset) -> Asset | AssetError:
        if any((a.code, a.scale) == (asset.code, asset.scale) for a in self.s.assets.values()):
            return AssetError.DuplicateAsset
        asset = replace(asset, ledger=self.s.next_ledger)
        self.s.next_ledger += 1
        self.s.assets[asset.id] = asset
        return asset

    async def update_asset(self, asset: Asset) -> None:
        self.s.assets[asset.id] = asset

    async def asset_by_id(self, asset_id: UUID, *, include_deleted: bool = False) -> Asset | None:
        asset = self.s.assets.get(asset_id)
        if asset is None or (asset.deleted_at is not None and not include_deleted):
            return None
        return asset

    async def asset_by_code_and_scale(
        self, code: str, scale: int, *, include_deleted: bool = False
    ) -> Asset | None:
        for asset in self.s.assets.values():
            if (asset.code, asset.scale) == (code, scale):
                return asset if include_deleted or asset.deleted_at is None else None
        return None

    async def asset_in_use(self, asset_id: UUID) -> bool:
        return any(p.asset_id == asset_id for p in self.s.peers.values())

    async def asset_page(self, request: PageRequest) -> Page[Asset]:
        return paginate([a for a in self.s.assets.values() if a.deleted_at is None], request)

    def _clash(self, peer: Peer, hashes: Sequence[str] | None) -> PeerError | None:
        for other in self.s.peers.values():
            same = (other.asset_id, other.static_ilp_address)
            if other.id != peer.id and same == (peer.asset_id, peer.static_ilp_address):
                return PeerError.DuplicatePeer
        for digest in hashes or ():
            if self.s.tokens.get(digest, peer.id) != peer.id:
                return PeerError.DuplicateIncomingToken
        return None

    async def insert_peer(self, peer: Peer, token_hashes: Sequence[str]) -> PeerError | None:
        if peer.asset_id not in self.s.assets:
            return PeerError.UnknownAsset
        error = self._clash(peer, token_hashes)
        if error is None:
            self.s.peers[peer.id] = peer
            self.s.tokens.update(dict.fromkeys(token_hashes, peer.id))
        return error

    async def update_peer(self, peer: Peer, token_hashes: Sequence[str] | None) -> PeerError | None:
        if peer.id not in self.s.peers:
            return PeerError.UnknownPeer
        error = self._clash(peer, token_hashes)
        if error is None:
            self.s.peers[peer.id] = peer
            if token_hashes is not None:
                self.s.tokens = {h: p for h, p in self.s.tokens.items() if p != peer.id}
                self.s.tokens.update(dict.fromkeys(token_hashes, peer.id))
        return error

    async def peer_by_id(self, peer_id: UUID) -> Peer | None:
        return self.s.peers.get(peer_id)

    async def peer_by_static_address(self, asset_id: UUID, static_ilp_address: str) -> Peer | None:
        for peer in self.s.peers.values():
            if (peer.asset_id, peer.static_ilp_address) == (asset_id, static_ilp_address):
                return peer
        return None

    async def token_hashes(self, peer_id: UUID) -> list[str]:
        return sorted(h for h, p in self.s.tokens.items() if p == peer_id)

    async def delete_peer(self, peer_id: UUID) -> bool:
        if self.s.peers.pop(peer_id, None) is None:
            return False
        self.s.tokens = {h: p for h, p in self.s.tokens.items() if p != peer_id}
        return True

    async def peer_page(self, request: PageRequest) -> Page[Peer]:
        return paginate(list(self.s.peers.values()), request)

    async def all_peers(self) -> list[tuple[Peer, list[str]]]:
        return [(p, await self.token_hashes(p.id)) for p in self.s.peers.values()]


class FakeStore:
    def __init__(self) -> None:
        self.state = _State()
        self.transactions = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PeeringTransaction]:
        snapshot = copy.deepcopy(self.state)
        self.transactions += 1
        try:
            yield FakeTransaction(self.state)
        except BaseException:
            self.state = snapshot
            raise


@dataclass
class Peering:
    store: FakeStore
    ledger: MemoryLedger
    liquidity: LiquidityService
    routing: RoutingTable
    index: TokenIndex
    directory: PeerDirectory
    assets: AssetService
    peers: PeerService
    peering_liquidity: PeeringLiquidity

    def fresh_peer_service(self) -> PeerService:
        """A new process over the same database: empty routing table and index."""
        self.routing, self.index, self.directory = RoutingTable(), TokenIndex(), PeerDirectory()
        return PeerService(
            store=self.store,
            liquidity=self.liquidity,
            table=ConnectorPeerTable(
                directory=self.directory, tokens=self.index, routing=self.routing
            ),
            clock=TickingClock(),
        )


def make_peering() -> Peering:
    store = FakeStore()
    ledger = MemoryLedger(clock=ManualClock())
    liquidity = LiquidityService(ledger=ledger)
    routing, index, clock = RoutingTable(), TokenIndex(), TickingClock()
    directory = PeerDirectory()
    return Peering(
        store=store,
        ledger=ledger,
        liquidity=liquidity,
        routing=routing,
        index=index,
        directory=directory,
        assets=AssetService(store=store, liquidity=liquidity, clock=clock),
        peers=PeerService(
            store=store,
            liquidity=liquidity,
            table=ConnectorPeerTable(directory=directory, tokens=index, routing=routing),
            clock=clock,
        ),
        peering_liquidity=PeeringLiquidity(store=store, liquidity=liquidity),
    )
