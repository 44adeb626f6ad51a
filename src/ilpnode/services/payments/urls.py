"""Wallet address URLs under this node's `OPEN_PAYMENTS_URL` (Rafiki's `createWalletAddressUrl`).

`OPEN_PAYMENTS_URL` is the public base URL of the wallet addresses this node hosts (Rafiki's
name), e.g. `https://wallet.example/`: the address `https://wallet.example/alice` is served by
this node's Open Payments port (OPEN_PAYMENTS_PORT), behind whatever proxy terminates TLS there.

Rules for an address given to `createWalletAddress` (as Rafiki, except where marked):

- a full URL must lie under the base URL; anything else is a path relative to it (`alice` or
  `/alice` give `<base>/alice`);
- the whole URL is lowercased (Rafiki stores and looks up addresses lowercase);
- the path below the base must not be empty, nor contain `/incoming-payments`,
  `/outgoing-payments` or `/quotes` (Open Payments' own resources);
- [ilpnode] the scheme is the base's (Rafiki insists on https; a node whose base is http, for a
  local test, hosts http addresses); the host and port are the base's, compared with default
  ports removed; the base's path ends at a `/` (`https://x/wa` does not cover `https://x/wallet`,
  which Rafiki's string prefix test would allow);
- [ilpnode] the path below the base is made of segments of `a-z 0-9 . _ ~ -` separated by single
  `/`, none `.` or `..`, without a trailing `/`; no query, fragment, user info or percent
  escapes: such URLs have several spellings, and a payment pointer must name one address;
- [ilpnode] at most `URL_LENGTH_MAX` characters.

The SPSP server maps a request path back to an address with `url_for_path`: the base's scheme
and host, and the request's path, lowercased. So a proxy in front of the port must pass the
path unchanged.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

__all__ = ["FORBIDDEN_PATHS", "URL_LENGTH_MAX", "OpenPaymentsUrls"]

URL_LENGTH_MAX: Final = 2048
"""Longer than any name a person types; short enough for any proxy's request line limit."""

FORBIDDEN_PATHS: Final = ("/incoming-payments", "/outgoing-payments", "/quotes")
"""Rafiki's: these name Open Payments resources under a wallet address."""

_SEGMENT = re.compile(r"[a-z0-9._~-]+").fullmatch
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class OpenPaymentsUrls:
    """The base URL and the address rules of the module docstring.

    Raises:
        ValueError: `base_url` is not an http(s) URL with a host, or has a query, a fragment or
            user info (`config.Settings` checks the same, so a running node never sees this).
    """

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url.lower())
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http(s) URL with a host")
        if parts.query or parts.fragment or parts.username is not None or "#" in base_url:
            raise ValueError(f"{base_url!r} must not have a query, a fragment or user info")
        port = parts.port  # ValueError for a bad one
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = port if port is not None else _DEFAULT_PORTS[parts.scheme]
        shown_port = "" if self._port == _DEFAULT_PORTS[self._scheme] else f":{self._port}"
        self.origin: Final = f"{self._scheme}://{self._host}{shown_port}"
        """`scheme://host[:port]`, lowercase, without a default port."""
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.base: Final = self.origin + path
        """The normalized base URL, ending in `/`; every wallet address starts with it."""
        self._base_path = path

    def wallet_address_url(self, address: str) -> str | None:
        """The canonical URL for `address` (a full URL or a path below the base), or None if it
        breaks a rule of the module docstring (Rafiki's InvalidUrl)."""
        if not isinstance(address, str) or len(address) > URL_LENGTH_MAX:
            return None
        text = address.lower()
        if "://" not in text:
            return self._check_path(self._base_path + text.removeprefix("/"))
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            return None
        if parts.scheme != self._scheme or parts.hostname != self._host:
            return None
        if parts.query or parts.fragment or "?" in text or "#" in text:
            return None
        if parts.username is not None or parts.password is not None:
            return None
        if (port if port is not None else _DEFAULT_PORTS[parts.scheme]) != self._port:
            return None
        return self._check_path(parts.path)

    def url_for_path(self, path: str) -> str:
        """The wallet address URL a request for `path` (on the Open Payments port) names: the
        base's origin and `path`, lowercased. It may name no wallet address at all."""
        return self.origin + path.lower()

    def _check_path(self, path: str) -> str | None:
        if not path.startswith(self._base_path):
            return None
        below = path[len(self._base_path) :]
        if not below or any(forbidden in path for forbidden in FORBIDDEN_PATHS):
            return None
        for segment in below.split("/"):
            if not _SEGMENT(segment) or segment in (".", ".."):
                return None
        url = self.origin + path
        return url if len(url) <= URL_LENGTH_MAX else None
