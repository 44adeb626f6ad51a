"""The introspection budget: how much of the schema one operation may ask for.

Schema tools (GraphiQL, Apollo, Bruno's schema fetch) send the standard introspection query, which
nests `ofType` deeper than `MAX_DEPTH` to unwrap types such as `[String!]!`; so `__schema` and
`__type` are left out of the depth and cost limits (`limits.py`, as GraphQL Armor's
`ignoreIntrospection`) and weighed here instead, by what they would answer.

Introspection answers are bounded by the schema, but not by one query: aliases repeat them
(`a1: __schema { types { fields { name } } } a2: …`), and nesting multiplies them. So this rule
counts, before anything runs, the values the introspection parts of an operation would answer:
it walks each selection over the schema's own types, fields, arguments and wrappers, the objects
graphql-core's introspection resolvers return, and stops as soon as the count passes
`MAX_INTROSPECTION_VALUES` (so the walk costs no more than that, whatever the document). Type
conditions are not applied and `includeDeprecated` is taken as true, so the count errs high;
`__type(name: $variable)` counts every type once. Nothing but introspection fields can be selected
inside `__schema`/`__type` (their types are the `__Schema`/`__Type` meta types, which validation
holds them to), so no real field escapes the other limits through them. graphql-core's own
`MaxIntrospectionDepthRule` (a standard rule) separately refuses `fields`/`interfaces`/
`possibleTypes`/`inputFields` nested three deep.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLDirective,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
)

__all__ = ["MAX_INTROSPECTION_DEPTH", "MAX_INTROSPECTION_VALUES", "IntrospectionLimitRule"]

# The standard query answers about 5,000 values for this schema: room for it five times over (or
# for the schema to grow), small enough that the largest answer allowed holds the event loop for
# about a tenth of a second (docs/admin-api.md, "Query limits").
MAX_INTROSPECTION_VALUES: Final = 25_000
# The standard query nests 14 levels below `__schema` (with `ofType` 9 deep); a walk deeper
# than this is refused rather than followed (it also bounds the walk's recursion).
MAX_INTROSPECTION_DEPTH: Final = 40
_ROOTS: Final = frozenset({"__schema", "__type"})


class _OverBudget(Exception):
    """The count passed the budget, or the walk went too deep: stop walking."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IntrospectionLimitRule(ValidationRule):
    """Refuses an operation whose introspection would answer more than `MAX_INTROSPECTION_VALUES`
    values (see the module docstring)."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        counter = _Counter(self.context.schema, self.context.get_fragment)
        try:
            for root in _introspection_roots(node.selection_set, self.context.get_fragment):
                counter.count_root(root)
        except _OverBudget as over:
            self.report_error(GraphQLError(over.message, node))


def _introspection_roots(selections: SelectionSetNode, get_fragment: Any) -> list[FieldNode]:
    """The `__schema`/`__type` fields of an operation's root selection, fragments followed (each
    fragment once: at the root, spreading one twice selects the same fields again, which merge)."""
    roots: list[FieldNode] = []
    pending = [selections]
    expanded: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in _ROOTS:
                    roots.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = get_fragment(name)
                if fragment is not None and name not in expanded:
                    expanded.add(name)
                    pending.append(fragment.selection_set)
    return roots


class _Counter:
    """Counts the values introspection selections would answer (see the module docstring)."""

    def __init__(self, schema: GraphQLSchema, get_fragment: Any) -> None:
        self._schema = schema
        self._get_fragment = get_fragment
        self.values = 0

    def count_root(self, root: FieldNode) -> None:
        is_schema = root.name.value == "__schema"
        objects: list[object] = [self._schema] if is_schema else self._named_types(root)
        self._add(1 + len(objects))
        self._count(root.selection_set, objects, 1, frozenset())

    def _named_types(self, root: FieldNode) -> list[object]:
        for argument in root.arguments or ():
            if argument.name.value == "name" and isinstance(argument.value, StringValueNode):
                found = self._schema.type_map.get(argument.value.value)
                return [] if found is None else [found]
        return list(self._schema.type_map.values())  # a variable: any type, counted once each

    def _add(self, values: int) -> None:
        self.values += values
        if self.values > MAX_INTROSPECTION_VALUES:
            raise _OverBudget(
                f"Introspection would answer more than {MAX_INTROSPECTION_VALUES} values."
            )

    def _count(
        self,
        selections: SelectionSetNode | None,
        objects: Sequence[object],
        depth: int,
        fragments: frozenset[str],
    ) -> None:
        if selections is None or not objects:
            return
        if depth > MAX_INTROSPECTION_DEPTH:
            raise _OverBudget(
                f"Introspection depth exceeds the maximum of {MAX_INTROSPECTION_DEPTH}."
            )
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                children = [
                    child
                    for parent in objects
                    for child in self._children(parent, selection.name.value)
                ]
                self._add(len(objects) + len(children))
                self._count(selection.selection_set, children, depth + 1, fragments)
            elif isinstance(selection, InlineFragmentNode):
                self._count(selection.selection_set, objects, depth, fragments)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._get_fragment(name)
                if fragment is not None and name not in fragments:  # a cycle is invalid anyway
                    self._count(fragment.selection_set, objects, depth, fragments | {name})

    def _children(self, parent: object, field: str) -> Iterable[object]:
        """What the introspection field `field` of `parent` holds: its objects, or nothing for
        a scalar, a null or a field that does not apply."""
        if isinstance(parent, GraphQLSchema):
            return _schema_children(parent, field)
        if isinstance(parent, GraphQLList | GraphQLNonNull):
            return [parent.of_type] if field == "ofType" else []
        if isinstance(parent, GraphQLField | GraphQLDirective):
            if field == "args":
                return list(parent.args.values())
            if field == "type" and isinstance(parent, GraphQLField):
                return [parent.type]
            return []
        if isinstance(parent, GraphQLArgument | GraphQLInputField):
            return [parent.type] if field == "type" else []
        return self._type_children(parent, field)

    def _type_children(self, type_: object, field: str) -> Iterable[object]:
        if field == "fields" and isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            return list(type_.fields.values())
        if field == "interfaces" and isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            return list(type_.interfaces)
        if field == "possibleTypes" and isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
            return list(self._schema.get_possible_types(type_))
        if field == "enumValues" and isinstance(type_, GraphQLEnumType):
            return list(type_.values.values())
        if field == "inputFields" and isinstance(type_, GraphQLInputObjectType):
            return list(type_.fields.values())
        return []


def _schema_children(schema: GraphQLSchema, field: str) -> Iterable[object]:
    if field == "types":
        return list(schema.type_map.values())
    if field == "directives":
        return list(schema.directives)
    root = {
        "queryType": schema.query_type,
        "mutationType": schema.mutation_type,
        "subscriptionType": schema.subscription_type,
    }.get(field)
    return [] if root is None else [root]
