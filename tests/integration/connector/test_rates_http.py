"""The rates service client against a real HTTP server: Rafiki's format, errors in words."""

from __future__ import annotations

from collections.abc import AsyncIterator
from fractions import Fraction

import httpx
import pytest
from aiohttp import web

from ilpnode.connector.rates import RatesUnavailable
from ilpnode.connector.rates_http import MAX_ANSWER_BYTES, HttpRatesSource
from tests.support import free_port


@pytest.fixture
async def service() -> AsyncIterator[tuple[str, dict[str, web.StreamResponse]]]:
    answers: dict[str, web.StreamResponse] = {}

    async def rates(request: web.Request) -> web.StreamResponse:
        return answers[request.query["base"]]

    app = web.Application()
    app.router.add_get("/rates", rates)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/rates", answers
    finally:
        await runner.cleanup()


async def test_fetches_rafikis_format_exactly(
    service: tuple[str, dict[str, web.StreamResponse]],
) -> None:
    url, answers = service
    answers["USD"] = web.Response(text='{"base": "USD", "rates": {"EUR": 0.91, "MXN": 17.25}}')
    async with httpx.AsyncClient() as client:
        rates = await HttpRatesSource(url=url, client=client).fetch("USD")
    assert rates == {"EUR": Fraction(91, 100), "MXN": Fraction(1725, 100)}


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (web.Response(status=503, text="down"), "answered HTTP 503"),
        (web.Response(text="<html>"), "not JSON"),
        (web.Response(text='{"base": "EUR", "rates": {}}'), "for 'EUR'"),
        (web.Response(body=b"{" + b" " * (MAX_ANSWER_BYTES + 1)), "larger than 1 MiB"),
    ],
)
async def test_bad_answers_are_unavailable_in_words(
    service: tuple[str, dict[str, web.StreamResponse]], answer: web.Response, words: str
) -> None:
    url, answers = service
    answers["USD"] = answer
    async with httpx.AsyncClient() as client:
        with pytest.raises(RatesUnavailable, match=words):
            await HttpRatesSource(url=url, client=client).fetch("USD")


async def test_an_unreachable_service_is_unavailable() -> None:
    async with httpx.AsyncClient() as client:
        source = HttpRatesSource(url=f"http://127.0.0.1:{free_port()}/rates", client=client)
        with pytest.raises(RatesUnavailable, match="cannot fetch exchange rates for USD"):
            await source.fetch("USD")
