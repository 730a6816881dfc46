"""The provider's current API on the emulator, over raw HTTP: routing, the release state
machine on the emulator's clock, cancel-release with refunds, money (balance, credit
limit, transactions), sub-account lifecycle, exclude, health, and the strict schema."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support.database import open_database
from support.samples import load_sample
from support.wire import quote_e164

from phonenumbers_async.emulator._store import Store

from ._helpers import Api, assert_envelope, assert_flat

DAY = 86400

# The provider's generated SDKs (strict): an account number item, an inventory item.
ACCOUNT_REQUIRED = frozenset(
    [
        "id",
        "account_id",
        "e164",
        "country",
        "region",
        "capabilities",
        "status",
        "provider",
        "setup_fee",
        "monthly_fee",
        "currency",
        "voice_enabled",
        "tags",
        "purchased_at",
        "is_blocked",
        "created_at",
        "updated_at",
        "is_trial_number",
        "minimum_commitment_months",
        "aadhaar_verification_required",
        "aadhaar_verified",
        "source",
    ]
)
ACCOUNT_OPTIONAL = frozenset(
    ["application_id", "trunk_group_id", "last_billing_date", "next_billing_date", "released_at"]
)
INVENTORY_REQUIRED = frozenset(
    [
        "id",
        "account_id",
        "e164",
        "country",
        "capabilities",
        "status",
        "provider",
        "setup_fee",
        "monthly_fee",
        "currency",
        "voice_enabled",
        "tags",
        "is_blocked",
        "created_at",
        "updated_at",
        "is_trial_number",
        "minimum_commitment_months",
        "aadhaar_verification_required",
        "aadhaar_verified",
    ]
)
INVENTORY_OPTIONAL = frozenset({"region"})
_BOOLS = (
    "voice_enabled",
    "is_blocked",
    "is_trial_number",
    "aadhaar_verification_required",
    "aadhaar_verified",
)
SUBACCOUNT_FIELDS = frozenset(
    [
        "name",
        "email",
        "phone",
        "description",
        "permissions",
        "rate_limit",
        "id",
        "parent_auth_id",
        "auth_id",
        "auth_token",
        "api_id",
        "email_verified",
        "enabled",
        "is_active",
        "created",
        "modified",
        "created_at",
        "updated_at",
        "account",
        "resource_uri",
        "last_used",
    ]
)


def assert_strict_number(item: dict[str, Any], *, inventory: bool) -> None:
    """``item`` satisfies the generated SDK's schema: required present, nothing unknown."""
    required, optional = (
        (INVENTORY_REQUIRED, INVENTORY_OPTIONAL)
        if inventory
        else (ACCOUNT_REQUIRED, ACCOUNT_OPTIONAL)
    )
    keys = set(item)
    assert required <= keys, (required - keys, item)
    assert keys <= required | optional, (keys - required - optional, item)
    assert "provider_ref" not in item
    assert "auth_id" not in item
    for fee in ("setup_fee", "monthly_fee"):
        assert type(item[fee]) is int, item
    assert set(item["capabilities"]) == {"voice", "sms", "mms", "fax"}
    assert all(type(item["capabilities"][k]) is bool for k in item["capabilities"])
    assert all(type(item[k]) is bool for k in _BOOLS), item
    assert type(item["minimum_commitment_months"]) is int
    assert isinstance(item["account_id"], str)
    if inventory:
        assert item["account_id"] == ""
        assert item["tags"] is None or isinstance(item["tags"], list)
    else:
        assert item["account_id"]
        assert isinstance(item["tags"], list)
        for key in ("region", "provider", "purchased_at", "source"):
            assert isinstance(item[key], str), (key, item)
    for key in optional & keys:
        assert isinstance(item[key], str), (key, item)


def numbers_path(api: Api, e164: str = "", auth_id: str | None = None, tail: str = "") -> str:
    base = f"/v1/account/{auth_id or api.info.auth_id}/numbers"
    return base + (f"/{quote_e164(e164)}" if e164 else "") + tail


