"""'Someone else bought it first', injected through the control API: a route that gives
an inventory number to another account now, and a fault that does it on the next purchases."""

from __future__ import annotations

import pytest
from support.wire import quote_e164 as quote

from phonenumbers_async.emulator import EmulatorControl, EmulatorControlError

from ._helpers import Api


async def test_take_gives_an_inventory_number_to_another_account(api: Api) -> None:
    """POST /numbers/{e164}/take: the number leaves inventory, owned by the other account,
    and the account that then tries to buy it is told 404 without a debit."""
    other = (await api.ok("POST", "/accounts", {"parent_auth_id": None}))["auth_id"]
    number = await api.any_inventory_number()
    e164 = number["e164"]
    taken = await api.ok("POST", f"/numbers/{quote(e164)}/take", {"auth_id": other})
    assert taken["owner"] == other
    assert e164 not in {row["e164"] for row in await api.inventory()}
    before = await api.balance()
    reply = await api.purchase(e164)
    assert reply.status == 404
    assert await api.balance() == before
    assert (await api.ok("GET", "/ledger"))["items"] == []


async def test_take_refuses_what_is_not_on_sale_or_an_unknown_buyer(api: Api) -> None:
    """Taking a number not in inventory is a 404; an unknown buyer is a 400; never a 500."""
    other = (await api.ok("POST", "/accounts", {"parent_auth_id": None}))["auth_id"]
    e164 = (await api.any_inventory_number())["e164"]
    await api.ok("POST", f"/numbers/{quote(e164)}/take", {"auth_id": other})
    again = await api.control("POST", f"/numbers/{quote(e164)}/take", {"auth_id": other})
    assert again.status == 404
    unknown = await api.control("POST", f"/numbers/{quote(e164)}/take", {"auth_id": "MA_NOBODY"})
    assert unknown.status == 400
    missing = await api.control("POST", f"/numbers/{quote(e164)}/take", {})
    assert missing.status == 400


async def test_taken_fault_takes_the_next_purchases_only(api: Api) -> None:
    """purchase_taken_by with purchase_taken_count=2: the next two purchases find their number
    gone (404, owned by the other buyer), the third succeeds; the count is reported."""
    other = (await api.ok("POST", "/accounts", {"parent_auth_id": None}))["auth_id"]
    faults = await api.ok(
        "POST", "/faults", {"purchase_taken_by": other, "purchase_taken_count": 2}
    )
    assert faults["purchases_taken"] == 0
    wanted = [row["e164"] for row in (await api.inventory())[:3]]
    statuses = [(await api.purchase(e164)).status for e164 in wanted]
    assert statuses == [404, 404, 200]
    owners = [(await api.raw_number(e164))["owner"] for e164 in wanted]
    assert owners == [other, other, api.info.auth_id]
    assert (await api.ok("GET", "/faults"))["purchases_taken"] == 2


async def test_taken_fault_refuses_an_unknown_buyer(api: Api) -> None:
    """A purchase_taken_by that is no account is refused with 400 (not stored)."""
    reply = await api.control("POST", "/faults", {"purchase_taken_by": "MA_NOBODY"})
    assert reply.status == 400
    wrong_type = await api.control("POST", "/faults", {"purchase_taken_by": 7})
    assert wrong_type.status == 400


async def test_control_client_take_number(api: Api) -> None:
    """EmulatorControl.take_number does the same; an error comes back typed."""
    async with EmulatorControl(api.info.root_url) as control:
        other = (await control.create_account(parent_auth_id=None))["auth_id"]
        e164 = (await api.any_inventory_number())["e164"]
        row = await control.take_number(e164, other)
        assert row["owner"] == other
        with pytest.raises(EmulatorControlError) as refused:
            await control.take_number(e164, other)
        assert refused.value.status == 404
