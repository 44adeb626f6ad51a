"""`read_link_check_answer`: a peer's HTTP answer to an IL-DCP request, in words."""

from __future__ import annotations

from ilpnode.ilp import (
    Fulfill,
    IldcpResponse,
    LinkCheckAnswer,
    Reject,
    encode_fulfill,
    encode_ildcp_response,
    encode_reject,
    read_link_check_answer,
)


def _read(status: int, body: bytes, own_address: str | None = None) -> LinkCheckAnswer:
    return read_link_check_answer(
        status,
        body,
        label="Bob",
        endpoint="http://bob.test/ilp",
        asset_code="USD",
        asset_scale=2,
        own_address=own_address,
    )


def _ildcp(address: str = "test.alice", code: str = "USD", scale: int = 2) -> bytes:
    response = IldcpResponse(client_address=address, asset_code=code, asset_scale=scale)
    return encode_fulfill(encode_ildcp_response(response))


def test_an_ildcp_answer_that_agrees() -> None:
    read = _read(200, _ildcp(), own_address="test.alice")
    assert read.ok
    assert read.lines == (
        "Peer Bob at http://bob.test/ilp accepted our token.",
        "It knows this node as test.alice, asset USD scale 2.",
    )


def test_without_our_address_only_the_asset_is_compared() -> None:
    read = _read(200, _ildcp(address="test.other", scale=9))
    assert read.ok
    assert len(read.lines) == 3
    assert "disagree on the asset" in read.lines[2]


def test_a_fulfill_that_is_not_ildcp_still_proves_the_link() -> None:
    read = _read(200, encode_fulfill(Fulfill(fulfillment=bytes(32))))
    assert read.ok
    assert read.lines[1].startswith("Its IL-DCP answer cannot be read:")


def test_a_reject_without_a_message() -> None:
    reject = encode_reject(Reject(code="F00", triggered_by="", message=""))
    read = _read(200, reject)
    assert read.ok
    assert "It does not answer IL-DCP (F00 from ?: no message)" in read.lines[1]


def test_http_failures_are_not_a_working_link() -> None:
    forbidden = _read(403, b"")
    assert not forbidden.ok
    assert forbidden.lines == (
        "Peer Bob refused our outgoing token (HTTP 403): check the token it gave you.",
    )
    broken = _read(500, b"\xff" * 300)
    assert not broken.ok
    assert broken.lines[0].startswith("Peer Bob answered HTTP 500 instead of an ILP packet: ")
    assert len(broken.lines[0]) < 300  # the body is cut short
