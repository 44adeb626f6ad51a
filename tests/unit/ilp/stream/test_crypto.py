"""STREAM crypto (RFC 0029 §5.1, §6) against tests/vectors/stream_crypto.json."""

from __future__ import annotations

import contextlib
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ilpnode.ilp import condition_of
from ilpnode.ilp.stream import (
    ENVELOPE_OVERHEAD,
    StreamDecryptError,
    condition_for,
    decrypt,
    encrypt,
    encryption_key,
    fulfillment_for,
    fulfillment_key,
    fulfillment_with_key,
)

from ._vectors import load

CRYPTO = load("stream_crypto.json")


def test_encryption_key_of_foo() -> None:
    assert encryption_key(b"foo").hex() == CRYPTO[0]["hex"]


def test_fulfillment_key_of_foo() -> None:
    assert fulfillment_key(b"foo").hex() == CRYPTO[1]["hex"]


def test_fulfillment_with_zero_key() -> None:
    fields = CRYPTO[2]["json_fields"]
    key = bytes.fromhex(fields["fulfillment_key_hex"])
    assert fulfillment_with_key(key, fields["data_ascii"].encode()).hex() == CRYPTO[2]["hex"]


def test_condition_of_zero_fulfillment() -> None:
    assert condition_of(bytes(32)).hex() == CRYPTO[3]["hex"]


def test_decrypts_the_js_vector() -> None:
    fields = CRYPTO[4]["json_fields"]
    wire = bytes.fromhex(CRYPTO[4]["hex"])
    assert wire[:12].hex() == fields["iv_hex"]
    assert wire[12:28].hex() == fields["tag_hex"]
    plaintext = decrypt(bytes.fromhex(fields["key_hex"]), wire)
    assert plaintext == fields["plaintext_ascii"].encode()


def test_encrypts_like_the_js_vector_with_its_iv() -> None:
    fields = CRYPTO[4]["json_fields"]
    key = bytes.fromhex(fields["key_hex"])
    out = encrypt(key, fields["plaintext_ascii"].encode(), iv=bytes.fromhex(fields["iv_hex"]))
    assert out.hex() == CRYPTO[4]["hex"]


def test_encrypts_like_rust_from_the_shared_secret() -> None:
    fields = CRYPTO[5]["json_fields"]
    key = encryption_key(bytes.fromhex(fields["shared_secret_hex"]))
    assert key.hex() == fields["derived_key_hex"]
    out = encrypt(key, bytes.fromhex(fields["plaintext_hex"]), iv=bytes.fromhex(fields["iv_hex"]))
    assert out.hex() == CRYPTO[5]["hex"]
    assert decrypt(key, out).hex() == fields["plaintext_hex"]


def test_fulfillment_and_condition_from_the_shared_secret() -> None:
    fields = CRYPTO[6]["json_fields"]
    secret = bytes.fromhex(fields["shared_secret_hex"])
    data = bytes.fromhex(fields["data_hex"])
    assert fulfillment_for(secret, data).hex() == CRYPTO[6]["hex"]
    assert condition_for(secret, data).hex() == fields["condition_hex"]
    assert hashlib.sha256(fulfillment_for(secret, data)).hexdigest() == fields["condition_hex"]


def test_decrypt_refuses_short_data() -> None:
    with pytest.raises(StreamDecryptError, match="shorter"):
        decrypt(bytes(32), bytes(ENVELOPE_OVERHEAD - 1))


def test_decrypt_refuses_a_flipped_bit() -> None:
    key = encryption_key(b"secret")
    sealed = bytearray(encrypt(key, b"hello", iv=bytes(12)))
    sealed[-1] ^= 1
    with pytest.raises(StreamDecryptError, match="does not decrypt"):
        decrypt(key, bytes(sealed))


def test_decrypt_refuses_another_key() -> None:
    sealed = encrypt(encryption_key(b"a"), b"hello", iv=bytes(12))
    with pytest.raises(StreamDecryptError):
        decrypt(encryption_key(b"b"), sealed)


@pytest.mark.parametrize(("key_len", "iv_len"), [(31, 12), (32, 11), (32, 16)])
def test_encrypt_refuses_bad_key_or_iv_sizes(key_len: int, iv_len: int) -> None:
    with pytest.raises(ValueError, match="bytes"):
        encrypt(bytes(key_len), b"x", iv=bytes(iv_len))


def test_decrypt_refuses_a_bad_key_size_as_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="key must be 32") as info:
        decrypt(bytes(16), bytes(40))
    assert not isinstance(info.value, StreamDecryptError)


@given(
    key=st.binary(min_size=32, max_size=32),
    iv=st.binary(min_size=12, max_size=12),
    plaintext=st.binary(max_size=300),
)
def test_round_trip(key: bytes, iv: bytes, plaintext: bytes) -> None:
    sealed = encrypt(key, plaintext, iv=iv)
    assert len(sealed) == len(plaintext) + ENVELOPE_OVERHEAD
    assert sealed[:12] == iv
    assert decrypt(key, sealed) == plaintext


@given(data=st.binary(max_size=200))
def test_arbitrary_data_decrypts_or_raises_stream_decrypt_error(data: bytes) -> None:
    with contextlib.suppress(StreamDecryptError):
        decrypt(encryption_key(b"k"), data)
