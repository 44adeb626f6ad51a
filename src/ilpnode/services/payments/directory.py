"""The wallet addresses this node hosts, in memory: what the packet path and the SPSP server read.

Theory of operation
===================

The STREAM receiver looks a wallet address up once per packet, by the payment tag in the
connection's token (the wallet address's id), and the SPSP server once per request, by URL;
neither reads the database. `WalletAddressDirectory` holds one `HostedWalletAddress`
(`ilpnode.hosted_wallets`) per wallet
address, inactive ones included (with `active` False: the caller must refuse them), and changes
in one way only: `install(stamp, id, entry)` makes it show `entry` (None: forget it).

Who installs: the wallet address service after its own writes, and the refreshes of the change
feed and of start-up (`sync.py`). As for peers (`services.peering.memory`), every observation of
the database draws an increasing stamp before it starts (`observing()`), and an install older
than the last one installed for that wallet address is dropped as stale, so racing refreshes in
one process end with what the database has. The stamps of forgotten entries are kept until no
open observation can beat them (`forget_tombstones`).

Not thread-safe; one event loop owns it. Installing is synchronous: a reader never sees an entry
half-installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from ilpnode.hosted_wallets import HostedWalletAddress, WalletAddressLookup
from ilpnode.services.peering import Change

__all__ = ["PAYMENT_TAG_LENGTH", "WalletAddressDirectory"]

PAYMENT_TAG_LENGTH = 16
"""A payment tag is a wallet address id's 16 bytes."""


class WalletAddressDirectory(WalletAddressLookup):
    """Wallet address id (and URL) -> `HostedWalletAddress` (see the module docstring)."""

    def __init__(self) -> None:
        # Keyed by the id's int: `UUID.__hash__` is Python code, and every packet looks one up.
        self._by_id: dict[int, HostedWalletAddress] = {}
        self._by_url: dict[str, HostedWalletAddress] = {}
        self._stamps: dict[int, int] = {}  # the last installed stamp, forgotten entries included
        self._last_stamp = 0
        self._open: dict[int, None] = {}  # stamps of observations still going on

    # -- reading (the packet path, the SPSP server) ----------------------------------------------

    def get(self, wallet_address_id: UUID | None) -> HostedWalletAddress | None:
        """The wallet address (active or not), or None (also for None)."""
        if wallet_address_id is None:
            return None
        return self._by_id.get(wallet_address_id.int)

    def by_payment_tag(self, tag: bytes) -> HostedWalletAddress | None:
        """The wallet address whose id is these 16 bytes (a STREAM token's payment tag), or None
        (any other length included). Check `active` before crediting it."""
        if len(tag) != PAYMENT_TAG_LENGTH:
            return None
        return self._by_id.get(int.from_bytes(tag, "big"))

    def by_url(self, url: str) -> HostedWalletAddress | None:
        """The wallet address with exactly this (lowercase) URL, or None."""
        return self._by_url.get(url)

    def all(self) -> list[HostedWalletAddress]:
        """Every wallet address, in no particular order."""
        return list(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    # -- changing (the service, the refreshes) ---------------------------------------------------

    @contextmanager
    def observing(self) -> Iterator[int]:
        """A new stamp, drawn before the caller reads (or writes) the database."""
        self._last_stamp += 1
        stamp = self._last_stamp
        self._open[stamp] = None
        try:
            yield stamp
        finally:
            del self._open[stamp]

    def install(
        self, stamp: int, wallet_address_id: UUID, entry: HostedWalletAddress | None
    ) -> Change:
        """Make the directory show `entry` for `wallet_address_id` (None: forget it), unless an
        observation newer than `stamp` was installed for it already. Never raises."""
        key = wallet_address_id.int
        if stamp < self._stamps.get(key, 0):
            return Change.STALE
        self._stamps[key] = stamp
        old = self._by_id.get(key)
        if old == entry:
            return Change.UNCHANGED
        if old is not None:
            del self._by_url[old.url]
            del self._by_id[key]
        if entry is None:
            return Change.REMOVED
        self._by_id[key] = entry
        self._by_url[entry.url] = entry
        return Change.ADDED if old is None else Change.UPDATED

    def installed_ids(self) -> frozenset[UUID]:
        """Every wallet address in the directory."""
        return frozenset(UUID(int=key) for key in self._by_id)

    def forget_tombstones(self) -> None:
        """Drop the stamps of forgotten entries that every open observation is newer than."""
        oldest_open = min(self._open, default=self._last_stamp + 1)
        for key, stamp in list(self._stamps.items()):
            if stamp < oldest_open and key not in self._by_id:
                del self._stamps[key]
