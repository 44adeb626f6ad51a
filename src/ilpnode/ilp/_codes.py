"""ILP error codes (RFC 0027 "Error Codes").

``F`` codes are final (do not retry unchanged), ``T`` codes temporary (retry later, maybe by
another route), ``R`` codes relative (retry with more amount or time margin).
:attr:`Reject.code <ilpnode.ilp.Reject.code>` stays a plain ``str`` so codes unknown to us pass
through a connector untouched; :meth:`IlpErrorCode.try_from` maps a code to a member.
"""

from __future__ import annotations

import enum

__all__ = ["IlpErrorCode"]


class IlpErrorCode(enum.StrEnum):
    """Every error code defined by RFC 0027.  The value is the three-character code.

    A ``StrEnum``: members are ``str`` (``IlpErrorCode.F02_UNREACHABLE == "F02"``) and
    ``str()``/``format()`` give the bare code.
    """

    F00_BAD_REQUEST = "F00"
    F01_INVALID_PACKET = "F01"
    F02_UNREACHABLE = "F02"
    F03_INVALID_AMOUNT = "F03"
    F04_INSUFFICIENT_DESTINATION_AMOUNT = "F04"
    F05_WRONG_CONDITION = "F05"
    F06_UNEXPECTED_PAYMENT = "F06"
    F07_CANNOT_RECEIVE = "F07"
    F08_AMOUNT_TOO_LARGE = "F08"
    F99_APPLICATION_ERROR = "F99"
    T00_INTERNAL_ERROR = "T00"
    T01_PEER_UNREACHABLE = "T01"
    T02_PEER_BUSY = "T02"
    T03_CONNECTOR_BUSY = "T03"
    T04_INSUFFICIENT_LIQUIDITY = "T04"
    T05_RATE_LIMITED = "T05"
    T99_APPLICATION_ERROR = "T99"
    R00_TRANSFER_TIMED_OUT = "R00"
    R01_INSUFFICIENT_SOURCE_AMOUNT = "R01"
    R02_INSUFFICIENT_TIMEOUT = "R02"
    R99_APPLICATION_ERROR = "R99"

    @property
    def title(self) -> str:  # type: ignore[override]  # shadows str.title on purpose
        """The RFC 0027 name of the code, e.g. ``"Unreachable"`` for F02."""
        return _TITLES[self.value]

    @property
    def is_final(self) -> bool:
        """True for ``F`` (final) codes."""
        return self.value[0] == "F"

    @property
    def is_temporary(self) -> bool:
        """True for ``T`` (temporary) codes."""
        return self.value[0] == "T"

    @property
    def is_relative(self) -> bool:
        """True for ``R`` (relative) codes."""
        return self.value[0] == "R"

    @classmethod
    def try_from(cls, code: str) -> IlpErrorCode | None:
        """Return the member for ``code``, or None for a code that RFC 0027 does not define."""
        try:
            return cls(code)
        except ValueError:
            return None


_TITLES: dict[str, str] = {
    "F00": "Bad Request",
    "F01": "Invalid Packet",
    "F02": "Unreachable",
    "F03": "Invalid Amount",
    "F04": "Insufficient Destination Amount",
    "F05": "Wrong Condition",
    "F06": "Unexpected Payment",
    "F07": "Cannot Receive",
    "F08": "Amount Too Large",
    "F99": "Application Error",
    "T00": "Internal Error",
    "T01": "Peer Unreachable",
    "T02": "Peer Busy",
    "T03": "Connector Busy",
    "T04": "Insufficient Liquidity",
    "T05": "Rate Limited",
    "T99": "Application Error",
    "R00": "Transfer Timed Out",
    "R01": "Insufficient Source Amount",
    "R02": "Insufficient Timeout",
    "R99": "Application Error",
}
