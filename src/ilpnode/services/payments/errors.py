"""Wallet address errors: Rafiki's `WalletAddressError` catalog plus ilpnode's validation errors.

Each member carries Rafiki's message and GraphQL `extensions.code`. Members marked "ilpnode" do
not exist in Rafiki (it accepts such input); we refuse it with a clear BAD_USER_INPUT. Errors are
returned as values by the service, never raised.
"""

from __future__ import annotations

import enum

__all__ = ["WalletAddressError"]


class WalletAddressError(enum.Enum):
    """Why a wallet address operation failed."""

    InvalidUrl = "InvalidUrl"
    """The address is not a URL under OPEN_PAYMENTS_URL (see `urls.OpenPaymentsUrls`)."""
    UnknownAsset = "UnknownAsset"
    UnknownWalletAddress = "UnknownWalletAddress"
    DuplicateWalletAddress = "DuplicateWalletAddress"
    InvalidPublicName = "InvalidPublicName"
    """ilpnode: the public name is longer than 255 characters or holds control characters."""

    @property
    def code(self) -> str:
        """The GraphQL `extensions.code`."""
        return _ERRORS[self][0]

    @property
    def message(self) -> str:
        """Rafiki's message."""
        return _ERRORS[self][1]


_ERRORS: dict[WalletAddressError, tuple[str, str]] = {
    WalletAddressError.InvalidUrl: ("BAD_USER_INPUT", "invalid url"),
    WalletAddressError.UnknownAsset: ("BAD_USER_INPUT", "unknown asset"),
    WalletAddressError.UnknownWalletAddress: ("NOT_FOUND", "unknown wallet address"),
    WalletAddressError.DuplicateWalletAddress: (
        "DUPLICATE",
        "Duplicate wallet address found with the same url",
    ),
    WalletAddressError.InvalidPublicName: ("BAD_USER_INPUT", "invalid public name"),
}
