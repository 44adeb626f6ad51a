"""ILP addresses (RFC 0015 "ILP Addresses").

An address is a scheme (``g``, ``private``, ``example``, ``peer``, ``self``, ``test``,
``test1``..``test3``, ``local``) followed by one or more ``.segment`` parts made of
``A-Z a-z 0-9 _ ~ -``, 1 to 1023 characters in all, case-sensitive.  The pattern is the one in
RFC 0015 (also used by interledger-rs and ilp-packet); we match it with ``fullmatch`` so that a
trailing newline, which ``$`` would tolerate, is refused.
"""

from __future__ import annotations

import re
from typing import NewType

from ._errors import InvalidAddress

__all__ = [
    "ADDRESS_PATTERN",
    "MAX_ADDRESS_LENGTH",
    "SCHEMES",
    "IlpAddress",
    "address_fullmatch",
    "address_scheme",
    "is_valid_address",
    "parse_address",
]

IlpAddress = NewType("IlpAddress", str)

#: Longest address, in characters (= bytes, addresses are ASCII) (RFC 0015, InterledgerTypes.asn).
MAX_ADDRESS_LENGTH = 1023

#: Allocation schemes of RFC 0015.
SCHEMES = frozenset({"g", "private", "example", "peer", "self", "test", "test1", "test2",
                     "test3", "local"})  # fmt: skip

#: RFC 0015's pattern without its length lookahead: callers check ``len() <= 1023``
#: separately (same set of addresses, faster) and must use ``fullmatch``.
ADDRESS_PATTERN = r"(?:g|private|example|peer|self|test[1-3]?|local)(?:[.][a-zA-Z0-9_~-]+)+"
_match_str = re.compile(ADDRESS_PATTERN).fullmatch
#: ``fullmatch`` of the RFC 0015 pattern on a str (no length check); for hot paths.
address_fullmatch = _match_str
_SEGMENT = re.compile(r"[a-zA-Z0-9_~-]+").fullmatch


def is_valid_address(s: str) -> bool:
    """Return True if ``s`` is a valid ILP address (RFC 0015)."""
    return isinstance(s, str) and len(s) <= MAX_ADDRESS_LENGTH and _match_str(s) is not None


def parse_address(s: str) -> IlpAddress:
    """Validate ``s`` and return it as an :data:`IlpAddress`.

    Raises:
        InvalidAddress: ``s`` is not a valid address; the message says what is wrong.
    """
    if is_valid_address(s):
        return IlpAddress(s)
    raise InvalidAddress(_explain(s))


def address_scheme(addr: str) -> str:
    """Return the scheme of an address: the part before the first dot (``"g"``, ``"test"``...)."""
    return addr.partition(".")[0]


def _explain(s: object) -> str:
    if not isinstance(s, str):
        return f"ILP address must be a str, not {type(s).__name__}"
    if not s:
        return "ILP address is empty"
    if len(s) > MAX_ADDRESS_LENGTH:
        return f"ILP address is {len(s)} characters long; the maximum is {MAX_ADDRESS_LENGTH}"
    scheme, dot, rest = s.partition(".")
    if scheme not in SCHEMES:
        allowed = ", ".join(sorted(SCHEMES))
        return f"ILP address {s!r} has unknown scheme {scheme!r} (allowed: {allowed})"
    if not dot:
        return f"ILP address {s!r} needs at least one segment after the scheme"
    for segment in rest.split("."):
        if not segment:
            return f"ILP address {s!r} has an empty segment (leading, trailing or double dot)"
        if _SEGMENT(segment) is None:
            bad = next(c for c in segment if _SEGMENT(c) is None)
            return f"ILP address {s!r} contains the invalid character {bad!r}"
    return f"ILP address {s!r} is invalid"  # pragma: no cover - every case is covered above
