"""ILP over HTTP (RFC 0035), the sending side: how a Prepare is POSTed to a peer, in one place.

A Prepare goes to the peer's outgoing endpoint as the body of a `POST`, with the peer's outgoing
token as `Authorization: Bearer …` and `application/octet-stream` as its content type; the
answer is an HTTP status and, with 200, an encoded Fulfill or Reject. Three callers send one:

- the connector (`connector/peer_client.py`), for every packet it forwards. It sends with its
  own HTTP client (`connector/http_client.py`: pooled keep-alive connections, the header bytes
  built once per peer), because a general client spends most of a packet's time on what this
  path never needs (that module says why). So it takes only `header_lines` from here, once per
  peer, and never `post_prepare`: sharing adds nothing to a packet's way;
- the dashboard's connection check (`dashboard/peer_check.py`) and the CLI's
  (`cli_admin/peer_check.py`): one IL-DCP request on a person's click, with httpx, through
  `post_prepare`.

This module sits outside the layers (like `ilpnode.clock`): the connector, the dashboard and the
admin CLI, which may not import one another, all import it. It imports no HTTP library itself;
`post_prepare`'s caller passes the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ilpnode.ilp import Prepare, encode_prepare

if TYPE_CHECKING:
    import httpx

__all__ = ["CONTENT_TYPE", "Answer", "header_lines", "headers", "post_prepare"]

CONTENT_TYPE: Final = "application/octet-stream"


def headers(token: str) -> dict[str, str]:
    """The request's headers for a peer whose outgoing token is `token`."""
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": CONTENT_TYPE,
        "Accept": CONTENT_TYPE,
    }


def header_lines(token: str) -> bytes:
    """`headers(token)` as HTTP/1.1 header lines, each ending in CRLF.

    Raises:
        ValueError: the token is not ASCII, or has control characters (it would break the
            request's framing).
    """
    try:
        token.encode("ascii")
    except UnicodeError:
        raise ValueError("the outgoing token is not ASCII") from None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in token):
        raise ValueError("the outgoing token has control characters")
    return "".join(f"{name}: {value}\r\n" for name, value in headers(token).items()).encode()


@dataclass(frozen=True, slots=True)
class Answer:
    """The peer's HTTP answer: its status, and its body (a Fulfill or Reject with 200)."""

    status: int
    body: bytes


async def post_prepare(
    client: httpx.AsyncClient,
    endpoint: str,
    token: str,
    prepare: Prepare,
    *,
    timeout_seconds: float,
) -> Answer:
    """POST `prepare` to `endpoint` with `token`, waiting at most `timeout_seconds`.

    Raises:
        httpx.HTTPError: no HTTP answer (cannot connect, timed out, broken connection).
    """
    response = await client.post(
        endpoint,
        content=encode_prepare(prepare),
        headers=headers(token),
        timeout=timeout_seconds,
    )
    return Answer(response.status_code, response.content)
