"""Packet transfers: the ledger side of one forwarded ILP packet (rafiki-peering §6.3).

This is the connector's hot path, called once per Prepare: one `create_transfers` call reserves
the money (all legs pending, linked: all or nothing), and one more posts or voids every leg when
the outcome is known. No lookups: the connector already holds the `PeerAccount`s. Only the post
waits for the disk (one fsync per fulfilled packet, shared by group commit); the reservation and
the void do not, since a restart repairs their loss by itself.

Legs (source = the incoming peer, destination = the outgoing peer, or the hosted wallet address
that receives the packet; every leg code TRANSFER):

- same asset (same ledger): source -> destination for min(src, dst); if dst < src, the excess
  source -> source's asset account; if dst > src, the shortfall destination's asset account ->
  destination. (This is how Rafiki books a fee or a rounding difference.)
- cross asset: source -> source's asset account (source amount, source ledger), and destination's
  asset account -> destination (destination amount, destination ledger).

Every leg but the last carries LINKED; all share one timeout and carry the first leg's id in
`user_data_128`, so the legs of one packet can be found together. Ids are random u128s
(`new_transfer_ids`).

Timeout (DESIGN §3): a Fulfill that arrives before the packet expires must always be accountable,
so the reservation must outlive the packet. `timeout_seconds_for` rounds the time left up to whole
seconds and adds `PACKET_TIMEOUT_MARGIN_SECONDS` (Rafiki's fixed 5 s pending timeout vs its 30 s
packet hold is a bug we do not copy). A reservation is normally resolved at once by post/void;
the timeout only releases it if the connector dies in between.
"""

from __future__ import annotations

import os
import struct
from typing import Final

from ilpnode.accounting.accounts import PacketAccount, TransferCode
from ilpnode.accounting.errors import TransferError, first_failure, transfer_error
from ilpnode.ledger import (
    AMOUNT_MAX,
    NANOSECONDS_PER_SECOND,
    AccountId,
    CreateTransferStatus,
    Ledger,
    TransferFlags,
    TransferId,
    trusted_transfer,
)

__all__ = [
    "PACKET_TIMEOUT_MARGIN_SECONDS",
    "PACKET_TIMEOUT_SECONDS_MAX",
    "PacketAccounting",
    "PacketTransfer",
    "timeout_seconds_for",
]

PACKET_TIMEOUT_MARGIN_SECONDS: Final = 5
"""Added to the packet's remaining lifetime: covers the post's own latency (a durable commit under
load) and clock skew between the connector and a shared ledger (the ledger stamps the transfer
with its own clock)."""

PACKET_TIMEOUT_SECONDS_MAX: Final = 24 * 60 * 60
"""A day. The connector holds a packet for 30 s at most (DESIGN §2); a longer timeout means the
caller forgot to cap the expiry, and would tie up liquidity for that long after a crash."""

_PENDING = TransferFlags.PENDING
_PENDING_LINKED = TransferFlags.PENDING | TransferFlags.LINKED
_POST = TransferFlags.POST_PENDING_TRANSFER
_VOID = TransferFlags.VOID_PENDING_TRANSFER
_CODE = int(TransferCode.TRANSFER)


# OS randomness is fetched this many bytes (ids) at a time. As ids, every 16-byte block keeps
# its bits but the version and variant ones (RFC 9562 §5.4: version 4 in the high nibble of
# byte 6, variant 0b10 in the top bits of byte 8), set through a translation table per byte.
_REFILL: Final = 4096
_VERSION_4: Final = bytes(value & 0x0F | 0x40 for value in range(256))
_VARIANT_10: Final = bytes(value & 0x3F | 0x80 for value in range(256))
_WORDS: Final = struct.Struct(f">{_REFILL // 8}Q")


def new_transfer_ids(count: int) -> list[TransferId]:
    """`count` random transfer ids, each a UUIDv4 as a u128 (as every id the node makes).

    The same 122 random bits from the OS as `uuid4()`, drawn from a buffer (`uuid4()` per id
    was a visible share of the packet path). The version and variant bits
    mean an id is never 0 or 2**128-1, which the ledger reserves.
    """
    return [TransferId(_RANDOM.take16()) for _ in range(count)]


