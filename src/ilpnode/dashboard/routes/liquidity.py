"""Deposits, withdrawals and their post/void, for a peer, an asset or a wallet address (its
"owner"; a wallet address's withdrawal is made on its own page, `routes.wallet_addresses`).

A pending withdrawal made here is remembered in the session (its id, owner and amount) so the
owner's page can offer Post and Void for it; one made elsewhere (CLI, Admin API) is posted or
voided by typing its id. The services have no query for pending withdrawals yet.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Literal
from uuid import UUID

from starlette.datastructures import FormData
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from ilpnode.accounting import LiquidityError, LiquidityResult, LiquidityState
from ilpnode.dashboard.amounts import format_amount
from ilpnode.dashboard.forms import FormState, typed_values
from ilpnode.dashboard.forms.liquidity import (
    DEPOSIT_FIELDS,
    WITHDRAW_FIELDS,
    parse_deposit,
    parse_withdrawal,
)
from ilpnode.dashboard.messages import LIQUIDITY_PROBLEMS, problem
from ilpnode.dashboard.rendering import Pages, flash
from ilpnode.services.peering import Asset, PeerError
from ilpnode.uuids import parse_uuid

__all__ = [
    "MoneyAction",
    "Owner",
    "PendingWithdrawal",
    "Rerender",
    "deposit",
    "pending_withdrawals",
    "remember_pending",
    "settle",
    "withdraw",
]

logger = logging.getLogger("ilpnode.dashboard")

_REMEMBERED_MAX: Final = 8  # the session cookie must stay under 4 kB
_FORGET_AFTER: Final = frozenset(
    {
        LiquidityError.AlreadyPosted,
        LiquidityError.AlreadyVoided,
        LiquidityError.TransferExpired,
        LiquidityError.UnknownTransfer,
    }
)

Rerender = Callable[[dict[str, FormState], int], Awaitable[Response]]
"""Render the owner's page again with these form states, with this HTTP status."""
MoneyAction = Callable[[Pages, Request, FormData, "Owner", Rerender], Awaitable[Response]]
"""`deposit`, `withdraw` or `settle`."""


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose liquidity: a peer's, an asset's or a wallet address's (the asset gives the scale
    and code)."""

    kind: Literal["peer", "asset", "wallet_address"]
    id: UUID
    label: str
    asset: Asset
    path: str  # the owner's page, under the dashboard root

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True, slots=True)
class PendingWithdrawal:
    id: str
    amount: int


def pending_withdrawals(request: HTTPConnection, owner: Owner) -> list[PendingWithdrawal]:
    """The pending withdrawals this session made from `owner`, oldest first."""
    return [
        PendingWithdrawal(id=withdrawal_id, amount=amount)
        for withdrawal_id, key, amount in _remembered(request)
        if key == owner.key
    ]


async def deposit(
    pages: Pages, request: Request, form: FormData, owner: Owner, rerender: Rerender
) -> Response:
    asset = owner.asset
    request_, state = parse_deposit(
        typed_values(form, DEPOSIT_FIELDS), scale=asset.scale, code=asset.code
    )
    if request_ is None:
        return await rerender({"deposit": state}, 400)
    liquidity = pages.services.liquidity
    if owner.kind == "peer":
        result: LiquidityResult | LiquidityError | PeerError = await liquidity.deposit_to_peer(
            peer_id=owner.id, amount=request_.amount, transfer_id=request_.transfer_id
        )
    else:
        result = await liquidity.deposit_to_asset(
            asset_id=owner.id, amount=request_.amount, transfer_id=request_.transfer_id
        )
    if isinstance(result, LiquidityError | PeerError):
        _log_bug(result)
        state.add(problem(result))
        return await rerender({"deposit": state}, 409)
    flash(request, f"Deposited {_money(request_.amount, asset)} to {owner.label}.")
    return pages.redirect(request, owner.path)


async def withdraw(
    pages: Pages, request: Request, form: FormData, owner: Owner, rerender: Rerender
) -> Response:
    asset = owner.asset
    request_, state = parse_withdrawal(
        typed_values(form, WITHDRAW_FIELDS), scale=asset.scale, code=asset.code
    )
    if request_ is None:
        return await rerender({"withdraw": state}, 400)
    liquidity = pages.services.liquidity
    if owner.kind == "peer":
        result = await liquidity.withdraw_from_peer(
            peer_id=owner.id,
            amount=request_.amount,
            transfer_id=request_.transfer_id,
            timeout_seconds=request_.timeout_seconds,
        )
    else:
        result = await liquidity.withdraw_from_asset(
            asset_id=owner.id,
            amount=request_.amount,
            transfer_id=request_.transfer_id,
            timeout_seconds=request_.timeout_seconds,
        )
    if isinstance(result, LiquidityError):
        _log_bug(result)
        state.add(LIQUIDITY_PROBLEMS[result])
        return await rerender({"withdraw": state}, 409)
    amount = _money(request_.amount, asset)
    if result.state is LiquidityState.PENDING:
        _remember(request, str(result.transfer_id), owner, request_.amount)
        minutes = request_.timeout_seconds // 60
        flash(
            request,
            f"Withdrawal of {amount} from {owner.label} created: it is reserved, pending, until "
            f"you post it (the money leaves) or void it (it stays); after {minutes} minutes it "
            f"is voided by itself. Its id: {result.transfer_id}.",
        )
    else:
        flash(request, f"Withdrew {amount} from {owner.label} (posted at once).")
    return pages.redirect(request, owner.path)


async def settle(
    pages: Pages, request: Request, form: FormData, owner: Owner, rerender: Rerender
) -> Response:
    """Post or void a withdrawal: fields `withdrawal_id` and `action` (post or void)."""
    values = typed_values(form, ("withdrawal_id", "action"))
    state = FormState(values=values)
    action = values["action"]
    withdrawal_id = state.text("withdrawal_id")
    if parse_uuid(withdrawal_id) is None:
        state.errors["withdrawal_id"] = "Enter the withdrawal's id (a UUID such as 3f2c…)."
    if action not in ("post", "void"):
        state.message = "Choose Post or Void."
    if not state.ok:
        return await rerender({"settle": state}, 400)
    liquidity = pages.services.liquidity
    if action == "post":
        result = await liquidity.post_withdrawal(withdrawal_id)
    else:
        result = await liquidity.void_withdrawal(withdrawal_id)
    if isinstance(result, LiquidityError):
        _log_bug(result)
        if result in _FORGET_AFTER:
            _forget(request, withdrawal_id)
        state.add(LIQUIDITY_PROBLEMS[result])
        return await rerender({"settle": state}, 409)
    _forget(request, withdrawal_id)
    if result.state is LiquidityState.POSTED:
        flash(request, f"Withdrawal {withdrawal_id} posted: the money has left the liquidity.")
    else:
        flash(request, f"Withdrawal {withdrawal_id} voided: its amount is back in the liquidity.")
    return pages.redirect(request, owner.path)


def _log_bug(error: LiquidityError | PeerError) -> None:
    if error is LiquidityError.UnknownError:
        logger.error("the ledger refused a liquidity operation in a way only a bug can cause")


def _money(amount: int, asset: Asset) -> str:
    return f"{format_amount(amount, asset.scale)} {asset.code}"


def _remembered(request: HTTPConnection) -> list[tuple[str, str, int]]:
    """(withdrawal id, owner key, amount) of each remembered withdrawal, oldest first."""
    items = request.session.get("withdrawals")
    found = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, list) and len(item) == 3:
            withdrawal_id, owner, amount = item
            if (
                isinstance(withdrawal_id, str)
                and isinstance(owner, str)
                and isinstance(amount, int)
            ):
                found.append((withdrawal_id, owner, amount))
    return found


def remember_pending(
    request: HTTPConnection, withdrawal_id: str, owner: Owner, amount: int
) -> None:
    """Remember a pending withdrawal from `owner` in the session, for its page's Post/Void."""
    _remember(request, withdrawal_id, owner, amount)


def _remember(request: HTTPConnection, withdrawal_id: str, owner: Owner, amount: int) -> None:
    items = _remembered(request)[-(_REMEMBERED_MAX - 1) :]
    items.append((withdrawal_id, owner.key, amount))
    request.session["withdrawals"] = [list(item) for item in items]


def _forget(request: HTTPConnection, withdrawal_id: str) -> None:
    items = [item for item in _remembered(request) if item[0] != withdrawal_id]
    request.session["withdrawals"] = [list(item) for item in items]
