"""Rafiki's webhook signature: `Rafiki-Signature: t=<ms>, v<version>=<hex>`.

The digest is HMAC-SHA256, keyed with SIGNATURE_SECRET, of `"<t>." + canonical JSON of {id,
type, data}`, where the canonical JSON is RFC 8785's (JCS), the form npm's `json-canonicalize`
gives Rafiki: no whitespace, object keys sorted by their UTF-16 code units, strings escaped as
ECMAScript's `JSON.stringify` escapes them, integers in decimal. A receiver parses the body,
canonicalises it again and compares digests, so the body's own spacing and key order do not
matter; we send the canonical text itself.

Only the values a webhook body holds are accepted (objects with string keys, arrays, strings,
integers, booleans, null): a float has no single JCS spelling we would want to promise, and no
event carries one (amounts are strings, as in Rafiki).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from typing import Final

__all__ = [
    "SIGNATURE_HEADER",
    "canonical_json",
    "sign",
    "signature_header",
    "verify_signature",
]

SIGNATURE_HEADER: Final = "Rafiki-Signature"

# JavaScript numbers are doubles: integers beyond this lose digits in the receiver's JSON.parse.
_SAFE_INTEGER_MAX: Final = 2**53 - 1
_SHORT_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
# What JSON.stringify escapes: quote, backslash, C0 controls, and (ES2019) lone surrogates.
_NEEDS_ESCAPE: Final = re.compile('["\\\\\x00-\x1f\ud800-\udfff]')
_HEADER: Final = re.compile(r"t=(\d+), v(\d+)=([0-9a-f]{64})")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _string(value: str) -> str:
    return f'"{_NEEDS_ESCAPE.sub(_escape, value)}"'


def canonical_json(value: object) -> str:
    """`value` as RFC 8785 canonical JSON (see the module docstring).

    Raises:
        TypeError: a value of another type (a float, bytes, a non-string key).
        ValueError: an integer a JavaScript receiver could not read exactly (beyond 2**53-1).
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > _SAFE_INTEGER_MAX:
            raise ValueError(f"{value} is beyond JavaScript's exact integers: send it as a string")
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        keys = list(value)
        if not all(isinstance(key, str) for key in keys):
            raise TypeError("canonical JSON object keys must be strings")
        # UTF-16 code unit order: UTF-16BE bytes compare in exactly that order.
        keys.sort(key=lambda key: key.encode("utf-16-be", "surrogatepass"))
        members = (f"{_string(key)}:{canonical_json(value[key])}" for key in keys)
        return "{" + ",".join(members) + "}"
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    raise TypeError(f"{type(value).__name__} has no canonical JSON form here")


def sign(canonical_body: str, *, secret: str, timestamp_ms: int) -> str:
    """The hex HMAC-SHA256 of `"<timestamp_ms>.<canonical_body>"` keyed with `secret`."""
    payload = f"{timestamp_ms}.{canonical_body}".encode()
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def signature_header(canonical_body: str, *, secret: str, version: int, timestamp_ms: int) -> str:
    """The `Rafiki-Signature` value: `t=<timestamp_ms>, v<version>=<digest>`."""
    digest = sign(canonical_body, secret=secret, timestamp_ms=timestamp_ms)
    return f"t={timestamp_ms}, v{version}={digest}"


def verify_signature(header: str, body: object, *, secret: str, version: int) -> bool:
    """What a receiver checks: `header` is a `Rafiki-Signature` of version `version` whose digest
    matches the canonical JSON of `body` (the parsed request body, of which only `id`, `type`
    and `data` are signed). Does not judge the timestamp's age. Never raises for bad input."""
    match = _HEADER.fullmatch(header.strip())
    if match is None or int(match.group(2)) != version or not isinstance(body, Mapping):
        return False
    try:
        signed = canonical_json({key: body.get(key) for key in ("id", "type", "data")})
    except (TypeError, ValueError):
        return False
    expected = sign(signed, secret=secret, timestamp_ms=int(match.group(1)))
    return hmac.compare_digest(expected, match.group(3))
