"""One shared-ledger transaction's statements, on the writer's asyncpg connection.

`shared` explains the read / decide / write steps and why they are safe across processes;
`shared_writer` groups many calls into one transaction. This module holds the steps themselves:
load the slice of the ledger a batch can touch into a seeded engine, let the engine decide, and
say what to write. The reads run here; the write is returned as SQL text (`Decided.write`, the
values inlined as numeric literals: every value is an int we made), which the writer sends in
one round trip together with COMMIT. Balances are written as changes (`+ delta`), never as
values, so a write is right whatever committed since its read, as long as the CHECK
constraints hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Final, Generic, Protocol, TypeVar

import asyncpg

from ilpnode.clock import Clock
from ilpnode.ledger import (
    Account,
    AccountId,
    CreateAccountResult,
    CreateTransferResult,
    ExpiredTransfer,
    LedgerEngine,
    Transfer,
    TransferFlags,
    TransferId,
)
from ilpnode.ledger.seed import seeded_engine
from ilpnode.storage.ledger.rows import account_from_row, transfer_from_row
from ilpnode.storage.ledger.shared_cache import OwnCommits
from ilpnode.storage.ledger.shared_sql import (
    _ACCOUNT_ROW,
    _EXPIRY_ROW,
    _PG_CHECK_UNEXPIRED,
    _PG_DUE,
    _PG_INSERT_ACCOUNTS,
    _PG_LOCK_ACCOUNTS,
    _PG_LOCK_AND_READ,
    _PG_LOCK_WRITTEN,
    _PG_READ_ACCOUNTS,
    _PG_READ_SLICE,
    _PG_READ_TRANSFERS,
    _PG_WRITE_EXPIRIES,
    _PG_WRITE_TRANSFERS,
    _TRANSFER_ROW,
    _Columns,
    _Positional,
)

__all__ = ["Decided", "apply_calls", "create_accounts", "expire_due_chunk", "read_accounts"]

# Arbitrary but fixed: identifies the expiry sweep among advisory locks.
SWEEP_LOCK_ID: Final = 0x696C_706E_7377  # "ilpnsw"
# As a plain int: `&` on the flag enum itself builds an enum member, several times slower.
_RESOLVES = int(TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER)
_BALANCES: Final = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Decided(Generic[_T]):
    """What a transaction decided: the callers' answer, the statements that make it so
    ("" when nothing is to be written), to run before COMMIT, and the accounts whose balances
    they change, as they will be once committed (for the writer's balance reports).

    `optimistic`: decided on a read without locks (`apply_calls`). Then the write takes the
    locks itself, a CHECK violation (SQLSTATE 23514) means another process spent first (run
    the batch again with `optimistic=False`), and the balances in `accounts` are the engine's,
    from a read that may be stale: whoever reports them reads them after COMMIT (`observe`,
    `read_accounts`).
    """

    value: _T
    write: str
    accounts: Sequence[Account] = ()
    optimistic: bool = False
    observed: Sequence[Account] = ()
    """The accounts `apply_calls` was asked to `observe`, as committed when it read them."""
    journaled: Sequence[Transfer] = ()
    """The transfers the write creates (for `shared_cache.OwnCommits`)."""


class TransferCall(Protocol):
    """One caller's batch of transfers (the writer's queued call)."""

    @property
    def transfers(self) -> Sequence[Transfer]: ...


async def apply_calls(
    connection: asyncpg.Connection,
    calls: Sequence[TransferCall],
    *,
    clock: Clock,
    optimistic: bool = True,
    observe: Sequence[int] = (),
    own: OwnCommits | None = None,
) -> Decided[list[list[CreateTransferResult]]]:
    """Decide several calls' transfers in the open transaction: results per call, and the
    write. The write checks that no pending transfer it resolves expired since the read
    (`ledger_check_unexpired`, migration 0006: SQLSTATE IL001, the whole transaction fails and
    is run again).

    `optimistic` (the first attempt of a batch): read without locks, decide, and if every
    transfer of every call is accepted, write with the locks taken by the write itself, for
    as long as the write runs; another process's batch then never waits for this one's
    round trips. If the engine refuses anything (a refusal may come from a read that is
    already stale), the batch is decided again under locks, in this transaction. The
    optimistic read also reads the accounts `observe` names (`Decided.observed`): the balance
    reports of earlier optimistic commits ride on it rather than on a round trip of their own.

    `own` (the first attempt only): posts and voids of pending transfers this process created
    are decided on what its own commits left (`shared_cache`): the read leaves them out, and a
    batch made only of them is not read at all (its balance reports wait for the next read).
    """
    batch = [transfer for call in calls for transfer in call.transfers]
    account_ids = _unique(
        account_id
        for transfer in batch
        if not int(transfer.flags) & _RESOLVES
        for account_id in (transfer.debit_account_id, transfer.credit_account_id)
    )
    pending_ids = _unique(
        transfer.pending_id
        for transfer in batch
        if int(transfer.flags) & _RESOLVES and transfer.pending_id
    )
    ids = _unique([*(transfer.id for transfer in batch), *pending_ids])
    values = {"account_ids": account_ids, "pending_ids": pending_ids, "ids": ids}
    observed: list[Account] = []
    if optimistic:
        known, known_accounts = own.known(batch) if own is not None else ([], [])
        skipped = {transfer.id for transfer in known}
        skipped.update(
            transfer.id
            for transfer in batch
            if int(transfer.flags) & _RESOLVES and transfer.pending_id in skipped
        )
        unknown = {
            "account_ids": account_ids,
            "pending_ids": [pending_id for pending_id in pending_ids if pending_id not in skipped],
            "ids": [transfer_id for transfer_id in ids if transfer_id not in skipped],
        }
        rows: list[SimpleNamespace] = []
        if any(unknown.values()):
            if observe:
                unknown["account_ids"] = _unique([*account_ids, *observe])
            rows = await _fetch(connection, _PG_READ_SLICE, unknown)
        if observe:
            wanted = set(observe)
            observed = [
                account_from_row(row, with_balances=True)
                for row in rows
                if row.kind == "a" and row.id in wanted
            ]
        read = [row for row in rows if row.kind == "a"]
        named = [row for row in rows if row.kind == "t"]
        read_ids = {row.id for row in read}
        extra = [account for account in known_accounts if account.id not in read_ids]
        decided = _decide_unlocked(
            lambda: _seeded(read, named, also_accounts=extra, also_transfers=known),
            [*read, *extra],
            calls,
            clock,
            observed,
        )
        if decided is not None:
            return decided
    rows = await _fetch(connection, _PG_LOCK_AND_READ, values)
    locked = [row for row in rows if row.kind == "a"]
    engine = _seeded(locked, [row for row in rows if row.kind == "t"])
    try:
        results = [engine.create_transfers(call.transfers, now=clock.now_ns()) for call in calls]
    except (AssertionError, ValueError):
        # The read predates the locks: a transfer resolved meanwhile can contradict the
        # balances, which the engine checks. Nothing is written yet: read again, now under the
        # locks we hold, so that this read is current.
        rows = await _fetch(connection, _PG_READ_TRANSFERS, {"ids": ids}) if ids else []
        engine = _seeded(locked, rows)
        results = [engine.create_transfers(call.transfers, now=clock.now_ns()) for call in calls]
    write, accounts, journaled = _write(engine, locked, checked=True)
    return Decided(results, write, accounts, observed=observed, journaled=journaled)


def _decide_unlocked(
    seed: Callable[[], LedgerEngine],
    accounts: Sequence[Any],
    calls: Sequence[TransferCall],
    clock: Clock,
    observed: list[Account],
) -> Decided[list[list[CreateTransferResult]]] | None:
    """The optimistic decision on an engine `seed`ed with what is known without locks (rows
    read, or the records this process's own commits left: `accounts` are its accounts, either
    way), or None to decide under locks: the engine refused a transfer, or what it was given
    contradicts itself (it can be stale)."""
    try:
        engine = seed()
        results = [engine.create_transfers(call.transfers, now=clock.now_ns()) for call in calls]
    except (AssertionError, ValueError):
        return None
    if not all(result.ok for call_results in results for result in call_results):
        return None
    write, changed, journaled = _write(engine, accounts, checked=True, lock=True)
    return Decided(results, write, changed, optimistic=True, observed=observed, journaled=journaled)


async def read_accounts(connection: asyncpg.Connection, ids: list[int]) -> list[Account]:
    """The accounts with these ids, as committed now (in the order the database returns)."""
    rows = await _fetch(connection, _PG_READ_ACCOUNTS, {"ids": ids})
    return [account_from_row(row, with_balances=True) for row in rows]


async def create_accounts(
    connection: asyncpg.Connection, accounts: Sequence[Account], *, clock: Clock
) -> Decided[list[CreateAccountResult]]:
    """Decide accounts in the open transaction: their results and their insert."""
    ids = _unique(account.id for account in accounts)
    rows = await _fetch(connection, _PG_READ_ACCOUNTS, {"ids": ids})
    engine = seeded_engine(
        accounts=[account_from_row(row, with_balances=True) for row in rows],
        transfers=(),
        expired=(),
        last_timestamp=0,
    )
    results = engine.create_accounts(accounts, now=clock.now_ns())
    created = [entry for entry in engine.drain_journal() if isinstance(entry, Account)]
    if not created:
        return Decided(results, "")
    return Decided(results, _PG_INSERT_ACCOUNTS.literal(_columns(created, _ACCOUNT_ROW)))


async def expire_due_chunk(
    connection: asyncpg.Connection, *, limit: int, clock: Clock
) -> Decided[tuple[list[int], int]]:
    """Expire up to `limit` pending transfers due now: (the due ids, how many expired).

    One process sweeps at a time: while another holds the sweep lock this does nothing (that
    one expires what is due). Correct without the lock too, only wasteful.
    """
    if not await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", SWEEP_LOCK_ID):
        return Decided(([], 0), "")
    now = clock.now_ns()
    due: list[int] = [
        int(row["pending_id"]) for row in await connection.fetch(_PG_DUE.sql, now, limit)
    ]
    if not due:
        return Decided((due, 0), "")
    locked, engine = await _load(connection, due)
    expired = engine.expire_pending(now=clock.now_ns())
    write, accounts, _ = _write(engine, locked, checked=False)
    return Decided((due, len(expired)), write, accounts)


async def _load(
    connection: asyncpg.Connection, pending_ids: list[int]
) -> tuple[list[SimpleNamespace], LedgerEngine]:
    """Lock the accounts of these pending transfers, then read them (after the locks, so
    current): the locked rows, and an engine seeded with that slice."""
    locked = await _fetch(connection, _PG_LOCK_ACCOUNTS, {"pending_ids": pending_ids})
    rows = await _fetch(connection, _PG_READ_TRANSFERS, {"ids": pending_ids})
    return locked, _seeded(locked, rows)


def _seeded(
    accounts: Sequence[SimpleNamespace],
    rows: Sequence[SimpleNamespace],
    *,
    also_accounts: Sequence[Account] = (),
    also_transfers: Sequence[Transfer] = (),
) -> LedgerEngine:
    """An engine holding the accounts and the transfers read (with their expiries), and the
    records this process's own commits left (`shared_cache`)."""
    return seeded_engine(
        accounts=[
            *(account_from_row(row, with_balances=True) for row in accounts),
            *also_accounts,
        ],
        transfers=[*(transfer_from_row(row) for row in rows), *also_transfers],
        expired=[
            ExpiredTransfer(pending_id=TransferId(row.id), timestamp=row.expired_at)
            for row in rows
            if row.expired_at is not None
        ],
        last_timestamp=max(
            max((row.last_timestamp for row in accounts), default=0),
            max((transfer.timestamp for transfer in also_transfers), default=0),
        ),
    )


