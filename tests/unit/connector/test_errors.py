"""Every ledger error has an ILP code; the typed errors carry theirs."""

from __future__ import annotations

from ilpnode.accounting import TransferError
from ilpnode.connector.errors import (
    TRANSFER_ERROR_CODES,
    AmountTooLarge,
    InsufficientLiquidity,
    InsufficientTimeout,
    RateLimited,
    TransferTimedOut,
    Unreachable,
    ilp_error_for_transfer,
)
from ilpnode.ilp import IlpErrorCode


def test_every_transfer_error_is_mapped() -> None:
    assert set(TRANSFER_ERROR_CODES) == set(TransferError)


def test_liquidity_errors_are_t04_with_rafikis_message() -> None:
    error = ilp_error_for_transfer(TransferError.InsufficientBalance)
    assert isinstance(error, InsufficientLiquidity)
    assert (error.code, error.message) == (
        IlpErrorCode.T04_INSUFFICIENT_LIQUIDITY,
        "InsufficientBalance",
    )
    other = ilp_error_for_transfer(TransferError.UnknownError)
    assert other.code is IlpErrorCode.T00_INTERNAL_ERROR


def test_typed_errors_carry_their_codes() -> None:
    assert Unreachable("x").code is IlpErrorCode.F02_UNREACHABLE
    assert AmountTooLarge("x").code is IlpErrorCode.F08_AMOUNT_TOO_LARGE
    assert RateLimited("x").code is IlpErrorCode.T05_RATE_LIMITED
    assert TransferTimedOut("x").code is IlpErrorCode.R00_TRANSFER_TIMED_OUT
    assert InsufficientTimeout("x").code is IlpErrorCode.R02_INSUFFICIENT_TIMEOUT
