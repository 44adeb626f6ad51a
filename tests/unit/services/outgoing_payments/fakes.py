"""In-memory stand-ins for the outgoing payment service's ports."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from ilpnode.accounting import (
    AssetAccounts,
    LiquidityService,
    OutgoingPaymentAccount,
    PeerAccount,
    WalletAddressAccount,
)
from ilpnode.ledger import MemoryLedger, Transfer, TransferId
from ilpnode.services.outgoing_payments import (
    ACTIVE_STATES,
    Funding,
    OutgoingPayment,
    OutgoingPaymentState,
    SendingFee,
)
from ilpnode.services.peering import Page, PageRequest, paginate
from tests.support import ManualClock

NO_FEE = SendingFee()


class WallClock:
    """A `Clock` over a `ManualClock` (the ledger's), so both move together."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock.now_ns() / 1e9, UTC)

    def now_ns(self) -> int:
        return self._clock.now_ns()


@dataclass
class MemoryPaymentStore:
    rows: dict[UUID, tuple[OutgoingPayment, str, datetime | None]] = field(default_factory=dict)
    writes: int = 0

    async def insert(self, payment: OutgoingPayment, *, owner: str, lease_until: datetime) -> bool:
        if payment.id in self.rows:
            return False
        self.rows[payment.id] = (payment, owner, lease_until)
        return True

    async def get(self, payment_id: UUID) -> OutgoingPayment | None:
        row = self.rows.get(payment_id)
        return None if row is None else row[0]

    async def page(
        self, request: PageRequest, *, wallet_address_id: UUID | None = None
    ) -> Page[OutgoingPayment]:
        items = [
            row[0]
            for row in self.rows.values()
            if wallet_address_id is None or row[0].wallet_address_id == wallet_address_id
        ]
        return paginate(items, request)

    async def write(
        self, payment: OutgoingPayment, *, owner: str, lease_until: datetime | None
    ) -> bool:
        row = self.rows.get(payment.id)
        if row is None or row[1] != owner:
            return False
        self.writes += 1
        self.rows[payment.id] = (payment, owner, lease_until)
        return True

    async def claim_stale(
        self, *, owner: str, now: datetime, lease_until: datetime, every_unfinished: bool
    ) -> list[OutgoingPayment]:
        claimed = []
        for payment, _, lease in list(self.rows.values()):
            if payment.state not in ACTIVE_STATES:
                continue
            if every_unfinished or lease is None or lease < now:
                self.rows[payment.id] = (payment, owner, lease_until)
                claimed.append(payment)
        return claimed

    def owner_of(self, payment_id: UUID) -> str:
        return self.rows[payment_id][1]


@dataclass
class Books:
    """A ledger with one USD asset (liquidity 1000), a wallet address holding 500, a peer."""

    ledger: MemoryLedger
    clock: ManualClock
    asset: AssetAccounts
    wallet: WalletAddressAccount
    peer: PeerAccount

    def payment(
        self,
        *,
        requested_debit: int | None = 300,
        requested_receive: int | None = None,
        send_target: int | None = 300,
        fee: SendingFee = NO_FEE,
        state: OutgoingPaymentState = OutgoingPaymentState.SENDING,
        delivered: int = 0,
    ) -> tuple[OutgoingPayment, Funding]:
        now = WallClock(self.clock).now()
        payment = OutgoingPayment(
            id=uuid4(),
            wallet_address_id=UUID(int=self.wallet.account_id),
            asset_id=self.asset.asset_id,
            asset_code="USD",
            asset_scale=2,
            ledger=1,
            receiver="https://wallet.example/bob",
            state=state,
            created_at=now,
            updated_at=now,
            requested_debit=requested_debit,
            requested_receive=requested_receive,
            fee_rate=fee,
            send_target=send_target,
            max_debit=requested_debit,
            delivered=delivered,
        )
        account = OutgoingPaymentAccount.for_payment(
            payment_id=payment.id, asset_id=self.asset.asset_id, ledger=1
        )
        funding = Funding(
            payment_id=payment.id,
            account=account,
            source_account_id=self.wallet.account_id,
            operator_account_id=self.asset.liquidity_account_id,
        )
        return payment, funding

    async def balance(self, account_id: int) -> tuple[int, int, int, int]:
        """(credits posted, debits posted, debits pending, available)."""
        [account] = await self.ledger.lookup_accounts([account_id])  # type: ignore[list-item]
        available = account.credits_posted - account.debits_posted - account.debits_pending
        return account.credits_posted, account.debits_posted, account.debits_pending, available


async def books() -> Books:
    clock = ManualClock()
    ledger = MemoryLedger(clock=clock)
    liquidity = LiquidityService(ledger=ledger)
    asset = AssetAccounts(asset_id=uuid4(), ledger=1)
    await liquidity.create_asset_accounts(asset)
    await liquidity.deposit(transfer_id=uuid4(), account=asset, amount=1000)
    wallet = WalletAddressAccount.for_wallet_address(
        wallet_address_id=uuid4(), asset_id=asset.asset_id, ledger=1
    )
    await liquidity.create_wallet_address_account(wallet)
    [funded] = await ledger.create_transfers(
        [
            Transfer(
                id=TransferId(uuid4().int),
                debit_account_id=asset.settlement_account_id,
                credit_account_id=wallet.account_id,
                amount=500,
                ledger=1,
                code=2,
            )
        ]
    )
    assert funded.ok
    peer = PeerAccount.for_peer(peer_id=uuid4(), asset_id=asset.asset_id, ledger=1)
    await liquidity.create_peer_account(peer)
    return Books(ledger, clock, asset, wallet, peer)


def lease(clock: ManualClock, seconds: float) -> datetime:
    return WallClock(clock).now() + timedelta(seconds=seconds)


__all__ = ["Books", "MemoryPaymentStore", "WallClock", "books", "lease", "replace"]
