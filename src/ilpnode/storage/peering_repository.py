"""Assets, peers and incoming-token digests in SQL: the `PeeringStore` port (SQLAlchemy Core).

Theory of operation
===================

- **One transaction per `transaction()` block.** The block gets one pooled connection; it commits
  when the block ends normally and rolls back when it raises. On SQLite the transaction starts
  with `BEGIN IMMEDIATE`, which takes the database's single write lock at once (waiting up to the
  busy timeout): a deferred transaction that reads and then writes can fail to upgrade its lock
  under WAL, and holding the lock from the start is what makes "max + 1" ledger numbers safe.
  On PostgreSQL the transaction is READ COMMITTED and only asset creation serialises (below).
- **Constraint violations are values.** Every write runs inside a SAVEPOINT. A violation rolls
  back to it (only the failed write is undone, the transaction stays usable) and the violated
  constraint, recognised by its *name* (`schema` fixes them), becomes the error the port
  promises. PostgreSQL reports the name (asyncpg's `constraint_name`); SQLite reports the columns
  of a unique constraint, mapped back to its name through the metadata, and names no foreign key
  (only one foreign key can fail in each write here, so that is unambiguous). Any other violation
  and any other error propagates.
- **Ledger numbers** are max(ledger) + 1 over all rows, deleted ones included, so a number is
  never reused. On PostgreSQL the transaction first takes a transaction-level advisory lock, so
  two concurrent creations compute the maximum one after the other; the second sees the first's
  committed row. (On SQLite the write lock already serialises them.) A unique violation on
  `ledger` is therefore a bug and propagates; it is never reported as DuplicateAsset.
- **Paging is keyset paging** on `(created_at, id)` (`keyset_paging`), the same rules as
  `pagination.paginate`; a soft-deleted asset as a cursor gives an empty page.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any, Final, TypeVar
from uuid import UUID

from sqlalchemy import (
    Column,
    ColumnElement,
    PrimaryKeyConstraint,
    Row,
    Table,
    UniqueConstraint,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ilpnode.services.peering import (
    Asset,
    AssetError,
    HttpOutgoing,
    Page,
    PageRequest,
    Peer,
    PeerError,
)
from ilpnode.services.peering.ports import PeeringTransaction
from ilpnode.storage.change_notice import CHANNEL, NoticeKind, encode_notice
from ilpnode.storage.database import Database
from ilpnode.storage.keyset_paging import keyset_page
from ilpnode.storage.schema import metadata
from ilpnode.storage.schema.payments import wallet_addresses
from ilpnode.storage.schema.peering import assets, peer_incoming_tokens, peers

__all__ = [
    "LEDGER_NUMBER_LOCK_ID",
    "SqlPeeringStore",
    "SqlPeeringTransaction",
    "constraint_name",
]

# Arbitrary but fixed: identifies the asset ledger-number lock among advisory locks.
LEDGER_NUMBER_LOCK_ID: Final = 0x11D_A55E7

# What SQLite says instead of a foreign key's name.
_SQLITE_FOREIGN_KEY: Final = "FOREIGN KEY constraint failed"
_SQLITE_UNIQUE_PREFIX: Final = "UNIQUE constraint failed: "

_ASSET_ERRORS: Final[Mapping[str, AssetError]] = {
    "uq_assets_code_scale": AssetError.DuplicateAsset,
}
_PEER_ERRORS: Final[Mapping[str, PeerError]] = {
    "uq_peers_asset_id_static_ilp_address": PeerError.DuplicatePeer,
    "pk_peer_incoming_tokens": PeerError.DuplicateIncomingToken,
    "fk_peers_asset_id_assets": PeerError.UnknownAsset,
    # The token rows' foreign key names the peer written just before in the same savepoint, so
    # the peer's asset is the only reference that can be missing.
    _SQLITE_FOREIGN_KEY: PeerError.UnknownAsset,
}

E = TypeVar("E", AssetError, PeerError)


class SqlPeeringStore:
    """The `PeeringStore` port over the node's database (see the module docstring)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PeeringTransaction]:
        """One database transaction: committed when the block ends, rolled back if it raises."""
        async with self._database.write_transaction() as connection:
            yield SqlPeeringTransaction(connection)


