"""Every /api endpoint answers with the documented status and shape."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from support.samples import load_sample
from support.wire import quote_e164

from ._helpers import Api, assert_flat

NUMBER_FIXTURES = ("list-numbers.account-id.json", "list-numbers.auth-id.json")


def documented_number_keys() -> set[str]:
    keys: set[str] = {"released_at"}  # documented in the field table of wire-api.md
    for name in NUMBER_FIXTURES:
        for item in load_sample(name)["items"]:
            keys |= set(item)
    keys |= set(load_sample("purchase.json")["number"])
    keys |= set(load_sample("purchase.with-items.json")["number"])
    return keys


def assert_money(value: Any) -> None:
    assert isinstance(value, int | Decimal), value
    assert not isinstance(value, bool), value


async def test_list_numbers_shape_matches_the_documented_example(api: Api) -> None:
    """An owned number carries every key of the documented example and no invented key."""
    await api.buy()
    reply = await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers")
    assert reply.status == 200
    body = reply.body
    example = load_sample("list-numbers.account-id.json")
    assert set(body) == set(example)
    assert (body["page"], body["per_page"], body["total"]) == (1, 25, 1)
    item = body["items"][0]
    # application_id is optional: a number bought from inventory is not routed yet.
    assert set(example["items"][0]) - {"application_id"} <= set(item)
    assert set(item) <= documented_number_keys()
    assert item["account_id"] == api.info.auth_id
    assert_money(item["setup_fee"])
    assert_money(item["monthly_fee"])
    for key in ("purchased_at", "created_at", "updated_at", "next_billing_date"):
        assert item[key].endswith("Z"), item[key]


async def test_inventory_shape_matches_the_documented_example(api: Api) -> None:
    """With the older variants selected, inventory items carry the older example's keys,
    a null owner, and capabilities only where the seed has them."""
    await api.ok(
        "POST",
        "/faults",
        {"inventory_owner": None, "missing_capabilities": True, "provider_ref": True},
    )
    reply = await api.call("GET", f"/v1/account/{api.info.auth_id}/inventory/numbers")
    assert reply.status == 200
    body = reply.body
    example = load_sample("list-inventory.json")
    assert set(body) == set(example)
    assert body["total"] == 30
    assert len(body["items"]) == 25
    expected = set(example["items"][0]) | {"account_id"}
    with_caps = [item for item in body["items"] if "capabilities" in item]
    without_caps = [item for item in body["items"] if "capabilities" not in item]
    assert with_caps, "the seed should show both variants"
    assert without_caps, "the seed should show both variants"
    for item in body["items"]:
        assert expected - {"capabilities"} <= set(item)
        assert item["account_id"] is None
        assert item["status"] == "active"
        assert_money(item["setup_fee"])
        assert_money(item["monthly_fee"])
    for item in with_caps:
        assert set(item["capabilities"]) == {"voice", "sms", "mms", "fax"}


async def test_seeded_inventory_is_realistic(api: Api) -> None:
    """Seeded numbers span countries with valid E.164 lengths; fees integers (or, the
    fractional_fees variant, decimals)."""
    items = await api.inventory()
    countries = {item["country"] for item in items}
    assert len(countries) >= 3, countries
    lengths = {"IN": 12, "US": 11, "GB": 12, "AU": 11, "DE": (11, 12)}
    for item in items:
        digits = item["e164"][1:]
        assert item["e164"].startswith("+")
        assert digits.isdigit()
        assert digits[0] != "0"
        expected = lengths[item["country"]]
        assert len(digits) in (expected if isinstance(expected, tuple) else (expected,))
        assert item["region"]
    fees = [item["monthly_fee"] for item in items] + [item["setup_fee"] for item in items]
    assert all(isinstance(fee, int) for fee in fees), "integer fees by default (strict schema)"
    await api.ok("POST", "/faults", {"fractional_fees": True})
    fractional = await api.inventory()
    fees = [item["monthly_fee"] for item in fractional] + [item["setup_fee"] for item in fractional]
    assert all(isinstance(fee, Decimal) for fee in fees), "the fractional_fees variant"
    created = {len(item["created_at"]) for item in items}
    assert len(created) > 1, "fractional-second widths should vary"


async def test_purchase_shape_matches_the_documented_example(api: Api) -> None:
    """Purchase answers 200 {"message", "number"} with source inventory and purchased_at set."""
    number = await api.any_inventory_number()
    reply = await api.purchase(number["e164"])
    assert reply.status == 200
    body = reply.body
    assert set(body) == set(load_sample("purchase.json"))
    assert body["message"] == "purchased from inventory"
    bought = body["number"]
    assert set(load_sample("purchase.json")["number"]) <= set(bought)
    assert bought["e164"] == number["e164"]
    assert bought["id"] == number["id"]
    assert bought["account_id"] == api.info.auth_id
    assert bought["source"] == "inventory"
    assert bought["status"] == "active"
    assert bought["purchased_at"].endswith("Z")


async def test_purchase_with_items_variant(api: Api) -> None:
    """With purchase_items on, the purchase answer also has the documented items list."""
    await api.ok("POST", "/faults", {"purchase_items": True})
    number = await api.any_inventory_number()
    reply = await api.purchase(number["e164"])
    assert reply.status == 200
    assert set(reply.body) == set(load_sample("purchase.with-items.json"))
    assert reply.body["items"] == [reply.body["number"]]


async def test_owner_key_variant_auth_id(api: Api) -> None:
    """With owner_key=auth_id, items name their owner auth_id, as one documented example does."""
    await api.buy()
    await api.ok("POST", "/faults", {"owner_key": "auth_id"})
    reply = await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers")
    item = reply.body["items"][0]
    assert item["auth_id"] == api.info.auth_id
    assert "account_id" not in item
    inventory = await api.inventory()
    assert inventory[0]["auth_id"] == ""
    await api.ok("POST", "/faults", {"inventory_owner": None})
    assert (await api.inventory())[0]["auth_id"] is None


@pytest.mark.parametrize("form", ["percent", "raw_plus", "no_plus"])
async def test_three_path_forms_of_e164(api: Api, form: str) -> None:
    """%2B…, raw + and digits without + in the path all name the same number."""
    await api.ok("POST", "/faults", {"release_status": 204})  # the older release: to inventory
    bought = await api.buy()
    e164 = bought["e164"]
    segment = {"percent": quote_e164(e164), "raw_plus": e164, "no_plus": e164[1:]}[form]
    reply = await api.call("DELETE", f"/v1/account/{api.info.auth_id}/numbers/{segment}")
    assert reply.status == 204, reply.text
    assert (await api.raw_number(e164))["owner"] is None


@pytest.mark.parametrize("spelling", ["account", "Account"])
async def test_both_account_spellings(api: Api, spelling: str) -> None:
    """/v1/account/… and /v1/Account/… are the same API."""
    await api.ok("POST", "/faults", {"release_status": 204})  # the older release: to inventory
    number = await api.any_inventory_number()
    base = f"/v1/{spelling}/{api.info.auth_id}"
    inventory = await api.call("GET", f"{base}/inventory/numbers")
    assert inventory.status == 200
    assert inventory.body["total"] == 30
    bought = await api.call(
        "POST", f"{base}/numbers/purchase-from-inventory", json_body={"e164": number["e164"]}
    )
    assert bought.status == 200
    listed = await api.call("GET", f"{base}/numbers")
    assert [item["e164"] for item in listed.body["items"]] == [number["e164"]]
    sub_id = api.sub[0]
    path = f"{base}/numbers/{quote_e164(number['e164'])}/assign-subaccount"
    assigned = await api.call("POST", path, json_body={"sub_account_id": sub_id})
    assert assigned.status == 200
    unassigned = await api.call("DELETE", path)
    assert unassigned.status == 200
    released = await api.call("DELETE", f"{base}/numbers/{quote_e164(number['e164'])}")
    assert released.status == 204


async def test_release_204_variant_has_an_empty_body(api: Api) -> None:
    """With release_status=204 (the older default), release answers 204 with an empty body."""
    await api.ok("POST", "/faults", {"release_status": 204})
    bought = await api.buy()
    reply = await api.call(
        "DELETE", f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}"
    )
    assert reply.status == 204
    assert reply.text == ""


async def test_release_200_variant(api: Api) -> None:
    """With release_status=200, release answers the documented message body."""
    await api.ok("POST", "/faults", {"release_status": 200})
    bought = await api.buy()
    reply = await api.call(
        "DELETE", f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}"
    )
    assert reply.status == 200
    assert reply.body == load_sample("release.200.json")


async def test_release_of_a_number_not_owned_is_403_forbidden(api: Api) -> None:
    """Releasing an inventory number gives the documented 403 body."""
    number = await api.any_inventory_number()
    reply = await api.call(
        "DELETE", f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(number['e164'])}"
    )
    assert_flat(reply, 403, "forbidden")
    assert reply.body == load_sample("error.forbidden.json")


async def test_release_of_an_unknown_number_is_404(api: Api) -> None:
    """Releasing a well-formed number the emulator never stocked gives 404."""
    reply = await api.call("DELETE", f"/v1/account/{api.info.auth_id}/numbers/%2B15550000000")
    assert_flat(reply, 404, "not_found")


async def test_master_may_release_a_sub_accounts_number(api: Api) -> None:
    """A master releases a number its sub-account owns; a sub cannot release the master's."""
    await api.ok("POST", "/faults", {"release_status": 204})  # the older release: to inventory
    sub_number = await api.buy(auth=api.sub)
    master_number = await api.buy()
    reply = await api.call(
        "DELETE", f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(sub_number['e164'])}"
    )
    assert reply.status == 204
    refused = await api.call(
        "DELETE",
        f"/v1/account/{api.sub[0]}/numbers/{quote_e164(master_number['e164'])}",
        auth=api.sub,
    )
    assert_flat(refused, 403, "forbidden")


