"""The change feed on the test PostgreSQL: notices sent in the writing transaction, a second
"process" (its own `Database`, `PeerService` and memory) refreshed by them, a killed listener
that comes back and catches up, the periodic reconcile, and failures that are retried.

`Process` one writes through its service; process two only listens. Waits poll up to
`WAIT_SECONDS` (a bound for a hung test, not a timing assertion).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from uuid import UUID, uuid4

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ilpnode.accounting import LiquidityService
from ilpnode.clock import SystemClock
from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.peer_table import ConnectorPeerTable
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.token_index import TokenIndex
from ilpnode.ledger import MemoryLedger
from ilpnode.services.peering import (
    Asset,
    AssetService,
    CreateAsset,
    CreatePeer,
    HttpOutgoing,
    Peer,
    PeerService,
    SyncCounts,
    UpdateAsset,
    UpdatePeer,
)
from ilpnode.storage.change_feed import MAX_BATCH, ChangeFeed
from ilpnode.storage.change_notice import CHANNEL
from ilpnode.storage.database import Database, asyncpg_dsn
from ilpnode.storage.peering_repository import SqlPeeringStore
from tests.support import ManualClock, migrated_throwaway_database, run_on_server

pytestmark = pytest.mark.postgres

WAIT_SECONDS = 10.0
OUT = HttpOutgoing(auth_token="out", endpoint="http://bob.example/ilp")


@pytest.fixture(scope="module")
def feed_db_url() -> Iterator[str]:
    """A database of this module's own: one test refuses connections to it for a while."""
    yield from migrated_throwaway_database()


@dataclass
class Process:
    database: Database
    store: SqlPeeringStore
    routing: RoutingTable
    index: TokenIndex
    directory: PeerDirectory
    peers: PeerService
    assets: AssetService


def process(url: str) -> Process:
    database = Database(url)
    store = SqlPeeringStore(database)
    liquidity = LiquidityService(ledger=MemoryLedger(clock=ManualClock()))
    routing, index, directory = RoutingTable(), TokenIndex(), PeerDirectory()
    clock = SystemClock()
    peers = PeerService(
        store=store,
        liquidity=liquidity,
        table=ConnectorPeerTable(directory=directory, tokens=index, routing=routing),
        clock=clock,
    )
    assets = AssetService(store=store, liquidity=liquidity, clock=clock)
    return Process(database, store, routing, index, directory, peers, assets)


@pytest.fixture
async def pair(feed_db_url: str) -> AsyncIterator[tuple[Process, Process]]:
    one, two = process(feed_db_url), process(feed_db_url)
    async with one.database.engine.begin() as connection:
        await connection.execute(text("TRUNCATE assets, peers, peer_incoming_tokens CASCADE"))
    try:
        yield one, two
    finally:
        await one.database.close()
        await two.database.close()


