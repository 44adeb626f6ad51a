"""The `Ledger` port: what the connector and the services call; durable backends implement it.

The shape is TigerBeetle's batch API (DESIGN §3): per-item results with a status, never an
exception for a business failure. The methods are `async` because the backends do I/O (a journal
fsync, a Postgres round trip); this module only declares types and imports no async library.

Implementations own their clock and their expiry sweep: callers do not pass `now`. A backend that
wraps `LedgerEngine` reads its injected `ilpnode.clock.Clock`, passes `now` to the engine, drains
the engine's journal and makes it durable before returning the results (see `engine.py`,
"Journal and replay").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ilpnode.ledger.model import Account, AccountId, Transfer, TransferId
from ilpnode.ledger.statuses import CreateAccountResult, CreateTransferResult

__all__ = ["Ledger"]


class Ledger(Protocol):
    """A double-entry, two-phase ledger with client-chosen ids (TigerBeetle semantics)."""

    async def create_accounts(self, accounts: Sequence[Account]) -> list[CreateAccountResult]:
        """Create accounts; one result per account, in order. Returns only once durable."""
        ...

    async def create_transfers(
        self, transfers: Sequence[Transfer], *, durable: bool = True
    ) -> list[CreateTransferResult]:
        """Create transfers; one result per transfer, in order.

        With `durable` (the default) it returns only once the changes are durable. With
        `durable=False` it may return as soon as they are decided; they become durable with the
        next durable call (which waits for everything decided before it) or shortly after. Only
        changes whose loss a restart repairs by itself may skip the wait: a packet's
        reservation or its void (a lost reservation is simply absent, a lost void leaves a
        reservation that expires), never a post or a deposit.
        """
        ...

    async def lookup_accounts(self, ids: Sequence[AccountId]) -> list[Account]:
        """The accounts with these ids, in the order asked; unknown ids are omitted."""
        ...

    async def lookup_transfers(self, ids: Sequence[TransferId]) -> list[Transfer]:
        """The transfers with these ids, in the order asked; unknown ids are omitted."""
        ...
