"""The chart of accounts on the ledger: creating asset, peer and wallet address accounts, reading
balances.

Creating is idempotent. The asset, peer and wallet address services call the creators when they
create an asset, a peer or a wallet address, and at start-up to make sure every known one has its
accounts (so a crash
between the database insert and the account creation heals itself). An account that exists
identically is a success (`EXISTS`); one that exists with other fields (`EXISTS_WITH_DIFFERENT_*`)
means two things were given the same id or an asset's ledger number changed: a bug, so it raises.
The asset liquidity account is stored with `LINKED` in its flags (it was created as the first of
a linked pair), so it must always be created through `create_asset_accounts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ilpnode.accounting.accounts import (
    AccountBalance,
    AssetAccounts,
    PeerAccount,
    UnknownAccount,
    WalletAddressAccount,
)
from ilpnode.ledger import Account, AccountFlags, AccountId, CreateAccountStatus, Ledger

__all__ = [
    "AccountConflictError",
    "create_asset_accounts",
    "create_peer_account",
    "create_wallet_address_account",
    "read_balances",
]


class AccountConflictError(RuntimeError):
    """The ledger refused to create an account we derive: a bug, never a business failure.

    Attributes:
        account_id: the account that was refused.
        status: why (typically `EXISTS_WITH_DIFFERENT_*`).
    """

    def __init__(self, account_id: AccountId, status: CreateAccountStatus) -> None:
        super().__init__(f"ledger refused account {account_id:#x}: {status.name}")
        self.account_id = account_id
        self.status = status


async def create_asset_accounts(ledger: Ledger, asset: AssetAccounts) -> None:
    """Create an asset's liquidity and settlement accounts as one linked pair (all or nothing).

    Args:
        ledger: the ledger.
        asset: the asset's accounts.

    Returns:
        None once both accounts exist as described (created now or before).

    Raises:
        AccountConflictError: an account exists with other fields (a bug).
    """
    liquidity, settlement = asset.accounts()
    liquidity = replace(liquidity, flags=liquidity.flags | AccountFlags.LINKED)
    await _create(ledger, [liquidity, settlement])


async def create_peer_account(ledger: Ledger, peer: PeerAccount) -> None:
    """Create a peer's liquidity account.

    Args:
        ledger: the ledger.
        peer: the peer's account.

    Returns:
        None once the account exists as described (created now or before).

    Raises:
        AccountConflictError: the account exists with other fields (a bug).
    """
    await _create(ledger, [peer.account()])


async def create_wallet_address_account(
    ledger: Ledger, wallet_address: WalletAddressAccount
) -> None:
    """Create a hosted wallet address's liquidity account.

    Args:
        ledger: the ledger.
        wallet_address: the wallet address's account.

    Returns:
        None once the account exists as described (created now or before).

    Raises:
        AccountConflictError: the account exists with other fields (a bug).
    """
    await _create(ledger, [wallet_address.account()])


async def read_balances(
    ledger: Ledger, account_ids: Sequence[AccountId]
) -> list[AccountBalance | UnknownAccount]:
    """Read the balances of several accounts in one ledger lookup.

    Args:
        ledger: the ledger.
        account_ids: the accounts (peer, asset liquidity or settlement ids).

    Returns:
        One entry per id, in order: its `AccountBalance`, or `UnknownAccount` if the ledger has
        no such account. Raises only on infrastructure faults.
    """
    found = {a.id: a for a in await ledger.lookup_accounts(account_ids)}
    return [
        AccountBalance.of(found[id_]) if id_ in found else UnknownAccount(id_)
        for id_ in account_ids
    ]


async def _create(ledger: Ledger, accounts: Sequence[Account]) -> None:
    results = await ledger.create_accounts(accounts)
    failures = [r for r in results if not r.ok]
    if not failures:
        return
    root = next(
        (r for r in failures if r.status is not CreateAccountStatus.LINKED_EVENT_FAILED),
        failures[0],
    )
    raise AccountConflictError(accounts[root.index].id, root.status)
