"""The accounting errors and the one exhaustive mapping from ledger statuses to them (STYLE 13).

Why two enums: they are Rafiki's two catalogs (rafiki-peering §2.9). `TransferError` is what the
accounting layer answers for packet transfers (the connector turns it into an ILP reject);
`LiquidityError` is what deposits and withdrawals answer (the Admin API and the dashboard turn it
into a GraphQL error). Member names are Rafiki's, and each value is the same name, so the admin
layer can map both catalogs to `extensions.code` and message by name.

The ledger answers with `CreateTransferStatus`; `transfer_error` is the only place that turns a
status into an error. Statuses that our own requests can never provoke (we build every transfer,
so a reserved flag, an open linked chain, a post with a non-zero amount, … means a bug in this
package or in the ledger) map to `TransferError.UnknownError`; the caller should log them loudly.
`LiquidityError` is derived from `TransferError` by `liquidity_error` (also exhaustive), which
needs to know whose account a "not found" names.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final

from ilpnode.ledger import CreateTransferResult, CreateTransferStatus

__all__ = [
    "BUG_STATUSES",
    "LiquidityError",
    "TransferError",
    "first_failure",
    "liquidity_error",
    "transfer_error",
]


class TransferError(enum.Enum):
    """Rafiki's accounting `TransferError` catalog (rafiki-peering §2.9)."""

    AlreadyPosted = "AlreadyPosted"
    AlreadyVoided = "AlreadyVoided"
    DifferentAssets = "DifferentAssets"
    InsufficientBalance = "InsufficientBalance"
    """The debited liquidity account lacks credits (a packet from a peer: T04)."""
    InsufficientDebitBalance = "InsufficientDebitBalance"
    InsufficientLiquidity = "InsufficientLiquidity"
    """The destination asset's liquidity account lacks credits (cross-asset or dst > src)."""
    InvalidAmount = "InvalidAmount"
    InvalidId = "InvalidId"
    InvalidSourceAmount = "InvalidSourceAmount"
    InvalidDestinationAmount = "InvalidDestinationAmount"
    InvalidTimeout = "InvalidTimeout"
    SameAccounts = "SameAccounts"
    TransferExists = "TransferExists"
    TransferExpired = "TransferExpired"
    UnknownTransfer = "UnknownTransfer"
    UnknownSourceAccount = "UnknownSourceAccount"
    UnknownDestinationAccount = "UnknownDestinationAccount"
    UnknownError = "UnknownError"
    """A bug (ours or the ledger's): INTERNAL_SERVER_ERROR; log it."""


class LiquidityError(enum.Enum):
    """Rafiki's `LiquidityError` catalog, plus the `TransferError` names that deposits and
    withdrawals can also answer (TransferExpired, InvalidAmount, InvalidTimeout, UnknownError).
    """

    AlreadyPosted = "AlreadyPosted"
    AlreadyVoided = "AlreadyVoided"
    AmountZero = "AmountZero"
    InsufficientBalance = "InsufficientBalance"
    InvalidAmount = "InvalidAmount"
    InvalidId = "InvalidId"
    InvalidTimeout = "InvalidTimeout"
    TransferExists = "TransferExists"
    TransferExpired = "TransferExpired"
    UnknownAsset = "UnknownAsset"
    UnknownPeer = "UnknownPeer"
    UnknownTransfer = "UnknownTransfer"
    UnknownWalletAddress = "UnknownWalletAddress"
    UnknownError = "UnknownError"


_S = CreateTransferStatus
# Final: compiled code reads them directly (`first_failure` runs twice per packet).
_CREATED: Final = CreateTransferStatus.CREATED
_LINKED_EVENT_FAILED: Final = CreateTransferStatus.LINKED_EVENT_FAILED
_E = TransferError

BUG_STATUSES: frozenset[CreateTransferStatus] = frozenset(
    {
        _S.LINKED_EVENT_CHAIN_OPEN,  # we always close our chains
        _S.LINKED_EVENT_FAILED,  # only a root cause is mapped (see `first_failure`)
        _S.TIMESTAMP_MUST_BE_ZERO,
        _S.RESERVED_FLAG,
        _S.FLAGS_ARE_MUTUALLY_EXCLUSIVE,
        _S.PENDING_ID_MUST_BE_ZERO,
        _S.PENDING_ID_MUST_BE_DIFFERENT,  # post/void ids are fresh random ids
        _S.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER,
        _S.LEDGER_MUST_NOT_BE_ZERO,  # account descriptors refuse ledger 0
        _S.CODE_MUST_NOT_BE_ZERO,
        _S.TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS,  # a descriptor with a stale ledger
        _S.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID,  # post/void leave them 0
        _S.PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID,
        _S.PENDING_TRANSFER_HAS_DIFFERENT_LEDGER,
        _S.EXCEEDS_PENDING_TRANSFER_AMOUNT,  # post/void use amount 0 (= the full amount)
        _S.PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT,
    }
)
"""Statuses that only a bug can provoke; all map to `TransferError.UnknownError`."""

