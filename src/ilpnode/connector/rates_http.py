"""The rates service client: `GET <EXCHANGE_RATES_URL>?base=<CODE>` (Rafiki's format, 5 s)."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Final

import httpx

from ilpnode.connector.rates import RatesUnavailable, parse_rates

__all__ = ["HttpRatesSource"]

FETCH_TIMEOUT_SECONDS: Final = 5.0  # Rafiki's
MAX_ANSWER_BYTES: Final = 1024 * 1024  # a rates table is a few KB; refuse to buffer more


class HttpRatesSource:
    def __init__(self, *, url: str, client: httpx.AsyncClient) -> None:
        self._url = url
        self._client = client

    async def fetch(self, base: str) -> Mapping[str, Fraction]:
        """Raises RatesUnavailable for an unreachable service, a non-200 or a bad answer."""
        try:
            async with self._client.stream(
                "GET", self._url, params={"base": base}, timeout=FETCH_TIMEOUT_SECONDS
            ) as response:
                if response.status_code != 200:
                    raise RatesUnavailable(
                        f"the rates service answered HTTP {response.status_code} for base {base}"
                    )
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise RatesUnavailable("the rates answer is larger than 1 MiB")
        except httpx.HTTPError as error:
            raise RatesUnavailable(f"cannot fetch exchange rates for {base}: {error!r}") from error
        try:
            return parse_rates(body, base=base)
        except ValueError as error:
            raise RatesUnavailable(str(error)) from None
