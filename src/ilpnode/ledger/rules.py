"""The validation rules of `create_accounts` / `create_transfers`, in precedence order.

Pure functions over the engine's current state; they never mutate it. Each returns the first
applicable status (see `statuses.py`) and, for a transfer that may be created, the exact record
to store. The order of the `if`s here *is* the documented precedence: keep them in the order the
enum members are declared (a test checks pairs of faults).
"""

from __future__ import annotations

from typing import Final

from ilpnode.ledger.limits import credits_exceed_debits, debits_exceed_credits
from ilpnode.ledger.model import (
    AMOUNT_MAX,
    ID_INT_MAX,
    NANOSECONDS_PER_SECOND,
    TIMESTAMP_MAX,
    Account,
    AccountFlags,
    Transfer,
    TransferFlags,
)
from ilpnode.ledger.state import AccountRow
from ilpnode.ledger.statuses import (
    CreateAccountStatus,
    CreateTransferStatus,
    TransferPendingStatus,
)
from ilpnode.ledger.trusted import trusted_transfer

__all__ = ["validate_account", "validate_transfer"]

_ACCOUNT_FLAGS_KNOWN = int(
    AccountFlags.LINKED
    | AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
)
_TRANSFER_FLAGS_KNOWN = int(
    TransferFlags.LINKED
    | TransferFlags.PENDING
    | TransferFlags.POST_PENDING_TRANSFER
    | TransferFlags.VOID_PENDING_TRANSFER
)
# Plain ints: bit tests on them are C operations, on enum members Python-level calls.
_PENDING = int(TransferFlags.PENDING)
_POST = int(TransferFlags.POST_PENDING_TRANSFER)
_VOID = int(TransferFlags.VOID_PENDING_TRANSFER)
# Final: compiled code reads these directly, where `CreateTransferStatus.CREATED` is a class
# attribute lookup (the statuses every packet meets; the failures keep their spelled-out names).
_CREATED: Final = CreateTransferStatus.CREATED
_PENDING_STATE: Final = TransferPendingStatus.PENDING


def validate_account(account: Account, existing: Account | None) -> CreateAccountStatus:
    """The status of creating `account`; `existing` is the stored account with its id, if any."""
    S = CreateAccountStatus
    flags = int(account.flags)
    if account.timestamp != 0:
        return S.TIMESTAMP_MUST_BE_ZERO
    if flags & ~_ACCOUNT_FLAGS_KNOWN:
        return S.RESERVED_FLAG
    if account.id == 0:
        return S.ID_MUST_NOT_BE_ZERO
    if account.id == ID_INT_MAX:
        return S.ID_MUST_NOT_BE_INT_MAX
    limits = (
        AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
    )
    if flags & limits == limits:
        return S.FLAGS_ARE_MUTUALLY_EXCLUSIVE
    if account.debits_pending != 0:
        return S.DEBITS_PENDING_MUST_BE_ZERO
    if account.debits_posted != 0:
        return S.DEBITS_POSTED_MUST_BE_ZERO
    if account.credits_pending != 0:
        return S.CREDITS_PENDING_MUST_BE_ZERO
    if account.credits_posted != 0:
        return S.CREDITS_POSTED_MUST_BE_ZERO
    if account.ledger == 0:
        return S.LEDGER_MUST_NOT_BE_ZERO
    if account.code == 0:
        return S.CODE_MUST_NOT_BE_ZERO
    if existing is None:
        return S.CREATED
    if flags != int(existing.flags):
        return S.EXISTS_WITH_DIFFERENT_FLAGS
    if account.user_data_128 != existing.user_data_128:
        return S.EXISTS_WITH_DIFFERENT_USER_DATA_128
    if account.user_data_64 != existing.user_data_64:
        return S.EXISTS_WITH_DIFFERENT_USER_DATA_64
    if account.user_data_32 != existing.user_data_32:
        return S.EXISTS_WITH_DIFFERENT_USER_DATA_32
    if account.ledger != existing.ledger:
        return S.EXISTS_WITH_DIFFERENT_LEDGER
    if account.code != existing.code:
        return S.EXISTS_WITH_DIFFERENT_CODE
    return S.EXISTS


