"""The SDK's methods for the provider's current API, against the emulator over loopback:
async (``AsyncClient``) and sync (``Client``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import pytest
from support.control import SyncControl

from phonenumbers_async import (
    AsyncClient,
    BadRequest,
    Client,
    InsufficientBalance,
    NotFound,
    NumberStatus,
    PermissionDenied,
)
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo, EmulatorThread, run_emulator

DAY = 86400


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorInfo]:
    """An in-memory emulator on this test's loop: 40 numbers, 2 sub-accounts."""
    async with run_emulator(seed_inventory=40, subaccounts=2, seed=13) as info:
        yield info


@pytest.fixture
async def client(emu: EmulatorInfo) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(emu.auth_id, emu.auth_token, base_url=emu.base_url) as api:
        yield api


async def _buy(client: AsyncClient) -> str:
    page = await client.inventory.list(per_page=1)
    bought = await client.numbers.purchase(page.items[0].e164)
    return bought.e164


async def test_get_and_search(client: AsyncClient) -> None:
    e164 = await _buy(client)
    found = await client.numbers.get(e164)
    assert (found.e164, found.status) == (e164, NumberStatus.ACTIVE)
    assert [n.e164 async for n in client.numbers.iter(search=e164[:6])] == [e164]
    offer = (await client.inventory.list(per_page=1)).items[0]
    with pytest.raises(NotFound):
        await client.numbers.get(offer.e164)


async def test_inventory_exclude(client: AsyncClient) -> None:
    everything = [n async for n in client.inventory.iter()]
    prefix = everything[0].e164[:4]
    left = [n async for n in client.inventory.iter(exclude=[prefix, "+999"])]
    assert left
    assert all(not n.e164.startswith(prefix) for n in left)
    assert len(left) == len([n for n in everything if not n.e164.startswith(prefix)])
    page = await client.inventory.list(exclude=[prefix[1:]])
    assert page.total == len(left)


