"""Purchase debits, 402/404, the concurrency race, and release back to inventory."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from support.samples import load_sample
from support.wire import quote_e164

from ._helpers import Api, assert_envelope, assert_flat


async def test_purchase_debits_setup_plus_monthly_fee_and_writes_a_ledger_row(api: Api) -> None:
    """balance before - after == setup_fee + monthly_fee; one ledger row with that amount."""
    number = await api.any_inventory_number()
    before = await api.balance()
    reply = await api.purchase(number["e164"])
    assert reply.status == 200
    after = await api.balance()
    cost = Decimal(number["setup_fee"]) + Decimal(number["monthly_fee"])
    assert before - after == cost
    ledger = (await api.ok("GET", "/ledger"))["items"]
    assert len(ledger) == 1
    row = ledger[0]
    assert {"auth_id", "e164", "amount", "at"} <= set(row)
    assert (row["auth_id"], row["e164"], Decimal(row["amount"])) == (
        api.info.auth_id,
        number["e164"],
        cost,
    )
    assert row["at"] == reply.body["number"]["purchased_at"]


async def test_debits_add_up_over_many_purchases(api: Api) -> None:
    """Over ten purchases of mixed integer and decimal fees, the debits add up exactly."""
    items = (await api.inventory())[:10]
    before = await api.balance()
    for item in items:
        assert (await api.purchase(item["e164"])).status == 200
    expected = sum(
        (Decimal(item["setup_fee"]) + Decimal(item["monthly_fee"]) for item in items),
        Decimal(0),
    )
    assert before - await api.balance() == expected
    ledger = (await api.ok("GET", "/ledger"))["items"]
    assert sum((Decimal(row["amount"]) for row in ledger), Decimal(0)) == expected
    assert [row["e164"] for row in ledger] == [item["e164"] for item in items]


async def test_sub_account_purchase_charges_the_master(api: Api) -> None:
    """When a sub-account buys, it owns the number and its master pays."""
    number = await api.any_inventory_number()
    master_before = await api.balance()
    sub_before = await api.balance(api.sub[0])
    reply = await api.purchase(number["e164"], auth=api.sub)
    assert reply.status == 200
    assert reply.body["number"]["account_id"] == api.sub[0]
    cost = Decimal(number["setup_fee"]) + Decimal(number["monthly_fee"])
    assert master_before - await api.balance() == cost
    assert await api.balance(api.sub[0]) == sub_before
    ledger = (await api.ok("GET", "/ledger"))["items"]
    assert [row["auth_id"] for row in ledger] == [api.info.auth_id]


async def test_insufficient_balance_is_402_and_the_number_stays_in_inventory(api: Api) -> None:
    """With too little balance: 402 INSUFFICIENT_BALANCE with details, nothing changes."""
    number = next(
        item
        for item in await api.inventory()
        if Decimal(item["setup_fee"]) + Decimal(item["monthly_fee"]) > 1
    )
    await api.ok("PATCH", f"/accounts/{api.info.auth_id}", {"balance": "0.5"})
    reply = await api.purchase(number["e164"])
    error = assert_envelope(reply, 402, "INSUFFICIENT_BALANCE")
    assert set(error["details"]) == set(load_sample("error.envelope.json")["error"]["details"])
    cost = Decimal(number["setup_fee"]) + Decimal(number["monthly_fee"])
    assert Decimal(error["details"]["required"]) == cost
    assert Decimal(error["details"]["available"]) == Decimal("0.5")
    assert error["details"]["currency"] == "INR"
    assert await api.balance() == Decimal("0.5")
    assert (await api.ok("GET", "/ledger"))["items"] == []
    row = await api.raw_number(number["e164"])
    assert row["owner"] is None
    assert row["status"] == "active"
    assert number["e164"] in {item["e164"] for item in await api.inventory()}


async def test_exact_balance_is_enough(api: Api) -> None:
    """A balance equal to the cost buys the number and leaves zero."""
    number = await api.any_inventory_number()
    cost = Decimal(number["setup_fee"]) + Decimal(number["monthly_fee"])
    await api.ok("PATCH", f"/accounts/{api.info.auth_id}", {"balance": str(cost)})
    assert (await api.purchase(number["e164"])).status == 200
    assert await api.balance() == 0


async def test_not_in_inventory_is_404(api: Api) -> None:
    """Buying an owned number, an unknown number, or the same number twice gives 404."""
    bought = await api.buy()
    again = await api.purchase(bought["e164"])
    assert_flat(again, 404, "not_found")
    assert again.body["message"] == "number not in inventory"
    unknown = await api.purchase("+15550000001")
    assert_flat(unknown, 404, "not_found")
    by_sub = await api.purchase(bought["e164"], auth=api.sub)
    assert_flat(by_sub, 404, "not_found")
    assert len((await api.ok("GET", "/ledger"))["items"]) == 1


async def test_fifty_concurrent_purchases_of_one_number(api: Api) -> None:
    """50 concurrent purchases of one number: exactly one 200, one debit, 49 x 404."""
    number = await api.any_inventory_number()
    before = await api.balance()
    replies = await asyncio.gather(*(api.purchase(number["e164"]) for _ in range(50)))
    statuses = sorted(reply.status for reply in replies)
    assert statuses == [200] + [404] * 49
    ledger = (await api.ok("GET", "/ledger"))["items"]
    assert len(ledger) == 1
    cost = Decimal(number["setup_fee"]) + Decimal(number["monthly_fee"])
    assert before - await api.balance() == cost
    stats = await api.ok("GET", "/stats")
    assert stats["purchases_committed"] == 1
    assert stats["requests"]["POST /api/v1/account/{auth_id}/numbers/purchase-from-inventory"] == 50


async def test_concurrent_buyers_from_different_accounts(api: Api) -> None:
    """Master and both sub-accounts racing for one number: one owner, one debit."""
    number = await api.any_inventory_number()
    buyers = [api.master, api.sub, api.sub2] * 10
    replies = await asyncio.gather(*(api.purchase(number["e164"], auth=b) for b in buyers))
    winners = [buyer for buyer, reply in zip(buyers, replies, strict=True) if reply.status == 200]
    assert len(winners) == 1
    assert {reply.status for reply in replies} == {200, 404}
    assert (await api.raw_number(number["e164"]))["owner"] == winners[0][0]
    assert len((await api.ok("GET", "/ledger"))["items"]) == 1


async def test_release_returns_the_number_to_inventory(api: Api) -> None:
    """Release clears owner and trunk group, sets released_at, and the number is buyable again."""
    await api.ok("POST", "/faults", {"release_status": 204})  # the older release: to inventory
    bought = await api.buy()
    reply = await api.call(
        "DELETE", f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}"
    )
    assert reply.status == 204
    row = await api.raw_number(bought["e164"])
    assert row["owner"] is None
    assert row["trunk_group_id"] is None
    assert row["status"] == "active"
    assert row["released_at"]
    assert row["released_at"].endswith("Z")
    assert bought["e164"] in {item["e164"] for item in await api.inventory()}
    listed = await api.call("GET", f"/v1/account/{api.info.auth_id}/numbers")
    assert listed.body["total"] == 0
    again = await api.purchase(bought["e164"], auth=api.sub)
    assert again.status == 200
    assert again.body["number"]["account_id"] == api.sub[0]
    assert len((await api.ok("GET", "/ledger"))["items"]) == 2


async def test_release_twice_is_403_the_second_time(api: Api) -> None:
    """A second release of the same number is refused: the account no longer owns it."""
    await api.ok("POST", "/faults", {"release_status": 204})  # the older release: to inventory
    bought = await api.buy()
    path = f"/v1/account/{api.info.auth_id}/numbers/{quote_e164(bought['e164'])}"
    assert (await api.call("DELETE", path)).status == 204
    assert_flat(await api.call("DELETE", path), 403, "forbidden")


async def test_purchase_accepts_an_optional_currency(api: Api) -> None:
    """The optional currency field is accepted (and null is allowed)."""
    first, second = (await api.inventory())[:2]
    path = f"/v1/account/{api.info.auth_id}/numbers/purchase-from-inventory"
    with_currency = await api.call(
        "POST", path, json_body={"e164": first["e164"], "currency": "INR"}
    )
    assert with_currency.status == 200
    null_currency = await api.call(
        "POST", path, json_body={"e164": second["e164"], "currency": None}
    )
    assert null_currency.status == 200


async def test_purchase_body_number_without_plus(api: Api) -> None:
    """The body's e164 may omit the +; the number is normalised."""
    number = await api.any_inventory_number()
    reply = await api.purchase(number["e164"][1:])
    assert reply.status == 200
    assert reply.body["number"]["e164"] == number["e164"]
