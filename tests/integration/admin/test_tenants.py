"""The node's one tenant over HTTP, on SQLite and PostgreSQL: `whoami`, `tenant`, `tenants` with
Rafiki's shapes and no secret, and every tenant mutation refused without changing anything."""

from __future__ import annotations

import json
import re
from typing import Any

from ilpnode.bootstrap import build_node
from tests.support import make_settings

from .conftest import GraphQLClient
from .test_assets import create_asset
from .test_signature_http import _send, _signed

TENANT_FIELDS = """
  id email apiSecret idpConsentUrl idpSecret publicName createdAt deletedAt settings { key value }
"""
WHOAMI = "query WhoAmI { whoami { id isOperator } }"
TENANT = f"query GetTenant($id: String!) {{ tenant(id: $id) {{ {TENANT_FIELDS} }} }}"
TENANTS = f"""
query ListTenants($after: String, $before: String, $first: Int, $last: Int) {{
  tenants(after: $after, before: $before, first: $first, last: $last) {{
    edges {{ cursor node {{ {TENANT_FIELDS} }} }}
    pageInfo {{ startCursor endCursor hasNextPage hasPreviousPage }}
  }}
}}
"""
REFUSED = "FORBIDDEN"
MUTATIONS = {
    "createTenant": (
        "mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id } } }",
        {"input": {"apiSecret": "a-new-tenant-secret", "publicName": "Other"}},
    ),
    "updateTenant": (
        "mutation($input: UpdateTenantInput!) { updateTenant(input: $input) { tenant { id } } }",
        {"input": {"id": "<operator>", "publicName": "Renamed"}},
    ),
    "deleteTenant": (
        "mutation($id: String!) { deleteTenant(id: $id) { success } }",
        {"id": "<operator>"},
    ),
    "createTenantSettings": (
        "mutation($input: CreateTenantSettingsInput!) {"
        " createTenantSettings(input: $input) { settings { key value } } }",
        {"input": {"settings": [{"key": "ILP_ADDRESS", "value": "test.other"}]}},
    ),
}


def operator_id(api: GraphQLClient) -> str:
    return str(api.node.settings.operator_tenant_id)


async def test_whoami_is_the_operator(api: GraphQLClient) -> None:
    assert await api.data(WHOAMI) == {"whoami": {"id": operator_id(api), "isOperator": True}}


async def test_the_tenant_has_rafikis_shape_and_no_secret(api: GraphQLClient) -> None:
    tenant = (await api.data(TENANT, {"id": operator_id(api)}))["tenant"]

    assert tenant["id"] == operator_id(api)
    assert tenant["publicName"] == api.node.settings.instance_name
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", tenant["createdAt"])
    assert tenant["settings"] == [{"key": "ILP_ADDRESS", "value": api.node.settings.node_address}]
    nulls = ("email", "apiSecret", "idpConsentUrl", "idpSecret", "deletedAt")
    assert {name: tenant[name] for name in nulls} == dict.fromkeys(nulls)
    upper = (await api.data(TENANT, {"id": operator_id(api).upper()}))["tenant"]
    assert upper == tenant


async def test_another_tenant_does_not_exist(api: GraphQLClient) -> None:
    for other in ("00000000-0000-4000-8000-000000000000", "not-a-uuid", ""):
        assert await api.error(TENANT, {"id": other}) == ("NOT_FOUND", "tenant does not exist")


async def test_tenants_is_a_page_of_one(api: GraphQLClient) -> None:
    tenant = (await api.data(TENANT, {"id": operator_id(api)}))["tenant"]
    page = (await api.data(TENANTS))["tenants"]
    assert page == {
        "edges": [{"cursor": operator_id(api), "node": tenant}],
        "pageInfo": {
            "startCursor": operator_id(api),
            "endCursor": operator_id(api),
            "hasNextPage": False,
            "hasPreviousPage": False,
        },
    }
    past = (await api.data(TENANTS, {"after": operator_id(api)}))["tenants"]
    assert past["edges"] == []
    assert await api.error(TENANTS, {"first": 101}) == ("BAD_USER_INPUT", "Pagination index error")
    assert await api.error(TENANTS, {"last": 1}) == (
        "BAD_USER_INPUT",
        "Can't paginate backwards from the start.",
    )


async def test_assets_and_peers_name_the_same_tenant(api: GraphQLClient) -> None:
    await create_asset(api)
    tenant = (await api.data(TENANT, {"id": operator_id(api)}))["tenant"]
    data = await api.data("{ assets { edges { node { tenant { id publicName createdAt } } } } }")
    [edge] = data["assets"]["edges"]
    assert edge["node"]["tenant"] == {
        "id": tenant["id"],
        "publicName": tenant["publicName"],
        "createdAt": tenant["createdAt"],
    }


async def test_every_tenant_mutation_is_refused_and_changes_nothing(api: GraphQLClient) -> None:
    before = await api.data(TENANTS)
    for name, (document, variables) in MUTATIONS.items():
        filled = json.loads(json.dumps(variables).replace("<operator>", operator_id(api)))
        body = await api.query(document, filled)
        [error] = body["errors"]
        assert error["extensions"]["code"] == REFUSED, name
        assert error["message"].startswith("ilpnode has one tenant per node"), name
        assert error["path"] == [name]
    assert await api.data(TENANTS) == before
    assert (await api.data(WHOAMI))["whoami"]["id"] == operator_id(api)


async def test_the_creation_time_survives_a_restart(node_settings: dict[str, Any]) -> None:
    times = []
    for _ in range(2):
        node = build_node(make_settings(**node_settings))
        await node.start()
        try:
            api = GraphQLClient(node)
            times.append((await api.data(TENANT, {"id": operator_id(api)}))["tenant"]["createdAt"])
        finally:
            await node.close()
    assert times[0] == times[1]


async def test_no_secret_appears_in_any_tenant_answer(node_settings: dict[str, Any]) -> None:
    """With ADMIN_API_SECRET set (requests signed), the secret is nowhere in the answers."""
    secret = "the-operators-admin-api-secret-0123"
    node = build_node(make_settings(**node_settings, admin_api_secret=secret))
    await node.start()
    try:
        texts = []
        for document, variables in (
            (TENANT, {"id": str(node.settings.operator_tenant_id)}),
            (TENANTS, {}),
        ):
            signed = _signed(document, variables, secret=secret)
            response = await _send(node, signed.body, {"signature": signed.header})
            assert response.status_code == 200
            assert "errors" not in response.json()
            texts.append(response.text)
        assert all(secret not in text for text in texts)
        assert all('"apiSecret":null' in text.replace(" ", "") for text in texts)
    finally:
        await node.close()
