"""The auto-peering service: accept a peer's request, or ask a peer (rafiki-peering §7).

Theory of operation. Two nodes exchange one request and one answer; each then holds a peer for
the other, in the same asset, with one token in each direction:

    A (initiator)                                        B (acceptor, auto-peering server)
    createOrUpdatePeerByUrl(peerUrl, assetId)
      token_a := new token
      POST peerUrl {A's address, connector URL, asset, token_a, maxPacketAmount, name} ──▶
                                                           token_b := new token
                                                           create (or update) peer A:
                                                             incoming [token_a], outgoing token_b
                                                             + AUTO_PEERING_DEFAULT_LIQUIDITY
      ◀── 200 {B's address, connector URL, token_b, name, tenantId}
      create (or update) peer B: incoming [token_b], outgoing token_a
      deposit liquidityToDeposit (if any)

"Update" means the same asset and exactly the same static address: the peer is re-peered in
place, both tokens are replaced (the old ones stop working at once) and its connector URL, and
its name and max packet amount when given; no liquidity is granted again on the accepting side.

Who may update what. A peer created by auto-peering (either side) is marked `auto_peered`. The
acceptor updates only such peers: a request for the address and asset of a peer the operator
made by hand is refused (PeerNotAutoPeered, HTTP 409) and changes nothing, so whoever reaches the
server cannot take over that peer's tokens, endpoint and credit line. The initiator is the
operator acting on purpose (`createOrUpdatePeerByUrl`), so it updates any peer, as Rafiki does;
the mark stays as it was (a hand-made peer re-peered that way is still one).

Failure semantics: a refused request changes nothing on the side that refuses it. The two sides
are not one transaction: if the initiator fails *after* the acceptor answered (its own peer
cannot be written, or the deposit fails), the acceptor already holds its side; running the
mutation again re-peers both (new tokens) and is the fix. A failed deposit leaves the peer in
place (as Rafiki does) and says so.

Decisions where Rafiki differs:

- every field of the request and of the answer is validated (`messages`);
- the existing peer is found by exact (asset, address), not by a routing (prefix) lookup, which
  could pick another peer that merely routes the address;
- a request never updates a peer made by hand (Rafiki updates any peer with that address);
- a request or answer with this node's own address is refused (peering with oneself);
- the granted liquidity is the setting AUTO_PEERING_DEFAULT_LIQUIDITY (Rafiki: 2**53-1);
- tokens are `secrets.token_urlsafe(32)` (256 bits), not UUIDs;
- an unreachable peer includes a timeout (10 s; Rafiki waits forever) and a non-auto-peering
  answer (an HTTP error without Rafiki's error body, or not JSON) is InvalidPeerUrl.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

from ilpnode.accounting import LiquidityResult
from ilpnode.services.peering.assets import AssetService
from ilpnode.services.peering.autopeering.answers import read_answer
from ilpnode.services.peering.autopeering.errors import AutoPeeringError, AutoPeeringFailure
from ilpnode.services.peering.autopeering.messages import (
    PeeringDetails,
    PeeringRequest,
    encode_peering_request,
)
from ilpnode.services.peering.autopeering.ports import PeeringClient
from ilpnode.services.peering.errors import AssetError, PeerError
from ilpnode.services.peering.liquidity import PeeringLiquidity
from ilpnode.services.peering.model import UNSET, Asset, HttpOutgoing, Peer
from ilpnode.services.peering.peers import CreatePeer, PeerService, UpdatePeer
from ilpnode.services.peering.validation import is_valid_http_endpoint

__all__ = [
    "Accepted",
    "AutoPeeringService",
    "InitiatePeering",
    "NodeIdentity",
    "new_token",
    "without_user_info",
]

logger = logging.getLogger("ilpnode.autopeering")

_E = AutoPeeringError


def new_token() -> str:
    """A token this node will present to a peer: 32 random bytes, URL-safe base64 (43 chars)."""
    return secrets.token_urlsafe(32)


def without_user_info(url: str) -> str:
    """`url` without its user info (which may carry a peer's secret), for messages and logs."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"***@{host}"))
    except ValueError:
        return "<unparsable URL>"


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeIdentity:
    """What this node tells peers: ILP_ADDRESS, ILP_CONNECTOR_URL, INSTANCE_NAME (None: unset)
    and its tenant id (Rafiki answers the peer's tenant, ours is the operator's)."""

    ilp_address: str | None
    ilp_connector_url: str | None
    instance_name: str | None
    tenant_id: str

    def missing(self) -> list[str]:
        """The environment variables of the identity that are not set."""
        values = {
            "ILP_ADDRESS": self.ilp_address,
            "ILP_CONNECTOR_URL": self.ilp_connector_url,
            "INSTANCE_NAME": self.instance_name,
        }
        return [name for name, value in values.items() if value is None]


@dataclass(frozen=True, slots=True, kw_only=True)
class InitiatePeering:
    """`createOrUpdatePeerByUrl` input. A max packet amount of 0 counts as none (Rafiki)."""

    peer_url: str
    asset_id: UUID | str
    name: str | None = None
    max_packet_amount: int | None = None
    liquidity_threshold: int | None = None
    liquidity_to_deposit: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """An accepted peering request: the answer to send, and the peer as stored here."""

    details: PeeringDetails
    peer: Peer
    created: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class _Peering:
    """One side's peer record, as both flows write it."""

    asset: Asset
    address: str
    incoming_token: str
    outgoing: HttpOutgoing
    name: str | None
    max_packet_amount: int | None
    liquidity_threshold: int | None = None
    initial_liquidity: int | None = None


class AutoPeeringService:
    """Both sides of auto-peering, over the peer, asset and liquidity services.

    Args:
        assets, peers, liquidity: the node's peering services.
        client: sends our peering requests.
        identity: what we announce.
        default_liquidity: the credit line given to a node whose request creates a peer here.
        token_factory: makes the tokens we present (tests pass a predictable one).
    """

    def __init__(
        self,
        *,
        assets: AssetService,
        peers: PeerService,
        liquidity: PeeringLiquidity,
        client: PeeringClient,
        identity: NodeIdentity,
        default_liquidity: int,
        token_factory: Callable[[], str] = new_token,
    ) -> None:
        self._assets = assets
        self._peers = peers
        self._liquidity = liquidity
        self._client = client
        self._identity = identity
        self._default_liquidity = default_liquidity
        self._new_token = token_factory

    async def accept(self, request: PeeringRequest) -> Accepted | AutoPeeringFailure:
        """Accept a (validated) peering request: create or update the requester's peer.

        Returns:
            The answer and the peer, or InvalidIlpConfiguration (our identity is incomplete),
            InvalidPeeringRequest (our own address, a token already in use), UnknownAsset (no
            asset with that code and scale), PeerNotAutoPeered (the peer with that address and
            asset was made by hand), InvalidPeerIlpConfiguration, LiquidityError (the credit
            line could not be granted). Nothing is changed on failure. Raises only on
            infrastructure faults.
        """
        identity = self._identity
        missing = identity.missing()
        if missing or identity.ilp_address is None or identity.ilp_connector_url is None:
            return AutoPeeringFailure(_E.InvalidIlpConfiguration, f"{', '.join(missing)} not set")
        if request.static_ilp_address == identity.ilp_address:
            return AutoPeeringFailure(
                _E.InvalidPeeringRequest,
                "staticIlpAddress is this node's own address",
                "staticIlpAddress",
            )
        asset = await self._assets.by_code_and_scale(request.asset_code, request.asset_scale)
        if asset is None:
            return AutoPeeringFailure(
                _E.UnknownAsset,
                f"this node has no asset {request.asset_code[:64]!r} with scale "
                f"{request.asset_scale}",
                "asset",
            )
        token = self._new_token()
        written = await self._create_or_update(
            _Peering(
                asset=asset,
                address=request.static_ilp_address,
                incoming_token=request.http_token,
                outgoing=HttpOutgoing(auth_token=token, endpoint=request.ilp_connector_url),
                name=request.name,
                max_packet_amount=request.max_packet_amount,
                initial_liquidity=self._default_liquidity or None,
            ),
            update_manual=False,
        )
        if isinstance(written, AutoPeeringFailure):
            return written
        if isinstance(written, PeerError):
            return _peer_failure(written, side="request")
        peer, created = written
        logger.info(
            "auto-peering: %s peer %s (%s, %s/%d) for a request from %s",
            "created" if created else "updated",
            peer.id,
            peer.name or "no name",
            asset.code,
            asset.scale,
            peer.static_ilp_address,
        )
        details = PeeringDetails(
            static_ilp_address=identity.ilp_address,
            ilp_connector_url=identity.ilp_connector_url,
            http_token=token,
            name=identity.instance_name,
            tenant_id=identity.tenant_id,
        )
        return Accepted(details=details, peer=peer, created=created)

    async def initiate(self, request: InitiatePeering) -> Peer | AutoPeeringFailure:
        """Ask the node at `peer_url` to peer, then create or update its peer here and deposit
        `liquidity_to_deposit`.

        Returns:
            The peer, or UnknownAsset, InvalidIlpConfiguration (our identity is incomplete, or
            the peer refused it), InvalidPeerUrl (not an http(s) URL, unreachable, no
            auto-peering answer), PeerUnsupportedAsset, InvalidPeerIlpConfiguration (the
            answer's address or URL), InvalidPeeringRequest (refused, or a malformed answer),
            LiquidityError (the peer is in place, the deposit failed). Raises only on
            infrastructure faults.
        """
        asset = await self._assets.get(request.asset_id)
        if isinstance(asset, AssetError):
            return AutoPeeringFailure(_E.UnknownAsset, f"no asset with id {request.asset_id}")
        identity = self._identity
        missing = identity.missing()
        if missing or identity.ilp_address is None or identity.ilp_connector_url is None:
            return AutoPeeringFailure(
                _E.InvalidIlpConfiguration,
                f"{', '.join(missing)} not set on this node: auto-peering tells the peer this "
                "node's ILP address, connector URL and name",
            )
        url = without_user_info(request.peer_url)
        if not is_valid_http_endpoint(request.peer_url):
            return AutoPeeringFailure(
                _E.InvalidPeerUrl, f"peerUrl {url[:200]!r} is not an http(s) URL", "peerUrl"
            )
        token = self._new_token()
        max_packet_amount = request.max_packet_amount or None
        message = PeeringRequest(
            static_ilp_address=identity.ilp_address,
            ilp_connector_url=identity.ilp_connector_url,
            asset_code=asset.code,
            asset_scale=asset.scale,
            http_token=token,
            max_packet_amount=max_packet_amount,
            name=identity.instance_name,
        )
        answer = await self._client.post_json(request.peer_url, encode_peering_request(message))
        details = read_answer(answer, url=url, asset=asset, own_address=identity.ilp_address)
        if isinstance(details, AutoPeeringFailure):
            logger.info("auto-peering with %s failed: %s", url, details.message)
            return details
        written = await self._create_or_update(
            _Peering(
                asset=asset,
                address=details.static_ilp_address,
                incoming_token=details.http_token,
                outgoing=HttpOutgoing(auth_token=token, endpoint=details.ilp_connector_url),
                name=request.name if request.name is not None else details.name,
                max_packet_amount=max_packet_amount,
                liquidity_threshold=request.liquidity_threshold,
            ),
            update_manual=True,
        )
        if isinstance(written, AutoPeeringFailure):  # not with update_manual=True
            return written
        if isinstance(written, PeerError):
            failure = _peer_failure(written, side="answer")
            logger.warning("auto-peering with %s: %s", url, failure.message)
            return failure
        peer, created = written
        logger.info(
            "auto-peering with %s: %s peer %s (%s, %s/%d)",
            url,
            "created" if created else "updated",
            peer.id,
            peer.static_ilp_address,
            asset.code,
            asset.scale,
        )
        if request.liquidity_to_deposit:
            moved = await self._liquidity.deposit_to_peer(
                peer_id=peer.id, amount=request.liquidity_to_deposit, transfer_id=uuid4()
            )
            if not isinstance(moved, LiquidityResult):
                return AutoPeeringFailure(
                    _E.LiquidityError,
                    f"peer {peer.id} was {'created' if created else 'updated'}, but the deposit "
                    f"of {request.liquidity_to_deposit} failed ({moved.name}); deposit it with "
                    "depositPeerLiquidity",
                )
        return peer

    async def _create_or_update(
        self, peering: _Peering, *, update_manual: bool
    ) -> tuple[Peer, bool] | PeerError | AutoPeeringFailure:
        """Create the peer (marked `auto_peered`), or update the one with this asset and
        address; (peer, created). With `update_manual` False, a peer made by hand is not
        updated: PeerNotAutoPeered, nothing changed."""
        asset_id = peering.asset.id
        existing = await self._peers.peer_with_address(peering.address, asset_id)
        if existing is None:
            created = await self._peers.create(
                CreatePeer(
                    asset_id=asset_id,
                    static_ilp_address=peering.address,
                    http_outgoing=peering.outgoing,
                    incoming_tokens=(peering.incoming_token,),
                    max_packet_amount=peering.max_packet_amount,
                    name=peering.name,
                    liquidity_threshold=peering.liquidity_threshold,
                    initial_liquidity=peering.initial_liquidity,
                    auto_peered=True,
                )
            )
            if created is not PeerError.DuplicatePeer:
                return created if isinstance(created, PeerError) else (created, True)
            # Created meanwhile by a concurrent request: update that one.
            existing = await self._peers.peer_with_address(peering.address, asset_id)
            if existing is None:
                return PeerError.UnknownPeer
        if not update_manual and not existing.auto_peered:
            return AutoPeeringFailure(
                _E.PeerNotAutoPeered,
                f"this node's peer for {existing.static_ilp_address} in {peering.asset.code} "
                f"(scale {peering.asset.scale}) was created by its operator, not by auto-peering, "
                "so a peering request cannot replace it; the operator can delete that peer or "
                "change its static ILP address, after which this request creates a new peer, or "
                "can re-peer it from this node with createOrUpdatePeerByUrl",
                "staticIlpAddress",
            )
        updated = await self._peers.update(
            UpdatePeer(
                id=existing.id,
                http_outgoing=peering.outgoing,
                incoming_tokens=(peering.incoming_token,),
                name=UNSET if peering.name is None else peering.name,
                max_packet_amount=(
                    UNSET if peering.max_packet_amount is None else peering.max_packet_amount
                ),
                liquidity_threshold=(
                    UNSET if peering.liquidity_threshold is None else peering.liquidity_threshold
                ),
            )
        )
        return updated if isinstance(updated, PeerError) else (updated, False)


_REQUEST_FIELDS: Final = {
    PeerError.InvalidStaticIlpAddress: "staticIlpAddress",
    PeerError.InvalidHTTPEndpoint: "ilpConnectorUrl",
    PeerError.DuplicateIncomingToken: "httpToken",
    PeerError.InvalidIncomingToken: "httpToken",
    PeerError.InvalidAmount: "maxPacketAmount",
}


def _peer_failure(error: PeerError, *, side: str) -> AutoPeeringFailure:
    """The auto-peering error for a peer service error while writing the peer the `side`
    ("request" or "answer") describes (Rafiki's `handlePeerError`, with details)."""
    field = _REQUEST_FIELDS.get(error)
    whose = "the request's" if side == "request" else "the peer's"
    if error is PeerError.DuplicateIncomingToken:
        detail = f"{whose} httpToken is already the token of another peer here"
    elif field is not None:
        detail = f"{whose} {field}: {error.message}"
    else:
        detail = f"the peer could not be written: {error.message}"
    if error in (PeerError.InvalidStaticIlpAddress, PeerError.InvalidHTTPEndpoint):
        return AutoPeeringFailure(_E.InvalidPeerIlpConfiguration, detail, field)
    if error is PeerError.InvalidInitialLiquidity:
        return AutoPeeringFailure(_E.LiquidityError, "the credit line could not be granted")
    return AutoPeeringFailure(_E.InvalidPeeringRequest, detail, field)
