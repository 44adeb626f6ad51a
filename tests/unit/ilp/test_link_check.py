"""`read_link_check_answer`: a peer's HTTP answer to an IL-DCP request, in words."""

from __future__ import annotations

from ilpnode.ilp import (
    Fulfill,
    IldcpResponse,
    Reject,
    encode_fulfill,
    encode_ildcp_response,
    encode_reject,
    read_link_check_answer,
)

WHO = {"label": "Bob", "endpoint": "http://bob.test/ilp", "asset_code": "USD", "asset_scale": 2}


def _ildcp(address: str = "test.alice", code: str = "USD", scale: int = 2) -> bytes:
    response = IldcpResponse(client_address=address, asset_code=code, asset_scale=scale)
    return encode_fulfill(encode_ildcp_response(response))


def test_an_ildcp_answer_that_agrees() -> None:
    read = read_link_check_answer(200, _ildcp(), **WHO, own_address="test.alice")
    assert read.ok
    assert read.lines == (
        "Peer Bob at http://bob.test/ilp accepted our token.",
        "It knows this node as test.alice, asset USD scale 2.",
    )


def test_without_our_address_only_the_asset_is_compared() -> None:
    read = read_link_check_answer(200, _ildcp(address="test.other", scale=9), **WHO)
    assert read.ok
    assert len(read.lines) == 3
    assert "disagree on the asset" in read.lines[2]


def test_a_fulfill_that_is_not_ildcp_still_proves_the_link() -> None:
    read = read_link_check_answer(200, encode_fulfill(Fulfill(fulfillment=bytes(32))), **WHO)
    assert read.ok
    assert read.lines[1].startswith("Its IL-DCP answer cannot be read:")


def test_a_reject_without_a_message() -> None:
    reject = encode_reject(Reject(code="F00", triggered_by="", message=""))
    read = read_link_check_answer(200, reject, **WHO)
    assert read.ok
    assert "It does not answer IL-DCP (F00 from ?: no message)" in read.lines[1]


def test_http_failures_are_not_a_working_link() -> None:
    forbidden = read_link_check_answer(403, b"", **WHO)
    assert not forbidden.ok
    assert forbidden.lines == (
        "Peer Bob refused our outgoing token (HTTP 403): check the token it gave you.",
    )
    broken = read_link_check_answer(500, b"\xff" * 300, **WHO)
    assert not broken.ok
    assert broken.lines[0].startswith("Peer Bob answered HTTP 500 instead of an ILP packet: ")
    assert len(broken.lines[0]) < 300  # the body is cut short
