"""Exchange rates between assets, exact: rates are fractions, amounts stay integers.

Where rates come from, in this order: static rates from the settings (`EXCHANGE_RATES`), then a
rates service in Rafiki's format (`EXCHANGE_RATES_URL`, `GET <url>?base=USD` answering
`{"base": "USD", "rates": {"EUR": 0.91}}`), cached per base for `EXCHANGE_RATES_LIFETIME` ms, with
concurrent fetches of one base shared; a failed fetch is logged and not retried for a second.
A static rate B->A that is missing is taken as 1 / A->B.

Conversion (rafiki-peering §5.4): `floor(amount * rate * 10**(dst_scale - src_scale))`. Rafiki
computes it in float64; we compute it exactly (the rate's decimal digits as a Fraction), so a
large amount is never off by the float's rounding. The same code at another scale is rate 1.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Final, Protocol

from ilpnode.clock import Clock

__all__ = [
    "ExchangeRates",
    "NoRate",
    "RatesSource",
    "RatesUnavailable",
    "parse_rates",
    "parse_static_rates",
]

_NS_PER_MS: Final = 1_000_000
FAILURE_BACKOFF_NS: Final = 1_000_000_000
"""After a failed fetch, packets needing that base are refused at once for 1 s."""

logger = logging.getLogger("ilpnode.connector")


class NoRate(Exception):
    """No rate is known for the pair (ILP F07)."""


class RatesUnavailable(Exception):
    """The rates service could not be asked, or answered nonsense (ILP T00)."""


class RatesSource(Protocol):
    """Fetches the rates of one base currency: quote code -> rate."""

    async def fetch(self, base: str) -> Mapping[str, Fraction]: ...


def _rate(value: object, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError(f"{where}: the rate must be a number, not {value!r}")
    try:
        rate = Fraction(Decimal(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{where}: {value!r} is not a finite number") from None
    if rate <= 0:
        raise ValueError(f"{where}: the rate must be greater than 0, not {value}")
    return rate


def parse_rates(body: bytes, *, base: str) -> dict[str, Fraction]:
    """Parse a rates service answer `{"base": …, "rates": {code: number}}` exactly.

    Raises:
        ValueError: not JSON, another base, or a rate that is not a finite number > 0.
    """
    try:
        document = json.loads(body, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"the rates answer is not JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("rates"), dict):
        raise ValueError('the rates answer has no "rates" object')
    if document.get("base", base) != base:
        raise ValueError(f"asked for base {base}, the rates answer is for {document['base']!r}")
    return {
        str(code): _rate(value, f"rate {base}->{code}") for code, value in document["rates"].items()
    }


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a rate")


def parse_static_rates(text: str) -> dict[str, dict[str, Fraction]]:
    """Parse `EXCHANGE_RATES`: JSON `{"USD": {"EUR": 0.91, "MXN": "17.2"}, …}`.

    Raises:
        ValueError: the text is not such an object, or a rate is not a finite number > 0.
    """
    try:
        document = json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except ValueError as error:
        raise ValueError(f"not JSON: {error}") from None
    if not isinstance(document, dict) or not all(isinstance(v, dict) for v in document.values()):
        raise ValueError('expected {"BASE": {"QUOTE": rate, …}, …}')
    return {
        str(base): {str(quote): _rate(value, f"{base}->{quote}") for quote, value in quotes.items()}
        for base, quotes in document.items()
    }


class ExchangeRates:
    """Converts amounts between assets; see the module docstring for where rates come from."""

    def __init__(
        self,
        *,
        static: Mapping[str, Mapping[str, Fraction]],
        source: RatesSource | None,
        lifetime_ms: int,
        clock: Clock,
    ) -> None:
        self._static = {base: dict(quotes) for base, quotes in static.items()}
        self._source = source
        self._lifetime_ns = lifetime_ms * _NS_PER_MS
        self._clock = clock
        self._cache: dict[str, tuple[int, Mapping[str, Fraction]]] = {}  # base -> (until, rates)
        self._fetching: dict[str, asyncio.Future[Mapping[str, Fraction]]] = {}
        # base -> (until, why): a failed fetch is not retried before `until`, so an outage
        # costs each packet nothing, not a 5 s wait
        self._failed: dict[str, tuple[int, str]] = {}

    async def convert(
        self, amount: int, *, source: tuple[str, int], destination: tuple[str, int]
    ) -> int:
        """`amount` in the source asset (code, scale) -> the destination asset, rounded down.

        Raises:
            NoRate: no rate for the pair.
            RatesUnavailable: the rates service failed.
        """
        (source_code, source_scale), (destination_code, destination_scale) = source, destination
        rate = Fraction(1) if source_code == destination_code else None
        if rate is None:
            rate = await self.rate(source_code, destination_code)
        shift = destination_scale - source_scale
        factor = rate * 10**shift if shift >= 0 else rate / 10**-shift
        return int(amount * factor.numerator // factor.denominator)

    async def rate(self, base: str, quote: str) -> Fraction:
        """The rate base -> quote (see `convert` for the errors)."""
        static = self._static.get(base, {}).get(quote)
        if static is not None:
            return static
        inverse = self._static.get(quote, {}).get(base)
        if inverse is not None:
            return 1 / inverse
        if self._source is None:
            raise NoRate(f"no exchange rate from {base} to {quote}")
        rates = await self._rates_of(base)
        found = rates.get(quote)
        if found is None:
            raise NoRate(f"no exchange rate from {base} to {quote}")
        return found

    async def _rates_of(self, base: str) -> Mapping[str, Fraction]:
        now = self._clock.now_ns()
        cached = self._cache.get(base)
        if cached is not None and cached[0] > now:
            return cached[1]
        failed = self._failed.get(base)
        if failed is not None and failed[0] > now:
            raise RatesUnavailable(failed[1])
        pending = self._fetching.get(base)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(base))
            self._fetching[base] = pending
            pending.add_done_callback(lambda _: self._fetching.pop(base, None))
        return await asyncio.shield(pending)

    async def _fetch(self, base: str) -> Mapping[str, Fraction]:
        assert self._source is not None  # checked by the caller
        try:
            rates = await self._source.fetch(base)
        except Exception as error:
            why = str(error) if isinstance(error, RatesUnavailable) else repr(error)
            logger.warning("exchange rates for %s unavailable: %s", base, why)
            self._failed[base] = (self._clock.now_ns() + FAILURE_BACKOFF_NS, why)
            raise RatesUnavailable(why) from error
        self._failed.pop(base, None)
        self._cache[base] = (self._clock.now_ns() + self._lifetime_ns, rates)
        return rates
