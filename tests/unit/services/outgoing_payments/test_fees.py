"""The sending fee: Rafiki's formula in integers, the largest send a debit amount covers, and
what a payment is charged when it ends."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ilpnode.services.outgoing_payments import (
    SendingFee,
    fee_charged,
    send_amount_for_debit,
    sending_fee,
)

U64 = 2**64 - 1


def test_fixed_plus_basis_points_rounded_up_as_rafiki() -> None:
    fee = SendingFee(fixed=5, basis_points=100)
    assert sending_fee(985, fee) == 5 + 10  # ceil(9.85)
    assert sending_fee(1000, fee) == 15
    assert sending_fee(1, fee) == 6  # ceil(0.01)
    assert sending_fee(0, fee) == 0  # nothing sent, nothing charged
    assert sending_fee(10**6, SendingFee()) == 0
    assert sending_fee(U64, SendingFee(basis_points=10_000)) == U64  # exact at u64


def test_the_send_amount_of_a_debit_amount() -> None:
    fee = SendingFee(fixed=5, basis_points=100)
    assert send_amount_for_debit(1000, fee) == 985  # 985 + 15 = 1000
    assert send_amount_for_debit(1002, fee) == 987  # 987 + 15 = 1002
    # 1003: 988 + 5 + ceil(9.88) = 1003
    assert send_amount_for_debit(1003, fee) == 988
    assert send_amount_for_debit(6, fee) == 0  # 1 + 6 > 6
    assert send_amount_for_debit(7, fee) == 1
    assert send_amount_for_debit(500, SendingFee()) == 500


def test_a_completed_fixed_send_is_debited_exactly_its_debit_amount() -> None:
    fee = SendingFee(fixed=0, basis_points=100)
    # S + ceil(S / 100) skips some totals (100 + 1 = 101, 101 + 2 = 103: no S gives 102)
    # exactly: there the fee takes the unit of rounding.
    for debit in range(1, 5_000):
        target = send_amount_for_debit(debit, fee)
        if target == 0:
            continue
        charged = fee_charged(target, fee, requested_debit=debit, send_target=target)
        assert target + charged == debit
        assert charged in (sending_fee(target, fee), sending_fee(target, fee) + 1)


def test_a_payment_that_stops_early_is_charged_the_fee_on_what_it_sent() -> None:
    fee = SendingFee(fixed=5, basis_points=100)
    assert fee_charged(500, fee, requested_debit=1000, send_target=985) == 10
    assert fee_charged(0, fee, requested_debit=1000, send_target=985) == 0
    assert fee_charged(700, fee, requested_debit=None, send_target=720) == 12


@given(
    debit=st.integers(1, U64),
    fixed=st.integers(0, U64),
    basis_points=st.integers(0, 10_000),
    fraction=st.fractions(0, 1),
)
def test_sent_plus_fee_never_passes_the_debit_amount(
    debit: int, fixed: int, basis_points: int, fraction: object
) -> None:
    fee = SendingFee(fixed=fixed, basis_points=basis_points)
    target = send_amount_for_debit(debit, fee)
    if target:
        assert target + sending_fee(target, fee) <= debit
        assert target + 1 + sending_fee(target + 1, fee) > debit  # the largest
        assert target + fee_charged(target, fee, requested_debit=debit, send_target=target) == debit
        sent = int(target * fraction)  # type: ignore[operator]
        charged = fee_charged(sent, fee, requested_debit=debit, send_target=target)
        assert sent + charged <= debit
    else:
        assert 1 + sending_fee(1, fee) > debit
