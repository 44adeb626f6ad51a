"""The SQL of the shared PostgreSQL ledger (`ilpnode.storage.ledger.shared`), kept apart so that
the state machine there reads on its own. Internal to that module: the names stay private.

Statements take arrays (`= ANY(:ids)`, `unnest`) so that one statement serves a whole batch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Integer, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.types import TypeEngine

from ilpnode.storage.types import UInt64, UInt128

_IDS = ARRAY(UInt128())

_ACCOUNT_COLUMNS = (
    'id, ledger, code, flags, user_data_128, user_data_64, user_data_32, "timestamp", '
    "debits_pending, debits_posted, credits_pending, credits_posted, last_timestamp"
)
_ACCOUNT_TYPES: dict[str, TypeEngine[Any]] = {
    "id": UInt128(),
    "user_data_128": UInt128(),
    "user_data_64": UInt64(),
    "debits_pending": UInt64(),
    "debits_posted": UInt64(),
    "credits_pending": UInt64(),
    "credits_posted": UInt64(),
}
_TRANSFER_COLUMNS = (
    "id, debit_account_id, credit_account_id, amount, pending_id, user_data_128, "
    'user_data_64, user_data_32, timeout, ledger, code, flags, "timestamp"'
)
_TRANSFER_TYPES: dict[str, TypeEngine[Any]] = {
    "id": UInt128(),
    "debit_account_id": UInt128(),
    "credit_account_id": UInt128(),
    "amount": UInt64(),
    "pending_id": UInt128(),
    "user_data_128": UInt128(),
    "user_data_64": UInt64(),
}


def _statement(sql: str, **binds: TypeEngine[Any]) -> TextClause:
    return text(sql).bindparams(*(bindparam(name, type_=type_) for name, type_ in binds.items()))


def _sql_of(statement: TextClause | TextualSelect) -> str:
    clause = statement.element if isinstance(statement, TextualSelect) else statement
    assert isinstance(clause, TextClause)
    return clause.text


def _query(sql: str, types: dict[str, TypeEngine[Any]], **binds: TypeEngine[Any]) -> TextualSelect:
    return _statement(sql, **binds).columns(**types)


# Locks the accounts of these pending transfers (an expiry sweep's), in id order.
_LOCK_ACCOUNTS = _query(
    f"""
    SELECT {_ACCOUNT_COLUMNS} FROM ledger_accounts
    WHERE id = ANY(ARRAY(
        SELECT unnest(ARRAY[debit_account_id, credit_account_id]) FROM ledger_transfers
        WHERE id = ANY(CAST(:pending_ids AS NUMERIC[]))
    ))
    ORDER BY id FOR UPDATE
    """,
    _ACCOUNT_TYPES,
    pending_ids=_IDS,
)

_READ_ACCOUNTS = _query(
    f"SELECT {_ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = ANY(CAST(:ids AS NUMERIC[]))",
    _ACCOUNT_TYPES,
    ids=_IDS,
)

# The transfers with these ids, every post/void naming one of them, and their expiries. Two
# index scans (the primary key; the partial unique index on pending_id, which the planner uses
# only when the query itself says `pending_id IS NOT NULL`), not one scan with an OR: that is a
# sequential scan of the whole history, slower with every packet.
_COMMON = 'id, ledger, code, flags, user_data_128, user_data_64, user_data_32, "timestamp"'
_T_COLUMNS_COMMON = ", ".join(f"t.{column.strip()}" for column in _COMMON.split(","))
_T_COLUMNS = ", ".join(f"t.{column.strip()}" for column in _TRANSFER_COLUMNS.split(","))
_READ_TRANSFERS = _query(
    f"""
    SELECT {_T_COLUMNS}, e."timestamp" AS expired_at
    FROM ledger_transfers AS t LEFT JOIN ledger_expiries AS e ON e.pending_id = t.id
    WHERE t.id = ANY(CAST(:ids AS NUMERIC[]))
    UNION ALL
    SELECT {_T_COLUMNS}, NULL
    FROM ledger_transfers AS t
    WHERE t.pending_id IS NOT NULL AND t.pending_id = ANY(CAST(:ids AS NUMERIC[]))
      AND NOT t.id = ANY(CAST(:ids AS NUMERIC[]))
    """,
    {**_TRANSFER_TYPES, "expired_at": BigInteger()},
    ids=_IDS,
)


# The read of a transfer batch, in one statement: the accounts it can touch (locked, under
# locks: `FOR UPDATE` in id order) and the transfers it names. Its snapshot is taken when it
# starts, before it waits for any locks, so a transfer written by the lock's previous holder
# (or, read without locks, by anyone since) may be missing from what it reads: the batch's
# write then fails on a unique index (a new id, a second post/void) and is retried, or finds
# the expiry it missed (`_CHECK_UNEXPIRED`). Locked rows are returned as they are once locked,
# so under locks the balances are current. The transfers with the batch's ids are looked up
# once (`named`) and serve both the accounts of the pending transfers it resolves and the rows
# returned. Rows of both kinds come in one shape: `kind` 'a' (an account) or 't' (a transfer),
# the other's columns NULL.
def _slice_query(*, lock: bool) -> TextualSelect:
    locking = "ORDER BY id FOR UPDATE" if lock else ""
    return _query(
        f"""
    WITH named AS MATERIALIZED (
        SELECT {_T_COLUMNS}, e."timestamp" AS expired_at
        FROM ledger_transfers AS t LEFT JOIN ledger_expiries AS e ON e.pending_id = t.id
        WHERE t.id = ANY(CAST(:ids AS NUMERIC[]))
    ),
    slice_accounts AS (
        SELECT {_ACCOUNT_COLUMNS} FROM ledger_accounts
        WHERE id = ANY(ARRAY(
            SELECT unnest(CAST(:account_ids AS NUMERIC[]))
            UNION SELECT unnest(ARRAY[debit_account_id, credit_account_id]) FROM named
                  WHERE id = ANY(CAST(:pending_ids AS NUMERIC[]))
        ))
        {locking}
    )
    SELECT 'a' AS kind, {_COMMON}, debits_pending, debits_posted, credits_pending,
           credits_posted, last_timestamp, NULL AS debit_account_id,
           NULL AS credit_account_id, NULL AS amount, NULL AS pending_id,
           NULL::BIGINT AS timeout, NULL::BIGINT AS expired_at
    FROM slice_accounts
    UNION ALL
    SELECT 't', {_COMMON}, NULL, NULL, NULL, NULL, NULL, debit_account_id,
           credit_account_id, amount, pending_id, timeout, expired_at
    FROM named
    UNION ALL
    SELECT 't', {_T_COLUMNS_COMMON}, NULL, NULL, NULL, NULL, NULL, t.debit_account_id,
           t.credit_account_id, t.amount, t.pending_id, t.timeout, NULL
    FROM ledger_transfers AS t
    WHERE t.pending_id IS NOT NULL AND t.pending_id = ANY(CAST(:ids AS NUMERIC[]))
      AND NOT t.id = ANY(CAST(:ids AS NUMERIC[]))
    """,
        {**_ACCOUNT_TYPES, **_TRANSFER_TYPES, "expired_at": BigInteger()},
        account_ids=_IDS,
        pending_ids=_IDS,
        ids=_IDS,
    )


_LOCK_AND_READ = _slice_query(lock=True)
# The same read without the locks: a batch decided on it writes with `_LOCK_WRITTEN` first
# (`shared_apply`: the optimistic path).
_READ_SLICE = _slice_query(lock=False)

# Locks the accounts a write changes, in id order like every other lock of the ledger (so
# writers never deadlock on accounts); the rows themselves are not wanted.
_LOCK_WRITTEN = _statement(
    "SELECT 1 FROM ledger_accounts WHERE id = ANY(CAST(:ids AS NUMERIC[])) ORDER BY id FOR UPDATE",
    ids=_IDS,
)

_LOOKUP_TRANSFERS = _query(
    f"SELECT {_TRANSFER_COLUMNS} FROM ledger_transfers WHERE id = ANY(CAST(:ids AS NUMERIC[]))",
    _TRANSFER_TYPES,
    ids=_IDS,
)

# Rows are written as one array per column, unpacked by `unnest … WITH ORDINALITY`, so a batch
# of any size is one statement; `seq` is drawn in array (journal) order.
_ID = (ARRAY(UInt128()), "NUMERIC[]")
_U64 = (ARRAY(UInt64()), "NUMERIC[]")
_I64 = (ARRAY(BigInteger()), "BIGINT[]")
_I32 = (ARRAY(Integer()), "INTEGER[]")
_Columns = dict[str, tuple[TypeEngine[Any], str]]
_NEXT_SEQ = "nextval('ledger_journal_seq')"

_ACCOUNT_ROW: _Columns = {
    "id": _ID,
    "ledger": _I64,
    "code": _I32,
    "flags": _I32,
    "user_data_128": _ID,
    "user_data_64": _U64,
    "user_data_32": _I64,
    "timestamp": _I64,
}
_TRANSFER_ROW: _Columns = {
    "id": _ID,
    "debit_account_id": _ID,
    "credit_account_id": _ID,
    "amount": _U64,
    "pending_id": _ID,
    "user_data_128": _ID,
    "user_data_64": _U64,
    "user_data_32": _I64,
    "timeout": _I64,
    "ledger": _I64,
    "code": _I32,
    "flags": _I32,
    "timestamp": _I64,
}
_EXPIRY_ROW: _Columns = {"pending_id": _ID, "timestamp": _I64}
# What a write changes per account: its four balances *by* (signed: a post lowers the pending
# balances) and the timestamp of its last event (`_UPDATE_BALANCES`).
_BALANCE_ROW: _Columns = {
    "id": _ID,
    "debits_pending": _U64,
    "debits_posted": _U64,
    "credits_pending": _U64,
    "credits_posted": _U64,
    "last_timestamp": _I64,
}


def _unnest(columns: _Columns, prefix: str = "") -> str:
    """The arrays a write unnests; NUMERIC ones travel as text (see `_Positional`)."""
    return ", ".join(
        f"CAST(CAST(:{prefix}{name} AS TEXT) AS {sql})"
        if sql == "NUMERIC[]"
        else f"CAST(:{prefix}{name} AS {sql})"
        for name, (_, sql) in columns.items()
    )


def _binds(columns: _Columns, prefix: str = "") -> dict[str, TypeEngine[Any]]:
    return {prefix + name: array for name, (array, _) in columns.items()}


def _insert(table: str, columns: _Columns, constants: dict[str, str] | None = None) -> str:
    """INSERT INTO table (columns…, seq, constants…) from one array per column."""
    constants = constants or {}
    names = [f'"{name}"' for name in columns]
    targets = ", ".join([*names, "seq", *constants])
    values = ", ".join([*(f"u.{name}" for name in names), _NEXT_SEQ, *constants.values()])
    aliases = ", ".join([*names, "ord"])
    return (
        f"INSERT INTO {table} ({targets}) SELECT {values} "
        f"FROM unnest({_unnest(columns)}) WITH ORDINALITY AS u({aliases}) ORDER BY u.ord"
    )


# Balances change by what the batch moved (`b.*`: signed changes), not to what its engine
# computed: the same under the locks the batch read with, and also right when it read without
# them (the optimistic path), where the CHECK constraints then refuse what the engine could not
# see (`shared_apply`).
_UPDATE_BALANCES = f"""
    UPDATE ledger_accounts AS a
    SET debits_pending = a.debits_pending + b.debits_pending,
        debits_posted = a.debits_posted + b.debits_posted,
        credits_pending = a.credits_pending + b.credits_pending,
        credits_posted = a.credits_posted + b.credits_posted,
        last_timestamp = GREATEST(a.last_timestamp, b.last_timestamp)
    FROM unnest({_unnest(_BALANCE_ROW, "b_")}) AS b({", ".join(_BALANCE_ROW)})
    WHERE a.id = b.id
