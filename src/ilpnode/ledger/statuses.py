"""Ledger results: statuses in precedence order, per-event results, pending-transfer state.

Precedence: the members of `CreateAccountStatus` and `CreateTransferStatus` are declared (and
numbered) in descending precedence. When several statuses apply to one event, the engine returns
the one declared first; `CREATED` (0) means none applied. Which checks apply depends on the kind
of event (a post/void skips the account-id checks, a plain transfer the pending-transfer checks),
but every kind checks in declaration order, so the rule holds for each of them.

The order is TigerBeetle's *state machine* order (`src/state_machine.zig`, `create_transfer`,
`post_or_void_pending_transfer`, `create_account`), which differs from the order of the headings
in its `docs/reference/requests/create_transfers.md` in two places, on purpose:

- `LINKED_EVENT_CHAIN_OPEN` outranks `LINKED_EVENT_FAILED` (the code checks it first).
- The idempotency statuses (`EXISTS_WITH_DIFFERENT_*`, `EXISTS`) come *after* the validation of
  the event itself and of the accounts / pending transfer it names, but *before* the checks that
  depend on the current state: `PENDING_TRANSFER_ALREADY_POSTED/VOIDED/EXPIRED`, `OVERFLOWS_*`,
  `EXCEEDS_*`. So resubmitting an accepted transfer returns `EXISTS` even if the account has no
  credit left now, or if the pending transfer it posted has since been posted: a retry is safe.

Deviations from TigerBeetle (which is u128 and has more features):

- Numbering is ours (precedence order), not TigerBeetle's wire values.
- No `imported` flag, `balancing_*` flags, `closing_*` flags, `history`, `reserved` field: so no
  `IMPORTED_*`, `RESERVED_FIELD`, `*_ACCOUNT_ID_MUST_NOT_BE_INT_MAX` for post/void, etc.
- No `ID_ALREADY_FAILED`: an id whose transfer failed (e.g. `EXCEEDS_CREDITS`) may be reused, and
  a retry of it may succeed later. Recording failed ids would need a journal write per failure.
- No `EXISTS_WITH_DIFFERENT_LEDGER` for transfers: with the same accounts the ledger is equal
  (TigerBeetle asserts this), so the status could never be returned.
- `EXISTS` counts as success inside a linked chain (TigerBeetle breaks the chain on any
  non-`ok` result). So resubmitting a whole chain that was accepted returns `EXISTS` for every
  member instead of `EXISTS` + `LINKED_EVENT_FAILED`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "CreateAccountResult",
    "CreateAccountStatus",
    "CreateTransferResult",
    "CreateTransferStatus",
    "TransferPendingStatus",
]


class CreateAccountStatus(enum.IntEnum):
    """Per-account result of `create_accounts`, in descending precedence.

    `CREATED` and `EXISTS` are successes; every other member means the account was not created
    and nothing changed.
    """

    CREATED = 0
    LINKED_EVENT_CHAIN_OPEN = enum.auto()
    """The last event of the batch has `LINKED`: the chain never closes, so it fails."""
    LINKED_EVENT_FAILED = enum.auto()
    """Another event of this linked chain failed, so this one was rolled back / not applied."""
    TIMESTAMP_MUST_BE_ZERO = enum.auto()
    RESERVED_FLAG = enum.auto()
    ID_MUST_NOT_BE_ZERO = enum.auto()
    ID_MUST_NOT_BE_INT_MAX = enum.auto()
    FLAGS_ARE_MUTUALLY_EXCLUSIVE = enum.auto()
    """DEBITS_MUST_NOT_EXCEED_CREDITS and CREDITS_MUST_NOT_EXCEED_DEBITS together."""
    DEBITS_PENDING_MUST_BE_ZERO = enum.auto()
    DEBITS_POSTED_MUST_BE_ZERO = enum.auto()
    CREDITS_PENDING_MUST_BE_ZERO = enum.auto()
    CREDITS_POSTED_MUST_BE_ZERO = enum.auto()
    LEDGER_MUST_NOT_BE_ZERO = enum.auto()
    CODE_MUST_NOT_BE_ZERO = enum.auto()
    EXISTS_WITH_DIFFERENT_FLAGS = enum.auto()
    EXISTS_WITH_DIFFERENT_USER_DATA_128 = enum.auto()
    EXISTS_WITH_DIFFERENT_USER_DATA_64 = enum.auto()
    EXISTS_WITH_DIFFERENT_USER_DATA_32 = enum.auto()
    EXISTS_WITH_DIFFERENT_LEDGER = enum.auto()
    EXISTS_WITH_DIFFERENT_CODE = enum.auto()
    EXISTS = enum.auto()
    """An identical account (balances aside) exists: idempotent success, nothing changed."""

    @property
    def ok(self) -> bool:
        """True for CREATED and EXISTS: the account exists as requested."""
        return self is CreateAccountStatus.CREATED or self is CreateAccountStatus.EXISTS


class CreateTransferStatus(enum.IntEnum):
    """Per-transfer result of `create_transfers`, in descending precedence.

    `CREATED` and `EXISTS` are successes; every other member means the transfer was not created
    and nothing changed.
    """

    CREATED = 0
    LINKED_EVENT_CHAIN_OPEN = enum.auto()
    LINKED_EVENT_FAILED = enum.auto()
    TIMESTAMP_MUST_BE_ZERO = enum.auto()
    RESERVED_FLAG = enum.auto()
    ID_MUST_NOT_BE_ZERO = enum.auto()
    ID_MUST_NOT_BE_INT_MAX = enum.auto()
    FLAGS_ARE_MUTUALLY_EXCLUSIVE = enum.auto()
    """PENDING, POST_PENDING_TRANSFER and VOID_PENDING_TRANSFER: at most one of them."""
    DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO = enum.auto()
    DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX = enum.auto()
    CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO = enum.auto()
    CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX = enum.auto()
    ACCOUNTS_MUST_BE_DIFFERENT = enum.auto()
    PENDING_ID_MUST_BE_ZERO = enum.auto()
    """Only a post/void may name a pending transfer."""
    PENDING_ID_MUST_NOT_BE_ZERO = enum.auto()
    PENDING_ID_MUST_NOT_BE_INT_MAX = enum.auto()
    PENDING_ID_MUST_BE_DIFFERENT = enum.auto()
    TIMEOUT_RESERVED_FOR_PENDING_TRANSFER = enum.auto()
    AMOUNT_MUST_NOT_BE_ZERO = enum.auto()
    LEDGER_MUST_NOT_BE_ZERO = enum.auto()
    CODE_MUST_NOT_BE_ZERO = enum.auto()
    DEBIT_ACCOUNT_NOT_FOUND = enum.auto()
    CREDIT_ACCOUNT_NOT_FOUND = enum.auto()
    ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER = enum.auto()
    TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS = enum.auto()
    PENDING_TRANSFER_NOT_FOUND = enum.auto()
    PENDING_TRANSFER_NOT_PENDING = enum.auto()
    PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID = enum.auto()
    PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID = enum.auto()
    PENDING_TRANSFER_HAS_DIFFERENT_LEDGER = enum.auto()
    PENDING_TRANSFER_HAS_DIFFERENT_CODE = enum.auto()
    EXCEEDS_PENDING_TRANSFER_AMOUNT = enum.auto()
    PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT = enum.auto()
    """A void must have amount 0 or exactly the pending amount (partial release = partial post)."""
    EXISTS_WITH_DIFFERENT_FLAGS = enum.auto()
    EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID = enum.auto()
    EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID = enum.auto()
    EXISTS_WITH_DIFFERENT_AMOUNT = enum.auto()
    EXISTS_WITH_DIFFERENT_PENDING_ID = enum.auto()
    EXISTS_WITH_DIFFERENT_USER_DATA_128 = enum.auto()
    EXISTS_WITH_DIFFERENT_USER_DATA_64 = enum.auto()
    EXISTS_WITH_DIFFERENT_USER_DATA_32 = enum.auto()
    EXISTS_WITH_DIFFERENT_TIMEOUT = enum.auto()
    EXISTS_WITH_DIFFERENT_CODE = enum.auto()
    EXISTS = enum.auto()
    """An identical transfer exists: idempotent success, nothing changed."""
    PENDING_TRANSFER_ALREADY_POSTED = enum.auto()
    PENDING_TRANSFER_ALREADY_VOIDED = enum.auto()
    PENDING_TRANSFER_EXPIRED = enum.auto()
    """The pending transfer's deadline has passed (whether or not it has been swept yet)."""
    OVERFLOWS_DEBITS_PENDING = enum.auto()
    OVERFLOWS_CREDITS_PENDING = enum.auto()
    OVERFLOWS_DEBITS_POSTED = enum.auto()
    OVERFLOWS_CREDITS_POSTED = enum.auto()
    OVERFLOWS_DEBITS = enum.auto()
    OVERFLOWS_CREDITS = enum.auto()
    OVERFLOWS_TIMEOUT = enum.auto()
    """`timestamp + timeout * 10**9` would exceed `TIMESTAMP_MAX`."""
    EXCEEDS_CREDITS = enum.auto()
    """The debit account has DEBITS_MUST_NOT_EXCEED_CREDITS and the transfer would break it."""
    EXCEEDS_DEBITS = enum.auto()
    """The credit account has CREDITS_MUST_NOT_EXCEED_DEBITS and the transfer would break it."""

    @property
    def ok(self) -> bool:
        """True for CREATED and EXISTS: the transfer exists as requested."""
        return self is CreateTransferStatus.CREATED or self is CreateTransferStatus.EXISTS


