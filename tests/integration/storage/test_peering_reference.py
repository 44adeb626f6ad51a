"""`SqlPeeringStore` answers exactly as the in-memory reference store (`FakeStore`, which the
service unit tests use) over long random sequences of operations, including rolled-back
transactions, duplicates, unknown ids, ties in `created_at` and paging."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import replace
from uuid import UUID, uuid4

from ilpnode.services.peering import (
    PageRequest,
    Peer,
    PeeringStore,
    PeeringTransaction,
    SortOrder,
)
from ilpnode.storage.database import Database
from ilpnode.storage.peering_repository import SqlPeeringStore
from tests.integration.storage.builders import asset, at, digests, peer
from tests.unit.services.peering.fakes import FakeStore

STEPS = 150
SEEDS = (11, 12, 13)
CODES = ("USD", "EUR", "XRP", "GBP", "JPY")
SCALES = (2, 9)
ADDRESSES = ("test.a", "test.b", "test.c", "g.d")
TOKENS = digests("t1", "t2", "t3", "t4", "t5")
ROLLBACK_PERCENT = 10
KINDS = 9

Action = Callable[[PeeringTransaction], Awaitable[object]]


class Rollback(Exception):
    pass


class Scenario:
    """Draws random operations, mostly on rows that exist (it looks at the reference store)."""

    def __init__(self, seed: int, reference: FakeStore) -> None:
        self.rng = random.Random(seed)
        self.reference = reference

    @property
    def asset_ids(self) -> list[UUID]:
        return list(self.reference.state.assets)

    @property
    def peer_ids(self) -> list[UUID]:
        return list(self.reference.state.peers)

    def some(self, ids: list[UUID]) -> UUID:
        """A known id most of the time, sometimes an unknown one."""
        if ids and self.rng.random() < 0.85:
            return self.rng.choice(ids)
        return uuid4()

    def tokens(self) -> list[str]:
        return self.rng.sample(TOKENS, self.rng.randint(0, 2))

    def page(self) -> PageRequest:
        cursor = self.rng.choice([None, self.some(self.asset_ids + self.peer_ids)])
        return PageRequest(
            cursor=cursor,
            backward=self.rng.random() < 0.5,
            limit=self.rng.randint(1, 4),
            sort_order=self.rng.choice(list(SortOrder)),
        )

    def action(self) -> tuple[str, Action]:
        rng = self.rng
        kind = rng.choice(
            [
                "insert_asset",
                "insert_asset",
                "toggle_asset",
                "asset_lookups",
                "asset_page",
                "insert_peer",
                "insert_peer",
                "update_peer",
                "delete_peer",
                "peer_reads",
                "peer_page",
            ]
        )
        created = at(rng.choice([0, 1, 2, 1_000]))
        if kind == "insert_asset":
            value = asset(
                rng.choice(CODES),
                rng.choice(SCALES),
                created_at=created,
                withdrawal_threshold=rng.choice([None, 0, 2**64 - 1]),
            )
            return kind, lambda tx: tx.insert_asset(value)
        if kind == "toggle_asset":
            asset_id = self.some(self.asset_ids)

            async def toggle(tx: PeeringTransaction) -> object:
                found = await tx.asset_by_id(asset_id, include_deleted=True)
                if found is None:
                    return None
                deleted = None if found.deleted_at else created
                changed = replace(found, deleted_at=deleted, updated_at=created)
                await tx.update_asset(changed)
                return changed

            return kind, toggle
        if kind == "asset_lookups":
            asset_id, code, scale = self.some(self.asset_ids), rng.choice(CODES), rng.choice(SCALES)
            include = rng.random() < 0.5

            async def lookups(tx: PeeringTransaction) -> object:
                return (
                    await tx.asset_by_id(asset_id, include_deleted=include),
                    await tx.asset_by_code_and_scale(code, scale, include_deleted=include),
                    await tx.asset_in_use(asset_id),
                )

            return kind, lookups
        if kind == "asset_page":
            request = self.page()
            return kind, lambda tx: tx.asset_page(request)
        if kind == "insert_peer":
            new = peer(self.some(self.asset_ids), rng.choice(ADDRESSES), created_at=created)
            hashes = self.tokens()
            return kind, lambda tx: tx.insert_peer(new, hashes)
        if kind == "update_peer":
            peer_id, address = self.some(self.peer_ids), rng.choice(ADDRESSES)
            new_hashes = rng.choice([None, self.tokens()])
            routes = rng.choice([(), ("test.x",)])
            name = rng.choice([None, "n"])

            async def update(tx: PeeringTransaction) -> object:
                old = await tx.peer_by_id(peer_id) or peer(uuid4(), id=peer_id)
                new = replace(
                    old,
                    static_ilp_address=address,
                    routes=(address, *routes),
                    name=name,
                    updated_at=created,
                )
                return await tx.update_peer(new, new_hashes)

            return kind, update
        if kind == "delete_peer":
            peer_id = self.some(self.peer_ids)
            return kind, lambda tx: tx.delete_peer(peer_id)
        if kind == "peer_reads":
            peer_id = self.some(self.peer_ids)

            async def reads(tx: PeeringTransaction) -> object:
                everyone = sorted(await tx.all_peers(), key=lambda p: (p[0].created_at, p[0].id))
                return await tx.peer_by_id(peer_id), await tx.token_hashes(peer_id), everyone

            return kind, reads
        request = self.page()
        return kind, lambda tx: tx.peer_page(request)


async def _run(store: PeeringStore, action: Action, *, roll_back: bool) -> object:
    try:
        async with store.transaction() as tx:
            result = await action(tx)
            if roll_back:
                raise Rollback
    except Rollback:
        pass
    return result


async def test_random_operations_answer_as_the_reference_store(database: Database) -> None:
    for seed in SEEDS:
        async with database.engine.begin() as connection:
            for table in ("peer_incoming_tokens", "peers", "assets"):
                await connection.exec_driver_sql(f"DELETE FROM {table}")
        sql, reference = SqlPeeringStore(database), FakeStore()
        scenario = Scenario(seed, reference)
        kinds: set[str] = set()
        for step in range(STEPS):
            kind, action = scenario.action()
            roll_back = scenario.rng.randrange(100) < ROLLBACK_PERCENT
            expected = await _run(reference, action, roll_back=roll_back)
            got = await _run(sql, action, roll_back=roll_back)
            assert got == expected, (seed, step, kind)
            kinds.add(kind)
        assert len(kinds) == KINDS  # every kind of operation ran
        final: list[tuple[Peer, list[str]]]
        async with sql.transaction() as tx:
            final = await tx.all_peers()
        assert final, "the scenario should leave some peers"
