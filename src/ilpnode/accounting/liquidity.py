"""Liquidity: creating the accounts, reading balances, deposits and withdrawals.

This is what the Admin API and the dashboard call (rafiki-peering §2.8, §6.2). Every operation is
one `create_transfers` call on the `Ledger` port, so it is atomic and, with a durable backend,
durable when it returns. Money moves only between an account and its asset's settlement account:

- deposit: settlement -> liquidity, posted at once (code DEPOSIT);
- withdrawal: liquidity -> settlement (code WITHDRAWAL); `timeout_seconds > 0` makes it pending
  (the amount is reserved at once and released if it is neither posted nor voided in time),
  `0` posts it at once;
- post/void of a pending withdrawal: a new transfer naming it (`pending_id`), with a fresh id.

Transfer ids are the caller's UUIDv4 (Rafiki: anything else is `InvalidId`). Each id names one
operation: reusing one answers `TransferExists`, even for an identical request (Rafiki's
DUPLICATE), so a retry can never move money twice. Business failures are returned as
`LiquidityError` values; exceptions mean a bug or an infrastructure fault (the ledger's I/O).

Decisions where Rafiki is inconsistent ([quirk] in the spec):

- Posting or voiding a withdrawal made with timeout 0 (single-phase, so already posted) answers
  `AlreadyPosted` for both (TigerBeetle says AlreadyVoided, Postgres AlreadyPosted): the money
  has left, and that is what the caller needs to hear.
- Post/void accept only withdrawals: the id of a deposit or of a packet transfer's leg answers
  `UnknownTransfer` (Rafiki would post or void any pending transfer by id, packet legs included).
- Checks run in this order: amount, id, timeout, then the ledger's (unknown account, duplicate
  id, balance). Rafiki checks the peer's existence before the id; the Admin API resolves the
  peer or asset before calling us anyway.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias
from uuid import UUID, uuid4

from ilpnode.accounting.accounts import (
    AccountBalance,
    AssetAccounts,
    PeerAccount,
    TransferCode,
    UnknownAccount,
    WalletAddressAccount,
)
from ilpnode.accounting.chart import (
    create_asset_accounts,
    create_peer_account,
    create_wallet_address_account,
    read_balances,
)
from ilpnode.accounting.errors import (
    LiquidityError,
    liquidity_error,
    transfer_error,
)
from ilpnode.ledger import (
    AMOUNT_MAX,
    AccountId,
    CreateTransferStatus,
    Ledger,
    Transfer,
    TransferFlags,
    TransferId,
)
from ilpnode.uuids import parse_uuid

__all__ = [
    "WITHDRAWAL_TIMEOUT_SECONDS_MAX",
    "LiquidityAccount",
    "LiquidityResult",
    "LiquidityService",
    "LiquidityState",
]

WITHDRAWAL_TIMEOUT_SECONDS_MAX: Final = 30 * 24 * 60 * 60
"""30 days. A withdrawal is pending while the money is being paid out off-ledger; a longer hold
is almost surely a mistake that would lock the liquidity for months (TigerBeetle allows u32)."""

LiquidityAccount: TypeAlias = PeerAccount | WalletAddressAccount | AssetAccounts
"""The accounts that hold liquidity: a peer's, a hosted wallet address's, or an asset's own."""


class LiquidityState(enum.Enum):
    """The state a liquidity operation left its transfer in."""

    PENDING = "PENDING"
    POSTED = "POSTED"
    VOIDED = "VOIDED"


@dataclass(frozen=True, slots=True, kw_only=True)
class LiquidityResult:
    """A successful liquidity operation: the caller's transfer id and the state it is now in."""

    transfer_id: UUID
    state: LiquidityState


