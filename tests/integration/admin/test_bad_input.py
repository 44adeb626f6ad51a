"""Hostile or malformed requests get a clear error and change nothing."""

from __future__ import annotations

import httpx

from .conftest import GraphQLClient
from .queries import ASSETS, CREATE_ASSET, CREATE_PEER
from .test_assets import create_asset

ASSETS_OF_TENANT = """
query($tenantId: String) { assets(tenantId: $tenantId) { edges { node { id } } } }
"""


async def _raw(api: GraphQLClient, content: bytes) -> httpx.Response:
    transport = httpx.ASGITransport(app=api.node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        return await client.post(
            "/graphql", content=content, headers={"content-type": "application/json"}
        )


async def _no_assets(api: GraphQLClient) -> bool:
    edges: list[object] = (await api.data(ASSETS))["assets"]["edges"]
    return edges == []


async def test_syntax_and_validation_errors_have_apollo_codes(api: GraphQLClient) -> None:
    assert (await api.error("mutation { createAsset(input: {code: "))[0] == ("GRAPHQL_PARSE_FAILED")
    code, _ = await api.error("{ assets { edges { node { secretField } } } }")
    assert code == "GRAPHQL_VALIDATION_FAILED"
    code, message = await api.error(CREATE_ASSET, {"input": {"code": "USD"}})
    assert code == "BAD_USER_INPUT"
    assert "scale" in message
    assert await _no_assets(api)


async def test_malformed_bodies_are_refused(api: GraphQLClient) -> None:
    for content in (b"{not json", b"[]", b'"a string"', b"{}", b'{"query": 5}'):
        response = await _raw(api, content)
        assert 400 <= response.status_code < 500, content
    assert await _no_assets(api)


async def test_wrong_types_in_nested_input(api: GraphQLClient) -> None:
    asset = await create_asset(api)
    variables = {
        "input": {
            "assetId": asset["id"],
            "staticIlpAddress": "test.bob",
            "http": {"outgoing": {"authToken": 5, "endpoint": ["x"]}},
        }
    }
    errors = (await api.query(CREATE_PEER, variables))["errors"]
    assert len(errors) == 2  # one per wrong field
    assert {error["extensions"]["code"] for error in errors} == {"BAD_USER_INPUT"}
    code, _ = await api.error(
        CREATE_PEER,
        {
            "input": {
                **variables["input"],
                "http": {"outgoing": {"authToken": "t", "endpoint": "ftp://x"}},
            }
        },
    )
    assert code == "BAD_USER_INPUT"
    peers = await api.data("{ peers { edges { node { id } } } }")
    assert peers["peers"]["edges"] == []


async def test_http_status_is_apollos(api: GraphQLClient) -> None:
    """400 only when the request cannot be executed; an error while executing is 200."""
    unparseable = await _raw(api, b'{"query": "mutation { createAsset(input: {"}')
    assert unparseable.status_code == 400
    await api.data(CREATE_ASSET, {"input": {"code": "USD", "scale": 2}})
    duplicate = await api.post(
        {"query": CREATE_ASSET, "variables": {"input": {"code": "USD", "scale": 2}}}
    )
    assert duplicate.status_code == 200
    assert duplicate.json()["errors"][0]["extensions"]["code"] == "DUPLICATE"
    missing_variable = await api.post({"query": CREATE_ASSET, "variables": {}})
    assert missing_variable.status_code == 400
    tenant = str(api.node.settings.operator_tenant_id).upper()
    page = await api.post({"query": ASSETS_OF_TENANT, "variables": {"tenantId": tenant}})
    assert len(page.json()["data"]["assets"]["edges"]) == 1  # a UUID, whatever its case


async def test_deep_queries_are_refused_and_errors_suggest_nothing(api: GraphQLClient) -> None:
    nested = "assets { edges { node { id } } }"
    deep = "{ " + " ".join(["__typename"]) + " " + nested + " }"
    assert "errors" not in (await api.query(deep))
    fragments = (
        "fragment F on Query { ...G } fragment G on Query { assets { edges { node { id } } } }"
    )
    ok = await api.query("{ ...F } " + fragments)
    assert "errors" not in ok, ok
    fields = ["peers", *["deeper"] * 10]  # 11 levels (the schema has no cycle this deep)
    too_deep = "{ " + " { ".join(fields) + " }" * len(fields)
    errors = (await api.query(too_deep))["errors"]
    assert "Query depth 11 exceeds the maximum of 10." in [error["message"] for error in errors]
    # Introspection is not limited (GraphQL Armor's ignoreIntrospection): schema tools nest
    # `ofType` deeper than 10 to unwrap lists of non-null types.
    levels = ["__schema", "types", "fields", "type", *["ofType"] * 8]
    introspection = "{ " + " { ".join(levels) + " { name" + " }" * (len(levels) + 1)
    assert "errors" not in await api.query(introspection)
    _, message = await api.error("{ asets { edges { cursor } } }")
    assert message == "Cannot query field 'asets' on type 'Query'."


async def test_deeply_nested_json_is_400_not_500(api: GraphQLClient) -> None:
    for depth in (65, 999, 100_000):
        response = await _raw(api, b"[" * depth + b"]" * depth)
        assert response.status_code == 400, depth
        assert response.json() == {
            "error": "bad_request",
            "reason": "body nests deeper than 64 levels",
        }
    nested = b'{"query": "{ assets { edges { node { id } } } }", "variables": {"a": ' + (
        b"[" * 70 + b"]" * 70 + b"}}"
    )
    assert (await _raw(api, nested)).status_code == 400
    assert await _no_assets(api)


async def test_a_body_over_one_mib_is_413_without_a_secret_too(api: GraphQLClient) -> None:
    name = "x" * (1024 * 1024)
    response = await api.post(
        {"query": CREATE_ASSET, "variables": {"input": {"code": name, "scale": 2}}}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert await _no_assets(api)


async def test_a_query_over_the_cost_or_token_limit_is_refused_before_it_runs(
    api: GraphQLClient,
) -> None:
    """The admin API shares the connector's event loop: 10,000 aliases once held it a minute."""
    many = (
        "{ " + " ".join(f"a{i}: assets {{ edges {{ node {{ id }} }} }}" for i in range(300)) + " }"
    )
    code, message = await api.error(many)
    assert code == "GRAPHQL_VALIDATION_FAILED"
    assert message.startswith("Query cost limit of 5000 exceeded, found ")
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(10_000)) + " }"
    code, message = await api.error(aliases)
    assert code == "GRAPHQL_PARSE_FAILED"
    assert "more than 5000 tokens" in message
    assert (await api.data("{ a: __typename b: __typename }")) == {"a": "Query", "b": "Query"}
