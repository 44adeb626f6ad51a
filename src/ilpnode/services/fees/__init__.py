"""ilpnode.services.fees: the fees of each asset, as Rafiki's Admin API sets and shows them.

`FeeService` is what the Admin API and the dashboard call; failures are `FeeError` values with
Rafiki's messages and GraphQL codes.
"""

from ilpnode.services.fees.model import (
    BASIS_POINTS_MAX,
    Fee,
    FeeError,
    FeeType,
    LatestFees,
    SetFee,
)
from ilpnode.services.fees.ports import FeeReads, FeeStore, FeeTransaction
from ilpnode.services.fees.service import FeeService

__all__ = [
    "BASIS_POINTS_MAX",
    "Fee",
    "FeeError",
    "FeeReads",
    "FeeService",
    "FeeStore",
    "FeeTransaction",
    "FeeType",
    "LatestFees",
    "SetFee",
]
