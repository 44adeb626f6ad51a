"""Introspection over HTTP: the standard query of schema tools (graphql-core's, which GraphiQL,
Apollo and Bruno send in graphql-js's form) is answered in full; abusive introspection, and real
fields hidden in it, are refused before anything runs."""

from __future__ import annotations

from typing import Any

import httpx
from graphql import build_client_schema, get_introspection_query, print_schema

from ilpnode.admin.graphql import build_schema
from ilpnode.admin.graphql.introspection_limits import MAX_INTROSPECTION_VALUES

from .conftest import GraphQLClient

EVERY_OPTION = {
    "descriptions": True,
    "specified_by_url": True,
    "directive_is_repeatable": True,
    "schema_description": True,
    "input_value_deprecation": True,
    "one_of": True,
}
TOO_MANY = f"Introspection would answer more than {MAX_INTROSPECTION_VALUES} values."


async def _post(api: GraphQLClient, query: str, **extra: Any) -> httpx.Response:
    return await api.post({"query": query, **extra})


async def test_the_standard_query_is_answered_and_rebuilds_the_schema(api: GraphQLClient) -> None:
    for options in ({}, EVERY_OPTION):
        query = get_introspection_query(**options)
        response = await _post(api, query, operationName="IntrospectionQuery")
        assert response.status_code == 200
        body = response.json()
        assert "errors" not in body, body["errors"]
        rebuilt = build_client_schema(body["data"])
        assert print_schema(rebuilt) == print_schema(build_schema())


async def test_a_type_lookup_with_deep_type_refs_is_answered(api: GraphQLClient) -> None:
    type_ref = "kind name " + "ofType { kind name " * 12 + "}" * 12
    query = f"""query($name: String!) {{ __type(name: $name) {{
      name fields {{ name args {{ name type {{ {type_ref} }} }} type {{ {type_ref} }} }} }} }}"""
    data = await api.data(query, {"name": "Asset"})
    fields = {field["name"]: field for field in data["__type"]["fields"]}
    assert fields["scale"]["type"]["kind"] == "NON_NULL"
    assert fields["scale"]["type"]["ofType"]["name"] == "UInt8"
    assert {arg["name"] for arg in fields["fees"]["args"]} >= {"first", "after"}


async def test_repeated_introspection_is_refused(api: GraphQLClient) -> None:
    repeated = " ".join(
        f"a{i}: __schema {{ types {{ fields {{ args {{ name }} }} }} }}" for i in range(100)
    )
    response = await _post(api, "{ " + repeated + " }")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["extensions"]["code"], error["message"]) == (
        "GRAPHQL_VALIDATION_FAILED",
        TOO_MANY,
    )
    # through a fragment on the root, and through aliases inside one `__schema`
    fragment = "fragment Many on Query { " + repeated + " }"
    code, message = await api.error("{ ...Many } " + fragment)
    assert (code, message) == ("GRAPHQL_VALIDATION_FAILED", TOO_MANY)
    inside = " ".join(f"t{i}: types {{ fields {{ args {{ name }} }} }}" for i in range(100))
    assert await api.error("{ __schema { " + inside + " } }") == (
        "GRAPHQL_VALIDATION_FAILED",
        TOO_MANY,
    )
    # the standard query's types, several times over
    standard = get_introspection_query(**EVERY_OPTION)
    fragments = standard[standard.index("fragment ") :]
    copies = " ".join(f"s{i}: __schema {{ types {{ ...FullType }} }}" for i in range(6))
    assert (await api.error("{ " + copies + " } " + fragments))[1] == TOO_MANY
    one = await api.query("{ __schema { types { ...FullType } } } " + fragments)
    assert "errors" not in one


async def test_nesting_that_multiplies_is_refused(api: GraphQLClient) -> None:
    nested = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    code, message = await api.error(nested)
    assert (code, message) == ("GRAPHQL_VALIDATION_FAILED", "Maximum introspection depth exceeded")
    by_fragments = (
        "{ __schema { types { ...A } } } "
        "fragment A on __Type { fields { type { ...B } } } "
        "fragment B on __Type { fields { type { ...C } } } "
        "fragment C on __Type { fields { name } }"
    )
    assert (await api.error(by_fragments))[0] == "GRAPHQL_VALIDATION_FAILED"


async def test_no_real_field_hides_inside_introspection(api: GraphQLClient) -> None:
    hidden = [
        "{ __schema { types { assets { edges { node { id } } } } } }",
        '{ __type(name: "Query") { ...Real } } '
        "fragment Real on Query { assets { edges { node { id } } } }",
        '{ __type(name: "Query") { ... on Query { peers { edges { node { id } } } } } }',
    ]
    for query in hidden:
        body = await api.query(query)
        assert "data" not in body or body["data"] is None, query
        assert {error["extensions"]["code"] for error in body["errors"]} == {
            "GRAPHQL_VALIDATION_FAILED"
        }, query
    cycle = "{ __schema { types { ...A } } } fragment A on __Type { ofType { ...A } }"
    assert (await api.error(cycle))[0] == "GRAPHQL_VALIDATION_FAILED"


async def test_introspection_does_not_lift_the_limits_of_real_fields(api: GraphQLClient) -> None:
    fields = ["peers", *["deeper"] * 10]
    too_deep = " { ".join(fields) + " }" * (len(fields) - 1)
    body = await api.query("{ __schema { queryType { name } } " + too_deep + " }")
    assert "Query depth 11 exceeds the maximum of 10." in [e["message"] for e in body["errors"]]
    many = " ".join(f"a{i}: assets {{ edges {{ node {{ id }} }} }}" for i in range(300))
    code, message = await api.error('{ __type(name: "Asset") { name } ' + many + " }")
    assert code == "GRAPHQL_VALIDATION_FAILED"
    assert message.startswith("Query cost limit of 5000 exceeded")
