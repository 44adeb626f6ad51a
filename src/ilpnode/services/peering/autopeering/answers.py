"""What the other node answered to our peering request (`AutoPeeringService.initiate`): its
details, or an `AutoPeeringFailure` that says in words what went wrong, with whatever the peer
said repeated short and printable."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from ilpnode.services.peering.autopeering.errors import AutoPeeringError, AutoPeeringFailure
from ilpnode.services.peering.autopeering.messages import (
    PeeringDetails,
    decode_error_type,
    decode_peering_details,
)
from ilpnode.services.peering.autopeering.ports import PeerAnswer, PeerUnreachable
from ilpnode.services.peering.model import Asset

__all__ = ["read_answer"]

_E = AutoPeeringError
# How much of a peer's error message is repeated in ours.
_REMOTE_MESSAGE_MAX: Final = 300


def read_answer(
    answer: PeerAnswer | PeerUnreachable, *, url: str, asset: Asset, own_address: str
) -> PeeringDetails | AutoPeeringFailure:
    """The peer's details from its answer, or why there are none."""
    if isinstance(answer, PeerUnreachable):
        return AutoPeeringFailure(_E.InvalidPeerUrl, f"cannot reach {url}: {answer.reason}")
    status, body = answer.status, answer.body
    if body is None:
        return AutoPeeringFailure(
            _E.InvalidPeerUrl, f"{url} answered HTTP {status} with a body too large to be one"
        )
    if 200 <= status < 300:
        details = decode_peering_details(body)
        if isinstance(details, AutoPeeringFailure):
            return replace(details, detail=f"the answer of {url}: {details.detail}")
        if details.static_ilp_address == own_address:
            return AutoPeeringFailure(
                _E.InvalidPeerIlpConfiguration,
                f"{url} answered with this node's own address (is it this node's own "
                "auto-peering URL?)",
                "staticIlpAddress",
            )
        return details
    if status == 401:
        return AutoPeeringFailure(
            _E.InvalidPeeringRequest,
            f"{url} wants its auto-peering secret (HTTP 401): ask its operator for it and put it "
            "in the peer URL, e.g. http://ilpnode:SECRET@host:3005/",
        )
    error = decode_error_type(body)
    if error is None:
        return AutoPeeringFailure(
            _E.InvalidPeerUrl, f"{url} answered HTTP {status}, not an auto-peering answer"
        )
    kind, message = error
    remote = f' (the peer says: "{_printable(message)}")' if message else ""
    if kind == _E.InvalidPeerIlpConfiguration.value:
        return AutoPeeringFailure(
            _E.InvalidIlpConfiguration, f"the peer refused this node's details{remote}"
        )
    if kind == _E.UnknownAsset.value:
        return AutoPeeringFailure(
            _E.PeerUnsupportedAsset,
            f"the peer has no asset {asset.code} with scale {asset.scale}{remote}",
        )
    return AutoPeeringFailure(
        _E.InvalidPeeringRequest,
        f"the peer refused the request with HTTP {status} {_printable(kind)[:64]}{remote}",
    )


def _printable(text: str) -> str:
    """A peer's text, cut short and without control characters, for our messages."""
    cleaned = "".join(c if c.isprintable() else " " for c in text[:_REMOTE_MESSAGE_MAX])
    return cleaned + ("…" if len(text) > _REMOTE_MESSAGE_MAX else "")
