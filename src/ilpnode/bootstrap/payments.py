"""Payments: receiving into the hosted wallet addresses, and sending from them.

Receiving: the wallet addresses in memory (the packet path and the SPSP server read them), the
STREAM server secret (loaded at start), and the payments received (tallied by the packet path,
written every second). Sending: the outgoing payments, through the connector's pipeline, to
receivers resolved with SPSP; this process is named as the owner of the payments it runs.
"""

from __future__ import annotations

import os
import secrets
import socket
from fractions import Fraction

from ilpnode.bootstrap.payment_path import LocalPaymentPath
from ilpnode.clock import SystemClock
from ilpnode.config import Settings
from ilpnode.connector.middleware.stream_receiver import LocalReceiving
from ilpnode.connector.receive_metrics import ReceiveMetrics
from ilpnode.ilp.stream import ReceiverConnections
from ilpnode.ledger import Ledger
from ilpnode.services.fees import FeeService
from ilpnode.services.outgoing_payments import OutgoingPaymentService, PaymentMoney
from ilpnode.services.outgoing_payments.receivers import ReceiverResolver
from ilpnode.services.payments import (
    OpenPaymentsUrls,
    ReceivedPaymentLog,
    ReceivedTally,
    SpspServer,
    StreamSecret,
    WalletAddressDirectory,
    WalletAddressService,
    load_stream_secret,
)
from ilpnode.services.peering import AssetService
from ilpnode.storage.database import Database
from ilpnode.storage.outgoing_payment_repository import SqlOutgoingPaymentStore
from ilpnode.storage.received_payment_store import SqlReceivedPaymentStore
from ilpnode.storage.secret_store import SqlSecretStore
from ilpnode.storage.wallet_address_repository import SqlWalletAddressStore

__all__ = ["Receiving", "outgoing_payment_service"]


class Receiving:
    """What receiving payments consists of; the STREAM secret is there once `load_secret` ran."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self._settings = settings
        self._database = database
        self.wallet_address_directory = WalletAddressDirectory()
        self.wallet_address_store = SqlWalletAddressStore(database)
        self.urls = OpenPaymentsUrls(settings.open_payments_base_url)
        self.received_payments = ReceivedPaymentLog(
            store=SqlReceivedPaymentStore(database), tally=ReceivedTally()
        )
        self.stream_secret: StreamSecret | None = None

    async def load_secret(self) -> StreamSecret:
        """The STREAM server secret: configured, or kept in the database (made once)."""
        self.stream_secret = await load_stream_secret(
            configured=self._settings.stream_secret_bytes,
            store=SqlSecretStore(self._database),
        )
        return self.stream_secret

    def on_the_packet_path(self, metrics: ReceiveMetrics) -> LocalReceiving:
        """What the packet path needs to receive payments into the wallet addresses."""
        assert self.stream_secret is not None, "the STREAM secret is loaded before the connector"
        return LocalReceiving(
            server_secret=self.stream_secret.value,
            wallets=self.wallet_address_directory,
            connections=ReceiverConnections(),
            metrics=metrics,
            payments=self.received_payments.tally,
        )

    def spsp_server(self) -> SpspServer:
        """The SPSP server over the wallet addresses (served on OPEN_PAYMENTS_PORT)."""
        assert self.stream_secret is not None, "the STREAM secret is loaded before SPSP"
        return SpspServer(
            directory=self.wallet_address_directory,
            secret=self.stream_secret,
            urls=self.urls,
            ilp_address=self._settings.node_address,
        )


def payment_owner() -> str:
    """This process's name as the owner of the payments it runs."""
    return f"{socket.gethostname()} pid {os.getpid()} {secrets.token_hex(4)}"


def outgoing_payment_service(
    settings: Settings,
    ledger: Ledger,
    *,
    database: Database,
    clock: SystemClock,
    path: LocalPaymentPath,
    receivers: ReceiverResolver,
    wallet_addresses: WalletAddressService,
    assets: AssetService,
    fees: FeeService,
) -> OutgoingPaymentService:
    """Payments this node sends: through `path` (the connector), to receivers resolved with
    SPSP (this node's own wallet addresses in memory)."""
    return OutgoingPaymentService(
        store=SqlOutgoingPaymentStore(database),
        money=PaymentMoney(ledger=ledger),
        path=path,
        resolve_receiver=receivers,
        wallet_addresses=wallet_addresses,
        assets=assets,
        fees=fees,
        clock=clock,
        owner=payment_owner(),
        slippage=Fraction(settings.slippage),
        # The embedded ledger's lock makes this process the only one on its database.
        only_process=settings.ledger_backend == "embedded",
    )
