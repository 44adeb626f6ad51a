"""Request limits, as Rafiki's GraphQL Armor sets them (rafiki-peering §2.1): a query may nest
at most `MAX_DEPTH` levels, and error messages do not suggest field names ("Did you mean …?"),
which would map the schema for a caller probing it."""

from __future__ import annotations

import re
from typing import Any, Final

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

__all__ = ["MAX_DEPTH", "MaxDepthRule", "without_suggestions"]

MAX_DEPTH: Final = 10  # Rafiki's maxDepth
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


def without_suggestions(message: str) -> str:
    """`message` without graphql-core's "Did you mean …?" hints."""
    return _SUGGESTION.sub("", message)
