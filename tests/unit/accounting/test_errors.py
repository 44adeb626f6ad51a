"""The status -> error mapping is exhaustive, and its deliberate decisions hold (STYLE 13)."""

from __future__ import annotations

import pytest

from ilpnode.accounting import (
    BUG_STATUSES,
    LiquidityError,
    TransferError,
    first_failure,
    liquidity_error,
    transfer_error,
)
from ilpnode.ledger import CreateTransferResult, CreateTransferStatus

S = CreateTransferStatus


@pytest.mark.parametrize("status", list(CreateTransferStatus))
def test_every_ledger_status_is_mapped(status: CreateTransferStatus) -> None:
    error = transfer_error(status)  # a KeyError here means a status was added and not mapped
    if status is S.CREATED:
        assert error is None
    else:
        assert isinstance(error, TransferError)
        assert (error is TransferError.UnknownError) == (status in BUG_STATUSES)


def test_only_bugs_map_to_unknown_error() -> None:
    unknown = {s for s in S if transfer_error(s) is TransferError.UnknownError}
    assert unknown == BUG_STATUSES
    assert S.EXCEEDS_CREDITS not in BUG_STATUSES
    assert S.PENDING_TRANSFER_EXPIRED not in BUG_STATUSES


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (S.EXCEEDS_CREDITS, TransferError.InsufficientBalance),
        (S.EXCEEDS_DEBITS, TransferError.InsufficientDebitBalance),
        (S.EXISTS, TransferError.TransferExists),  # Rafiki: a reused id is DUPLICATE
        (S.EXISTS_WITH_DIFFERENT_AMOUNT, TransferError.TransferExists),
        (S.PENDING_TRANSFER_NOT_FOUND, TransferError.UnknownTransfer),
        (S.PENDING_TRANSFER_NOT_PENDING, TransferError.AlreadyPosted),  # the quirk, decided
        (S.PENDING_TRANSFER_HAS_DIFFERENT_CODE, TransferError.UnknownTransfer),
        (S.PENDING_TRANSFER_ALREADY_POSTED, TransferError.AlreadyPosted),
        (S.PENDING_TRANSFER_ALREADY_VOIDED, TransferError.AlreadyVoided),
        (S.PENDING_TRANSFER_EXPIRED, TransferError.TransferExpired),
        (S.ACCOUNTS_MUST_BE_DIFFERENT, TransferError.SameAccounts),
        (S.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER, TransferError.DifferentAssets),
        (S.DEBIT_ACCOUNT_NOT_FOUND, TransferError.UnknownSourceAccount),
        (S.CREDIT_ACCOUNT_NOT_FOUND, TransferError.UnknownDestinationAccount),
        (S.AMOUNT_MUST_NOT_BE_ZERO, TransferError.InvalidAmount),
        (S.OVERFLOWS_CREDITS_POSTED, TransferError.InvalidAmount),
        (S.OVERFLOWS_TIMEOUT, TransferError.InvalidTimeout),
        (S.ID_MUST_NOT_BE_ZERO, TransferError.InvalidId),
        (S.LINKED_EVENT_FAILED, TransferError.UnknownError),
    ],
)
def test_decided_mappings(status: CreateTransferStatus, error: TransferError) -> None:
    assert transfer_error(status) is error


@pytest.mark.parametrize("error", list(TransferError))
def test_every_transfer_error_has_a_liquidity_error(error: TransferError) -> None:
    mapped = liquidity_error(
        error, unknown_debit=LiquidityError.UnknownAsset, unknown_credit=LiquidityError.UnknownPeer
    )
    assert isinstance(mapped, LiquidityError)
    if error.name in LiquidityError.__members__:  # same name, same meaning
        assert mapped.name == error.name


def test_unknown_accounts_map_to_the_side_the_caller_names() -> None:
    L = LiquidityError
    sides = {"unknown_debit": L.UnknownPeer, "unknown_credit": L.UnknownAsset}
    assert liquidity_error(TransferError.UnknownSourceAccount, **sides) is L.UnknownPeer
    assert liquidity_error(TransferError.UnknownDestinationAccount, **sides) is L.UnknownAsset


@pytest.mark.parametrize("catalog", [TransferError, LiquidityError])
def test_values_are_rafiki_names(catalog: type[TransferError] | type[LiquidityError]) -> None:
    assert all(member.value == member.name for member in catalog)


def _result(index: int, status: CreateTransferStatus) -> CreateTransferResult:
    return CreateTransferResult(index=index, status=status, timestamp=None)


def test_first_failure_finds_the_root_cause_of_a_linked_batch() -> None:
    ok = [_result(0, S.CREATED), _result(1, S.CREATED)]
    assert first_failure(ok) is None
    chain = [
        _result(0, S.LINKED_EVENT_FAILED),
        _result(1, S.EXCEEDS_CREDITS),
        _result(2, S.LINKED_EVENT_FAILED),
    ]
    assert first_failure(chain) == chain[1]
    only_linked = [_result(0, S.LINKED_EVENT_FAILED), _result(1, S.LINKED_EVENT_FAILED)]
    assert first_failure(only_linked) == only_linked[0]
    assert first_failure([_result(0, S.EXISTS)]) == _result(0, S.EXISTS)
