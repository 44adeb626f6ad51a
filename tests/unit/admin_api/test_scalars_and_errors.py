"""UInt64/UInt8 parsing, and how errors are formatted (codes always set, internals hidden)."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError, GraphQLScalarType, IntValueNode, StringValueNode

from ilpnode.accounting import LiquidityError
from ilpnode.admin.graphql import build_schema
from ilpnode.admin.graphql.errors import LIQUIDITY_ERRORS, AdminApiError, format_admin_error


def _scalar(name: str) -> GraphQLScalarType:
    scalar = build_schema().get_type(name)
    assert isinstance(scalar, GraphQLScalarType)
    return scalar


uint64 = _scalar("UInt64")
uint8 = _scalar("UInt8")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0), ("0", 0), (2**64 - 1, 2**64 - 1), (str(2**64 - 1), 2**64 - 1), (5.0, 5)],
)
def test_uint64_accepts(value: object, expected: int) -> None:
    assert uint64.parse_value(value) == expected


@pytest.mark.parametrize(
    "value", [-1, 2**64, str(2**64), "1e3", " 1", "", "0x10", 1.5, True, None, [1], "١٢"]
)
def test_uint64_refuses(value: object) -> None:
    with pytest.raises(ValueError, match="UInt64"):
        uint64.parse_value(value)


def test_uint64_literals_and_output() -> None:
    assert uint64.parse_literal(IntValueNode(value="42"), None) == 42
    assert uint64.parse_literal(StringValueNode(value="42"), None) == 42
    assert uint64.serialize(2**64 - 1) == str(2**64 - 1)


def test_uint8_bounds() -> None:
    assert uint8.parse_value(255) == 255
    assert uint8.parse_value("2") == 2
    with pytest.raises(ValueError, match="UInt8"):
        uint8.parse_value(256)


def test_every_liquidity_error_has_a_code_and_message() -> None:
    assert set(LIQUIDITY_ERRORS) == set(LiquidityError)


def test_admin_errors_keep_their_code() -> None:
    error = GraphQLError("x", original_error=AdminApiError("Asset not found", "NOT_FOUND"))
    formatted = format_admin_error(error)
    assert formatted["message"] == "Asset not found"
    assert formatted["extensions"] == {"code": "NOT_FOUND"}


def test_unexpected_exceptions_are_hidden_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    boom = RuntimeError("password=hunter2 at db.internal:5432")
    with caplog.at_level(logging.ERROR, logger="ilpnode.admin"):
        formatted = format_admin_error(GraphQLError(str(boom), original_error=boom))
    assert formatted["message"] == "Internal server error"
    assert formatted["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "hunter2" not in str(formatted)
    assert "Admin API resolver failed" in caplog.text


def test_request_errors_get_apollo_codes() -> None:
    assert format_admin_error(GraphQLError("Syntax Error: x"))["extensions"]["code"] == (
        "GRAPHQL_PARSE_FAILED"
    )
    assert format_admin_error(GraphQLError("Variable '$x' …"))["extensions"]["code"] == (
        "BAD_USER_INPUT"
    )
    assert format_admin_error(GraphQLError("Cannot query field"))["extensions"]["code"] == (
        "GRAPHQL_VALIDATION_FAILED"
    )
