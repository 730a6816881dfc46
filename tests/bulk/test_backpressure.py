"""Backpressure: a bulk job starts on more numbers only as the caller takes outcomes."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

from phonenumbers_async import AsyncClient, Client, ProvisionOrder
from phonenumbers_async.emulator import EmulatorControl, EmulatorInfo, EmulatorThread

from ._helpers import as_generator, debits, on_sale


async def test_purchases_wait_for_a_caller_that_stops_reading(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """concurrency=1, the caller takes one outcome and then holds the iterator without
    reading: one number is bought, not ten."""
    wanted = await on_sale(client, 10)
    run = as_generator(client.numbers.purchase_many(wanted, concurrency=1))
    await anext(run)
    await asyncio.sleep(0.3)
    assert len(await debits(control, emu.auth_id)) == 1
    await run.aclose()
    assert len(await debits(control, emu.auth_id)) == 1


async def test_provisioning_waits_for_a_caller_that_stops_reading(
    client: AsyncClient, control: EmulatorControl, emu: EmulatorInfo
) -> None:
    """Provisioning 6 numbers two at a time: while the caller reads nothing after its
    first outcome, at most three numbers are bought (two undelivered, one taken)."""
    run = as_generator(client.numbers.provision(ProvisionOrder(count=6), concurrency=2))
    await anext(run)
    await asyncio.sleep(0.3)
    assert len(await debits(control, emu.auth_id)) <= 3
    await run.aclose()


def test_the_sync_client_stops_buying_when_the_loop_body_raises() -> None:
    """An exception in the body of a sync ``for`` over purchase_many: the numbers bought
    are at most the concurrency plus the one read, not all eight."""
    with (
        EmulatorThread(seed_inventory=12, subaccounts=1, seed=9) as emu,
        Client(emu.auth_id, emu.auth_token, base_url=emu.base_url) as sync,
    ):
        numbers = cast(Any, sync.numbers)
        wanted = [number.e164 for number in sync.inventory.iter()][:8]
        try:
            for _outcome in numbers.purchase_many(wanted, concurrency=2):
                raise RuntimeError("the caller's bug")
        except RuntimeError:
            pass
        time.sleep(0.3)
        owned = [number.e164 for number in sync.numbers.iter()]
        assert 1 <= len(owned) <= 3
