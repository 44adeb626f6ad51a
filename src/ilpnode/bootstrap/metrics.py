"""The node's Prometheus registry: the connector's and the ledger's collectors (registered by
their wiring), and each peer's liquidity, read from the ledger when `/metrics` is scraped."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from ilpnode.accounting import AccountBalance
from ilpnode.connector.directory import PeerDirectory
from ilpnode.ledger import Ledger

__all__ = ["NodeMetrics"]


class NodeMetrics:
    """The registry, and the exposition of everything in it."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._liquidity = Gauge(
            "ilpnode_peer_liquidity",
            "Each peer's liquidity (the credit left on its line), smallest unit of its asset.",
            ["peer", "peer_id", "asset"],
            registry=self.registry,
        )

    async def exposition(self, ledger: Ledger | None, directory: PeerDirectory) -> bytes:
        """The Prometheus text exposition: every collector, and each peer's liquidity (none
        before the ledger is open)."""
        self._liquidity.clear()
        if ledger is not None:
            peers = directory.all()
            accounts = await ledger.lookup_accounts([p.account.account_id for p in peers])
            balances = {a.id: AccountBalance.of(a).balance for a in accounts}
            for peer in peers:
                balance = balances.get(peer.account.account_id)
                if balance is not None:
                    self._liquidity.labels(
                        peer.label, str(peer.id), f"{peer.asset_code}/{peer.asset_scale}"
                    ).set(balance)
        return generate_latest(self.registry)
