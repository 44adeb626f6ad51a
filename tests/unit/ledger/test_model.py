"""Records: field sizes are enforced when built; flags and enums have TigerBeetle's values."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, asdict, replace

import pytest

import ilpnode.ledger
from ilpnode.compiled import running_compiled
from ilpnode.ledger import (
    AMOUNT_MAX,
    ID_INT_MAX,
    TIMESTAMP_MAX,
    Account,
    AccountFlags,
    AccountId,
    CreateAccountStatus,
    CreateTransferResult,
    CreateTransferStatus,
    ExpiredTransfer,
    Transfer,
    TransferFlags,
    TransferId,
)
from ilpnode.ledger.trusted import account_with_balances, transfer_result, trusted_transfer

from .builders import SECOND, pending, transfer


def test_flag_bits_are_tigerbeetles() -> None:
    assert AccountFlags.LINKED.value == 1
    assert AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS.value == 2
    assert AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS.value == 4
    assert TransferFlags.LINKED.value == 1
    assert TransferFlags.PENDING.value == 2
    assert TransferFlags.POST_PENDING_TRANSFER.value == 4
    assert TransferFlags.VOID_PENDING_TRANSFER.value == 8


def test_statuses_are_numbered_in_precedence_order_with_created_first() -> None:
    for enum in (CreateAccountStatus, CreateTransferStatus):
        values = [member.value for member in enum]
        assert values == list(range(len(values)))
        assert enum(0).name == "CREATED"


def test_ok_means_created_or_exists() -> None:
    assert {s for s in CreateTransferStatus if s.ok} == {
        CreateTransferStatus.CREATED,
        CreateTransferStatus.EXISTS,
    }
    assert {s for s in CreateAccountStatus if s.ok} == {
        CreateAccountStatus.CREATED,
        CreateAccountStatus.EXISTS,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", -1),
        ("amount", AMOUNT_MAX + 1),
        ("debit_account_id", ID_INT_MAX + 1),
        ("pending_id", -1),
        ("timeout", 2**32),
        ("ledger", 2**32),
        ("code", 2**16),
        ("user_data_128", 2**128),
        ("user_data_64", 2**64),
        ("user_data_32", 2**32),
        ("flags", TransferFlags(2**16)),
        ("timestamp", TIMESTAMP_MAX + 1),
    ],
)
def test_a_transfer_field_outside_its_size_cannot_be_built(field: str, value: int) -> None:
    fields: dict[str, int] = {"id": 1, field: value}
    with pytest.raises(ValueError, match=field):
        Transfer(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", -1),
        ("id", ID_INT_MAX + 1),
        ("debits_pending", AMOUNT_MAX + 1),
        ("debits_posted", -1),
        ("credits_pending", -1),
        ("credits_posted", AMOUNT_MAX + 1),
        ("ledger", -1),
    ],
)
def test_an_account_field_outside_its_size_cannot_be_built(field: str, value: int) -> None:
    fields: dict[str, int] = {"id": 1, field: value}
    with pytest.raises(ValueError, match=field):
        Account(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [1.0, "1", True, None])
def test_a_non_int_field_is_a_type_error(value: object) -> None:
    if running_compiled() and value is True:  # mypyc turns the bool into the int 1
        assert Transfer(id=TransferId(1), amount=value).amount == 1
        return
    # Compiled, the native class's own check refuses it first, in mypyc's words.
    message = "int object expected" if running_compiled() else "amount must be an int"
    with pytest.raises(TypeError, match=message):
        Transfer(id=TransferId(1), amount=value)  # type: ignore[arg-type]


def test_expired_transfer_fields_are_checked() -> None:
    with pytest.raises(ValueError, match="pending_id"):
        ExpiredTransfer(pending_id=TransferId(-1), timestamp=1)


def test_records_are_frozen() -> None:
    t = transfer(1, 2, 3, 4)
    with pytest.raises(FrozenInstanceError):
        t.amount = 5  # type: ignore[misc]
    a = Account(id=AccountId(1))
    with pytest.raises(FrozenInstanceError):
        a.debits_posted = 5  # type: ignore[misc]


def test_expires_at_is_the_deadline_of_a_pending_transfer_with_a_timeout() -> None:
    stored = replace(pending(1, 2, 3, 4, timeout=30), timestamp=1_000)
    assert stored.expires_at == 1_000 + 30 * SECOND
    assert replace(stored, timeout=0).expires_at is None
    assert replace(stored, flags=TransferFlags.NONE).expires_at is None


def test_the_package_exports_what_it_documents() -> None:
    for name in ilpnode.ledger.__all__:
        assert hasattr(ilpnode.ledger, name), name
    assert sorted(ilpnode.ledger.__all__) == sorted(set(ilpnode.ledger.__all__))


def test_account_with_balances_equals_the_validated_replace() -> None:
    account = Account(
        id=AccountId(7),
        user_data_128=2**100,
        user_data_64=5,
        user_data_32=6,
        ledger=3,
        code=4,
        flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
        timestamp=99,
    )
    fast = account_with_balances(account, 1, 2, 3, 2**64 - 1)
    assert fast == replace(
        account, debits_pending=1, debits_posted=2, credits_pending=3, credits_posted=2**64 - 1
    )
    assert account.credits_posted == 0  # the original is untouched


def test_a_trusted_transfer_equals_the_validated_one() -> None:
    validated = Transfer(
        id=TransferId(2**127),
        debit_account_id=AccountId(1),
        credit_account_id=AccountId(2),
        amount=2**64 - 1,
        pending_id=TransferId(3),
        user_data_128=4,
        user_data_64=5,
        user_data_32=6,
        timeout=7,
        ledger=8,
        code=9,
        flags=TransferFlags.PENDING | TransferFlags.LINKED,
        timestamp=10,
    )
    assert trusted_transfer(**asdict(validated)) == validated
    assert trusted_transfer(id=TransferId(1)) == Transfer(id=TransferId(1))


def test_a_transfer_result_equals_the_validated_one() -> None:
    for status, timestamp in (
        (CreateTransferStatus.CREATED, 5),
        (CreateTransferStatus.EXISTS, None),
    ):
        result = transfer_result(3, status, timestamp)
        assert result == CreateTransferResult(index=3, status=status, timestamp=timestamp)
