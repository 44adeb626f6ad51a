"""`sendPayment`'s input, checked before anything is written or asked of the receiver.

Checks, in order (each refusal a `PaymentRefused` with Rafiki's message where Rafiki has one):
the id (a UUID), the amounts (exactly one of debitAmount / receiveAmount, 1..2**64-1), the source
(exactly one of walletAddressId / assetId; the wallet address exists and is active, the asset
exists), the receiver's spelling (a payment pointer or an http(s) URL), and for a fixed send
that its debit amount covers the sending fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from ilpnode.ledger import AMOUNT_MAX, AccountId
from ilpnode.services.fees import FeeService, FeeType
from ilpnode.services.outgoing_payments.fees import send_amount_for_debit, sending_fee
from ilpnode.services.outgoing_payments.model import PaymentRefused, SendingFee, SendPayment
from ilpnode.services.payments import WalletAddressError, WalletAddressService
from ilpnode.services.payments_sender import SpspError, spsp_url
from ilpnode.services.peering import Asset, AssetError, AssetService
from ilpnode.uuids import parse_uuid

__all__ = ["CheckedPayment", "check_request"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedPayment:
    """A valid request: its id, its source and the amounts it implies.

    Attributes:
        source_account_id: the wallet address's account, or the asset's liquidity account.
        source_label: how messages name the source.
        fee_rate: the asset's sending fee in force (zero for the asset's own liquidity).
        send_target: a fixed send's amount after the fee, None for a fixed receive.
    """

    id: UUID
    wallet_address_id: UUID | None
    asset: Asset
    source_account_id: AccountId
    source_label: str
    receiver: str
    requested_debit: int | None
    requested_receive: int | None
    fee_rate: SendingFee
    send_target: int | None


def _bad(message: str) -> PaymentRefused:
    return PaymentRefused(code="BAD_USER_INPUT", message=message)


def _amount_error(name: str, value: int | None) -> PaymentRefused | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= AMOUNT_MAX:
        return _bad(f"invalid amount: {name} must be in 1..2**64-1")
    return None


async def check_request(
    request: SendPayment,
    *,
    wallet_addresses: WalletAddressService,
    assets: AssetService,
    fees: FeeService,
) -> CheckedPayment | PaymentRefused:
    """The request, checked (see the module docstring); nothing is written."""
    if request.id is None:
        payment_id = uuid4()
    else:
        parsed = parse_uuid(request.id)
        if parsed is None:
            return _bad("invalid id: a payment's id is a UUID")
        payment_id = parsed
    debit, receive = request.debit_amount, request.receive_amount
    if debit is not None and receive is not None:
        return _bad("only one of receiveAmount or debitAmount allowed")
    if debit is None and receive is None:
        return _bad("invalid amount: give debitAmount (fixed send) or receiveAmount")
    problem = _amount_error("debitAmount", debit) or _amount_error("receiveAmount", receive)
    if problem is not None:
        return problem
    if (request.wallet_address_id is None) == (request.asset_id is None):
        return _bad("give exactly one source: walletAddressId or assetId")
    source = await _source(request, wallet_addresses=wallet_addresses, assets=assets)
    if isinstance(source, PaymentRefused):
        return source
    wallet_address_id, asset, account_id, label = source
    try:
        spsp_url(request.receiver)
    except SpspError as error:
        return _bad(f"invalid receiver: {error}")
    fee_rate = SendingFee()
    if wallet_address_id is not None:  # the operator charges no fee to its own liquidity
        fee = (await fees.latest(asset.id)).of(FeeType.SENDING)
        if fee is not None:
            fee_rate = SendingFee(fixed=fee.fixed, basis_points=fee.basis_points)
    target = None
    if debit is not None:
        target = send_amount_for_debit(debit, fee_rate)
        if target == 0:
            return _bad(
                f"invalid amount: debitAmount {debit} does not cover the sending fee "
                f"({fee_rate.fixed} + {fee_rate.basis_points} basis points): the least payment "
                f"costs {1 + sending_fee(1, fee_rate)}"
            )
    return CheckedPayment(
        id=payment_id,
        wallet_address_id=wallet_address_id,
        asset=asset,
        source_account_id=account_id,
        source_label=label,
        receiver=request.receiver,
        requested_debit=debit,
        requested_receive=receive,
        fee_rate=fee_rate,
        send_target=target,
    )


async def _source(
    request: SendPayment, *, wallet_addresses: WalletAddressService, assets: AssetService
) -> tuple[UUID | None, Asset, AccountId, str] | PaymentRefused:
    """(wallet address id, asset, source account, label) of the request's source."""
    if request.wallet_address_id is not None:
        wallet_address = await wallet_addresses.get(request.wallet_address_id)
        if isinstance(wallet_address, WalletAddressError):
            return PaymentRefused(code="NOT_FOUND", message="unknown wallet address")
        if wallet_address.deactivated_at is not None:
            return PaymentRefused(code="INACTIVE", message="inactive wallet address")
        asset = await wallet_addresses.asset_of(wallet_address)
        if asset is None:  # the foreign key makes this impossible
            return PaymentRefused(code="NOT_FOUND", message="unknown wallet address")
        account_id = AccountId(wallet_address.id.int)
        return wallet_address.id, asset, account_id, f"wallet address {wallet_address.url}"
    found = await assets.get(request.asset_id or "")
    if isinstance(found, AssetError):
        return PaymentRefused(code="NOT_FOUND", message="unknown asset")
    return None, found, AccountId(found.id.int), f"the liquidity of asset {found.code}"