async def test_release_cancel_and_the_clock(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    await control.update_account(emu.auth_id, release_fee=10)
    e164 = await _buy(client)
    before = (await client.account.balance("INR")).balance
    assert before is not None
    released = await client.numbers.release(e164)
    assert released.status is NumberStatus.PENDING_RELEASE
    assert released.release_fee == Decimal(10)
    assert released.cooldown_ends_at is not None
    assert (await client.numbers.get(e164)).status is NumberStatus.PENDING_RELEASE
    assert (await client.account.balance("INR")).balance == before - 10
    cancelled = await client.numbers.cancel_release(e164)
    assert cancelled.status is NumberStatus.ACTIVE
    assert cancelled.refund_amount == Decimal(10)
    assert cancelled.refund_status == "success"
    assert (await client.account.balance("INR")).balance == before
    # A fresh call told "not pending release" is an error (only a resend is reconciled).
    with pytest.raises(BadRequest):
        await client.numbers.cancel_release(e164)
    await client.numbers.release(e164)
    await control.advance_clock(DAY + 1)
    with pytest.raises(NotFound):
        await client.numbers.get(e164)
    assert not await client.inventory.contains(e164)
    await control.advance_clock(45 * DAY)
    assert await client.inventory.contains(e164)


async def test_immediate_release(client: AsyncClient, control: EmulatorControl) -> None:
    e164 = await _buy(client)
    released = await client.numbers.release(e164, immediate=True)
    assert released.status is NumberStatus.RELEASED
    assert (await control.number(e164))["owner"] is None
    assert not await client.inventory.contains(e164)


async def test_trunk_and_application_routing(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    ids = await control.account(emu.auth_id)
    trunk, application = ids["trunk_group_ids"][0], ids["application_ids"][0]
    e164 = await _buy(client)
    await client.numbers.attach_application(e164, application)
    assert (await client.numbers.get(e164)).application_id == application
    await client.numbers.detach_application(e164)
    await client.numbers.assign_trunk(e164, trunk)
    assert (await client.numbers.get(e164)).trunk_group_id == trunk
    other = await control.create_trunk(emu.auth_id)
    assert other in (await control.account(emu.auth_id))["trunk_group_ids"]
    assert await control.create_application(emu.auth_id)
    with pytest.raises(BadRequest) as refused:
        await client.numbers.assign_trunk(e164, other)
    assert "already assigned to a trunk" in str(refused.value)
    with pytest.raises(BadRequest):
        await client.numbers.attach_application(e164, application)
    await client.numbers.unassign_trunk(e164)
    assert (await client.numbers.get(e164)).trunk_group_id is None
    with pytest.raises(NotFound):
        await client.numbers.unassign_trunk(e164)
    await client.numbers.assign_trunk(e164, trunk)
    await client.numbers.release(e164)
    row = await control.number(e164)
    assert (row["trunk_group_id"], row["application_id"]) == (None, None)


async def test_a_sub_account_routes_only_its_own_numbers(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    sub_id, sub_token = emu.subaccounts[0]
    e164 = await _buy(client)
    sub_trunk = (await control.account(sub_id))["trunk_group_ids"][0]
    async with AsyncClient(sub_id, sub_token, base_url=emu.base_url) as sub:
        with pytest.raises(PermissionDenied):
            await sub.numbers.assign_trunk(e164, sub_trunk)
        with pytest.raises(PermissionDenied):
            await sub.numbers.health(e164)
        [own] = await control.create_numbers(1, owner=sub_id)
        await sub.numbers.assign_trunk(own, sub_trunk)
        assert (await sub.numbers.get(own)).trunk_group_id == sub_trunk


async def test_health(client: AsyncClient, control: EmulatorControl) -> None:
    e164 = await _buy(client)
    await control.record_call(e164, duration_seconds=30)
    await control.record_call(e164, duration_seconds=90)
    await control.record_call(e164, answered=False)
    health = await client.numbers.health(e164, days=3)
    assert health.e164 == e164
    assert health.summary is not None
    assert (health.summary.total_calls, health.summary.answered_calls) == (3, 2)
    assert len(health.snapshots) == 3
    assert health.snapshots[-1].failed_calls == 1
    hourly = await client.numbers.health(e164, granularity="hourly", days=1)
    assert len(hourly.snapshots) == 24


async def test_balance_credit_limit_and_transactions(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    e164 = await _buy(client)
    balance = await client.account.balance("INR")
    assert balance.available_balance == balance.balance
    page = await client.account.list_transactions(per_page=10)
    assert page.total == 1
    [entry] = page.items
    assert (entry.type, entry.reference_type, entry.reference) == ("debit", "did_rental", e164)
    assert entry.account_id == emu.auth_id
    await control.update_account(
        emu.auth_id, balance=0, credit_limit=50, credit_limit_type="hard", reserved_funds=0
    )
    offer = (await client.inventory.list(per_page=1)).items[0]
    with pytest.raises(InsufficientBalance):
        await client.numbers.purchase(offer.e164)
    cost = (offer.setup_fee or 0) + (offer.monthly_fee or 0)
    await control.update_account(emu.auth_id, credit_limit=cost, credit_limit_type="soft")
    assert (await client.account.balance("INR")).available_balance == cost
    await client.numbers.purchase(offer.e164)
    assert (await client.account.balance("INR")).available_balance == 0
    assert len([t async for t in client.account.iter_transactions(per_page=1)]) == 2


async def test_subaccount_lifecycle(client: AsyncClient, emu: EmulatorInfo) -> None:
    created = await client.subaccounts.create(name="Support", email="s@example.com")
    assert created.auth_id.startswith("SA_")
    assert created.auth_token
    assert created.auth_token not in repr(created)
    assert created.sub_account.name == "Support"
    async with AsyncClient(created.auth_id, created.auth_token, base_url=emu.base_url) as sub:
        assert (await sub.numbers.list()).total == 0
    updated = await client.subaccounts.update(created.auth_id, name="Support 2", enabled=False)
    assert (updated.name, updated.enabled) == ("Support 2", False)
    await client.subaccounts.delete(created.auth_id)
    with pytest.raises(NotFound):
        await client.subaccounts.get(created.auth_id)


# -- the same through the sync facade ----------------------------------------


@pytest.fixture
def thread() -> Iterator[EmulatorInfo]:
    with EmulatorThread(seed_inventory=30, subaccounts=2, seed=14) as info:
        yield info


def test_the_sync_client_covers_the_current_api(thread: EmulatorInfo) -> None:
    info = thread
    control = SyncControl(info.root_url)
    ids = control(lambda emulator: emulator.account(info.auth_id))
    with Client(info.auth_id, info.auth_token, base_url=info.base_url) as client:
        offer = client.inventory.list(per_page=1).items[0]
        e164 = client.numbers.purchase(offer.e164).e164
        assert client.numbers.get(e164).e164 == e164
        assert all(
            not n.e164.startswith(e164[:4]) for n in client.inventory.iter(exclude=[e164[:4]])
        )
        client.numbers.attach_application(e164, ids["application_ids"][0])
        client.numbers.detach_application(e164)
        client.numbers.assign_trunk(e164, ids["trunk_group_ids"][0])
        assert client.numbers.get(e164).trunk_group_id == ids["trunk_group_ids"][0]
        client.numbers.unassign_trunk(e164)
        control(lambda emulator: emulator.record_call(e164))
        health = client.numbers.health(e164, days=2)
        assert health.summary is not None
        assert health.summary.total_calls == 1
        assert client.account.balance("INR").currency == "INR"
        assert client.account.list_transactions().total == 1
        assert len(list(client.account.iter_transactions())) == 1
        released = client.numbers.release(e164)
        assert released.status is NumberStatus.PENDING_RELEASE
        assert client.numbers.cancel_release(e164).status is NumberStatus.ACTIVE
        assert client.numbers.release(e164, immediate=True).status is NumberStatus.RELEASED
        created = client.subaccounts.create(name="Sync")
        assert client.subaccounts.update(created.auth_id, enabled=False).enabled is False
        client.subaccounts.delete(created.auth_id)
        with pytest.raises(NotFound):
            client.subaccounts.get(created.auth_id)
