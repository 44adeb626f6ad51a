"""The custom scalars: `UInt64` (money, as a decimal string on output) and `UInt8` (scales).

`UInt64` accepts an integer, an integral float or a string of decimal digits, as Rafiki does,
but unlike Rafiki it also enforces the upper bound 2**64-1: every amount is u64 in the ledger,
so a larger value is refused at the edge (BAD_USER_INPUT) instead of failing deeper down.
Booleans are refused although Python counts them as integers.
"""

from __future__ import annotations

from typing import Any, Final

from ariadne import ScalarType
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode

__all__ = ["UINT8", "UINT64", "uint8", "uint64"]

U64_MAX: Final = 2**64 - 1
U8_MAX: Final = 255


def _integer(value: Any, *, name: str, maximum: int) -> int:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and value.isascii() and value.isdecimal() and len(value) <= 20
    ):
        number = int(value)
    if number is None or not 0 <= number <= maximum:
        raise ValueError(f"{name} must be an integer from 0 to {maximum}, got {value!r}")
    return number


def _literal(node: ValueNode, name: str, maximum: int) -> int:
    if isinstance(node, IntValueNode | StringValueNode):
        return _integer(node.value, name=name, maximum=maximum)
    if isinstance(node, FloatValueNode):
        return _integer(float(node.value), name=name, maximum=maximum)
    raise ValueError(f"{name} must be an integer or a string of digits")


def _parse_u64(value: Any) -> int:
    return _integer(value, name="UInt64", maximum=U64_MAX)


def _parse_u64_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> int:
    return _literal(node, "UInt64", U64_MAX)


def _serialize_u64(value: Any) -> str:
    return str(_parse_u64(value))


def _parse_u8(value: Any) -> int:
    return _integer(value, name="UInt8", maximum=U8_MAX)


def _parse_u8_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> int:
    return _literal(node, "UInt8", U8_MAX)


uint64 = ScalarType(
    "UInt64",
    serializer=_serialize_u64,
    value_parser=_parse_u64,
    literal_parser=_parse_u64_literal,
)
uint8 = ScalarType(
    "UInt8", serializer=_parse_u8, value_parser=_parse_u8, literal_parser=_parse_u8_literal
)
UINT64 = uint64
UINT8 = uint8