async def test_assign_and_unassign_shapes(api: Api) -> None:
    """Assign answers 200 {message, number} owned by the sub; unassign answers 200 {message}."""
    bought = await api.buy()
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}/assign-subaccount"
    assigned = await api.call("POST", path, json_body={"sub_account_id": api.sub[0]})
    assert assigned.status == 200
    assert set(assigned.body) == {"message", "number"}
    assert assigned.body["number"]["account_id"] == api.sub[0]
    unassigned = await api.call("DELETE", path)
    assert unassigned.status == 200
    assert set(unassigned.body) == {"message"}
    assert (await api.raw_number(bought["e164"]))["owner"] == api.info.auth_id


async def test_assign_and_unassign_204_variants(api: Api) -> None:
    """With assign_status/unassign_status 204, both answer 204 with an empty body."""
    await api.ok("POST", "/faults", {"assign_status": 204, "unassign_status": 204})
    bought = await api.buy()
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}/assign-subaccount"
    assigned = await api.call("POST", path, json_body={"sub_account_id": api.sub[0]})
    assert (assigned.status, assigned.text) == (204, "")
    unassigned = await api.call("DELETE", path)
    assert (unassigned.status, unassigned.text) == (204, "")


async def test_assign_errors(api: Api) -> None:
    """Assign: twice → 409 already_assigned; unknown sub → 404; inventory number → 403."""
    bought = await api.buy()
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}/assign-subaccount"
    first = await api.call("POST", path, json_body={"sub_account_id": api.sub[0]})
    assert first.status == 200
    again = await api.call("POST", path, json_body={"sub_account_id": api.sub2[0]})
    assert_flat(again, 409, "already_assigned")
    other = await api.buy()
    other_path = (
        f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(other['e164'])}/assign-subaccount"
    )
    unknown = await api.call("POST", other_path, json_body={"sub_account_id": "SA_NOSUCHSUB1"})
    assert_flat(unknown, 404, "not_found")
    stock = await api.any_inventory_number()
    stock_path = (
        f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(stock['e164'])}/assign-subaccount"
    )
    refused = await api.call("POST", stock_path, json_body={"sub_account_id": api.sub[0]})
    assert_flat(refused, 403, "forbidden")


