"""Admin API errors: Rafiki's `extensions.code` and messages (rafiki-peering §2.2, §2.9).

Resolvers turn a service's error value into an `AdminApiError` with `raise_error`; the error
formatter (`format_admin_error`) gives every error in a response an `extensions.code`:

- an `AdminApiError`: its own code and message;
- any other exception from a resolver is a bug or an infrastructure fault: it is logged with
  its traceback and answered as INTERNAL_SERVER_ERROR "Internal server error" (Rafiki echoes
  the exception's message, which can leak internals);
- errors of the request itself (syntax, validation, variables) carry Apollo's codes,
  GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED and BAD_USER_INPUT, as Rafiki's do.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NoReturn

from graphql import GraphQLError

from ilpnode.accounting import LiquidityError
from ilpnode.admin.graphql.limits import without_suggestions
from ilpnode.services.fees import FeeError
from ilpnode.services.payments import WalletAddressError
from ilpnode.services.peering import AssetError, PaginationError, PeerError
from ilpnode.services.tenant import TenantError

__all__ = ["AdminApiError", "format_admin_error", "raise_error"]

logger = logging.getLogger("ilpnode.admin")

_L = LiquidityError
LIQUIDITY_ERRORS: Mapping[LiquidityError, tuple[str, str]] = MappingProxyType(
    {
        _L.AlreadyPosted: ("CONFLICT", "Transfer already posted"),
        _L.AlreadyVoided: ("CONFLICT", "Transfer already voided"),
        _L.AmountZero: ("FORBIDDEN", "Transfer amount is zero"),
        _L.InsufficientBalance: ("FORBIDDEN", "Insufficient transfer balance"),
        _L.InvalidAmount: ("BAD_USER_INPUT", "Invalid transfer amount"),
        _L.InvalidId: ("BAD_USER_INPUT", "Invalid transfer id"),
        _L.InvalidTimeout: ("BAD_USER_INPUT", "Invalid transfer timeout provided"),
        _L.TransferExists: ("DUPLICATE", "Transfer already exists"),
        _L.TransferExpired: ("FORBIDDEN", "Transfer already expired"),
        _L.UnknownAsset: ("NOT_FOUND", "Unknown asset"),
        _L.UnknownPeer: ("NOT_FOUND", "Unknown peer"),
        _L.UnknownTransfer: ("NOT_FOUND", "Unknown transfer"),
        _L.UnknownWalletAddress: ("NOT_FOUND", "Unknown wallet address"),
        _L.UnknownError: ("INTERNAL_SERVER_ERROR", "Internal server error"),
    }
)


class AdminApiError(Exception):
    """An answer to the caller: `message` and GraphQL `code` are what the client sees."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


ServiceError = (
    AssetError
    | PeerError
    | LiquidityError
    | PaginationError
    | FeeError
    | TenantError
    | WalletAddressError
)


def raise_error(error: ServiceError) -> NoReturn:
    """Raise the `AdminApiError` for a service's error value."""
    if isinstance(error, LiquidityError):
        code, message = LIQUIDITY_ERRORS[error]
        if error is LiquidityError.UnknownError:
            logger.error("the ledger refused a liquidity operation in a way only a bug can cause")
        raise AdminApiError(message, code)
    raise AdminApiError(error.message, error.code)


def format_admin_error(error: GraphQLError, debug: bool = False) -> dict[str, Any]:
    """Ariadne's error formatter: the error as JSON, with `extensions.code` always set."""
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if isinstance(original, AdminApiError):
        formatted["message"] = original.message
        code = original.code
    elif original is not None and not isinstance(original, GraphQLError | ValueError):
        logger.error("Admin API resolver failed", exc_info=original)
        formatted["message"] = "Internal server error"
        code = "INTERNAL_SERVER_ERROR"
    else:
        code = _request_error_code(error)
        formatted["message"] = without_suggestions(str(formatted.get("message", "")))
    extensions = dict(formatted.get("extensions") or {})
    extensions.setdefault("code", code)
    formatted["extensions"] = extensions
    return formatted


def _request_error_code(error: GraphQLError) -> str:
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable") or isinstance(error.original_error, ValueError):
        return "BAD_USER_INPUT"
    if error.path is not None:
        # A located error without an exception (e.g. a null for a non-null field).
        return "INTERNAL_SERVER_ERROR"
    return "GRAPHQL_VALIDATION_FAILED"
