"""ensure_ledger_accounts, and the compensations that keep rows and accounts in step."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from ilpnode.accounting import AssetAccounts, PeerAccount, UnknownAccount
from ilpnode.services.peering import (
    Asset,
    AssetError,
    CreateAsset,
    CreatePeer,
    HttpOutgoing,
    Peer,
    PeerError,
    ensure_ledger_accounts,
)

from .fakes import make_peering

OUT = HttpOutgoing(auth_token="out", endpoint="http://peer.example")
NOW = datetime(2027, 1, 1, tzinfo=UTC)


async def test_missing_accounts_are_created_and_present_ones_left_alone() -> None:
    p = make_peering()
    healthy = await p.assets.create(CreateAsset(code="USD", scale=2))
    assert not isinstance(healthy, AssetError)
    # rows written without their accounts, as a crash between commit and ledger call leaves them
    async with p.store.transaction() as tx:
        orphan = await tx.insert_asset(
            Asset(
                id=uuid4(),
                code="EUR",
                scale=2,
                ledger=0,
                withdrawal_threshold=None,
                liquidity_threshold=None,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        assert isinstance(orphan, Asset)
        peer = Peer(
            id=uuid4(),
            asset_id=orphan.id,
            static_ilp_address="test.p",
            routes=("test.p",),
            http_outgoing=OUT,
            max_packet_amount=None,
            name=None,
            liquidity_threshold=None,
            created_at=NOW,
            updated_at=NOW,
        )
        assert await tx.insert_peer(peer, []) is None
    orphan_accounts = AssetAccounts(asset_id=orphan.id, ledger=orphan.ledger)
    assert isinstance(
        await p.liquidity.balance(orphan_accounts.liquidity_account_id), UnknownAccount
    )

    assert await ensure_ledger_accounts(store=p.store, liquidity=p.liquidity) == 2
    assert await p.assets.liquidity(orphan) == 0
    assert await p.peers.liquidity(peer) == 0
    account = PeerAccount.for_peer(peer_id=peer.id, asset_id=orphan.id, ledger=orphan.ledger)
    assert not isinstance(await p.liquidity.balance(account.account_id), UnknownAccount)
    assert await ensure_ledger_accounts(store=p.store, liquidity=p.liquidity) == 0


async def test_a_failed_initial_deposit_leaves_no_peer() -> None:
    p = make_peering()
    asset = await p.assets.create(CreateAsset(code="USD", scale=2))
    assert not isinstance(asset, AssetError)
    request = CreatePeer(
        asset_id=asset.id,
        static_ilp_address="test.a",
        http_outgoing=OUT,
        initial_liquidity=2**64 - 1,
    )
    first = await p.peers.create(request)
    assert not isinstance(first, PeerError)
    # the settlement account's debits would pass u64: the ledger refuses the second deposit
    second = await p.peers.create(
        CreatePeer(
            asset_id=asset.id,
            static_ilp_address="test.b",
            http_outgoing=OUT,
            incoming_tokens=["b-token"],
            initial_liquidity=1,
        )
    )
    assert second is PeerError.InvalidInitialLiquidity
    assert [peer.static_ilp_address for peer in p.store.state.peers.values()] == ["test.a"]
    assert p.routing.next_hop("test.b") is None
    assert p.index.peer_for_token("b-token") is None
