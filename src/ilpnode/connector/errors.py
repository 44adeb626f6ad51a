"""Typed ILP errors raised in the pipeline, and the one map from ledger errors to ILP codes.

A middleware that refuses a packet raises an `IlpError`; the outermost middleware
(`middleware/errors.py`) turns it into a Reject with `triggeredBy` = our address. Messages are
Rafiki's where Rafiki has one (rafiki-peering §5.3), so peers and operators see familiar words.
"""

from __future__ import annotations

from typing import Final

from ilpnode.accounting import TransferError
from ilpnode.ilp import IlpErrorCode

__all__ = [
    "TRANSFER_ERROR_CODES",
    "AmountTooLarge",
    "IlpError",
    "InsufficientLiquidity",
    "InsufficientSourceAmount",
    "InsufficientTimeout",
    "PeerBusy",
    "PeerUnreachable",
    "RateLimited",
    "TransferTimedOut",
    "Unreachable",
    "WrongCondition",
    "ilp_error_for_transfer",
]


class IlpError(Exception):
    """A packet refused with an ILP error code; becomes a Reject (RFC 0027 "Error Codes")."""

    code: IlpErrorCode = IlpErrorCode.F00_BAD_REQUEST

    def __init__(self, message: str, *, data: bytes = b"", code: IlpErrorCode | None = None):
        super().__init__(message)
        self.message = message
        self.data = data
        if code is not None:
            self.code = code


class Unreachable(IlpError):
    code = IlpErrorCode.F02_UNREACHABLE


class WrongCondition(IlpError):
    code = IlpErrorCode.F05_WRONG_CONDITION


class AmountTooLarge(IlpError):
    code = IlpErrorCode.F08_AMOUNT_TOO_LARGE


class PeerUnreachable(IlpError):
    code = IlpErrorCode.T01_PEER_UNREACHABLE


class PeerBusy(IlpError):
    code = IlpErrorCode.T02_PEER_BUSY


class InsufficientLiquidity(IlpError):
    code = IlpErrorCode.T04_INSUFFICIENT_LIQUIDITY


class RateLimited(IlpError):
    code = IlpErrorCode.T05_RATE_LIMITED


class TransferTimedOut(IlpError):
    code = IlpErrorCode.R00_TRANSFER_TIMED_OUT


class InsufficientSourceAmount(IlpError):
    code = IlpErrorCode.R01_INSUFFICIENT_SOURCE_AMOUNT


class InsufficientTimeout(IlpError):
    code = IlpErrorCode.R02_INSUFFICIENT_TIMEOUT


_T04 = IlpErrorCode.T04_INSUFFICIENT_LIQUIDITY
_T00 = IlpErrorCode.T00_INTERNAL_ERROR

TRANSFER_ERROR_CODES: Final[dict[TransferError, IlpErrorCode]] = {
    # The incoming peer's credit line, or the destination asset's liquidity, is too small:
    # retry later (after a deposit), as Rafiki answers (message = the error's name).
    TransferError.InsufficientBalance: _T04,
    TransferError.InsufficientLiquidity: _T04,
    TransferError.InsufficientDebitBalance: _T04,
    # A packet's amount that would carry a balance past 2^64 - 1 (the ledger checks overflow
    # before the credit limit, as TigerBeetle does): zero amounts never reach the ledger, so
    # for a packet this means an amount beyond any credit line. The peer sent too much: T04,
    # not a "bug" (T00) that any peer could set off at will.
    TransferError.InvalidAmount: _T04,
    # Everything else means the node is misconfigured or has a bug; the sender cannot fix it.
    TransferError.AlreadyPosted: _T00,
    TransferError.AlreadyVoided: _T00,
    TransferError.DifferentAssets: _T00,
    TransferError.InvalidId: _T00,
    TransferError.InvalidSourceAmount: _T00,
    TransferError.InvalidDestinationAmount: _T00,
    TransferError.InvalidTimeout: _T00,
    TransferError.SameAccounts: _T00,
    TransferError.TransferExists: _T00,
    TransferError.TransferExpired: _T00,
    TransferError.UnknownTransfer: _T00,
    TransferError.UnknownSourceAccount: _T00,
    TransferError.UnknownDestinationAccount: _T00,
    TransferError.UnknownError: _T00,
}
"""Every `TransferError` -> the ILP code of the Reject (a unit test checks none is missing)."""


def ilp_error_for_transfer(error: TransferError) -> IlpError:
    """The `IlpError` to raise when the ledger refuses a packet's transfer."""
    code = TRANSFER_ERROR_CODES[error]
    if error is TransferError.InvalidAmount:
        return InsufficientLiquidity("amount exceeds the available liquidity")
    if code is _T04:
        return InsufficientLiquidity(error.value)
    return IlpError(f"unexpected internal error ({error.value})", code=code)
