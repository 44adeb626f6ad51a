"""The embedded ledger's own metrics, for Prometheus: commits, compactions, log size, memory.

Read from the ledger when `/metrics` is scraped (plain attribute reads; nothing on the packet
path).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ilpnode.storage.ledger.embedded import EmbeddedLedger

__all__ = ["LedgerMetrics"]


class LedgerMetrics(Collector):
    def __init__(self, ledger: EmbeddedLedger) -> None:
        self._ledger = ledger

    def collect(self) -> Iterator[Metric]:
        ledger = self._ledger
        yield CounterMetricFamily(
            "ilpnode_ledger_commits",
            "Group commits of the embedded ledger (each makes a group of changes durable).",
            value=ledger.group_commits,
        )
        yield GaugeMetricFamily(
            "ilpnode_ledger_available",
            "1 while the ledger accepts work; 0 while it rebuilds after a failed commit.",
            value=1 if ledger.available else 0,
        )
        yield GaugeMetricFamily(
            "ilpnode_ledger_transfers_held",
            "Transfer records the ledger holds in memory (resolved packets are forgotten).",
            value=ledger.engine.transfers_held,
        )
        log = ledger.log
        if log is None:
            return
        yield GaugeMetricFamily(
            "ilpnode_ledger_log_bytes",
            "Size of the ledger log up to its last frame: its snapshot and the frames after it.",
            value=log.size,
        )
        yield CounterMetricFamily(
            "ilpnode_ledger_log_compactions",
            "Times the ledger log was replaced by a snapshot since the node started.",
            value=log.compactions,
        )
