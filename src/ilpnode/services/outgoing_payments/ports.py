"""What the outgoing payment service needs from the rest of the node.

- `OutgoingPaymentStore`: the payments' rows (`ilpnode.storage.outgoing_payment_repository`).
  A running payment's row is written only by the process that runs it: every write names the
  writer (`owner`) and succeeds only while the row is still that owner's, and each write
  extends the owner's lease (`lease_until`). A process claims a payment (`claim_stale`) only
  when its lease has run out (its process died, or lost its database for that long), or, for a
  node that is the only process on its database, every unfinished one at start-up.
- `PaymentPath`: the connector, as the payments see it (`ilpnode.bootstrap.payment_path`):
  send a payment's packet from its account, say where a destination is routed, give a rate.
- `ResolveReceiver`: SPSP (`services.payments_sender.query_spsp` over the node's HTTP client).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Protocol, TypeAlias
from uuid import UUID

from ilpnode.accounting import OutgoingPaymentAccount
from ilpnode.ilp import Fulfill, Prepare, Reject
from ilpnode.services.outgoing_payments.model import OutgoingPayment
from ilpnode.services.payments_sender import SpspReceiver
from ilpnode.services.peering import Page, PageRequest

__all__ = [
    "ExchangeRateUnavailable",
    "NextHop",
    "OutgoingPaymentStore",
    "PaymentPath",
    "PaymentSource",
    "ResolveReceiver",
]

ResolveReceiver: TypeAlias = Callable[[str], Awaitable[SpspReceiver]]
"""A receiver (payment pointer or URL) -> its STREAM credentials; raises `SpspError`."""


class OutgoingPaymentStore(Protocol):
    """The payments' rows (see the module docstring)."""

    async def insert(self, payment: OutgoingPayment, *, owner: str, lease_until: datetime) -> bool:
        """Store a new payment owned by `owner`; False if its id exists already."""
        ...

    async def get(self, payment_id: UUID) -> OutgoingPayment | None:
        """The payment, or None."""
        ...

    async def page(
        self, request: PageRequest, *, wallet_address_id: UUID | None = None
    ) -> Page[OutgoingPayment]:
        """A page of payments (every one, or one wallet address's), keyset on (created_at, id)."""
        ...

    async def write(
        self, payment: OutgoingPayment, *, owner: str, lease_until: datetime | None
    ) -> bool:
        """Write the payment's changing fields and extend (or, None, end) the lease, if the row
        is still `owner`'s; False (nothing written) if another process took it over."""
        ...

    async def claim_stale(
        self, *, owner: str, now: datetime, lease_until: datetime, every_unfinished: bool
    ) -> list[OutgoingPayment]:
        """Take over the unfinished payments (FUNDING, SENDING) whose lease ended before `now`,
        or all of them with `every_unfinished`; the ones this call took (each atomically)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentSource:
    """A payment as the packet path's incoming "peer": its id, asset and ledger account."""

    payment_id: UUID
    account: OutgoingPaymentAccount
    asset_id: UUID
    asset_code: str
    asset_scale: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NextHop:
    """Where the connector sends a destination: a peer in an asset, or this node itself."""

    label: str
    asset_code: str | None  # None: a receiver on this node (its asset comes with the token)
    asset_scale: int | None


class ExchangeRateUnavailable(Exception):
    """No rate for the pair, or the rates service failed; the message says which."""


class PaymentPath(Protocol):
    """The connector's packet path, for the node's own payments."""

    async def send(
        self, source: PaymentSource, prepare: Prepare, *, fulfillable: bool
    ) -> Fulfill | Reject:
        """A packet of the payment: its Fulfill or Reject (never raises)."""
        ...

    def next_hop(self, destination: str) -> NextHop | None:
        """Where a packet to `destination` goes now, or None (no route: F02)."""
        ...

    async def rate(self, base: str, quote: str) -> Fraction:
        """The rate from asset code `base` to `quote` (1 for the same code), per whole unit.

        Raises:
            ExchangeRateUnavailable: no rate, or the rates service failed.
        """
        ...
