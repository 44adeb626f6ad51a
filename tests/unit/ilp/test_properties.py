"""Property tests (hypothesis): round trips, and the fuzz invariant of rule 14.

- ``decode(encode(p)) == p`` for generated Prepare, Fulfill and Reject packets.
- For arbitrary bytes, every decoder returns a packet or raises ``IlpCodecError``, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from ilpnode.ilp import (
    MAX_UINT64,
    Fulfill,
    IlpCodecError,
    IlpErrorCode,
    Prepare,
    Reject,
    decode_fulfill,
    decode_packet,
    decode_prepare,
    decode_reject,
    decode_reply,
    encode_length,
    encode_packet,
    is_valid_address,
    prepare_expires_ms,
    rewrite_prepare,
    rewrite_prepare_ms,
)

SCHEMES = ["g", "private", "example", "peer", "self", "test", "test1", "test2", "test3", "local"]
SEGMENT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_~-"
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
ASCII = "".join(chr(c) for c in range(0x80))

segments = st.text(alphabet=SEGMENT_CHARS, min_size=1, max_size=16)
addresses = st.builds(
    lambda scheme, parts: ".".join([scheme, *parts]),
    st.sampled_from(SCHEMES),
    st.lists(segments, min_size=1, max_size=6),
)
long_addresses = st.builds(
    lambda n: "g." + "a" * n, st.integers(min_value=120, max_value=1021)
)  # long-form lengths, up to the 1023-character limit
utc_millis = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000, tzinfo=UTC))
offset_datetimes = st.datetimes(
    min_value=datetime(2, 1, 1),
    max_value=datetime(9998, 12, 31),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=5, minutes=45))]
    ),
)
data = st.binary(max_size=4096)

prepares = st.builds(
    Prepare,
    amount=st.integers(min_value=0, max_value=MAX_UINT64),
    expires_at=st.one_of(utc_millis, offset_datetimes),
    execution_condition=st.binary(min_size=32, max_size=32),
    destination=st.one_of(addresses, long_addresses),
    data=data,
)
fulfills = st.builds(Fulfill, fulfillment=st.binary(min_size=32, max_size=32), data=data)
rejects = st.builds(
    Reject,
    code=st.one_of(
        st.sampled_from([c.value for c in IlpErrorCode]),
        st.text(alphabet=PRINTABLE, min_size=3, max_size=3),
    ),
    triggered_by=st.one_of(addresses, st.text(alphabet=ASCII, max_size=200)),
    message=st.text(max_size=300),
    data=data,
)
packets = st.one_of(prepares, fulfills, rejects)

DECODERS: list[Callable[[bytes], object]] = [
    decode_packet,
    decode_prepare,
    decode_fulfill,
    decode_reject,
    decode_reply,
]


def decodes_or_codec_error(raw: bytes) -> None:
    for decode in DECODERS:
        try:
            result = decode(raw)
        except IlpCodecError:
            continue
        assert isinstance(result, Prepare | Fulfill | Reject)
        assert decode_packet(encode_packet(result)) == result


# RFC 0015's regex, verbatim; fullmatch so "$" cannot match before a trailing newline.
RFC_0015 = re.compile(
    r"(?=^.{1,1023}$)^(g|private|example|peer|self|test[1-3]?|local)([.][a-zA-Z0-9_~-]+)+$"
)
address_like = st.one_of(
    addresses,
    st.text(alphabet="gtes123lo.aAz_~-/ \n\u00e9", max_size=24),
    st.builds(lambda a, t: a + t, addresses, st.sampled_from(["\n", ".", "..x", " ", "\u00e9"])),
)


@given(addresses)
def test_generated_addresses_are_valid(address: str) -> None:
    assert is_valid_address(address)


@given(address_like)
def test_address_validation_agrees_with_rfc_0015_regex(candidate: str) -> None:
    expected = RFC_0015.fullmatch(candidate) is not None
    assert is_valid_address(candidate) is expected
    # The decoder validates the destination as bytes: it must agree.
    dest = candidate.encode("utf-8")
    content = bytes(8) + b"20300101000000000" + bytes(32) + encode_length(len(dest)) + dest
    wire = b"\x0c" + encode_length(len(content) + 1) + content + b"\x00"
    try:
        decoded = decode_prepare(wire)
    except IlpCodecError:
        assert not expected
    else:
        assert expected
        assert decoded.destination == candidate


@given(prepares)
def test_prepare_round_trip(p: Prepare) -> None:
    assert decode_prepare(encode_packet(p)) == p
    assert decode_packet(encode_packet(p)) == p


@given(fulfills)
def test_fulfill_round_trip(f: Fulfill) -> None:
    assert decode_fulfill(encode_packet(f)) == f
    assert decode_reply(encode_packet(f)) == f


@given(rejects)
def test_reject_round_trip(r: Reject) -> None:
    assert decode_reject(encode_packet(r)) == r
    assert decode_reply(encode_packet(r)) == r


@given(st.binary(max_size=600))
def test_arbitrary_bytes(raw: bytes) -> None:
    decodes_or_codec_error(raw)


@given(
    st.sampled_from([12, 13, 14]),
    st.integers(min_value=0, max_value=600),
    st.binary(max_size=600),
)
def test_typed_bytes_with_plausible_length(kind: int, length: int, body: bytes) -> None:
    decodes_or_codec_error(bytes((kind,)) + encode_length(length) + body)


@given(packets, st.data())
def test_mutated_packets(packet: Prepare | Fulfill | Reject, draw: st.DataObject) -> None:
    wire = bytearray(encode_packet(packet))
    for _ in range(draw.draw(st.integers(min_value=1, max_value=4))):
        index = draw.draw(st.integers(min_value=0, max_value=len(wire) - 1))
        wire[index] = draw.draw(st.integers(min_value=0, max_value=255))
    cut = draw.draw(st.integers(min_value=0, max_value=len(wire)))
    decodes_or_codec_error(bytes(wire[:cut]))


@given(prepares, st.integers(min_value=0, max_value=MAX_UINT64), utc_millis)
def test_rewrite_prepare_matches_replace(p: Prepare, amount: int, expires_at: datetime) -> None:
    expected = Prepare(
        amount=amount,
        expires_at=expires_at,
        execution_condition=p.execution_condition,
        destination=p.destination,
        data=p.data,
    )
    rewritten = rewrite_prepare(encode_packet(p), amount=amount, expires_at=expires_at)
    assert decode_prepare(rewritten) == expected
    assert rewritten == encode_packet(expected)
    # In milliseconds, against the encoder's own digits (made from the datetime's fields, not
    # from a count of milliseconds): two independent ways to the same 17 digits.
    ms = (expires_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    assert rewrite_prepare_ms(encode_packet(p), amount, ms) == encode_packet(expected)
    assert prepare_expires_ms(encode_packet(expected)) == ms  # and read back
