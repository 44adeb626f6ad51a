"""The ledger state machine: double-entry accounts and two-phase transfers, in memory, no I/O.

Theory of operation
===================

State. Accounts (immutable fields + four u64 balances: `debits_pending`, `debits_posted`,
`credits_pending`, `credits_posted`), transfers (immutable records, never deleted), the derived
`TransferPendingStatus` of every pending transfer, the `ExpiredTransfer` records, and the ledger
clock `last_timestamp`. Everything else (the expiry queue) is a cache rebuilt from these.

Events and their effect on the balances (debit account `dr`, credit account `cr`):

    plain transfer          dr.debits_posted += amount        cr.credits_posted += amount
    PENDING                 dr.debits_pending += amount       cr.credits_pending += amount
                            status(id) := PENDING
    POST_PENDING_TRANSFER   dr.debits_pending -= p.amount     cr.credits_pending -= p.amount
      (of pending p)        dr.debits_posted += amount        cr.credits_posted += amount
                            status(p) := POSTED      (amount <= p.amount; the rest is released)
    VOID_PENDING_TRANSFER   dr/cr *_pending -= p.amount       status(p) := VOIDED
    expiry (sweep)          dr/cr *_pending -= p.amount       status(p) := EXPIRED

A pending transfer moves PENDING -> POSTED | VOIDED | EXPIRED exactly once; the three are final.
A post/void is a *new* transfer record pointing at `pending_id` (its accounts, ledger and code
copied from the pending one); the pending record itself never changes (STYLE rule 6).

Invariants (checked by `invariants.check_invariants` and the property tests):

- Σ debits_posted = Σ credits_posted and Σ debits_pending = Σ credits_pending over all accounts;
  every balance equals the sum of the transfers that made it, and fits in u64.
- No account with DEBITS_MUST_NOT_EXCEED_CREDITS / CREDITS_MUST_NOT_EXCEED_DEBITS is over its
  limit (`limits.py`; pending amounts count, so a post or an expiry can never break it).
- A pending transfer is resolved (posted, voided or expired) at most once.
- Timestamps are unique and strictly increasing over accounts, transfers and expiries.

Validation and precedence. Each event is checked in the order `statuses.py` declares; the first
failing check is its status and nothing changes. Business failures are statuses, never
exceptions; exceptions mean a bug (a value outside its field size cannot even be built).

Idempotency. Ids are chosen by the client. An event whose id exists gets `EXISTS` if every field
matches (a success that changes nothing; the result carries the existing timestamp) or the first
`EXISTS_WITH_DIFFERENT_*`. For a post/void, zero fields mean "as the pending transfer", so a
resubmitted post with amount 0 matches the stored record. Linked flags are compared too.

Linked chains. Events with `LINKED` chain to the next one; the chain ends with the first event
without it. A chain is applied all-or-nothing: when a member fails, every effect of the members
before it is undone (in reverse, so a post of a pending transfer created earlier in the same
chain is undone before that transfer), the failing member gets its own status and all the other
members `LINKED_EVENT_FAILED`. If the batch ends inside a chain, the last event gets
`LINKED_EVENT_CHAIN_OPEN` and the chain fails. `EXISTS` counts as success inside a chain.

Time. Nothing here reads a clock: every mutating call takes `now`, nanoseconds since the Unix
epoch (u63, like TigerBeetle timestamps). Each created object gets
`timestamp = max(now, last_timestamp + 1)`, so timestamps are unique and strictly increasing even
if `now` repeats or goes backwards; that value is also the "ledger time" of the event. Events that
fail consume no timestamp; a rolled-back chain gives its timestamps back.

Expiry. A pending transfer with `timeout > 0` has `expires_at = timestamp + timeout * 10**9`. A
post or void whose own (would-be) timestamp is `>= expires_at` gets `PENDING_TRANSFER_EXPIRED`.
The reservation is *not* released until `expire_pending(now=…)` sweeps it: until then it still
counts against the balances and the limits (conservative: money is never spendable twice, and a
late Fulfill can never be posted). The sweep releases every pending transfer with
`expires_at <= max(now, last_timestamp + 1)`, in `(expires_at, timestamp)` order, each with its
own new timestamp, and returns one `ExpiredTransfer` per release. The owner must call it
regularly (`next_expires_at()` says when it is next needed).

Journal and replay. Every accepted state change is one `JournalEntry`, queued in application
(timestamp) order for `drain_journal()`; failed events and rolled-back chains leave nothing.
`replay(entries)` rebuilds the state through the same rules (`replay.py`).

Forgetting. Memory would grow with every transfer ever made. `forget_resolved(entries, codes=…)`
drops the pending transfers with one of `codes` that `entries` resolved, with their posts, voids
and expiries; the balances keep what they posted (and `check_invariants` counts it). The owner
chooses the codes of transfers nobody looks up again (a packet's legs, whose ids are random and
single-use) and calls it once the entries are durable; replay then forgets the same ones, so a
rebuilt engine equals the live one. A forgotten transfer is unknown from then on: a lookup
omits it, and a post or void of it answers PENDING_TRANSFER_NOT_FOUND.

Code map: `rules.py` holds the checks (precedence = order of the `if`s), `state.py` the only
code that changes the state (`apply` / `undo` one entry; replay uses the same `apply`),
`replay.py` the replay of a journal, this module the batches, chains, clock and sweep.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Final, TypeVar

from ilpnode.ledger.model import (
    TIMESTAMP_MAX,
    Account,
    AccountId,
    ExpiredTransfer,
    JournalEntry,
    Transfer,
    TransferId,
)
from ilpnode.ledger.replay import replay_entry
from ilpnode.ledger.rules import validate_account, validate_transfer
from ilpnode.ledger.state import LedgerSnapshot, LedgerState
from ilpnode.ledger.statuses import (
    CreateAccountResult,
    CreateAccountStatus,
    CreateTransferResult,
    CreateTransferStatus,
    TransferPendingStatus,
)
from ilpnode.ledger.trusted import transfer_result
from ilpnode.ledger.watching import available

__all__ = ["LedgerEngine", "LedgerSnapshot"]

_LINKED = 1  # AccountFlags.LINKED == TransferFlags.LINKED == 1 << 0
# Final: compiled code reads it directly instead of looking the member up on its class.
_EXISTS: Final = CreateTransferStatus.EXISTS
_Event = TypeVar("_Event", Account, Transfer)
_Status = TypeVar("_Status", CreateAccountStatus, CreateTransferStatus)


class LedgerEngine:
    """The in-memory two-phase ledger. Single-threaded; see the module docstring."""

    __slots__ = ("_journal", "_replayed", "_state")

    def __init__(self) -> None:
        self._state = LedgerState()
        self._journal: list[JournalEntry] = []
        self._replayed = 0  # entries applied by `replay_more`, for the positions in its errors

    # -- commands ---------------------------------------------------------------------------

    def create_accounts(
        self, accounts: Sequence[Account], *, now: int
    ) -> list[CreateAccountResult]:
        """Create a batch of accounts, in order, honouring `LINKED` chains.

        Args:
            accounts: input records (timestamp and balances 0).
            now: the current time in ns since the Unix epoch.

        Returns:
            One result per account, in batch order. Business failures are statuses.

        Raises:
            ValueError: `now` outside 0..TIMESTAMP_MAX (a bug in the caller).
            OverflowError: the ledger clock would pass TIMESTAMP_MAX (year 2262).
        """
        outcomes = self._execute(
            accounts,
            now,
            self._create_account,
            CreateAccountStatus.LINKED_EVENT_CHAIN_OPEN,
            CreateAccountStatus.LINKED_EVENT_FAILED,
        )
        return [
            CreateAccountResult(index=index, status=status, timestamp=timestamp)
            for index, (status, timestamp) in enumerate(outcomes)
        ]

    def create_transfers(
        self, transfers: Sequence[Transfer], *, now: int
    ) -> list[CreateTransferResult]:
        """Create a batch of transfers (plain, pending, post, void), honouring `LINKED` chains.

        Args:
            transfers: input records (timestamp 0).
            now: the current time in ns since the Unix epoch.

        Returns:
            One result per transfer, in batch order. Business failures are statuses.

        Raises:
            ValueError: `now` outside 0..TIMESTAMP_MAX (a bug in the caller).
            OverflowError: the ledger clock would pass TIMESTAMP_MAX (year 2262).
        """
        outcomes = self._execute(
            transfers,
            now,
            self._create_transfer,
            CreateTransferStatus.LINKED_EVENT_CHAIN_OPEN,
            CreateTransferStatus.LINKED_EVENT_FAILED,
        )
        return [
            transfer_result(index, status, timestamp)
            for index, (status, timestamp) in enumerate(outcomes)
        ]

    def expire_pending(self, *, now: int) -> list[ExpiredTransfer]:
        """Release every pending transfer whose deadline has been reached.

        Args:
            now: the current time in ns since the Unix epoch.

        Returns:
            One record per released transfer, in `(expires_at, pending timestamp)` order, each
            with its own new timestamp. Empty if nothing was due.

        Raises:
            ValueError: `now` outside 0..TIMESTAMP_MAX.
            OverflowError: the ledger clock would pass TIMESTAMP_MAX.
        """
        state = self._state
        cutoff = self._first_timestamp(now, len(state.expiry_queue))
        expired: list[ExpiredTransfer] = []
        while state.expiry_queue and state.expiry_queue[0][0] <= cutoff:
            _, pending_timestamp, pending_id = heapq.heappop(state.expiry_queue)
            if not state.is_live_pending(pending_id, pending_timestamp):
                continue
            record = ExpiredTransfer(
                pending_id=TransferId(pending_id),
                timestamp=max(now, state.last_timestamp + 1),
            )
            self._commit(record)
            expired.append(record)
        return expired

    # -- queries ----------------------------------------------------------------------------

    def lookup_accounts(self, ids: Iterable[AccountId]) -> list[Account]:
        """The accounts with these ids, in the order asked; unknown ids are omitted (like TB)."""
        accounts = self._state.accounts
        return [row.snapshot() for id_ in ids if (row := accounts.get(id_)) is not None]

    def available_balance(self, id_: AccountId) -> int | None:
        """The account's available balance (`watching.available_balance`) without a snapshot
        of it; None for an unknown id."""
        row = self._state.accounts.get(id_)
        if row is None:
            return None
        return available(row.credits_posted, row.debits_posted, row.debits_pending)

    def lookup_transfers(self, ids: Iterable[TransferId]) -> list[Transfer]:
        """The transfers with these ids, in the order asked; unknown ids are omitted."""
        transfers = self._state.transfers
        return [t for id_ in ids if (t := transfers.get(id_)) is not None]

    def pending_status(self, pending_id: TransferId) -> TransferPendingStatus | None:
        """The state of a pending transfer; None if `pending_id` is not a pending transfer.

        A transfer past its deadline stays PENDING until swept (and keeps its reservation), but
        a post or void of it is already refused with PENDING_TRANSFER_EXPIRED.
        """
        return self._state.pending.get(pending_id)

    def next_expires_at(self) -> int | None:
        """The earliest deadline (ns) of a still-pending transfer, or None: when to sweep next."""
        state = self._state
        queue = state.expiry_queue
        while queue and not state.is_live_pending(queue[0][2], queue[0][1]):
            heapq.heappop(queue)  # drops stale cache entries only; no state change
        return queue[0][0] if queue else None

    @property
    def last_timestamp(self) -> int:
        """The timestamp of the last accepted event (0 for an empty ledger)."""
        return self._state.last_timestamp

    def snapshot(self) -> LedgerSnapshot:
        """The whole state as immutable values (O(size); for checks and tests, not hot paths)."""
        return self._state.snapshot()

    @property
    def transfers_held(self) -> int:
        """How many transfer records the engine holds in memory (O(1); see "Forgetting")."""
        return len(self._state.transfers)

    def forget_resolved(self, entries: Iterable[JournalEntry], *, codes: frozenset[int]) -> int:
        """Forget the pending transfers with a code in `codes` that `entries` (journal entries
        of this engine) resolved, with the records that resolved them; see "Forgetting".

        Returns:
            How many pending transfers were forgotten.
        """
        if not codes:
            return 0
        state = self._state
        forgotten = 0
        for entry in entries:
            # Posts, voids and expiries name a pending transfer; nothing else does (id 0).
            if not isinstance(entry, Account) and entry.pending_id:
                forgotten += state.forget(entry, codes)
        return forgotten

    # -- journal ----------------------------------------------------------------------------

    def drain_journal(self) -> list[JournalEntry]:
        """Hand over (and forget) the entries accepted since the last drain, in order."""
        entries, self._journal = self._journal, []
        return entries

    @classmethod
    def from_state(cls, state: LedgerState) -> LedgerEngine:
        """An engine over an existing state (built by `seed.seeded_engine`), journal empty."""
        engine = cls()
        engine._state = state
        return engine

    @classmethod
    def replay(cls, entries: Iterable[JournalEntry]) -> LedgerEngine:
        """Rebuild an engine from a journal (everything ever drained, in order).

        Returns:
            An engine with the same state as the one that produced the entries, and an empty
            journal queue (the entries are already durable).

        Raises:
            JournalError: an entry could not have been accepted at its position.
        """
        engine = cls()
        engine.replay_more(entries)
        return engine

    def replay_more(self, entries: Iterable[JournalEntry]) -> None:
        """Continue a replay with the entries that followed those already applied.

        Raises:
            JournalError: an entry could not have been accepted at its position.
        """
        for position, entry in enumerate(entries, start=self._replayed):
            replay_entry(self, position, entry)
            self._replayed = position + 1

    # -- internals --------------------------------------------------------------------------

    def _execute(
        self,
        events: Sequence[_Event],
        now: int,
        create: Callable[[_Event, int], tuple[_Status, int | None]],
        chain_open: _Status,
        chain_failed: _Status,
    ) -> list[tuple[_Status, int | None]]:
        self._first_timestamp(now, len(events))
        outcomes: list[tuple[_Status, int | None]] = []
        chain_start: int | None = None
        chain_broken = False
        journal_mark = timestamp_mark = 0
        for index, event in enumerate(events):
            flags: int = event.flags + 0  # bits as a plain int: see model.py
            linked = bool(flags & _LINKED)
            if linked and chain_start is None:
                chain_start, chain_broken = index, False
                journal_mark, timestamp_mark = len(self._journal), self._state.last_timestamp
            if linked and index == len(events) - 1:
                outcome: tuple[_Status, int | None] = (chain_open, None)
            elif chain_broken:
                outcome = (chain_failed, None)
            else:
                outcome = create(event, now)
            outcomes.append(outcome)
            if chain_start is not None and not chain_broken and not outcome[0].ok:
                chain_broken = True
                self._rollback(journal_mark, timestamp_mark)
                for earlier in range(chain_start, index):
                    outcomes[earlier] = (chain_failed, None)
            if not linked:  # this event ends any chain it was in
                chain_start, chain_broken = None, False
        return outcomes

    def _first_timestamp(self, now: int, events_max: int) -> int:
        if isinstance(now, bool) or not isinstance(now, int) or not 0 <= now <= TIMESTAMP_MAX:
            raise ValueError(f"now must be an int in 0..{TIMESTAMP_MAX} (ns), got {now!r}")
        first = max(now, self._state.last_timestamp + 1)
        if first + max(events_max - 1, 0) > TIMESTAMP_MAX:
            raise OverflowError("the ledger clock would pass TIMESTAMP_MAX")
        return first

    def _create_account(self, account: Account, now: int) -> tuple[CreateAccountStatus, int | None]:
        existing = self._state.accounts.get(account.id)
        status = validate_account(account, None if existing is None else existing.record)
        if status is CreateAccountStatus.EXISTS:
            assert existing is not None
            return status, existing.record.timestamp
        if status is not CreateAccountStatus.CREATED:
            return status, None
        record = replace(account, timestamp=max(now, self._state.last_timestamp + 1))
        self._commit(record)
        return status, record.timestamp

    def _create_transfer(
        self, transfer: Transfer, now: int
    ) -> tuple[CreateTransferStatus, int | None]:
        state = self._state
        timestamp = max(now, state.last_timestamp + 1)
        status, record = validate_transfer(
            transfer, timestamp, state.accounts, state.transfers, state.pending
        )
        if status is _EXISTS:
            return status, state.transfers[transfer.id].timestamp
        if record is None:
            return status, None
        self._commit(record)
        return status, timestamp

    def _commit(self, entry: JournalEntry) -> None:
        self._state.apply(entry)
        self._journal.append(entry)

    def _rollback(self, journal_mark: int, timestamp_mark: int) -> None:
        while len(self._journal) > journal_mark:
            entry = self._journal.pop()
            assert not isinstance(entry, ExpiredTransfer), "chains never hold expiries"
            self._state.undo(entry)
        self._state.last_timestamp = timestamp_mark
