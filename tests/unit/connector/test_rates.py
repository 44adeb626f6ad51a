"""Exchange rates: exact conversion, static and fetched rates, caching, bad answers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from fractions import Fraction

import pytest

from ilpnode.connector.rates import (
    ExchangeRates,
    NoRate,
    RatesUnavailable,
    parse_rates,
    parse_static_rates,
)

from .harness import Clock


class CountingSource:
    def __init__(self, rates: Mapping[str, Mapping[str, Fraction]]) -> None:
        self.rates = rates
        self.calls: list[str] = []
        self.fail: Exception | None = None

    async def fetch(self, base: str) -> Mapping[str, Fraction]:
        self.calls.append(base)
        await asyncio.sleep(0)
        if self.fail is not None:
            raise self.fail
        return self.rates.get(base, {})


def rates(
    static: Mapping[str, Mapping[str, Fraction]] | None = None,
    source: CountingSource | None = None,
    clock: Clock | None = None,
) -> ExchangeRates:
    return ExchangeRates(
        static=static or {}, source=source, lifetime_ms=15_000, clock=clock or Clock()
    )


@pytest.mark.parametrize(
    ("amount", "source", "destination", "expected"),
    [
        (123, ("USD", 2), ("USD", 4), 12_300),  # same code: scale shift only
        (12_399, ("USD", 4), ("USD", 2), 123),  # rounds down
        (10**19, ("USD", 2), ("EUR", 2), 9 * 10**18),  # exact where float64 would not be
    ],
)
async def test_conversion_is_exact_and_rounds_down(
    amount: int, source: tuple[str, int], destination: tuple[str, int], expected: int
) -> None:
    converter = rates({"USD": {"EUR": Fraction("0.9")}})
    assert await converter.convert(amount, source=source, destination=destination) == expected


async def test_a_missing_static_rate_is_the_inverse_of_the_other_way() -> None:
    converter = rates({"USD": {"EUR": Fraction("0.8")}})
    assert await converter.rate("EUR", "USD") == Fraction(5, 4)
    with pytest.raises(NoRate):
        await converter.rate("USD", "JPY")


async def test_fetched_rates_are_cached_for_their_lifetime_and_fetched_once() -> None:
    clock = Clock()
    source = CountingSource({"USD": {"EUR": Fraction("0.9")}})
    converter = rates(source=source, clock=clock)
    results = await asyncio.gather(*(converter.rate("USD", "EUR") for _ in range(10)))
    assert set(results) == {Fraction(9, 10)}
    assert source.calls == ["USD"]  # ten concurrent asks, one fetch
    clock.value_ns += 14 * 10**9
    await converter.rate("USD", "EUR")
    assert source.calls == ["USD"]
    clock.value_ns += 2 * 10**9
    await converter.rate("USD", "EUR")
    assert source.calls == ["USD", "USD"]


async def test_static_rates_win_and_fetch_failures_are_unavailable() -> None:
    source = CountingSource({})
    source.fail = OSError("connection refused")
    converter = rates({"USD": {"EUR": Fraction(1, 2)}}, source=source)
    assert await converter.rate("USD", "EUR") == Fraction(1, 2)
    with pytest.raises(RatesUnavailable, match="connection refused"):
        await converter.rate("USD", "JPY")
    source.fail = None
    with pytest.raises(RatesUnavailable, match="connection refused"):
        await converter.rate("USD", "JPY")  # within a second: not asked again
    assert source.calls == ["USD"]


def test_parse_rates_reads_decimals_exactly() -> None:
    parsed = parse_rates(b'{"base": "USD", "rates": {"EUR": 0.1, "JPY": 150}}', base="USD")
    assert parsed == {"EUR": Fraction(1, 10), "JPY": Fraction(150)}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"base": "USD"}',
        b'{"base": "EUR", "rates": {"USD": 1}}',
        b'{"rates": {"EUR": 0}}',
        b'{"rates": {"EUR": -1}}',
        b'{"rates": {"EUR": "abc"}}',
        b'{"rates": {"EUR": NaN}}',
        b'{"rates": {"EUR": true}}',
    ],
)
def test_parse_rates_refuses_nonsense(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_rates(body, base="USD")


def test_static_rates_setting() -> None:
    assert parse_static_rates('{"USD": {"EUR": "0.91"}}') == {"USD": {"EUR": Fraction(91, 100)}}
    for bad in ('{"USD": 1}', "[]", '{"USD": {"EUR": 0}}', "{"):
        with pytest.raises(ValueError, match=r"."):
            parse_static_rates(bad)


async def test_a_failed_fetch_is_retried_after_a_second() -> None:
    clock = Clock()
    source = CountingSource({"USD": {"JPY": Fraction(150)}})
    source.fail = OSError("down")
    converter = rates(source=source, clock=clock)
    with pytest.raises(RatesUnavailable):
        await converter.rate("USD", "JPY")
    source.fail = None
    clock.value_ns += 1_000_000_001
    assert await converter.rate("USD", "JPY") == Fraction(150)
    assert source.calls == ["USD", "USD"]