class SqlPeeringTransaction:
    """The `PeeringTransaction` operations on one open transaction's connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    # -- assets ----------------------------------------------------------------------------------

    async def insert_asset(self, asset: Asset) -> Asset | AssetError:
        stored = replace(asset, ledger=await self._next_ledger())
        try:
            async with self._connection.begin_nested():
                await self._connection.execute(insert(assets).values(_asset_values(stored)))
        except IntegrityError as error:
            return _error_for(error, _ASSET_ERRORS)
        await self._notify(NoticeKind.ASSET, stored.id)
        return stored

    async def update_asset(self, asset: Asset) -> None:
        await self._connection.execute(
            update(assets)
            .where(assets.c.id == asset.id)
            .values(
                withdrawal_threshold=asset.withdrawal_threshold,
                liquidity_threshold=asset.liquidity_threshold,
                liquidity_high_threshold=asset.liquidity_high_threshold,
                updated_at=asset.updated_at,
                deleted_at=asset.deleted_at,
            )
        )
        await self._notify(NoticeKind.ASSET, asset.id)

    async def asset_by_id(self, asset_id: UUID, *, include_deleted: bool = False) -> Asset | None:
        query = select(assets).where(assets.c.id == asset_id)
        if not include_deleted:
            query = query.where(assets.c.deleted_at.is_(None))
        row = (await self._connection.execute(query)).first()
        return None if row is None else _asset(row)

    async def asset_by_code_and_scale(
        self, code: str, scale: int, *, include_deleted: bool = False
    ) -> Asset | None:
        query = select(assets).where(assets.c.code == code, assets.c.scale == scale)
        if not include_deleted:
            query = query.where(assets.c.deleted_at.is_(None))
        row = (await self._connection.execute(query)).first()
        return None if row is None else _asset(row)

    async def asset_in_use(self, asset_id: UUID) -> bool:
        # A peer or a hosted wallet address (whose money counts in the asset's accounts).
        query = select(
            or_(
                exists().where(peers.c.asset_id == asset_id),
                exists().where(wallet_addresses.c.asset_id == asset_id),
            )
        )
        return bool((await self._connection.execute(query)).scalar_one())

    async def asset_page(self, request: PageRequest) -> Page[Asset]:
        page = await self._page(assets, request, assets.c.deleted_at.is_(None))
        return page.map(_asset)

    # -- peers -----------------------------------------------------------------------------------

    async def insert_peer(self, peer: Peer, token_hashes: Sequence[str]) -> PeerError | None:
        try:
            async with self._connection.begin_nested():
                await self._connection.execute(insert(peers).values(_peer_values(peer)))
                await self._insert_tokens(peer.id, token_hashes)
        except IntegrityError as error:
            return _error_for(error, _PEER_ERRORS)
        await self._notify(NoticeKind.PEER, peer.id)
        return None

    async def update_peer(self, peer: Peer, token_hashes: Sequence[str] | None) -> PeerError | None:
        values = _peer_values(peer)
        del values["id"]
        try:
            async with self._connection.begin_nested():
                result = await self._connection.execute(
                    update(peers).where(peers.c.id == peer.id).values(values)
                )
                if result.rowcount == 0:
                    return PeerError.UnknownPeer
                if token_hashes is not None:
                    await self._connection.execute(
                        delete(peer_incoming_tokens).where(
                            peer_incoming_tokens.c.peer_id == peer.id
                        )
                    )
                    await self._insert_tokens(peer.id, token_hashes)
        except IntegrityError as error:
            return _error_for(error, _PEER_ERRORS)
        await self._notify(NoticeKind.PEER, peer.id)
        return None

    async def peer_by_id(self, peer_id: UUID) -> Peer | None:
        row = (await self._connection.execute(select(peers).where(peers.c.id == peer_id))).first()
        return None if row is None else _peer(row)

    async def peer_by_static_address(self, asset_id: UUID, static_ilp_address: str) -> Peer | None:
        query = select(peers).where(
            peers.c.asset_id == asset_id, peers.c.static_ilp_address == static_ilp_address
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else _peer(row)

    async def token_hashes(self, peer_id: UUID) -> list[str]:
        query = (
            select(peer_incoming_tokens.c.token_hash)
            .where(peer_incoming_tokens.c.peer_id == peer_id)
            .order_by(peer_incoming_tokens.c.token_hash)
        )
        return list((await self._connection.execute(query)).scalars())

    async def delete_peer(self, peer_id: UUID) -> bool:
        # The tokens go with the peer: ON DELETE CASCADE.
        result = await self._connection.execute(delete(peers).where(peers.c.id == peer_id))
        if result.rowcount == 0:
            return False
        await self._notify(NoticeKind.PEER, peer_id)
        return True

    async def peer_page(self, request: PageRequest) -> Page[Peer]:
        return (await self._page(peers, request, None)).map(_peer)

    async def all_peers(self) -> list[tuple[Peer, list[str]]]:
        """Every peer, oldest first (by `(created_at, id)`), with its digests sorted."""
        tokens: dict[UUID, list[str]] = {}
        token_rows = await self._connection.execute(
            select(peer_incoming_tokens).order_by(peer_incoming_tokens.c.token_hash)
        )
        for digest, peer_id in token_rows:
            tokens.setdefault(peer_id, []).append(digest)
        rows = await self._connection.execute(
            select(peers).order_by(peers.c.created_at, peers.c.id)
        )
        return [(_peer(row), tokens.get(row.id, [])) for row in rows]

    # -- helpers ---------------------------------------------------------------------------------

    async def _notify(self, kind: NoticeKind, row_id: UUID) -> None:
        """Tell every listening process, at commit, that this row changed (PostgreSQL only)."""
        if self._connection.dialect.name == "postgresql":
            await self._connection.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": CHANNEL, "payload": encode_notice(kind, row_id)},
            )

    async def _next_ledger(self) -> int:
        """max(ledger) + 1 over every row; on PostgreSQL first wait for any other transaction
        that is numbering an asset to end (the lock is held until this transaction ends)."""
        if self._connection.dialect.name == "postgresql":
            await self._connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": LEDGER_NUMBER_LOCK_ID}
            )
        highest = select(func.coalesce(func.max(assets.c.ledger), 0))
        return int((await self._connection.execute(highest)).scalar_one()) + 1

    async def _insert_tokens(self, peer_id: UUID, token_hashes: Sequence[str]) -> None:
        # A digest given twice is one token (as the reference store has it), not a violation.
        distinct = dict.fromkeys(token_hashes)
        if distinct:
            rows = [{"token_hash": digest, "peer_id": peer_id} for digest in distinct]
            await self._connection.execute(insert(peer_incoming_tokens), rows)

    async def _page(
        self, table: Table, request: PageRequest, visible: ColumnElement[bool] | None
    ) -> Page[Row[Any]]:
        """One page of `table`'s rows for which `visible` holds (`keyset_paging`)."""
        return await keyset_page(self._connection, table, request, visible)


