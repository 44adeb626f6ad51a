"""The ledger log's binary format: journal entries <-> frames of fixed-size records.

A log file is `FILE_HEADER` followed by frames, one frame per group commit:

    frame   = magic u32 | payload length u32 | CRC-32 of the payload u32 | payload
    payload = record*
    record  = kind u8 | fixed fields, little-endian (u128 values as two u64 halves, low first)

Records: `A` an account as the engine journaled it (id, the four balances, user data, ledger,
code, flags, timestamp), `T` a transfer as stored (every field, posts and voids with the
fields the engine filled in from their pending transfer), `E` an expiry (pending id, timestamp).

The first frame may instead be a snapshot of the whole ledger up to it (written when the log is
compacted, `encode_snapshot_frame`): an `S` record (the ledger clock) first, then per account
the posted totals of the transfers the engine forgot (`F`: id, debits, credits), the accounts
with their current balances (`A`), and the transfers and expiries it still holds (`T`, `E`).
An `S` or `F` record anywhere else is damage.
Fixed sizes make encoding one `struct.pack` per record (about a microsecond, on the event
loop's thread) and leave nothing to parse but the kind byte.

The writer preallocates the file in zero-filled chunks (overwriting written blocks needs no
journal commit of the file system, so each `fdatasync` is cheaper); zeros after the last frame
are that padding and end the log. Otherwise reading stops at the first frame that is incomplete
or fails its CRC. If no valid frame follows
it, that is a torn tail (a write cut short by a crash, never acknowledged: the writer answers
only after the whole frame is written, and fsynced where the durability setting asks for it)
and `decode_log` reports where the good part ends. A valid frame *after* a bad one means the
file was damaged in the middle: `LogCorruptionError`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

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

__all__ = [
    "FILE_HEADER",
    "DecodedLog",
    "LogCorruptionError",
    "LogSnapshot",
    "decode_log",
    "encode_frame",
    "encode_snapshot_frame",
]

FILE_HEADER: Final = b"ilpnode ledger log v1\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
_FRAME_MAGIC: Final = 0x474C4E49  # "ILNG" read as a little-endian u32
_FRAME_HEADER: Final = struct.Struct("<III")
_M64: Final = 2**64 - 1

_KIND_ACCOUNT: Final = 0x41  # "A"
_KIND_TRANSFER: Final = 0x54  # "T"
_KIND_EXPIRY: Final = 0x45  # "E"
_KIND_SNAPSHOT: Final = 0x53  # "S"
_KIND_FORGOTTEN: Final = 0x46  # "F"
# kind, id, debits_pending, debits_posted, credits_pending, credits_posted, user_data_128,
# user_data_64, user_data_32, ledger, code, flags, timestamp
_ACCOUNT: Final = struct.Struct("<BQQQQQQQQQIIHHQ")
# kind, id, debit_account_id, credit_account_id, amount, pending_id, user_data_128, user_data_64,
# user_data_32, timeout, ledger, code, flags, timestamp
_TRANSFER: Final = struct.Struct("<BQQQQQQQQQQQQIIIHHQ")
# The same record as written: each u128 as its 16 little-endian bytes (one `to_bytes` call
# instead of a mask, a shift and two more integers per field; twice per forwarded packet).
_TRANSFER_OUT: Final = struct.Struct("<B16s16s16sQ16s16sQIIIHHQ")
# kind, pending_id, timestamp
_EXPIRY: Final = struct.Struct("<BQQQ")
# kind, last_timestamp
_SNAPSHOT: Final = struct.Struct("<BQ")
# kind, account id, debits_posted, credits_posted (of the forgotten transfers)
_FORGOTTEN: Final = struct.Struct("<BQQQQ")


class LogCorruptionError(ValueError):
    """The log is damaged before its end, or holds a record that is not one of ours."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LogSnapshot:
    """The ledger as of the end of a snapshot frame (see the module docstring)."""

    last_timestamp: int
    accounts: list[Account]
    transfers: list[Transfer]
    expired: list[ExpiredTransfer]
    forgotten: list[tuple[AccountId, int, int]]


@dataclass(frozen=True, slots=True)
class DecodedLog:
    entries: list[JournalEntry]
    """The entries after the snapshot, if there is one; else every entry."""
    good_end: int
    """Offset just past the last valid frame: where the next frame is appended."""
    torn_bytes: int
    """Bytes after `good_end` that belong to a torn (never acknowledged) last frame (up to its
    last non-zero byte: zeros after it are preallocated padding)."""
    snapshot: LogSnapshot | None = None
    """The state the entries follow, if the log starts with a snapshot frame."""
    entries_start: int = len(FILE_HEADER)
    """Offset of the first frame after the snapshot (after the header, without one)."""


