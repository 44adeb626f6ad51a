"""Ledger records: ids, flags, `Account`, `Transfer` and `ExpiredTransfer` (TigerBeetle's names).

The same frozen dataclasses serve as the *input* of `create_accounts`/`create_transfers` (with
`timestamp = 0`, balances 0) and as the *records* the engine stores, returns from lookups and
writes to its journal (with the assigned `timestamp`). Field sizes follow TigerBeetle's binary
layout, except that amounts and balances are u64 (DESIGN §3) instead of u128.

A value outside its field's size (a negative amount, an id over 2**128 - 1, a `code` over u16, …)
cannot be built: `__post_init__` raises `ValueError`. That is a programming error in the caller,
not a business failure. Values that fit the field but are not allowed (an id of 0, a reserved flag
bit, a zero amount, …) are accepted here and refused by the engine with a status.

Time: `timestamp` is nanoseconds since the Unix epoch, assigned by the engine (never by the
caller), unique and strictly increasing across all records, and at most `TIMESTAMP_MAX`.
`timeout` is an interval in whole seconds (TigerBeetle: robust to clock skew).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final, NewType, TypeAlias

__all__ = [
    "AMOUNT_MAX",
    "CODE_MAX",
    "ID_INT_MAX",
    "LEDGER_MAX",
    "NANOSECONDS_PER_SECOND",
    "TIMEOUT_SECONDS_MAX",
    "TIMESTAMP_MAX",
    "Account",
    "AccountFlags",
    "AccountId",
    "ExpiredTransfer",
    "JournalEntry",
    "Transfer",
    "TransferFlags",
    "TransferId",
]

AccountId = NewType("AccountId", int)
"""A client-chosen u128 account id. 0 and `ID_INT_MAX` are reserved (refused with a status)."""

TransferId = NewType("TransferId", int)
"""A client-chosen u128 transfer id, the idempotency key. 0 and `ID_INT_MAX` are reserved."""

ID_INT_MAX: Final = 2**128 - 1
"""The largest u128; reserved as an id (TigerBeetle `id_must_not_be_int_max`)."""

AMOUNT_MAX: Final = 2**64 - 1
"""Amounts and every balance field are u64: no balance may ever exceed this (OVERFLOWS_*)."""

LEDGER_MAX: Final = 2**32 - 1  # TigerBeetle `ledger` is u32
CODE_MAX: Final = 2**16 - 1  # TigerBeetle `code` is u16
TIMEOUT_SECONDS_MAX: Final = 2**32 - 1  # TigerBeetle `timeout` is u32 seconds
USER_DATA_128_MAX: Final = 2**128 - 1
USER_DATA_64_MAX: Final = 2**64 - 1
USER_DATA_32_MAX: Final = 2**32 - 1
FLAGS_MAX: Final = 2**16 - 1  # flags are u16; unknown bits inside u16 get RESERVED_FLAG

TIMESTAMP_MAX: Final = 2**63 - 1
"""Timestamps are u63 nanoseconds (TigerBeetle keeps the top bit of its u64 timestamp)."""

NANOSECONDS_PER_SECOND: Final = 1_000_000_000


# Flags as bits. A record's `flags` is one of these IntFlags, whose `&` and `|` are Python-level
# calls; the ledger's hot paths test bits on a plain int instead, read as `record.flags + 0`:
# IntFlag keeps int's `+`, so interpreted it is one C addition, and compiled an unboxing with no
# call at all (where `int(record.flags)` is a call either way; measured in docs/benchmarks.md).


class AccountFlags(enum.IntFlag):
    """Account flags (TigerBeetle bit positions). Unknown bits are refused with RESERVED_FLAG."""

    NONE = 0
    LINKED = 1 << 0
    """Chain this account with the next one in the batch: all are created or none."""
    DEBITS_MUST_NOT_EXCEED_CREDITS = 1 << 1
    """Refuse a transfer if `debits_pending + debits_posted + amount > credits_posted`."""
    CREDITS_MUST_NOT_EXCEED_DEBITS = 1 << 2
    """Refuse a transfer if `credits_pending + credits_posted + amount > debits_posted`."""


class TransferFlags(enum.IntFlag):
    """Transfer flags (TigerBeetle bit positions). Unknown bits are refused with RESERVED_FLAG."""

    NONE = 0
    LINKED = 1 << 0
    """Chain this transfer with the next one in the batch: all succeed or none."""
    PENDING = 1 << 1
    """Reserve the amount in `*_pending`; resolved later by a post, a void or the timeout."""
    POST_PENDING_TRANSFER = 1 << 2
    """Post (all or part of) the pending transfer named by `pending_id`."""
    VOID_PENDING_TRANSFER = 1 << 3
    """Void the pending transfer named by `pending_id`."""


_PENDING_BIT: Final = 1 << 1  # TransferFlags.PENDING, as a plain int
_TRANSFER_FLAG_TYPES: Final = frozenset({TransferFlags, int})  # not bool


def _check_uint(name: str, value: int, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= maximum:
        raise ValueError(f"{name} must be in 0..{maximum}, got {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """An account: input to `create_accounts` (balances and timestamp 0) or a stored record.

    Accounts are immutable except for the four balance fields, which only transfers change, and
    they are never deleted (TigerBeetle "Guarantees").
    """

    id: AccountId
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0
    user_data_128: int = 0
    user_data_64: int = 0
    user_data_32: int = 0
    ledger: int = 0
    code: int = 0
    flags: AccountFlags = AccountFlags.NONE
    timestamp: int = 0

    def __post_init__(self) -> None:
        _check_uint("id", self.id, ID_INT_MAX)
        _check_uint("debits_pending", self.debits_pending, AMOUNT_MAX)
        _check_uint("debits_posted", self.debits_posted, AMOUNT_MAX)
        _check_uint("credits_pending", self.credits_pending, AMOUNT_MAX)
        _check_uint("credits_posted", self.credits_posted, AMOUNT_MAX)
        _check_uint("user_data_128", self.user_data_128, USER_DATA_128_MAX)
        _check_uint("user_data_64", self.user_data_64, USER_DATA_64_MAX)
        _check_uint("user_data_32", self.user_data_32, USER_DATA_32_MAX)
        _check_uint("ledger", self.ledger, LEDGER_MAX)
        _check_uint("code", self.code, CODE_MAX)
        _check_uint("flags", self.flags, FLAGS_MAX)
        _check_uint("timestamp", self.timestamp, TIMESTAMP_MAX)


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """A transfer: input to `create_transfers` (timestamp 0) or a stored, immutable record.

    A post or void is its own record with `pending_id` set; the pending record is never changed
    (STYLE rule 6). For post/void input, `debit_account_id`, `credit_account_id`, `ledger` and
    `code` may be 0 (meaning "as the pending transfer"); `amount` 0 means the full pending amount.
    The stored post/void record always has them filled in from the pending transfer.
    """

    id: TransferId
    debit_account_id: AccountId = AccountId(0)
    credit_account_id: AccountId = AccountId(0)
    amount: int = 0
    pending_id: TransferId = TransferId(0)
    user_data_128: int = 0
    user_data_64: int = 0
    user_data_32: int = 0
    timeout: int = 0
    """Seconds after `timestamp` at which a pending transfer expires; 0 = never."""
    ledger: int = 0
    code: int = 0
    flags: TransferFlags = TransferFlags.NONE
    timestamp: int = 0

    def __post_init__(self) -> None:
        # Fast path (every packet builds several): plain ints in range pass with no calls.
        if (
            type(self.id) is int
            and type(self.debit_account_id) is int
            and type(self.credit_account_id) is int
            and type(self.amount) is int
            and type(self.pending_id) is int
            and type(self.timeout) is int
            and type(self.timestamp) is int
            and type(self.user_data_128) is int
            and type(self.user_data_64) is int
            and type(self.user_data_32) is int
            and type(self.ledger) is int
            and type(self.code) is int
            and type(self.flags) in _TRANSFER_FLAG_TYPES
            and 0 <= self.id <= ID_INT_MAX
            and 0 <= self.debit_account_id <= ID_INT_MAX
            and 0 <= self.credit_account_id <= ID_INT_MAX
            and 0 <= self.amount <= AMOUNT_MAX
            and 0 <= self.pending_id <= ID_INT_MAX
            and 0 <= self.timeout <= TIMEOUT_SECONDS_MAX
            and 0 <= self.timestamp <= TIMESTAMP_MAX
            and 0 <= self.user_data_128 <= USER_DATA_128_MAX
            and 0 <= self.user_data_64 <= USER_DATA_64_MAX
            and 0 <= self.user_data_32 <= USER_DATA_32_MAX
            and 0 <= self.ledger <= LEDGER_MAX
            and 0 <= self.code <= CODE_MAX
            and 0 <= self.flags <= FLAGS_MAX
        ):
            return
        _check_uint("id", self.id, ID_INT_MAX)
        _check_uint("debit_account_id", self.debit_account_id, ID_INT_MAX)
        _check_uint("credit_account_id", self.credit_account_id, ID_INT_MAX)
        _check_uint("amount", self.amount, AMOUNT_MAX)
        _check_uint("pending_id", self.pending_id, ID_INT_MAX)
        _check_uint("user_data_128", self.user_data_128, USER_DATA_128_MAX)
        _check_uint("user_data_64", self.user_data_64, USER_DATA_64_MAX)
        _check_uint("user_data_32", self.user_data_32, USER_DATA_32_MAX)
        _check_uint("timeout", self.timeout, TIMEOUT_SECONDS_MAX)
        _check_uint("ledger", self.ledger, LEDGER_MAX)
        _check_uint("code", self.code, CODE_MAX)
        _check_uint("flags", self.flags, FLAGS_MAX)
        _check_uint("timestamp", self.timestamp, TIMESTAMP_MAX)

    @property
    def expires_at(self) -> int | None:
        """For a stored pending transfer with a timeout: its deadline in ns, else None.

        The transfer is expired at any ledger time `>= expires_at` (TigerBeetle's rule).
        """
        flags: int = self.flags + 0  # bits as a plain int: "Flags as bits" above
        if self.timeout == 0 or not flags & _PENDING_BIT:
            return None
        return self.timestamp + self.timeout * NANOSECONDS_PER_SECOND


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpiredTransfer:
    """The record of one pending transfer released by `expire_pending` at `timestamp`."""

    pending_id: TransferId
    timestamp: int

    def __post_init__(self) -> None:
        _check_uint("pending_id", self.pending_id, ID_INT_MAX)
        _check_uint("timestamp", self.timestamp, TIMESTAMP_MAX)


JournalEntry: TypeAlias = Account | Transfer | ExpiredTransfer
"""One accepted state change, in the order the engine applied it (see `engine.py`)."""


def is_pending_transfer(entry: JournalEntry) -> bool:
    """Whether `entry` is a pending transfer (a reservation), not a post, void or expiry."""
    if not isinstance(entry, Transfer):
        return False
    flags: int = entry.flags + 0  # bits as a plain int: "Flags as bits" above
    return bool(flags & _PENDING_BIT)