def _write(
    engine: LedgerEngine, read: Sequence[Any], *, checked: bool, lock: bool = False
) -> tuple[str, list[Account], list[Transfer]]:
    """The statements that write what the engine journaled (transfers or expiries) and change
    the balances by what it moved since it was seeded with the accounts `read` ("" for
    nothing), the accounts they change, with the engine's balances, and the transfers.

    `checked`: the transfers were read before the locks were granted, or without locks: check
    that no pending transfer the batch resolves expired meanwhile (a post or void meanwhile
    fails the write on the unique index instead). `lock`: the read took no locks; the write
    takes them first, so that the check runs after them (an expiry sweep holds the same locks
    until it commits, so the check sees it).
    """
    entries = engine.drain_journal()
    if not entries:
        return "", [], []
    touched: dict[AccountId, int] = {}  # account -> timestamp of its last event
    for entry in entries:
        if isinstance(entry, Transfer):
            moved = entry
        elif isinstance(entry, ExpiredTransfer):
            [moved] = engine.lookup_transfers([entry.pending_id])
        else:
            raise AssertionError(f"a transfer batch or sweep journaled {entry!r}")
        touched[moved.debit_account_id] = entry.timestamp
        touched[moved.credit_account_id] = entry.timestamp
    accounts = engine.lookup_accounts(list(touched))
    before = {row.id: row for row in read}
    values: dict[str, list[Any]] = {"b_id": [account.id for account in accounts]}
    for name in _BALANCES:
        values[f"b_{name}"] = [
            getattr(account, name) - getattr(before[account.id], name) for account in accounts
        ]
    values["b_last_timestamp"] = [touched[account.id] for account in accounts]
    statements = [_PG_LOCK_WRITTEN.execute({"ids": values["b_id"]})] if lock else []
    transfers = [entry for entry in entries if isinstance(entry, Transfer)]
    expiries = [entry for entry in entries if isinstance(entry, ExpiredTransfer)]
    if transfers and expiries:
        raise AssertionError("a batch journals transfers or expiries, never both")
    if transfers:
        values.update(_columns(transfers, _TRANSFER_ROW))
        # NULL, not 0: the partial unique index on pending_id must skip plain transfers.
        values["pending_id"] = [pending_id or None for pending_id in values["pending_id"]]
        resolved = [t.pending_id for t in transfers if int(t.flags) & _RESOLVES]
        if checked and resolved:
            statements.append(_PG_CHECK_UNEXPIRED.execute({"ids": resolved}))
        statements.append(_PG_WRITE_TRANSFERS.execute(values))
    else:
        values.update(_columns(expiries, _EXPIRY_ROW))
        statements.append(_PG_WRITE_EXPIRIES.execute(values))
    return "; ".join(statements), accounts, transfers


async def _fetch(
    connection: asyncpg.Connection, statement: _Positional, values: Mapping[str, object]
) -> list[SimpleNamespace]:
    """Rows as attribute namespaces (what `rows` reads); the writer's connection reads NUMERIC
    columns as ints (`shared._connect_writer`)."""
    return [
        SimpleNamespace(**record)
        for record in await connection.fetch(statement.sql, *statement.args(values))
    ]


def _columns(records: Sequence[object], columns: _Columns) -> dict[str, list[Any]]:
    """One list per column: the records' fields of the same names, as plain ints."""
    return {name: [int(getattr(record, name)) for record in records] for name in columns}


def _unique(values: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(values))
