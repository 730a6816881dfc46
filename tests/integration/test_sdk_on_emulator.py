"""The SDK against the emulator over loopback HTTP: every operation and every wire variant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest

from phonenumbers_async import (
    AsyncClient,
    AuthenticationFailed,
    CoolOffInEffect,
    InsufficientBalance,
    NotFound,
    NumberStatus,
    PermissionDenied,
    PhoneNumber,
)
from phonenumbers_async._fastdecode import decode_number_page_fast
from phonenumbers_async._sansio import decode_number_page_general
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo, run_emulator


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorInfo]:
    """An in-memory emulator on this test's loop: 40 numbers, 2 sub-accounts."""
    async with run_emulator(seed_inventory=40, subaccounts=2, seed=11) as info:
        yield info


@pytest.fixture
async def client(emu: EmulatorInfo) -> AsyncIterator[AsyncClient]:
    """The master account's client, with quick retries."""
    async with AsyncClient(emu.auth_id, emu.auth_token, base_url=emu.base_url) as api:
        yield api


async def _first_for_sale(client: AsyncClient, country: str | None = None) -> PhoneNumber:
    page = await client.inventory.list(country=country, per_page=1)
    assert page.items, "the emulator was seeded with inventory"
    return page.items[0]


async def test_inventory_listing_and_filters(client: AsyncClient) -> None:
    """Inventory pages carry total, have no owner, and honour country and search."""
    everything = [number async for number in client.inventory.iter(per_page=7)]
    assert len(everything) == 40
    assert len({number.e164 for number in everything}) == 40
    # The emulator's strict default owner is "": the SDK reads it as no owner.
    assert all(number.account_id is None for number in everything)
    country = everything[0].country
    assert country is not None
    in_country = [number async for number in client.inventory.iter(country=country)]
    assert in_country
    assert all(number.country == country for number in in_country)
    target = everything[3].e164
    found = await client.inventory.list(search=target[1:])
    assert [number.e164 for number in found.items] == [target]


