"""The liquidity watch over the peering services and an in-memory ledger: one event per
crossing, arming without events, and reconciliation of what a process missed."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, replace
from uuid import UUID, uuid4

import pytest

from ilpnode.connector.peer_table import ConnectorPeerTable
from ilpnode.ledger import BALANCE_MAX, BALANCE_MIN, AccountId, available_balance, quiet
from ilpnode.services.peering import (
    Asset,
    AssetService,
    CreateAsset,
    CreatePeer,
    HttpOutgoing,
    Peer,
    PeeringLiquidity,
    PeerService,
    UpdateAsset,
    UpdatePeer,
)
from ilpnode.services.webhooks import AlertState, LiquidityWatch

from ..peering.fakes import Peering, TickingClock, make_peering
from .fakes import FakeWebhookStore


@dataclass
class Watched:
    peering: Peering
    store: FakeWebhookStore
    watch: LiquidityWatch
    assets: AssetService
    peers: PeerService
    liquidity: PeeringLiquidity
    woken: list[int]

    async def report(self, *ids: UUID) -> None:
        """What the ledger backend does after a commit: the touched watched accounts whose
        balances are outside their quiet bands."""
        accounts = await self.peering.ledger.lookup_accounts([AccountId(i.int) for i in ids])
        bands = self.watch.watched
        news = [
            a for a in accounts if a.id in bands and not quiet(bands[a.id], available_balance(a))
        ]
        self.watch.balances_changed(news)
        await self.watch.flush()

    async def withdraw(self, peer: Peer, amount: int) -> None:
        result = await self.liquidity.withdraw_from_peer(
            peer_id=peer.id, amount=amount, transfer_id=uuid4(), timeout_seconds=0
        )
        assert hasattr(result, "state"), result
        await self.report(peer.id)

    async def deposit(self, peer: Peer, amount: int) -> None:
        result = await self.liquidity.deposit_to_peer(
            peer_id=peer.id, amount=amount, transfer_id=uuid4()
        )
        assert hasattr(result, "state"), result
        await self.report(peer.id)

    def types(self) -> list[str]:
        return [event.type for event in self.store.events]


@pytest.fixture
async def watched() -> Watched:
    peering = make_peering()
    store = FakeWebhookStore(peering.store)
    woken: list[int] = []
    watch = LiquidityWatch(
        store=store,
        ledger=peering.ledger,
        clock=TickingClock(),
        on_event=lambda: woken.append(1),
    )
    clock = TickingClock()
    assets = AssetService(
        store=peering.store, liquidity=peering.liquidity, clock=clock, thresholds=watch
    )
    peers = PeerService(
        store=peering.store,
        liquidity=peering.liquidity,
        table=ConnectorPeerTable(
            directory=peering.directory, tokens=peering.index, routing=peering.routing
        ),
        clock=clock,
        thresholds=watch,
    )
    await watch.reconcile()
    return Watched(peering, store, watch, assets, peers, peering.peering_liquidity, woken)


async def make_asset(w: Watched, **thresholds: int | None) -> Asset:
    asset = await w.assets.create(CreateAsset(code="USD", scale=2, **thresholds))
    assert isinstance(asset, Asset)
    return asset


async def make_peer(
    w: Watched, asset: Asset, *, liquidity: int, low: int | None, high: int | None = None
) -> Peer:
    peer = await w.peers.create(
        CreatePeer(
            asset_id=asset.id,
            static_ilp_address="test.alice",
            http_outgoing=HttpOutgoing(auth_token="out", endpoint="http://alice.test"),
            liquidity_threshold=low,
            liquidity_high_threshold=high,
            initial_liquidity=liquidity,
        )
    )
    assert isinstance(peer, Peer)
    return peer


async def test_one_event_per_crossing_and_another_after_going_back(watched: Watched) -> None:
    asset = await make_asset(watched)
    peer = await make_peer(watched, asset, liquidity=1_000, low=100)
    assert watched.store.events == []  # created above its threshold: armed, no event

    await watched.withdraw(peer, 850)  # 150: still above
    await watched.withdraw(peer, 50)  # 100: at the threshold, low
    await watched.withdraw(peer, 30)  # 70: still low, no second event
    await watched.withdraw(peer, 20)

    assert watched.types() == ["peer.liquidity_low"]
    [event] = watched.store.events
    assert event.data == {
        "id": str(peer.id),
        "asset": {"id": str(asset.id), "code": "USD", "scale": 2},
        "liquidityThreshold": "100",
        "balance": "100",
    }
    assert watched.woken == [1]

    await watched.deposit(peer, 500)  # 550: back above, re-armed silently
    assert watched.types() == ["peer.liquidity_low"]
    await watched.withdraw(peer, 460)  # 90: crosses again

    assert watched.types() == ["peer.liquidity_low", "peer.liquidity_low"]
    assert watched.store.events[1].data["balance"] == "90"
    assert watched.store.alerts[peer.id].state is AlertState.LOW


async def test_high_threshold_crossed_upward(watched: Watched) -> None:
    asset = await make_asset(watched)
    peer = await make_peer(watched, asset, liquidity=500, low=100, high=1_000)

    await watched.deposit(peer, 499)  # 999
    assert watched.store.events == []
    await watched.deposit(peer, 1)  # 1000: high
    await watched.deposit(peer, 5)

    assert watched.types() == ["peer.liquidity_high"]
    assert watched.store.events[0].data["liquidityHighThreshold"] == "1000"
    assert watched.store.events[0].data["liquidityThreshold"] == "100"

    await watched.withdraw(peer, 950)  # 55: straight from high to low
    assert watched.types() == ["peer.liquidity_high", "peer.liquidity_low"]


async def test_the_quiet_band_follows_the_state_seen_and_the_thresholds(watched: Watched) -> None:
    """The ledger reports a balance only outside the band: it must move with every crossing
    and every change of thresholds, in the same step."""
    asset = await make_asset(watched)
    peer = await make_peer(watched, asset, liquidity=1_000, low=100, high=2_000)
    key = peer.id.int
    assert watched.watch.watched[key] == (101, 1_999)  # normal

    await watched.withdraw(peer, 950)  # 50: low
    assert watched.watch.watched[key] == (BALANCE_MIN, 100)
    await watched.peers.update(UpdatePeer(id=peer.id, liquidity_threshold=20))  # 50: normal now
    assert watched.watch.watched[key] == (21, 1_999)
    await watched.deposit(peer, 1_950)  # 2000: high
    assert watched.watch.watched[key] == (2_000, BALANCE_MAX)
    await watched.peers.update(UpdatePeer(id=peer.id, liquidity_high_threshold=None))
    assert watched.watch.watched[key] == (21, BALANCE_MAX)
    assert watched.types() == ["peer.liquidity_low", "peer.liquidity_high"]


async def test_a_random_walk_sends_one_event_per_crossing(watched: Watched) -> None:
    """Many small moves around both thresholds, reported only outside the quiet bands as the
    ledger does: every crossing into low or high is recorded, nothing else."""
    asset = await make_asset(watched)
    peer = await make_peer(watched, asset, liquidity=500, low=400, high=600)
    account = watched.store.alerts[peer.id]
    state = AlertState.NORMAL
    expected: list[str] = []
    balance = 500
    moves = random.Random(22)
    for _ in range(300):
        amount = moves.randint(1, 60)
        if moves.random() < 0.5 and balance - amount >= 0:
            await watched.withdraw(peer, amount)
            balance -= amount
        else:
            await watched.deposit(peer, amount)
            balance += amount
        now = (
            AlertState.LOW
            if balance <= 400
            else AlertState.HIGH
            if balance >= 600
            else AlertState.NORMAL
        )
        if now is not state and now is not AlertState.NORMAL:
            expected.append(f"peer.liquidity_{now.value}")
        state = now

    assert len(expected) > 10  # the walk did cross, both ways
    assert watched.types() == expected
    assert account.state is state


async def test_an_asset_threshold(watched: Watched) -> None:
    asset = await make_asset(watched, liquidity_threshold=10)
    result = await watched.liquidity.deposit_to_asset(
        asset_id=asset.id, amount=50, transfer_id=uuid4()
    )
    assert hasattr(result, "state")
    await watched.report(asset.id)
    withdrawn = await watched.liquidity.withdraw_from_asset(
        asset_id=asset.id, amount=45, transfer_id=uuid4(), timeout_seconds=0
    )
    assert hasattr(withdrawn, "state")
    await watched.report(asset.id)

    assert watched.types() == ["asset.liquidity_low"]
    assert watched.store.events[0].data["id"] == str(asset.id)


async def test_setting_a_threshold_is_not_a_crossing(watched: Watched) -> None:
    asset = await make_asset(watched)
    peer = await make_peer(watched, asset, liquidity=50, low=None)
    assert peer.id.int not in watched.watch.watched

    updated = await watched.peers.update(UpdatePeer(id=peer.id, liquidity_threshold=100))

    assert isinstance(updated, Peer)
    assert peer.id.int in watched.watch.watched
    assert watched.store.events == []  # already low when the threshold was set: armed low
    await watched.withdraw(peer, 10)
    assert watched.store.events == []
    await watched.deposit(peer, 100)  # 140: normal
    await watched.withdraw(peer, 50)  # 90: a crossing
    assert watched.types() == ["peer.liquidity_low"]


async def test_a_crossing_missed_before_a_restart_is_recorded_by_the_reconciliation(
    watched: Watched,
) -> None:
    asset = await make_asset(watched)
    peer = await make_peer(watched, asset, liquidity=1_000, low=100)
    # The balance moves while nobody reports it (the process died after the ledger commit).
    result = await watched.liquidity.withdraw_from_peer(
        peer_id=peer.id, amount=950, transfer_id=uuid4(), timeout_seconds=0
    )
    assert hasattr(result, "state")
    assert watched.store.events == []

    restarted = LiquidityWatch(
        store=watched.store, ledger=watched.peering.ledger, clock=TickingClock()
    )
    await restarted.reconcile()
    await restarted.reconcile()  # and only once

    assert watched.types() == ["peer.liquidity_low"]
    assert watched.store.events[0].data["balance"] == "50"


async def test_clearing_thresholds_and_deleting_forget_the_account(watched: Watched) -> None:
    asset = await make_asset(watched, liquidity_threshold=5)
    peer = await make_peer(watched, asset, liquidity=0, low=10)
    assert set(watched.store.alerts) == {asset.id, peer.id}

    await watched.peers.update(UpdatePeer(id=peer.id, liquidity_threshold=None))
    await watched.assets.update(UpdateAsset(id=asset.id, liquidity_threshold=None))

    assert watched.store.alerts == {}
    assert watched.watch.watched == {}


async def test_only_state_changes_are_queued(watched: Watched) -> None:
    asset = await make_asset(watched)
    peer = await make_peer(watched, asset, liquidity=1_000, low=100)
    accounts = await watched.peering.ledger.lookup_accounts([AccountId(peer.id.int)])
    watched.store.failing = True

    for _ in range(1_000):  # the same balance reported again and again: nothing to record
        watched.watch.balances_changed(accounts)

    await watched.watch.flush()  # would raise if anything had been queued


async def test_a_failed_settle_keeps_the_crossing_for_later(watched: Watched) -> None:
    asset = await make_asset(watched)
    peer = await make_peer(watched, asset, liquidity=1_000, low=100)
    watched.store.failing = True
    await watched.liquidity.withdraw_from_peer(
        peer_id=peer.id, amount=950, transfer_id=uuid4(), timeout_seconds=0
    )
    accounts = await watched.peering.ledger.lookup_accounts([AccountId(peer.id.int)])
    watched.watch.balances_changed(accounts)
    with pytest.raises(ConnectionError):
        await watched.watch.flush()

    watched.store.failing = False
    await watched.watch.flush()

    assert watched.types() == ["peer.liquidity_low"]


async def test_a_crossing_judged_by_stale_thresholds_is_judged_again_with_the_stored_ones(
    watched: Watched,
) -> None:
    asset = await make_asset(watched)
    peer = await make_peer(watched, asset, liquidity=1_000, low=100)
    await watched.watch.start()
    try:
        # Another process raised the threshold to 500 and armed it; this one has not heard yet.
        stored = watched.peering.store.state.peers[peer.id]
        watched.peering.store.state.peers[peer.id] = replace(stored, liquidity_threshold=500)
        watched.store.alerts[peer.id].thresholds = (500, None)
        await watched.withdraw(peer, 950)  # 50: low by either threshold
        for _ in range(100):  # the background task re-reads the thresholds
            if watched.store.events:
                break
            await asyncio.sleep(0.01)
    finally:
        await watched.watch.close()

    assert watched.types() == ["peer.liquidity_low"]
    assert watched.store.events[0].data["liquidityThreshold"] == "500"