class _RandomPool:
    """UUIDv4s from OS randomness fetched 4 KiB at a time: `os.urandom` per packet was a system
    call that also hands the GIL to the journal thread, twice per packet."""

    __slots__ = ("_next", "_words")

    def __init__(self) -> None:
        self._words: tuple[int, ...] = ()
        self._next = 0

    def take16(self) -> int:
        """The next UUIDv4, as a u128."""
        index = self._next
        if index >= len(self._words):
            self._words, index = _uuid4_words(os.urandom(_REFILL)), 0
        self._next = index + 2
        # Two u64 words per id, unpacked once per refill: cheaper than a slice and
        # `int.from_bytes` per id.
        return self._words[index] << 64 | self._words[index + 1]


def _uuid4_words(random: bytes) -> tuple[int, ...]:
    """`random` (`_REFILL` bytes) as big-endian u64 words, two per UUIDv4 made of its 16-byte
    blocks."""
    blocks = bytearray(random)
    blocks[6::16] = blocks[6::16].translate(_VERSION_4)
    blocks[8::16] = blocks[8::16].translate(_VARIANT_10)
    return _WORDS.unpack(blocks)


_RANDOM = _RandomPool()


def timeout_seconds_for(*, expires_at_ns: int, now_ns: int) -> int:
    """The pending timeout for a packet that expires at `expires_at_ns`.

    Args:
        expires_at_ns: the packet's expiry (the one the connector waits for), ns since the epoch.
        now_ns: the current time, same clock.

    Returns:
        ceil((expires_at_ns - now_ns) / 1 s) + PACKET_TIMEOUT_MARGIN_SECONDS, at least 1 (an
        already expired packet gets the margin alone). Never raises; the result may exceed
        PACKET_TIMEOUT_SECONDS_MAX, which `create_packet_transfer` refuses (InvalidTimeout).
    """
    remaining = expires_at_ns - now_ns
    seconds = -(-remaining // NANOSECONDS_PER_SECOND) if remaining > 0 else 0
    return max(1, seconds + PACKET_TIMEOUT_MARGIN_SECONDS)


class PacketTransfer:
    """The pending legs of one packet; `post()` or `void()` them once the outcome is known.

    Both are all or nothing (one linked batch), and final: the first definitive answer is kept,
    so a second post/void answers AlreadyPosted/AlreadyVoided/TransferExpired without touching
    the ledger, and the ledger itself refuses to resolve a leg twice (concurrent calls).
    """

    __slots__ = ("_final", "_ledger", "destination_amount", "source_amount", "transfer_ids")

    def __init__(
        self,
        *,
        ledger: Ledger,
        transfer_ids: tuple[TransferId, ...],
        source_amount: int,
        destination_amount: int,
    ) -> None:
        self._ledger = ledger
        self._final: TransferError | None = None
        self.transfer_ids = transfer_ids
        """The pending legs' ids, in batch order (the first is the packet's correlation id)."""
        self.source_amount = source_amount
        self.destination_amount = destination_amount

    async def post(self) -> TransferError | None:
        """Post every leg for its full amount.

        Returns:
            None once posted; AlreadyPosted, AlreadyVoided, TransferExpired (the timeout passed:
            the reservation is released, the packet must not be fulfilled upstream). Any other
            error (UnknownError) is a bug: log it. Raises only on infrastructure faults; the
            call may then be retried.
        """
        return await self._resolve(_POST, TransferError.AlreadyPosted)

    async def void(self) -> TransferError | None:
        """Void every leg: the reserved amounts are available again at once.

        Returns:
            None once voided, or the errors of `post`. Raises only on infrastructure faults.
        """
        return await self._resolve(_VOID, TransferError.AlreadyVoided)

    async def _resolve(self, flag: TransferFlags, done: TransferError) -> TransferError | None:
        if self._final is not None:
            return self._final
        ids = self.transfer_ids
        last = len(ids) - 1
        # trusted_transfer: every value is ours and fits its field (new ids, the legs' ids).
        batch = [
            trusted_transfer(
                id=id_,
                pending_id=pending_id,
                flags=flag if index == last else flag | TransferFlags.LINKED,
            )
            for index, (id_, pending_id) in enumerate(
                zip(new_transfer_ids(len(ids)), ids, strict=True)
            )
        ]
        # Only a post must be on disk before its answer is acted on (the Fulfill goes upstream);
        # a lost void leaves a reservation that expires by itself (Ledger.create_transfers).
        durable = flag is _POST
        failure = first_failure(await self._ledger.create_transfers(batch, durable=durable))
        if failure is None:
            self._final = done
            return None
        error = transfer_error(failure.status) or TransferError.UnknownError
        if error in _FINAL:
            self._final = error
        return error


_FINAL: Final = frozenset(
    {TransferError.AlreadyPosted, TransferError.AlreadyVoided, TransferError.TransferExpired}
)


class PacketAccounting:
    """Creates the pending transfers of forwarded packets over a `Ledger`."""

    __slots__ = ("_ledger",)

    def __init__(self, *, ledger: Ledger) -> None:
        self._ledger = ledger

    async def create_packet_transfer(
        self,
        *,
        source: PacketAccount,
        destination: PacketAccount,
        source_amount: int,
        destination_amount: int,
        timeout_seconds: int,
    ) -> PacketTransfer | TransferError:
        """Reserve a packet's amounts: the legs of the module docstring, all pending.

        Args:
            source: the incoming peer's account (debited).
            destination: the outgoing peer's account, or the receiving wallet address's
                (`WalletAddressAccount`) (credited).
            source_amount: the Prepare's amount, source asset units, 1..2**64-1.
            destination_amount: the forwarded amount, destination asset units, 1..2**64-1.
            timeout_seconds: 1..PACKET_TIMEOUT_SECONDS_MAX; see `timeout_seconds_for`.

        Returns:
            A `PacketTransfer` to post or void, or nothing reserved and: SameAccounts,
            InvalidSourceAmount, InvalidDestinationAmount, InvalidTimeout,
            InsufficientBalance (the source's credit line is too small: ILP T04),
            InsufficientLiquidity (the destination asset's account is too low: T04),
            UnknownSourceAccount/UnknownDestinationAccount, InvalidAmount (a balance would pass
            u64), UnknownError (a bug). Raises only on infrastructure faults.
        """
        if source.account_id == destination.account_id:
            return TransferError.SameAccounts
        if not _is_amount(source_amount):
            return TransferError.InvalidSourceAmount
        if not _is_amount(destination_amount):
            return TransferError.InvalidDestinationAmount
        if (
            type(timeout_seconds) is not int
            or not 0 < timeout_seconds <= PACKET_TIMEOUT_SECONDS_MAX
        ):
            return TransferError.InvalidTimeout

        legs: list[tuple[AccountId, AccountId, int, int]]  # debit, credit, amount, ledger
        if source.ledger == destination.ledger:
            ledger = source.ledger
            legs = [
                (
                    source.account_id,
                    destination.account_id,
                    min(source_amount, destination_amount),
                    ledger,
                )
            ]
            if destination_amount < source_amount:
                excess = source_amount - destination_amount
                legs.append((source.account_id, source.asset_account_id, excess, ledger))
            elif destination_amount > source_amount:
                shortfall = destination_amount - source_amount
                legs.append(
                    (destination.asset_account_id, destination.account_id, shortfall, ledger)
                )
        else:
            legs = [
                (source.account_id, source.asset_account_id, source_amount, source.ledger),
                (
                    destination.asset_account_id,
                    destination.account_id,
                    destination_amount,
                    destination.ledger,
                ),
            ]

        ids = tuple(new_transfer_ids(len(legs)))
        last = len(legs) - 1
        # trusted_transfer: the amounts and the timeout were checked above, the ids are new
        # UUIDs, the accounts and ledgers those of peers and assets the ledger already holds.
        batch = [
            trusted_transfer(
                id=id_,
                debit_account_id=debit,
                credit_account_id=credit,
                amount=amount,
                user_data_128=ids[0],
                timeout=timeout_seconds,
                ledger=ledger_,
                code=_CODE,
                flags=_PENDING if index == last else _PENDING_LINKED,
            )
            for index, (id_, (debit, credit, amount, ledger_)) in enumerate(
                zip(ids, legs, strict=True)
            )
        ]
        # Not waiting for the disk: if the node dies before the post, a restart has no
        # reservation to honour either way (see Ledger.create_transfers).
        failure = first_failure(await self._ledger.create_transfers(batch, durable=False))
        if failure is None:
            return PacketTransfer(
                ledger=self._ledger,
                transfer_ids=ids,
                source_amount=source_amount,
                destination_amount=destination_amount,
            )
        if (
            failure.status is CreateTransferStatus.EXCEEDS_CREDITS
            and batch[failure.index].debit_account_id == destination.asset_account_id
        ):
            return TransferError.InsufficientLiquidity
        return transfer_error(failure.status) or TransferError.UnknownError


def _is_amount(value: int) -> bool:
    return type(value) is int and 0 < value <= AMOUNT_MAX
