"""Ledger records built from values already known to fit their fields, without checking them.

The engine makes records from values it validated or made itself: per packet, two stored
transfers and their results; per account, one record in every snapshot. Through the dataclass
`__init__`, each would run `__post_init__` and set every frozen field with `object.__setattr__`.
These functions store the fields directly instead. Nothing here is faster for any other caller:
code that builds a record from values it did not check builds it with the class, which refuses
values that do not fit.

The one module that knows how mypyc lays out the records. Compiled (tools/build_compiled.py),
`Transfer`, `Account` and `CreateTransferResult` are native classes: compiled code stores their
fields without a lookup, but their dataclass `__init__` stays interpreted Python (mypyc applies
the decorator at run time). So compiled, this module stores the fields as attributes (the
`_NATIVE` branches); from the sources, the records are slotted classes whose frozen
`__setattr__` refuses that, and the slots' own descriptors set them. Both branches make equal
records (`tests/unit/ledger/test_model.py`).
"""

# The `_NATIVE` branches assign the frozen records' fields, which mypy reports as [misc]
# ("read-only property"); this is the one module that does, on purpose.
# mypy: disable-error-code="misc"

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from ilpnode.ledger.model import Account, AccountId, Transfer, TransferFlags, TransferId
from ilpnode.ledger.statuses import CreateTransferResult, CreateTransferStatus

__all__ = ["account_with_balances", "transfer_result", "trusted_transfer"]

# Compiled records and this module compiled with them (`ilpnode.compiled` runs all or none).
_NATIVE: Final = hasattr(Transfer, "__mypyc_attrs__") and not __file__.endswith(".py")
_new = object.__new__
# The native classes' own `__new__`, looked up once: through the class, each call would look it
# up along the type's MRO first.
_NEW_TRANSFER: Final[Callable[[type[Transfer]], Transfer]] = Transfer.__new__
_NEW_ACCOUNT: Final[Callable[[type[Account]], Account]] = Account.__new__
_NEW_RESULT: Final[Callable[[type[CreateTransferResult]], CreateTransferResult]] = (
    CreateTransferResult.__new__
)
_NO_ACCOUNT: Final = AccountId(0)
_NO_TRANSFER: Final = TransferId(0)

_TRANSFER_SETTERS: Final = tuple(
    getattr(Transfer, name).__set__
    for name in (
        "id",
        "debit_account_id",
        "credit_account_id",
        "amount",
        "pending_id",
        "user_data_128",
        "user_data_64",
        "user_data_32",
        "timeout",
        "ledger",
        "code",
        "flags",
        "timestamp",
    )
)
_ACCOUNT_COPIERS: Final = tuple(
    (getattr(Account, name).__get__, getattr(Account, name).__set__)
    for name in (
        "id",
        "user_data_128",
        "user_data_64",
        "user_data_32",
        "ledger",
        "code",
        "flags",
        "timestamp",
    )
)
_ACCOUNT_BALANCE_SETTERS: Final = tuple(
    getattr(Account, name).__set__
    for name in ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
)
_RESULT_SETTERS: Final = tuple(
    getattr(CreateTransferResult, name).__set__ for name in ("index", "status", "timestamp")
)


def trusted_transfer(
    *,
    id: TransferId,
    debit_account_id: AccountId = _NO_ACCOUNT,
    credit_account_id: AccountId = _NO_ACCOUNT,
    amount: int = 0,
    pending_id: TransferId = _NO_TRANSFER,
    user_data_128: int = 0,
    user_data_64: int = 0,
    user_data_32: int = 0,
    timeout: int = 0,
    ledger: int = 0,
    code: int = 0,
    flags: TransferFlags = TransferFlags.NONE,
    timestamp: int = 0,
) -> Transfer:
    """A `Transfer` from values the caller knows fit their fields (not checked): the engine's
    stored records, derived from a validated input and the engine's own clock."""
    if _NATIVE:
        native: Transfer = _NEW_TRANSFER(Transfer)
        native.id = id
        native.debit_account_id = debit_account_id
        native.credit_account_id = credit_account_id
        native.amount = amount
        native.pending_id = pending_id
        native.user_data_128 = user_data_128
        native.user_data_64 = user_data_64
        native.user_data_32 = user_data_32
        native.timeout = timeout
        native.ledger = ledger
        native.code = code
        native.flags = flags
        native.timestamp = timestamp
        return native
    record: Transfer = _new(Transfer)
    (s_id, s_debit, s_credit, s_amount, s_pending, s_u128, s_u64, s_u32, s_timeout, s_ledger,
     s_code, s_flags, s_timestamp) = _TRANSFER_SETTERS  # fmt: skip
    s_id(record, id)
    s_debit(record, debit_account_id)
    s_credit(record, credit_account_id)
    s_amount(record, amount)
    s_pending(record, pending_id)
    s_u128(record, user_data_128)
    s_u64(record, user_data_64)
    s_u32(record, user_data_32)
    s_timeout(record, timeout)
    s_ledger(record, ledger)
    s_code(record, code)
    s_flags(record, flags)
    s_timestamp(record, timestamp)
    return record


def account_with_balances(
    account: Account,
    debits_pending: int,
    debits_posted: int,
    credits_pending: int,
    credits_posted: int,
) -> Account:
    """`account` with these balances (not checked): the engine's view of a stored account,
    whose balances it keeps in range."""
    if _NATIVE:
        native: Account = _NEW_ACCOUNT(Account)
        native.id = account.id
        native.debits_pending = debits_pending
        native.debits_posted = debits_posted
        native.credits_pending = credits_pending
        native.credits_posted = credits_posted
        native.user_data_128 = account.user_data_128
        native.user_data_64 = account.user_data_64
        native.user_data_32 = account.user_data_32
        native.ledger = account.ledger
        native.code = account.code
        native.flags = account.flags
        native.timestamp = account.timestamp
        return native
    record: Account = _new(Account)
    for get, set_ in _ACCOUNT_COPIERS:
        set_(record, get(account))
    s_debits_pending, s_debits_posted, s_credits_pending, s_credits_posted = (
        _ACCOUNT_BALANCE_SETTERS
    )
    s_debits_pending(record, debits_pending)
    s_debits_posted(record, debits_posted)
    s_credits_pending(record, credits_pending)
    s_credits_posted(record, credits_posted)
    return record


def transfer_result(
    index: int, status: CreateTransferStatus, timestamp: int | None
) -> CreateTransferResult:
    """The engine's result for the transfer at `index` (its own values, not checked)."""
    if _NATIVE:
        native: CreateTransferResult = _NEW_RESULT(CreateTransferResult)
        native.index = index
        native.status = status
        native.timestamp = timestamp
        return native
    result: CreateTransferResult = _new(CreateTransferResult)
    s_index, s_status, s_timestamp = _RESULT_SETTERS
    s_index(result, index)
    s_status(result, status)
    s_timestamp(result, timestamp)
    return result
