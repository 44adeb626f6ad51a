"""The wallet address repository and the secret store on SQLite and PostgreSQL, and wallet
address change notices reaching another process's directory through the change feed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg
import pytest
from sqlalchemy import text

from ilpnode.accounting import LiquidityService
from ilpnode.clock import SystemClock
from ilpnode.ledger import MemoryLedger
from ilpnode.services.payments import (
    CreateWalletAddress,
    OpenPaymentsUrls,
    UpdateWalletAddress,
    WalletAddress,
    WalletAddressDirectory,
    WalletAddressError,
    WalletAddressService,
    WalletAddressStatus,
)
from ilpnode.services.peering import (
    Asset,
    AssetService,
    CreateAsset,
    PageRequest,
    SortOrder,
    SyncCounts,
)
from ilpnode.storage.change_feed import ChangeFeed
from ilpnode.storage.change_notice import CHANNEL
from ilpnode.storage.database import Database, asyncpg_dsn
from ilpnode.storage.migrate import migrate
from ilpnode.storage.peering_repository import SqlPeeringStore
from ilpnode.storage.secret_store import SqlSecretStore
from ilpnode.storage.wallet_address_repository import SqlWalletAddressStore
from tests.support import ManualClock

WAIT_SECONDS = 10.0
BASE = "https://wallet.example/"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def services(database: Database) -> tuple[AssetService, WalletAddressService]:
    liquidity = LiquidityService(ledger=MemoryLedger(clock=ManualClock()))
    clock = SystemClock()
    assets = AssetService(store=SqlPeeringStore(database), liquidity=liquidity, clock=clock)
    wallet_addresses = WalletAddressService(
        store=SqlWalletAddressStore(database),
        liquidity=liquidity,
        directory=WalletAddressDirectory(),
        urls=OpenPaymentsUrls(BASE),
        clock=clock,
    )
    return assets, wallet_addresses


async def usd(assets: AssetService) -> Asset:
    asset = await assets.create(CreateAsset(code="USD", scale=2))
    assert isinstance(asset, Asset)
    return asset


def row(asset_id: UUID, url: str) -> WalletAddress:
    return WalletAddress(
        id=uuid4(), url=url, asset_id=asset_id, public_name=None, created_at=NOW, updated_at=NOW
    )


async def test_constraints_become_the_ports_errors(database: Database) -> None:
    assets, _ = services(database)
    asset = await usd(assets)
    store = SqlWalletAddressStore(database)
    first = row(asset.id, f"{BASE}alice")
    async with store.transaction() as tx:
        assert await tx.insert_wallet_address(first) is None
        # The failed insert undoes only itself: the transaction goes on.
        duplicate = row(asset.id, first.url)
        assert (
            await tx.insert_wallet_address(duplicate) is WalletAddressError.DuplicateWalletAddress
        )
        orphan = row(uuid4(), f"{BASE}bob")
        assert await tx.insert_wallet_address(orphan) is WalletAddressError.UnknownAsset
        assert await tx.update_wallet_address(row(asset.id, f"{BASE}nobody")) is False
    async with store.transaction() as tx:
        assert await tx.wallet_address_by_url(first.url) == first
        assert await tx.wallet_address_by_id(first.id) == first
        assert await tx.all_wallet_addresses() == [first]
        page = await tx.wallet_address_page(
            PageRequest(cursor=None, backward=False, limit=10, sort_order=SortOrder.ASC)
        )
        assert page.items == (first,)
    peering = SqlPeeringStore(database)
    async with peering.transaction() as ptx:
        assert await ptx.asset_in_use(asset.id) is True  # a wallet address uses it


async def test_the_first_secret_stored_is_everyones(database_url: str) -> None:
    one, two = Database(database_url), Database(database_url)
    try:
        if one.is_sqlite:
            await migrate(one)
        stores = [SqlSecretStore(one), SqlSecretStore(two)]
        answers = await asyncio.gather(
            *(store.keep_first("stream_secret", f"candidate-{i}") for i, store in enumerate(stores))
        )
        assert answers[0] == answers[1]
        assert answers[0] in ("candidate-0", "candidate-1")
        assert await stores[0].keep_first("stream_secret", "later") == answers[0]  # never changed
        assert await stores[1].keep_first("other", "x") == "x"  # by name
    finally:
        await one.close()
        await two.close()


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(int(WAIT_SECONDS / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"waited {WAIT_SECONDS} s for {what}")


@pytest.fixture
async def pg(storage_pg_url: str) -> str:
    """The session's PostgreSQL database, emptied of assets and wallet addresses."""
    database = Database(storage_pg_url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("TRUNCATE assets, wallet_addresses CASCADE"))
    finally:
        await database.close()
    return storage_pg_url


@pytest.mark.postgres
async def test_another_process_hears_wallet_address_changes(pg: str) -> None:
    one_db, two_db = Database(pg), Database(pg)
    heard: list[str] = []
    listener = await asyncpg.connect(asyncpg_dsn(pg))
    await listener.add_listener(CHANNEL, lambda *args: heard.append(args[3]))
    assets, writer = services(one_db)
    _, reader = services(two_db)
    peers_target = _NoPeers()
    feed = ChangeFeed(
        dsn=asyncpg_dsn(pg), target=peers_target, reconcile_seconds=3600, wallet_addresses=reader
    )
    try:
        await feed.start()
        assert feed.state == "ok"
        asset = await usd(assets)
        created = await writer.create(CreateWalletAddress(asset_id=asset.id, address="alice"))
        assert isinstance(created, WalletAddress)
        await until(lambda: reader.directory.get(created.id) is not None, "the new wallet address")
        entry = reader.directory.get(created.id)
        assert entry is not None
        assert (entry.url, entry.active, entry.asset_code) == (f"{BASE}alice", True, "USD")
        updated = await writer.update(
            UpdateWalletAddress(id=created.id, status=WalletAddressStatus.INACTIVE)
        )
        assert isinstance(updated, WalletAddress)

        def inactive() -> bool:
            found = reader.directory.get(created.id)
            return found is not None and not found.active

        await until(inactive, "the deactivation")
        refused = await writer.create(CreateWalletAddress(asset_id=asset.id, address="ALICE"))
        assert refused is WalletAddressError.DuplicateWalletAddress
        await listener.fetchval("SELECT 1")
        await asyncio.sleep(0.05)
        wallet_notices = [notice for notice in heard if notice.startswith("wallet_address:")]
        assert wallet_notices == [f"wallet_address:{created.id}"] * 2  # a refusal sends none
    finally:
        await feed.close()
        await listener.close()
        await one_db.close()
        await two_db.close()


class _NoPeers:
    """A peer target with nothing to do (this test changes no peer)."""

    async def refresh_peers(
        self, peer_ids: Iterable[UUID], *, asset_ids: Iterable[UUID] = ()
    ) -> SyncCounts:
        return SyncCounts()

    async def reconcile(self) -> SyncCounts:
        return SyncCounts()
