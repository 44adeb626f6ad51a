"""The `Ledger` contract: every backend in `conftest.BACKENDS` must pass every test here.

The statuses and their precedence are the pure engine's (its unit tests cover them in depth);
these tests check that each durable backend gives the same answers through the port, keeps them
across a reopen, and stays exact under concurrency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ilpnode.ledger import (
    Account,
    AccountFlags,
    AccountId,
    CreateAccountResult,
    CreateAccountStatus,
    CreateTransferResult,
    CreateTransferStatus,
    TransferFlags,
    TransferId,
)
from tests.integration.ledger import (
    LEDGER,
    OTHER,
    PEER,
    SETTLEMENT,
    available,
    balance_problems,
    chart,
    deposit,
    one,
    open_chart,
)
from tests.integration.ledger.conftest import LedgerUnderTest
from tests.unit.ledger.builders import pending, post, transfer, void

S = CreateTransferStatus
ALL = [SETTLEMENT, PEER, OTHER]


def statuses(results: Sequence[CreateAccountResult] | Sequence[CreateTransferResult]) -> list[str]:
    return [result.status.name for result in results]


async def test_create_accounts_and_look_them_up(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    results = await ledger.create_accounts(chart())
    assert statuses(results) == ["CREATED"] * 3
    stamps = [r.timestamp for r in results]
    assert all(stamp is not None for stamp in stamps)

    found = await ledger.lookup_accounts(ALL)
    assert [a.id for a in found] == ALL
    assert [a.timestamp for a in found] == stamps
    assert found[1].flags == AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    assert (found[2].code, found[2].user_data_32, found[2].ledger) == (3, 7, LEDGER)
    assert all(
        (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted) == (0, 0, 0, 0)
        for a in found
    )


async def test_create_accounts_is_idempotent_and_validated(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    first = await ledger.create_accounts(chart())
    again = await ledger.create_accounts(chart())
    assert statuses(again) == ["EXISTS"] * 3
    assert [r.timestamp for r in again] == [r.timestamp for r in first]

    different = Account(id=OTHER, ledger=LEDGER, code=4, user_data_32=7)
    no_ledger = Account(id=AccountId(9), ledger=0, code=3)
    linked = Account(id=AccountId(10), ledger=LEDGER, code=3, flags=AccountFlags.LINKED)
    results = await ledger.create_accounts([different, no_ledger, linked, no_ledger])
    assert [r.status for r in results] == [
        CreateAccountStatus.EXISTS_WITH_DIFFERENT_CODE,
        CreateAccountStatus.LEDGER_MUST_NOT_BE_ZERO,
        CreateAccountStatus.LINKED_EVENT_FAILED,
        CreateAccountStatus.LEDGER_MUST_NOT_BE_ZERO,
    ]
    assert await ledger.lookup_accounts([AccountId(9), AccountId(10)]) == []


async def test_deposit_moves_money_from_settlement_to_peer(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    await open_chart(ledger)
    [result] = await ledger.create_transfers([deposit(1, 250)])
    assert result.status is S.CREATED
    assert result.timestamp is not None

    settlement, peer = await ledger.lookup_accounts([SETTLEMENT, PEER])
    assert (settlement.debits_posted, peer.credits_posted) == (250, 250)
    assert available(peer) == 250
    [stored] = await ledger.lookup_transfers([TransferId(1)])
    assert (stored.amount, stored.timestamp, stored.pending_id) == (250, result.timestamp, 0)


async def test_common_failures_get_their_status_and_change_nothing(
    subject: LedgerUnderTest,
) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    results = await ledger.create_transfers(
        [
            transfer(10, 99, OTHER, 5),
            transfer(11, PEER, 98, 5),
            transfer(12, PEER, PEER, 5),
            transfer(13, PEER, OTHER, 0),
            transfer(14, PEER, OTHER, 5, ledger=2),
            transfer(0, PEER, OTHER, 5),
        ]
    )
    assert [r.status for r in results] == [
        S.DEBIT_ACCOUNT_NOT_FOUND,
        S.CREDIT_ACCOUNT_NOT_FOUND,
        S.ACCOUNTS_MUST_BE_DIFFERENT,
        S.AMOUNT_MUST_NOT_BE_ZERO,
        S.TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS,
        S.ID_MUST_NOT_BE_ZERO,
    ]
    assert all(r.timestamp is None for r in results)
    assert available(await one(ledger, PEER)) == 100
    assert await ledger.lookup_transfers([TransferId(i) for i in range(10, 15)]) == []


async def test_exceeds_credits_exactly_at_the_boundary(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    over = await ledger.create_transfers([transfer(10, PEER, OTHER, 101)])
    exact = await ledger.create_transfers([transfer(11, PEER, OTHER, 100)])
    one_more = await ledger.create_transfers([transfer(12, PEER, OTHER, 1)])
    assert statuses(over + exact + one_more) == ["EXCEEDS_CREDITS", "CREATED", "EXCEEDS_CREDITS"]
    peer = await one(ledger, PEER)
    assert (available(peer), peer.debits_posted) == (0, 100)
    # The settlement account's mirror flag: it cannot be credited beyond what it has paid out.
    [refund] = await ledger.create_transfers([transfer(13, OTHER, SETTLEMENT, 101)])
    assert refund.status is S.EXCEEDS_DEBITS


async def test_same_id_is_idempotent(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    [created] = await ledger.create_transfers([transfer(10, PEER, OTHER, 60)])
    [again] = await ledger.create_transfers([transfer(10, PEER, OTHER, 60)])
    [different] = await ledger.create_transfers([transfer(10, PEER, OTHER, 61)])
    assert (created.status, again.status) == (S.CREATED, S.EXISTS)
    assert again.timestamp == created.timestamp
    assert different.status is S.EXISTS_WITH_DIFFERENT_AMOUNT

    # Spend the rest: the retry still answers EXISTS (balances do not influence it).
    [rest] = await ledger.create_transfers([transfer(11, PEER, OTHER, 40)])
    [retry] = await ledger.create_transfers([transfer(10, PEER, OTHER, 60)])
    assert (rest.status, retry.status) == (S.CREATED, S.EXISTS)
    assert (await one(ledger, PEER)).debits_posted == 100


async def test_pending_reserves_and_post_moves_the_full_amount(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    [reserved] = await ledger.create_transfers([pending(10, PEER, OTHER, 80)])
    assert reserved.status is S.CREATED
    peer = await one(ledger, PEER)
    assert (peer.debits_pending, available(peer)) == (80, 20)
    [refused] = await ledger.create_transfers([transfer(11, PEER, OTHER, 21)])
    assert refused.status is S.EXCEEDS_CREDITS

    [posted] = await ledger.create_transfers([post(12, 10)])
    assert posted.status is S.CREATED
    peer, other = await ledger.lookup_accounts([PEER, OTHER])
    assert (peer.debits_pending, peer.debits_posted, available(peer)) == (0, 80, 20)
    assert (other.credits_pending, other.credits_posted) == (0, 80)
    [record] = await ledger.lookup_transfers([TransferId(12)])
    assert (record.debit_account_id, record.credit_account_id, record.amount) == (PEER, OTHER, 80)
    assert (record.pending_id, record.ledger, record.code) == (10, LEDGER, 1)
    assert reserved.timestamp is not None
    assert record.timestamp > reserved.timestamp


async def test_partial_post_releases_the_rest(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    await ledger.create_transfers([pending(10, PEER, OTHER, 80)])
    [posted] = await ledger.create_transfers([post(11, 10, amount=30)])
    [too_much] = await ledger.create_transfers([post(12, 10, amount=81)])
    assert (posted.status, too_much.status) == (S.CREATED, S.EXCEEDS_PENDING_TRANSFER_AMOUNT)
    peer = await one(ledger, PEER)
    assert (peer.debits_pending, peer.debits_posted, available(peer)) == (0, 30, 70)


async def test_void_releases_the_reservation(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    await ledger.create_transfers([pending(10, PEER, OTHER, 80)])
    [voided] = await ledger.create_transfers([void(11, 10)])
    assert voided.status is S.CREATED
    peer, other = await ledger.lookup_accounts([PEER, OTHER])
    assert (peer.debits_pending, peer.debits_posted, available(peer)) == (0, 0, 100)
    assert (other.credits_pending, other.credits_posted) == (0, 0)


async def test_a_pending_transfer_is_resolved_once(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    await ledger.create_transfers([pending(10, PEER, OTHER, 10), pending(20, PEER, OTHER, 10)])
    first = await ledger.create_transfers([post(11, 10), void(21, 20)])
    assert statuses(first) == ["CREATED", "CREATED"]
    later = await ledger.create_transfers(
        [post(12, 10), void(13, 10), post(22, 20), void(23, 20), post(11, 10), post(30, 99)]
    )
    assert [r.status for r in later] == [
        S.PENDING_TRANSFER_ALREADY_POSTED,
        S.PENDING_TRANSFER_ALREADY_POSTED,
        S.PENDING_TRANSFER_ALREADY_VOIDED,
        S.PENDING_TRANSFER_ALREADY_VOIDED,
        S.EXISTS,
        S.PENDING_TRANSFER_NOT_FOUND,
    ]
    peer = await one(ledger, PEER)
    assert (peer.debits_pending, peer.debits_posted) == (0, 10)


async def test_pending_and_its_post_in_one_batch(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    results = await ledger.create_transfers([pending(10, PEER, OTHER, 40), post(11, 10, 25)])
    assert statuses(results) == ["CREATED", "CREATED"]
    peer = await one(ledger, PEER)
    assert (peer.debits_pending, peer.debits_posted) == (0, 25)


async def test_expired_pending_transfer_cannot_be_posted_and_is_released(
    subject: LedgerUnderTest,
) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    await ledger.create_transfers([pending(10, PEER, OTHER, 70, timeout=5)])
    await ledger.create_transfers([pending(20, PEER, OTHER, 10, timeout=5)])
    subject.clock.advance(4)
    [posted] = await ledger.create_transfers([post(21, 20)])
    assert posted.status is S.CREATED

    subject.clock.advance(2)  # past pending 10's deadline, swept or not yet
    late = await ledger.create_transfers([post(11, 10), void(12, 10)])
    assert statuses(late) == ["PENDING_TRANSFER_EXPIRED"] * 2

    assert await ledger.expire_due() <= 1  # the background sweeper may have been first
    assert await ledger.expire_due() == 0
    peer, other = await ledger.lookup_accounts([PEER, OTHER])
    assert (peer.debits_pending, peer.debits_posted, available(peer)) == (0, 10, 90)
    assert other.credits_pending == 0
    [again] = await ledger.create_transfers([post(13, 10)])
    assert again.status is S.PENDING_TRANSFER_EXPIRED
    assert balance_problems(await ledger.lookup_accounts(ALL)) == []


async def test_linked_chain_is_all_or_nothing(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    linked = TransferFlags.LINKED
    failed = await ledger.create_transfers(
        [
            transfer(10, PEER, OTHER, 50, flags=linked),
            transfer(11, PEER, OTHER, 60),  # 50 + 60 > 100: breaks the chain
            transfer(12, PEER, OTHER, 5),  # not in the chain
        ]
    )
    assert statuses(failed) == ["LINKED_EVENT_FAILED", "EXCEEDS_CREDITS", "CREATED"]
    assert [t.id for t in await ledger.lookup_transfers([TransferId(10), TransferId(12)])] == [12]
    assert (await one(ledger, PEER)).debits_posted == 5

    chained = await ledger.create_transfers(
        [
            transfer(20, PEER, OTHER, 30, flags=TransferFlags.PENDING | linked),
            post(21, 20),
        ]
    )
    assert statuses(chained) == ["CREATED", "CREATED"]
    [open_chain] = await ledger.create_transfers([transfer(30, PEER, OTHER, 1, flags=linked)])
    assert open_chain.status is S.LINKED_EVENT_CHAIN_OPEN


async def test_lookups_keep_the_order_asked_and_omit_unknown_ids(
    subject: LedgerUnderTest,
) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    await ledger.create_transfers([transfer(10, PEER, OTHER, 1), transfer(11, PEER, OTHER, 2)])

    accounts = await ledger.lookup_accounts([OTHER, AccountId(99), SETTLEMENT, OTHER])
    assert [a.id for a in accounts] == [OTHER, SETTLEMENT, OTHER]
    transfers = await ledger.lookup_transfers([TransferId(11), TransferId(98), TransferId(10)])
    assert [(t.id, t.amount) for t in transfers] == [(11, 2), (10, 1)]
    assert await ledger.lookup_accounts([]) == []
    assert await ledger.lookup_transfers([TransferId(0)]) == []


async def test_everything_survives_a_reopen(subject: LedgerUnderTest) -> None:
    await open_chart(subject.ledger, credit_line=100)
    await subject.ledger.create_transfers(
        [
            transfer(10, PEER, OTHER, 15),
            pending(11, PEER, OTHER, 20, timeout=60),
            pending(12, PEER, OTHER, 30),
            pending(13, PEER, OTHER, 5, timeout=5),
        ]
    )
    await subject.ledger.create_transfers([void(14, 12)])
    accounts_before = await subject.ledger.lookup_accounts(ALL)
    ids = [TransferId(i) for i in range(1, 15)]
    transfers_before = await subject.ledger.lookup_transfers(ids)

    await subject.reopen()
    ledger = subject.ledger
    assert await ledger.lookup_accounts(ALL) == accounts_before
    assert await ledger.lookup_transfers(ids) == transfers_before

    # Pending states survived: 11 can still be posted, 12 stays voided, ids stay taken.
    results = await ledger.create_transfers(
        [post(15, 11), post(16, 12), transfer(10, PEER, OTHER, 15)]
    )
    assert statuses(results) == ["CREATED", "PENDING_TRANSFER_ALREADY_VOIDED", "EXISTS"]

    # Pending 13 falls due while the ledger is closed: released once it is open again.
    await subject.stop()
    subject.clock.advance(10)
    await subject.start()
    await subject.ledger.expire_due()
    peer = await one(subject.ledger, PEER)
    assert (peer.debits_pending, peer.debits_posted) == (0, 35)
    assert balance_problems(await subject.ledger.lookup_accounts(ALL)) == []


async def test_concurrent_transfers_never_overspend(subject: LedgerUnderTest) -> None:
    """Rafiki fulfilled 53-57 of 200 packets against a credit line of 50 (spec §14)."""
    ledger = subject.ledger
    await open_chart(ledger, credit_line=50)
    lowest = [available(await one(ledger, PEER))]
    done = asyncio.Event()

    async def watch() -> None:
        while not done.is_set():
            lowest.append(available(await one(ledger, PEER)))
            await asyncio.sleep(0)

    watcher = asyncio.create_task(watch())
    try:
        results = await asyncio.gather(
            *(ledger.create_transfers([transfer(1000 + i, PEER, OTHER, 1)]) for i in range(200))
        )
    finally:
        done.set()
        await watcher
    counted = [result.status.name for [result] in results]
    assert counted.count("CREATED") == 50
    assert counted.count("EXCEEDS_CREDITS") == 150
    peer = await one(ledger, PEER)
    assert (available(peer), peer.debits_posted) == (0, 50)
    assert min(lowest) >= 0
    assert balance_problems(await ledger.lookup_accounts(ALL)) == []


async def test_concurrent_post_and_void_one_wins(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    await ledger.create_transfers([pending(10, PEER, OTHER, 40)])
    results = await asyncio.gather(
        ledger.create_transfers([post(11, 10)]), ledger.create_transfers([void(12, 10)])
    )
    outcome = sorted(result.status.name for [result] in results)
    assert outcome in (
        ["CREATED", "PENDING_TRANSFER_ALREADY_POSTED"],
        ["CREATED", "PENDING_TRANSFER_ALREADY_VOIDED"],
    )
    peer = await one(ledger, PEER)
    assert peer.debits_pending == 0
    assert peer.debits_posted in (0, 40)
    assert balance_problems(await ledger.lookup_accounts(ALL)) == []


async def test_concurrent_resubmissions_create_once(subject: LedgerUnderTest) -> None:
    ledger = subject.ledger
    await open_chart(ledger, credit_line=100)
    results = await asyncio.gather(
        *(ledger.create_transfers([transfer(10, PEER, OTHER, 7)]) for _ in range(20))
    )
    outcome = [result.status for [result] in results]
    assert outcome.count(S.CREATED) == 1
    assert outcome.count(S.EXISTS) == 19
    assert len({result.timestamp for [result] in results}) == 1
    assert (await one(ledger, PEER)).debits_posted == 7
