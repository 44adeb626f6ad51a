"""Input validation shared by the asset and peer services (rafiki-peering §3.2).

Every function returns a bool or a parsed value / None: bad input is a business failure that the
services turn into their error values, never an exception.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

from ilpnode.ilp import MAX_ADDRESS_LENGTH, is_valid_address
from ilpnode.uuids import parse_uuid

__all__ = [
    "SCALE_MAX",
    "UINT64_MAX",
    "is_valid_asset_code",
    "is_valid_http_endpoint",
    "is_valid_ilp_address",
    "is_valid_route",
    "is_valid_scale",
    "is_valid_uint64",
    "parse_uuid",
]

UINT64_MAX: Final = 2**64 - 1
SCALE_MAX: Final = 255  # Rafiki's UInt8 scale
_ASSET_CODE = re.compile(r"[A-Z0-9]{1,64}").fullmatch
"""Rafiki validates codes only in its UI (ISO 4217-like, 3 letters); the API accepts any string.
We accept 1..64 characters of A-Z and 0-9: every ISO 4217 code and every ticker-style code,
nothing that would be ambiguous or unprintable in a UI or a log."""
_SEGMENT = re.compile(r"[a-zA-Z0-9_~-]+").fullmatch


def is_valid_ilp_address(value: object) -> bool:
    """RFC 0015 / ilp-packet `isValidIlpAddress`: a known scheme and at least two segments."""
    return isinstance(value, str) and is_valid_address(value)


def is_valid_route(value: object) -> bool:
    """A route prefix: one or more dot-separated ILP address segments, at most 1023 characters
    (a single segment such as `g` is allowed: a route for a whole scheme)."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ADDRESS_LENGTH:
        return False
    return all(_SEGMENT(segment) for segment in value.split("."))


def is_valid_http_endpoint(value: object) -> bool:
    """Rafiki's `isValidHttpUrl`: after trimming, an `http:` or `https:` URL with a non-empty
    hostname none of whose dot-separated labels is empty (`http://.com` is refused). Ports and
    paths are allowed; an unparsable port is refused."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value.strip())
        _ = parts.port  # raises ValueError for a bad port
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https"):
        return False
    host = parts.hostname
    if not host:
        return False
    if host.startswith("[") or ":" in host:  # IPv6 literal: no dot labels to check
        return True
    return all(label for label in host.split("."))


def is_valid_asset_code(value: object) -> bool:
    """1..64 characters of A-Z and 0-9 (see `_ASSET_CODE`)."""
    return isinstance(value, str) and _ASSET_CODE(value) is not None


def is_valid_scale(value: object) -> bool:
    """An integer in 0..255."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= SCALE_MAX


def is_valid_uint64(value: object) -> bool:
    """An integer in 0..2**64-1 (bool is not an integer here)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= UINT64_MAX


TOKEN_LENGTH_MAX = 1024  # far more than any real token; keeps headers and indexes small


def is_valid_token(value: object) -> bool:
    """ilpnode's rule for incoming and outgoing tokens: 1..1024 printable ASCII characters
    (space included). Tokens travel in an HTTP header, where a control character would end the
    header (or inject another) and non-ASCII has no portable encoding."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= TOKEN_LENGTH_MAX
        and all(" " <= char <= "~" for char in value)
    )
