"""The SPSP client on an httpx MockTransport: payment pointers and URLs, what goes on the wire,
what a valid answer is, and a clear error for everything else."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

from ilpnode.services.payments_sender import (
    SPSP_ACCEPT,
    SpspError,
    SpspReceiver,
    query_spsp,
    spsp_url,
)

SECRET = bytes(range(32))
ACCOUNT = "test.rafiki.wallets.AbC-123_x"
SPSP4 = "application/spsp4+json"


def answering(
    handler: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request] | None = None
) -> httpx.AsyncClient:
    def record(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)

    return httpx.AsyncClient(transport=httpx.MockTransport(record))


def spsp_answer(**fields: object) -> httpx.Response:
    body = {
        "destination_account": ACCOUNT,
        "shared_secret": base64.urlsafe_b64encode(SECRET).decode().rstrip("="),
        **fields,
    }
    return httpx.Response(200, json=body, headers={"content-type": SPSP4})


@pytest.mark.parametrize(
    ("receiver", "url"),
    [
        ("$wallet.example/alice", "https://wallet.example/alice"),
        ("$wallet.example", "https://wallet.example/.well-known/pay"),
        ("$wallet.example/", "https://wallet.example/.well-known/pay"),
        ("$wallet.example:8443/a/b", "https://wallet.example:8443/a/b"),
        ("https://wallet.example/alice", "https://wallet.example/alice"),
        ("http://localhost:3000/alice", "http://localhost:3000/alice"),
        ("http://127.0.0.1:3000/alice", "http://127.0.0.1:3000/alice"),
        ("http://[::1]:3000/alice", "http://[::1]:3000/alice"),
        (" $wallet.example/alice ", "https://wallet.example/alice"),
    ],
)
def test_receivers_resolve_to_their_spsp_endpoint(receiver: str, url: str) -> None:
    assert spsp_url(receiver) == url


@pytest.mark.parametrize(
    ("receiver", "message"),
    [
        ("http://wallet.example/alice", "needs https"),
        ("$", "not a payment pointer"),
        ("$user@wallet.example/a", "not a payment pointer"),
        ("$wallet.example/a?x=1", "not a payment pointer"),
        ("$wallet.example/a#f", "not a payment pointer"),
        ("wallet.example/alice", "neither a payment pointer nor"),
        ("ftp://wallet.example/alice", "neither a payment pointer nor"),
        ("https://user:pw@wallet.example/alice", "user info"),
    ],
)
def test_bad_receivers_are_refused(receiver: str, message: str) -> None:
    with pytest.raises(SpspError, match=message):
        spsp_url(receiver)


def test_plain_http_elsewhere_only_when_allowed() -> None:
    url = "http://wallet.internal/alice"
    assert spsp_url(url, allow_http=True) == url


async def test_a_valid_answer_with_the_headers_it_was_asked_with() -> None:
    seen: list[httpx.Request] = []
    nonce, receipt_secret = bytes([1]) * 16, bytes([2]) * 32
    async with answering(lambda _: spsp_answer(receipts_enabled=True), seen) as client:
        receiver = await query_spsp(
            client, "$wallet.example/alice", receipt_nonce=nonce, receipt_secret=receipt_secret
        )
    assert receiver == SpspReceiver(
        url="https://wallet.example/alice",
        destination_account=ACCOUNT,
        shared_secret=SECRET,
        receipts_enabled=True,
    )
    assert "shared_secret" not in repr(receiver)
    [request] = seen
    assert request.method == "GET"
    assert request.headers["accept"] == SPSP_ACCEPT
    assert base64.b64decode(request.headers["receipt-nonce"]) == nonce
    assert base64.b64decode(request.headers["receipt-secret"]) == receipt_secret


@pytest.mark.parametrize(
    "encoded",
    [
        base64.b64encode(SECRET).decode(),
        base64.urlsafe_b64encode(SECRET).decode(),
        base64.urlsafe_b64encode(SECRET).decode().rstrip("="),
    ],
    ids=["base64", "base64url", "unpadded"],
)
async def test_the_secret_in_base64_or_base64url(encoded: str) -> None:
    async with answering(lambda _: spsp_answer(shared_secret=encoded, extra={"x": 1})) as client:
        receiver = await query_spsp(client, "https://wallet.example/alice")
    assert receiver.shared_secret == SECRET
    assert not receiver.receipts_enabled


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            httpx.Response(404, json={"id": "InvalidReceiverError", "message": "no wallet"}),
            r"no such receiver at https://wallet.example/alice \(404: no wallet\)",
        ),
        (httpx.Response(406, text="Not Acceptable"), "answered 406, not an SPSP answer"),
        (httpx.Response(404, json=["no"]), r"no such receiver at \S+ \(404\)$"),
        (httpx.Response(302, headers={"location": "https://evil/"}), "a redirect"),
        (
            httpx.Response(200, text="<html></html>", headers={"content-type": "text/html"}),
            "answered text/html, not an SPSP answer",
        ),
        (httpx.Response(200, text="{nope", headers={"content-type": SPSP4}), "not JSON"),
        (httpx.Response(200, content=b'{"a": 1}'), "no destination_account"),  # no type: read
        (httpx.Response(200, json=[1, 2]), "not an object"),
        (spsp_answer(destination_account=None), "no destination_account"),
        (spsp_answer(destination_account="not an address"), "not an ILP address"),
        (spsp_answer(shared_secret=None), "shared_secret is not 32 bytes"),
        (spsp_answer(shared_secret="%%%"), "shared_secret is not 32 bytes"),
        (spsp_answer(shared_secret=base64.b64encode(bytes(16)).decode()), "not 32 bytes"),
        (spsp_answer(receipts_enabled="yes"), "receipts_enabled is not true or false"),
        (httpx.Response(200, content=b"x" * 70_000), "more than 65536 bytes"),
    ],
)
async def test_anything_else_is_a_clear_error(response: httpx.Response, message: str) -> None:
    async with answering(lambda _: response) as client:
        with pytest.raises(SpspError, match=message):
            await query_spsp(client, "https://wallet.example/alice")


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (httpx.ReadTimeout("slow"), r"did not answer within 2 s"),
        (httpx.ConnectError("refused"), "cannot reach https://wallet.example/alice: refused"),
    ],
)
async def test_network_failures_are_clear_errors(error: Exception, message: str) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    async with answering(fail) as client:
        with pytest.raises(SpspError, match=message):
            await query_spsp(client, "https://wallet.example/alice", timeout_seconds=2)


@pytest.mark.parametrize("url", ["https://wallet.example:abc/alice", "https://xn--/alice"])
async def test_an_invalid_url_is_a_clear_error(url: str) -> None:
    async with answering(lambda _: spsp_answer()) as client:
        with pytest.raises(SpspError, match="is not a valid URL"):
            await query_spsp(client, url)


async def test_half_a_receipt_setup_is_a_caller_bug() -> None:
    async with answering(lambda _: spsp_answer()) as client:
        with pytest.raises(ValueError, match="go together"):
            await query_spsp(client, "$w.example", receipt_nonce=bytes(16))
        with pytest.raises(ValueError, match="16 bytes"):
            await query_spsp(client, "$w.example", receipt_nonce=bytes(1), receipt_secret=bytes(1))
