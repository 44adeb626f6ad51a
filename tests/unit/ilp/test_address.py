"""ILP addresses (RFC 0015)."""

from __future__ import annotations

import pytest

from ilpnode.ilp import InvalidAddress, address_scheme, is_valid_address, parse_address

VALID = [
    "g.us-fed.ach.0.acmebank.swx0a0.acmecorp.sales.199.~ipr.cdfa5e16-e759-4ba3-88f6-8b9dc83c1868.2",
    "g.a",
    "private.x",
    "example.alice",
    "peer.config",
    "self.x",
    "test.a",
    "test1.a",
    "test2.a",
    "test3.a",
    "local.a_b~c-d",
    "g." + "a" * 1021,  # exactly 1023 characters
]

INVALID = [
    ("", "empty"),
    ("g", "at least one segment"),
    ("g.", "empty segment"),
    ("g.a.", "empty segment"),
    ("g..a", "empty segment"),
    (".g.a", "scheme"),
    ("G.a", "scheme"),
    ("test4.a", "scheme"),
    ("gx.a", "scheme"),
    ("g.a b", "invalid character ' '"),
    ("g.a/b", "invalid character '/'"),
    ("g.é", "invalid character 'é'"),
    ("g.a\n", "invalid character '\\\\n'"),
    ("g.a\x00", "invalid character"),
    ("g." + "a" * 1022, "1024 characters long"),
]


@pytest.mark.parametrize("address", VALID)
def test_valid(address: str) -> None:
    assert is_valid_address(address)
    assert parse_address(address) == address


@pytest.mark.parametrize(("address", "reason"), INVALID)
def test_invalid_says_why(address: str, reason: str) -> None:
    assert not is_valid_address(address)
    with pytest.raises(InvalidAddress, match=reason):
        parse_address(address)


def test_trailing_newline_is_refused() -> None:
    # re's "$" matches before a trailing newline; fullmatch does not.
    assert not is_valid_address("example.alice\n")


def test_not_a_string() -> None:
    assert not is_valid_address(b"g.a")  # type: ignore[arg-type]
    with pytest.raises(InvalidAddress, match="must be a str"):
        parse_address(b"g.a")  # type: ignore[arg-type]


def test_invalid_address_is_a_value_error() -> None:
    assert issubclass(InvalidAddress, ValueError)


@pytest.mark.parametrize(
    ("address", "scheme"),
    [("g.a.b", "g"), ("test3.x", "test3"), ("peer.config", "peer"), ("private.a", "private")],
)
def test_scheme(address: str, scheme: str) -> None:
    assert address_scheme(parse_address(address)) == scheme