_STATUS_ERRORS: Mapping[CreateTransferStatus, TransferError | None] = MappingProxyType(
    {
        _S.CREATED: None,
        **dict.fromkeys(BUG_STATUSES, _E.UnknownError),
        # An id that no transfer can have: the caller's id is unusable.
        _S.ID_MUST_NOT_BE_ZERO: _E.InvalidId,
        _S.ID_MUST_NOT_BE_INT_MAX: _E.InvalidId,
        _S.PENDING_ID_MUST_NOT_BE_ZERO: _E.InvalidId,
        _S.PENDING_ID_MUST_NOT_BE_INT_MAX: _E.InvalidId,
        # An account id that no account can have is an unknown account.
        _S.DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO: _E.UnknownSourceAccount,
        _S.DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX: _E.UnknownSourceAccount,
        _S.CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO: _E.UnknownDestinationAccount,
        _S.CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX: _E.UnknownDestinationAccount,
        _S.DEBIT_ACCOUNT_NOT_FOUND: _E.UnknownSourceAccount,
        _S.CREDIT_ACCOUNT_NOT_FOUND: _E.UnknownDestinationAccount,
        _S.ACCOUNTS_MUST_BE_DIFFERENT: _E.SameAccounts,
        _S.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER: _E.DifferentAssets,
        _S.AMOUNT_MUST_NOT_BE_ZERO: _E.InvalidAmount,
        _S.PENDING_TRANSFER_NOT_FOUND: _E.UnknownTransfer,
        # Every non-pending transfer a caller can name is a posted single-phase one (a deposit
        # or a withdrawal with timeout 0): it *is* posted, whether one posts or voids it.
        # (Rafiki: TigerBeetle says AlreadyVoided, Postgres AlreadyPosted.)
        _S.PENDING_TRANSFER_NOT_PENDING: _E.AlreadyPosted,
        # post/void_withdrawal pass code=WITHDRAWAL: a pending transfer of another kind (a
        # packet leg) is not a withdrawal, so to that operation it does not exist.
        _S.PENDING_TRANSFER_HAS_DIFFERENT_CODE: _E.UnknownTransfer,
        # Rafiki: a reused id is DUPLICATE, even for an identical request; every id names one
        # operation, so a retry is told it already happened (and nothing moves twice).
        **dict.fromkeys(
            [status for status in _S if status.name.startswith("EXISTS")], _E.TransferExists
        ),
        _S.PENDING_TRANSFER_ALREADY_POSTED: _E.AlreadyPosted,
        _S.PENDING_TRANSFER_ALREADY_VOIDED: _E.AlreadyVoided,
        _S.PENDING_TRANSFER_EXPIRED: _E.TransferExpired,
        # A balance would pass u64: the amount is too large for this account.
        **dict.fromkeys(
            [status for status in _S if status.name.startswith("OVERFLOWS_")], _E.InvalidAmount
        ),
        _S.OVERFLOWS_TIMEOUT: _E.InvalidTimeout,
        _S.EXCEEDS_CREDITS: _E.InsufficientBalance,
        _S.EXCEEDS_DEBITS: _E.InsufficientDebitBalance,
    }
)


def transfer_error(status: CreateTransferStatus) -> TransferError | None:
    """The error for one ledger status.

    Args:
        status: a `create_transfers` result status.

    Returns:
        None for CREATED only; the mapped `TransferError` otherwise (EXISTS included: see the
        table). Statuses in `BUG_STATUSES` give `TransferError.UnknownError`. Never raises.
    """
    return _STATUS_ERRORS[status]


def first_failure(results: Sequence[CreateTransferResult]) -> CreateTransferResult | None:
    """The root cause of a failed batch: the first result that is neither CREATED nor
    LINKED_EVENT_FAILED; a batch of only LINKED_EVENT_FAILED (impossible) gives its first.

    Args:
        results: the results of one `create_transfers` call.

    Returns:
        None if every result is CREATED, else the result to map with `transfer_error`.
    """
    fallback: CreateTransferResult | None = None
    for result in results:
        status = result.status
        if status is _CREATED:
            continue
        if status is not _LINKED_EVENT_FAILED:
            return result
        if fallback is None:
            fallback = result
    return fallback


_L = LiquidityError

_LIQUIDITY_ERRORS: Mapping[TransferError, LiquidityError] = MappingProxyType(
    {
        _E.AlreadyPosted: _L.AlreadyPosted,
        _E.AlreadyVoided: _L.AlreadyVoided,
        # The descriptor and the ledger disagree about the accounts' ledger: a bug.
        _E.DifferentAssets: _L.UnknownError,
        _E.SameAccounts: _L.UnknownError,
        _E.InsufficientBalance: _L.InsufficientBalance,
        # The settlement account would be credited past its debits: not enough was deposited.
        _E.InsufficientDebitBalance: _L.InsufficientBalance,
        _E.InsufficientLiquidity: _L.InsufficientBalance,
        _E.InvalidAmount: _L.InvalidAmount,
        _E.InvalidSourceAmount: _L.InvalidAmount,
        _E.InvalidDestinationAmount: _L.InvalidAmount,
        _E.InvalidId: _L.InvalidId,
        _E.InvalidTimeout: _L.InvalidTimeout,
        _E.TransferExists: _L.TransferExists,
        _E.TransferExpired: _L.TransferExpired,
        _E.UnknownTransfer: _L.UnknownTransfer,
        _E.UnknownError: _L.UnknownError,
    }
)


def liquidity_error(
    error: TransferError, *, unknown_debit: LiquidityError, unknown_credit: LiquidityError
) -> LiquidityError:
    """The `LiquidityError` for a deposit's or withdrawal's `TransferError`.

    Args:
        error: the mapped ledger error.
        unknown_debit: what a missing debit account means (e.g. UnknownPeer for a withdrawal
            from a peer, UnknownAsset for a deposit, whose debit is the settlement account).
        unknown_credit: what a missing credit account means.

    Returns:
        The error to answer. Never raises.
    """
    if error is _E.UnknownSourceAccount:
        return unknown_debit
    if error is _E.UnknownDestinationAccount:
        return unknown_credit
    return _LIQUIDITY_ERRORS[error]