async def test_purchase_debits_and_lists_as_owned(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """A purchase returns the owned number and debits setup_fee + monthly_fee once."""
    offer = await _first_for_sale(client)
    before = Decimal(str((await control.account(emu.auth_id))["balance"]))
    bought = await client.numbers.purchase(offer.e164)
    after = Decimal(str((await control.account(emu.auth_id))["balance"]))
    assert bought.e164 == offer.e164
    assert bought.account_id == emu.auth_id
    assert bought.status is NumberStatus.ACTIVE
    assert isinstance(bought.monthly_fee, Decimal)
    assert before - after == offer.upfront_cost
    owned = [number async for number in client.numbers.iter()]
    assert [number.e164 for number in owned] == [offer.e164]
    assert not await client.inventory.contains(offer.e164)
    ledger = await control.ledger()
    assert [row["e164"] for row in ledger] == [offer.e164]


async def test_purchase_not_in_inventory_is_not_found(client: AsyncClient) -> None:
    """Buying a number that is not for sale raises NotFound and is not retried."""
    with pytest.raises(NotFound):
        await client.numbers.purchase("+15550000000")


async def test_purchase_without_balance_is_insufficient_balance(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """With no balance the purchase raises InsufficientBalance and the number stays for sale."""
    await control.update_account(emu.auth_id, balance=0)
    offer = await _first_for_sale(client)
    with pytest.raises(InsufficientBalance) as raised:
        await client.numbers.purchase(offer.e164)
    assert raised.value.status == 402
    assert raised.value.request_id
    assert await client.inventory.contains(offer.e164)


async def test_subaccount_purchase_charges_the_master(
    emu: EmulatorInfo, control: EmulatorControl
) -> None:
    """A sub-account buys with its own credentials; the master pays."""
    sub_id, sub_token = emu.subaccounts[0]
    async with AsyncClient(sub_id, sub_token, base_url=emu.base_url) as sub:
        offer = await _first_for_sale(sub)
        bought = await sub.numbers.purchase(offer.e164)
    assert bought.account_id == sub_id
    ledger = await control.ledger()
    assert [(row["auth_id"], row["e164"]) for row in ledger] == [(emu.auth_id, offer.e164)]


async def test_release_204_and_200_variants(client: AsyncClient, control: EmulatorControl) -> None:
    """Both older answers (204 empty, 200 with a message) read as a Release that is done."""
    for status in (204, 200):
        await control.set_faults(release_status=status)
        offer = await _first_for_sale(client)
        await client.numbers.purchase(offer.e164)
        released = await client.numbers.release(offer.e164)
        assert released.status is NumberStatus.RELEASED
        assert not released.cancellable
        assert await client.inventory.contains(offer.e164)
        row = await control.number(offer.e164)
        assert row["released_at"] is not None


async def test_release_of_a_number_not_owned_is_permission_denied(
    client: AsyncClient,
) -> None:
    """Releasing a number the account does not own raises PermissionDenied (flat shape)."""
    offer = await _first_for_sale(client)
    with pytest.raises(PermissionDenied) as raised:
        await client.numbers.release(offer.e164)
    assert raised.value.code == "forbidden"
    assert "does not own" in raised.value.message


async def test_owner_key_auth_id_and_purchase_items_variants(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """Numbers whose owner comes as auth_id, and purchases that add items, read the same."""
    await control.set_faults(owner_key="auth_id", purchase_items=True)
    offer = await _first_for_sale(client)
    bought = await client.numbers.purchase(offer.e164)
    assert bought.account_id == emu.auth_id
    listed = await client.numbers.list()
    assert [number.account_id for number in listed.items] == [emu.auth_id]
    assert "auth_id" not in listed.items[0].extra


async def test_master_listing_includes_subaccounts_unless_told_not_to(
    client: AsyncClient, emu: EmulatorInfo
) -> None:
    """include_subaccounts defaults to true for a master; false shows only its own numbers."""
    sub_id = emu.subaccounts[0][0]
    first = await client.numbers.purchase((await _first_for_sale(client)).e164)
    second = await client.numbers.purchase((await _first_for_sale(client)).e164)
    await client.subaccounts.assign_number(second.e164, sub_id)
    everything = {n.e164: n.account_id async for n in client.numbers.iter()}
    assert everything == {first.e164: emu.auth_id, second.e164: sub_id}
    own = [n.e164 async for n in client.numbers.iter(include_subaccounts=False)]
    assert own == [first.e164]
    theirs = [n.e164 async for n in client.numbers.iter(auth_id=sub_id)]
    assert theirs == [second.e164]
    fanned = {n.e164: n.account_id async for n in client.numbers.iter_fanout(concurrency=3)}
    assert fanned == everything


async def test_subaccounts_listing_and_get(client: AsyncClient, emu: EmulatorInfo) -> None:
    """Sub-accounts list with size-based paging and come back one by one, token masked."""
    subs = [sub async for sub in client.subaccounts.iter(per_page=1)]
    assert sorted(sub.auth_id for sub in subs) == sorted(sa for sa, _ in emu.subaccounts)
    one = await client.subaccounts.get(subs[0].auth_id)
    assert one.auth_id == subs[0].auth_id
    assert one.parent_auth_id == emu.auth_id
    assert "auth_token" not in repr(one)
    page = await client.subaccounts.list(per_page=1)
    assert page.per_page == 1
    assert page.total == 2


async def test_cool_off_table(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """Never used and old calls unassign at once; a recent call is refused until 15 days pass."""
    sub_id = emu.subaccounts[0][0]
    numbers = [
        await client.numbers.purchase((await _first_for_sale(client)).e164) for _ in range(3)
    ]
    for number in numbers:
        await client.subaccounts.assign_number(number.e164, sub_id)
    never_used, old_call, recent_call = (number.e164 for number in numbers)
    now = datetime.fromisoformat(await control.now())
    await control.record_call(old_call, (now - timedelta(days=16)).isoformat())
    await control.record_call(recent_call, (now - timedelta(days=1)).isoformat())

    await client.subaccounts.unassign_number(never_used)
    await client.subaccounts.unassign_number(old_call)
    with pytest.raises(CoolOffInEffect) as raised:
        await client.subaccounts.unassign_number(recent_call)
    refusal = raised.value
    assert refusal.status == 409
    assert refusal.cool_off_until is not None
    assert refusal.cool_off_until.tzinfo is not None
    expected_until = now + timedelta(days=14)
    assert abs((refusal.cool_off_until - expected_until).total_seconds()) < 5
    assert refusal.cool_off_remaining is not None
    assert timedelta(days=13, hours=23) < refusal.cool_off_remaining <= timedelta(days=14)

    await control.advance_clock(14 * 24 * 3600 + 60)
    await client.subaccounts.unassign_number(recent_call)
    owners = {n.e164: n.account_id async for n in client.numbers.iter()}
    assert set(owners.values()) == {emu.auth_id}


async def test_forced_unassign_is_audited_and_admin_only(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """force=True by the admin master skips the cool-off and writes an audit row."""
    sub_id = emu.subaccounts[0][0]
    number = await client.numbers.purchase((await _first_for_sale(client)).e164)
    await client.subaccounts.assign_number(number.e164, sub_id)
    await control.record_call(number.e164)
    with pytest.raises(CoolOffInEffect):
        await client.subaccounts.unassign_number(number.e164)
    await client.subaccounts.unassign_number(number.e164, force=True)
    forced = [row for row in await control.audit() if row["forced"]]
    assert [row["e164"] for row in forced] == [number.e164]

    await control.update_account(emu.auth_id, is_admin=False)
    await client.subaccounts.assign_number(number.e164, sub_id)
    await control.record_call(number.e164)
    with pytest.raises(PermissionDenied):
        await client.subaccounts.unassign_number(number.e164, force=True)


async def test_wrong_token_is_authentication_failed(emu: EmulatorInfo) -> None:
    """A wrong token raises AuthenticationFailed, and the token is nowhere in the error."""
    async with AsyncClient(emu.auth_id, "wrong-token-123", base_url=emu.base_url) as bad:
        with pytest.raises(AuthenticationFailed) as raised:
            await bad.numbers.list()
    assert "wrong-token-123" not in str(raised.value)
    assert "wrong-token-123" not in repr(raised.value.body)


async def test_timestamps_are_aware(client: AsyncClient) -> None:
    """Every timestamp the emulator sends (varied fractional widths) reads as an aware datetime."""
    offer = await _first_for_sale(client)
    bought = await client.numbers.purchase(offer.e164)
    for stamp in (bought.created_at, bought.updated_at, bought.purchased_at):
        assert stamp is not None
        assert stamp.tzinfo is not None
        assert stamp <= datetime.now(UTC) + timedelta(minutes=1)


@pytest.mark.parametrize("owner_key", ["account_id", "auth_id"])
async def test_emulator_pages_take_the_fast_decoder_and_read_the_same(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo, owner_key: str
) -> None:
    """The emulator speaks the documented format: msgspec takes its pages, with the same result."""
    if decode_number_page_fast is None:
        pytest.skip("msgspec (the speedups extra) is not installed")
    await control.set_faults(owner_key=owner_key)
    await client.numbers.purchase((await _first_for_sale(client)).e164)
    headers = {"X-Auth-ID": emu.auth_id, "X-Auth-Token": emu.auth_token}
    async with aiohttp.ClientSession(headers=headers) as session:
        for path in ("numbers", "inventory/numbers"):
            url = f"{emu.base_url}/v1/account/{emu.auth_id}/{path}?page=1&per_page=5"
            async with session.get(url) as response:
                assert response.status == 200
                body = await response.read()
            fast = decode_number_page_fast(body)
            assert fast is not None, path
            assert fast[0] == decode_number_page_general(body).items
