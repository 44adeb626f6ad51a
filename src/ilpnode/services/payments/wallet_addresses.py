"""The wallet address service: create, update, read, withdraw (Rafiki's `walletAddressService`
and `createWalletAddressWithdrawal`, for the subset that applies to a node without Open
Payments grants, keys or incoming payments).

Order of `create`: the address (a URL under OPEN_PAYMENTS_URL, `urls.py`) -> the public name ->
the asset exists and the URL is free (one read) -> create the ledger account -> insert the row
-> the directory. As for peers (`services.peering.peers`), the ledger is never called inside a
database transaction (on SQLite the ledger commits to the same file): the account is created
first, so a committed wallet address always has its account; if the insert then fails (a
concurrent create of the same URL), an empty account remains whose id is a fresh UUID that
nothing will ever name. `load_all` creates any account that is missing at start (a ledger fault
in between) and loads the directory.

Memory changes in one way only: `WalletAddressDirectory.install` (see `directory.py`); the
service installs what it has just written, the change feed what it reads (`sync.py`).

Decisions where Rafiki differs:

- Addresses must follow the rules in `urls.py` (Rafiki accepts more spellings).
- `update` of an unknown id answers UnknownWalletAddress; a non-UUID id is unknown (Rafiki
  fails with a database error).
- The ledger account is created with the wallet address (Rafiki: lazily, at its first payment).
- `withdraw` withdraws the whole balance, as Rafiki's `createWalletAddressWithdrawal`; its id
  is the caller's UUIDv4 and `postLiquidityWithdrawal`/`voidLiquidityWithdrawal` finish a
  pending one. A balance of 0 answers AmountZero.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final
from uuid import UUID, uuid4

from ilpnode.accounting import (
    LiquidityError,
    LiquidityService,
    LiquidityState,
    UnknownAccount,
)
from ilpnode.clock import Clock
from ilpnode.ledger import AccountId
from ilpnode.services.payments import sync
from ilpnode.services.payments.directory import WalletAddressDirectory
from ilpnode.services.payments.errors import WalletAddressError
from ilpnode.services.payments.model import WalletAddress, WalletAddressStatus
from ilpnode.services.payments.ports import WalletAddressStore
from ilpnode.services.payments.urls import OpenPaymentsUrls
from ilpnode.services.peering import UNSET, Asset, Page, PageRequest, Patch, SyncCounts, Unset
from ilpnode.uuids import parse_uuid

__all__ = [
    "PUBLIC_NAME_LENGTH_MAX",
    "CreateWalletAddress",
    "UpdateWalletAddress",
    "WalletAddressService",
    "WalletAddressWithdrawal",
]

PUBLIC_NAME_LENGTH_MAX: Final = 255
"""Characters. A name shown to payers, not a document."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateWalletAddress:
    """`createWalletAddress` input."""

    asset_id: UUID | str
    address: str
    public_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateWalletAddress:
    """`updateWalletAddress` input: `UNSET` keeps a field; a None public name clears it."""

    id: UUID | str
    public_name: Patch[str | None] = UNSET
    status: Patch[WalletAddressStatus] = UNSET


@dataclass(frozen=True, slots=True, kw_only=True)
class WalletAddressWithdrawal:
    """A withdrawal made by `withdraw`: its id, the amount (the whole balance), from where, and
    whether it is pending (to post or void) or posted already."""

    id: UUID
    amount: int
    wallet_address: WalletAddress
    state: LiquidityState


