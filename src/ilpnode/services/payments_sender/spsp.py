"""SPSP client (RFC 0009): ask a receiver for STREAM credentials.

A receiver is named by a payment pointer (RFC 0026) or by the URL of its SPSP endpoint (a
Rafiki wallet address URL):

- ``$host/path`` → ``https://host/path``; ``$host`` (or ``$host/``) →
  ``https://host/.well-known/pay``;
- ``https://…`` as given; ``http://…`` only for a loopback host (``localhost``, 127.0.0.0/8,
  ``::1``) or when the caller allows it (tests, private networks).

``GET`` with ``Accept: application/spsp4+json, application/spsp+json`` (Rafiki answers 406
without ``spsp4``), and the RFC 0039 ``Receipt-Nonce``/``Receipt-Secret`` headers when the
caller wants receipts.  The answer must be 200 with a JSON object carrying a valid ILP address
in ``destination_account`` and a 32-byte ``shared_secret`` in base64 or base64url (padded or
not); ``receipts_enabled`` is read when present; unknown fields are ignored.  Redirects are
not followed (the request may carry the receipt secret).  Every failure is an
:class:`SpspError` whose message says what went wrong: no such receiver (404), not an SPSP
answer, a timeout, an unreachable host, an insecure URL.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from ilpnode.ilp import InvalidAddress, parse_address

__all__ = [
    "MAX_ANSWER_BYTES",
    "SPSP_ACCEPT",
    "SPSP_TIMEOUT_SECONDS",
    "SpspError",
    "SpspReceiver",
    "query_spsp",
    "spsp_url",
]

#: The Accept header of an SPSP query (RFC 0009; Rafiki requires spsp4).
SPSP_ACCEPT: Final = "application/spsp4+json, application/spsp+json"
#: How long an SPSP query may take.
SPSP_TIMEOUT_SECONDS: Final = 10.0
#: An SPSP answer is a few hundred bytes; anything far larger is not one.
MAX_ANSWER_BYTES: Final = 64 * 1024
_SHARED_SECRET_BYTES: Final = 32


class SpspError(Exception):
    """The receiver could not be resolved; the message says why, for a person."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SpspReceiver:
    """The STREAM credentials a receiver gave (its repr leaves the secret out).

    Attributes:
        url: the SPSP endpoint that answered.
        destination_account: the connection's ILP address.
        shared_secret: the connection's 32-byte shared secret.
        receipts_enabled: the receiver said it will send STREAM receipts.
    """

    url: str
    destination_account: str
    shared_secret: bytes = field(repr=False)
    receipts_enabled: bool = False


