"""A payment's outcome in words: completed, failed (every SendError has words), running; and
the Send test payment form."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

import pytest

from ilpnode.dashboard.forms.test_payment import blank_test_payment_values, parse_test_payment
from ilpnode.dashboard.payment_outcome import (
    SEND_ERROR_WORDS,
    PaymentFigures,
    describe,
    failure_reason,
)
from ilpnode.ilp.stream import SendError

DONE = PaymentFigures(
    state="COMPLETED",
    source_code="USD",
    source_scale=2,
    sent=1000,
    fee=5,
    debited=1005,
    delivered=920,
    receive_code="EUR",
    receive_scale=2,
    packets=10,
    error=None,
    seconds=0.714,
)


def test_every_send_error_has_words() -> None:
    assert set(SEND_ERROR_WORDS) == set(SendError)
    assert all(words and words[0].islower() for words in SEND_ERROR_WORDS.values())


def test_a_completed_payment_says_what_arrived_in_how_many_packets() -> None:
    outcome = describe(DONE)

    assert outcome.tone == "good"
    assert outcome.headline == "Delivered 9.20 EUR in 10 packets."
    assert outcome.lines == (
        "Debited 10.05 USD (10.00 USD sent, fee 0.05 USD).",
        "Rate: 0.92 EUR per USD.",
        "Took 0.71 s.",
    )


def test_a_completed_payment_without_a_fee_says_only_the_debit() -> None:
    outcome = describe(replace(DONE, fee=0, debited=1000, packets=1))

    assert outcome.headline == "Delivered 9.20 EUR in 1 packet."
    assert outcome.lines[0] == "Debited 10.00 USD."


def test_a_failed_payment_says_why_in_words_and_that_nothing_moved() -> None:
    failed = replace(
        DONE,
        state="FAILED",
        sent=0,
        fee=None,
        debited=0,
        delivered=0,
        packets=0,
        error="InsufficientExchangeRate: the probed rate 0.5 is below the minimum 0.9",
    )

    outcome = describe(failed)

    assert outcome.tone == "bad"
    assert outcome.headline == (
        "The payment failed: the exchange rate along the path is worse than the minimum this "
        "node accepts (the probed rate 0.5 is below the minimum 0.9)."
    )
    assert outcome.lines == ("Nothing was delivered and nothing was debited.",)


def test_a_payment_that_failed_midway_says_what_arrived() -> None:
    outcome = describe(replace(DONE, state="FAILED", error="IdleTimeout", packets=4, delivered=368))

    assert outcome.headline == "The payment failed: no packet got through for too long."
    assert outcome.lines[0].startswith("Before it stopped, 3.68 EUR arrived in 4 packets.")


def test_a_running_payment_says_how_far_it_is() -> None:
    running = replace(
        DONE,
        state="SENDING",
        delivered=0,
        packets=0,
        receive_code=None,
        receive_scale=None,
        sent=0,
        seconds=0.3,
    )

    outcome = describe(running)

    assert outcome.tone == "running"
    assert outcome.headline == (
        "Sending: 0 of the receiver's smallest unit delivered in 0 packets so far."
    )


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (None, "no reason was recorded"),
        ("", "no reason was recorded"),
        ("ClosedByReceiver", "the receiver closed the connection"),
        ("ClosedByReceiver: ", "the receiver closed the connection"),
        ("cannot reach https://x.example/: refused", "cannot reach https://x.example/: refused"),
        ("NotAnError: x", "NotAnError: x"),
    ],
)
def test_failure_reasons(error: str | None, words: str) -> None:
    assert failure_reason(error) == words


def test_the_form_reads_a_receiver_and_an_amount_in_the_assets_units() -> None:
    values = {**blank_test_payment_values(), "receiver": " $bob.example/shop ", "amount": "0.25"}

    payment, state = parse_test_payment(values, scale=2, code="USD")

    assert state.ok
    assert payment is not None
    assert payment.receiver == "$bob.example/shop"
    assert payment.amount == 25
    assert payment.payment_id == UUID(values["payment_id"])


@pytest.mark.parametrize(
    ("receiver", "amount", "field", "message"),
    [
        ("", "1", "receiver", "Enter the receiver"),
        ("bob.example/shop", "1", "receiver", "Enter a payment pointer such as"),
        ("https://", "1", "receiver", "Enter a payment pointer such as"),
        ("$bob.example/a b", "1", "receiver", "has no spaces"),
        ("$bob.example", "", "amount", "Enter an amount."),
        ("$bob.example", "0", "amount", "greater than 0"),
        ("$bob.example", "0.001", "amount", "USD has 2 decimal places"),
        ("$bob.example", "-1", "amount", "Enter a number"),
    ],
)
def test_the_form_refuses_what_cannot_be_paid(
    receiver: str, amount: str, field: str, message: str
) -> None:
    values = {**blank_test_payment_values(), "receiver": receiver, "amount": amount}

    payment, state = parse_test_payment(values, scale=2, code="USD")

    assert payment is None
    assert message in state.errors[field]


def test_a_form_without_its_payment_id_is_out_of_date() -> None:
    payment, state = parse_test_payment(
        {"receiver": "$bob.example", "amount": "1", "payment_id": "x"}, scale=2, code="USD"
    )

    assert payment is None
    assert state.message is not None
    assert "reload the page" in state.message
