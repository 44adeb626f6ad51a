"""A connector over an in-memory ledger, three peers and a scripted next hop (no I/O)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from uuid import uuid4

from ilpnode.accounting import (
    AssetAccounts,
    LiquidityService,
    PacketAccounting,
    PeerAccount,
    WalletAddressAccount,
)
from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.metrics import PacketMetrics
from ilpnode.connector.middleware.stream_receiver import LocalReceiving
from ilpnode.connector.pipeline import Connector, ConnectorOptions
from ilpnode.connector.rates import ExchangeRates
from ilpnode.connector.receive_metrics import ReceiveMetrics
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.types import Reply
from ilpnode.hosted_wallets import HostedWalletAddress
from ilpnode.ilp import Fulfill, Prepare, Reject, decode_prepare, decode_reply, encode_prepare
from ilpnode.ilp.stream import ReceiverConnections, StreamCredentials, new_connection
from ilpnode.ledger import CreateTransferResult, MemoryLedger, Transfer, TransferId
from ilpnode.peer_table import ForwardingPeer
from ilpnode.services.payments import ReceivedTally, WalletAddressDirectory

PREIMAGE = bytes(range(32))
CONDITION = hashlib.sha256(PREIMAGE).digest()
STREAM_SECRET = bytes(range(100, 132))


class Clock:
    def __init__(self) -> None:
        self.value_ns = 1_800_000_000 * 10**9

    def now_ns(self) -> int:
        return self.value_ns

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.value_ns / 1e9, UTC)


@dataclass
class ScriptedHop:
    """The next hop: records what it was sent and answers with `answer(prepare)` (after a turn
    of the event loop if `suspend`, as a real next hop does)."""

    answer: Callable[[Prepare], Reply] = lambda _p: Fulfill(fulfillment=PREIMAGE)
    sent: list[tuple[ForwardingPeer, Prepare]] = field(default_factory=list)
    timeouts: list[float] = field(default_factory=list)
    suspend: bool = False

    async def send(self, peer: ForwardingPeer, body: bytes, *, timeout_seconds: float) -> Reply:
        prepare = decode_prepare(body)
        self.sent.append((peer, prepare))
        self.timeouts.append(timeout_seconds)
        if self.suspend:
            await asyncio.sleep(0)
        return self.answer(prepare)


class SuspendingLedger:
    """What the connector asks of the ledger, answered by `ledger` after a turn of the event
    loop, as the durable ledger answers when it waits for a commit."""

    def __init__(self, ledger: MemoryLedger) -> None:
        self._ledger = ledger

    async def create_transfers(
        self, transfers: Sequence[Transfer], *, durable: bool = True
    ) -> list[CreateTransferResult]:
        await asyncio.sleep(0)
        return await self._ledger.create_transfers(transfers, durable=durable)


@dataclass
class World:
    connector: Connector
    ledger: MemoryLedger
    clock: Clock
    hop: ScriptedHop
    peers: dict[str, ForwardingPeer]
    metrics: PacketMetrics
    routing: RoutingTable
    wallets: WalletAddressDirectory = field(default_factory=WalletAddressDirectory)
    receiving: LocalReceiving | None = None
    tally: ReceivedTally = field(default_factory=ReceivedTally)

    def connect(self, wallet: str, *, receipts: bool = False) -> StreamCredentials:
        """New STREAM credentials for wallet address `wallet` (as its SPSP endpoint gives)."""
        hosted = next(w for w in self.wallets.all() if w.url.endswith(f"/{wallet}"))
        return new_connection(
            STREAM_SECRET,
            "test.node",
            payment_tag=hosted.payment_tag,
            nonce=uuid4().bytes[:12],
            receipt_nonce=bytes(16) if receipts else None,
            receipt_secret=bytes(range(32)) if receipts else None,
            asset_code=hosted.asset_code,
            asset_scale=hosted.asset_scale,
        )

    def wallet(self, name: str) -> HostedWalletAddress:
        return next(w for w in self.wallets.all() if w.url.endswith(f"/{name}"))

    async def balance(self, wallet: str) -> int:
        """What wallet address `wallet` holds (posted credits minus debits)."""
        [account] = await self.ledger.lookup_accounts([self.wallet(wallet).account.account_id])
        return account.credits_posted - account.debits_posted

    async def pending(self, wallet: str) -> int:
        [account] = await self.ledger.lookup_accounts([self.wallet(wallet).account.account_id])
        return account.credits_pending

    async def send(self, prepare: Prepare, *, sender: str = "alice") -> Reply:
        raw = encode_prepare(prepare)
        return decode_reply(await self.connector.handle(self.peers[sender], prepare, raw))

    async def liquidity(self, name: str) -> int:
        [account] = await self.ledger.lookup_accounts([self.peers[name].account.account_id])
        return account.credits_posted - account.debits_posted - account.debits_pending

    def prepare(
        self, destination: str, amount: int, *, expires_in: float = 10.0, data: bytes = b""
    ) -> Prepare:
        return Prepare(
            amount=amount,
            expires_at=self.clock.now() + timedelta(seconds=expires_in),
            execution_condition=CONDITION,
            destination=destination,
            data=data,
        )


async def make_world(
    *,
    options: ConnectorOptions | None = None,
    rates: dict[str, dict[str, Fraction]] | None = None,
    liquidity: int = 1_000,
    alice_max: int | None = 500,
    suspend: bool = False,
    packet_ledger: Callable[[MemoryLedger], object] | None = None,
    receiving: bool = False,
) -> World:
    """`suspend`: the next hop and the ledger answer after a turn of the event loop.
    `packet_ledger`: what the connector's packet accounting uses, made from the world's ledger
    (a wrapper that injects faults, say). `receiving`: the node hosts wallet addresses
    `https://wallets.test/{usd,eur,off}` (USD scale 2, EUR scale 4, `off` inactive, USD) and
    receives STREAM payments into them."""
    clock = Clock()
    ledger = MemoryLedger(clock=clock)
    liquidity_service = LiquidityService(ledger=ledger)
    usd, eur = AssetAccounts(asset_id=uuid4(), ledger=1), AssetAccounts(asset_id=uuid4(), ledger=2)
    for asset in (usd, eur):
        await liquidity_service.create_asset_accounts(asset)
    routing, directory = RoutingTable(), PeerDirectory()
    peers: dict[str, ForwardingPeer] = {}
    specs = [
        ("alice", "test.alice", usd, "USD", 2, alice_max),
        ("bob", "test.bob", usd, "USD", 2, None),
        ("carol", "test.carol", eur, "EUR", 4, None),
    ]
    for name, address, asset, code, scale, maximum in specs:
        peer_id = uuid4()
        account = PeerAccount.for_peer(
            peer_id=peer_id, asset_id=asset.asset_id, ledger=asset.ledger
        )
        await liquidity_service.create_peer_account(account)
        peer = ForwardingPeer(
            id=peer_id,
            name=name,
            static_ilp_address=address,
            asset_id=asset.asset_id,
            asset_code=code,
            asset_scale=scale,
            max_packet_amount=maximum,
            endpoint=f"http://{name}.example/ilp",
            outgoing_token=f"to-{name}",
            account=account,
        )
        peers[name] = peer
        directory.put(peer)
        routing.add(address, peer_id, asset.asset_id)
        await liquidity_service.deposit(transfer_id=uuid4(), account=account, amount=liquidity)
    # The EUR asset must hold liquidity for packets converted into it.
    await _deposit_asset(ledger, eur)
    hop = ScriptedHop(suspend=suspend)
    metrics = PacketMetrics()
    wallets = WalletAddressDirectory()
    tally = ReceivedTally()
    local: LocalReceiving | None = None
    if receiving:
        for name, asset, code, scale, active in [
            ("usd", usd, "USD", 2, True),
            ("eur", eur, "EUR", 4, True),
            ("off", usd, "USD", 2, False),
        ]:
            wallet_id = uuid4()
            wallet_account = WalletAddressAccount.for_wallet_address(
                wallet_address_id=wallet_id, asset_id=asset.asset_id, ledger=asset.ledger
            )
            await liquidity_service.create_wallet_address_account(wallet_account)
            hosted = HostedWalletAddress(
                id=wallet_id,
                url=f"https://wallets.test/{name}",
                public_name=None,
                active=active,
                asset_id=asset.asset_id,
                asset_code=code,
                asset_scale=scale,
                account=wallet_account,
            )
            with wallets.observing() as stamp:
                wallets.install(stamp, wallet_id, hosted)
        local = LocalReceiving(
            server_secret=STREAM_SECRET,
            wallets=wallets,
            connections=ReceiverConnections(),
            metrics=ReceiveMetrics(),
            payments=tally,
        )
    connector = Connector(
        own_address="test.node",
        routing=routing,
        directory=directory,
        rates=ExchangeRates(static=rates or {}, source=None, lifetime_ms=1000, clock=clock),
        accounting=PacketAccounting(
            ledger=packet_ledger(ledger)  # type: ignore[arg-type]
            if packet_ledger is not None
            else SuspendingLedger(ledger)
            if suspend
            else ledger
        ),
        client=hop,
        clock=clock,
        metrics=metrics,
        options=options or ConnectorOptions(),
        receiving=local,
    )
    return World(connector, ledger, clock, hop, peers, metrics, routing, wallets, local, tally)


async def _deposit_asset(ledger: MemoryLedger, asset: AssetAccounts) -> None:
    [result] = await ledger.create_transfers(
        [
            Transfer(
                id=TransferId(uuid4().int),
                debit_account_id=asset.settlement_account_id,
                credit_account_id=asset.liquidity_account_id,
                amount=10**9,
                ledger=asset.ledger,
                code=2,
            )
        ]
    )
    assert result.ok, result


def reject_code(reply: Reply) -> tuple[str, str]:
    assert isinstance(reply, Reject), reply
    return reply.code, reply.triggered_by
