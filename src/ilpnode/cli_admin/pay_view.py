"""What `ilpnode pay` shows: a payment's progress while it runs, and its summary at the end.

Pure functions from `OutgoingPayment` answers of the Admin API (dicts, amounts as `Amount`
objects `{value, assetCode, assetScale}` with `value` a UInt64 string) to text, so they are unit
tested on their own. Amounts and the rate are computed exactly (integers and fractions); only
durations are floats.

What the progress counts: for a fixed send, the source units sent (`sentAmount`) out of what
is to be sent (`debitAmount` less the `fee`); for a fixed receive (`--receive`), the receiver's
units delivered (`deliveredAmount`) out of `receiveAmount`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any, Final

from ilpnode.cli_admin.tables import format_units, printable, render_fields

__all__ = [
    "BAR_WIDTH",
    "FINAL_STATES",
    "Progress",
    "amount_text",
    "duration_seconds",
    "format_significant",
    "progress_bar",
    "progress_line",
    "progress_of",
    "rate_text",
    "summary",
]

FINAL_STATES: Final = frozenset({"COMPLETED", "FAILED", "CANCELLED"})
BAR_WIDTH: Final = 24
_RATE_DIGITS: Final = 6


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """How far a payment is: `done` of `target` in the units of `asset` (`{assetCode,
    assetScale}`), and its state and fulfilled packets."""

    state: str
    done: int
    target: int
    asset: Mapping[str, Any]
    packets: int

    @property
    def percent(self) -> int:
        """Whole percent done, 0..100 (100 only when done reaches the target)."""
        if self.target <= 0:
            return 100 if self.state == "COMPLETED" else 0
        return min(100, self.done * 100 // self.target)


def _value(amount: Mapping[str, Any] | None) -> int:
    return 0 if amount is None else int(amount["value"])


def progress_of(payment: Mapping[str, Any], *, fixed_receive: bool) -> Progress:
    """The progress of `payment` (an `OutgoingPayment`), counted as the module docstring says."""
    if fixed_receive:
        delivered = payment["deliveredAmount"]
        done, target, asset = _value(delivered), _value(payment["receiveAmount"]), delivered
    else:
        sent = payment["sentAmount"]
        target = _value(payment["debitAmount"]) - _value(payment.get("fee"))
        done, asset = _value(sent), sent
    return Progress(
        state=str(payment["state"]),
        done=done,
        target=max(target, 0),
        asset=asset,
        packets=int(payment.get("packets") or 0),
    )


def _units(value: int, asset: Mapping[str, Any]) -> str:
    """`10.00 USD` when the asset is known, else the bare number of smallest units."""
    code = str(asset.get("assetCode") or "")
    if not code:
        return str(value)
    return f"{format_units(value, int(asset['assetScale']))} {printable(code)}"


def amount_text(amount: Mapping[str, Any] | None) -> str | None:
    """`1000 (10.00 USD)` for an `Amount`; None stays None."""
    if amount is None:
        return None
    value = int(amount["value"])
    if not amount.get("assetCode"):
        return str(value)
    return f"{value} ({_units(value, amount)})"


def _packets(count: int) -> str:
    return f"{count} packet{'' if count == 1 else 's'}"


def progress_bar(progress: Progress, *, elapsed_seconds: float, width: int = BAR_WIDTH) -> str:
    """One redrawable terminal line: `[######------]  50%  5.00 of 10.00 USD  5 packets  1.2 s`."""
    filled = width * progress.percent // 100
    bar = "#" * filled + "-" * (width - filled)
    return (
        f"[{bar}] {progress.percent:>3}%  "
        f"{_units(progress.done, progress.asset)} of {_units(progress.target, progress.asset)}  "
        f"{_packets(progress.packets)}  {elapsed_seconds:.1f} s"
    )


def progress_line(progress: Progress, *, elapsed_seconds: float) -> str:
    """One line for a log (stderr is not a terminal): `sending: 5.00 of 10.00 USD, 5 packets,
    1.2 s`."""
    return (
        f"{progress.state.lower()}: {_units(progress.done, progress.asset)} of "
        f"{_units(progress.target, progress.asset)}, {_packets(progress.packets)}, "
        f"{elapsed_seconds:.1f} s"
    )


def format_significant(value: Fraction, digits: int = _RATE_DIGITS) -> str:
    """`value` (not negative) rounded to `digits` significant digits, without trailing zeros:
    Fraction(23, 25) -> "0.92", Fraction(1, 3) -> "0.333333", Fraction(1100) -> "1100"."""
    if value < 0:
        raise ValueError("value must not be negative")
    if value == 0:
        return "0"
    exponent = _exponent(value)
    decimals = max(0, digits - 1 - exponent)
    scaled = round(value * 10**decimals)
    if decimals == 0:
        return str(scaled)
    text = f"{scaled // 10**decimals}.{scaled % 10**decimals:0{decimals}d}".rstrip("0")
    return text.rstrip(".")


def _exponent(value: Fraction) -> int:
    """floor(log10(value)) for a positive value, exactly."""
    if value >= 1:
        return len(str(value.numerator // value.denominator)) - 1
    exponent = -1
    while value * 10 ** (-exponent) < 1:
        exponent -= 1
    return exponent


def rate_text(payment: Mapping[str, Any]) -> str | None:
    """What one unit of the source delivered: `0.92 EUR per USD`; None before anything was sent
    or while the receiver's asset is unknown."""
    sent, delivered = payment["sentAmount"], payment["deliveredAmount"]
    if _value(sent) == 0 or not delivered.get("assetCode"):
        return None
    rate = Fraction(
        _value(delivered) * 10 ** int(sent["assetScale"]),
        _value(sent) * 10 ** int(delivered["assetScale"]),
    )
    source, target = printable(str(sent["assetCode"])), printable(str(delivered["assetCode"]))
    return f"{format_significant(rate)} {target} per {source}"


def duration_seconds(payment: Mapping[str, Any]) -> float | None:
    """Seconds from `createdAt` to `updatedAt` (ISO 8601), or None if either is unreadable."""
    try:
        created = datetime.fromisoformat(str(payment["createdAt"]))
        updated = datetime.fromisoformat(str(payment["updatedAt"]))
    except (KeyError, ValueError):
        return None
    return max(0.0, (updated - created).total_seconds())


def summary(payment: Mapping[str, Any]) -> str:
    """The payment's summary: `label: value` lines (id, state, receiver, amounts, rate,
    packets, time, and the error of a payment that did not complete)."""
    seconds = duration_seconds(payment)
    fields: list[tuple[str, str | None]] = [
        ("payment", str(payment["id"])),
        ("state", str(payment["state"]).lower()),
        ("receiver", str(payment["receiver"])),
        ("delivered", amount_text(payment["deliveredAmount"])),
        ("sent", amount_text(payment["sentAmount"])),
        ("fee", amount_text(payment.get("fee"))),
        ("debited", amount_text(payment["debitAmount"])),
        ("rate", rate_text(payment)),
        ("packets", str(int(payment.get("packets") or 0))),
        ("time", None if seconds is None else f"{seconds:.2f} s"),
    ]
    if payment["state"] != "COMPLETED" and payment.get("error"):
        fields.append(("error", str(payment["error"])))
    return render_fields(fields)