class LiquidityService:
    """Accounts, balances, deposits and withdrawals over a `Ledger` (see the module docstring)."""

    def __init__(self, *, ledger: Ledger) -> None:
        self._ledger = ledger

    async def create_asset_accounts(self, asset: AssetAccounts) -> None:
        """Create an asset's liquidity and settlement accounts (see `chart.py`)."""
        await create_asset_accounts(self._ledger, asset)

    async def create_peer_account(self, peer: PeerAccount) -> None:
        """Create a peer's liquidity account (see `chart.py`)."""
        await create_peer_account(self._ledger, peer)

    async def create_wallet_address_account(self, wallet_address: WalletAddressAccount) -> None:
        """Create a hosted wallet address's liquidity account (see `chart.py`)."""
        await create_wallet_address_account(self._ledger, wallet_address)

    async def balances(
        self, account_ids: Sequence[AccountId]
    ) -> list[AccountBalance | UnknownAccount]:
        """Read several accounts' balances in one lookup (see `chart.read_balances`)."""
        return await read_balances(self._ledger, account_ids)

    async def balance(self, account_id: AccountId) -> AccountBalance | UnknownAccount:
        """Read one account's balances; see `balances`."""
        [result] = await self.balances([account_id])
        return result

    async def deposit(
        self, *, transfer_id: UUID | str, account: LiquidityAccount, amount: int
    ) -> LiquidityResult | LiquidityError:
        """Deposit liquidity: settlement -> `account`, posted at once.

        Args:
            transfer_id: the caller's UUIDv4, the transfer's id.
            account: the peer's or the asset's liquidity account.
            amount: in the asset's smallest unit, 1..2**64-1.

        Returns:
            `LiquidityResult(state=POSTED)`, or: AmountZero, InvalidAmount, InvalidId,
            UnknownPeer (the peer account does not exist), UnknownAsset (the asset's accounts do
            not exist), TransferExists (the id was used before). Raises only on infrastructure
            faults.
        """
        error = _check_amount(amount)
        id_ = _parse_id(transfer_id)
        if error is not None or id_ is None:
            return error or LiquidityError.InvalidId
        liquidity_id, settlement_id, unknown = _sides(account)
        transfer = Transfer(
            id=TransferId(id_.int),
            debit_account_id=settlement_id,
            credit_account_id=liquidity_id,
            amount=amount,
            ledger=account.ledger,
            code=TransferCode.DEPOSIT,
        )
        [result] = await self._ledger.create_transfers([transfer])
        error = _to_liquidity_error(
            result.status, unknown_debit=LiquidityError.UnknownAsset, unknown_credit=unknown
        )
        return error or LiquidityResult(transfer_id=id_, state=LiquidityState.POSTED)

    async def create_withdrawal(
        self,
        *,
        transfer_id: UUID | str,
        account: LiquidityAccount,
        amount: int,
        timeout_seconds: int,
    ) -> LiquidityResult | LiquidityError:
        """Withdraw liquidity: `account` -> settlement, pending or posted at once.

        Args:
            transfer_id: the caller's UUIDv4, the withdrawal's id (for `post_withdrawal`).
            account: the peer's, the wallet address's or the asset's liquidity account.
            amount: in the asset's smallest unit, 1..2**64-1.
            timeout_seconds: 0 posts at once; 1..WITHDRAWAL_TIMEOUT_SECONDS_MAX makes it
                pending, released automatically after that many seconds.

        Returns:
            `LiquidityResult` (state PENDING or POSTED), or: AmountZero, InvalidAmount,
            InvalidId, InvalidTimeout, UnknownPeer, UnknownWalletAddress, UnknownAsset,
            TransferExists,
            InsufficientBalance (amount > the available balance; nothing is reserved). Raises
            only on infrastructure faults.
        """
        error = _check_amount(amount)
        id_ = _parse_id(transfer_id)
        if error is not None or id_ is None:
            return error or LiquidityError.InvalidId
        if (
            isinstance(timeout_seconds, bool)
            or not isinstance(timeout_seconds, int)
            or not 0 <= timeout_seconds <= WITHDRAWAL_TIMEOUT_SECONDS_MAX
        ):
            return LiquidityError.InvalidTimeout
        liquidity_id, settlement_id, unknown = _sides(account)
        pending = timeout_seconds > 0
        transfer = Transfer(
            id=TransferId(id_.int),
            debit_account_id=liquidity_id,
            credit_account_id=settlement_id,
            amount=amount,
            timeout=timeout_seconds,
            ledger=account.ledger,
            code=TransferCode.WITHDRAWAL,
            flags=TransferFlags.PENDING if pending else TransferFlags.NONE,
        )
        [result] = await self._ledger.create_transfers([transfer])
        error = _to_liquidity_error(
            result.status, unknown_debit=unknown, unknown_credit=LiquidityError.UnknownAsset
        )
        state = LiquidityState.PENDING if pending else LiquidityState.POSTED
        return error or LiquidityResult(transfer_id=id_, state=state)

    async def post_withdrawal(self, withdrawal_id: UUID | str) -> LiquidityResult | LiquidityError:
        """Post (commit) a pending withdrawal, for its full amount.

        Args:
            withdrawal_id: the id given to `create_withdrawal`.

        Returns:
            `LiquidityResult(state=POSTED)`, or: InvalidId, UnknownTransfer (no such withdrawal),
            AlreadyPosted (posted before, or made with timeout 0), AlreadyVoided,
            TransferExpired (its timeout passed; the amount is back on the account). Raises only
            on infrastructure faults.
        """
        return await self._resolve(withdrawal_id, TransferFlags.POST_PENDING_TRANSFER)

    async def void_withdrawal(self, withdrawal_id: UUID | str) -> LiquidityResult | LiquidityError:
        """Void (roll back) a pending withdrawal: the amount is available again at once.

        Args:
            withdrawal_id: the id given to `create_withdrawal`.

        Returns:
            `LiquidityResult(state=VOIDED)`, or the errors of `post_withdrawal` (a withdrawal
            made with timeout 0 answers AlreadyPosted). Raises only on infrastructure faults.
        """
        return await self._resolve(withdrawal_id, TransferFlags.VOID_PENDING_TRANSFER)

    async def _resolve(
        self, withdrawal_id: UUID | str, flag: TransferFlags
    ) -> LiquidityResult | LiquidityError:
        id_ = _parse_id(withdrawal_id)
        if id_ is None:
            return LiquidityError.InvalidId
        pending_id = TransferId(id_.int)
        transfer = Transfer(
            id=TransferId(uuid4().int),
            pending_id=pending_id,
            code=TransferCode.WITHDRAWAL,  # refuses pending transfers of any other kind
            flags=flag,
        )
        [result] = await self._ledger.create_transfers([transfer])
        if result.status is CreateTransferStatus.PENDING_TRANSFER_NOT_PENDING:
            # Posted single-phase: AlreadyPosted if it is a withdrawal, else not one at all.
            [named] = await self._ledger.lookup_transfers([pending_id])
            if named.code != TransferCode.WITHDRAWAL:
                return LiquidityError.UnknownTransfer
        # A post/void names no account, so "unknown account" cannot happen: a bug if it did.
        error = _to_liquidity_error(
            result.status,
            unknown_debit=LiquidityError.UnknownError,
            unknown_credit=LiquidityError.UnknownError,
        )
        posted = flag is TransferFlags.POST_PENDING_TRANSFER
        state = LiquidityState.POSTED if posted else LiquidityState.VOIDED
        return error or LiquidityResult(transfer_id=id_, state=state)