def encode_frame(entries: Iterable[JournalEntry]) -> bytes:
    """One frame carrying `entries`, in order."""
    records = []
    for entry in entries:
        if type(entry) is Transfer:
            records.append(_encode_transfer(entry))
        elif type(entry) is Account:
            records.append(_encode_account(entry))
        else:
            assert type(entry) is ExpiredTransfer
            pending_id = entry.pending_id
            records.append(
                _EXPIRY.pack(_KIND_EXPIRY, pending_id & _M64, pending_id >> 64, entry.timestamp)
            )
    payload = b"".join(records)
    return _FRAME_HEADER.pack(_FRAME_MAGIC, len(payload), zlib.crc32(payload)) + payload


def encode_snapshot_frame(
    *,
    last_timestamp: int,
    accounts: Iterable[Account],
    transfers: Iterable[Transfer],
    expired: Iterable[ExpiredTransfer],
    forgotten: Iterable[tuple[AccountId, int, int]],
) -> bytes:
    """A snapshot frame: the whole ledger, to start a compacted log with."""
    records = [_SNAPSHOT.pack(_KIND_SNAPSHOT, last_timestamp)]
    records.extend(
        _FORGOTTEN.pack(_KIND_FORGOTTEN, id_ & _M64, id_ >> 64, debits, credits)
        for id_, debits, credits in forgotten
    )
    records.extend(_encode_account(account) for account in accounts)
    records.extend(_encode_transfer(transfer) for transfer in transfers)
    records.extend(
        _EXPIRY.pack(_KIND_EXPIRY, e.pending_id & _M64, e.pending_id >> 64, e.timestamp)
        for e in expired
    )
    payload = b"".join(records)
    return _FRAME_HEADER.pack(_FRAME_MAGIC, len(payload), zlib.crc32(payload)) + payload


def _encode_transfer(t: Transfer) -> bytes:
    return _TRANSFER_OUT.pack(
        _KIND_TRANSFER,
        t.id.to_bytes(16, "little"),
        t.debit_account_id.to_bytes(16, "little"),
        t.credit_account_id.to_bytes(16, "little"),
        t.amount,
        t.pending_id.to_bytes(16, "little"),
        t.user_data_128.to_bytes(16, "little"),
        t.user_data_64,
        t.user_data_32,
        t.timeout,
        t.ledger,
        t.code,
        t.flags,  # an IntFlag packs as the int it is (int() would be a call)
        t.timestamp,
    )


def _encode_account(a: Account) -> bytes:
    return _ACCOUNT.pack(
        _KIND_ACCOUNT,
        a.id & _M64,
        a.id >> 64,
        a.debits_pending,
        a.debits_posted,
        a.credits_pending,
        a.credits_posted,
        a.user_data_128 & _M64,
        a.user_data_128 >> 64,
        a.user_data_64,
        a.user_data_32,
        a.ledger,
        a.code,
        a.flags,
        a.timestamp,
    )


def decode_log(data: bytes) -> DecodedLog:
    """Every entry in a whole log file's bytes, and where its valid part ends.

    Raises:
        LogCorruptionError: the file does not start with `FILE_HEADER`, a bad frame is
            followed by a valid one, or a valid frame holds a record we cannot read.
    """
    if not data.startswith(FILE_HEADER):
        raise LogCorruptionError("not an ilpnode ledger log (unknown file header)")
    entries: list[JournalEntry] = []
    offset = len(FILE_HEADER)
    snapshot = None
    first = _frame_payload(data, offset)
    if first is not None and data[first[0] : first[0] + 1] == bytes([_KIND_SNAPSHOT]):
        snapshot = _decode_snapshot(data, *first)
        offset = first[1]
    entries_start = offset
    while offset < len(data):
        payload = _frame_payload(data, offset)
        if payload is None:
            if data.count(0, offset) == len(data) - offset:
                break  # the zeros the writer preallocates ahead of the frames
            if _valid_frame_after(data, offset + 1):
                raise LogCorruptionError(
                    f"damaged frame at byte {offset}, followed by valid frames"
                )
            torn = len(data.rstrip(b"\x00")) - offset  # the padding after it is not torn
            return DecodedLog(
                entries,
                good_end=offset,
                torn_bytes=torn,
                snapshot=snapshot,
                entries_start=entries_start,
            )
        start, end = payload
        _decode_records(data, start, end, entries)
        offset = end
    return DecodedLog(
        entries, good_end=offset, torn_bytes=0, snapshot=snapshot, entries_start=entries_start
    )


