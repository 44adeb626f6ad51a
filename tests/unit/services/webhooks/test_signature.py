"""Canonical JSON and the Rafiki-Signature, checked against vectors made with Rafiki's own
library: `json_canonicalize_vectors.json` beside this file was written by a Node script with npm's
`json-canonicalize` 1.2.0 (what Rafiki's webhook service signs with) and `node:crypto`, which
canonicalised each `input` and signed `"<timestampMs>.<canonical>"` with HMAC-SHA256 and
`secret`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ilpnode.services.webhooks import canonical_json, signature_header, verify_signature

VECTORS: dict[str, Any] = json.loads(
    Path(__file__).with_name("json_canonicalize_vectors.json").read_text()
)
SECRET: str = VECTORS["secret"]
TIMESTAMP: int = VECTORS["timestampMs"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["canonical"][:24])
def test_canonical_json_is_json_canonicalize(vector: dict[str, Any]) -> None:
    assert canonical_json(vector["input"]) == vector["canonical"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["canonical"][:24])
def test_signature_is_rafikis(vector: dict[str, Any]) -> None:
    header = signature_header(vector["canonical"], secret=SECRET, version=1, timestamp_ms=TIMESTAMP)

    assert header == f"t={TIMESTAMP}, v1={vector['hmac']}"


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+1F600 is stored as the surrogates D83D DE00, which sort before U+FB01.
    assert canonical_json({"\ufb01": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ufb01":1}'


def test_lone_surrogates_and_controls_are_escaped_as_json_stringify_does() -> None:
    assert canonical_json("\ud800\x00\x7f") == '"\\ud800\\u0000\x7f"'


@pytest.mark.parametrize("value", [1.5, b"x", {1: "a"}, object()])
def test_values_a_webhook_never_holds_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_json(value)


def test_integers_javascript_cannot_read_exactly_are_refused() -> None:
    assert canonical_json(2**53 - 1) == "9007199254740991"
    with pytest.raises(ValueError, match="as a string"):
        canonical_json(2**53)


def test_a_receiver_verifies_what_we_sign() -> None:
    body = {"id": "e1", "type": "peer.liquidity_low", "data": {"balance": "5"}}
    header = signature_header(canonical_json(body), secret="s3cret", version=2, timestamp_ms=7)
    # The receiver parses the body: key order and spacing do not matter.
    parsed = json.loads(json.dumps(body, indent=2, sort_keys=False))

    assert verify_signature(header, parsed, secret="s3cret", version=2)
    assert not verify_signature(header, parsed, secret="other", version=2)
    assert not verify_signature(header, parsed, secret="s3cret", version=1)
    assert not verify_signature(header, {**parsed, "type": "x"}, secret="s3cret", version=2)
    assert not verify_signature("t=7, v2=zz", parsed, secret="s3cret", version=2)
