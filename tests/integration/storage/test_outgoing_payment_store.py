"""The outgoing payment repository on SQLite and PostgreSQL: rows round-trip exactly (u64
amounts included), only the owner writes a running payment, a payment is claimed only once its
lease ran out and by one claimer, and the lists page by wallet address."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from ilpnode.services.outgoing_payments import OutgoingPayment, OutgoingPaymentState, SendingFee
from ilpnode.services.payments import CreateWalletAddress, WalletAddress
from ilpnode.services.peering import Asset, CreateAsset, PageRequest, SortOrder
from ilpnode.storage.database import Database
from ilpnode.storage.outgoing_payment_repository import SqlOutgoingPaymentStore

from .test_wallet_address_store import services

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
U64 = 2**64 - 1


async def source(database: Database, code: str = "USD") -> WalletAddress:
    assets, wallet_addresses = services(database)
    asset = await assets.create(CreateAsset(code=code, scale=2))
    assert isinstance(asset, Asset), asset
    created = await wallet_addresses.create(
        CreateWalletAddress(asset_id=asset.id, address=f"{code.lower()}-wallet")
    )
    assert isinstance(created, WalletAddress)
    return created


def payment(wallet: WalletAddress, *, at: datetime = NOW, **changes: object) -> OutgoingPayment:
    made = OutgoingPayment(
        id=uuid4(),
        wallet_address_id=wallet.id,
        asset_id=wallet.asset_id,
        asset_code="USD",
        asset_scale=2,
        ledger=1,
        receiver="$wallet.example/bob",
        state=OutgoingPaymentState.FUNDING,
        created_at=at,
        updated_at=at,
        requested_debit=U64,
        fee_rate=SendingFee(fixed=U64, basis_points=10_000),
        send_target=U64 - 1,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


async def test_a_payment_round_trips_exactly_and_only_its_owner_writes_it(
    database: Database,
) -> None:
    store = SqlOutgoingPaymentStore(database)
    wallet = await source(database)
    new = payment(wallet)
    assert await store.insert(new, owner="p1", lease_until=NOW + timedelta(seconds=30))
    assert await store.insert(new, owner="p2", lease_until=NOW) is False  # the id is taken
    assert await store.get(new.id) == new
    progressed = replace(
        new,
        state=OutgoingPaymentState.SENDING,
        destination_account="test.b.abc",
        max_debit=U64,
        sent=U64 - 1,
        delivered=U64,
        packets=2**31,
        receive_asset_code="EUR",
        receive_asset_scale=9,
        estimated_receive=U64,
        updated_at=NOW + timedelta(seconds=1),
    )
    assert await store.write(progressed, owner="p2", lease_until=None) is False
    assert await store.get(new.id) == new
    assert await store.write(progressed, owner="p1", lease_until=NOW + timedelta(seconds=31))
    assert await store.get(new.id) == progressed
    over = replace(progressed, state=OutgoingPaymentState.FAILED, error="why", fee=U64)
    assert await store.write(over, owner="p1", lease_until=None)
    assert await store.get(new.id) == over
    assert await store.get(uuid4()) is None


async def test_a_payment_is_claimed_once_its_lease_ran_out_and_by_one_claimer(
    database: Database,
) -> None:
    store = SqlOutgoingPaymentStore(database)
    wallet = await source(database)
    running = payment(wallet, state=OutgoingPaymentState.SENDING)
    finished = payment(wallet, state=OutgoingPaymentState.COMPLETED)
    await store.insert(running, owner="dead", lease_until=NOW + timedelta(seconds=30))
    await store.insert(finished, owner="dead", lease_until=NOW - timedelta(seconds=30))
    later = NOW + timedelta(seconds=10)
    assert (
        await store.claim_stale(owner="p1", now=later, lease_until=later, every_unfinished=False)
        == []
    )
    expired = NOW + timedelta(seconds=31)
    claims = await asyncio.gather(
        *(
            store.claim_stale(
                owner=name, now=expired, lease_until=expired + timedelta(seconds=30),
                every_unfinished=False,
            )
            for name in ("p1", "p2", "p3")
        )
    )  # fmt: skip
    assert sorted(len(claim) for claim in claims) == [0, 0, 1]
    [winner] = [name for name, claim in zip(("p1", "p2", "p3"), claims, strict=True) if claim]
    assert await store.write(running, owner="dead", lease_until=None) is False
    assert await store.write(running, owner=winner, lease_until=None)
    alone = await store.claim_stale(
        owner="p4", now=NOW, lease_until=NOW, every_unfinished=True
    )  # a node alone on its database: every unfinished one, whatever its lease
    assert [p.id for p in alone] == [running.id]


async def test_pages_of_every_payment_and_of_one_wallet_address(database: Database) -> None:
    store = SqlOutgoingPaymentStore(database)
    alice, bob = await source(database), await source(database, "EUR")
    made = []
    for index, wallet in enumerate([alice, bob, alice]):
        created = payment(wallet, at=NOW + timedelta(seconds=index))
        await store.insert(created, owner="p1", lease_until=NOW)
        made.append(created)
    request = PageRequest(cursor=None, backward=False, limit=10, sort_order=SortOrder.DESC)
    everything = await store.page(request)
    assert [p.id for p in everything.items] == [p.id for p in reversed(made)]
    alices = await store.page(request, wallet_address_id=alice.id)
    assert [p.id for p in alices.items] == [made[2].id, made[0].id]
    first = await store.page(replace(request, limit=1), wallet_address_id=alice.id)
    assert ([p.id for p in first.items], first.has_next_page) == ([made[2].id], True)
