"""The one definition of an ILP-over-HTTP request (ilp_over_http.py): the checks' headers and
the connector's header bytes say the same."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from ilpnode.ilp import build_ildcp_request, decode_prepare
from ilpnode.ilp_over_http import header_lines, headers, post_prepare


def test_header_lines_are_the_headers_as_bytes() -> None:
    assert header_lines("tok") == (
        b"Authorization: Bearer tok\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b"Accept: application/octet-stream\r\n"
    )
    assert headers("tok")["Authorization"] == "Bearer tok"


@pytest.mark.parametrize("token", ["caf\u00e9", "a\r\nX-Evil: 1", "tab\there", "del\x7f"])
def test_a_token_that_would_break_the_request_is_refused(token: str) -> None:
    with pytest.raises(ValueError, match="outgoing token"):
        header_lines(token)


async def test_post_prepare_posts_the_encoded_prepare_with_the_token() -> None:
    prepare = build_ildcp_request(expires_at=datetime(2030, 1, 1, tzinfo=UTC))
    seen: list[httpx.Request] = []

    def peer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"answer")

    async with httpx.AsyncClient(transport=httpx.MockTransport(peer)) as client:
        answer = await post_prepare(
            client, "http://bob.test/ilp", "tok", prepare, timeout_seconds=1.0
        )

    assert (answer.status, answer.body) == (200, b"answer")
    (request,) = seen
    assert request.method == "POST"
    assert request.headers["authorization"] == "Bearer tok"
    assert request.headers["content-type"] == "application/octet-stream"
    assert decode_prepare(request.content) == prepare
