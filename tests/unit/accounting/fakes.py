"""A manual clock, a small world of assets and peers, and ledger wrappers for the tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from ilpnode.accounting import (
    AccountBalance,
    AssetAccounts,
    LiquidityAccount,
    LiquidityResult,
    LiquidityService,
    PacketAccount,
    PacketAccounting,
    PacketTransfer,
    PeerAccount,
)
from ilpnode.ledger import (
    NANOSECONDS_PER_SECOND,
    Account,
    AccountId,
    CreateAccountResult,
    CreateTransferResult,
    CreateTransferStatus,
    Ledger,
    MemoryLedger,
    Transfer,
    TransferId,
)
from tests.support import datetime_of_ns

T0 = 1_800_000_000 * NANOSECONDS_PER_SECOND  # an arbitrary "now", ns since the Unix epoch
USD_LEDGER = 1  # the peering guide's walk-through: USD, scale 2, ledger 1
EUR_LEDGER = 2


class ManualClock:
    """A clock that moves only when told to (satisfies `ilpnode.clock.Clock`). Integer ns."""

    def __init__(self, start_ns: int = T0) -> None:
        self.value_ns = start_ns

    def now_ns(self) -> int:
        return self.value_ns

    def now(self) -> datetime:
        return datetime_of_ns(self.value_ns)

    def advance(self, *, seconds: int = 0, ns: int = 0) -> None:
        self.value_ns += seconds * NANOSECONDS_PER_SECOND + ns


@dataclass(frozen=True, slots=True)
class World:
    """Two assets (USD on ledger 1, EUR on ledger 2) and three peers, accounts created."""

    clock: ManualClock
    ledger: MemoryLedger
    liquidity: LiquidityService
    packets: PacketAccounting
    usd: AssetAccounts
    eur: AssetAccounts
    alice: PeerAccount  # USD
    bob: PeerAccount  # USD
    carol: PeerAccount  # EUR

    async def fund(self, account: LiquidityAccount, amount: int) -> None:
        """Deposit `amount` into `account` (asserts success)."""
        result = await self.liquidity.deposit(transfer_id=uuid4(), account=account, amount=amount)
        assert isinstance(result, LiquidityResult), result

    async def balance_of(self, account_id: AccountId) -> AccountBalance:
        result = await self.liquidity.balance(account_id)
        assert isinstance(result, AccountBalance), result
        return result

    async def available(self, account: LiquidityAccount) -> int:
        """The liquidity balance of a peer or an asset."""
        if isinstance(account, PacketAccount):
            return (await self.balance_of(account.account_id)).balance
        return (await self.balance_of(account.liquidity_account_id)).balance

    async def settlement(self, asset: AssetAccounts) -> int:
        return (await self.balance_of(asset.settlement_account_id)).balance


async def make_world() -> World:
    clock = ManualClock()
    ledger = MemoryLedger(clock=clock)
    liquidity = LiquidityService(ledger=ledger)
    usd = AssetAccounts(asset_id=uuid4(), ledger=USD_LEDGER)
    eur = AssetAccounts(asset_id=uuid4(), ledger=EUR_LEDGER)
    alice, bob = (_peer(usd), _peer(usd))
    carol = _peer(eur)
    for asset in (usd, eur):
        await liquidity.create_asset_accounts(asset)
    for peer in (alice, bob, carol):
        await liquidity.create_peer_account(peer)
    return World(
        clock=clock,
        ledger=ledger,
        liquidity=liquidity,
        packets=PacketAccounting(ledger=ledger),
        usd=usd,
        eur=eur,
        alice=alice,
        bob=bob,
        carol=carol,
    )


def _peer(asset: AssetAccounts) -> PeerAccount:
    return PeerAccount.for_peer(peer_id=uuid4(), asset_id=asset.asset_id, ledger=asset.ledger)


def new_peer(asset: AssetAccounts) -> PeerAccount:
    """A peer account that is *not* created on the ledger."""
    return _peer(asset)


def uuid1_like() -> UUID:
    """A valid UUID that is not version 4 (Rafiki: InvalidId)."""
    return UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")


async def reserve(
    world: World,
    source: PeerAccount,
    destination: PeerAccount,
    source_amount: int,
    destination_amount: int,
    timeout_seconds: int = 30,
) -> PacketTransfer:
    packet = await world.packets.create_packet_transfer(
        source=source,
        destination=destination,
        source_amount=source_amount,
        destination_amount=destination_amount,
        timeout_seconds=timeout_seconds,
    )
    assert isinstance(packet, PacketTransfer), packet
    return packet


async def balances(world: World) -> dict[str, int]:
    return {
        "alice": await world.available(world.alice),
        "bob": await world.available(world.bob),
        "carol": await world.available(world.carol),
        "usd": await world.available(world.usd),
        "eur": await world.available(world.eur),
    }


async def funded(world: World) -> dict[str, int]:
    await world.fund(world.alice, 1_000)
    await world.fund(world.usd, 500)
    await world.fund(world.eur, 500)
    return await balances(world)


class YieldingLedger:
    """Delegates to a ledger but yields to the event loop first, like a backend doing I/O."""

    def __init__(self, inner: Ledger) -> None:
        self.inner = inner

    async def create_accounts(self, accounts: Sequence[Account]) -> list[CreateAccountResult]:
        await asyncio.sleep(0)
        return await self.inner.create_accounts(accounts)

    async def create_transfers(
        self, transfers: Sequence[Transfer], *, durable: bool = True
    ) -> list[CreateTransferResult]:
        await asyncio.sleep(0)
        return await self.inner.create_transfers(transfers, durable=durable)

    async def lookup_accounts(self, ids: Sequence[AccountId]) -> list[Account]:
        await asyncio.sleep(0)
        return await self.inner.lookup_accounts(ids)

    async def lookup_transfers(self, ids: Sequence[TransferId]) -> list[Transfer]:
        await asyncio.sleep(0)
        return await self.inner.lookup_transfers(ids)


class FaultyLedger(YieldingLedger):
    """Fails the next `create_transfers` call: with an exception, or with a bug status."""

    def __init__(self, inner: Ledger) -> None:
        super().__init__(inner)
        self.fault: Exception | CreateTransferStatus | None = None

    async def create_transfers(
        self, transfers: Sequence[Transfer], *, durable: bool = True
    ) -> list[CreateTransferResult]:
        fault, self.fault = self.fault, None
        if isinstance(fault, Exception):
            raise fault
        if fault is not None:
            return [
                CreateTransferResult(index=i, status=fault, timestamp=None)
                for i in range(len(transfers))
            ]
        return await super().create_transfers(transfers, durable=durable)