async def account(api: Api, auth_id: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = await api.ok("GET", f"/accounts/{auth_id or api.info.auth_id}")
    return found


async def advance(api: Api, seconds: float) -> None:
    await api.ok("POST", "/clock", {"advance_seconds": seconds})


# -- strict schema ---------------------------------------------------------


async def test_every_number_item_the_emulator_emits_satisfies_the_strict_schema(
    api: Api,
) -> None:
    """Own listings (master, sub, searched), inventory pages, purchase and assign answers."""
    await api.ok("POST", "/numbers", {"count": 5, "owner": api.info.auth_id})
    await api.ok("POST", "/numbers", {"count": 3, "owner": api.sub[0]})
    bought = await api.purchase((await api.any_inventory_number())["e164"])
    assert_strict_number(bought.body["number"], inventory=False)
    trunk = (await account(api))["trunk_group_ids"][0]
    routed = bought.body["number"]["e164"]
    assert (
        await api.call(
            "POST", numbers_path(api, routed, tail="/assign"), json_body={"trunk_group_id": trunk}
        )
    ).status == 204
    emitted = 0
    for auth, path_id in ((api.master, api.info.auth_id), (api.sub, api.sub[0])):
        for params in ({"per_page": "100"}, {"search": routed[1:5]}):
            reply = await api.call(
                "GET", numbers_path(api, auth_id=path_id), auth=auth, params=params
            )
            assert reply.status == 200
            for item in reply.body["items"]:
                assert_strict_number(item, inventory=False)
                emitted += 1
    for page in ("1", "2"):
        reply = await api.call(
            "GET",
            f"/v1/account/{api.info.auth_id}/inventory/numbers",
            params={"page": page, "per_page": "20"},
        )
        for item in reply.body["items"]:
            assert_strict_number(item, inventory=True)
            emitted += 1
    owned = await api.call("GET", numbers_path(api), params={"search": routed[1:]})
    assert owned.body["items"][0]["trunk_group_id"] == trunk
    assigned = await api.call(
        "POST",
        numbers_path(api, owned.body["items"][0]["e164"], tail="/assign-subaccount"),
        json_body={"sub_account_id": api.sub[0]},
    )
    assert_strict_number(assigned.body["number"], inventory=False)
    assert emitted > 30


async def test_the_older_shapes_stay_selectable(api: Api) -> None:
    """fractional_fees, missing_capabilities, provider_ref, inventory_owner=null, owner_key."""
    await api.ok(
        "POST",
        "/faults",
        {
            "fractional_fees": True,
            "missing_capabilities": True,
            "provider_ref": True,
            "inventory_owner": None,
            "owner_key": "auth_id",
        },
    )
    items = await api.inventory()
    assert all(item["auth_id"] is None for item in items)
    assert all("provider_ref" in item for item in items)
    assert all(isinstance(item["setup_fee"], Decimal) for item in items)
    assert any("capabilities" not in item for item in items)
    reply = await api.ok("GET", "/faults")
    assert reply["release_status"] is None
    assert (await api.control("POST", "/faults", {"inventory_owner": "x"})).status == 400
    assert (await api.control("POST", "/faults", {"fractional_fees": 1})).status == 400


async def test_a_bearer_header_does_not_decide_authentication(api: Api) -> None:
    """The generated SDKs add Authorization: Bearer; X-Auth-* decide."""
    path = api.info.base_url + numbers_path(api)
    headers = {
        "X-Auth-ID": api.info.auth_id,
        "X-Auth-Token": api.info.auth_token,
        "Authorization": "Bearer not-a-real-token",
    }
    async with api.session.get(path, headers=headers) as response:
        assert response.status == 200
    async with api.session.get(path, headers={"Authorization": "Bearer x"}) as response:
        assert response.status == 401


# -- routing -----------------------------------------------------------------


async def test_every_account_starts_with_a_trunk_and_an_application(api: Api) -> None:
    """The control API lists them; more can be created; new accounts get theirs."""
    listed = (await api.ok("GET", "/accounts"))["items"]
    assert len(listed) == 3
    for entry in listed:
        assert len(entry["trunk_group_ids"]) == 1
        assert len(entry["application_ids"]) == 1
    created = await api.ok("POST", "/trunks", {"auth_id": api.sub[0]})
    app = await api.ok("POST", "/applications", {"auth_id": api.sub[0]})
    sub = await account(api, api.sub[0])
    assert sub["trunk_group_ids"][1] == created["trunk_group_id"]
    assert sub["application_ids"][1] == app["application_id"]
    assert (await api.control("POST", "/trunks", {"auth_id": "MA_NOBODY"})).status == 404
    assert (await api.control("POST", "/applications", {})).status == 400
    new = await api.ok("POST", "/accounts", {"name": "Later"})
    assert len(new["trunk_group_ids"]) == 1
    assert len(new["application_ids"]) == 1


@pytest.mark.parametrize("spelling", ["account", "Account"])
async def test_trunk_assign_and_unassign(api: Api, spelling: str) -> None:
    """Assign 204; again 400 already assigned; unassign 204; again 404; foreign trunk 400."""
    bought = await api.buy()
    e164 = bought["e164"]
    trunk = (await account(api))["trunk_group_ids"][0]
    path = f"/v1/{spelling}/{api.info.auth_id}/numbers/{e164}/assign"  # the raw +
    assert (await api.call("POST", path, json_body={"trunk_group_id": trunk})).status == 204
    assert (await api.raw_number(e164))["trunk_group_id"] == trunk
    again = await api.call("POST", path, json_body={"trunk_group_id": trunk})
    assert again.status == 400
    assert again.body == load_sample("error.trunk.already-assigned.json")
    assert (await api.call("DELETE", path)).status == 204
    assert (await api.raw_number(e164))["trunk_group_id"] is None
    assert_flat(await api.call("DELETE", path), 404, "not_found")
    other = await api.ok("POST", "/accounts", {"parent_auth_id": None})
    foreign = other["trunk_group_ids"][0]
    refused = await api.call("POST", path, json_body={"trunk_group_id": foreign})
    assert_flat(refused, 400, "invalid request")
    malformed = await api.call("POST", path, json_body={"trunk_group_id": "not-a-uuid"})
    assert_envelope(malformed, 422)
    sub_trunk = (await account(api, api.sub[0]))["trunk_group_ids"][0]
    assert (await api.call("POST", path, json_body={"trunk_group_id": sub_trunk})).status == 204


async def test_routing_a_number_not_owned_is_404_and_a_siblings_is_403(api: Api) -> None:
    number = await api.any_inventory_number()
    trunk = (await account(api))["trunk_group_ids"][0]
    body = {"trunk_group_id": trunk}
    reply = await api.call(
        "POST", numbers_path(api, number["e164"], tail="/assign"), json_body=body
    )
    assert_flat(reply, 404, "Number not found")
    mine = await api.buy()
    sub_trunk = (await account(api, api.sub[0]))["trunk_group_ids"][0]
    for tail, payload in (
        ("/assign", {"trunk_group_id": sub_trunk}),
        ("/application", {"application_id": "1"}),
    ):
        refused = await api.call(
            "POST",
            numbers_path(api, mine["e164"], auth_id=api.sub[0], tail=tail),
            auth=api.sub,
            json_body=payload,
        )
        assert_flat(refused, 403, "forbidden")
    refused = await api.call(
        "DELETE", numbers_path(api, mine["e164"], auth_id=api.sub[0], tail="/assign"), auth=api.sub
    )
    assert_flat(refused, 403, "forbidden")


async def test_application_attach_is_refused_while_on_a_trunk(api: Api) -> None:
    bought = await api.buy()
    e164 = bought["e164"]
    ids = await account(api)
    app_path = numbers_path(api, e164, tail="/application")
    attach = {"application_id": ids["application_ids"][0]}
    assert (await api.call("POST", app_path, json_body=attach)).status == 200
    assert (await api.raw_number(e164))["application_id"] == ids["application_ids"][0]
    assert (await api.call("DELETE", app_path)).status == 200
    assert_flat(await api.call("DELETE", app_path), 404, "not_found")
    trunk_path = numbers_path(api, e164, tail="/assign")
    trunk = {"trunk_group_id": ids["trunk_group_ids"][0]}
    assert (await api.call("POST", trunk_path, json_body=trunk)).status == 204
    refused = await api.call("POST", app_path, json_body=attach)
    assert_flat(refused, 400, "invalid request")
    unknown = await api.call("POST", app_path, json_body={"application_id": "nope"})
    assert_flat(unknown, 400, "invalid request")


# -- the release state machine ----------------------------------------------


async def test_release_is_pending_24h_then_quarantined_45_days_then_in_inventory(
    api: Api,
) -> None:
    bought = await api.buy()
    e164 = bought["e164"]
    ids = await account(api)
    await api.call(
        "POST",
        numbers_path(api, e164, tail="/assign"),
        json_body={"trunk_group_id": ids["trunk_group_ids"][0]},
    )
    reply = await api.call("DELETE", numbers_path(api, e164))
    assert reply.status == 200
    body = reply.body
    assert set(body) == set(load_sample("release.pending.json"))
    assert body["status"] == "pending_release"
    assert body["release_fee"] == 0
    assert body["cancel_url"] == f"/api/v1/account/{api.info.auth_id}/numbers/{e164}/cancel-release"
    row = await api.raw_number(e164)
    assert (row["owner"], row["status"], row["trunk_group_id"]) == (
        api.info.auth_id,
        "pending_release",
        None,
    )
    listed = await api.call("GET", numbers_path(api), params={"search": e164[1:]})
    assert listed.body["items"][0]["status"] == "pending_release"
    assert_flat(await api.call("DELETE", numbers_path(api, e164)), 400, "invalid request")
    await advance(api, DAY + 1)
    row = await api.raw_number(e164)
    assert (row["owner"], row["status"]) == (None, "released")
    assert e164 not in {item["e164"] for item in await api.inventory(search=e164[1:])}
    assert (await api.purchase(e164)).status == 404
    await advance(api, 44 * DAY)
    assert not await api.inventory(search=e164[1:])
    await advance(api, DAY)
    assert [item["e164"] for item in await api.inventory(search=e164[1:])] == [e164]
    assert (await api.purchase(e164)).status == 200


async def test_immediate_release_skips_the_cancellable_window(api: Api) -> None:
    bought = await api.buy()
    e164 = bought["e164"]
    reply = await api.call("DELETE", numbers_path(api, e164), params={"immediate": "true"})
    assert reply.status == 200
    assert reply.body["status"] == "released"
    row = await api.raw_number(e164)
    assert (row["owner"], row["status"]) == (None, "released")
    cancel = await api.call("POST", numbers_path(api, e164, tail="/cancel-release"))
    assert (cancel.status, cancel.body) == (404, {"error": "number not found"})
    await advance(api, 45 * DAY + 1)
    assert (await api.purchase(e164)).status == 200


async def test_cancel_release_refunds_the_fee_in_the_ledger_and_transactions(api: Api) -> None:
    await api.ok("PATCH", f"/accounts/{api.info.auth_id}", {"release_fee": 25})
    bought = await api.buy()
    e164 = bought["e164"]
    before = await api.balance()
    released = await api.call("DELETE", numbers_path(api, e164))
    assert released.body["release_fee"] == 25
    assert await api.balance() == before - 25
    cancelled = await api.call("POST", numbers_path(api, e164, tail="/cancel-release"))
    assert cancelled.status == 200
    assert set(cancelled.body) == set(load_sample("cancel-release.json"))
    assert cancelled.body["status"] == "active"
    assert cancelled.body["refund_amount"] == 25
    assert cancelled.body["refund_status"] == "success"
    assert await api.balance() == before
    row = await api.raw_number(e164)
    assert (row["owner"], row["status"]) == (api.info.auth_id, "active")
    ledger = (await api.ok("GET", "/ledger"))["items"]
    assert [(r["type"], r["reference_type"], r["amount"]) for r in ledger[-2:]] == [
        ("debit", "did_rental", 25),
        ("refund", "refund", 25),
    ]
    again = await api.call("POST", numbers_path(api, e164, tail="/cancel-release"))
    assert (again.status, again.body) == (400, load_sample("error.cancel-release.not-pending.json"))
    transactions = await api.call("GET", f"/v1/account/{api.info.auth_id}/transactions")
    assert transactions.status == 200
    page = transactions.body
    assert set(page) == set(load_sample("transactions.json"))
    assert page["total"] == len(ledger) == 3
    newest = page["transactions"][0]
    assert set(newest) == set(load_sample("transactions.json")["transactions"][0])
    assert (newest["type"], newest["reference_type"], newest["amount"]) == ("credit", "refund", 25)
    assert [t["reference_type"] for t in page["transactions"]] == [
        "refund",
        "did_rental",
        "did_rental",
    ]
    assert page["summary"]["total_credit"] == 25
    assert page["summary"]["total_transactions"] == 3


async def test_cancel_release_errors(api: Api) -> None:
    """403 access denied (another account's), 404 number not found, 400 not pending."""
    unknown = await api.call("POST", numbers_path(api, "+15550000000", tail="/cancel-release"))
    assert (unknown.status, unknown.body) == (404, {"error": "number not found"})
    mine = await api.buy()
    await api.call("DELETE", numbers_path(api, mine["e164"]))
    denied = await api.call(
        "POST",
        numbers_path(api, mine["e164"], auth_id=api.sub[0], tail="/cancel-release"),
        auth=api.sub,
    )
    assert (denied.status, denied.body) == (403, {"error": "access denied"})
    other = await api.ok("POST", "/accounts", {"parent_auth_id": None, "balance": 1000})
    foreign = await api.call(
        "POST",
        numbers_path(api, mine["e164"], auth_id=other["auth_id"], tail="/cancel-release"),
        auth=(other["auth_id"], other["auth_token"]),
    )
    assert (foreign.status, foreign.body) == (403, {"error": "access denied"})
    inventory = await api.any_inventory_number()
    not_pending = await api.call(
        "POST", numbers_path(api, inventory["e164"], tail="/cancel-release")
    )
    assert (not_pending.status, not_pending.body) == (404, {"error": "number not found"})


async def test_the_older_release_variants_return_to_inventory_at_once(api: Api) -> None:
    for status in (204, 200):
        await api.ok("POST", "/faults", {"release_status": status})
        bought = await api.buy()
        reply = await api.call("DELETE", numbers_path(api, bought["e164"]))
        assert reply.status == status
        assert (await api.raw_number(bought["e164"]))["owner"] is None
        assert await api.inventory(search=bought["e164"][1:])


# -- money -------------------------------------------------------------------


async def test_balance_shape_and_settings(api: Api) -> None:
    await api.ok(
        "PATCH",
        f"/accounts/{api.info.auth_id}",
        {
            "balance": 1000,
            "reserved_funds": 100,
            "credit_limit": 500,
            "credit_limit_type": "soft",
        },
    )
    for spelling in ("Account", "account"):
        reply = await api.call("GET", f"/v1/{spelling}/{api.info.auth_id}/balance/INR")
        assert reply.status == 200
        body = reply.body
        assert set(body) == set(load_sample("balance.json"))
        assert (body["balance"], body["reserved_funds"], body["credit_limit"]) == (1000, 100, 500)
        assert body["available_balance"] == 1400
        assert body["is_postpaid"] is True
        assert body["credit_limit_type"] == "soft"
    await api.ok("PATCH", f"/accounts/{api.info.auth_id}", {"credit_limit_type": "hard"})
    hard = await api.call("GET", f"/v1/Account/{api.info.auth_id}/balance/INR")
    assert (hard.body["available_balance"], hard.body["is_postpaid"]) == (900, False)
    other = await api.call("GET", f"/v1/Account/{api.info.auth_id}/balance/USD")
    assert_flat(other, 404, "not_found")
    bad = await api.control("PATCH", f"/accounts/{api.info.auth_id}", {"credit_limit_type": "x"})
    assert bad.status == 400


async def test_a_purchase_beyond_what_is_available_is_refused_402(api: Api) -> None:
    number = await api.any_inventory_number()
    cost = Decimal(number["setup_fee"]) + Decimal(number["monthly_fee"])
    await api.ok(
        "PATCH",
        f"/accounts/{api.info.auth_id}",
        {"balance": str(cost), "reserved_funds": 1, "credit_limit": 0},
    )
    refused = await api.purchase(number["e164"])
    error = assert_envelope(refused, 402, "INSUFFICIENT_BALANCE")
    assert Decimal(error["details"]["available"]) == cost - 1
    await api.ok(
        "PATCH",
        f"/accounts/{api.info.auth_id}",
        {"credit_limit": 1, "credit_limit_type": "soft"},
    )
    assert (await api.purchase(number["e164"])).status == 200
    ledger = (await api.ok("GET", "/ledger"))["items"]
    assert [row["type"] for row in ledger] == ["debit"]


async def test_transactions_paging_and_the_older_envelope(api: Api) -> None:
    for _ in range(3):
        await api.buy()
    first = await api.call(
        "GET", f"/v1/account/{api.info.auth_id}/transactions", params={"limit": "2"}
    )
    assert (first.body["total"], first.body["total_pages"], len(first.body["transactions"])) == (
        3,
        2,
        2,
    )
    second = await api.call(
        "GET",
        f"/v1/account/{api.info.auth_id}/transactions",
        params={"limit": "2", "offset": "2"},
    )
    assert second.body["page"] == 2
    assert len(second.body["transactions"]) == 1
    await api.ok("POST", "/faults", {"transactions_envelope": "older"})
    older = await api.call("GET", f"/v1/account/{api.info.auth_id}/transactions")
    assert set(older.body) == set(load_sample("transactions.older.json"))
    assert older.body["count"] == 3
    assert "account_id" in older.body["transactions"][0]
    sub = await api.call("GET", f"/v1/account/{api.sub[0]}/transactions", auth=api.sub)
    assert sub.body["count"] == 0


# -- sub-account lifecycle ---------------------------------------------------


async def test_subaccount_create_update_delete(api: Api) -> None:
    path = f"/v1/accounts/{api.info.auth_id}/sub-accounts/"
    created = await api.call("POST", path, json_body={"name": "Support", "email": "s@example.com"})
    assert created.status == 201
    body = created.body
    assert set(body) == {"message", "sub_account", "auth_credentials", "tokens"}
    sub = body["sub_account"]
    assert set(sub) >= SUBACCOUNT_FIELDS
    token = body["auth_credentials"]["auth_token"]
    assert sub["auth_token"] == token
    assert set(body["tokens"]) == {"access_token", "refresh_token", "token_type", "expires_in"}
    new_id = body["auth_credentials"]["auth_id"]
    assert new_id.startswith("SA_")
    # The new credentials work; the token is redacted everywhere else.
    own = await api.call("GET", f"/v1/account/{new_id}/numbers", auth=(new_id, token))
    assert own.status == 200
    fetched = await api.call("GET", f"{path}{new_id}")
    assert fetched.body["auth_token"] == "<redacted>"
    assert set(fetched.body) >= SUBACCOUNT_FIELDS
    control = await account(api, new_id)
    assert len(control["trunk_group_ids"]) == 1
    updated = await api.call(
        "PUT", f"{path}{new_id}", json_body={"name": "Support 2", "enabled": False}
    )
    assert updated.status == 200
    assert (updated.body["name"], updated.body["enabled"]) == ("Support 2", False)
    assert updated.body["auth_token"] == "<redacted>"
    disabled = await api.call("GET", f"/v1/account/{new_id}/numbers", auth=(new_id, token))
    assert disabled.status == 401
    # Its numbers (routed to its own trunk) go back to the master, unrouted.
    [e164] = (await api.ok("POST", "/numbers", {"count": 1, "owner": new_id}))["numbers"]
    await api.call(
        "POST",
        numbers_path(api, e164, tail="/assign"),
        json_body={"trunk_group_id": control["trunk_group_ids"][0]},
    )
    deleted = await api.call("DELETE", f"{path}{new_id}")
    assert (deleted.status, deleted.body) == (200, {"message": "sub-account deleted"})
    row = await api.raw_number(e164)
    assert (row["owner"], row["trunk_group_id"]) == (api.info.auth_id, None)
    assert (await api.call("GET", f"{path}{new_id}")).status == 404
    assert (await api.call("DELETE", f"{path}{new_id}")).status == 404


async def test_subaccount_create_validation_and_authorisation(api: Api) -> None:
    path = f"/v1/accounts/{api.info.auth_id}/sub-accounts/"
    assert_envelope(await api.call("POST", path, json_body={}), 422)
    assert_envelope(await api.call("POST", path, json_body={"name": ""}), 422)
    customer = {"name": "Reseller", "kyc_mode": "customer_use"}
    assert_envelope(await api.call("POST", path, json_body=customer), 422)
    ok = await api.call("POST", path, json_body={**customer, "email": "r@example.com"})
    assert ok.status == 201
    assert_envelope(await api.call("POST", path, json_body={"name": "x", "kyc_mode": "?"}), 422)
    with_permissions = await api.call(
        "POST", path, json_body={"name": "P", "permissions": {"calls": True, "weight": 1.5}}
    )
    assert with_permissions.body["sub_account"]["permissions"] == {"calls": True, "weight": 1.5}
    as_sub = await api.call(
        "POST",
        f"/v1/accounts/{api.sub[0]}/sub-accounts/",
        auth=api.sub,
        json_body={"name": "Nested"},
    )
    assert_flat(as_sub, 403, "forbidden")
    sibling = await api.call(
        "DELETE", f"/v1/accounts/{api.sub[0]}/sub-accounts/{api.sub2[0]}", auth=api.sub
    )
    assert sibling.status == 403


# -- listing filters and health ---------------------------------------------


async def test_inventory_exclude(api: Api) -> None:
    everything = await api.inventory()
    prefixes = sorted({item["e164"][:3] for item in everything})
    first, second = prefixes[0], prefixes[1]
    for params in (
        {"exclude": f"{first},{second[1:]}"},
        {"exclude": [first[1:], second]},
    ):
        reply = await api.call(
            "GET",
            f"/v1/account/{api.info.auth_id}/inventory/numbers",
            params=params,  # type: ignore[arg-type]
        )
        left = [item["e164"] for item in reply.body["items"]]
        expected = [i["e164"] for i in everything if not i["e164"].startswith((first, second))]
        assert reply.body["total"] == len(expected)
        assert left == expected[:25]
    country = everything[0]["country"]
    both = await api.inventory(country=country, exclude=everything[0]["e164"])
    assert all(item["country"] == country for item in both)
    assert everything[0]["e164"] not in {item["e164"] for item in both}
    bad = await api.call(
        "GET", f"/v1/account/{api.info.auth_id}/inventory/numbers", params={"exclude": "91a"}
    )
    assert_envelope(bad, 400, "INVALID_PARAMETER")


async def test_health_from_recorded_calls(api: Api) -> None:
    bought = await api.buy()
    e164 = bought["e164"]
    for body in (
        {"answered": True, "duration_seconds": 120},
        {"answered": True, "duration_seconds": 60},
        {"answered": False},
    ):
        await api.ok("POST", f"/numbers/{quote_e164(e164)}/calls", body)
    reply = await api.call("GET", numbers_path(api, e164, tail="/health"), params={"days": "7"})
    assert reply.status == 200
    body = reply.body
    example = load_sample("health.json")
    assert set(body) == set(example)
    assert set(body["summary"]) == set(example["summary"])
    assert set(body["snapshots"][0]) == set(example["snapshots"][0])
    assert body["summary"]["period_days"] == 7
    assert (body["summary"]["total_calls"], body["summary"]["answered_calls"]) == (3, 2)
    assert body["summary"]["total_minutes"] == 3
    assert body["summary"]["avg_duration"] == 90
    assert len(body["snapshots"]) == 7
    today = body["snapshots"][-1]
    assert (today["total_calls"], today["failed_calls"], today["total_duration"]) == (3, 1, 180)
    hourly = await api.call(
        "GET",
        numbers_path(api, e164, tail="/health"),
        params={"granularity": "hourly", "days": "1"},
    )
    assert len(hourly.body["snapshots"]) == 24
    assert hourly.body["snapshots"][-1]["total_calls"] == 3
    await advance(api, 8 * DAY)
    later = await api.call("GET", numbers_path(api, e164, tail="/health"), params={"days": "7"})
    assert later.body["summary"]["total_calls"] == 0


async def test_health_errors(api: Api) -> None:
    inventory = await api.any_inventory_number()
    path = numbers_path(api, inventory["e164"], tail="/health")
    assert_flat(await api.call("GET", path), 404, "not_found")
    mine = await api.buy()
    sibling = await api.call(
        "GET", numbers_path(api, mine["e164"], auth_id=api.sub[0], tail="/health"), auth=api.sub
    )
    assert_flat(sibling, 403, "forbidden")
    for params in ({"days": "0"}, {"days": "366"}, {"granularity": "weekly"}):
        bad = await api.call("GET", numbers_path(api, mine["e164"], tail="/health"), params=params)
        assert_envelope(bad, 400, "INVALID_PARAMETER")
    record = await api.control(
        "POST", f"/numbers/{quote_e164(mine['e164'])}/calls", {"duration_seconds": -1}
    )
    assert record.status == 400


async def test_a_release_fee_beyond_what_is_available_is_refused_402(api: Api) -> None:
    """Nothing changes: the number stays active on the account."""
    bought = await api.buy()
    await api.ok("PATCH", f"/accounts/{api.info.auth_id}", {"balance": 5, "release_fee": 10})
    refused = await api.call("DELETE", numbers_path(api, bought["e164"]))
    assert_envelope(refused, 402, "INSUFFICIENT_BALANCE")
    row = await api.raw_number(bought["e164"])
    assert (row["owner"], row["status"]) == (api.info.auth_id, "active")
    assert await api.balance() == 5


async def test_a_database_from_before_the_current_api_gains_its_columns(tmp_path: Path) -> None:
    """Columns added since schema 2 are added in place when an older file is opened."""
    db = tmp_path / "old.db"
    store = Store(str(db))
    store.close()
    with open_database(db) as conn:
        for table, column in (("accounts", "release_fee"), ("numbers", "cooldown_ends_at")):
            conn.execute("DROP INDEX IF EXISTS numbers_cooldown")
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    reopened = Store(str(db))
    try:
        columns = {str(row[1]) for row in reopened._conn.execute("PRAGMA table_info(accounts)")}
        assert "release_fee" in columns
        columns = {str(row[1]) for row in reopened._conn.execute("PRAGMA table_info(numbers)")}
        assert "cooldown_ends_at" in columns
    finally:
        reopened.close()