async def test_assign_of_another_masters_sub_account_is_403(api: Api) -> None:
    """A sub-account of a different master cannot receive this master's number."""
    other_master = await api.ok("POST", "/accounts", {"parent_auth_id": None})
    stranger = await api.ok("POST", "/accounts", {"parent_auth_id": other_master["auth_id"]})
    bought = await api.buy()
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}/assign-subaccount"
    reply = await api.call("POST", path, json_body={"sub_account_id": stranger["auth_id"]})
    assert_flat(reply, 403, "forbidden")


async def test_unassign_of_a_number_not_assigned_is_409_not_assigned(api: Api) -> None:
    """Unassigning a number the master still holds gives 409 not_assigned; unknown gives 404."""
    bought = await api.buy()
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}/assign-subaccount"
    reply = await api.call("DELETE", path)
    assert_flat(reply, 409, "not_assigned")
    assert reply.body["message"] == "number is not assigned to a sub-account"
    stock = await api.any_inventory_number()
    stock_path = (
        f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(stock['e164'])}/assign-subaccount"
    )
    assert_flat(await api.call("DELETE", stock_path), 404, "not_found")


async def test_sub_accounts_list_shape_matches_the_documented_example(api: Api) -> None:
    """The sub-account list has the documented keys, the token redacted."""
    reply = await api.call("GET", f"/v1/accounts/{api.info.auth_id}/sub-accounts/")
    assert reply.status == 200
    body = reply.body
    example = load_sample("sub-accounts.json")
    assert set(body) == set(example)
    assert (body["total"], body["page"], body["size"]) == (2, 1, 25)
    assert [s["auth_id"] for s in body["sub_accounts"]] == [s[0] for s in api.info.subaccounts]
    for item in body["sub_accounts"]:
        assert set(item) == set(example["sub_accounts"][0])
        assert item["auth_token"] == "<redacted>"
        assert item["parent_auth_id"] == api.info.auth_id
        assert item["resource_uri"].endswith(f"/Subaccount/{item['auth_id']}/")
    without_slash = await api.call("GET", f"/v1/accounts/{api.info.auth_id}/sub-accounts")
    assert without_slash.body == body


