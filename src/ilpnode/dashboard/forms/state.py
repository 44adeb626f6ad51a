"""`FormState`: a form's typed values and its errors; helpers shared by the parsers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.datastructures import FormData

from ilpnode.dashboard.amounts import AmountProblem, parse_amount
from ilpnode.dashboard.messages import Problem

__all__ = ["FormState", "lines_of", "typed_values"]


@dataclass(slots=True)
class FormState:
    """What a form shows: `values` (as typed), `errors` by field, and a form-wide `message`."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.message is None

    def add(self, problem: Problem) -> None:
        """Record a problem next to its field (the first one per field wins), or form-wide."""
        if problem.field is None:
            self.message = problem.text
        else:
            self.errors.setdefault(problem.field, problem.text)

    def text(self, name: str) -> str:
        """A field's typed value without surrounding spaces ("" when absent)."""
        return self.values.get(name, "").strip()

    def require(self, name: str, missing: str) -> str:
        """A field that must not be empty; records `missing` if it is."""
        value = self.text(name)
        if not value:
            self.errors.setdefault(name, missing)
        return value

    def amount(self, name: str, *, scale: int, code: str, required: bool = False) -> int | None:
        """An amount typed in the asset's units, in the smallest unit; None if left empty."""
        value = self.text(name)
        if not value:
            if required:
                self.errors.setdefault(name, "Enter an amount.")
            return None
        try:
            return parse_amount(value, scale=scale, code=code)
        except AmountProblem as problem:
            self.errors.setdefault(name, str(problem))
            return None


def typed_values(form: FormData | Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The text fields `names` of a submitted form (absent ones as ""; files are ignored)."""
    values: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        values[name] = value if isinstance(value, str) else ""
    return values


def lines_of(text: str) -> list[str]:
    """The non-blank lines of a textarea, each without surrounding spaces."""
    return [line.strip() for line in text.splitlines() if line.strip()]
