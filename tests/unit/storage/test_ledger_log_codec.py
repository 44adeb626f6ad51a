"""The ledger log's frames: every entry comes back exactly; torn tails and damage are told apart."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ilpnode.ledger import (
    Account,
    AccountFlags,
    AccountId,
    ExpiredTransfer,
    JournalEntry,
    Transfer,
    TransferFlags,
    TransferId,
)
from ilpnode.storage.ledger.log_codec import (
    FILE_HEADER,
    LogCorruptionError,
    decode_log,
    encode_frame,
    encode_snapshot_frame,
)

U128 = st.integers(0, 2**128 - 1)
U64 = st.integers(0, 2**64 - 1)
U32 = st.integers(0, 2**32 - 1)
U16 = st.integers(0, 2**16 - 1)
TIMESTAMP = st.integers(0, 2**63 - 1)

accounts = st.builds(
    Account,
    id=U128.map(AccountId),
    debits_pending=U64,
    debits_posted=U64,
    credits_pending=U64,
    credits_posted=U64,
    user_data_128=U128,
    user_data_64=U64,
    user_data_32=U32,
    ledger=U32,
    code=U16,
    flags=st.integers(0, 7).map(AccountFlags),
    timestamp=TIMESTAMP,
)
transfers = st.builds(
    Transfer,
    id=U128.map(TransferId),
    debit_account_id=U128.map(AccountId),
    credit_account_id=U128.map(AccountId),
    amount=U64,
    pending_id=U128.map(TransferId),
    user_data_128=U128,
    user_data_64=U64,
    user_data_32=U32,
    timeout=U32,
    ledger=U32,
    code=U16,
    flags=st.integers(0, 15).map(TransferFlags),
    timestamp=TIMESTAMP,
)
expiries = st.builds(ExpiredTransfer, pending_id=U128.map(TransferId), timestamp=TIMESTAMP)
entries = st.lists(st.one_of(accounts, transfers, expiries), max_size=20)


def _log(*groups: list[JournalEntry]) -> bytes:
    return FILE_HEADER + b"".join(encode_frame(group) for group in groups)


@given(st.lists(entries, max_size=5))
def test_every_entry_comes_back_exactly_in_order(groups: list[list[JournalEntry]]) -> None:
    data = _log(*groups)
    decoded = decode_log(data)
    assert decoded.entries == [entry for group in groups for entry in group]
    assert [type(e) for e in decoded.entries] == [type(e) for g in groups for e in g]
    assert (decoded.good_end, decoded.torn_bytes) == (len(data), 0)


def _sample() -> tuple[list[JournalEntry], list[JournalEntry]]:
    first: list[JournalEntry] = [Account(id=AccountId(1), ledger=1, code=1, timestamp=5)]
    second: list[JournalEntry] = [
        Transfer(id=TransferId(2), debit_account_id=AccountId(1), amount=3, timestamp=6),
        ExpiredTransfer(pending_id=TransferId(2), timestamp=7),
    ]
    return first, second


@given(transfers)
def test_a_transfer_record_keeps_the_v1_layout_byte_for_byte(t: Transfer) -> None:
    # The layout of `ilpnode ledger log v1`, spelled out here apart from the codec: each u128
    # as its low then its high u64, little-endian. Logs written before and after must agree.
    record = struct.pack(
        "<BQQQQQQQQQQQQIIIHHQ",
        0x54,
        *_halves(t.id),
        *_halves(t.debit_account_id),
        *_halves(t.credit_account_id),
        t.amount,
        *_halves(t.pending_id),
        *_halves(t.user_data_128),
        t.user_data_64,
        t.user_data_32,
        t.timeout,
        t.ledger,
        t.code,
        int(t.flags),
        t.timestamp,
    )
    assert encode_frame([t])[12:] == record  # after the frame's magic, length and CRC


def _halves(value: int) -> tuple[int, int]:
    return value & (2**64 - 1), value >> 64


def test_a_last_frame_cut_short_anywhere_is_a_torn_tail() -> None:
    first, second = _sample()
    whole = _log(first, second)
    good_end = len(_log(first))
    for cut in range(good_end + 1, len(whole)):
        decoded = decode_log(whole[:cut])
        assert decoded.entries == first
        torn = len(whole[good_end:cut].rstrip(b"\x00"))  # trailing zeros read as padding
        assert (decoded.good_end, decoded.torn_bytes) == (good_end, torn)


def test_a_damaged_last_frame_is_a_torn_tail() -> None:
    first, second = _sample()
    data = bytearray(_log(first, second))
    data[-1] ^= 0xFF
    decoded = decode_log(bytes(data))
    assert decoded.entries == first
    assert decoded.torn_bytes == len(data) - len(_log(first))


def test_damage_before_a_valid_frame_is_corruption() -> None:
    first, second = _sample()
    data = bytearray(_log(first, second))
    data[len(FILE_HEADER) + 20] ^= 0x01  # inside the first frame's payload
    with pytest.raises(LogCorruptionError, match="followed by valid frames"):
        decode_log(bytes(data))


def test_a_file_that_is_not_a_ledger_log_is_refused() -> None:
    with pytest.raises(LogCorruptionError, match="file header"):
        decode_log(b"SQLite format 3\x00" + bytes(64))
    with pytest.raises(LogCorruptionError, match="file header"):
        decode_log(b"")


def test_a_frame_with_a_valid_checksum_but_an_unknown_record_is_corruption() -> None:
    payload = b"Z" + bytes(24)
    frame = struct.pack("<III", 0x474C4E49, len(payload), zlib.crc32(payload)) + payload
    with pytest.raises(LogCorruptionError, match="unreadable record"):
        decode_log(FILE_HEADER + frame)


def test_an_empty_log_has_no_entries() -> None:
    decoded = decode_log(FILE_HEADER)
    assert (decoded.entries, decoded.good_end, decoded.torn_bytes) == ([], len(FILE_HEADER), 0)


def test_zeros_after_the_last_frame_are_padding_not_a_torn_tail() -> None:
    first, second = _sample()
    data = _log(first, second)
    decoded = decode_log(data + bytes(4096))
    assert decoded.entries == first + second
    assert (decoded.good_end, decoded.torn_bytes) == (len(data), 0)


def test_a_torn_frame_over_the_padding_is_told_without_the_padding() -> None:
    first, second = _sample()
    good = _log(first)
    frame = encode_frame(second)
    torn = frame[: len(frame) // 2]  # what it lost is not all zeros: its CRC fails
    decoded = decode_log(good + torn + bytes(4096))
    assert decoded.entries == first
    assert (decoded.good_end, decoded.torn_bytes) == (len(good), len(torn.rstrip(b"\x00")))


forgotten_totals = st.lists(st.tuples(U128.map(AccountId), U64, U64), max_size=5)


@given(
    st.lists(accounts, max_size=5),
    st.lists(transfers, max_size=5),
    st.lists(expiries, max_size=5),
    forgotten_totals,
    TIMESTAMP,
    st.lists(entries, max_size=3),
)
def test_a_snapshot_frame_comes_back_exactly_and_the_frames_after_it_follow(
    snapshot_accounts: list[Account],
    snapshot_transfers: list[Transfer],
    snapshot_expired: list[ExpiredTransfer],
    forgotten: list[tuple[AccountId, int, int]],
    last_timestamp: int,
    groups: list[list[JournalEntry]],
) -> None:
    snapshot = encode_snapshot_frame(
        last_timestamp=last_timestamp,
        accounts=snapshot_accounts,
        transfers=snapshot_transfers,
        expired=snapshot_expired,
        forgotten=forgotten,
    )
    data = FILE_HEADER + snapshot + b"".join(encode_frame(group) for group in groups)
    decoded = decode_log(data)
    assert decoded.snapshot is not None
    assert decoded.snapshot.last_timestamp == last_timestamp
    assert decoded.snapshot.accounts == snapshot_accounts
    assert decoded.snapshot.transfers == snapshot_transfers
    assert decoded.snapshot.expired == snapshot_expired
    assert decoded.snapshot.forgotten == forgotten
    assert decoded.entries == [entry for group in groups for entry in group]
    assert decoded.entries_start == len(FILE_HEADER) + len(snapshot)
    assert (decoded.good_end, decoded.torn_bytes) == (len(data), 0)


def test_a_log_without_a_snapshot_says_so() -> None:
    first, second = _sample()
    decoded = decode_log(_log(first, second))
    assert decoded.snapshot is None
    assert decoded.entries_start == len(FILE_HEADER)


def test_a_snapshot_frame_anywhere_but_first_is_corruption() -> None:
    first, _ = _sample()
    snapshot = encode_snapshot_frame(
        last_timestamp=9, accounts=[], transfers=[], expired=[], forgotten=[]
    )
    with pytest.raises(LogCorruptionError, match="unreadable record"):
        decode_log(FILE_HEADER + encode_frame(first) + snapshot)


def test_a_snapshot_record_cut_short_is_corruption() -> None:
    payload = b"S\x01"  # a snapshot record needs 9 bytes
    frame = struct.pack("<III", 0x474C4E49, len(payload), zlib.crc32(payload)) + payload
    with pytest.raises(LogCorruptionError, match="kind 0x53"):
        decode_log(FILE_HEADER + frame)