def _decode_snapshot(data: bytes, start: int, end: int) -> LogSnapshot:
    if start + _SNAPSHOT.size > end:
        raise LogCorruptionError(f"unreadable record (kind 0x53) at byte {start}")
    _, last_timestamp = _SNAPSHOT.unpack_from(data, start)
    offset = start + _SNAPSHOT.size
    forgotten: list[tuple[AccountId, int, int]] = []
    entries: list[JournalEntry] = []
    while offset < end and data[offset] == _KIND_FORGOTTEN:
        if offset + _FORGOTTEN.size > end:
            raise LogCorruptionError(f"unreadable record (kind 0x46) at byte {offset}")
        _, low, high, debits, credits = _FORGOTTEN.unpack_from(data, offset)
        forgotten.append((AccountId(low | high << 64), debits, credits))
        offset += _FORGOTTEN.size
    _decode_records(data, offset, end, entries)
    return LogSnapshot(
        last_timestamp=last_timestamp,
        accounts=[e for e in entries if isinstance(e, Account)],
        transfers=[e for e in entries if isinstance(e, Transfer)],
        expired=[e for e in entries if isinstance(e, ExpiredTransfer)],
        forgotten=forgotten,
    )


def _frame_payload(data: bytes, offset: int) -> tuple[int, int] | None:
    """(start, end) of the payload of a valid frame at `offset`, or None."""
    if offset + _FRAME_HEADER.size > len(data):
        return None
    magic, length, crc = _FRAME_HEADER.unpack_from(data, offset)
    start = offset + _FRAME_HEADER.size
    end = start + length
    if magic != _FRAME_MAGIC or end > len(data):
        return None
    if zlib.crc32(memoryview(data)[start:end]) != crc:
        return None
    return start, end


def _valid_frame_after(data: bytes, offset: int) -> bool:
    magic = _FRAME_HEADER.pack(_FRAME_MAGIC, 0, 0)[:4]
    position = data.find(magic, offset)
    while position != -1:
        if _frame_payload(data, position) is not None:
            return True
        position = data.find(magic, position + 1)
    return False


def _decode_records(data: bytes, offset: int, end: int, out: list[JournalEntry]) -> None:
    while offset < end:
        kind = data[offset]
        if kind == _KIND_TRANSFER and offset + _TRANSFER.size <= end:
            out.append(_decode_transfer(_TRANSFER.unpack_from(data, offset)))
            offset += _TRANSFER.size
        elif kind == _KIND_ACCOUNT and offset + _ACCOUNT.size <= end:
            out.append(_decode_account(_ACCOUNT.unpack_from(data, offset)))
            offset += _ACCOUNT.size
        elif kind == _KIND_EXPIRY and offset + _EXPIRY.size <= end:
            _, low, high, timestamp = _EXPIRY.unpack_from(data, offset)
            pending_id = TransferId(low | high << 64)
            out.append(ExpiredTransfer(pending_id=pending_id, timestamp=timestamp))
            offset += _EXPIRY.size
        else:
            raise LogCorruptionError(f"unreadable record (kind {kind:#04x}) at byte {offset}")


def _decode_transfer(f: tuple[int, ...]) -> Transfer:
    return Transfer(
        id=TransferId(f[1] | f[2] << 64),
        debit_account_id=AccountId(f[3] | f[4] << 64),
        credit_account_id=AccountId(f[5] | f[6] << 64),
        amount=f[7],
        pending_id=TransferId(f[8] | f[9] << 64),
        user_data_128=f[10] | f[11] << 64,
        user_data_64=f[12],
        user_data_32=f[13],
        timeout=f[14],
        ledger=f[15],
        code=f[16],
        flags=TransferFlags(f[17]),
        timestamp=f[18],
    )


def _decode_account(f: tuple[int, ...]) -> Account:
    return Account(
        id=AccountId(f[1] | f[2] << 64),
        debits_pending=f[3],
        debits_posted=f[4],
        credits_pending=f[5],
        credits_posted=f[6],
        user_data_128=f[7] | f[8] << 64,
        user_data_64=f[9],
        user_data_32=f[10],
        ledger=f[11],
        code=f[12],
        flags=AccountFlags(f[13]),
        timestamp=f[14],
    )
