"""What this process's own commits left behind, for deciding a packet's post or void without
a read (`shared_apply`).

A forwarded packet's reservation and its post (or void) come from the same process, a few
milliseconds apart. The reservation's commit already told this process everything the post
needs: the pending transfers (immutable) and their accounts' balances as that commit left them.
So the writer keeps, per process, the pending transfers it created and has not yet tried to
resolve, and the accounts its commits touched as its engine last saw them. The posts and voids of
such transfers are decided on that, and left out of the batch's read (`shared_apply`): a batch
made only of them is written in one round trip, with the locks taken by the write, like any
optimistic batch.

What the cache does not know, the database checks: a post or void by another process (the
unique index on `pending_id`), an expiry (the write's check after its locks), a transfer id
taken (the primary key); any refusal sends the batch, on its next attempt, through the read.
Balances may be stale, and that is harmless here: a post or void is never checked against them
(only its pending transfer's amount), and the write moves balances by what the batch moved.

A commit made with `synchronous_commit` off (a reservation) is lost if the server crashes before
it is flushed, while this process would still remember it: a post decided on it would then
move a reservation that no longer exists. A server crash always ends the writer's connection,
so the writer forgets everything whenever it opens a new one (`forget_all`), and only ever uses
what was committed on the connection it writes on.

Bounded: a pending transfer leaves when a batch names it (whatever the outcome: a later attempt
reads), and the oldest go first beyond `PENDING_CACHED_MAX` (one that expired unresolved is
then simply read, should anyone post it late).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from ilpnode.ledger import Account, Transfer, TransferFlags

__all__ = ["PENDING_CACHED_MAX", "OwnCommits"]

PENDING_CACHED_MAX: Final = 100_000
"""Pending transfers remembered at most (the oldest are forgotten first)."""

_PENDING = int(TransferFlags.PENDING)
_RESOLVES = int(TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER)


class OwnCommits:
    """The pending transfers this process created and has not resolved, and the accounts its
    commits touched, as its engine left them."""

    def __init__(self) -> None:
        self._pending: dict[int, Transfer] = {}
        self._accounts: dict[int, Account] = {}

    def forget_all(self) -> None:
        self._pending.clear()
        self._accounts.clear()

    def known(self, batch: Sequence[Transfer]) -> tuple[list[Transfer], list[Account]]:
        """The pending transfers the batch's posts and voids name that are remembered with
        both their accounts, and those accounts."""
        pending: list[Transfer] = []
        accounts: dict[int, Account] = {}
        for transfer in batch:
            if not int(transfer.flags) & _RESOLVES:
                continue
            found = self._pending.get(transfer.pending_id)
            if found is None:
                continue
            debit = self._accounts.get(found.debit_account_id)
            credit = self._accounts.get(found.credit_account_id)
            if debit is None or credit is None:
                continue
            pending.append(found)
            accounts[debit.id] = debit
            accounts[credit.id] = credit
        return pending, list(accounts.values())

    def after_commit(
        self, batch: Iterable[Transfer], journaled: Iterable[Transfer], accounts: Iterable[Account]
    ) -> None:
        """A transaction committed: `batch` (what was asked: every pending transfer it names is
        forgotten), `journaled` (what it wrote: its pending transfers are remembered) and
        `accounts` (their balances as its engine left them)."""
        for transfer in batch:
            if int(transfer.flags) & _RESOLVES:
                self._pending.pop(transfer.pending_id, None)
        for transfer in journaled:
            if int(transfer.flags) & _PENDING:
                self._pending[transfer.id] = transfer
        while len(self._pending) > PENDING_CACHED_MAX:
            del self._pending[next(iter(self._pending))]
        for account in accounts:
            self._accounts[account.id] = account