def validate_transfer(
    transfer: Transfer,
    timestamp: int,
    accounts: dict[int, AccountRow],
    transfers: dict[int, Transfer],
    pending: dict[int, TransferPendingStatus],
) -> tuple[CreateTransferStatus, Transfer | None]:
    """The status of creating `transfer` at ledger time `timestamp`, and the record to store.

    The record is returned only with CREATED. EXISTS means `transfers[transfer.id]` matches.
    """
    S = CreateTransferStatus
    t = transfer
    flags: int = t.flags + 0  # bits as a plain int: see model.py
    if t.timestamp != 0:
        return S.TIMESTAMP_MUST_BE_ZERO, None
    if flags & ~_TRANSFER_FLAGS_KNOWN:
        return S.RESERVED_FLAG, None
    if t.id == 0:
        return S.ID_MUST_NOT_BE_ZERO, None
    if t.id == ID_INT_MAX:
        return S.ID_MUST_NOT_BE_INT_MAX, None
    if flags & (_POST | _VOID):
        return _validate_post_or_void(t, timestamp, transfers, pending)

    if t.debit_account_id == 0:
        return S.DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO, None
    if t.debit_account_id == ID_INT_MAX:
        return S.DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX, None
    if t.credit_account_id == 0:
        return S.CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO, None
    if t.credit_account_id == ID_INT_MAX:
        return S.CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX, None
    if t.credit_account_id == t.debit_account_id:
        return S.ACCOUNTS_MUST_BE_DIFFERENT, None
    if t.pending_id != 0:
        return S.PENDING_ID_MUST_BE_ZERO, None
    if not flags & _PENDING and t.timeout != 0:
        return S.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER, None
    if t.amount == 0:
        return S.AMOUNT_MUST_NOT_BE_ZERO, None
    if t.ledger == 0:
        return S.LEDGER_MUST_NOT_BE_ZERO, None
    if t.code == 0:
        return S.CODE_MUST_NOT_BE_ZERO, None
    dr = accounts.get(t.debit_account_id)
    if dr is None:
        return S.DEBIT_ACCOUNT_NOT_FOUND, None
    cr = accounts.get(t.credit_account_id)
    if cr is None:
        return S.CREDIT_ACCOUNT_NOT_FOUND, None
    if dr.ledger != cr.ledger:
        return S.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER, None
    if t.ledger != dr.ledger:
        return S.TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS, None

    # An existing transfer must not be influenced by the current balances (TigerBeetle).
    existing = transfers.get(t.id)
    if existing is not None:
        return _transfer_exists(t, existing), None

    amount = t.amount
    if flags & _PENDING:
        if dr.debits_pending + amount > AMOUNT_MAX:
            return S.OVERFLOWS_DEBITS_PENDING, None
        if cr.credits_pending + amount > AMOUNT_MAX:
            return S.OVERFLOWS_CREDITS_PENDING, None
    # Checked for pending transfers too: they may be posted later.
    if dr.debits_posted + amount > AMOUNT_MAX:
        return S.OVERFLOWS_DEBITS_POSTED, None
    if cr.credits_posted + amount > AMOUNT_MAX:
        return S.OVERFLOWS_CREDITS_POSTED, None
    if dr.debits_pending + dr.debits_posted + amount > AMOUNT_MAX:
        return S.OVERFLOWS_DEBITS, None
    if cr.credits_pending + cr.credits_posted + amount > AMOUNT_MAX:
        return S.OVERFLOWS_CREDITS, None
    if timestamp + t.timeout * NANOSECONDS_PER_SECOND > TIMESTAMP_MAX:
        return S.OVERFLOWS_TIMEOUT, None
    if debits_exceed_credits(dr, amount):
        return S.EXCEEDS_CREDITS, None
    if credits_exceed_debits(cr, amount):
        return S.EXCEEDS_DEBITS, None
    return _CREATED, _stamped(t, timestamp)


def _stamped(t: Transfer, timestamp: int) -> Transfer:
    """`t` with its timestamp (`dataclasses.replace`, spelled out: it is on the packet path)."""
    return trusted_transfer(
        id=t.id,
        debit_account_id=t.debit_account_id,
        credit_account_id=t.credit_account_id,
        amount=t.amount,
        pending_id=t.pending_id,
        user_data_128=t.user_data_128,
        user_data_64=t.user_data_64,
        user_data_32=t.user_data_32,
        timeout=t.timeout,
        ledger=t.ledger,
        code=t.code,
        flags=t.flags,
        timestamp=timestamp,
    )