class TransferPendingStatus(enum.IntEnum):
    """The derived state of a pending transfer (TigerBeetle `TransferPendingStatus`).

    It is an index over the immutable records: POSTED/VOIDED because a post/void record names the
    pending transfer, EXPIRED because an `ExpiredTransfer` record does. It changes at most once.
    """

    PENDING = 1
    POSTED = 2
    VOIDED = 3
    EXPIRED = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateAccountResult:
    """The outcome of one event of a `create_accounts` batch.

    Attributes:
        index: the event's position in the batch.
        status: the first applicable status (see the precedence above).
        timestamp: the account's timestamp when `status.ok` (CREATED: just assigned; EXISTS: the
            existing account's), else None.
    """

    index: int
    status: CreateAccountStatus
    timestamp: int | None

    @property
    def ok(self) -> bool:
        """CREATED or EXISTS."""
        return self.status.ok


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateTransferResult:
    """The outcome of one event of a `create_transfers` batch.

    Attributes:
        index: the event's position in the batch.
        status: the first applicable status (see the precedence above).
        timestamp: the transfer's timestamp when `status.ok` (CREATED: just assigned; EXISTS:
            the existing transfer's), else None.
    """

    index: int
    status: CreateTransferStatus
    timestamp: int | None

    @property
    def ok(self) -> bool:
        """CREATED or EXISTS."""
        return self.status.ok