"""

_INSERT_ACCOUNTS = _statement(
    _insert(
        "ledger_accounts",
        _ACCOUNT_ROW,
        {
            "debits_pending": "0",
            "debits_posted": "0",
            "credits_pending": "0",
            "credits_posted": "0",
            "last_timestamp": 'u."timestamp"',
        },
    ),
    **_binds(_ACCOUNT_ROW),
)
# Raises (SQLSTATE IL001) if one of these pending transfers has expired (migration 0006).
_CHECK_UNEXPIRED = _statement(
    "SELECT ledger_check_unexpired(CAST(:ids AS NUMERIC[]))",
    ids=_IDS,
)
_WRITE_TRANSFERS = _statement(
    f"WITH inserted AS ({_insert('ledger_transfers', _TRANSFER_ROW)}) {_UPDATE_BALANCES}",
    **_binds(_TRANSFER_ROW),
    **_binds(_BALANCE_ROW, "b_"),
)
_WRITE_EXPIRIES = _statement(
    f"WITH inserted AS ({_insert('ledger_expiries', _EXPIRY_ROW)}) {_UPDATE_BALANCES}",
    **_binds(_EXPIRY_ROW),
    **_binds(_BALANCE_ROW, "b_"),
)

_DUE = _query(
    """
    SELECT pending_id FROM ledger_pending_deadlines
    WHERE expires_at <= :now ORDER BY expires_at LIMIT :limit
    """,
    {"pending_id": UInt128()},
    now=BigInteger(),
    limit=Integer(),
)

_NEXT_DEADLINE = text("SELECT min(expires_at) FROM ledger_pending_deadlines")

# Rows written by the embedded ledger use timestamps as `seq`: continue after them.
_ADVANCE_SEQUENCE = text(
    """
    SELECT setval('ledger_journal_seq', m.seq)
    FROM (SELECT GREATEST(
            (SELECT max(seq) FROM ledger_accounts),
            (SELECT max(seq) FROM ledger_transfers),
            (SELECT max(seq) FROM ledger_expiries)) AS seq) AS m,
         ledger_journal_seq AS s
    WHERE m.seq > s.last_value OR (m.seq = s.last_value AND NOT s.is_called)
    """
)


# -- the same statements for asyncpg (the writer's connection: no SQLAlchemy on the hot path) --


class _Positional(NamedTuple):
    """A statement with `$1…$n` placeholders, the bind names in that order, and which of them
    are NUMERIC arrays sent as text (`CAST(CAST(:x AS TEXT) AS NUMERIC[])`): the columns a write
    unnests, thousands of ids and amounts per batch, whose binary NUMERIC encoding in asyncpg
    costs several times more. Not the arrays a query filters on (`id = ANY(…)`): the planner
    cannot see into a cast from text when it plans, and would scan whole tables."""

    sql: str
    names: tuple[str, ...]
    numeric_arrays: frozenset[str]

    def literal(self, values: Mapping[str, object]) -> str:
        """The statement with its values inlined: to send with others in one round trip (the
        simple query protocol takes no parameters). Only for values we made: ints, None and
        lists of them, which render as numeric literals and never as anything else."""
        return re.sub(r"\$(\d+)", lambda m: _literal(values[self.names[int(m[1]) - 1]]), self.sql)

    def args(self, values: Mapping[str, object]) -> list[object]:
        return [
            _array_literal(values[name]) if name in self.numeric_arrays else values[name]
            for name in self.names
        ]


class _Prepared(NamedTuple):
    """A write the writer's connection prepares once (`PREPARE`, at connect: `WRITER_SETUP`) and
    then runs by name with its values inlined (`EXECUTE`), in the simple query that carries
    COMMIT: parsed and planned once per connection rather than once per transaction."""

    name: str
    statement: _Positional

    def prepare(self) -> str:
        return f"PREPARE {self.name} AS {self.statement.sql}"

    def execute(self, values: Mapping[str, object]) -> str:
        """`EXECUTE name(…)` with `values` inlined (ints, None and lists of them: see
        `_Positional.literal`)."""
        args = ", ".join(_literal(values[name]) for name in self.statement.names)
        return f"EXECUTE {self.name}({args})"


def _literal(value: object) -> str:
    if isinstance(value, list | tuple):
        return f"'{_array_literal(value)}'"
    if value is None:
        return "NULL"
    assert isinstance(value, int), value
    return str(int(value))


def _array_literal(values: object) -> str:
    """`[1, None, 2]` -> `'{1,NULL,2}'`, PostgreSQL's text form of an array of numbers."""
    assert isinstance(values, list | tuple)
    if None in values:
        items = ",".join("NULL" if value is None else str(int(value)) for value in values)
    else:
        items = ",".join(map(str, map(int, values)))
    return "{" + items + "}"


