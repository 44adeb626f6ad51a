"""The fee form's parser and the way fees read: exact amounts in the asset's units, basis points
as a whole number 0..10000 with their percentage."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from ilpnode.dashboard.amounts import format_basis_points
from ilpnode.dashboard.forms.fees import fee_values, parse_fee
from ilpnode.services.fees import FeeType, SetFee
from ilpnode.services.peering import Asset

NOW = datetime(2027, 1, 1, tzinfo=UTC)
USD = Asset(
    id=uuid4(),
    code="USD",
    scale=2,
    ledger=1,
    withdrawal_threshold=None,
    liquidity_threshold=None,
    created_at=NOW,
    updated_at=NOW,
)


def test_a_fee_in_the_assets_units() -> None:
    request, state = parse_fee({"type": "RECEIVING", "fixed": " 12.5 ", "basis_points": "0"}, USD)
    assert state.ok
    assert request == SetFee(asset_id=USD.id, type=FeeType.RECEIVING, fixed=1250, basis_points=0)


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"type": "", "fixed": "1", "basis_points": "1"}, {"type"}),
        ({"type": "sending", "fixed": "1", "basis_points": "1"}, {"type"}),
        ({"type": "SENDING", "fixed": "1", "basis_points": "10001"}, {"basis_points"}),
        ({"type": "SENDING", "fixed": "1", "basis_points": "٣"}, {"basis_points"}),
        ({"type": "SENDING", "fixed": "1", "basis_points": "00000000001"}, {"basis_points"}),
        ({"type": "SENDING", "fixed": "1", "basis_points": "-0"}, {"basis_points"}),
        ({"type": "SENDING", "fixed": "0.001", "basis_points": "1"}, {"fixed"}),
        ({"type": "SENDING", "fixed": str(2**64), "basis_points": "1"}, {"fixed"}),
    ],
)
def test_what_is_refused(values: dict[str, str], fields: set[str]) -> None:
    request, state = parse_fee(values, USD)
    assert request is None
    assert set(state.errors) == fields
    assert state.values == values


def test_a_fresh_form_and_the_bounds() -> None:
    assert fee_values() == {"type": "SENDING", "fixed": "", "basis_points": ""}
    request, _ = parse_fee({"type": "SENDING", "fixed": "0", "basis_points": "10000"}, USD)
    assert request is not None
    assert request.basis_points == 10_000


def test_basis_points_read_with_their_percentage() -> None:
    assert format_basis_points(0) == "0 basis points (0.00 %)"
    assert format_basis_points(1) == "1 basis point (0.01 %)"
    assert format_basis_points(50) == "50 basis points (0.50 %)"
    assert format_basis_points(10_000) == "10,000 basis points (100.00 %)"
