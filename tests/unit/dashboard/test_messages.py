"""Every service error has words for a person (STYLE rule 13: the mapping is exhaustive)."""

from __future__ import annotations

import pytest

from ilpnode.accounting import LiquidityError
from ilpnode.dashboard.forms.assets import CREATE_FIELDS as ASSET_FIELDS
from ilpnode.dashboard.forms.auto_peering import FIELDS as AUTO_PEERING_FORM
from ilpnode.dashboard.forms.fees import FEE_FIELDS
from ilpnode.dashboard.forms.liquidity import WITHDRAW_FIELDS
from ilpnode.dashboard.forms.peers import CREATE_FIELDS as PEER_FIELDS
from ilpnode.dashboard.forms.wallet_addresses import CREATE_FIELDS as WALLET_FIELDS
from ilpnode.dashboard.messages import (
    ASSET_PROBLEMS,
    FEE_PROBLEMS,
    LIQUIDITY_PROBLEMS,
    PEER_PROBLEMS,
    WALLET_ADDRESS_PROBLEMS,
    auto_peering_problem,
    problem,
)
from ilpnode.services.fees import FeeError
from ilpnode.services.payments import WalletAddressError
from ilpnode.services.peering import AssetError, PeerError
from ilpnode.services.peering.autopeering import AutoPeeringError, AutoPeeringFailure


@pytest.mark.parametrize("error", list(PeerError))
def test_every_peer_error_has_words_on_a_create_peer_field(error: PeerError) -> None:
    found = problem(error)
    assert found is PEER_PROBLEMS[error]
    assert found.text.endswith(".")
    assert found.field is None or found.field in PEER_FIELDS


@pytest.mark.parametrize("error", list(AssetError))
def test_every_asset_error_has_words_on_an_asset_field(error: AssetError) -> None:
    found = problem(error)
    assert found is ASSET_PROBLEMS[error]
    assert found.text.endswith(".")
    assert found.field is None or found.field in ASSET_FIELDS


@pytest.mark.parametrize("error", list(LiquidityError))
def test_every_liquidity_error_has_words_on_a_withdrawal_field(error: LiquidityError) -> None:
    found = problem(error)
    assert found is LIQUIDITY_PROBLEMS[error]
    assert found.text.endswith(".")
    assert found.field is None or found.field in WITHDRAW_FIELDS


@pytest.mark.parametrize("error", list(WalletAddressError))
def test_every_wallet_address_error_has_words_on_a_create_field(
    error: WalletAddressError,
) -> None:
    found = problem(error)
    assert found is WALLET_ADDRESS_PROBLEMS[error]
    assert found.text.endswith(".")
    assert found.text != error.message
    assert found.field is None or found.field in WALLET_FIELDS


def test_no_rafiki_message_is_shown_as_is() -> None:
    """The dashboard's words are its own, not the Admin API's terse catalog."""
    for error in PeerError:
        assert PEER_PROBLEMS[error].text != error.message
    for asset_error in AssetError:
        assert ASSET_PROBLEMS[asset_error].text != asset_error.message


@pytest.mark.parametrize("error", list(AutoPeeringError))
def test_every_auto_peering_error_is_shown_on_a_peer_by_url_field(error: AutoPeeringError) -> None:
    found = auto_peering_problem(AutoPeeringFailure(error, "what went wrong"))
    assert found.field is None or found.field in AUTO_PEERING_FORM
    assert found.text == f"{error.message}: what went wrong."


@pytest.mark.parametrize("error", list(FeeError))
def test_every_fee_error_has_words_on_a_fee_field(error: FeeError) -> None:
    found = FEE_PROBLEMS[error]
    assert found.text.endswith(".")
    assert found.field is None or found.field in FEE_FIELDS
