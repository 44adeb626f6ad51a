"""An outgoing payment's outcome in words, for the dashboard.

`describe` turns a payment's figures (`PaymentFigures`, read from the stored payment by the
route) into a headline and a few sentences: "Delivered 9.20 EUR in 10 packets." or "The
payment failed: the exchange rate along the path is worse than the minimum allowed." Why a
payment failed is stored as `@interledger/pay`'s `PaymentError` name (our sender's
`SendError`), optionally followed by `: ` and details, or as a sentence (an SPSP failure, a
refusal): every `SendError` has its words here (a unit test checks the table is exhaustive);
anything else is shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Final, Literal

from ilpnode.dashboard.amounts import format_amount
from ilpnode.ilp.stream import SendError

__all__ = [
    "SEND_ERROR_WORDS",
    "Outcome",
    "PaymentFigures",
    "describe",
    "failure_reason",
    "refusal_words",
]

_E = SendError
SEND_ERROR_WORDS: Final[Mapping[SendError, str]] = MappingProxyType(
    {
        _E.RATE_PROBE_FAILED: (
            "no test packet reached the receiver (no route to it, a peer refused the packets, "
            "or the receiver answered none of them)"
        ),
        _E.INSUFFICIENT_EXCHANGE_RATE: (
            "the exchange rate along the path is worse than the minimum this node accepts"
        ),
        _E.EXCHANGE_RATE_ROUNDING_ERROR: (
            "the amount is too small to arrive at this exchange rate: every packet would round "
            "down to nothing"
        ),
        _E.CONNECTOR_ERROR: "a connector on the path refused the packets for good",
        _E.CLOSED_BY_RECEIVER: "the receiver closed the connection",
        _E.RECEIVER_PROTOCOL_VIOLATION: "the receiver broke the STREAM protocol",
        _E.INCOMPATIBLE_RECEIVE_MAX: "the receiver does not accept that much",
        _E.DESTINATION_ASSET_CONFLICT: "the receiver changed its asset during the payment",
        _E.IDLE_TIMEOUT: "no packet got through for too long",
        _E.EXCEEDED_MAX_SEQUENCE: "the payment needed more packets than one connection carries",
        _E.ABORTED: "this node stopped sending it",
    }
)


def failure_reason(error: str | None) -> str:
    """Why a payment failed, in words: a `SendError` name (with or without `: details`) becomes
    its sentence (the details kept in brackets); other text is returned as it is."""
    if not error:
        return "no reason was recorded"
    name, colon, details = error.partition(":")
    try:
        words = SEND_ERROR_WORDS[SendError(name.strip())]
    except ValueError:
        return error
    details = details.strip()
    return f"{words} ({details})" if colon and details else words


def refusal_words(code: str, message: str) -> str:
    """Why the node refused to send a payment (`sendPayment`'s error), in words: nothing was
    debited. A refusal for want of money says where to add some."""
    text = f"The payment was not sent: {failure_reason(message)}. Nothing was debited."
    if code == "FORBIDDEN":
        text += " Deposit to the asset's liquidity first (the asset's page, Liquidity)."
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentFigures:
    """What `describe` needs of a payment: its state (Rafiki's names), amounts in smallest
    units (`sent`, `fee`, `debited` in the source asset; `delivered` in the receiver's, whose
    code and scale are None until the rate probe learnt them), fulfilled packets, the error,
    and the seconds from its creation to its last update."""

    state: str
    source_code: str
    source_scale: int
    sent: int
    fee: int | None
    debited: int
    delivered: int
    receive_code: str | None
    receive_scale: int | None
    packets: int
    error: str | None
    seconds: float


@dataclass(frozen=True, slots=True)
class Outcome:
    """A headline and sentences; `tone` picks the colour (good, bad, or running)."""

    tone: Literal["good", "bad", "running"]
    headline: str
    lines: tuple[str, ...]


def _packets(count: int) -> str:
    return f"{count:,} packet{'' if count == 1 else 's'}"


def _source(figures: PaymentFigures, amount: int) -> str:
    return f"{format_amount(amount, figures.source_scale)} {figures.source_code}"


def _delivered(figures: PaymentFigures) -> str:
    if figures.receive_code is None or figures.receive_scale is None:
        return f"{figures.delivered:,} of the receiver's smallest unit"
    return f"{format_amount(figures.delivered, figures.receive_scale)} {figures.receive_code}"


def _rate(figures: PaymentFigures) -> str | None:
    if figures.sent == 0 or figures.receive_code is None or figures.receive_scale is None:
        return None
    rate = Fraction(
        figures.delivered * 10**figures.source_scale, figures.sent * 10**figures.receive_scale
    )
    # a rate for reading: six significant digits are plenty, a float is fine for display
    return f"{float(rate):.6g} {figures.receive_code} per {figures.source_code}"


def describe(figures: PaymentFigures) -> Outcome:
    """The outcome of a payment in words."""
    debited = f"Debited {_source(figures, figures.debited)}"
    if figures.fee:
        debited += f" ({_source(figures, figures.sent)} sent, fee {_source(figures, figures.fee)})"
    rate = _rate(figures)
    if figures.state == "COMPLETED":
        lines = [f"{debited}.", f"Took {figures.seconds:.2f} s."]
        if rate is not None:
            lines.insert(1, f"Rate: {rate}.")
        return Outcome(
            "good",
            f"Delivered {_delivered(figures)} in {_packets(figures.packets)}.",
            tuple(lines),
        )
    if figures.state in ("FAILED", "CANCELLED"):
        what = "failed" if figures.state == "FAILED" else "was cancelled"
        if figures.sent == 0:
            money = "Nothing was delivered and nothing was debited."
        else:
            arrived = f"{_delivered(figures)} arrived in {_packets(figures.packets)}"
            money = f"Before it stopped, {arrived}. {debited}."
        return Outcome("bad", f"The payment {what}: {failure_reason(figures.error)}.", (money,))
    return Outcome(
        "running",
        f"Sending: {_delivered(figures)} delivered in {_packets(figures.packets)} so far.",
        (f"{_source(figures, figures.sent)} sent; {figures.seconds:.1f} s since it started.",),
    )
