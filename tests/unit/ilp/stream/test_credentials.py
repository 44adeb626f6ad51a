"""Connection credentials in @interledger/stream-receiver's format (protocols.md §4.1)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ilpnode.ilp.stream import ConnectionToken, new_connection, open_connection

SERVER_SECRET = bytes([7]) * 32
BASE = "test.node.stream"

# Made by @interledger/stream-receiver 0.2.2 (the receiver Rafiki uses) with serverSecret =
# 32 bytes of 0x07 and serverAddress "test.node.stream": generateCredentials({}),
# ({paymentTag: "wa-1234"}) and ({paymentTag: "wa-1234", receiptSetup: {nonce: 16 x 0x01,
# secret: 32 x 0x02}, asset: {code: "EUR", scale: 2}}).
JS_PLAIN = (
    "test.node.stream.1X5ySuT0222dqh9yYBZHwT3NXKM9VpHek5bvZgI",
    "3b96d676f476d326bee61ae8eb8f79b5ff6d0d63e1788dbc99d770056134b25d",
)
JS_TAGGED = (
    "test.node.stream.jOYJYlIq_MwojUsQ4AI7utK5vB5Uj5aS2lqMX9x5OXnh9ouRlA",
    "db17b8385e485e989b918e9ed561cab6d7e5c02f7a38d0ee0f37b5b3a0f85728",
)
JS_FULL = (
    "test.node.stream.KzQ2Ge_4cvqz5tRodRmhPj3uD0GKyOcfKl2x7MmNJIxsqS8DBsALZEx0FdDDX2wOwQ6-UD5w"
    "OAMEuVkdZPBPpWxdToBv94qnmfFrIkcFba7G7jrWZmC4AA_4",
    "ba6039a0d183b8f100605ad316bea4b22e55bb1670b2ec78e2c4bbf683977363",
)


def test_opens_a_js_connection_without_details() -> None:
    address, secret = JS_PLAIN
    token = open_connection(SERVER_SECRET, address, BASE)
    assert token == ConnectionToken(
        token=address.rsplit(".", 1)[1], shared_secret=bytes.fromhex(secret), payment_tag=b""
    )
    assert not token.receipts_enabled


def test_opens_a_js_connection_with_a_payment_tag() -> None:
    address, secret = JS_TAGGED
    token = open_connection(SERVER_SECRET, address, BASE)
    assert token is not None
    assert token.payment_tag == b"wa-1234"
    assert token.shared_secret == bytes.fromhex(secret)


def test_opens_a_js_connection_with_receipts_and_asset() -> None:
    address, secret = JS_FULL
    token = open_connection(SERVER_SECRET, address, BASE)
    assert token is not None
    assert token.shared_secret == bytes.fromhex(secret)
    assert token.payment_tag == b"wa-1234"
    assert token.receipt_nonce == bytes([1]) * 16
    assert token.receipt_secret == bytes([2]) * 32
    assert token.receipts_enabled
    assert (token.asset_code, token.asset_scale) == ("EUR", 2)


def test_extra_segments_after_the_token_are_ignored() -> None:
    address, secret = JS_TAGGED
    token = open_connection(SERVER_SECRET, address + ".extra.bits", BASE)
    assert token is not None
    assert token.shared_secret == bytes.fromhex(secret)
    assert token.token == address.rsplit(".", 1)[1]


def test_round_trip_with_everything() -> None:
    creds = new_connection(
        SERVER_SECRET,
        BASE,
        payment_tag=b"wallet-42",
        nonce=bytes(range(12)),
        receipt_nonce=bytes(16),
        receipt_secret=bytes([9]) * 32,
        asset_code="USD",
        asset_scale=6,
    )
    token = open_connection(SERVER_SECRET, creds.destination_account, BASE)
    assert token is not None
    assert token.shared_secret == creds.shared_secret
    assert creds.destination_account == f"{BASE}.{token.token}"
    assert token.payment_tag == b"wallet-42"
    assert (token.receipt_nonce, token.receipt_secret) == (bytes(16), bytes([9]) * 32)
    assert (token.asset_code, token.asset_scale) == ("USD", 6)


def test_same_inputs_give_the_same_credentials_and_a_new_nonce_new_ones() -> None:
    a = new_connection(SERVER_SECRET, BASE, payment_tag=b"t", nonce=bytes(12))
    b = new_connection(SERVER_SECRET, BASE, payment_tag=b"t", nonce=bytes(12))
    c = new_connection(SERVER_SECRET, BASE, payment_tag=b"t", nonce=bytes([1]) * 12)
    assert a == b
    assert a.destination_account != c.destination_account
    assert a.shared_secret != c.shared_secret
    assert len(a.shared_secret) == 32


def test_credentials_repr_hides_the_secret() -> None:
    creds = new_connection(SERVER_SECRET, BASE, payment_tag=b"t", nonce=bytes(12))
    token = open_connection(SERVER_SECRET, creds.destination_account, BASE)
    assert creds.shared_secret.hex() not in repr(creds)
    assert repr(creds.shared_secret) not in repr(creds)
    assert repr(creds.shared_secret) not in repr(token)


@pytest.mark.parametrize(
    "destination",
    [
        BASE,  # no token segment
        BASE + ".",  # empty segment
        "test.node.streamX." + JS_TAGGED[0].rsplit(".", 1)[1],  # not under the base
        "test.other." + JS_TAGGED[0].rsplit(".", 1)[1],
        JS_TAGGED[0][:-1],  # truncated token
        JS_TAGGED[0][:-2] + ("A" if JS_TAGGED[0][-2] != "A" else "B") + JS_TAGGED[0][-1],
        BASE + ".AAAA",  # decodes, far too short for an envelope
        BASE + "." + "A" * 60,  # long enough, does not authenticate
        BASE + ".a+b/",  # not base64url
        BASE + ".abcde",  # impossible base64 length
    ],
)
def test_foreign_or_damaged_destinations_are_no_connection(destination: str) -> None:
    assert open_connection(SERVER_SECRET, destination, BASE) is None


def test_another_server_secret_opens_nothing() -> None:
    assert open_connection(bytes(32), JS_TAGGED[0], BASE) is None


def test_non_canonical_base64_is_refused() -> None:
    creds = new_connection(SERVER_SECRET, BASE, payment_tag=b"", nonce=bytes(12))
    segment = creds.destination_account.rsplit(".", 1)[1]
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    assert len(raw) % 3 != 0  # there are unused bits in the last character
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    alias = segment[:-1] + alphabet[alphabet.index(segment[-1]) + 1]
    assert base64.urlsafe_b64decode(alias + "=" * (-len(alias) % 4)) == raw
    assert open_connection(SERVER_SECRET, f"{BASE}.{alias}", BASE) is None
    assert open_connection(SERVER_SECRET, creds.destination_account, BASE) is not None


def test_malformed_token_plaintext_is_no_connection() -> None:
    # A token that authenticates but whose plaintext is truncated (payment tag flag, no tag).
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from ilpnode.ilp.stream._crypto import hmac_sha256

    key = hmac_sha256(SERVER_SECRET, b"ilp_stream_connection_token")
    sealed = AESGCM(key).encrypt(bytes(12), b"\x01", None)
    token = bytes(12) + sealed[-16:] + sealed[:-16]
    segment = base64.urlsafe_b64encode(token).rstrip(b"=").decode()
    assert open_connection(SERVER_SECRET, f"{BASE}.{segment}", BASE) is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"nonce": bytes(11)}, "nonce must be 12"),
        ({"receipt_nonce": bytes(16)}, "both or neither"),
        ({"receipt_nonce": bytes(15), "receipt_secret": bytes(32)}, "receipt nonce"),
        ({"receipt_nonce": bytes(16), "receipt_secret": bytes(31)}, "receipt secret"),
        ({"asset_code": "USD"}, "both or neither"),
        ({"asset_code": "USD", "asset_scale": 256}, "0..255"),
        ({"payment_tag": b"x" * 800}, "1023"),
    ],
)
def test_new_connection_refuses_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"payment_tag": b"t", "nonce": bytes(12)} | kwargs
    with pytest.raises(ValueError, match=match):
        new_connection(SERVER_SECRET, BASE, **args)  # type: ignore[arg-type]


def test_bad_server_secret_or_base_address_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        new_connection(bytes(31), BASE, payment_tag=b"", nonce=bytes(12))
    with pytest.raises(ValueError, match="32 bytes"):
        open_connection(bytes(31), JS_TAGGED[0], BASE)
    with pytest.raises(ValueError, match="scheme"):
        new_connection(SERVER_SECRET, "nope.x", payment_tag=b"", nonce=bytes(12))


@given(
    tag=st.binary(max_size=60), nonce=st.binary(min_size=12, max_size=12), receipts=st.booleans()
)
def test_every_connection_opens_again(tag: bytes, nonce: bytes, receipts: bool) -> None:
    creds = new_connection(
        SERVER_SECRET,
        BASE,
        payment_tag=tag,
        nonce=nonce,
        receipt_nonce=nonce + nonce[:4] if receipts else None,
        receipt_secret=nonce * 2 + nonce[:8] if receipts else None,
    )
    token = open_connection(SERVER_SECRET, creds.destination_account, BASE)
    assert token is not None
    assert token.payment_tag == tag
    assert token.shared_secret == creds.shared_secret
    assert token.receipts_enabled is receipts


@given(segment=st.text(alphabet="ABCDEFabcdef0123456789-_", min_size=1, max_size=120))
def test_arbitrary_segments_never_raise(segment: str) -> None:
    assert open_connection(SERVER_SECRET, f"{BASE}.{segment}", BASE) is None
