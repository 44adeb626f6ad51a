"""The packet path's parts: the tables the peer service keeps in step, the connector's metrics,
the exchange rates, the pipeline over the open ledger, and the connector port it is served on.

Built before start, so the port's app exists when the sockets are bound: until `open` it
answers T03 (`connector.port`). `open` builds the `Connector` and hands it to the port; from
then on a packet goes from the port's app to the pipeline and never through the composition
root.
"""

from __future__ import annotations

import httpx
from prometheus_client import CollectorRegistry

from ilpnode.accounting import PacketAccounting
from ilpnode.clock import SystemClock
from ilpnode.config import Settings
from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.metrics import PacketMetrics, RefusalMetrics
from ilpnode.connector.middleware.stream_receiver import LocalReceiving
from ilpnode.connector.peer_client import PeerClient
from ilpnode.connector.peer_table import ConnectorPeerTable
from ilpnode.connector.pipeline import Connector, ConnectorOptions
from ilpnode.connector.port import ConnectorPort
from ilpnode.connector.rates import ExchangeRates, parse_static_rates
from ilpnode.connector.rates_http import HttpRatesSource
from ilpnode.connector.receive_metrics import ReceiveMetrics
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.token_index import TokenIndex
from ilpnode.ledger import Ledger

__all__ = ["PacketPath"]


class PacketPath:
    """The connector's tables, metrics, rates and port; `open` starts forwarding packets."""

    def __init__(
        self, settings: Settings, *, clock: SystemClock, registry: CollectorRegistry
    ) -> None:
        self._settings = settings
        self._clock = clock
        self.routing = RoutingTable()
        self.token_index = TokenIndex()
        self.directory = PeerDirectory()
        self.peer_table = ConnectorPeerTable(
            directory=self.directory, tokens=self.token_index, routing=self.routing
        )
        self.packet_metrics = PacketMetrics()
        registry.register(self.packet_metrics)
        self.receive_metrics = ReceiveMetrics()
        registry.register(self.receive_metrics)
        self.port = ConnectorPort(
            tokens=self.token_index, directory=self.directory, own_address=settings.node_address
        )
        registry.register(RefusalMetrics(self.port.app.refusals))
        self.rates: ExchangeRates | None = None
        self._rates_client: httpx.AsyncClient | None = None
        self._peer_client: PeerClient | None = None

    def start_rates(self) -> ExchangeRates:
        """The rates the connector converts with and the payments take their floor from."""
        settings = self._settings
        static = parse_static_rates(settings.exchange_rates) if settings.exchange_rates else {}
        source = None
        if settings.exchange_rates_url:
            self._rates_client = httpx.AsyncClient()
            source = HttpRatesSource(url=settings.exchange_rates_url, client=self._rates_client)
        self.rates = ExchangeRates(
            static=static,
            source=source,
            lifetime_ms=settings.exchange_rates_lifetime_ms,
            clock=self._clock,
        )
        return self.rates

    def open(self, ledger: Ledger, *, receiving: LocalReceiving) -> Connector:
        """Build the pipeline over `ledger` and forward the port's packets through it."""
        settings = self._settings
        assert self.rates is not None, "the rates come before the connector"
        self._peer_client = client = PeerClient()
        connector = Connector(
            own_address=settings.node_address,
            routing=self.routing,
            directory=self.directory,
            rates=self.rates,
            accounting=PacketAccounting(ledger=ledger),
            client=client,
            clock=self._clock,
            metrics=self.packet_metrics,
            options=ConnectorOptions(
                min_expiry_window_ms=settings.connector_min_expiry_window_ms,
                max_hold_ms=settings.connector_max_hold_ms,
                rate_limit_packets_per_second=settings.connector_rate_limit_packets_per_second,
                rate_limit_burst=settings.connector_rate_limit_burst,
            ),
            receiving=receiving,
        )
        self.port.open(connector)
        return connector

    def stop(self) -> None:
        """Forward no more packets: they get T03 from now on."""
        self.port.close()

    async def close(self) -> None:
        """Stop, then close the connections to the next hops and the rates source."""
        self.port.close()
        if self._peer_client is not None:
            await self._peer_client.close()
            self._peer_client = None
        if self._rates_client is not None:
            await self._rates_client.aclose()
            self._rates_client = None
