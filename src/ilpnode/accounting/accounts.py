"""Which ledger accounts exist, how their ids are derived, and how their balances read.

Rafiki's accounting model (rafiki-peering §6.1), on our `Ledger` port:

- Per asset, on ledger `asset.ledger` (the small positive number the asset service assigns):
  a liquidity account (code 2, `DEBITS_MUST_NOT_EXCEED_CREDITS`, id = the asset's UUID as a u128)
  and a settlement account (code 101, `CREDITS_MUST_NOT_EXCEED_DEBITS`), created as a linked pair.
- Per peer, on its asset's ledger: a liquidity account (code 3, `DEBITS_MUST_NOT_EXCEED_CREDITS`,
  id = the peer's UUID as a u128). Its balance is the credit line we extend to that peer.
- Per wallet address hosted by the node, on its asset's ledger: a liquidity account (code 1,
  Rafiki's LIQUIDITY_WEB_MONETIZATION, `DEBITS_MUST_NOT_EXCEED_CREDITS`, id = the wallet address's
  UUID as a u128). Payments received over STREAM credit it; a withdrawal pays it out.
- Per outgoing payment sent by the node, on its source asset's ledger: a liquidity account (code
  5, Rafiki's LIQUIDITY_OUTGOING, `DEBITS_MUST_NOT_EXCEED_CREDITS`, id derived from the payment's
  id: `outgoing_payment_account_id`). Funded with the most the payment may debit; its packets
  are reserved from it; what is left at the end pays the sending fee and goes back to the source
  (`services.outgoing_payments`).
- Every account of an asset has `user_data_128` = the asset's UUID (as Rafiki's TigerBeetle code).

Settlement account id: Rafiki/TigerBeetle uses `asset.ledger` itself, a small integer that could
clash with nothing today but is not a UUID. We derive it from the asset id instead:
`uuid5(SETTLEMENT_NAMESPACE, f"settlement:{asset_id}").int`. It is deterministic (no lookup table,
every process agrees), and being a version-5 UUID it can never equal a peer's or an asset's id
(version-4 UUIDs): the version bits differ.

All descriptors here are plain values validated on construction: a malformed one is a programming
error (`ValueError`), never a business failure.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar, Final
from uuid import UUID, uuid5

from ilpnode.ledger import ID_INT_MAX, Account, AccountFlags, AccountId

__all__ = [
    "OUTGOING_PAYMENT_NAMESPACE",
    "SETTLEMENT_NAMESPACE",
    "AccountBalance",
    "AccountCode",
    "AssetAccounts",
    "OutgoingPaymentAccount",
    "PacketAccount",
    "PeerAccount",
    "TransferCode",
    "UnknownAccount",
    "WalletAddressAccount",
    "outgoing_payment_account_id",
    "settlement_account_id",
]

_LEDGER_MAX: Final = 2**32 - 1  # TigerBeetle `ledger` is u32
_LIQUIDITY_FLAGS: Final = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
_SETTLEMENT_FLAGS: Final = AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS

SETTLEMENT_NAMESPACE: Final = UUID("8e70c2ee-b9d9-42fd-ad32-4187764769e5")
"""The fixed uuid5 namespace of settlement account ids. Never change it: ids are persistent."""

OUTGOING_PAYMENT_NAMESPACE: Final = UUID("0f5e2d6c-3b7a-4c19-8e41-9d2a6b5c7e83")
"""The fixed uuid5 namespace of outgoing payment account ids. Never change it."""


class AccountCode(enum.IntEnum):
    """Account `code` values (Rafiki's TigerBeetle codes, rafiki-peering §6.1).

    The asset, peer, wallet address (LIQUIDITY_WEB_MONETIZATION), outgoing payment
    (LIQUIDITY_OUTGOING) and settlement accounts are created today; LIQUIDITY_INCOMING is
    reserved so that a later account kind keeps Rafiki's number.
    """

    LIQUIDITY_WEB_MONETIZATION = 1
    LIQUIDITY_ASSET = 2
    LIQUIDITY_PEER = 3
    LIQUIDITY_INCOMING = 4
    LIQUIDITY_OUTGOING = 5
    SETTLEMENT = 101


class TransferCode(enum.IntEnum):
    """Transfer `code` values (Rafiki's TigerBeetle codes, rafiki-peering §6.5)."""

    TRANSFER = 1
    """A leg of a packet transfer."""
    DEPOSIT = 2
    WITHDRAWAL = 3


@lru_cache(maxsize=4096)
def settlement_account_id(asset_id: UUID) -> AccountId:
    """The settlement account id of an asset (see the module docstring).

    Args:
        asset_id: the asset's UUID.

    Returns:
        `uuid5(SETTLEMENT_NAMESPACE, f"settlement:{asset_id}").int`. Never raises.
    """
    return AccountId(uuid5(SETTLEMENT_NAMESPACE, f"settlement:{asset_id}").int)


@lru_cache(maxsize=4096)
def outgoing_payment_account_id(payment_id: UUID) -> AccountId:
    """The account id of an outgoing payment: `uuid5(OUTGOING_PAYMENT_NAMESPACE, str(id)).int`.

    Derived, not the payment's id itself: a client may choose a payment's id, and the account id
    must never be another account's (a version-5 UUID never equals the version-4 ids of peers,
    assets and wallet addresses, nor, with its own namespace, a settlement account's)."""
    return AccountId(uuid5(OUTGOING_PAYMENT_NAMESPACE, str(payment_id)).int)


def _check_account_id(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 < value < ID_INT_MAX:
        raise ValueError(f"{name} must be in 1..2**128-2, got {value}")


def _check_ledger(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"ledger must be an int, not {type(value).__name__}")
    if not 0 < value <= _LEDGER_MAX:
        raise ValueError(f"ledger must be in 1..{_LEDGER_MAX}, got {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetAccounts:
    """An asset's two ledger accounts: its liquidity account and its settlement account.

    Raises:
        ValueError: `ledger` outside 1..2**32-1, or the nil UUID as `asset_id`.
    """

    asset_id: UUID
    ledger: int
    liquidity_account_id: AccountId = field(init=False)
    settlement_account_id: AccountId = field(init=False)

    def __post_init__(self) -> None:
        _check_ledger(self.ledger)
        _check_account_id("asset_id", self.asset_id.int)
        object.__setattr__(self, "liquidity_account_id", AccountId(self.asset_id.int))
        object.__setattr__(self, "settlement_account_id", settlement_account_id(self.asset_id))

    def accounts(self) -> tuple[Account, Account]:
        """The two `Account` records to create (liquidity first; not yet linked)."""
        user_data = self.asset_id.int
        return (
            Account(
                id=self.liquidity_account_id,
                ledger=self.ledger,
                code=AccountCode.LIQUIDITY_ASSET,
                flags=_LIQUIDITY_FLAGS,
                user_data_128=user_data,
            ),
            Account(
                id=self.settlement_account_id,
                ledger=self.ledger,
                code=AccountCode.SETTLEMENT,
                flags=_SETTLEMENT_FLAGS,
                user_data_128=user_data,
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PacketAccount:
    """A liquidity account that a packet transfer debits or credits: a peer's
    (`PeerAccount`) or a hosted wallet address's (`WalletAddressAccount`).

    `PacketAccounting.create_packet_transfer` takes either kind on either side: it needs only the
    account, its ledger and its asset's liquidity account. Use the subclasses; each knows its
    account `code`.

    Attributes:
        account_id: the owner's UUID as a u128.
        ledger: its asset's ledger number.
        asset_account_id: its asset's liquidity account id (the asset's UUID as a u128).

    Raises:
        ValueError: an id of 0 or 2**128-1, equal ids, or `ledger` outside 1..2**32-1.
    """

    CODE: ClassVar[AccountCode]
    """The account `code` of this kind of account."""

    account_id: AccountId
    ledger: int
    asset_account_id: AccountId

    def __post_init__(self) -> None:
        _check_account_id("account_id", self.account_id)
        _check_account_id("asset_account_id", self.asset_account_id)
        _check_ledger(self.ledger)
        if self.account_id == self.asset_account_id:
            raise ValueError(f"a {type(self).__name__} cannot be its asset's account")

    @property
    def settlement_account_id(self) -> AccountId:
        """The settlement account of the owner's asset."""
        return settlement_account_id(UUID(int=self.asset_account_id))

    def account(self) -> Account:
        """The `Account` record to create."""
        return Account(
            id=self.account_id,
            ledger=self.ledger,
            code=self.CODE,
            flags=_LIQUIDITY_FLAGS,
            user_data_128=self.asset_account_id,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerAccount(PacketAccount):
    """A peer's liquidity account (code LIQUIDITY_PEER), as the connector and the services name
    it. Its balance is the credit line we extend to the peer. See `PacketAccount`."""

    CODE: ClassVar[AccountCode] = AccountCode.LIQUIDITY_PEER

    @classmethod
    def for_peer(cls, *, peer_id: UUID, asset_id: UUID, ledger: int) -> PeerAccount:
        """The account of peer `peer_id` whose asset is `asset_id` on ledger `ledger`."""
        return cls(
            account_id=AccountId(peer_id.int),
            ledger=ledger,
            asset_account_id=AccountId(asset_id.int),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class WalletAddressAccount(PacketAccount):
    """A hosted wallet address's liquidity account (code LIQUIDITY_WEB_MONETIZATION, as Rafiki's
    account for what a wallet address receives over SPSP/STREAM). Its balance is what the wallet
    address received and was not yet withdrawn. See `PacketAccount`."""

    CODE: ClassVar[AccountCode] = AccountCode.LIQUIDITY_WEB_MONETIZATION

    @classmethod
    def for_wallet_address(
        cls, *, wallet_address_id: UUID, asset_id: UUID, ledger: int
    ) -> WalletAddressAccount:
        """The account of wallet address `wallet_address_id` in asset `asset_id` on `ledger`."""
        return cls(
            account_id=AccountId(wallet_address_id.int),
            ledger=ledger,
            asset_account_id=AccountId(asset_id.int),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingPaymentAccount(PacketAccount):
    """An outgoing payment's own liquidity account (code LIQUIDITY_OUTGOING, as Rafiki's): the
    source of its packets. Its debits posted are what the payment sent (the source amounts of
    its fulfilled packets) until the payment is settled. See `PacketAccount`."""

    CODE: ClassVar[AccountCode] = AccountCode.LIQUIDITY_OUTGOING

    @classmethod
    def for_payment(
        cls, *, payment_id: UUID, asset_id: UUID, ledger: int
    ) -> OutgoingPaymentAccount:
        """The account of outgoing payment `payment_id` in asset `asset_id` on `ledger`; its id
        is `outgoing_payment_account_id(payment_id)`."""
        return cls(
            account_id=outgoing_payment_account_id(payment_id),
            ledger=ledger,
            asset_account_id=AccountId(asset_id.int),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountBalance:
    """One account's balances, read from the ledger (all amounts in the asset's smallest unit).

    Attributes:
        balance: for a liquidity account, what it can still spend:
            `credits_posted - debits_posted - debits_pending` (pending debits reserve funds,
            pending credits do not count yet); for the settlement account (code 101), what has
            been deposited and not withdrawn: `debits_posted + debits_pending - credits_posted`.
    """

    account_id: AccountId
    ledger: int
    code: int
    balance: int
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int

    @property
    def total_sent(self) -> int:
        """Everything ever debited and posted (`debits_posted`)."""
        return self.debits_posted

    @property
    def total_received(self) -> int:
        """Everything ever credited and posted (`credits_posted`)."""
        return self.credits_posted

    @classmethod
    def of(cls, account: Account) -> AccountBalance:
        """The balances of a looked-up account, by its code (settlement or liquidity)."""
        if account.code == AccountCode.SETTLEMENT:
            balance = account.debits_posted + account.debits_pending - account.credits_posted
        else:
            balance = account.credits_posted - account.debits_posted - account.debits_pending
        return cls(
            account_id=account.id,
            ledger=account.ledger,
            code=account.code,
            balance=balance,
            debits_pending=account.debits_pending,
            debits_posted=account.debits_posted,
            credits_pending=account.credits_pending,
            credits_posted=account.credits_posted,
        )


@dataclass(frozen=True, slots=True)
class UnknownAccount:
    """The answer for an account id the ledger does not know."""

    account_id: AccountId