async def test_sub_accounts_paging_and_active_only(api: Api) -> None:
    """size/page page the sub-accounts; active_only leaves out a disabled one."""
    for _ in range(3):
        await api.ok("POST", "/accounts", {})
    await api.ok("PATCH", f"/accounts/{api.sub2[0]}", {"enabled": False})
    path = f"/v1/accounts/{api.info.auth_id}/sub-accounts/"
    page2 = await api.call("GET", path, params={"size": "2", "page": "2"})
    assert (page2.body["total"], page2.body["page"], page2.body["size"]) == (5, 2, 2)
    assert len(page2.body["sub_accounts"]) == 2
    active = await api.call("GET", path, params={"active_only": "true"})
    assert active.body["total"] == 4
    assert api.sub2[0] not in {s["auth_id"] for s in active.body["sub_accounts"]}


async def test_get_one_sub_account(api: Api) -> None:
    """A sub-account by its Auth ID; an unknown one gives 404."""
    sub_id = api.sub[0]
    reply = await api.call("GET", f"/v1/accounts/{api.info.auth_id}/sub-accounts/{sub_id}")
    assert reply.status == 200
    assert set(reply.body) == set(load_sample("sub-accounts.json")["sub_accounts"][0])
    assert reply.body["auth_id"] == sub_id
    assert reply.body["auth_token"] == "<redacted>"
    missing = await api.call("GET", f"/v1/accounts/{api.info.auth_id}/sub-accounts/SA_UNKNOWN99")
    assert_flat(missing, 404, "not_found")


async def test_every_response_has_a_request_id(api: Api) -> None:
    """Success, error and 204 responses all carry X-Request-ID: req_<hex>."""
    bought = await api.buy()
    replies = [
        await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers"),
        await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers", anonymous=True),
        await api.call(
            "DELETE", f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}"
        ),
        await api.call("GET", "/v1/nothing/here"),
        await api.control("GET", "/clock"),
    ]
    ids = [reply.headers["X-Request-ID"] for reply in replies]
    for request_id in ids:
        assert request_id.startswith("req_")
        int(request_id[4:], 16)
    assert len(set(ids)) == len(ids)


async def test_unknown_route_is_a_flat_404(api: Api) -> None:
    """An unknown /api route gives the flat 404 shape, not an HTML page."""
    reply = await api.call("GET", "/v1/account/x/bogus")
    assert_flat(reply, 404, "not_found")