# -- constraint names --------------------------------------------------------------------------


def _sqlite_unique_names() -> dict[str, str]:
    """SQLite's 'table.a, table.b' list for each primary key, unique constraint and unique
    index -> that constraint's name."""
    names: dict[str, str] = {}
    for table in metadata.tables.values():
        keys: list[tuple[object, Iterable[Column[Any]]]] = [
            (constraint.name, constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint)
        ]
        keys += [(index.name, index.columns) for index in table.indexes if index.unique]
        for name, columns in keys:
            if isinstance(name, str):
                names[", ".join(f"{table.name}.{column.name}" for column in columns)] = name
    return names


_SQLITE_UNIQUE_NAMES: Final = _sqlite_unique_names()


def constraint_name(error: IntegrityError) -> str | None:
    """The name of the constraint `error` violated, or None if the driver does not say.

    SQLite's foreign key failures name no constraint; they give `_SQLITE_FOREIGN_KEY`.
    """
    cause = error.orig.__cause__ if error.orig is not None else None
    name = getattr(cause, "constraint_name", None)  # asyncpg
    if isinstance(name, str):
        return name
    message = str(error.orig)
    if message.startswith(_SQLITE_UNIQUE_PREFIX):
        return _SQLITE_UNIQUE_NAMES.get(message.removeprefix(_SQLITE_UNIQUE_PREFIX))
    if message == _SQLITE_FOREIGN_KEY:
        return _SQLITE_FOREIGN_KEY
    return None


def _error_for(error: IntegrityError, errors: Mapping[str, E]) -> E:
    """The port's error for the violated constraint; re-raises `error` if it has none."""
    name = constraint_name(error)
    if name is None or name not in errors:
        raise error
    return errors[name]


# -- rows <-> values ---------------------------------------------------------------------------


def _asset_values(asset: Asset) -> dict[str, Any]:
    return {
        "id": asset.id,
        "ledger": asset.ledger,
        "code": asset.code,
        "scale": asset.scale,
        "withdrawal_threshold": asset.withdrawal_threshold,
        "liquidity_threshold": asset.liquidity_threshold,
        "liquidity_high_threshold": asset.liquidity_high_threshold,
        "created_at": asset.created_at,
        "updated_at": asset.updated_at,
        "deleted_at": asset.deleted_at,
    }


def _asset(row: Row[Any]) -> Asset:
    return Asset(
        id=row.id,
        code=row.code,
        scale=row.scale,
        ledger=row.ledger,
        withdrawal_threshold=row.withdrawal_threshold,
        liquidity_threshold=row.liquidity_threshold,
        liquidity_high_threshold=row.liquidity_high_threshold,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
    )


def _peer_values(peer: Peer) -> dict[str, Any]:
    return {
        "id": peer.id,
        "asset_id": peer.asset_id,
        "static_ilp_address": peer.static_ilp_address,
        "routes": json.dumps(list(peer.routes)),
        "outgoing_token": peer.http_outgoing.auth_token,
        "outgoing_endpoint": peer.http_outgoing.endpoint,
        "max_packet_amount": peer.max_packet_amount,
        "name": peer.name,
        "liquidity_threshold": peer.liquidity_threshold,
        "liquidity_high_threshold": peer.liquidity_high_threshold,
        "created_at": peer.created_at,
        "updated_at": peer.updated_at,
        "auto_peered": peer.auto_peered,
    }


def _peer(row: Row[Any]) -> Peer:
    return Peer(
        id=row.id,
        asset_id=row.asset_id,
        static_ilp_address=row.static_ilp_address,
        routes=tuple(json.loads(row.routes)),
        http_outgoing=HttpOutgoing(auth_token=row.outgoing_token, endpoint=row.outgoing_endpoint),
        max_packet_amount=row.max_packet_amount,
        name=row.name,
        liquidity_threshold=row.liquidity_threshold,
        liquidity_high_threshold=row.liquidity_high_threshold,
        created_at=row.created_at,
        updated_at=row.updated_at,
        auto_peered=row.auto_peered,
    )
