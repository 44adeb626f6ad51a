"""The payments received, tallied in memory on the packet path (one summary per connection).

The STREAM receiver calls `ReceivedTally.record` once per fulfilled packet that carried money,
after `Balance` posted it: a dict lookup by the connection's token and a few integer updates,
no I/O and no await. `ReceivedPaymentLog` takes what was tallied every second and writes it in
one batch (`received_payments.py`); what it could not write it puts back.

The connection's id (`connection_id`: SHA-256 of the token, cut to 16 bytes) is computed when a
tally is taken, once per connection and batch, not per packet. The token is the last segment of
the connection's ILP address, which every connector on the path sees; the shared secret is
derived from it with the node's STREAM secret and is never kept here.

Bounded: a new connection is taken in only while fewer than `PENDING_MAX` wait to be written
(a failed batch put back can make it up to twice that until the next write). Beyond that (only
if writes fail for a long time while new connections keep paying) the packets of new
connections are not tallied, and counted in `dropped`; their money is in the ledger as always.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from ilpnode.hosted_wallets import PaymentTally
from ilpnode.services.payments.model import ReceivedPayment

__all__ = ["PENDING_MAX", "ConnectionTally", "ReceivedTally", "connection_id"]

PENDING_MAX: Final = 100_000
"""Connections tallied and not yet written: a few hundred bytes each, so tens of MB at most."""
_U64_MAX: Final = 2**64 - 1


def connection_id(token: str) -> UUID:
    """The connection's id in the list of payments: the first 16 bytes of SHA-256 of its token
    (the same in every process; it reveals neither the token nor the shared secret)."""
    return UUID(bytes=hashlib.sha256(token.encode("ascii")).digest()[:16])


class ConnectionTally:
    """What one connection paid into a wallet address since its last write."""

    __slots__ = (
        "amount",
        "asset_code",
        "asset_scale",
        "first_ns",
        "last_ns",
        "packets",
        "token",
        "wallet_address_id",
    )

    def __init__(
        self, *, wallet_address_id: UUID, asset_code: str, asset_scale: int, token: str, at_ns: int
    ) -> None:
        self.wallet_address_id = wallet_address_id
        self.asset_code = asset_code
        self.asset_scale = asset_scale
        self.token = token
        self.amount = 0
        self.packets = 0
        self.first_ns = at_ns
        self.last_ns = at_ns

    def merge(self, other: ConnectionTally) -> None:
        """Add `other` (the same connection) into this one."""
        self.amount = min(self.amount + other.amount, _U64_MAX)
        self.packets += other.packets
        self.first_ns = min(self.first_ns, other.first_ns)
        self.last_ns = max(self.last_ns, other.last_ns)

    def summary(self) -> ReceivedPayment:
        """As a `ReceivedPayment` row to add."""
        return ReceivedPayment(
            id=connection_id(self.token),
            wallet_address_id=self.wallet_address_id,
            asset_code=self.asset_code,
            asset_scale=self.asset_scale,
            total_received=self.amount,
            packets=self.packets,
            first_packet_at=_utc(self.first_ns),
            last_packet_at=_utc(self.last_ns),
        )


class ReceivedTally(PaymentTally):
    """Per connection, the money and packets received since the last `take` (see the module
    docstring)."""

    __slots__ = ("_open", "dropped")

    def __init__(self) -> None:
        self._open: dict[str, ConnectionTally] = {}  # by the connection's token
        self.dropped = 0
        """Packets not tallied since start because `PENDING_MAX` connections were waiting."""

    def __len__(self) -> int:
        return len(self._open)

    def record(
        self,
        *,
        wallet_address_id: UUID,
        asset_code: str,
        asset_scale: int,
        token: str,
        amount: int,
        at_ns: int,
    ) -> None:
        """A packet of `amount` (> 0, the wallet address's asset) on the connection `token`,
        received at `at_ns` (Unix ns), was fulfilled and posted."""
        tally = self._open.get(token)
        if tally is None:
            if len(self._open) >= PENDING_MAX:
                self.dropped += 1
                return
            tally = self._open[token] = ConnectionTally(
                wallet_address_id=wallet_address_id,
                asset_code=asset_code,
                asset_scale=asset_scale,
                token=token,
                at_ns=at_ns,
            )
        # No overflow check: a connection's packets credit one account, whose credits the
        # ledger keeps within u64, so their sum is within it too.
        tally.amount += amount
        tally.packets += 1
        if at_ns < tally.first_ns:
            tally.first_ns = at_ns
        elif at_ns > tally.last_ns:
            tally.last_ns = at_ns

    def take(self) -> list[ConnectionTally]:
        """Everything tallied so far; the tally starts afresh."""
        taken = list(self._open.values())
        self._open = {}
        return taken

    def put_back(self, tallies: list[ConnectionTally]) -> None:
        """Return tallies that could not be written, merged with what arrived since."""
        for tally in tallies:
            current = self._open.get(tally.token)
            if current is None:
                self._open[tally.token] = tally
            else:
                current.merge(tally)


def _utc(unix_ns: int) -> datetime:
    seconds, ns = divmod(unix_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=ns // 1_000)