def _positional(statement: TextClause | TextualSelect) -> _Positional:
    """`:name` placeholders (each in a CAST, so never `::`) -> `$n`, numbered by first use."""
    sql = _sql_of(statement)
    names: list[str] = []
    numeric: set[str] = set()

    def number(name: str) -> str:
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    def numeric_array(match: re.Match[str]) -> str:
        numeric.add(match.group(1))
        return f"CAST(CAST({number(match.group(1))} AS TEXT) AS NUMERIC[])"

    sql = re.sub(r"CAST\(CAST\(:(\w+) AS TEXT\) AS NUMERIC\[\]\)", numeric_array, sql)
    sql = re.sub(r"(?<![:\w]):(\w+)", lambda match: number(match.group(1)), sql)
    return _Positional(sql, tuple(names), frozenset(numeric))


_PG_LOCK_ACCOUNTS = _positional(_LOCK_ACCOUNTS)
_PG_LOCK_AND_READ = _positional(_LOCK_AND_READ)
_PG_READ_SLICE = _positional(_READ_SLICE)
_PG_READ_ACCOUNTS = _positional(_READ_ACCOUNTS)
_PG_READ_TRANSFERS = _positional(_READ_TRANSFERS)
_PG_INSERT_ACCOUNTS = _positional(_INSERT_ACCOUNTS)
_PG_DUE = _positional(_DUE)

_PG_LOCK_WRITTEN = _Prepared("ilpnode_lock_written", _positional(_LOCK_WRITTEN))
_PG_CHECK_UNEXPIRED = _Prepared("ilpnode_check_unexpired", _positional(_CHECK_UNEXPIRED))
_PG_WRITE_TRANSFERS = _Prepared("ilpnode_write_transfers", _positional(_WRITE_TRANSFERS))
_PG_WRITE_EXPIRIES = _Prepared("ilpnode_write_expiries", _positional(_WRITE_EXPIRIES))

WRITER_SETUP = "; ".join(
    statement.prepare()
    for statement in (
        _PG_LOCK_WRITTEN,
        _PG_CHECK_UNEXPIRED,
        _PG_WRITE_TRANSFERS,
        _PG_WRITE_EXPIRIES,
    )
)
"""Run once on each new writer connection, before its first transaction."""