def _to_liquidity_error(
    status: CreateTransferStatus, *, unknown_debit: LiquidityError, unknown_credit: LiquidityError
) -> LiquidityError | None:
    error = transfer_error(status)
    if error is None:
        return None
    return liquidity_error(error, unknown_debit=unknown_debit, unknown_credit=unknown_credit)


def _sides(account: LiquidityAccount) -> tuple[AccountId, AccountId, LiquidityError]:
    """(liquidity account, settlement account, the error if the liquidity account is missing)."""
    if isinstance(account, PeerAccount):
        return account.account_id, account.settlement_account_id, LiquidityError.UnknownPeer
    if isinstance(account, WalletAddressAccount):
        unknown = LiquidityError.UnknownWalletAddress
        return account.account_id, account.settlement_account_id, unknown
    return account.liquidity_account_id, account.settlement_account_id, LiquidityError.UnknownAsset


def _check_amount(amount: int) -> LiquidityError | None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        return LiquidityError.InvalidAmount
    if amount == 0:
        return LiquidityError.AmountZero
    if not 0 < amount <= AMOUNT_MAX:
        return LiquidityError.InvalidAmount
    return None


def _parse_id(value: UUID | str) -> UUID | None:
    """The caller's id as a UUIDv4 (canonical text, as Rafiki), or None (InvalidId)."""
    parsed = parse_uuid(value)
    if parsed is None or parsed.version != 4:
        return None
    return parsed
