"""A hypothesis state machine over the ledger (STYLE rule 23).

Random sequences of: accounts (with and without limit flags, on two ledgers), deposits, pending
transfers, full and partial posts, voids, time passing with the expiry sweep, linked pairs (that
succeed, post inside the chain, or are broken on purpose), resubmissions of accepted batches, and
restarts from the journal. An independent model predicts the status of each single event and the
balances; after every step the ledger must satisfy TigerBeetle's invariants, agree with the model,
and equal a replay of its journal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from ilpnode.ledger import (
    AMOUNT_MAX,
    AccountFlags,
    AccountId,
    CreateTransferStatus,
    JournalEntry,
    LedgerEngine,
    Transfer,
    TransferFlags,
    TransferId,
    TransferPendingStatus,
    check_invariants,
)

from .builders import SECOND, T0, account, linked, pending, post, transfer, void

S = CreateTransferStatus
P = TransferPendingStatus
DEBITS = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
CREDITS = AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS

small = st.integers(1, 60)
amounts = small | small | small | st.sampled_from([2**63, AMOUNT_MAX])  # huge ones overflow


@dataclass
class ModelPending:
    debit: AccountId
    credit: AccountId
    amount: int
    expires_at: int | None
    state: TransferPendingStatus = P.PENDING


class LedgerMachine(RuleBasedStateMachine):
    accounts = Bundle("accounts")
    pendings = Bundle("pendings")

    def __init__(self) -> None:
        super().__init__()
        self.engine = LedgerEngine()
        self.journal: list[JournalEntry] = []
        self.now = T0
        self.last_id = 0
        self.flags: dict[AccountId, AccountFlags] = {}
        self.ledgers: dict[AccountId, int] = {}
        self.balances: dict[AccountId, list[int]] = {}  # dp, dP, cp, cP
        self.pending: dict[TransferId, ModelPending] = {}
        self.accepted: list[list[Transfer]] = []

    # -- helpers ----------------------------------------------------------------------------

    def fresh_id(self) -> int:
        self.last_id += 1
        return self.last_id

    def submit(self, batch: list[Transfer]) -> list[CreateTransferStatus]:
        results = self.engine.create_transfers(batch, now=self.now)
        self.journal.extend(self.engine.drain_journal())
        found = [r.status for r in results]
        for status in found:
            event(f"status {status.name}")
        if all(s is S.CREATED for s in found):
            self.accepted.append(batch)
        for t, result in zip(batch, results, strict=True):
            if result.status is S.CREATED:
                assert result.timestamp is not None
                self.apply(t, result.timestamp)
        return found

    def apply(self, t: Transfer, timestamp: int) -> None:
        """Apply an accepted transfer to the model."""
        if t.pending_id:
            p = self.pending[t.pending_id]
            assert p.state is P.PENDING
            self.balances[p.debit][0] -= p.amount
            self.balances[p.credit][2] -= p.amount
            if t.flags & TransferFlags.POST_PENDING_TRANSFER:
                self.balances[p.debit][1] += t.amount or p.amount
                self.balances[p.credit][3] += t.amount or p.amount
                p.state = P.POSTED
            else:
                p.state = P.VOIDED
        elif t.flags & TransferFlags.PENDING:
            self.balances[t.debit_account_id][0] += t.amount
            self.balances[t.credit_account_id][2] += t.amount
            expires_at = timestamp + t.timeout * SECOND if t.timeout else None
            self.pending[t.id] = ModelPending(
                t.debit_account_id, t.credit_account_id, t.amount, expires_at
            )
        else:
            self.balances[t.debit_account_id][1] += t.amount
            self.balances[t.credit_account_id][3] += t.amount

    def expect_new(self, t: Transfer) -> CreateTransferStatus:
        """The status the model predicts for a plain or pending transfer with valid fields."""
        dr, cr, amount = t.debit_account_id, t.credit_account_id, t.amount
        if dr == cr:
            return S.ACCOUNTS_MUST_BE_DIFFERENT
        if self.ledgers[dr] != self.ledgers[cr]:
            return S.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER
        dp, d_posted, _, d_credits = self.balances[dr]
        _, c_debits, cp, c_posted = self.balances[cr]
        if t.flags & TransferFlags.PENDING and dp + amount > AMOUNT_MAX:
            return S.OVERFLOWS_DEBITS_PENDING
        if t.flags & TransferFlags.PENDING and cp + amount > AMOUNT_MAX:
            return S.OVERFLOWS_CREDITS_PENDING
        if d_posted + amount > AMOUNT_MAX:
            return S.OVERFLOWS_DEBITS_POSTED
        if c_posted + amount > AMOUNT_MAX:
            return S.OVERFLOWS_CREDITS_POSTED
        if dp + d_posted + amount > AMOUNT_MAX:
            return S.OVERFLOWS_DEBITS
        if cp + c_posted + amount > AMOUNT_MAX:
            return S.OVERFLOWS_CREDITS
        if self.flags[dr] & DEBITS and dp + d_posted + amount > d_credits:
            return S.EXCEEDS_CREDITS
        if self.flags[cr] & CREDITS and cp + c_posted + amount > c_debits:
            return S.EXCEEDS_DEBITS
        return S.CREATED

    def expect_resolution(self, t: Transfer) -> CreateTransferStatus:
        p = self.pending[t.pending_id]
        if (t.amount or p.amount) > p.amount:
            return S.EXCEEDS_PENDING_TRANSFER_AMOUNT
        if p.state is not P.PENDING:
            return {
                P.POSTED: S.PENDING_TRANSFER_ALREADY_POSTED,
                P.VOIDED: S.PENDING_TRANSFER_ALREADY_VOIDED,
                P.EXPIRED: S.PENDING_TRANSFER_EXPIRED,
            }[p.state]
        ledger_time = max(self.now, self.engine.last_timestamp + 1)
        if p.expires_at is not None and p.expires_at <= ledger_time:
            return S.PENDING_TRANSFER_EXPIRED
        return S.CREATED

    def other_than(self, debit: AccountId, credit: AccountId) -> AccountId:
        """`credit`, or if it is `debit`, the next account (same accounts: see `linked_pair`)."""
        if credit != debit:
            return credit
        ids = list(self.ledgers)
        return ids[(ids.index(credit) + 1) % len(ids)]

    def new_transfer(self, debit: AccountId, credit: AccountId, amount: int) -> Transfer:
        return transfer(self.fresh_id(), debit, credit, amount, ledger=self.ledgers[debit])

    # -- rules ------------------------------------------------------------------------------

    @initialize(target=accounts)
    def chart_of_accounts(self) -> object:
        return multiple(*self.chart())

    @initialize(target=pendings)
    def first_reservation(self) -> TransferId:
        plain, _, debit_limited, _ = self.chart()
        t = pending(self.fresh_id(), plain, debit_limited, 10, timeout=2)
        assert self.submit([t]) == [S.CREATED]
        return t.id

    def chart(self) -> list[AccountId]:
        """Two plain accounts, a funded debit-limited one and a credit-limited one (once)."""
        chart = [AccountId(i) for i in (1, 2, 3, 4)]
        if self.flags:
            return chart
        plain, _, debit_limited, credit_limited = chart
        self.last_id = 4
        for id_, flags in zip(
            chart, [AccountFlags.NONE, AccountFlags.NONE, DEBITS, CREDITS], strict=True
        ):
            self.create_account(flags, 1, id_)
        funding = [
            self.new_transfer(plain, debit_limited, 1_000),
            self.new_transfer(credit_limited, plain, 1_000),
        ]
        assert self.submit(funding) == [S.CREATED, S.CREATED]
        return chart

    @rule(
        target=accounts,
        flags=st.sampled_from([AccountFlags.NONE, DEBITS, CREDITS]),
        ledger=st.sampled_from([1, 1, 1, 1, 2]),
    )
    def new_account(self, flags: AccountFlags, ledger: int) -> AccountId:
        return self.create_account(flags, ledger, AccountId(self.fresh_id()))

    def create_account(self, flags: AccountFlags, ledger: int, id_: AccountId) -> AccountId:
        [result] = self.engine.create_accounts(
            [account(id_, flags=flags, ledger=ledger)], now=self.now
        )
        assert result.ok
        self.journal.extend(self.engine.drain_journal())
        self.flags[id_], self.ledgers[id_], self.balances[id_] = flags, ledger, [0, 0, 0, 0]
        return id_

    @rule(debit=accounts, credit=accounts, amount=amounts)
    def deposit(self, debit: AccountId, credit: AccountId, amount: int) -> None:
        t = self.new_transfer(debit, self.other_than(debit, credit), amount)
        expected = self.expect_new(t)
        assert self.submit([t]) == [expected]

    @rule(
        target=pendings,
        debit=accounts,
        credit=accounts,
        amount=amounts,
        timeout=st.integers(0, 3),
    )
    def reserve(self, debit: AccountId, credit: AccountId, amount: int, timeout: int) -> object:
        t = pending(self.fresh_id(), debit, self.other_than(debit, credit), amount, timeout=timeout)
        t = replace(t, ledger=self.ledgers[debit])
        expected = self.expect_new(t)
        assert self.submit([t]) == [expected]
        return t.id if expected is S.CREATED else multiple()

    @rule(pending_id=pendings, amount=st.one_of(st.just(0), st.integers(1, 70)))
    def settle(self, pending_id: TransferId, amount: int) -> None:
        t = post(self.fresh_id(), pending_id, amount)
        expected = self.expect_resolution(t)
        assert self.submit([t]) == [expected]

    @rule(target=pendings, debit=accounts, credit=accounts, amount=amounts, late=st.booleans())
    def settle_late(self, debit: AccountId, credit: AccountId, amount: int, late: bool) -> object:
        """Reserve for 1 s, let the deadline pass, then post (or void) it: always too late."""
        reservation = pending(
            self.fresh_id(), debit, self.other_than(debit, credit), amount, timeout=1
        )
        reservation = replace(reservation, ledger=self.ledgers[debit])
        if self.submit([reservation]) != [S.CREATED]:
            return multiple()
        self.now = max(self.now, self.engine.last_timestamp) + SECOND
        resolution = (post if late else void)(self.fresh_id(), reservation.id, 0)
        assert self.expect_resolution(resolution) is S.PENDING_TRANSFER_EXPIRED
        assert self.submit([resolution]) == [S.PENDING_TRANSFER_EXPIRED]
        return reservation.id

    @rule(pending_id=pendings)
    def cancel(self, pending_id: TransferId) -> None:
        t = void(self.fresh_id(), pending_id)
        expected = self.expect_resolution(t)
        assert self.submit([t]) == [expected]

    @rule(step=st.sampled_from([SECOND, 2 * SECOND, 0, 1, SECOND // 2, 3 * SECOND, -SECOND]))
    def time_passes(self, step: int) -> None:
        self.now = max(0, self.now + step)
        cutoff = max(self.now, self.engine.last_timestamp + 1)
        expired = self.engine.expire_pending(now=self.now)
        self.journal.extend(self.engine.drain_journal())
        for record in expired:
            event("expired by the sweep")
            p = self.pending[record.pending_id]
            assert p.state is P.PENDING
            assert p.expires_at is not None
            assert p.expires_at <= record.timestamp
            self.balances[p.debit][0] -= p.amount
            self.balances[p.credit][2] -= p.amount
            p.state = P.EXPIRED
        for p in self.pending.values():  # nothing due is left behind
            assert p.state is not P.PENDING or p.expires_at is None or p.expires_at > cutoff

    @rule(
        debit=accounts,
        middle=accounts,
        credit=accounts,
        amount=amounts,
        kind=st.sampled_from(["two legs", "reserve and post", "broken"]),
    )
    def linked_pair(
        self, debit: AccountId, middle: AccountId, credit: AccountId, amount: int, kind: str
    ) -> None:
        if kind == "two legs":
            first = self.new_transfer(debit, middle, amount)
            second = self.new_transfer(middle, credit, amount)
        elif kind == "reserve and post":
            first = pending(self.fresh_id(), debit, credit, amount, timeout=2)
            first = replace(first, ledger=self.ledgers[debit])
            second = post(self.fresh_id(), first.id)
        else:
            first = self.new_transfer(debit, credit, amount)
            second = self.new_transfer(middle, middle, amount)  # ACCOUNTS_MUST_BE_DIFFERENT
        first_alone = self.expect_new(first)
        before = self.engine.snapshot()
        found = self.submit([linked(first), second])
        if found != [S.CREATED, S.CREATED]:
            assert self.engine.snapshot() == before, "a failed chain must leave no trace"
            failing = [s for s in found if s is not S.LINKED_EVENT_FAILED]
            assert len(failing) == 1, found
            assert not failing[0].ok
        if kind == "broken" and first_alone is S.CREATED:
            assert found == [S.LINKED_EVENT_FAILED, S.ACCOUNTS_MUST_BE_DIFFERENT]

    @precondition(lambda self: bool(self.accepted))
    @rule(data=st.data())
    def resubmit(self, data: st.DataObject) -> None:
        batch = data.draw(st.sampled_from(self.accepted))
        before = self.engine.snapshot()
        assert self.submit(batch) == [S.EXISTS] * len(batch)
        first = batch[0]
        if len(batch) == 1 and not first.pending_id:
            changed = replace(first, amount=first.amount - 1 if first.amount > 1 else 2)
            assert self.submit([changed]) == [S.EXISTS_WITH_DIFFERENT_AMOUNT]
        assert self.engine.snapshot() == before

    @rule()
    def restart(self) -> None:
        event("restart")
        self.engine = LedgerEngine.replay(self.journal)

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def ledger_is_sound(self) -> None:
        assert check_invariants(self.engine) == []

    @invariant()
    def ledger_agrees_with_the_model(self) -> None:
        actual = {
            a.id: [a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted]
            for a in self.engine.lookup_accounts(list(self.balances))
        }
        assert actual == self.balances
        for pending_id, p in self.pending.items():
            assert self.engine.pending_status(pending_id) is p.state

    @invariant()
    def ledger_equals_the_replay_of_its_journal(self) -> None:
        assert self.engine.drain_journal() == []
        assert LedgerEngine.replay(self.journal).snapshot() == self.engine.snapshot()


LedgerMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)
TestLedgerMachine = LedgerMachine.TestCase
