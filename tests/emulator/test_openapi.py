"""The OpenAPI 3.1 document: valid, built from the route table the server uses, and
true of real answers in every documented variant."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import jsonschema
from openapi_spec_validator import validate
from support.wire import quote_e164
from yarl import URL

from phonenumbers_async.emulator import Store, create_app
from phonenumbers_async.emulator._app import API_ROUTES
from phonenumbers_async.emulator._state import STATE_KEY

from ._helpers import Api, Reply


async def _document(api: Api) -> dict[str, Any]:
    document: dict[str, Any] = await api.ok("GET", "/openapi.json")
    return document


async def test_the_served_document_is_valid_openapi_3_1(api: Api) -> None:
    """``GET /_emulator/openapi.json`` is an OpenAPI 3.1 document that openapi-spec-validator
    accepts, describing the eight /api operations."""
    document = await _document(api)
    validate(document)
    assert document["openapi"] == "3.1.0"
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert len(operations) == len(API_ROUTES) == 19


def test_the_document_lists_exactly_the_routes_the_server_serves() -> None:
    """Every /api route registered on the application is a documented path or one of its
    ``x-aliases``, and every documented operation is registered (the table is the source)."""
    with contextlib.closing(Store()) as store:
        app = create_app(store)
        served = {
            (route.method, route.resource.canonical)
            for route in app.router.routes()
            if route.resource is not None
            and route.resource.canonical.startswith("/api/")
            and route.method != "HEAD"
        }
        paths = json.loads(app[STATE_KEY].openapi)["paths"]
    documented = set()
    for path, item in paths.items():
        for method, operation in item.items():
            for spelling in (path, *operation.get("x-aliases", [])):
                documented.add((method.upper(), "/api" + spelling))
    assert served == documented


def _validator(document: dict[str, Any], operation_id: str, status: int) -> Any:
    for item in document["paths"].values():
        for operation in item.values():
            if operation["operationId"] == operation_id:
                response = operation["responses"][str(status)]
                content = response.get("content")
                if content is None:
                    return None
                schema = content["application/json"]["schema"]
                return jsonschema.Draft202012Validator(
                    {**schema, "components": document["components"]},
                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
                )
    raise AssertionError(f"no operation {operation_id}")


def _conforms(document: dict[str, Any], operation_id: str, reply: Reply) -> None:
    validator = _validator(document, operation_id, reply.status)
    if validator is None:
        assert reply.text == "", reply.text
    else:
        assert reply.headers["Content-Type"].startswith("application/json")
        validator.validate(reply.body)


async def test_real_answers_conform_in_every_documented_variant(api: Api) -> None:
    """Both owner keys, purchase with and without items, release 204 and 200, assign and
    unassign 200 and 204, and the three error shapes: each real answer validates against
    the schema the document gives for its status."""
    document = await _document(api)
    master = api.info.auth_id
    numbers = f"/v1/account/{master}/numbers"
    for owner_key in ("account_id", "auth_id"):
        await api.ok("POST", "/faults", {"owner_key": owner_key})
        bought = await api.purchase((await api.any_inventory_number())["e164"])
        _conforms(document, "purchaseFromInventory", bought)
        _conforms(document, "listAccountNumbers", await api.call("GET", numbers))
        inventory = await api.call("GET", f"/v1/account/{master}/inventory/numbers")
        _conforms(document, "listInventoryNumbers", inventory)
    await api.ok("POST", "/faults", {"purchase_items": True})
    with_items = await api.purchase((await api.any_inventory_number())["e164"])
    assert "items" in with_items.body
    _conforms(document, "purchaseFromInventory", with_items)
    for status in (204, 200):
        await api.ok("POST", "/faults", {"release_status": status})
        e164 = (await api.buy())["e164"]
        released = await api.call("DELETE", f"{numbers}/{quote_e164(e164)}")
        assert released.status == status
        _conforms(document, "releaseNumber", released)
    for status in (200, 204):
        await api.ok("POST", "/faults", {"assign_status": status, "unassign_status": status})
        path = f"{numbers}/{quote_e164((await api.buy())['e164'])}/assign-subaccount"
        assigned = await api.call("POST", path, json_body={"sub_account_id": api.sub[0]})
        assert assigned.status == status
        _conforms(document, "assignSubaccount", assigned)
        unassigned = await api.call("DELETE", path)
        assert unassigned.status == status
        _conforms(document, "unassignSubaccount", unassigned)
    # the three error shapes
    unauthenticated = await api.call("GET", numbers, anonymous=True)
    assert unauthenticated.status == 401
    _conforms(document, "listAccountNumbers", unauthenticated)
    forbidden = await api.call("GET", numbers, auth=api.sub)
    assert forbidden.status == 403
    _conforms(document, "listAccountNumbers", forbidden)
    path = f"{numbers}/{quote_e164((await api.buy())['e164'])}/assign-subaccount"
    await api.call("POST", path, json_body={"sub_account_id": api.sub[0]})
    e164 = URL(path).parts[-2]
    await api.ok("POST", f"/numbers/{quote_e164(e164)}/calls", {})
    cool_off = await api.call("DELETE", path)
    assert cool_off.status == 409
    assert cool_off.body["error"] == "did_cool_off_in_effect"
    _conforms(document, "unassignSubaccount", cool_off)
    subs = await api.call("GET", f"/v1/accounts/{master}/sub-accounts/")
    _conforms(document, "listSubaccounts", subs)
    one = await api.call("GET", f"/v1/accounts/{master}/sub-accounts/{api.sub[0]}")
    _conforms(document, "getSubaccount", one)
