"""Request limits, as Rafiki's GraphQL Armor sets them (rafiki-peering §2.1): a query may nest
at most `MAX_DEPTH` levels and cost at most `MAX_COST` (GraphQL Armor's cost: 2 per object
field, 1 per scalar, each level's children weighted 1.5; introspection is weighed apart, by
`introspection_limits`); a document may hold at most `MAX_TOKENS` tokens; and error messages do
not suggest field names ("Did you mean …?"), which would map the schema for a caller probing it.

Why: the admin API shares its event loop with the connector. Without a cost limit, one signed
query of 10,000 aliases kept the loop busy for a minute (packets waited up to 4.9 s) and grew
the process by half a gigabyte. Parsing is bounded by the token limit, validation and execution
by the cost limit.
"""

from __future__ import annotations

import re
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    parse,
)

__all__ = [
    "MAX_COST",
    "MAX_DEPTH",
    "MAX_TOKENS",
    "CostLimitRule",
    "MaxDepthRule",
    "parse_bounded",
    "without_suggestions",
]

MAX_DEPTH: Final = 10  # Rafiki's maxDepth
MAX_COST: Final = 5000  # Rafiki's maxCost, with GraphQL Armor's default weights below
OBJECT_COST: Final = 2
SCALAR_COST: Final = 1
DEPTH_COST_FACTOR: Final = 1.5
# Rafiki's frontend sends documents of a few hundred tokens, the standard introspection query
# about 300; a document is refused before it is parsed whole beyond this many.
MAX_TOKENS: Final = 5000
_INTROSPECTION_ROOTS: Final = frozenset({"__schema", "__type"})
_SUGGESTION: Final = re.compile(r" Did you mean [^?]*\?")


class MaxDepthRule(ValidationRule):
    """Refuses an operation whose fields nest deeper than `MAX_DEPTH` (fragments followed)."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        depth = self._depth(node.selection_set, 0, set())
        if depth > MAX_DEPTH:
            self.report_error(
                GraphQLError(f"Query depth {depth} exceeds the maximum of {MAX_DEPTH}.", node)
            )

    def _depth(self, selections: SelectionSetNode | None, level: int, seen: set[str]) -> int:
        if selections is None:
            return level
        deepest = level
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in _INTROSPECTION_ROOTS:
                    continue  # GraphQL Armor's ignoreIntrospection: schema tools nest deeper
                deepest = max(deepest, self._depth(selection.selection_set, level + 1, seen))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self._depth(selection.selection_set, level, seen))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is not None and name not in seen:
                    deepest = max(
                        deepest, self._depth(fragment.selection_set, level, seen | {name})
                    )
            if deepest > MAX_DEPTH:
                return deepest  # no need to walk the rest of a query already refused
        return deepest


class CostLimitRule(ValidationRule):
    """Refuses an operation that costs more than `MAX_COST` (GraphQL Armor's cost-limit)."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        cost = OBJECT_COST + self._cost(node.selection_set, set())
        if cost > MAX_COST:
            self.report_error(
                GraphQLError(f"Query cost limit of {MAX_COST} exceeded, found {cost:g}.", node)
            )

    def _cost(self, selections: SelectionSetNode | None, seen: set[str]) -> float:
        """The weighted cost of `selections` (each child's cost times the depth factor)."""
        if selections is None:
            return 0
        total = 0.0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in _INTROSPECTION_ROOTS:
                    continue
                if selection.selection_set is None:
                    child = float(SCALAR_COST)
                else:
                    child = OBJECT_COST + self._cost(selection.selection_set, seen)
            elif isinstance(selection, InlineFragmentNode):
                child = OBJECT_COST + self._cost(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is None or name in seen:
                    continue
                child = OBJECT_COST + self._cost(fragment.selection_set, seen | {name})
            else:  # pragma: no cover - graphql-core has no other selection kind
                continue
            total += DEPTH_COST_FACTOR * child
            if total > MAX_COST:
                return total  # no need to weigh the rest of a query already refused
        return total


def parse_bounded(_context: Any, data: dict[str, Any]) -> DocumentNode:
    """Ariadne's query parser, refusing documents of more than `MAX_TOKENS` tokens.

    Raises:
        GraphQLError: a syntax error, or too many tokens (Ariadne answers it as 400).
    """
    return parse(data["query"], max_lexical_tokens=MAX_TOKENS, max_comments=MAX_TOKENS)


def without_suggestions(message: str) -> str:
    """`message` without graphql-core's "Did you mean …?" hints."""
    return _SUGGESTION.sub("", message)