def spsp_url(receiver: str, *, allow_http: bool = False) -> str:
    """The SPSP endpoint of ``receiver`` (a payment pointer or a URL).

    Raises:
        SpspError: not a payment pointer nor an http(s) URL, or plain http to a host that is
            not loopback without ``allow_http``.
    """
    text = receiver.strip()
    if text.startswith("$"):
        parts = urlsplit("https://" + text[1:])
        if not parts.hostname or parts.username is not None or parts.query or parts.fragment:
            raise SpspError(f"{receiver!r} is not a payment pointer ($host/path)")
        path = parts.path if parts.path not in ("", "/") else "/.well-known/pay"
        return f"https://{parts.netloc}{path}"
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SpspError(f"{receiver!r} is neither a payment pointer nor an http(s) URL")
    if parts.username is not None:
        raise SpspError(f"{receiver!r}: user info in a receiver URL is not allowed")
    if parts.scheme == "http" and not allow_http and not _is_loopback(parts.hostname):
        raise SpspError(f"{receiver!r}: SPSP needs https (plain http only to a loopback host)")
    return text


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def query_spsp(
    client: httpx.AsyncClient,
    receiver: str,
    *,
    allow_http: bool = False,
    timeout_seconds: float = SPSP_TIMEOUT_SECONDS,
    receipt_nonce: bytes | None = None,
    receipt_secret: bytes | None = None,
) -> SpspReceiver:
    """Resolve ``receiver`` (payment pointer or URL) to STREAM credentials.

    Raises:
        SpspError: anything that is not a valid SPSP answer (see the module docstring).
        ValueError: only one of ``receipt_nonce`` / ``receipt_secret``, or wrong sizes.
    """
    if (receipt_nonce is None) != (receipt_secret is None):
        raise ValueError("receipt_nonce and receipt_secret go together")
    headers = {"accept": SPSP_ACCEPT}
    if receipt_nonce is not None and receipt_secret is not None:
        if len(receipt_nonce) != 16 or len(receipt_secret) != 32:
            raise ValueError("a receipt nonce is 16 bytes and a receipt secret 32")
        headers["receipt-nonce"] = base64.b64encode(receipt_nonce).decode()
        headers["receipt-secret"] = base64.b64encode(receipt_secret).decode()
    url = spsp_url(receiver, allow_http=allow_http)
    status, content_type, body = await _get(client, url, headers, timeout_seconds)
    if status == 404:
        raise SpspError(f"no such receiver at {url} (404{_error_detail(body)})")
    if 300 <= status < 400:
        raise SpspError(f"{url} answered {status}, a redirect (not followed)")
    if status != 200:
        raise SpspError(f"{url} answered {status}{_error_detail(body)}, not an SPSP answer")
    return _parse_answer(url, content_type, body)


async def _get(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], timeout: float
) -> tuple[int, str, bytes]:
    try:
        async with client.stream(
            "GET", url, headers=headers, timeout=timeout, follow_redirects=False
        ) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise SpspError(f"{url} answered more than {MAX_ANSWER_BYTES} bytes")
            return response.status_code, response.headers.get("content-type", ""), bytes(body)
    except httpx.TimeoutException:
        raise SpspError(f"{url} did not answer within {timeout:g} s") from None
    except (httpx.InvalidURL, ValueError) as error:  # ValueError: e.g. a malformed IDNA host
        raise SpspError(f"{url} is not a valid URL ({error})") from None
    except httpx.TransportError as error:
        raise SpspError(f"cannot reach {url}: {error or type(error).__name__}") from None


def _error_detail(body: bytes) -> str:
    """``: <message>`` from a JSON error body (``{"id", "message"}``), or nothing."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return ""
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return f": {payload['message'][:200]}"
    return ""


def _parse_answer(url: str, content_type: str, body: bytes) -> SpspReceiver:
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and not media_type.endswith("json"):
        raise SpspError(f"{url} answered {media_type}, not an SPSP answer (JSON)")
    try:
        payload: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SpspError(f"{url} answered something that is not JSON") from None
    if not isinstance(payload, dict):
        raise SpspError(f"{url} answered JSON that is not an object")
    account = payload.get("destination_account")
    if not isinstance(account, str):
        raise SpspError(f"{url}: the answer has no destination_account")
    try:
        parse_address(account)
    except InvalidAddress:
        raise SpspError(f"{url}: destination_account is not an ILP address") from None
    secret = _decode_secret(payload.get("shared_secret"))
    if secret is None:
        raise SpspError(f"{url}: shared_secret is not 32 bytes of base64 or base64url")
    receipts = payload.get("receipts_enabled", False)
    if not isinstance(receipts, bool):
        raise SpspError(f"{url}: receipts_enabled is not true or false")
    return SpspReceiver(
        url=url, destination_account=account, shared_secret=secret, receipts_enabled=receipts
    )


def _decode_secret(value: object) -> bytes | None:
    """32 bytes from base64 or base64url, padded or not; None for anything else."""
    if not isinstance(value, str) or not value.isascii():
        return None
    text = value.strip().rstrip("=").replace("-", "+").replace("_", "/")
    try:
        secret = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return secret if len(secret) == _SHARED_SECRET_BYTES else None
