"""Column types for exact unsigned integers that SQLite and PostgreSQL store differently.

Money and ids are exact integers wider than SQLite's signed 64-bit INTEGER:

- `UInt64` (amounts, balances): PostgreSQL `NUMERIC(20,0)`; SQLite `INTEGER` holding the value's
  two's-complement reading (values of 2**63 and above come back negative in raw SQL, and exact
  through this type). Amounts that large are absurd in practice, but the ledger is u64 and must be
  exact over the whole range.
- `UInt128` (account and transfer ids): PostgreSQL `NUMERIC(39,0)`; SQLite 32 lowercase hex digits,
  fixed width so that text order is numeric order.

`UtcDateTime` (timestamps) is here too: `DateTime(timezone=True)` is `timestamptz` on PostgreSQL
but drops the offset on SQLite (it stores the wall-clock digits and reads them back naive).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["UInt64", "UInt128", "UtcDateTime"]

_U64 = 2**64
_I64_MAX = 2**63 - 1


class UInt64(TypeDecorator[int]):
    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(20, 0, asdecimal=True))
        return dialect.type_descriptor(BigInteger())

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return Decimal(value)
        return value - _U64 if value > _I64_MAX else value

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        number = int(value)
        return number + _U64 if number < 0 else number


class UInt128(TypeDecorator[int]):
    impl = String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(39, 0, asdecimal=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return Decimal(value)
        return f"{value:032x}"

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, str):
            return int(value, 16)
        return int(value)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, read back as a UTC `datetime` with its microseconds.

    PostgreSQL: `timestamptz`. SQLite: SQLAlchemy's fixed-width text form of the UTC wall-clock
    time (`YYYY-MM-DD HH:MM:SS.ffffff`), so text order is time order and keyset paging works.
    A naive `datetime` is refused (ValueError): its meaning would depend on the server's zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must be timezone-aware")
        utc = value.astimezone(UTC)
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
