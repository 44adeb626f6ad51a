"""What `ilpnode pay` shows: progress (fixed send and fixed receive), the bar and the plain
line, the exact rate, the summary of a completed and of a failed payment."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from ilpnode.cli_admin.pay_view import (
    amount_text,
    duration_seconds,
    format_significant,
    progress_bar,
    progress_line,
    progress_of,
    rate_text,
    summary,
)


def amount(value: int, code: str = "USD", scale: int = 2) -> dict[str, Any]:
    return {"value": str(value), "assetCode": code, "assetScale": scale}


def payment(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "6a1f7a7e-0000-4000-8000-000000000001",
        "walletAddressId": None,
        "assetId": "a1",
        "receiver": "$wallet.example/bob",
        "state": "SENDING",
        "error": None,
        "debitAmount": amount(1005),
        "sentAmount": amount(400),
        "receiveAmount": amount(900, "EUR", 2),
        "deliveredAmount": amount(368, "EUR", 2),
        "fee": amount(5),
        "packets": 4,
        "createdAt": "2026-05-01T10:00:00.000Z",
        "updatedAt": "2026-05-01T10:00:01.250Z",
    }
    return {**base, **changes}


def test_a_fixed_send_counts_source_units_sent_out_of_the_debit_less_the_fee() -> None:
    progress = progress_of(payment(), fixed_receive=False)

    assert (progress.done, progress.target, progress.packets) == (400, 1000, 4)
    assert progress.percent == 40
    assert progress.asset["assetCode"] == "USD"


def test_a_fixed_receive_counts_the_receivers_units_delivered() -> None:
    progress = progress_of(payment(), fixed_receive=True)

    assert (progress.done, progress.target, progress.percent) == (368, 900, 40)
    assert progress.asset["assetCode"] == "EUR"


def test_without_a_fee_the_whole_debit_is_the_target() -> None:
    progress = progress_of(payment(fee=None), fixed_receive=False)

    assert progress.target == 1005


def test_the_percentage_never_passes_100_and_a_zero_target_is_not_a_division() -> None:
    assert progress_of(payment(sentAmount=amount(2000)), fixed_receive=False).percent == 100
    zero = payment(receiveAmount=amount(0, "EUR"), state="SENDING")
    assert progress_of(zero, fixed_receive=True).percent == 0
    done = payment(receiveAmount=amount(0, "EUR"), state="COMPLETED")
    assert progress_of(done, fixed_receive=True).percent == 100


def test_the_bar_is_filled_in_proportion_and_says_amounts_packets_and_time() -> None:
    line = progress_bar(progress_of(payment(), fixed_receive=False), elapsed_seconds=1.26, width=10)

    assert line == "[####------]  40%  4.00 USD of 10.00 USD  4 packets  1.3 s"


def test_the_plain_line_names_the_state() -> None:
    line = progress_line(progress_of(payment(packets=1), fixed_receive=True), elapsed_seconds=0)

    assert line == "sending: 3.68 EUR of 9.00 EUR, 1 packet, 0.0 s"


def test_an_amount_of_an_unknown_asset_is_a_bare_number() -> None:
    unknown = {"value": "368", "assetCode": "", "assetScale": 0}
    progress = progress_of(
        payment(deliveredAmount=unknown, receiveAmount=unknown), fixed_receive=True
    )

    assert "368 of 368," in progress_line(progress, elapsed_seconds=0)
    assert amount_text(unknown) == "368"
    assert amount_text(amount(1005)) == "1005 (10.05 USD)"
    assert amount_text(None) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Fraction(23, 25), "0.92"),
        (Fraction(1, 3), "0.333333"),
        (Fraction(2, 3), "0.666667"),
        (Fraction(1100), "1100"),
        (Fraction(11, 10), "1.1"),
        (Fraction(1, 10**9), "0.000000001"),
        (Fraction(9_999_999, 10_000_000), "1"),
        (Fraction(0), "0"),
        (Fraction(2 * 10**12, 3), "666666666667"),
    ],
)
def test_rates_have_six_significant_digits_exactly(value: Fraction, text: str) -> None:
    assert format_significant(value) == text


def test_the_rate_is_in_whole_units_of_each_asset() -> None:
    # 400 cents sent, 368 euro cents delivered: 0.92 EUR per USD
    assert rate_text(payment()) == "0.92 EUR per USD"
    # scale 9 -> scale 2: 10**9 units (1 USD) delivered 110 cents (1.10 EUR)
    cross = payment(sentAmount=amount(10**9, "USD", 9), deliveredAmount=amount(110, "EUR", 2))
    assert rate_text(cross) == "1.1 EUR per USD"


def test_no_rate_before_money_moved_or_while_the_receivers_asset_is_unknown() -> None:
    assert rate_text(payment(sentAmount=amount(0))) is None
    unknown = {"value": "0", "assetCode": "", "assetScale": 0}
    assert rate_text(payment(deliveredAmount=unknown)) is None


def test_the_duration_is_from_creation_to_the_last_update() -> None:
    assert duration_seconds(payment()) == pytest.approx(1.25)
    assert duration_seconds(payment(updatedAt="yesterday")) is None


def test_the_summary_of_a_completed_payment() -> None:
    done = payment(
        state="COMPLETED",
        sentAmount=amount(1000),
        deliveredAmount=amount(920, "EUR"),
        packets=10,
        error="should not show",
    )

    assert summary(done).splitlines() == [
        "payment:   6a1f7a7e-0000-4000-8000-000000000001",
        "state:     completed",
        "receiver:  $wallet.example/bob",
        "delivered: 920 (9.20 EUR)",
        "sent:      1000 (10.00 USD)",
        "fee:       5 (0.05 USD)",
        "debited:   1005 (10.05 USD)",
        "rate:      0.92 EUR per USD",
        "packets:   10",
        "time:      1.25 s",
    ]


def test_the_summary_of_a_failed_payment_says_why() -> None:
    failed = payment(
        state="FAILED", error="InsufficientExchangeRate", sentAmount=amount(0), fee=None
    )

    lines = summary(failed).splitlines()

    assert "state:     failed" in lines
    assert "rate:      -" in lines
    assert "fee:       -" in lines
    assert lines[-1] == "error:     InsufficientExchangeRate"


def test_a_receiver_with_control_characters_prints_inertly() -> None:
    text = summary(payment(state="COMPLETED", receiver="$evil\n\x1b[2Jx"))

    assert "\x1b" not in text
    assert "$evil\\n\\x1b[2Jx" in text