@pytest.fixture
async def feed(pair: tuple[Process, Process], feed_db_url: str) -> AsyncIterator[ChangeFeed]:
    """Process two's feed; no periodic reconcile within a test (notices only)."""
    feed = ChangeFeed(dsn=asyncpg_dsn(feed_db_url), target=pair[1].peers, reconcile_seconds=3600)
    await feed.start()
    try:
        yield feed
    finally:
        await feed.close()


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(int(WAIT_SECONDS / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"waited {WAIT_SECONDS} s for {what}")


async def usd(one: Process) -> Asset:
    asset = await one.assets.create(CreateAsset(code="USD", scale=2))
    assert isinstance(asset, Asset)
    return asset


async def bob(one: Process, asset: Asset, token: str = "in-1") -> Peer:
    request = CreatePeer(
        asset_id=asset.id,
        static_ilp_address="test.bob",
        http_outgoing=OUT,
        incoming_tokens=[token],
    )
    peer = await one.peers.create(request)
    assert isinstance(peer, Peer)
    return peer


async def notices_of(url: str, write: Callable[[], Awaitable[None]]) -> list[str]:
    """The notices PostgreSQL delivers while `write()` (awaitable) runs."""
    heard: list[str] = []
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.add_listener(CHANNEL, lambda *args: heard.append(args[3]))
        await write()
        await connection.fetchval("SELECT 1")  # notices delivered before this answer
        await asyncio.sleep(0.05)
    finally:
        await connection.close()
    return heard


async def test_every_write_notifies_once_committed_and_failures_never(
    pair: tuple[Process, Process], feed_db_url: str
) -> None:
    one, _ = pair
    asset: list[Asset] = []
    peer: list[Peer] = []

    async def create() -> None:
        asset.append(await usd(one))
        peer.append(await bob(one, asset[0]))

    assert await notices_of(feed_db_url, create) == [
        f"asset:{asset[0].id}",
        f"peer:{peer[0].id}",
    ]

    async def change_then_fail() -> None:
        await one.peers.update(UpdatePeer(id=peer[0].id, incoming_tokens=["in-2"]))
        duplicate = CreatePeer(
            asset_id=asset[0].id, static_ilp_address="test.bob", http_outgoing=OUT
        )
        assert not isinstance(await one.peers.create(duplicate), Peer)  # DuplicatePeer
        with pytest.raises(Boom):
            await write_then_fail(one.store, peer[0])  # rolled back: never heard
        await one.assets.update(UpdateAsset(id=asset[0].id, withdrawal_threshold=5))
        assert await one.peers.delete(peer[0].id) is None

    assert await notices_of(feed_db_url, change_then_fail) == [
        f"peer:{peer[0].id}",
        f"asset:{asset[0].id}",
        f"peer:{peer[0].id}",
    ]


class Boom(Exception):
    pass


async def write_then_fail(store: SqlPeeringStore, peer: Peer) -> None:
    async with store.transaction() as tx:
        assert await tx.update_peer(peer, None) is None
        raise Boom


async def test_notices_refresh_the_other_process(
    pair: tuple[Process, Process], feed: ChangeFeed, feed_db_url: str
) -> None:
    one, two = pair
    assert feed.state == "ok"
    asset = await usd(one)
    peer = await bob(one, asset)
    await until(lambda: two.index.peer_for_token("in-1") == peer.id, "the new peer")
    assert two.directory.get(peer.id) is not None

    await run_on_server_db(feed_db_url, f"SELECT pg_notify('{CHANNEL}', 'not a notice')")
    await one.peers.update(UpdatePeer(id=peer.id, incoming_tokens=["in-2"], routes=["g.far"]))
    await until(lambda: two.index.peer_for_token("in-2") == peer.id, "the new token")
    assert two.index.peer_for_token("in-1") is None
    assert two.routing.next_hop("g.far.x") == peer.id

    assert await one.peers.delete(peer.id) is None
    await until(lambda: two.directory.get(peer.id) is None, "the peer gone")
    assert (len(two.index), len(two.routing)) == (0, 0)
    assert feed.reconciles == 1  # only the catch-up after LISTEN: the rest came by notices


async def test_an_asset_notice_refreshes_its_peers(
    pair: tuple[Process, Process], feed: ChangeFeed, feed_db_url: str
) -> None:
    one, two = pair
    asset = await usd(one)
    peer = await bob(one, asset)
    await until(lambda: two.directory.get(peer.id) is not None, "the new peer")
    # No service changes an asset's code; the database is the truth whoever writes it.
    await run_on_server_db(
        feed_db_url,
        f"UPDATE assets SET code = 'USX' WHERE id = '{asset.id}'; "
        f"SELECT pg_notify('{CHANNEL}', 'asset:{asset.id}')",
    )
    await until(lambda: _code(two, peer.id) == "USX", "the asset's new code")


def _code(process: Process, peer_id: UUID) -> str | None:
    forwarding = process.directory.get(peer_id)
    return None if forwarding is None else forwarding.asset_code


async def test_a_killed_listener_goes_down_comes_back_and_catches_up(
    pair: tuple[Process, Process], feed: ChangeFeed, feed_db_url: str
) -> None:
    one, two = pair
    peer = await bob(one, await usd(one))
    await until(lambda: two.index.peer_for_token("in-1") == peer.id, "the new peer")
    name = make_url(feed_db_url).database
    # Refused reconnections keep the feed down while process one changes the peer.
    await run_on_server(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    try:
        await run_on_server(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE application_name = '{feed.application_name}'"
        )
        await until(lambda: feed.state == "down", "the feed down")
        await one.peers.update(UpdatePeer(id=peer.id, incoming_tokens=["in-2"]))
        await asyncio.sleep(0.3)
        assert two.index.peer_for_token("in-1") == peer.id  # nobody heard the notice
    finally:
        await run_on_server(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')

    await until(lambda: feed.state == "ok", "the feed back")
    assert feed.connections == 2
    assert two.index.peer_for_token("in-2") == peer.id  # caught up before saying "ok"
    assert two.index.peer_for_token("in-1") is None


async def test_the_periodic_reconcile_catches_a_change_without_a_notice(
    pair: tuple[Process, Process], feed_db_url: str
) -> None:
    one, two = pair
    peer = await bob(one, await usd(one))
    feed = ChangeFeed(dsn=asyncpg_dsn(feed_db_url), target=two.peers, reconcile_seconds=0.2)
    await feed.start()
    try:
        await run_on_server_db(
            feed_db_url,
            f"UPDATE peers SET outgoing_endpoint = 'http://moved.example' WHERE id = '{peer.id}'",
        )
        await until(lambda: _endpoint(two, peer.id) == "http://moved.example", "a reconcile")
        assert feed.reconciles >= 2
    finally:
        await feed.close()


def _endpoint(process: Process, peer_id: UUID) -> str | None:
    forwarding = process.directory.get(peer_id)
    return None if forwarding is None else forwarding.endpoint


class Flaky:
    """A target whose first `failures` calls fail, as with the database down; it records the
    calls."""

    def __init__(self, target: PeerService, failures: int = 0) -> None:
        self.target = target
        self.failures = failures
        self.calls: list[str] = []

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if len(self.calls) <= self.failures:
            raise ConnectionRefusedError("database down")

    async def refresh_peers(
        self, peer_ids: Iterable[UUID], *, asset_ids: Iterable[UUID] = ()
    ) -> SyncCounts:
        self._call("refresh")
        return await self.target.refresh_peers(peer_ids, asset_ids=asset_ids)

    async def reconcile(self) -> SyncCounts:
        self._call("reconcile")
        return await self.target.reconcile()


async def test_failed_refreshes_are_retried_until_they_work(
    pair: tuple[Process, Process], feed_db_url: str
) -> None:
    one, two = pair
    peer = await bob(one, await usd(one))
    flaky = Flaky(two.peers, failures=3)
    feed = ChangeFeed(dsn=asyncpg_dsn(feed_db_url), target=flaky, reconcile_seconds=3600)
    try:
        await feed.start(wait_seconds=0.05)
        await until(lambda: feed.state == "ok", "a reconcile that works")
        assert flaky.calls == ["reconcile"] * 4
        assert two.index.peer_for_token("in-1") == peer.id
    finally:
        await feed.close()


class Gated(Flaky):
    """A target whose refreshes wait for `gate`: the feed stays busy while notices pile up."""

    def __init__(self, target: PeerService) -> None:
        super().__init__(target)
        self.gate = asyncio.Event()

    async def refresh_peers(
        self, peer_ids: Iterable[UUID], *, asset_ids: Iterable[UUID] = ()
    ) -> SyncCounts:
        self._call("refresh")
        await self.gate.wait()
        return await self.target.refresh_peers(peer_ids, asset_ids=asset_ids)


async def test_a_burst_of_notices_is_one_reconcile(
    pair: tuple[Process, Process], feed_db_url: str
) -> None:
    # The burst arrives while the worker is busy with one refresh, so all of it is pending when
    # the worker next looks, however the socket split it (the test does not race the worker).
    _, two = pair
    gated = Gated(two.peers)
    feed = ChangeFeed(dsn=asyncpg_dsn(feed_db_url), target=gated, reconcile_seconds=3600)
    try:
        await feed.start()
        assert gated.calls == ["reconcile"]  # the catch-up after LISTEN
        await run_on_server_db(feed_db_url, f"SELECT pg_notify('{CHANNEL}', 'peer:{uuid4()}')")
        await until(lambda: gated.calls == ["reconcile", "refresh"], "the worker busy")
        burst = "; ".join(
            f"SELECT pg_notify('{CHANNEL}', 'peer:{uuid4()}')" for _ in range(MAX_BATCH + 1)
        )
        await run_on_server_db(feed_db_url, burst)
        await until(lambda: feed.pending == MAX_BATCH + 1, "the burst heard")
        gated.gate.set()
        await until(lambda: feed.reconciles == 2, "the burst handled")
        await asyncio.sleep(0.1)
        assert gated.calls == ["reconcile", "refresh", "reconcile"]  # not 201 refreshes
        assert feed.pending == 0
    finally:
        await feed.close()


class Unused:
    async def refresh_peers(
        self, peer_ids: Iterable[UUID], *, asset_ids: Iterable[UUID] = ()
    ) -> SyncCounts:
        raise AssertionError("never listening: nothing to refresh")

    async def reconcile(self) -> SyncCounts:
        raise AssertionError("never listening: nothing to reconcile")


async def test_an_unreachable_database_leaves_the_feed_down_not_the_process() -> None:
    # Port 9 (discard) on loopback has no PostgreSQL: connecting fails at once.
    feed = ChangeFeed(
        dsn="postgresql://postgres@127.0.0.1:9/none", target=Unused(), reconcile_seconds=3600
    )
    await feed.start(wait_seconds=0.2)
    assert (feed.state, feed.connections) == ("down", 0)
    await feed.close()


async def run_on_server_db(url: str, sql: str) -> None:
    """Statements in one transaction on the database at `url` (not through a node)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            await connection.execute(sql)
    finally:
        await connection.close()