def _validate_post_or_void(
    t: Transfer,
    timestamp: int,
    transfers: dict[int, Transfer],
    pending: dict[int, TransferPendingStatus],
) -> tuple[CreateTransferStatus, Transfer | None]:
    S = CreateTransferStatus
    flags: int = t.flags + 0  # bits as a plain int: see model.py
    if (flags & _POST and flags & _VOID) or flags & _PENDING:
        return S.FLAGS_ARE_MUTUALLY_EXCLUSIVE, None
    if t.pending_id == 0:
        return S.PENDING_ID_MUST_NOT_BE_ZERO, None
    if t.pending_id == ID_INT_MAX:
        return S.PENDING_ID_MUST_NOT_BE_INT_MAX, None
    if t.pending_id == t.id:
        return S.PENDING_ID_MUST_BE_DIFFERENT, None
    if t.timeout != 0:
        return S.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER, None
    p = transfers.get(t.pending_id)
    if p is None:
        return S.PENDING_TRANSFER_NOT_FOUND, None
    pending_flags: int = p.flags + 0
    if not pending_flags & _PENDING:
        return S.PENDING_TRANSFER_NOT_PENDING, None
    # Zero means "as the pending transfer" for the accounts, ledger, code and amount.
    if t.debit_account_id != 0 and t.debit_account_id != p.debit_account_id:
        return S.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID, None
    if t.credit_account_id != 0 and t.credit_account_id != p.credit_account_id:
        return S.PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID, None
    if t.ledger != 0 and t.ledger != p.ledger:
        return S.PENDING_TRANSFER_HAS_DIFFERENT_LEDGER, None
    if t.code != 0 and t.code != p.code:
        return S.PENDING_TRANSFER_HAS_DIFFERENT_CODE, None
    amount = t.amount if t.amount != 0 else p.amount
    if amount > p.amount:
        return S.EXCEEDS_PENDING_TRANSFER_AMOUNT, None
    if flags & _VOID and amount < p.amount:
        return S.PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT, None

    existing = transfers.get(t.id)
    if existing is not None:
        return _post_or_void_exists(t, existing, p), None

    state = pending[p.id]
    if state is not _PENDING_STATE:
        if state is TransferPendingStatus.POSTED:
            return S.PENDING_TRANSFER_ALREADY_POSTED, None
        if state is TransferPendingStatus.VOIDED:
            return S.PENDING_TRANSFER_ALREADY_VOIDED, None
        if state is TransferPendingStatus.EXPIRED:
            return S.PENDING_TRANSFER_EXPIRED, None
    expires_at = p.expires_at
    if expires_at is not None and expires_at <= timestamp:
        return S.PENDING_TRANSFER_EXPIRED, None  # due but not swept yet: still refused
    # A post cannot overflow: debits_pending + debits_posted already include p.amount.
    return _CREATED, trusted_transfer(
        id=t.id,
        debit_account_id=p.debit_account_id,
        credit_account_id=p.credit_account_id,
        amount=amount,
        pending_id=t.pending_id,
        user_data_128=t.user_data_128 or p.user_data_128,
        user_data_64=t.user_data_64 or p.user_data_64,
        user_data_32=t.user_data_32 or p.user_data_32,
        timeout=0,
        ledger=p.ledger,
        code=p.code,
        flags=t.flags,
        timestamp=timestamp,
    )


def _transfer_exists(t: Transfer, e: Transfer) -> CreateTransferStatus:
    S = CreateTransferStatus
    # The flags change the meaning of the other fields, so they are compared first.
    if int(t.flags) != int(e.flags):
        return S.EXISTS_WITH_DIFFERENT_FLAGS
    if t.debit_account_id != e.debit_account_id:
        return S.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID
    if t.credit_account_id != e.credit_account_id:
        return S.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID
    assert t.ledger == e.ledger, "same accounts imply the same ledger"
    assert t.pending_id == 0, "not a post/void"
    assert e.pending_id == 0, "same flags as t, so not a post/void either"
    if t.amount != e.amount:
        return S.EXISTS_WITH_DIFFERENT_AMOUNT
    if t.user_data_128 != e.user_data_128:
        return S.EXISTS_WITH_DIFFERENT_USER_DATA_128
    if t.user_data_64 != e.user_data_64:
        return S.EXISTS_WITH_DIFFERENT_USER_DATA_64
    if t.user_data_32 != e.user_data_32:
        return S.EXISTS_WITH_DIFFERENT_USER_DATA_32
    if t.timeout != e.timeout:
        return S.EXISTS_WITH_DIFFERENT_TIMEOUT
    if t.code != e.code:
        return S.EXISTS_WITH_DIFFERENT_CODE
    return S.EXISTS


def _post_or_void_exists(t: Transfer, e: Transfer, p: Transfer) -> CreateTransferStatus:
    S = CreateTransferStatus
    if int(t.flags) != int(e.flags):  # `e` need not be a post/void
        return S.EXISTS_WITH_DIFFERENT_FLAGS
    if (t.amount or p.amount) != e.amount:
        return S.EXISTS_WITH_DIFFERENT_AMOUNT
    if t.pending_id != e.pending_id:
        return S.EXISTS_WITH_DIFFERENT_PENDING_ID
    # Zero user data means "as the pending transfer", which is what `e` stored then.
    if (t.user_data_128 or p.user_data_128) != e.user_data_128:
        return S.EXISTS_WITH_DIFFERENT_USER_DATA_128
    if (t.user_data_64 or p.user_data_64) != e.user_data_64:
        return S.EXISTS_WITH_DIFFERENT_USER_DATA_64
    if (t.user_data_32 or p.user_data_32) != e.user_data_32:
        return S.EXISTS_WITH_DIFFERENT_USER_DATA_32
    return S.EXISTS
