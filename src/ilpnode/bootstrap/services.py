"""The application services over the open ledger: what the Admin API, the dashboard and the
change feed call (assets, peers and their liquidity, auto-peering, wallet addresses, fees, the
tenant, outgoing payments).

The peer service keeps the connector's tables (routing, tokens, peers) in step with the
database; the wallet address service keeps the hosted wallet addresses in memory.
"""

from __future__ import annotations

from collections.abc import Callable

from ilpnode.accounting import LiquidityService
from ilpnode.admin.graphql import AdminServices
from ilpnode.bootstrap.clients import HttpClients
from ilpnode.bootstrap.connector import PacketPath
from ilpnode.bootstrap.payment_path import LocalPaymentPath
from ilpnode.bootstrap.payments import Receiving, outgoing_payment_service
from ilpnode.clock import SystemClock
from ilpnode.config import Settings
from ilpnode.ledger import Ledger
from ilpnode.services.fees import FeeService
from ilpnode.services.outgoing_payments.receivers import ReceiverResolver
from ilpnode.services.payments import SpspServer, WalletAddressService
from ilpnode.services.peering import (
    AssetService,
    PeeringLiquidity,
    PeerService,
    ensure_ledger_accounts,
)
from ilpnode.services.peering.autopeering import AutoPeeringService, NodeIdentity
from ilpnode.services.peering.autopeering.http_client import HttpPeeringClient
from ilpnode.services.tenant import TenantService
from ilpnode.services.webhooks import LiquidityWatch
from ilpnode.storage.database import Database
from ilpnode.storage.fee_repository import SqlFeeStore
from ilpnode.storage.idempotency_store import SqlIdempotencyStore
from ilpnode.storage.peering_repository import SqlPeeringStore
from ilpnode.storage.tenant_repository import SqlTenantStore
from ilpnode.storage.webhook_store import SqlWebhookStore

__all__ = ["admin_services", "repair_ledger_accounts"]


async def repair_ledger_accounts(database: Database, ledger: Ledger) -> int:
    """Create the ledger accounts of assets and peers that lack one; how many were made."""
    return await ensure_ledger_accounts(
        store=SqlPeeringStore(database), liquidity=LiquidityService(ledger=ledger)
    )


def admin_services(
    settings: Settings,
    ledger: Ledger,
    *,
    database: Database,
    clock: SystemClock,
    packet_path: PacketPath,
    receiving: Receiving,
    thresholds: LiquidityWatch,
    webhook_events: SqlWebhookStore,
    clients: HttpClients,
    own_spsp: Callable[[], SpspServer | None],
) -> AdminServices:
    """Every service, each built once, over `ledger`."""
    liquidity = LiquidityService(ledger=ledger)
    store = SqlPeeringStore(database)
    assets = AssetService(store=store, liquidity=liquidity, clock=clock, thresholds=thresholds)
    peers = PeerService(
        store=store,
        liquidity=liquidity,
        table=packet_path.peer_table,
        clock=clock,
        thresholds=thresholds,
    )
    peering_liquidity = PeeringLiquidity(store=store, liquidity=liquidity)
    wallet_addresses = WalletAddressService(
        store=receiving.wallet_address_store,
        liquidity=liquidity,
        directory=receiving.wallet_address_directory,
        urls=receiving.urls,
        clock=clock,
    )
    fees = FeeService(store=SqlFeeStore(database), clock=clock)
    assert packet_path.rates is not None, "the rates come before the services"
    return AdminServices(
        fees=fees,
        tenant=TenantService(
            store=SqlTenantStore(database),
            clock=clock,
            tenant_id=settings.operator_tenant_id,
            public_name=settings.instance_name,
            ilp_address=settings.node_address,
        ),
        assets=assets,
        peers=peers,
        liquidity=peering_liquidity,
        auto_peering=_auto_peering(
            settings, assets=assets, peers=peers, liquidity=peering_liquidity, clients=clients
        ),
        wallet_addresses=wallet_addresses,
        idempotency=SqlIdempotencyStore(database),
        clock=clock,
        tenant_id=settings.operator_tenant_id,
        instance_name=settings.instance_name,
        webhook_events=webhook_events,
        outgoing_payments=outgoing_payment_service(
            settings,
            ledger,
            database=database,
            clock=clock,
            # The connector is built later: the port gives it when a packet goes.
            path=LocalPaymentPath(
                connector=packet_path.port.current,
                own_address=settings.node_address,
                routing=packet_path.routing,
                directory=packet_path.directory,
                rates=packet_path.rates,
            ),
            receivers=ReceiverResolver(client=clients.new(), urls=receiving.urls, server=own_spsp),
            wallet_addresses=wallet_addresses,
            assets=assets,
            fees=fees,
        ),
    )


def _auto_peering(
    settings: Settings,
    *,
    assets: AssetService,
    peers: PeerService,
    liquidity: PeeringLiquidity,
    clients: HttpClients,
) -> AutoPeeringService:
    return AutoPeeringService(
        assets=assets,
        peers=peers,
        liquidity=liquidity,
        client=HttpPeeringClient(clients.new()),
        identity=NodeIdentity(
            ilp_address=settings.ilp_address,
            ilp_connector_url=settings.ilp_connector_url,
            instance_name=settings.instance_name,
            tenant_id=str(settings.operator_tenant_id),
        ),
        default_liquidity=settings.auto_peering_default_liquidity,
    )
