"""Fees as values: `Fee`, `FeeType`, the `SetFee` request and `FeeError` (Rafiki's fee model).

A fee is set per asset and type: `fixed` in the asset's smallest unit (0..2**64-1) plus
`basis_points` of the amount (0..10000; 100 basis points are 1 %). Setting a fee never changes an
old one: each call adds a row, and the newest row of a type is the fee in force, so the history
of every fee ever set stays readable (`Asset.fees`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

__all__ = ["BASIS_POINTS_MAX", "Fee", "FeeError", "FeeType", "LatestFees", "SetFee"]

BASIS_POINTS_MAX: Final = 10_000  # 100 %: Rafiki's upper bound


class FeeType(enum.Enum):
    """Who pays: the sender (added to what a payment this node sends costs) or the receiver."""

    SENDING = "SENDING"
    RECEIVING = "RECEIVING"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fee:
    """One fee as set at `created_at` (never changed afterwards)."""

    id: UUID
    asset_id: UUID
    type: FeeType
    fixed: int
    basis_points: int
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class LatestFees:
    """The fees in force for an asset, one per type (None: never set)."""

    sending: Fee | None
    receiving: Fee | None

    def of(self, fee_type: FeeType) -> Fee | None:
        """The fee in force of this type."""
        return self.sending if fee_type is FeeType.SENDING else self.receiving


@dataclass(frozen=True, slots=True, kw_only=True)
class SetFee:
    """`setFee` input: the asset (a UUID or its text), the type and the two parts of the fee."""

    asset_id: UUID | str
    type: FeeType
    fixed: int
    basis_points: int


class FeeError(enum.Enum):
    """Why setting a fee failed: Rafiki's `FeeError`, with its messages and GraphQL codes."""

    UnknownAsset = "UnknownAsset"
    InvalidBasisPointFee = "InvalidBasisPointFee"
    InvalidFixedFee = "InvalidFixedFee"

    @property
    def code(self) -> str:
        """The GraphQL `extensions.code`."""
        return _FEE_ERRORS[self][0]

    @property
    def message(self) -> str:
        """Rafiki's message."""
        return _FEE_ERRORS[self][1]


_FEE_ERRORS: Final[dict[FeeError, tuple[str, str]]] = {
    FeeError.UnknownAsset: ("NOT_FOUND", "Unknown asset"),
    FeeError.InvalidBasisPointFee: (
        "BAD_USER_INPUT",
        f"Basis point fee must be between 0 and {BASIS_POINTS_MAX}",
    ),
    # Rafiki's words; ilpnode also refuses more than 2**64-1 with them (the ledger is u64).
    FeeError.InvalidFixedFee: ("BAD_USER_INPUT", "Fixed fee must be greater than or equal to 0"),
}
