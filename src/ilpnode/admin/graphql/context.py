"""What resolvers work with: the long-lived services, and a per-request context over them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias
from uuid import UUID

from graphql import GraphQLResolveInfo

from ilpnode.clock import Clock
from ilpnode.services.fees import FeeService, LatestFees
from ilpnode.services.idempotency import IdempotencyStore
from ilpnode.services.outgoing_payments import OutgoingPaymentService
from ilpnode.services.payments import WalletAddressService
from ilpnode.services.peering import Asset, AssetService, PeeringLiquidity, PeerService
from ilpnode.services.peering.autopeering import AutoPeeringService
from ilpnode.services.tenant import TenantService
from ilpnode.services.webhooks import WebhookStore

__all__ = ["AdminServices", "Info", "RequestContext", "context_of"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AdminServices:
    """Built once by the composition root."""

    assets: AssetService
    peers: PeerService
    liquidity: PeeringLiquidity
    auto_peering: AutoPeeringService
    wallet_addresses: WalletAddressService
    idempotency: IdempotencyStore
    clock: Clock
    tenant_id: UUID
    instance_name: str | None
    fees: FeeService
    tenant: TenantService
    webhook_events: WebhookStore
    outgoing_payments: OutgoingPaymentService


@dataclass(slots=True)
class RequestContext:
    """One request's view: the services and a cache of the assets it has read (so a page of
    peers reads each asset once) and of the fees in force of each asset it has shown."""

    services: AdminServices
    assets_seen: dict[UUID, Asset] = field(default_factory=dict)
    fees_seen: dict[UUID, LatestFees] = field(default_factory=dict)


Info: TypeAlias = "GraphQLResolveInfo[RequestContext]"
"""What resolvers receive as `info`."""


def context_of(info: Info) -> RequestContext:
    context = info.context
    assert isinstance(context, RequestContext)
    return context


def is_other_tenant(services: AdminServices, tenant_id: str | None) -> bool:
    """True when a `tenantId` argument names another tenant than ours (compared as UUIDs, so
    case and hyphens do not matter, as for the `tenant-id` header; a non-UUID is another)."""
    if tenant_id is None:
        return False
    try:
        return UUID(tenant_id) != services.tenant_id
    except ValueError:
        return True