class WalletAddressService:
    """Wallet addresses in the database, mirrored in the `WalletAddressDirectory`."""

    def __init__(
        self,
        *,
        store: WalletAddressStore,
        liquidity: LiquidityService,
        directory: WalletAddressDirectory,
        urls: OpenPaymentsUrls,
        clock: Clock,
    ) -> None:
        self._store = store
        self._liquidity = liquidity
        self._directory = directory
        self._clock = clock
        self.urls = urls
        """The node's OPEN_PAYMENTS_URL and its address rules."""

    @property
    def directory(self) -> WalletAddressDirectory:
        """The in-memory directory the service keeps in step."""
        return self._directory

    async def create(self, request: CreateWalletAddress) -> WalletAddress | WalletAddressError:
        """Create a wallet address and its ledger account (order: the module docstring).

        Returns:
            The wallet address, or InvalidUrl, InvalidPublicName, UnknownAsset (missing,
            deleted or not a UUID), DuplicateWalletAddress. Nothing is written on error. Raises
            only on infrastructure faults.
        """
        url = self.urls.wallet_address_url(request.address)
        if url is None:
            return WalletAddressError.InvalidUrl
        if not _is_valid_public_name(request.public_name):
            return WalletAddressError.InvalidPublicName
        asset_id = parse_uuid(request.asset_id)
        if asset_id is None:
            return WalletAddressError.UnknownAsset
        async with self._store.transaction() as tx:
            asset = await tx.asset_by_id(asset_id)
            taken = asset is not None and await tx.wallet_address_by_url(url) is not None
        if asset is None:
            return WalletAddressError.UnknownAsset
        if taken:
            return WalletAddressError.DuplicateWalletAddress
        now = self._clock.now()
        wallet_address = WalletAddress(
            id=uuid4(),
            url=url,
            asset_id=asset.id,
            public_name=request.public_name,
            created_at=now,
            updated_at=now,
        )
        entry = sync.hosted(wallet_address, asset)
        # The account first, outside any database transaction (see the module docstring).
        await self._liquidity.create_wallet_address_account(entry.account)
        with self._directory.observing() as stamp:
            async with self._store.transaction() as tx:
                error = await tx.insert_wallet_address(wallet_address)
            if error is not None:
                return error
            self._directory.install(stamp, wallet_address.id, entry)
        return wallet_address

    async def update(self, request: UpdateWalletAddress) -> WalletAddress | WalletAddressError:
        """Patch the public name and/or the status (INACTIVE stamps `deactivated_at`, ACTIVE
        clears it; the same status again changes nothing).

        Returns:
            The updated wallet address, or UnknownWalletAddress, InvalidPublicName. Nothing
            changes on error. Raises only on infrastructure faults.
        """
        if not isinstance(request.public_name, Unset) and not _is_valid_public_name(
            request.public_name
        ):
            return WalletAddressError.InvalidPublicName
        id_ = parse_uuid(request.id)
        if id_ is None:
            return WalletAddressError.UnknownWalletAddress
        with self._directory.observing() as stamp:
            async with self._store.transaction() as tx:
                old = await tx.wallet_address_by_id(id_)
                if old is None:
                    return WalletAddressError.UnknownWalletAddress
                new = _patched(old, request, now=self._clock.now())
                if not await tx.update_wallet_address(new):
                    return WalletAddressError.UnknownWalletAddress
                asset = await tx.asset_by_id(new.asset_id, include_deleted=True)
            if asset is not None:
                self._directory.install(stamp, new.id, sync.hosted(new, asset))
        return new

    async def get(self, wallet_address_id: UUID | str) -> WalletAddress | WalletAddressError:
        """The wallet address, or UnknownWalletAddress (missing or not a UUID)."""
        id_ = parse_uuid(wallet_address_id)
        if id_ is None:
            return WalletAddressError.UnknownWalletAddress
        async with self._store.transaction() as tx:
            found = await tx.wallet_address_by_id(id_)
        return WalletAddressError.UnknownWalletAddress if found is None else found

    async def by_url(self, url: str) -> WalletAddress | None:
        """The wallet address with this URL (compared lowercase, as Rafiki), or None."""
        async with self._store.transaction() as tx:
            return await tx.wallet_address_by_url(url.lower())

    async def page(self, request: PageRequest) -> Page[WalletAddress]:
        """A page of wallet addresses (validate the request with `pagination.page_request`)."""
        async with self._store.transaction() as tx:
            return await tx.wallet_address_page(request)

    async def asset_of(self, wallet_address: WalletAddress) -> Asset | None:
        """The wallet address's asset (even if soft-deleted), or None."""
        async with self._store.transaction() as tx:
            return await tx.asset_by_id(wallet_address.asset_id, include_deleted=True)

    async def liquidity(self, wallet_address: WalletAddress) -> int | None:
        """The balance of the wallet address's account (what it received and was not
        withdrawn), or None if the account is missing."""
        result = await self._liquidity.balance(_account_id(wallet_address))
        return None if isinstance(result, UnknownAccount) else result.balance

    async def withdraw(
        self,
        *,
        wallet_address_id: UUID | str,
        transfer_id: UUID | str,
        timeout_seconds: int,
    ) -> WalletAddressWithdrawal | LiquidityError:
        """`createWalletAddressWithdrawal`: withdraw the whole balance, pending if
        `timeout_seconds` > 0 (finish it with `post_withdrawal`/`void_withdrawal` of the
        liquidity service), else posted at once.

        Returns:
            The withdrawal, or UnknownWalletAddress, AmountZero (nothing to withdraw), InvalidId,
            InvalidTimeout, TransferExists, InsufficientBalance (the balance fell meanwhile).
            Raises only on infrastructure faults.
        """
        found = await self.get(wallet_address_id)
        if isinstance(found, WalletAddressError):
            return LiquidityError.UnknownWalletAddress
        async with self._store.transaction() as tx:
            asset = await tx.asset_by_id(found.asset_id, include_deleted=True)
        if asset is None:
            return LiquidityError.UnknownWalletAddress  # the foreign key makes this impossible
        account = sync.hosted(found, asset).account
        balance = await self._liquidity.balance(account.account_id)
        if isinstance(balance, UnknownAccount):
            return LiquidityError.UnknownWalletAddress
        if balance.balance == 0:
            return LiquidityError.AmountZero
        result = await self._liquidity.create_withdrawal(
            transfer_id=transfer_id,
            account=account,
            amount=balance.balance,
            timeout_seconds=timeout_seconds,
        )
        if isinstance(result, LiquidityError):
            return result
        return WalletAddressWithdrawal(
            id=result.transfer_id, amount=balance.balance, wallet_address=found, state=result.state
        )

    async def load_all(self) -> int:
        """At start: create any missing ledger account, then put every wallet address in the
        directory. Returns how many accounts were missing (0 in a healthy node)."""
        async with self._store.transaction() as tx:
            rows = await tx.all_wallet_addresses()
            assets = {
                asset_id: await tx.asset_by_id(asset_id, include_deleted=True)
                for asset_id in {row.asset_id for row in rows}
            }
        accounts = [
            sync.hosted(row, asset).account
            for row in rows
            if (asset := assets.get(row.asset_id)) is not None
        ]
        balances = await self._liquidity.balances([account.account_id for account in accounts])
        missing = [
            account
            for account, balance in zip(accounts, balances, strict=True)
            if isinstance(balance, UnknownAccount)
        ]
        for account in missing:
            await self._liquidity.create_wallet_address_account(account)
        await self.reconcile()
        return len(missing)

    async def refresh(self, wallet_address_ids: list[UUID] | set[UUID]) -> SyncCounts:
        """Make the directory match the database for these wallet addresses (created or changed
        by any process). Idempotent. Raises only on infrastructure faults."""
        changes = await sync.refresh(
            store=self._store, directory=self._directory, ids=wallet_address_ids
        )
        return SyncCounts.of(changes.values())

    async def reconcile(self) -> SyncCounts:
        """Make the directory match the database for every wallet address. Idempotent."""
        _, counts = await sync.reconcile(store=self._store, directory=self._directory)
        return counts


def _account_id(wallet_address: WalletAddress) -> AccountId:
    return AccountId(wallet_address.id.int)


def _is_valid_public_name(name: object) -> bool:
    if name is None:
        return True
    if not isinstance(name, str) or len(name) > PUBLIC_NAME_LENGTH_MAX:
        return False
    return not any(unicodedata.category(character) == "Cc" for character in name)


def _patched(old: WalletAddress, request: UpdateWalletAddress, *, now: datetime) -> WalletAddress:
    new = old
    if not isinstance(request.public_name, Unset):
        new = replace(new, public_name=request.public_name)
    if request.status is WalletAddressStatus.INACTIVE and old.deactivated_at is None:
        new = replace(new, deactivated_at=now)
    elif request.status is WalletAddressStatus.ACTIVE and old.deactivated_at is not None:
        new = replace(new, deactivated_at=None)
    return replace(new, updated_at=now)
