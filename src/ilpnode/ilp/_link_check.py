"""What a peer's answer to an IL-DCP request says about the link to it, in words.

A link check (`ilpnode peers check` in the CLI, "Check connection" on the dashboard) POSTs an
IL-DCP request (RFC 0031: a Prepare to `peer.config`, amount 0) to a peer's outgoing endpoint
with its outgoing token, as the connector would. This module reads the HTTP answer, so that
both say the same thing: any ILP answer proves the endpoint is reachable and the token
accepted; an IL-DCP answer also says which address and asset the peer has configured for us,
and they are compared with ours. Sans-IO: the caller sends the request and handles transport
errors (which have no answer to read).
"""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import IlpCodecError
from ._ildcp import IldcpError, decode_ildcp_response
from ._packet import Fulfill
from ._reply_codec import decode_reply

__all__ = ["LinkCheckAnswer", "read_link_check_answer"]

_SHOWN_BODY_CHARS = 200  # of a non-ILP HTTP answer


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkCheckAnswer:
    """`ok`: the peer answered in ILP (the link works); `lines` say what it answered."""

    ok: bool
    lines: tuple[str, ...]


def read_link_check_answer(
    status: int,
    body: bytes,
    *,
    label: str,
    endpoint: str,
    asset_code: str,
    asset_scale: int,
    own_address: str | None = None,
) -> LinkCheckAnswer:
    """Read the HTTP answer (`status`, `body`) of peer `label` at `endpoint` to an IL-DCP
    request. `asset_code`/`asset_scale`: the asset we peer with it in; `own_address`: our ILP
    address, compared with the one the peer has for us when given. Never raises."""
    if status in (401, 403):
        return _failed(
            f"Peer {label} refused our outgoing token (HTTP {status}): check the token it gave you."
        )
    if status != 200:
        text = body[:_SHOWN_BODY_CHARS].decode("utf-8", "replace")
        return _failed(f"Peer {label} answered HTTP {status} instead of an ILP packet: {text}")
    try:
        reply = decode_reply(body)
    except IlpCodecError as error:
        return _failed(f"Peer {label} answered something that is not ILP: {error}.")
    lines = [f"Peer {label} at {endpoint} accepted our token."]
    if not isinstance(reply, Fulfill):
        lines.append(
            f"It does not answer IL-DCP ({reply.code} from {reply.triggered_by or '?'}: "
            f"{reply.message or 'no message'}); Rafiki and ilp-connector peers often do not, "
            "which is fine."
        )
        return LinkCheckAnswer(ok=True, lines=tuple(lines))
    try:
        told = decode_ildcp_response(reply)
    except (IldcpError, IlpCodecError, ValueError) as error:
        lines.append(f"Its IL-DCP answer cannot be read: {error}.")
        return LinkCheckAnswer(ok=True, lines=tuple(lines))
    lines.append(
        f"It knows this node as {told.client_address}, asset {told.asset_code} "
        f"scale {told.asset_scale}."
    )
    if (told.asset_code, told.asset_scale) != (asset_code, asset_scale):
        lines.append(
            f"Warning: this node peers with it in {asset_code} scale {asset_scale}: the two "
            "sides disagree on the asset, so amounts would be misread."
        )
    if own_address is not None and told.client_address != own_address:
        lines.append(
            f"Note: this node's ILP address is {own_address}; the peer has "
            f"{told.client_address} configured for it, so packets it sends to "
            f"{own_address} may not come through this link."
        )
    return LinkCheckAnswer(ok=True, lines=tuple(lines))


def _failed(line: str) -> LinkCheckAnswer:
    return LinkCheckAnswer(ok=False, lines=(line,))
