"""ilpnode.services.peering.autopeering: Rafiki's auto-peering, both sides (rafiki-peering §7).

`messages` is the wire format (sans-IO, every field validated), `service` the two flows
(`AutoPeeringService.accept` for the server, `initiate` for `createOrUpdatePeerByUrl`), `ports`
the one network call the service makes and `http_client` its httpx implementation. Failures
are `AutoPeeringFailure` values carrying Rafiki's `AutoPeeringError`; exceptions mean a bug or
an infrastructure fault. docs/auto-peering.md describes the feature for operators.
"""

from ilpnode.services.peering.autopeering.errors import AutoPeeringError, AutoPeeringFailure
from ilpnode.services.peering.autopeering.messages import (
    MAX_MESSAGE_BYTES,
    PeeringDetails,
    PeeringRequest,
    decode_peering_details,
    decode_peering_request,
    encode_error,
    encode_peering_details,
    encode_peering_request,
)
from ilpnode.services.peering.autopeering.ports import PeerAnswer, PeeringClient, PeerUnreachable
from ilpnode.services.peering.autopeering.service import (
    Accepted,
    AutoPeeringService,
    InitiatePeering,
    NodeIdentity,
    new_token,
    without_user_info,
)

__all__ = [
    "MAX_MESSAGE_BYTES",
    "Accepted",
    "AutoPeeringError",
    "AutoPeeringFailure",
    "AutoPeeringService",
    "InitiatePeering",
    "NodeIdentity",
    "PeerAnswer",
    "PeerUnreachable",
    "PeeringClient",
    "PeeringDetails",
    "PeeringRequest",
    "decode_peering_details",
    "decode_peering_request",
    "encode_error",
    "encode_peering_details",
    "encode_peering_request",
    "new_token",
    "without_user_info",
]
